package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Forms of a return's page: what the API refuses comes back beside the
// fields, or at the top.

// returnAPI answers a return in the given status and hands the review,
// receive and inspection posts to step.
func returnAPI(status string, step http.HandlerFunc) *fakeAPI {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "R1" {
			problem(w, http.StatusNotFound, "not-found", "Not Found", "no such return "+r.PathValue("id"), nil)
			return
		}
		writeJSON(w, http.StatusOK, returnJSON("R1", status))
	})
	if step != nil {
		api.HandleFunc("POST /v1/merchant/returns/{id}/{step}", step)
		api.HandleFunc("POST /v1/returns/{id}/cancel", step)
	}
	return api
}

func TestReviewRefusedWithFieldErrorShowsItBesideTheField(t *testing.T) {
	api := returnAPI("awaiting_review", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "the request has invalid fields",
			[]fieldErr{{"reason", "is required to decline"}})
	})
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, tokSupervisor, "/console/returns/R1")
	w := do(h, "POST", "/console/returns/R1/review", url.Values{"decision": {"decline"}, "reason": {"  "}, "csrf_token": {token}},
		staffCookie(tokSupervisor))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	body := w.Body.String()
	mustContain(t, body,
		`<p class="error" id="e-reason">is required to decline</p>`,
		`class="problem"`, "Please correct the fields marked below.",
		"Return for order A-1001",
		`value="decline" checked`, // the decision made is kept
	)
	input := regexp.MustCompile(`<input id="f-reason"[^>]*>`).FindString(body)
	if !strings.Contains(input, `aria-invalid="true"`) || !strings.Contains(input, `aria-describedby="e-reason"`) {
		t.Errorf("reason input not marked invalid: %s", input)
	}
	// The blank reason is not sent; the decision is.
	calls := api.callsTo("POST", "/v1/merchant/returns/R1/review")
	if len(calls) != 1 {
		t.Fatalf("review calls = %d", len(calls))
	}
	if got := string(calls[0].Body); got != `{"decision":"decline"}` {
		t.Errorf("review body = %s", got)
	}
	if got := calls[0].Header.Get("Authorization"); got != "Bearer "+tokSupervisor {
		t.Errorf("review Authorization = %q", got)
	}
}

func TestReviewConflictShowsTheProblemAtTheTop(t *testing.T) {
	api := returnAPI("awaiting_review", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusConflict, "conflict", "Conflict", "The return is no longer awaiting review.", nil)
	})
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, tokSupervisor, "/console/returns/R1")
	w := do(h, "POST", "/console/returns/R1/review", url.Values{"decision": {"approve"}, "csrf_token": {token}}, staffCookie(tokSupervisor))
	if w.Code < 400 || w.Code >= 500 {
		t.Fatalf("status = %d, want a 4xx", w.Code)
	}
	body := w.Body.String()
	mustContain(t, body, `<div class="problem" role="alert"><p>The return is no longer awaiting review.</p></div>`, "Return for order A-1001")
	mustNotContain(t, body, `class="error"`, `aria-invalid`)
}

func TestReviewAcceptedRedirectsWithNotice(t *testing.T) {
	api := returnAPI("awaiting_review", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, tokSupervisor, "/console/returns/R1")
	w := do(h, "POST", "/console/returns/R1/review", url.Values{"decision": {"decline"}, "reason": {" worn "}, "csrf_token": {token}},
		staffCookie(tokSupervisor))
	wantRedirect(t, w, http.StatusSeeOther, "/console/returns/R1?done=reviewed")
	if got := string(api.callsTo("POST", "/v1/merchant/returns/R1/review")[0].Body); got != `{"decision":"decline","reason":"worn"}` {
		t.Errorf("review body = %s", got)
	}
	w = do(h, "GET", "/console/returns/R1?done=reviewed", nil, staffCookie(tokSupervisor))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), `<p class="notice" role="status">Your decision is recorded; the shopper has been told.</p>`)
}

func TestReturnPageShowsTheFormsOfTheRole(t *testing.T) {
	api := returnAPI("awaiting_review", nil)
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/returns/R1", nil, staffCookie(tokSupervisor))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), `action="/console/returns/R1/review"`, `action="/console/returns/R1/cancel"`, "Trail shoe", "89.99 EUR")
	w = do(h, "GET", "/console/returns/R1", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusOK)
	mustNotContain(t, w.Body.String(), `action="/console/returns/R1/review"`)

	// A return that is not the member's: the API's 404, in the page's words.
	w = do(h, "GET", "/console/returns/R2", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusNotFound)
	mustContain(t, w.Body.String(), "There is nothing here, or it is not yours to see.")
	mustNotContain(t, w.Body.String(), "no such return")
}

func TestInspectionMapsAPIFieldsBackToTheForm(t *testing.T) {
	api := returnAPI("received", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "invalid", []fieldErr{
			{"lines[0].accepted_quantity", "exceeds what was returned"},
			{"lines[1].reason", "is required when items are rejected"},
			{"lines[1].condition", "is not a condition"},
		})
	})
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, tokClerk, "/console/returns/R1")
	form := url.Values{"csrf_token": {token},
		"accepted.L1": {"2"}, "rejected.L1": {"0"}, "condition.L1": {"opened"},
		"accepted.L2": {"0"}, "rejected.L2": {"1"}, "condition.L2": {"new"}, "reason.L2": {""}}
	w := do(h, "POST", "/console/returns/R1/inspection", form, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	body := w.Body.String()
	mustContain(t, body,
		`<p class="error" id="e-accepted.L1">exceeds what was returned</p>`,
		`<p class="error" id="e-reason.L2">is required when items are rejected</p>`,
		`<p class="error" id="e-condition.L2">is not a condition</p>`,
		"Please correct the fields marked below.",
	)
	input := regexp.MustCompile(`<input id="f-accepted.L1"[^>]*>`).FindString(body)
	if !strings.Contains(input, `aria-invalid="true"`) || !strings.Contains(input, `value="2"`) {
		t.Errorf("accepted.L1 input: %s", input)
	}
	mustNotContain(t, body, "lines[0]", "lines[1]")

	// What the API got: one verdict per line, in the return's order; no
	// condition for a line with nothing accepted.
	calls := api.callsTo("POST", "/v1/merchant/returns/R1/inspection")
	if len(calls) != 1 {
		t.Fatalf("inspection calls = %d", len(calls))
	}
	var sent struct {
		Lines []map[string]any `json:"lines"`
	}
	if err := json.Unmarshal(calls[0].Body, &sent); err != nil {
		t.Fatal(err)
	}
	want := `[{"accepted_quantity":2,"condition":"opened","line_id":"L1","rejected_quantity":0},{"accepted_quantity":0,"line_id":"L2","rejected_quantity":1}]`
	if got, _ := json.Marshal(sent.Lines); string(got) != want {
		t.Errorf("inspection lines = %s, want %s", got, want)
	}
}

func TestInspectionChecksQuantitiesBeforeCallingTheAPI(t *testing.T) {
	api := returnAPI("received", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the API got %s", r.URL.Path)
	})
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, tokClerk, "/console/returns/R1")
	w := do(h, "POST", "/console/returns/R1/inspection", url.Values{"csrf_token": {token},
		"accepted.L1": {"three"}, "rejected.L1": {"0"}, "accepted.L2": {"0"}, "rejected.L2": {"5"}}, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(),
		`<p class="error" id="e-accepted.L1">must be a number from 0 to 2</p>`,
		`<p class="error" id="e-rejected.L2">must be a number from 0 to 1</p>`,
		`value="three"`)
}

func TestCancelMapsReasonToCancelReason(t *testing.T) {
	api := returnAPI("awaiting_shipment", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "invalid", []fieldErr{{"reason", "is too long"}})
	})
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, tokClerk, "/console/returns/R1")
	w := do(h, "POST", "/console/returns/R1/cancel", url.Values{"csrf_token": {token}, "cancel_reason": {"x"}}, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `<p class="error" id="e-cancel_reason">is too long</p>`, `value="x"`)
}

func TestServerErrorOfTheAPIIsAnErrorPage(t *testing.T) {
	api := returnAPI("awaiting_review", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusInternalServerError, "internal", "Internal Server Error", "database on fire", nil)
	})
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, tokSupervisor, "/console/returns/R1")
	w := do(h, "POST", "/console/returns/R1/review", url.Values{"decision": {"approve"}, "csrf_token": {token}}, staffCookie(tokSupervisor))
	wantStatus(t, w, http.StatusInternalServerError)
	mustNotContain(t, w.Body.String(), `action="/console/returns/R1/review"`)
}

func TestCounterRefundSendsIdempotencyKeyAndNeverEchoesPassword(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		v := returnJSON("R1", "refund_pending")
		v["method"], v["channel"] = "in_store", "card_present"
		v["refund"] = map[string]any{"amount": 17998, "shipping": 0, "currency": "EUR", "status": "pending"}
		writeJSON(w, http.StatusOK, v)
	})
	api.HandleFunc("GET /v1/merchant/terminals", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": []map[string]string{{"id": "T-1", "kind": "physical"}, {"id": "SIM", "kind": "simulated"}}})
	})
	api.HandleFunc("POST /v1/merchant/returns/{id}/in-store-refund", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "invalid",
			[]fieldErr{{"supervisor_password", "does not match"}})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/returns/R1", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	mustContain(t, body, `<option value="T-1"`, "179.98 EUR")
	mustNotContain(t, body, `<option value="SIM"`)
	key := regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]{32})"`).FindStringSubmatch(body)
	if key == nil {
		t.Fatal("no idempotency key in the counter form")
	}
	w = do(h, "POST", "/console/returns/R1/counter-refund", url.Values{"csrf_token": {csrfOf(t, w)}, "idempotency_key": {key[1]},
		"terminal_id": {"T-1"}, "supervisor_username": {"sue"}, "supervisor_password": {"hunter2-secret"}, "voucher_no": {"42"}},
		staffCookie(tokClerk))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `<p class="error" id="e-supervisor_password">does not match</p>`, `value="sue"`)
	mustNotContain(t, w.Body.String(), "hunter2-secret")
	calls := api.callsTo("POST", "/v1/merchant/returns/R1/in-store-refund")
	if len(calls) != 1 || calls[0].Header.Get("Idempotency-Key") != key[1] {
		t.Fatalf("refund calls: %+v", calls)
	}
}

func TestFormProblem(t *testing.T) {
	p := &page{}
	if !formProblem(p, decodeProblem(422, []byte(`{"title":"Unprocessable Entity","errors":[{"field":"a","message":"first"},{"field":"a","message":"second"},{"field":"b","message":"bad"}]}`)),
		map[string]string{"b": "form_b"}) {
		t.Fatal("a 422 is not a form problem")
	}
	if p.Fields["a"] != "first" || p.Fields["form_b"] != "bad" || len(p.Fields) != 2 || p.Problem != "Please correct the fields marked below." {
		t.Errorf("page = %+v", p)
	}
	p = &page{}
	formProblem(p, decodeProblem(409, []byte(`{"title":"Conflict","detail":"already done"}`)), nil)
	if p.Problem != "already done" {
		t.Errorf("problem = %q", p.Problem)
	}
	p = &page{}
	formProblem(p, decodeProblem(429, []byte(`not json`)), nil)
	if p.Problem != "Too Many Requests" {
		t.Errorf("problem without a body = %q", p.Problem)
	}
	if formProblem(&page{}, decodeProblem(503, nil), nil) {
		t.Error("a 5xx is a form problem")
	}
	if formProblem(&page{}, errTest("boom"), nil) {
		t.Error("a plain error is a form problem")
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestReturnPageWithVerdictsAndRefund(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		v := returnJSON("R1", "refunded")
		lines := v["lines"].([]map[string]any)
		lines[0]["accepted_quantity"], lines[0]["rejected_quantity"], lines[0]["condition"], lines[0]["refund_amount"] = 1, 1, "opened", 8549
		lines[0]["reject_reason"] = "worn soles"
		v["refund"] = map[string]any{"amount": 8549, "shipping": 495, "currency": "EUR", "status": "failed", "failure_code": "issuer_declined",
			"reference": "RRN-1"}
		v["tracking_number"] = "TRK9"
		v["attention"] = "refund_failed"
		writeJSON(w, http.StatusOK, v)
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/returns/R1", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "1 accepted (opened), 1 rejected: worn soles", "refund 85.49 EUR",
		"85.49 EUR (including 4.95 EUR shipping)", "Failed", "issuer_declined", "Refund failed",
		`href="/console/returns/R1/label"`, "TRK9")
	// A refunded return has no forms left but the log-out.
	mustNotContain(t, w.Body.String(), `action="/console/returns/R1/`)
}
