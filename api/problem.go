package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/badinput"
	"github.com/rebound-returns/rebound/auth"
)

// Problem is an RFC 9457 problem detail. Every error the API answers is one.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`

	retryAfter time.Duration
}

// FieldError names one bad field of a request and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
	}
	return fmt.Sprintf("%d %s", p.Status, p.Title)
}

const problemContentType = "application/problem+json"

// NewProblem builds a problem of the given kind (a short slug such as
// "validation") with a human-readable detail.
func NewProblem(status int, kind, detail string) *Problem {
	title := http.StatusText(status)
	if title == "" {
		title = kind
	}
	return &Problem{
		Type:   "urn:rebound:problem:" + kind,
		Title:  title,
		Status: status,
		Detail: detail,
	}
}

// Invalid is a 422 naming the bad fields.
func Invalid(errs ...FieldError) *Problem {
	p := NewProblem(http.StatusUnprocessableEntity, "validation", "the request has invalid fields")
	if len(errs) == 1 {
		p.Detail = errs[0].Field + ": " + errs[0].Message
	}
	p.Errors = errs
	return p
}

// writeProblem answers with p, stamped with the request's id and path.
func writeProblem(c *gin.Context, p *Problem) {
	out := *p
	out.RequestID = c.GetString(requestIDKey)
	if out.Instance == "" {
		out.Instance = shownPath(c)
	}
	if p.retryAfter > 0 {
		c.Header("Retry-After", retryAfter(p.retryAfter))
	}
	c.Header("Content-Type", problemContentType)
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(out.Status, out)
}

// errBusy answers a request that found every password-hashing slot taken.
func errBusy() *Problem {
	p := NewProblem(http.StatusServiceUnavailable, "busy", "too many password checks at once; try again shortly")
	p.retryAfter = time.Second
	return p
}

// fail turns err into the answer: the one place where errors become status
// codes, the use cases' domain errors through one table (domainProblem). Errors that are not problems are logged and answered as 500 without
// their text, which may hold internal detail.
func fail(c *gin.Context, log *slog.Logger, err error) {
	if dp := domainProblem(err); dp != nil {
		writeProblem(c, dp)
		return
	}
	var p *Problem
	switch {
	case errors.As(err, &p):
		writeProblem(c, p)
	case errors.Is(err, auth.ErrBusy):
		writeProblem(c, errBusy())
	case errors.Is(err, context.DeadlineExceeded):
		writeProblem(c, NewProblem(http.StatusGatewayTimeout, "timeout", "the request took too long; it may still complete"))
	case errors.Is(err, context.Canceled):
		writeProblem(c, NewProblem(499, "canceled", "the client went away"))
	case badinput.Is(err):
		// The database refused a value the edge should have: a 422, logged
		// without the driver's message, which quotes the value.
		log.WarnContext(c.Request.Context(), "the database refused a value", "request_id", c.GetString(requestIDKey), "route", c.FullPath())
		writeProblem(c, Invalid(FieldError{Field: "request", Message: "holds a value the store cannot keep"}))
	default:
		log.ErrorContext(c.Request.Context(), "request failed", "request_id", c.GetString(requestIDKey), "route", c.FullPath(), "err", err)
		writeProblem(c, NewProblem(http.StatusInternalServerError, "internal", "an internal error occurred; quote the request id when reporting it"))
	}
}
