package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/app/wire"
	"github.com/rebound-returns/rebound/contract"
)

// The workflows' refusals, as app/wire hands them to the use cases, are
// answered with the problems the API built from Temporal's errors itself
// before the adapters moved out (the right-hand side is built that way),
// Retry-After included.
func TestWorkflowRefusalsBecomeTheSameProblems(t *testing.T) {
	limited := NewProblem(http.StatusTooManyRequests, "rate-limited", "too many codes")
	cases := []struct {
		name  string
		err   error
		want  *Problem
		retry string
	}{
		{"state", temporal.NewApplicationError("the return is received", contract.ErrInvalidState),
			NewProblem(http.StatusConflict, "invalid-state", "the return is received"), ""},
		{"input", temporal.NewApplicationError("line 3 is not in the return", contract.ErrInvalidInput),
			NewProblem(http.StatusUnprocessableEntity, "validation", "line 3 is not in the return"), ""},
		{"rate", temporal.NewApplicationError("too many codes", contract.ErrRateLimited, 42.0), limited, "42"},
		{"rate, no wait", temporal.NewApplicationError("too many codes", contract.ErrRateLimited), limited, ""},
		{"ended", serviceerror.NewNotFound("workflow gone"), NewProblem(http.StatusConflict, "invalid-state", "the return has ended"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := fmt.Errorf("send counter refund: %w", wire.Refusal(c.err))
			_, r := newRouter(Deps{})
			r.POST("/x", func(c *gin.Context) { fail(c, nil, err) })
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
			if got := problemOf(t, rec); rec.Code != c.want.Status || !reflect.DeepEqual(&got, c.want) {
				t.Fatalf("%d %+v, want %+v", rec.Code, got, c.want)
			}
			if got := rec.Header().Get("Retry-After"); got != c.retry {
				t.Fatalf("Retry-After %q, want %q", got, c.retry)
			}
		})
	}
	other := errors.New("connection reset")
	if wire.Refusal(other) != other || domainProblem(wire.Refusal(other)) != nil {
		t.Fatal("another failure is no refusal")
	}
}
