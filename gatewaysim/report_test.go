package gatewaysim_test

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/gatewaysim"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/payments/paymentstest"
)

const reportHeader = "date,refund_id,payment_id,reference,amount,currency,status,failure_code"

func TestSimulatorReportListsTheDaysFinalRefunds(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{},
		gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"},
		gatewaysim.Payment{ID: "pay_fail_2", Amount: 500, Currency: "EUR"})
	ok := g.refund(t, "att-1", "pay_1", 600)
	closed := g.refund(t, "att-2", "pay_fail_2", 500)
	exceeded := g.refund(t, "att-3", "pay_1", 500) // 600 + 500 > 1000
	// With no settle delay a refund is final when created.
	day := dayOf(ok.CreatedAt)
	if !dayOf(exceeded.CreatedAt).Equal(day) {
		t.Skip("the refunds straddled midnight UTC")
	}
	want := []payments.ReportItem{
		{Date: day, RefundID: ok.ID, PaymentID: "pay_1", Reference: "att-1", Amount: 600, Currency: "EUR", Status: payments.StatusSucceeded},
		{Date: day, RefundID: closed.ID, PaymentID: "pay_fail_2", Reference: "att-2", Amount: 500, Currency: "EUR",
			Status: payments.StatusFailed, FailureCode: "card_closed"},
		{Date: day, RefundID: exceeded.ID, PaymentID: "pay_1", Reference: "att-3", Amount: 500, Currency: "EUR",
			Status: payments.StatusFailed, FailureCode: "exceeds_refundable"},
	}
	for _, at := range []time.Time{day, day.Add(23*time.Hour + 59*time.Minute)} {
		if got := g.sim.Report(at); !reportsEqual(got, want) {
			t.Errorf("Report(%s):\n got %+v\nwant %+v", at, got, want)
		}
	}
	for _, other := range []time.Time{day.AddDate(0, 0, -1), day.AddDate(0, 0, 1), day.Add(-time.Nanosecond)} {
		if got := g.sim.Report(other); len(got) != 0 {
			t.Errorf("Report(%s) = %+v, want nothing", other, got)
		}
	}
}

func TestSimulatorReportLeavesPendingRefundsOut(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{SettleDelay: time.Hour}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})
	pending := g.refund(t, "att-1", "pay_1", 800)
	exceeded := g.refund(t, "att-2", "pay_1", 300) // fails at once: 800 is reserved
	if pending.Status != payments.StatusPending || exceeded.Status != payments.StatusFailed {
		t.Fatalf("refunds %+v and %+v, want pending and failed", pending, exceeded)
	}
	day := dayOf(exceeded.CreatedAt)
	got := g.sim.Report(day)
	if len(got) != 1 || got[0].RefundID != exceeded.ID || got[0].FailureCode != "exceeds_refundable" {
		t.Errorf("Report(%s) = %+v, want only the failed refund %s", day.Format(time.DateOnly), got, exceeded.ID)
	}
}

func TestSimulatorReportListsARefundOnceItSettles(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{SettleDelay: 30 * time.Millisecond}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})
	created := g.refund(t, "att-1", "pay_1", 400)
	g.settled(t, created.ID)
	day := dayOf(time.Now())
	if !dayOf(created.CreatedAt).Equal(day) {
		t.Skip("the refund straddled midnight UTC")
	}
	got := g.sim.Report(day)
	if len(got) != 1 || got[0].RefundID != created.ID || got[0].Status != payments.StatusSucceeded || !got[0].Date.Equal(day) {
		t.Errorf("Report(%s) = %+v, want the settled refund %s", day.Format(time.DateOnly), got, created.ID)
	}
}

func TestAdminReportRoute(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{},
		gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"},
		gatewaysim.Payment{ID: "pay_fail_2", Amount: 500, Currency: "EUR"})
	first := g.refund(t, `att-1, "the first"`, "pay_1", 250)
	g.refund(t, "att-2", "pay_fail_2", 100)
	day := dayOf(first.CreatedAt)
	want := g.sim.Report(day)
	if len(want) == 0 {
		t.Fatal("the simulator's report is empty")
	}

	status, header, body := getReport(t, g.url+"/admin/report?date="+day.Format(time.DateOnly), true)
	if status != http.StatusOK {
		t.Fatalf("GET /admin/report: %d %s", status, body)
	}
	if mt, _, err := mime.ParseMediaType(header.Get("Content-Type")); err != nil || mt != "text/csv" {
		t.Errorf("Content-Type = %q, want text/csv", header.Get("Content-Type"))
	}
	if cd := header.Get("Content-Disposition"); !strings.Contains(cd, "gateway-report-"+day.Format(time.DateOnly)+".csv") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	got, bad := paymentstest.ReadReport(t, strings.NewReader(body))
	if len(bad) != 0 || !reportsEqual(got, want) || got[0].Reference != `att-1, "the first"` {
		t.Errorf("report over HTTP:\n got %+v (row errors %v)\nwant %+v", got, bad, want)
	}

	if status, _, body := getReport(t, g.url+"/admin/report?date="+day.AddDate(0, 0, -1).Format(time.DateOnly), true); status != http.StatusOK || body != reportHeader+"\n" {
		t.Errorf("the day before: %d %q, want 200 with the header alone", status, body)
	}
	status, header, _ = getReport(t, g.url+"/admin/report?date="+day.Format(time.DateOnly), false)
	if status != http.StatusUnauthorized || header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("without the key: %d (WWW-Authenticate %q), want 401", status, header.Get("WWW-Authenticate"))
	}
	for _, q := range []string{"", "?date=", "?date=2026-13-01", "?date=10.03.2026", "?date=2026-03-10T00:00:00Z"} {
		status, _, body := getReport(t, g.url+"/admin/report"+q, true)
		var eb struct {
			Error struct{ Code string } `json:"error"`
		}
		if err := json.Unmarshal([]byte(body), &eb); status != http.StatusBadRequest || err != nil || eb.Error.Code != "date_invalid" {
			t.Errorf("GET /admin/report%s: %d %s, want 400 date_invalid", q, status, body)
		}
	}
}

func TestSimulatorRefusesWhatItsReportCannotCarry(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})
	auth := map[string]string{"Authorization": "Bearer " + testAPIKey, "Idempotency-Key": "k1"}
	if status, code := post(t, g.url+"/v1/refunds", auth, `{"payment_id":"pay_1","amount":100,"currency":"EUR","reference":"a\r\nb"}`); status != 400 || code != "reference_invalid" {
		t.Errorf("reference with a carriage return: %d %s, want 400 reference_invalid", status, code)
	}
	if err := g.sim.AddPayment(gatewaysim.Payment{ID: "pay\n2", Amount: 100, Currency: "EUR"}); err == nil {
		t.Error("AddPayment with a line break in the id succeeded")
	}
	if n := len(g.sim.Refunds()); n != 0 {
		t.Errorf("refused requests created %d refunds", n)
	}
}

func getReport(t *testing.T, url string, withKey bool) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if withKey {
		req.Header.Set("Authorization", "Bearer "+testAPIKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func reportsEqual(a, b []payments.ReportItem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !paymentstest.ItemsEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// FuzzReportRoundTrip: an item WriteReport accepts reads back the same, and does not disturb the
// row after it; an item it refuses writes nothing.
