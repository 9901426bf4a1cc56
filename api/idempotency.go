package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// recorder keeps a copy of what a handler writes.
type recorder struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteString(s string) (int, error) {
	r.body.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}

// idempotent gives a POST the semantics of an Idempotency-Key: the same key
// and body replay the first answer; another body under the key is a 422; a
// request still in flight is a 409. Keys are scoped by who calls (the
// merchant for integrations, "public" for shoppers). Server errors release
// the key so that the client can retry.
func (s *server) idempotent(c *gin.Context) {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		c.Next()
		return
	}
	if len(key) > 255 {
		fail(c, s.log, Invalid(FieldError{Field: "Idempotency-Key", Message: "must be at most 255 characters"}))
		return
	}
	body, err := readBody(c)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	scope := "public"
	if p := principalOf(c); p != nil && p.MerchantID != "" {
		scope = "merchant:" + p.MerchantID
	}
	scope += " " + c.Request.Method + " " + c.FullPath()
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	ctx := c.Request.Context()
	rec, claimed, err := s.deps.DB.ClaimIdempotencyKey(ctx, scope, key, hash)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	if !claimed {
		switch {
		case rec.RequestHash != hash:
			fail(c, s.log, NewProblem(http.StatusUnprocessableEntity, "idempotency-key-reused", "this Idempotency-Key was used with another body"))
		case rec.State != "done":
			fail(c, s.log, NewProblem(http.StatusConflict, "in-flight", "a request with this Idempotency-Key is still being handled"))
		default:
			c.Header("Idempotent-Replayed", "true")
			ct := "application/json"
			if rec.ResponseStatus >= 400 {
				ct = problemContentType
			}
			c.Data(rec.ResponseStatus, ct, []byte(rec.ResponseBody))
			c.Abort()
		}
		return
	}
	rw := &recorder{ResponseWriter: c.Writer}
	c.Writer = rw
	// The answer is stored even if the client went away meanwhile.
	store := func(fn func(ctx context.Context) error) {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := fn(sctx); err != nil {
			s.log.Error("idempotency key not recorded", "err", err)
		}
	}
	defer func() {
		if rec := recover(); rec != nil {
			store(func(ctx context.Context) error { return s.deps.DB.ReleaseIdempotencyKey(ctx, scope, key) })
			panic(rec)
		}
	}()
	c.Next()
	switch status := rw.Status(); {
	case status == http.StatusGatewayTimeout || status == 499:
		// It may still complete: the key stays in flight (409) until it
		// goes stale, rather than let a retry do it twice.
	case status >= 500:
		store(func(ctx context.Context) error { return s.deps.DB.ReleaseIdempotencyKey(ctx, scope, key) })
	default:
		store(func(ctx context.Context) error {
			return s.deps.DB.FinishIdempotencyKey(ctx, scope, key, status, rw.body.Bytes())
		})
	}
}
