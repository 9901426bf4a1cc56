// Package web is Rebound's pages: the shoppers' returns portal (/r/…), the
// merchant console (/console) and the finance dashboard (/console/finance).
// Pages are rendered on the server from templates embedded in the binary;
// every action goes through the JSON API in process, so a page obeys the
// same rules, answers the same errors and leaves the same audit trail as a
// call to the API.
package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/cardnumber"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps is what the pages need.
type Deps struct {
	// API is the JSON API's handler; pages call it in process.
	API    http.Handler
	Logger *slog.Logger
	// Dev drops the Secure flag of cookies (plain http on a laptop) and
	// shows the demo's hints.
	Dev bool
	// Secret keys the CSRF tokens.
	Secret []byte
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

type site struct {
	deps  Deps
	log   *slog.Logger
	pages map[string]*pageTemplate
	csrf  []byte
}

// Handler serves the pages and hands every other path to the API.
func Handler(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &site{deps: d, log: d.Logger, pages: mustParsePages()}
	mac := hmac.New(sha256.New, d.Secret)
	mac.Write([]byte("rebound web csrf"))
	s.csrf = mac.Sum(nil)

	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(24*time.Hour, http.FileServerFS(static))))
	s.routesConsole(mux)
	s.routesFinance(mux)
	s.routesFinanceLists(mux)
	s.routesAudit(mux)
	s.routesPortal(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isPage(r.URL.Path) {
			s.serve(mux, w, r)
			return
		}
		d.API.ServeHTTP(w, r)
	})
}

// isPage tells the pages' paths from the API's.
func isPage(p string) bool {
	for _, prefix := range []string{"/console", "/r/", "/static/"} {
		if p == prefix || strings.HasPrefix(p, prefix+"/") || (strings.HasSuffix(prefix, "/") && strings.HasPrefix(p, prefix)) {
			return true
		}
	}
	return p == "/"
}

// serve runs a page with the headers every page carries, logs it and
// turns a panic into an error page.
func (s *site) serve(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			s.log.ErrorContext(r.Context(), "page panicked", "path", loggedPath(r), "panic", v)
			if !sw.wrote {
				s.errorPage(sw, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
			}
		}
		s.log.InfoContext(r.Context(), "page", "method", r.Method, "path", loggedPath(r), "status", sw.status,
			"duration_ms", time.Since(start).Milliseconds())
	}()
	if r.URL.Path == "/" {
		http.Redirect(sw, r, "/console", http.StatusFound)
		return
	}
	mux.ServeHTTP(sw, r)
}

// loggedPath is the page's path for the log, unless it holds a card number,
// which is never written down.
func loggedPath(r *http.Request) string {
	if cardnumber.In(r.URL.Path) {
		return "(a path holding a card number)"
	}
	return r.URL.Path
}

func (s *site) now() time.Time {
	if s.deps.Now != nil {
		return s.deps.Now()
	}
	return time.Now()
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+itoa(int64(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
