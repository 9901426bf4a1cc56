package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// apiError is a problem+json answer of the API, read back for a page.
type apiError struct {
	Status int
	Type   string
	Title  string
	Detail string
	// Fields maps a request field to what is wrong with it.
	Fields map[string]string
}

func (e *apiError) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return e.Title
}

// request is one call of the API on behalf of a page's visitor.
type request struct {
	method, path string
	token        string // the visitor's bearer token, if any
	body         any    // JSON-encoded, unless an io.Reader
	contentType  string // for an io.Reader body
	header       http.Header
}

// call runs the API in process for the visitor of r and decodes its JSON
// answer into out. The visitor's address and request id go along, so the
// API's limits and audit log see the real origin. An answer of 4xx or 5xx
// is an *apiError.
func (s *site) call(r *http.Request, q request, out any) error {
	var body io.Reader = http.NoBody // as a server's request always has one
	ct := q.contentType
	switch b := q.body.(type) {
	case nil:
	case io.Reader:
		body = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", q.method, q.path, err)
		}
		body, ct = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequestWithContext(r.Context(), q.method, q.path, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", q.method, q.path, err)
	}
	req.RemoteAddr = r.RemoteAddr
	for _, h := range []string{"X-Forwarded-For", "X-Request-Id", "User-Agent"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	for k, v := range q.header {
		req.Header[k] = v
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if q.token != "" {
		req.Header.Set("Authorization", "Bearer "+q.token)
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	s.deps.API.ServeHTTP(rec, req)
	if rec.status >= 400 {
		return decodeProblem(rec.status, rec.body.Bytes())
	}
	if out == nil || rec.body.Len() == 0 {
		return nil
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return fmt.Errorf("decode %s %s: %w", q.method, q.path, err)
	}
	return nil
}

// proxy streams an API answer (a CSV export, a label) to the visitor as is.
func (s *site) proxy(w http.ResponseWriter, r *http.Request, q request) {
	req, err := http.NewRequestWithContext(r.Context(), q.method, q.path, http.NoBody)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "That link is not valid.")
		return
	}
	req.RemoteAddr = r.RemoteAddr
	for k, v := range q.header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+q.token)
	s.deps.API.ServeHTTP(w, req)
}

func decodeProblem(status int, b []byte) *apiError {
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(b, &p)
	e := &apiError{Status: status, Type: p.Type, Title: p.Title, Detail: p.Detail, Fields: map[string]string{}}
	if e.Title == "" {
		e.Title = http.StatusText(status)
	}
	for _, f := range p.Errors {
		if _, seen := e.Fields[f.Field]; !seen {
			e.Fields[f.Field] = f.Message
		}
	}
	return e
}

// recorder keeps an in-process answer of the API.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
