package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// How the generated negative test sends its requests and judges the
// answers.

func (r *negRun) sendAll(reqs []negRequest) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	for _, q := range reqs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r.judge(q, r.send(q))
		})
	}
	wg.Wait()
}

// send makes one request; headers with control bytes go out over a raw
// connection, for Go's client refuses them.
func (r *negRun) send(q negRequest) negResult {
	r.sent.Add(1)
	header := append(append([]string{}, q.who.header...), q.header...)
	valid := validHeaders(q.op)
	for i := 0; i+1 < len(valid); i += 2 {
		if !slices.ContainsFunc(q.header, func(s string) bool { return strings.EqualFold(s, valid[i]) }) {
			header = append(header, valid[i], valid[i+1])
		}
	}
	// Fresh numbers for uniq, and the credit code of the resource's
	// owner, in the body and the headers.
	owner := r.a
	if q.owner == "B" {
		owner = r.b
	}
	n := fmt.Sprintf("%07d", r.uniq.Add(1))
	q.body = bytes.ReplaceAll(bytes.ReplaceAll(q.body, []byte(uniq), []byte(n)), []byte(creditCodeMark), []byte(owner.res["credit code"]))
	for i := 1; i < len(header); i += 2 {
		header[i] = strings.ReplaceAll(strings.ReplaceAll(header[i], uniq, n), creditCodeMark, owner.res["credit code"])
	}
	if q.who.name == "signed" {
		header = append(header, "X-Rebound-Signature", sign(carrierSecret, q.body), "X-Gateway-Signature", sign(gatewaySecret, q.body))
	}
	if q.ctype != "" {
		header = append(header, "Content-Type", q.ctype)
	}
	method := q.op.Method
	if method == "" {
		method = "GET"
	}
	res := r.sendOnce(method, q, header)
	// A 503 that asks to come back (a busy pool of password hashing) is
	// tried again after the wait, up to three times: it is the caller's
	// cue, not a failure. One that still answers 503 is judged.
	for try := 0; res.retryAfter > 0 && res.status == 503 && try < 3; try++ {
		time.Sleep(min(res.retryAfter, 3*time.Second))
		res = r.sendOnce(method, q, header)
	}
	return res
}

// sendOnce sends the request once.
func (r *negRun) sendOnce(method string, q negRequest, header []string) negResult {
	raw := false
	for _, h := range header {
		if strings.ContainsAny(h, "\x00\r\n") {
			raw = true
		}
	}
	var res negResult
	if raw {
		res = r.sendRaw(method, q.path, header, q.body)
	} else {
		req, err := http.NewRequest(method, r.base+q.path, bytes.NewReader(q.body))
		if err != nil {
			return negResult{err: err}
		}
		if q.body == nil {
			req.Body, req.ContentLength = nil, 0
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header[http.CanonicalHeaderKey(header[i])] = []string{header[i+1]}
		}
		resp, err := r.client.Do(req)
		if err != nil {
			return negResult{err: err}
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		res = negResult{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: b}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
			res.retryAfter = time.Duration(max(secs, 1)) * time.Second
		}
	}
	return res
}

func (r *negRun) sendRaw(method, path string, header []string, body []byte) negResult {
	host := strings.TrimPrefix(r.base, "http://")
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return negResult{err: err}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: %d\r\n", method, path, host, len(body))
	for i := 0; i+1 < len(header); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", header[i], header[i+1])
	}
	b.WriteString("\r\n")
	b.Write(body)
	if _, err := conn.Write(b.Bytes()); err != nil {
		return negResult{err: err}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return negResult{err: err}
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	res := negResult{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: rb}
	// Go's server answers a malformed header itself, before any handler.
	res.transport = resp.StatusCode == 400 && strings.HasPrefix(string(rb), "400 Bad Request")
	return res
}

// judge records what is wrong with an answer.
func (r *negRun) judge(q negRequest, res negResult) {
	r.mu.Lock()
	r.statuses[res.status]++
	r.mu.Unlock()
	what := fmt.Sprintf("%s %s [%s] as %s", q.op.Method, q.op.Path, q.label, q.who.name)
	snippet := string(res.body)
	if len(snippet) > 200 {
		snippet = snippet[:200] + "…"
	}
	switch {
	case res.err != nil:
		r.find(q.op.String()+": no answer", what+": "+res.err.Error())
		return
	case res.transport:
		r.mu.Lock()
		r.transport++
		r.mu.Unlock()
		return
	case res.status >= 500 && !documented(q.op, res.status):
		r.find(fmt.Sprintf("%s: %d", q.op, res.status), what+": "+snippet)
	case res.status >= 400 && res.status < 500:
		mt, _, _ := mime.ParseMediaType(res.ctype)
		var p struct{ Status int }
		if mt != "application/problem+json" || json.Unmarshal(res.body, &p) != nil || p.Status != res.status {
			r.find(fmt.Sprintf("%s: %d not problem+json", q.op, res.status), what+": "+res.ctype+" "+snippet)
		}
	case res.status >= 200 && res.status < 300:
		if os.Getenv("REBOUND_NEGATIVE_VERBOSE") != "" {
			r.t.Logf("accepted %d: %s", res.status, what)
		}
		// Public routes (a new code for a return, a lookup's check) take
		// no credentials: whoever sends them is nobody to them.
		if len(q.op.Security) == 0 {
			return
		}
		if q.owner != "" && q.who.tenant != "" && q.who.tenant != q.owner {
			r.find(fmt.Sprintf("%s: cross-tenant %d", q.op, res.status), what+" on "+q.kind+" "+q.resID+": "+snippet)
		}
		if q.kind != "" && q.who.shopper && q.resID != q.who.ownReturn {
			r.find(fmt.Sprintf("%s: shopper token opened another resource (%d)", q.op, res.status), what+" on "+q.kind+" "+q.resID+": "+snippet)
		}
		if q.who.tenant != "" {
			other := r.b
			if q.who.tenant == "B" {
				other = r.a
			}
			for _, m := range other.markers {
				if m != "" && bytes.Contains(res.body, []byte(m)) {
					r.find(fmt.Sprintf("%s: shows merchant %s's data to %s", q.op, other.name, q.who.name), what+": holds "+m)
					break
				}
			}
		}
	}
}

// documented is whether the spec lists the status for the operation (so a
// 503 of /readyz is no failure).
func documented(o specOp, status int) bool {
	return slices.Contains(o.Responses, strconv.Itoa(status))
}

func (r *negRun) find(why, example string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.findings[why] = append(r.findings[why], example)
}

func (r *negRun) report(took time.Duration) {
	var codes []string
	for c, n := range r.statuses {
		codes = append(codes, strconv.Itoa(c)+":"+strconv.Itoa(n))
	}
	sort.Strings(codes)
	r.t.Logf("generated negative test: %d requests in %s; statuses %s; %d refused by Go's HTTP server before Rebound (malformed headers)",
		r.sent.Load(), took.Round(time.Second), strings.Join(codes, " "), r.transport)
	whys := make([]string, 0, len(r.findings))
	for w := range r.findings {
		whys = append(whys, w)
	}
	sort.Strings(whys)
	for _, w := range whys {
		ex := r.findings[w]
		sort.Strings(ex)
		shown := ex
		if os.Getenv("REBOUND_NEGATIVE_VERBOSE") == "" {
			shown = ex[:min(len(ex), 5)]
		}
		r.t.Errorf("%s (%d requests), e.g.:\n\t%s", w, len(ex), strings.Join(shown, "\n\t"))
	}
}
