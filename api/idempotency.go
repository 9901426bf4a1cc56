package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/idempotency"
	"github.com/rebound-returns/rebound/auth"
)

// idempotencyKeys keeps the records of Idempotency-Keys and reopens a
// replayed filing to its holder (*idempotency.Keys).
type idempotencyKeys interface {
	Claim(ctx context.Context, scope, key, hash string) (idempotency.Record, bool, error)
	Release(ctx context.Context, scope, key string) error
	Finish(ctx context.Context, scope, key string, status int, body []byte) error
	ShopperSession(ctx context.Context, returnID string) (token string, expiresAt time.Time, err error)
}

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
// request still in flight is a 409. A key is the caller's own and names one
// request: it is scoped to the principal, the method and the concrete path
// (see idempotencyScope), so the same key on another return does that
// return's work. Only successful answers are kept: a 4xx or a server error
// releases the key, so that the client can correct the request or retry.
func (s *server) idempotent(c *gin.Context) {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		c.Next()
		return
	}
	k, err := s.claimKey(c, key)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	if !k.claimed {
		if err := s.replay(c, k); err != nil {
			fail(c, s.log, err)
		}
		return
	}
	s.runKeyed(c, k)
}

// keyed is a request under an Idempotency-Key: whose key it is and what it
// names (scope), the hash of its body, and the key's record when another
// request claimed it first.
type keyed struct {
	scope, key, hash string
	lookup, claimed  bool
	rec              idempotency.Record
}

// claimKey claims the request's key, or finds the request that did.
func (s *server) claimKey(c *gin.Context, key string) (keyed, error) {
	if len(key) > 255 {
		return keyed{}, Invalid(FieldError{Field: "Idempotency-Key", Message: "must be at most 255 characters"})
	}
	body, err := readBody(c)
	if err != nil {
		return keyed{}, err
	}
	k := keyed{key: key}
	k.scope, k.lookup = idempotencyScope(c)
	sum := sha256.Sum256(body)
	k.hash = hex.EncodeToString(sum[:])
	k.rec, k.claimed, err = s.idem.Claim(c.Request.Context(), k.scope, key, k.hash)
	return k, err
}

// replay answers a request whose key another request claimed: that
// request's answer once it is done, else why not.
func (s *server) replay(c *gin.Context, k keyed) error {
	switch rec := k.rec; {
	case rec.RequestHash != k.hash:
		return NewProblem(http.StatusUnprocessableEntity, "idempotency-key-reused", "this Idempotency-Key was used with another body")
	case rec.State != idempotency.Done:
		return NewProblem(http.StatusConflict, "in-flight", "a request with this Idempotency-Key is still being handled")
	}
	c.Header("Idempotent-Replayed", "true")
	ct := "application/json"
	if k.rec.ResponseStatus >= 400 {
		ct = problemContentType
	}
	out := []byte(k.rec.ResponseBody)
	if k.lookup && k.rec.ResponseStatus < 300 {
		// The stored answer holds no token: the holder of a live order
		// access gets a new one.
		if _, err := s.lookupOfRequest(c); err != nil {
			return err
		}
		var err error
		if out, err = s.reissueShopperToken(c.Request.Context(), out); err != nil {
			return err
		}
	}
	c.Data(k.rec.ResponseStatus, ct, out)
	c.Abort()
	return nil
}

// runKeyed runs the request whose key it claimed and keeps its answer, or
// releases the key when there is nothing a retry could repeat.
func (s *server) runKeyed(c *gin.Context, k keyed) {
	ctx := c.Request.Context()
	release := func(ctx context.Context) error { return s.idem.Release(ctx, k.scope, k.key) }
	rw := &recorder{ResponseWriter: c.Writer}
	c.Writer = rw
	defer func() {
		if rec := recover(); rec != nil {
			s.storeKey(ctx, release)
			panic(rec)
		}
	}()
	c.Next()
	switch status := rw.Status(); {
	case status == http.StatusGatewayTimeout || status == 499:
		// It may still complete: the key stays in flight (409) until it
		// goes stale, rather than let a retry do it twice.
	case status >= 400:
		// Refused (4xx: a conflict, a bad field) or failed (5xx): nothing
		// was done that a retry could repeat, and the answer may not hold
		// next time, so it is not kept.
		s.storeKey(ctx, release)
	default:
		s.storeKey(ctx, func(ctx context.Context) error {
			return s.idem.Finish(ctx, k.scope, k.key, status, withoutToken(rw.body.Bytes()))
		})
	}
}

// storeKey writes to the key's record even if the client went away
// meanwhile; a failure is logged.
func (s *server) storeKey(ctx context.Context, fn func(ctx context.Context) error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := fn(sctx); err != nil {
		s.log.Error("idempotency key not recorded", "err", err)
	}
}

// idempotencyScope is whose key it is and what it names: the principal, the
// method and the concrete path (/v1/merchant/returns/R1/in-store-refund, not
// the route's pattern). The principal is the authenticated caller — a staff
// member, an API key (by its hash), a shopper's session — else the holder of
// an order's access token (lookup: replays hand that holder a new shopper
// token), else, for anonymous callers, the client's address.
func idempotencyScope(c *gin.Context) (scope string, lookup bool) {
	bearer, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	var who string
	switch p := principalOf(c); {
	case p != nil && p.Kind == kindStaff:
		who = "staff:" + p.MerchantID + "/" + p.UserID
	case p != nil && p.Kind == kindIntegration:
		who = "api-key:" + p.MerchantID + "/" + auth.HashToken(c.GetHeader("X-API-Key"))
	case p != nil && p.Kind == kindShopper:
		who = "shopper:" + auth.HashToken(bearer)
	case strings.HasPrefix(bearer, prefixOrderAccess):
		who, lookup = "lookup:"+auth.HashToken(bearer), true
	default:
		who = "ip:" + c.ClientIP()
	}
	path := c.Request.URL.Path
	if len(path) > maxScopedPath {
		sum := sha256.Sum256([]byte(path))
		path = "sha256:" + hex.EncodeToString(sum[:])
	}
	return who + " " + c.Request.Method + " " + path, lookup
}

// maxScopedPath is the longest path kept as it is in a scope; a longer one
// is kept as its hash, so that a scope stays a short key.
const maxScopedPath = 200

// withoutToken blanks a bearer token in an answer before it is stored:
// tokens are kept only as hashes, in sessions.
func withoutToken(body []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	if _, ok := m["token"]; !ok {
		return body
	}
	delete(m, "token")
	delete(m, "expires_at")
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// reissueShopperToken answers a replayed filing with a new token for the
// return it filed.
func (s *server) reissueShopperToken(ctx context.Context, body []byte) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	id, _ := m["id"].(string)
	token, expiresAt, err := s.idem.ShopperSession(ctx, id)
	if err != nil {
		return nil, err
	}
	m["token"], m["expires_at"] = token, expiresAt
	return json.Marshal(m)
}
