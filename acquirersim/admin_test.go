package acquirersim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	clk := simtest.NewClock(simtest.T0)
	a := acquirersim.New(acquirersim.Config{Now: clk.Now, Logger: simtest.Quiet()})
	srv := httptest.NewServer(a.AdminHandler())
	defer srv.Close()

	sale := `{"terminal_id":"POS00001","merchant_id":"MERCHANT000001","stan":"000123","rrn":"606910000123",
		"approval_code":"A1B2C3","masked_pan":"411111******1111","currency":"EUR","amount":10000,"at":"2026-03-10T10:00:00Z"}`
	if code, body := call(t, srv, "POST", "/admin/sales", sale); code != http.StatusCreated {
		t.Fatalf("POST sale: %d %s", code, body)
	}
	many := `[{"terminal_id":"POS00002","merchant_id":"MERCHANT000001","stan":"000001","rrn":"606910000001",
		"masked_pan":"550000******0004","currency":"SEK","amount":500,"at":"2026-03-09T10:00:00Z"}]`
	if code, body := call(t, srv, "POST", "/admin/sales", many); code != http.StatusCreated || !strings.Contains(body, `"added":1`) {
		t.Fatalf("POST sales: %d %s", code, body)
	}
	fullPAN := strings.Replace(sale, "411111******1111", "4111111111111111", 1)
	if code, body := call(t, srv, "POST", "/admin/sales", fullPAN); code != http.StatusUnprocessableEntity || !strings.Contains(body, "masked_pan") {
		t.Errorf("a full card number: %d %s", code, body)
	}
	if code, _ := call(t, srv, "POST", "/admin/sales", "{"); code != http.StatusBadRequest {
		t.Errorf("bad JSON: %d", code)
	}
	if code, body := call(t, srv, "POST", "/admin/terminals", `{"terminal_id":"VRT00001","merchant_id":"MERCHANT000001"}`); code != http.StatusCreated {
		t.Fatalf("POST terminal: %d %s", code, body)
	}
	if code, _ := call(t, srv, "POST", "/admin/terminals", `{"terminal_id":"SHORT","merchant_id":"M"}`); code != http.StatusUnprocessableEntity {
		t.Errorf("a 5-character terminal: %d", code)
	}

	code, body := call(t, srv, "PUT", "/admin/faults", `{"drop":0.2,"delay":0.1,"delay_by":"12s"}`)
	if code != http.StatusOK {
		t.Fatalf("PUT faults: %d %s", code, body)
	}
	if f := a.Faults(); f.Drop != 0.2 || f.Delay != 0.1 || f.DelayBy != 12*time.Second {
		t.Errorf("faults %+v", f)
	}
	for _, bad := range []string{`{"drop":1.5}`, `{"drop":0.7,"close":0.7}`, `{"delay_by":"soon"}`, `{"dropp":0.1}`,
		`{"late_response":-0.1}`, `{"issuer_unavailable":2}`, `{"drop":0.5,"approve_after_reversal":0.3,"system_malfunction":0.3}`,
		`{"extra_fields":"yes"}`} {
		if code, _ := call(t, srv, "PUT", "/admin/faults", bad); code < 400 || code > 499 {
			t.Errorf("PUT faults %s: %d", bad, code)
		}
	}
	_, body = call(t, srv, "GET", "/admin/faults", "")
	var f map[string]any
	if err := json.Unmarshal([]byte(body), &f); err != nil || f["drop"] != 0.2 || f["delay_by"] != "12s" {
		t.Errorf("GET faults: %s", body)
	}
	strict := `{"issuer_unavailable":0.1,"system_malfunction":0.05,"late_response":0.2,"approve_after_reversal":0.15,"duplicate_transmission":0.25,"extra_fields":true}`
	if code, body := call(t, srv, "PUT", "/admin/faults", strict); code != http.StatusOK {
		t.Fatalf("PUT strict-host faults: %d %s", code, body)
	}
	if f := a.Faults(); f.IssuerUnavailable != 0.1 || f.SystemMalfunction != 0.05 || f.LateResponse != 0.2 ||
		f.ApproveAfterReversal != 0.15 || f.DuplicateTransmission != 0.25 || !f.ExtraFields || f.Drop != 0 {
		t.Errorf("strict-host faults %+v", f)
	}
	_, body = call(t, srv, "GET", "/admin/faults", "")
	f = nil
	if err := json.Unmarshal([]byte(body), &f); err != nil || f["issuer_unavailable"] != 0.1 || f["system_malfunction"] != 0.05 ||
		f["late_response"] != 0.2 || f["approve_after_reversal"] != 0.15 || f["duplicate_transmission"] != 0.25 || f["extra_fields"] != true {
		t.Errorf("GET strict-host faults: %s", body)
	}
	a.SetFaults(acquirersim.Faults{})

	// A refund through the wire, then the read side of the API.
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	r := simtest.RefundOf("000009", 300)
	r.Original = pos.Original{STAN: "000123", RRN: "606910000123", At: time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)}
	if resp := simtest.Send(t, c, r); !resp.Approved() {
		t.Fatalf("refund: %+v", resp)
	}

	_, body = call(t, srv, "GET", "/admin/stats", "")
	var st acquirersim.Stats
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Requests != 1 || st.Approved != 1 {
		t.Errorf("GET stats: %s", body)
	}
	for _, name := range []string{"issuer_unavailable", "system_malfunction", "late_responses", "approved_after_reversal", "extra_fields"} {
		if !strings.Contains(body, `"`+name+`":0`) {
			t.Errorf("GET stats lacks %s: %s", name, body)
		}
	}
	_, body = call(t, srv, "GET", "/admin/ledger", "")
	var ledger []acquirersim.Entry
	if err := json.Unmarshal([]byte(body), &ledger); err != nil || len(ledger) != 3 || ledger[2].Kind != "refund" || ledger[2].Batch != "20260310-01" {
		t.Errorf("GET ledger: %s", body)
	}
	if code, body := call(t, srv, "POST", "/admin/cutoff", ""); code != http.StatusOK || !strings.Contains(body, "20260310-01") {
		t.Errorf("POST cutoff: %d %s", code, body)
	}
	code, body = call(t, srv, "GET", "/admin/settlement?date=2026-03-10", "")
	if code != http.StatusOK {
		t.Fatalf("GET settlement: %d %s", code, body)
	}
	items, bad := simtest.ReadSettlement(t, strings.NewReader(body))
	if len(bad) != 0 || len(items) != 2 {
		t.Fatalf("settlement file: %+v %v\n%s", items, bad, body)
	}
	if items[1].ProcessingCode != "200000" || items[1].Amount != 300 || items[1].STAN != "000009" {
		t.Errorf("refund line %+v", items[1])
	}
	if code, _ := call(t, srv, "GET", "/admin/settlement", ""); code != http.StatusBadRequest {
		t.Errorf("settlement without a date: %d", code)
	}
}
