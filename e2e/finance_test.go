package e2e_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/pos"
)

// upload posts a settlement file as finance does.
func (s *stack) upload(token, source, name string, content []byte) response {
	s.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("source", source)
	part, _ := w.CreateFormFile("file", name)
	_, _ = part.Write(content)
	_ = w.Close()
	req, _ := http.NewRequest("POST", s.url+"/v1/finance/settlements", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b.Bytes()}
}

// reconciled waits for a file's reconciliation and answers it.
func (s *stack) reconciled(token, fileID string) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r := s.must(s.call("GET", "/v1/finance/reconciliations/"+fileID, nil, bearer(token)...), 200).json()
		if r["file"].(map[string]any)["status"] == "reconciled" {
			return r
		}
		time.Sleep(200 * time.Millisecond)
	}
	d, err := s.temporal.DescribeWorkflowExecution(context.Background(), contract.ReconcileWorkflowID(fileID), "")
	if err == nil {
		for _, pa := range d.GetPendingActivities() {
			s.t.Logf("pending %s attempt %d: %s", pa.GetActivityType().GetName(), pa.GetAttempt(), pa.GetLastFailure().GetMessage())
		}
	}
	s.t.Fatalf("file %s never reconciled: %v", fileID, err)
	return nil
}

func (s *stack) attemptOf(returnID string) db.RefundAttempt {
	s.t.Helper()
	refunds, err := s.db.Refunds.RefundsOfReturn(context.Background(), returnID)
	if err != nil || len(refunds) != 1 {
		s.t.Fatalf("refunds of %s: %v %v", returnID, refunds, err)
	}
	as, err := s.db.Refunds.AttemptsOfRefund(context.Background(), refunds[0].ID)
	if err != nil || len(as) == 0 {
		s.t.Fatalf("attempts: %v %v", as, err)
	}
	return as[len(as)-1]
}

func TestFinanceReconcilesCardAndOnlineRefunds(t *testing.T) {
	e := lastEngine(t)
	s := newStack(t, e)
	ctx := context.Background()
	cards := s.cardReturns(6)
	online := s.salesReturned(3, returns.ChannelOnline, "W")
	s.counterRefunds(cards)
	all := append(append([]cardCase{}, cards...), online...)
	s.waitRefundsSettled(all, 2*time.Minute)
	finance := s.login("finance")
	today := time.Now().UTC().Truncate(24 * time.Hour)

	// A refund made ten days ago that never reached the acquirer's files.
	missing := s.attemptOf(cards[5].returnID)
	if err := s.db.Exec(ctx, "UPDATE refund_attempts SET transmitted_day = ? WHERE id = ?", today.AddDate(0, 0, -10).Format("2006-01-02"), missing.ID); err != nil {
		t.Fatal(err)
	}
	changed := s.attemptOf(cards[4].returnID)

	// The acquirer's file for the day, with a line planted, an amount
	// changed and the missing refund left out.
	s.acquirer.CutOff()
	var items []pos.SettlementItem
	for _, it := range s.acquirer.Settlement(today) {
		switch it.STAN {
		case missing.STAN:
			continue
		case changed.STAN:
			it.Amount += 100
		}
		items = append(items, it)
	}
	extra := items[0]
	extra.STAN, extra.RRN, extra.ProcessingCode, extra.Amount = "999999", "799999999999", "200000", 1234
	items = append(items, extra)
	var file bytes.Buffer
	if err := pos.WriteSettlement(&file, items); err != nil {
		t.Fatal(err)
	}
	up := s.must(s.upload(finance, "acquirer", "settlement.csv", file.Bytes()), 202).json()
	fileID := up["file"].(map[string]any)["id"].(string)
	rec := s.reconciled(finance, fileID)
	f := rec["file"].(map[string]any)
	if f["matched"].(float64) != 4 || f["amount_mismatch"].(float64) != 1 || f["unexpected_at_acquirer"].(float64) != 1 || f["missing_at_acquirer"].(float64) != 1 {
		t.Fatalf("acquirer reconciliation %v", f)
	}
	// The same file again changes nothing.
	again := s.must(s.upload(finance, "acquirer", "again.csv", file.Bytes()), 200).json()
	if again["duplicate"] != true || again["file"].(map[string]any)["id"] != fileID {
		t.Fatalf("re-import: %v", again)
	}

	// The gateway's report for the day.
	var report bytes.Buffer
	if err := payments.WriteReport(&report, s.gateway.Report(today)); err != nil {
		t.Fatal(err)
	}
	gup := s.must(s.upload(finance, "gateway", "report.csv", report.Bytes()), 202).json()
	g := s.reconciled(finance, gup["file"].(map[string]any)["id"].(string))["file"].(map[string]any)
	if g["matched"].(float64) != 3 || g["unexpected_at_acquirer"].(float64) != 0 {
		t.Fatalf("gateway reconciliation %v", g)
	}

	// Every return settled as it should closes; the two with discrepancies wait.
	deadline := time.Now().Add(30 * time.Second)
	for {
		open := 0
		for i, c := range all {
			r, err := s.db.Returns.ReturnByID(ctx, c.returnID)
			if err != nil {
				t.Fatal(err)
			}
			flagged := i == 4 || i == 5
			if (r.Status == "closed") == flagged {
				open++
			}
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d returns not where they should be", open)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The planted line, the changed amount and the missing refund are work items.
	work := s.must(s.call("GET", "/v1/finance/work-items", nil, bearer(finance)...), 200).json()["items"].([]any)
	kinds := map[string]string{}
	for _, w := range work {
		kinds[w.(map[string]any)["kind"].(string)] = w.(map[string]any)["id"].(string)
	}
	if len(work) != 3 || kinds["unexpected_at_acquirer"] == "" || kinds["amount_mismatch"] == "" || kinds["missing_at_acquirer"] == "" {
		t.Fatalf("work items %v", work)
	}
	path := "/v1/finance/work-items/" + kinds["unexpected_at_acquirer"] + "/resolve"
	s.problem(s.call("POST", path, map[string]string{"resolution": "shrug", "note": "x"}, bearer(finance)...), 422, "resolution")
	s.must(s.call("POST", path, map[string]string{"resolution": "not_ours", "note": "another merchant's terminal"}, bearer(finance)...), 200)
	s.problem(s.call("POST", path, map[string]string{"resolution": "not_ours", "note": "again"}, bearer(finance)...), 409, "")

	// Finance's views: the CSV export, the summary, a refund with its attempts.
	csvResp := s.must(s.call("GET", "/v1/finance/refunds?status=succeeded", nil, append(bearer(finance), "Accept", "text/csv")...), 200)
	recs, err := csv.NewReader(bytes.NewReader(csvResp.Body)).ReadAll()
	if err != nil || len(recs) != 10 || recs[0][0] != "id" || !strings.HasPrefix(csvResp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV export: %d records, %v", len(recs), err)
	}
	page := s.must(s.call("GET", "/v1/finance/refunds?limit=4&sort=amount_desc", nil, bearer(finance)...), 200).json()
	next := page["next_cursor"].(string)
	page2 := s.must(s.call("GET", "/v1/finance/refunds?limit=4&sort=amount_desc&cursor="+next, nil, bearer(finance)...), 200).json()
	if len(page["items"].([]any)) != 4 || len(page2["items"].([]any)) != 4 {
		t.Fatalf("pages %d, %d", len(page["items"].([]any)), len(page2["items"].([]any)))
	}
	sum := s.must(s.call("GET", "/v1/finance/refunds/summary", nil, bearer(finance)...), 200).json()
	var succeeded float64
	for _, tot := range sum["totals"].([]any) {
		if tot.(map[string]any)["status"] == "succeeded" {
			succeeded += tot.(map[string]any)["count"].(float64)
		}
	}
	if succeeded != 9 {
		t.Fatalf("summary %v", sum)
	}
	detail := s.must(s.call("GET", "/v1/finance/refunds/"+s.attemptOfRefund(cards[0].returnID), nil, bearer(finance)...), 200).json()
	att := detail["attempts"].([]any)[0].(map[string]any)
	if detail["authorised_by"] != "supervisor" || att["stan"] == "" || att["rrn"] == "" || att["settled"] != true {
		t.Fatalf("refund detail %v", detail)
	}

	// Only finance, admin and operators; never another merchant's money.
	s.problem(s.call("GET", "/v1/finance/refunds", nil, bearer(s.login("clerk"))...), 403, "")
	s.problem(s.call("GET", "/v1/finance/refunds", nil, bearer(s.login("supervisor"))...), 403, "")
	s.must(s.call("GET", "/v1/finance/refunds", nil, bearer(s.login("admin"))...), 200)
	other := s.otherMerchantFinance()
	if items := s.must(s.call("GET", "/v1/finance/refunds", nil, bearer(other)...), 200).json()["items"].([]any); len(items) != 0 {
		t.Fatalf("another merchant's finance sees %d refunds", len(items))
	}
	s.problem(s.call("GET", "/v1/finance/reconciliations/"+fileID, nil, bearer(other)...), 404, "")
	s.problem(s.call("GET", "/v1/finance/refunds/"+s.attemptOfRefund(cards[0].returnID), nil, bearer(other)...), 404, "")
	s.problem(s.call("POST", path, map[string]string{"resolution": "other", "note": "x"}, bearer(other)...), 404, "")

	// A file that is not a settlement file is refused with its first bad lines.
	bad := s.upload(finance, "acquirer", "notes.txt", []byte("hello\nworld\n"))
	s.problem(bad, 422, "line 1")
}

func (s *stack) attemptOfRefund(returnID string) string {
	refunds, err := s.db.Refunds.RefundsOfReturn(context.Background(), returnID)
	if err != nil || len(refunds) == 0 {
		s.t.Fatal(err)
	}
	return refunds[0].ID
}

func (s *stack) otherMerchantFinance() string {
	s.t.Helper()
	ctx := context.Background()
	m := &db.Merchant{Slug: "other-shop", Name: "Other"}
	if err := s.db.Merchants.CreateMerchant(ctx, m); err != nil {
		s.t.Fatal(err)
	}
	hash, _ := auth.HashPassword(demoPassword)
	if err := s.db.Staff.CreateStaff(ctx, &db.StaffUser{MerchantID: &m.ID, Username: "other-fin", Role: "finance", PasswordHash: hash}); err != nil {
		s.t.Fatal(err)
	}
	return s.loginAt("other-shop", "other-fin")
}
