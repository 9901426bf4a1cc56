package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

const (
	requestIDKey    = "request_id"
	requestIDHeader = "X-Request-ID"
)

// requestID takes a well-formed X-Request-ID from the client or makes one,
// and echoes it on the response.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(requestIDHeader)
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(requestIDKey, id)
		c.Header(requestIDHeader, id)
		c.Next()
	}
}

// validRequestID accepts a short token of letters, digits, '-', '_' and '.';
// one that looks like a card number is never adopted (inputHygiene then
// refuses the request), so it cannot reach the logs.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 || LooksLikeCardNumber(id) {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// routeLabel is the route pattern, never the raw path, so that metrics and
// logs group requests without ids in them.
func routeLabel(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// shownPath is the request's path for logs and problems: the route pattern
// instead when the path holds a card number, which is never repeated.
func shownPath(c *gin.Context) string {
	if p := c.Request.URL.Path; !LooksLikeCardNumber(p) {
		return p
	}
	return routeLabel(c)
}

// accessLog writes one line per request. It logs the path but never the
// query string or the body.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(c.Request.Context(), level, "http request",
			slog.String("request_id", c.GetString(requestIDKey)),
			slog.String("method", c.Request.Method),
			slog.String("route", routeLabel(c)),
			slog.String("path", shownPath(c)),
			slog.Int("status", status),
			slog.Int("bytes", c.Writer.Size()),
			slog.Duration("duration", time.Since(start)),
			slog.String("client", c.ClientIP()),
		)
	}
}

// recovery turns a panic into a logged 500 problem instead of a dropped
// connection. An aborted handler (http.ErrAbortHandler) is let through.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			log.ErrorContext(c.Request.Context(), "panic while serving request",
				"request_id", c.GetString(requestIDKey), "route", routeLabel(c),
				"panic", rec, "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				writeProblem(c, NewProblem(http.StatusInternalServerError, "internal", "an internal error occurred; quote the request id when reporting it"))
			} else {
				c.Abort()
			}
		}()
		c.Next()
	}
}

// observe records each request's latency by route, method and status.
func observe(m *Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		m.httpDuration.WithLabelValues(routeLabel(c), c.Request.Method, strconv.Itoa(c.Writer.Status())).
			Observe(time.Since(start).Seconds())
	}
}

// deadline bounds a route: its context ends after d, and the connection's
// read and write deadlines follow, so a slow client cannot hold it forever.
// The server itself sets no read or write timeout, so that routes which
// stream large bodies (uploads, exports) can choose a longer deadline.
func deadline(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		rc := http.NewResponseController(c.Writer)
		now := time.Now()
		// The connection gets a little longer than the handler, so that a
		// handler stopped by its deadline can still answer with a problem (an
		// expired read deadline would cancel the request as if the client
		// had gone).
		_ = rc.SetReadDeadline(now.Add(d + 5*time.Second))
		_ = rc.SetWriteDeadline(now.Add(d + 5*time.Second))
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
