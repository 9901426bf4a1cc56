package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func readProblem(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != problemContentType {
		t.Fatalf("Content-Type = %q, want %s; body %s", ct, problemContentType, rec.Body)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != rec.Code || p.RequestID == "" || p.Type == "" || p.Title == "" {
		t.Fatalf("incomplete problem %+v for status %d", p, rec.Code)
	}
	return p
}

func TestReadyzNamesWhatIsDown(t *testing.T) {
	t.Parallel()
	up := func(context.Context) error { return nil }
	h := NewHandler(Deps{Ready: []Check{
		{Name: "database", Fn: up},
		{Name: "temporal", Fn: func(context.Context) error { return errors.New("temporal unreachable") }},
		{Name: "worker", Fn: func(ctx context.Context) error { <-ctx.Done(); return errors.New("no answer in time") }},
	}})
	start := time.Now()
	rec := get(t, h, "/readyz")
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("a hanging check held /readyz")
	}
	var body readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "unavailable" || strings.Join(body.Down, ",") != "temporal,worker" ||
		body.Checks["database"].Status != "up" || body.Checks["temporal"].Error != "temporal unreachable" {
		t.Fatalf("body = %+v", body)
	}

	h = NewHandler(Deps{Ready: []Check{{Name: "database", Fn: up}}})
	if rec := get(t, h, "/readyz"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"ready"`) {
		t.Fatalf("all up: %d %s", rec.Code, rec.Body)
	}
	if rec := get(t, h, "/healthz"); rec.Code != http.StatusOK {
		t.Fatalf("healthz: %d", rec.Code)
	}
}

func TestUnknownRoutesAndMethodsAnswerProblems(t *testing.T) {
	t.Parallel()
	h := NewHandler(Deps{})
	rec := get(t, h, "/v1/nowhere")
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status = %d", rec.Code)
	}
	if p := readProblem(t, rec); p.Instance != "/v1/nowhere" {
		t.Fatalf("instance = %q", p.Instance)
	}
	req := httptest.NewRequest(http.MethodDelete, "/healthz", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE /healthz = %d, want 405", rec.Code)
	}
	readProblem(t, rec)
}

func TestRequestIDIsEchoedOrMade(t *testing.T) {
	t.Parallel()
	h := NewHandler(Deps{})
	if got := get(t, h, "/healthz", requestIDHeader, "abc-123").Header().Get(requestIDHeader); got != "abc-123" {
		t.Fatalf("echoed id = %q", got)
	}
	made := get(t, h, "/healthz", requestIDHeader, "bad id\r\nwith spaces").Header().Get(requestIDHeader)
	if made == "" || strings.ContainsAny(made, " \r\n") {
		t.Fatalf("made id = %q", made)
	}
}

func TestMetricsExposeLatencyByRouteAndRuntime(t *testing.T) {
	t.Parallel()
	h := NewHandler(Deps{MetricsToken: testMetricsToken})
	get(t, h, "/healthz")
	get(t, h, "/nowhere/0190-abc") // unmatched: must not become a label of its own
	body := get(t, h, "/metrics", "Authorization", "Bearer "+testMetricsToken).Body.String()
	for _, want := range []string{
		`rebound_http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200"`,
		`route="unmatched",status="404"`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "0190-abc") {
		t.Error("a raw path became a metric label")
	}
}

func TestPanicsBecomeProblems(t *testing.T) {
	t.Parallel()
	_, r := newRouter(Deps{})
	r.GET("/boom", func(*gin.Context) { panic("secret internal state") })
	rec := get(t, r, "/boom")
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d", rec.Code)
	}
	if p := readProblem(t, rec); strings.Contains(p.Detail, "secret") {
		t.Fatalf("panic value leaked: %+v", p)
	}
}

func TestRouteDeadlineEndsSlowHandlers(t *testing.T) {
	t.Parallel()
	s, r := newRouter(Deps{})
	r.GET("/slow", deadline(100*time.Millisecond), func(c *gin.Context) {
		select {
		case <-c.Request.Context().Done():
			fail(c, s.log, c.Request.Context().Err())
		case <-time.After(10 * time.Second):
			c.Status(http.StatusOK)
		}
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	start := time.Now()
	resp, err := http.Get(srv.URL + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusGatewayTimeout || time.Since(start) > 5*time.Second {
		t.Fatalf("status %d after %s: %s", resp.StatusCode, time.Since(start), body)
	}
	if resp.Header.Get("Content-Type") != problemContentType {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
}

func TestDevOutboxExistsOnlyInDev(t *testing.T) {
	t.Parallel()
	if rec := get(t, NewHandler(Deps{}), "/v1/dev/outbox"); rec.Code != http.StatusNotFound {
		t.Fatalf("outside dev /v1/dev/outbox answers %d; want 404", rec.Code)
	}
}

func TestLooksLikeCardNumber(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"4111111111111111":          true,
		"4111 1111 1111 1111":       true,
		"4111-1111-1111-1111":       true,
		"4111.1111.1111.1111":       true,
		"card 5413330089604111 ok":  true,
		"4111111111111111 123":      true,  // with its CVV
		"4111 1111 1111 1111 12/25": true,  // with its expiry
		"378282246310005":           true,  // Amex, 15 digits
		"4111111111111112":          false, // fails Luhn
		"411111******1111":          false, // masked
		"633000000101":              false, // an RRN: 12 digits
		"+46 70 111 22 33":          false,
		"2026-11-26T10:00:00Z":      false,
		"":                          false,
	} {
		if got := LooksLikeCardNumber(s); got != want {
			t.Errorf("LooksLikeCardNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIDsAreNotMistakenForCards(t *testing.T) {
	t.Parallel()
	for i := 0; i < 20000; i++ {
		for _, id := range []string{uuid.NewString(), uuid.Must(uuid.NewV7()).String()} {
			if LooksLikeCardNumber(id) {
				t.Fatalf("the id %s looks like a card number", id)
			}
		}
	}
}
