package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// apiClient calls one or several Rebound API addresses in turn and times
// every call under its route (the path with ids as {id}).
type apiClient struct {
	bases []string
	next  atomic.Uint64
	http  *http.Client
	rec   *recorder
}

func newAPIClient(bases []string, rec *recorder, conns int) *apiClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns * 4
	t.MaxIdleConnsPerHost = conns * 2
	return &apiClient{bases: bases, rec: rec, http: &http.Client{Transport: t, Timeout: 60 * time.Second}}
}

// base is the next address, round robin.
func (c *apiClient) base() string {
	return c.bases[(c.next.Add(1)-1)%uint64(len(c.bases))]
}

// answer is an HTTP answer, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(into any) error { return json.Unmarshal(a.body, into) }

// statusError is an answer that was not the one wanted; its kind names the
// route and status, which is how the report counts errors.
type statusError struct {
	route  string
	status int
	body   string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s answered %d: %s", e.route, e.status, e.body)
}

func (e *statusError) kind() string { return fmt.Sprintf("%s: HTTP %d", e.route, e.status) }

// errKind is how the report counts err.
func errKind(err error) string {
	var se *statusError
	switch {
	case errors.As(err, &se):
		return se.kind()
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var te *timeoutError
	if errors.As(err, &te) {
		return te.kind()
	}
	return "transport: " + firstLine(err.Error())
}

// timeoutError is a return that did not reach a status in time.
type timeoutError struct{ want, last string }

func (e *timeoutError) Error() string {
	return fmt.Sprintf("never reached %s (last %s)", e.want, e.last)
}
func (e *timeoutError) kind() string {
	return "timed out waiting for " + e.want + " (last " + e.last + ")"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// do makes one call and times it under route; body is JSON-encoded unless
// it is already []byte. header holds pairs of names and values. want is
// the status expected; any other is a *statusError.
func (c *apiClient) do(ctx context.Context, route, method, path string, body any, want int, header ...string) (answer, error) {
	var payload []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		payload = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return answer{}, err
		}
		payload = j
	}
	for try := 1; ; try++ {
		a, err := c.once(ctx, route, method, path, payload, header)
		why := retryable(a, err)
		if why == "" || try >= callTries || ctx.Err() != nil {
			if err != nil {
				return a, err
			}
			if a.status != want {
				return a, &statusError{route: route, status: a.status, body: firstLine(string(a.body))}
			}
			return a, nil
		}
		// The next try goes to the next API, as a load balancer would.
		c.rec.retried(why)
		if err := sleep(ctx, min(time.Duration(try)*100*time.Millisecond, time.Second)); err != nil {
			return a, err
		}
	}
}

// callTries bounds how often a call is sent to an API that is not there:
// long enough for a process to restart (some 10 s).
const callTries = 20

// retryable says why a call may be sent again, or "": the connection was
// refused (the request never left), or the API answered 503 (it did
// nothing: a part it needs did not answer).
func retryable(a answer, err error) string {
	var op *net.OpError
	switch {
	case err != nil && errors.As(err, &op) && op.Op == "dial":
		return "connection refused"
	case err == nil && a.status == http.StatusServiceUnavailable:
		return "503"
	}
	return ""
}

// once sends a call one time.
func (c *apiClient) once(ctx context.Context, route, method, path string, payload []byte, header []string) (answer, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base()+path, rd)
	if err != nil {
		return answer{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.rec.add(route, time.Since(start))
	if err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}
