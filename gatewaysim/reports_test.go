package gatewaysim_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/dropfolder"
	"github.com/rebound-returns/rebound/gatewaysim"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/payments/paymentstest"
)

// readReportFile reads a dropped report, which must be well formed.
func readReportFile(t *testing.T, path string) []payments.ReportItem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, bad := paymentstest.ReadReport(t, f)
	if len(bad) != 0 {
		t.Fatalf("%s: bad rows %v", path, bad)
	}
	return items
}

// postAdmin POSTs to an admin route and returns the status and body.
func postAdmin(t *testing.T, url string, withKey bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if withKey {
		req.Header.Set("Authorization", "Bearer "+testAPIKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: read body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func errorCode(body string) string {
	var eb struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &eb)
	return eb.Error.Code
}

func reportPath(dir, account string, day time.Time) string {
	return filepath.Join(dir, account, gatewaysim.ReportFileName(account, day))
}

func TestWriteReportsDropsOneReportPerAccount(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := newGateway(t, gatewaysim.Config{ReportDir: dir},
		gatewaysim.Payment{ID: "pay_a1", Amount: 1000, Currency: "EUR", Account: "shop-a"},
		gatewaysim.Payment{ID: "pay_fail_a2", Amount: 500, Currency: "EUR", Account: "shop-a"},
		gatewaysim.Payment{ID: "pay_b1", Amount: 1000, Currency: "EUR", Account: "shop-b"},
		gatewaysim.Payment{ID: "pay_d1", Amount: 1000, Currency: "EUR"})
	a1 := g.refundOf(t, "shop-a", "att-a1", "pay_a1", 600)
	a2 := g.refundOf(t, "shop-a", "att-a2", "pay_fail_a2", 500)
	b1 := g.refundOf(t, "shop-b", "att-b1", "pay_b1", 300)
	d1 := g.refund(t, "att-d1", "pay_d1", 100)
	day := dayOf(a1.CreatedAt)
	if !dayOf(d1.CreatedAt).Equal(day) {
		t.Skip("the refunds straddled midnight UTC")
	}

	paths, err := g.sim.WriteReports(day.Add(13 * time.Hour))
	want := []string{reportPath(dir, payments.DefaultAccount, day), reportPath(dir, "shop-a", day), reportPath(dir, "shop-b", day)}
	if err != nil || !slices.Equal(paths, want) {
		t.Fatalf("WriteReports = %v, %v; want %v", paths, err, want)
	}
	if got := filepath.Base(want[1]); got != "gateway-report-shop-a-"+day.Format(time.DateOnly)+".csv" {
		t.Errorf("file name %s", got)
	}
	all := g.sim.Report(day)
	only := func(ids ...string) []payments.ReportItem {
		var out []payments.ReportItem
		for _, it := range all {
			if slices.Contains(ids, it.RefundID) {
				out = append(out, it)
			}
		}
		return out
	}
	for i, ids := range [][]string{{d1.ID}, {a1.ID, a2.ID}, {b1.ID}} {
		if got, want := readReportFile(t, paths[i]), only(ids...); len(want) != len(ids) || !reportsEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", paths[i], got, want)
		}
	}
	if files, err := dropfolder.List(dir); err != nil || len(files) != 3 {
		t.Errorf("inbox holds %+v (%v), want the 3 reports", files, err)
	}

	// A day without refunds drops nothing.
	if paths, err := g.sim.WriteReports(day.AddDate(0, 0, -1)); err != nil || len(paths) != 0 {
		t.Errorf("the day before: %v, %v; want nothing", paths, err)
	}
	if files, _ := dropfolder.List(dir); len(files) != 3 {
		t.Errorf("inbox holds %d files, want 3", len(files))
	}
}

func TestAdminWritesReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := newGateway(t, gatewaysim.Config{ReportDir: dir},
		gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR", Account: "shop-a"})
	ref := g.refundOf(t, "shop-a", "att-1", "pay_1", 250)
	day := dayOf(ref.CreatedAt)
	url := g.url + "/admin/reports?date=" + day.Format(time.DateOnly)

	status, body := postAdmin(t, url, true)
	var got struct {
		Date  string   `json:"date"`
		Files []string `json:"files"`
	}
	if err := json.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil {
		t.Fatalf("POST /admin/reports: %d %s", status, body)
	}
	if want := reportPath(dir, "shop-a", day); got.Date != day.Format(time.DateOnly) || !slices.Equal(got.Files, []string{want}) {
		t.Fatalf("POST /admin/reports: %s, want the file %s", body, want)
	}
	if items := readReportFile(t, got.Files[0]); len(items) != 1 || items[0].RefundID != ref.ID {
		t.Errorf("report %+v, want refund %s", items, ref.ID)
	}
	status, body = postAdmin(t, g.url+"/admin/reports?date="+day.AddDate(0, 0, 1).Format(time.DateOnly), true)
	if status != http.StatusOK || !strings.Contains(body, `"files":[]`) {
		t.Errorf("a day without refunds: %d %s, want 200 and no files", status, body)
	}
	if status, body := postAdmin(t, url, false); status != http.StatusUnauthorized {
		t.Errorf("without the key: %d %s, want 401", status, body)
	}
	for _, q := range []string{"", "?date=", "?date=2026-13-01", "?date=10.03.2026"} {
		if status, body := postAdmin(t, g.url+"/admin/reports"+q, true); status != http.StatusBadRequest || errorCode(body) != "date_invalid" {
			t.Errorf("POST /admin/reports%s: %d %s, want 400 date_invalid", q, status, body)
		}
	}
}

func TestWithoutReportDirNothingIsWritten(t *testing.T) {
	t.Chdir(t.TempDir()) // a relative path would land here
	g := newGateway(t, gatewaysim.Config{}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR", Account: "shop-a"})
	ref := g.refundOf(t, "shop-a", "att-1", "pay_1", 250)
	day := dayOf(ref.CreatedAt)

	if paths, err := g.sim.WriteReports(day); !errors.Is(err, gatewaysim.ErrNoReportDir) || len(paths) != 0 {
		t.Errorf("WriteReports = %v, %v; want ErrNoReportDir", paths, err)
	}
	if status, body := postAdmin(t, g.url+"/admin/reports?date="+day.Format(time.DateOnly), true); status != http.StatusConflict || errorCode(body) != "report_dir_unset" {
		t.Errorf("POST /admin/reports: %d %s, want 409 report_dir_unset", status, body)
	}
	if entries, err := os.ReadDir("."); err != nil || len(entries) != 0 {
		t.Errorf("the working directory holds %v (%v)", entries, err)
	}
	if got := g.sim.Report(day); len(got) != 1 || got[0].RefundID != ref.ID {
		t.Errorf("Report = %+v, want the refund", got)
	}
}

func TestPaymentAccountMustNameAFolder(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR", Account: "shop-a"})
	auth := map[string]string{"Authorization": "Bearer " + testAPIKey}
	for _, acc := range []string{"../up", ".hidden", `a\b`, "tab\there", strings.Repeat("x", 65)} {
		body, _ := json.Marshal(gatewaysim.Payment{ID: "pay_2", Amount: 100, Currency: "EUR", Account: acc})
		if status, code := post(t, g.url+"/admin/payments", auth, string(body)); status != 400 || code != "account_invalid" {
			t.Errorf("account %q: %d %s, want 400 account_invalid", acc, status, code)
		}
	}
	if status, code := post(t, g.url+"/admin/payments", auth, `{"id":"pay_1","amount":1000,"currency":"EUR","account":"shop-b"}`); status != 409 {
		t.Errorf("pay_1 under another account: %d %s, want 409", status, code)
	}
	if status, code := post(t, g.url+"/admin/payments", auth, `{"id":"pay_1","amount":1000,"currency":"EUR","account":"shop-a"}`); status != 200 {
		t.Errorf("pay_1 again: %d %s, want 200", status, code)
	}
}
