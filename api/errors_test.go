package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
)

func TestApperrRefusalsBecomeTheirProblems(t *testing.T) {
	cases := []struct {
		err    error
		status int
		typ    string
		detail string
		fields int
	}{
		{apperr.NotFound("no-such-order", "no such order"), 404, "no-such-order", "no such order", 0},
		{apperr.NotFound("", "no such member"), 404, "not-found", "no such member", 0},
		{apperr.Invalid("currency", "is not an ISO 4217 code"), 422, "validation", "currency: is not an ISO 4217 code", 1},
		{apperr.Missing("email", "name"), 422, "validation", "the request has invalid fields", 2},
		{apperr.State("the return is closed"), 409, "invalid-state", "the return is closed", 0},
		{apperr.Conflict("last-admin", "a merchant keeps one admin"), 409, "last-admin", "a merchant keeps one admin", 0},
		{apperr.Unauthenticated("bad-credentials", "wrong name or password"), 401, "bad-credentials", "wrong name or password", 0},
		{apperr.Forbidden("", "only admins"), 403, "forbidden", "only admins", 0},
		{apperr.Locked("account-locked", "locked for a while", time.Minute), 423, "account-locked", "locked for a while", 0},
		{apperr.Limited("", "slow down", 0), 429, "rate-limited", "slow down", 0},
		{apperr.Unavailable("", ""), 503, "unavailable", "unavailable", 0},
	}
	for _, c := range cases {
		p := domainProblem(fmt.Errorf("in a use case: %w", c.err))
		if p == nil {
			t.Fatalf("%v: no problem", c.err)
		}
		if p.Status != c.status || p.Type != "urn:rebound:problem:"+c.typ || p.Detail != c.detail || len(p.Errors) != c.fields ||
			p.Title != http.StatusText(c.status) {
			t.Errorf("%v: %+v", c.err, p)
		}
	}
	if p := domainProblem(apperr.Locked("account-locked", "", 90*time.Second)); p.retryAfter != 90*time.Second {
		t.Errorf("Retry-After %v", p.retryAfter)
	}
	if domainProblem(fmt.Errorf("plain")) != nil {
		t.Error("a plain error is not a domain refusal")
	}
}
