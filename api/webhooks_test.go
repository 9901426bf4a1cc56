package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/events"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/signature"
)

// fakeIntake answers the events with carrier / matched and err, and keeps
// what it was given.
type fakeIntake struct {
	carrier events.CarrierResult
	matched bool
	err     error
	gotCarr *events.CarrierEvent
	gotGate *payments.WebhookEvent
}

func (f *fakeIntake) Carrier(_ context.Context, ev events.CarrierEvent) (events.CarrierResult, error) {
	f.gotCarr = &ev
	return f.carrier, f.err
}

func (f *fakeIntake) Gateway(_ context.Context, ev payments.WebhookEvent) (bool, error) {
	f.gotGate = &ev
	return f.matched, f.err
}

const carrierSecret, gatewaySecret = "carrier-secret", "gateway-secret"

func intakeOver(f *fakeIntake) http.Handler {
	srv, r := newRouter(Deps{CarrierSecret: carrierSecret, GatewaySecret: gatewaySecret})
	srv.events = f
	srv.routesCarrier(r.Group("/v1"))
	srv.routesGateway(r.Group("/v1"))
	return r
}

func signed(h http.Handler, path, header, sig string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(header, sig)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func carrierPost(f *fakeIntake, body []byte) *httptest.ResponseRecorder {
	return signed(intakeOver(f), "/v1/carrier/events", "X-Rebound-Signature", signature.Sign(carrierSecret, body), body)
}

func gatewayPost(f *fakeIntake, body []byte) *httptest.ResponseRecorder {
	return signed(intakeOver(f), "/v1/gateway/events", payments.SignatureHeader, payments.SignWebhook(gatewaySecret, body), body)
}

// The carrier's event: the signature is the edge's; the use case's answer
// is rendered as before (202 first heard or unmatched, 200 a matched
// repeat), its refusals as the same problems.
func TestCarrierEventOverTheUseCase(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event_id":"e1","tracking_number":"TRK1","event":"delivered","occurred_at":"2026-12-02T10:00:00Z"}`)
	f := &fakeIntake{}
	if rec := signed(intakeOver(f), "/v1/carrier/events", "X-Rebound-Signature", "nope", body); rec.Code != 401 ||
		problemOf(t, rec).Detail != "X-Rebound-Signature is not the HMAC-SHA256 of the body" || f.gotCarr != nil {
		t.Fatalf("unsigned: %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		res    events.CarrierResult
		status int
		body   string
	}{
		{events.CarrierResult{Matched: true}, 202, `{"duplicate":false,"event_id":"e1","matched":true}`},
		{events.CarrierResult{Matched: true, Duplicate: true}, 200, `{"duplicate":true,"event_id":"e1","matched":true}`},
		{events.CarrierResult{}, 202, `{"duplicate":false,"event_id":"e1","matched":false}`},
		{events.CarrierResult{Duplicate: true}, 202, `{"duplicate":true,"event_id":"e1","matched":false}`},
	} {
		f := &fakeIntake{carrier: tc.res}
		rec := carrierPost(f, body)
		want := events.CarrierEvent{EventID: "e1", TrackingNumber: "TRK1", Event: "delivered", OccurredAt: "2026-12-02T10:00:00Z"}
		if rec.Code != tc.status || rec.Body.String() != tc.body || f.gotCarr == nil || *f.gotCarr != want {
			t.Errorf("%+v: %d %s (given %+v)", tc.res, rec.Code, rec.Body, f.gotCarr)
		}
	}
	again := &apperr.Error{Kind: apperr.ErrUnavailable, Code: "try-again", Detail: "the event could not be handed on; send it again", Wait: 5 * time.Second}
	rec := carrierPost(&fakeIntake{err: again}, body)
	if p := problemOf(t, rec); rec.Code != 503 || p.Type != "urn:rebound:problem:try-again" || p.Detail != again.Detail ||
		rec.Header().Get("Retry-After") != "5" {
		t.Errorf("try again: %d %s %q", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	bad := apperr.InvalidFields(apperr.Field{Name: "event_id", Reason: "is required (at most 128 characters)"},
		apperr.Field{Name: "occurred_at", Reason: "must be an RFC 3339 time such as 2026-11-20T15:04:05Z"})
	rec = carrierPost(&fakeIntake{err: bad}, body)
	if p := problemOf(t, rec); rec.Code != 422 || p.Detail != "the request has invalid fields" || fieldsOf(p) != "event_id,occurred_at" {
		t.Errorf("bad event: %d %s", rec.Code, rec.Body)
	}
}

// The gateway's event: the signature is the edge's; a body that does not
// parse reaches the use case without a reference; matched is 200,
// unmatched 202.
func TestGatewayEventOverTheUseCase(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"ev1","type":"refund.failed","refund":{"id":"r1","status":"failed","failure_code":"x","reference":"a1"}}`)
	f := &fakeIntake{}
	if rec := signed(intakeOver(f), "/v1/gateway/events", payments.SignatureHeader, "nope", body); rec.Code != 401 ||
		problemOf(t, rec).Detail != payments.SignatureHeader+" does not verify" || f.gotGate != nil {
		t.Fatalf("unsigned: %d %s", rec.Code, rec.Body)
	}
	for matched, want := range map[bool]string{true: `{"matched":true}`, false: `{"matched":false}`} {
		f := &fakeIntake{matched: matched}
		rec := gatewayPost(f, body)
		status := map[bool]int{true: 200, false: 202}[matched]
		if rec.Code != status || rec.Body.String() != want || f.gotGate == nil || f.gotGate.Refund.Reference != "a1" ||
			f.gotGate.Refund.Status != "failed" || f.gotGate.Refund.FailureCode != "x" {
			t.Errorf("matched %v: %d %s", matched, rec.Code, rec.Body)
		}
	}
	// A reference followed by a value of the wrong type is no reference.
	f = &fakeIntake{err: apperr.Invalid("refund.reference", "is required")}
	broken := []byte(`{"refund":{"reference":"a1","amount":"ten"}}`)
	rec := gatewayPost(f, broken)
	if p := problemOf(t, rec); rec.Code != 422 || p.Detail != "refund.reference: is required" || f.gotGate == nil || f.gotGate.Refund.Reference != "" {
		t.Errorf("broken: %d %s", rec.Code, rec.Body)
	}
	var ev payments.WebhookEvent
	if json.Unmarshal(broken, &ev) == nil || ev.Refund.Reference != "a1" {
		t.Fatal("the broken body no longer tests a partial parse")
	}
}

// Over the real use case: a gateway event without a reference is refused,
// one with a reference that is no id is not matched (no store needed).
func TestGatewayEventOverTheRealUseCase(t *testing.T) {
	t.Parallel()
	h := NewHandler(Deps{GatewaySecret: gatewaySecret})
	for body, want := range map[string]string{`{"refund":{}}`: "422", `not json`: "422", `{"refund":{"reference":"x/y"}}`: "202"} {
		b := []byte(body)
		rec := signed(h, "/v1/gateway/events", payments.SignatureHeader, payments.SignWebhook(gatewaySecret, b), b)
		if got := rec.Result().Status[:3]; got != want {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body)
		}
	}
}
