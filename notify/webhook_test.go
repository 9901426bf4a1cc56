package notify_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/notify"
)

const webhookSecret = "whsec_merchant_42"

type webhookCall struct {
	path   string
	header http.Header
	body   []byte
}

// merchant is a fake merchant endpoint that records requests and answers
// with a fixed status.
type merchant struct {
	status int

	mu    sync.Mutex
	calls []webhookCall
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.calls = append(m.calls, webhookCall{path: r.URL.Path, header: r.Header.Clone(), body: body})
	m.mu.Unlock()
	if r.URL.Path == "/moved" {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
		return
	}
	w.WriteHeader(m.status)
}

func (m *merchant) received() []webhookCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]webhookCall(nil), m.calls...)
}

func startMerchant(t *testing.T, status int) (*merchant, *httptest.Server) {
	t.Helper()
	m := &merchant{status: status}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, srv
}

func webhookMessage(url string) notify.Message {
	return notify.Message{ID: "evt-1001", Channel: notify.Webhook, To: url, Text: `{"type":"return.received","return_id":"r_77"}`, Secret: webhookSecret}
}

func TestWebhookSendsSignedRequest(t *testing.T) {
	t.Parallel()
	m, srv := startMerchant(t, http.StatusNoContent)
	msg := webhookMessage(srv.URL + "/hooks/rebound")

	if err := notify.NewWebhook(srv.Client()).Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	calls := m.received()
	if len(calls) != 1 {
		t.Fatalf("merchant got %d requests, want 1", len(calls))
	}
	c := calls[0]
	if c.path != "/hooks/rebound" || string(c.body) != msg.Text {
		t.Errorf("got %s with body %s, want /hooks/rebound with %s", c.path, c.body, msg.Text)
	}
	if got := c.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := c.header.Get(notify.HeaderEventID); got != "evt-1001" {
		t.Errorf("%s = %q, want evt-1001", notify.HeaderEventID, got)
	}
	ts, err := strconv.ParseInt(c.header.Get(notify.HeaderTimestamp), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
		t.Errorf("%s = %q, want the current Unix time", notify.HeaderTimestamp, c.header.Get(notify.HeaderTimestamp))
	}

	sig := c.header.Get(notify.HeaderSignature)
	if !notify.Verify(webhookSecret, c.body, sig) {
		t.Errorf("signature %q does not verify", sig)
	}
	tampered := []byte(`{"type":"return.received","return_id":"r_78"}`)
	for name, ok := range map[string]bool{
		"tampered body": notify.Verify(webhookSecret, tampered, sig),
		"wrong secret":  notify.Verify("whsec_other", c.body, sig),
		"empty secret":  notify.Verify("", c.body, notify.Sign("", c.body)),
		"not hex":       notify.Verify(webhookSecret, c.body, "zz"+sig[2:]),
		"truncated":     notify.Verify(webhookSecret, c.body, sig[:len(sig)-2]),
	} {
		if ok {
			t.Errorf("Verify accepted a signature with %s", name)
		}
	}
}

func TestWebhookStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status        int
		wantErr       bool
		wantPermanent bool
	}{
		{status: 200},
		{status: 202},
		{status: 400, wantErr: true, wantPermanent: true},
		{status: 410, wantErr: true, wantPermanent: true},
		{status: 408, wantErr: true},
		{status: 429, wantErr: true},
		{status: 500, wantErr: true},
		{status: 502, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			t.Parallel()
			_, srv := startMerchant(t, tt.status)
			err := notify.NewWebhook(srv.Client()).Send(context.Background(), webhookMessage(srv.URL))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && notify.IsPermanent(err) != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.wantPermanent, tt.wantPermanent)
			}
		})
	}
}

func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	m, srv := startMerchant(t, http.StatusOK)
	// Following a 302 would turn the POST into a bodiless GET whose 200
	// looks like a delivery.
	err := notify.NewWebhook(nil).Send(context.Background(), webhookMessage(srv.URL+"/moved"))
	if err == nil {
		t.Fatal("Send succeeded, want an error for a redirect")
	}
	if calls := m.received(); len(calls) != 1 || calls[0].path != "/moved" {
		t.Errorf("merchant got %+v, want only the POST to /moved", calls)
	}
}

func TestWebhookRejectsInvalidMessages(t *testing.T) {
	t.Parallel()
	m, srv := startMerchant(t, http.StatusOK)
	tests := []struct {
		name string
		edit func(msg *notify.Message)
	}{
		{"file URL", func(msg *notify.Message) { msg.To = "file:///etc/passwd" }},
		{"ftp URL", func(msg *notify.Message) { msg.To = "ftp://merchant.example/hook" }},
		{"relative URL", func(msg *notify.Message) { msg.To = "/hooks/rebound" }},
		{"empty URL", func(msg *notify.Message) { msg.To = "" }},
		{"no secret", func(msg *notify.Message) { msg.Secret = "" }},
		{"payload not JSON", func(msg *notify.Message) { msg.Text = "return received" }},
		{"ID with line break", func(msg *notify.Message) { msg.ID = "evt\r\nX-Injected: 1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msg := webhookMessage(srv.URL)
			tt.edit(&msg)
			err := notify.NewWebhook(srv.Client()).Send(context.Background(), msg)
			if !notify.IsPermanent(err) {
				t.Errorf("Send = %v, want a permanent error", err)
			}
		})
	}
	t.Cleanup(func() {
		if n := len(m.received()); n != 0 {
			t.Errorf("merchant got %d requests, want 0", n)
		}
	})
}

func TestSignIsHexHMACSHA256(t *testing.T) {
	t.Parallel()
	// RFC 4231, test case 2.
	got := notify.Sign("Jefe", []byte("what do ya want for nothing?"))
	want := "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
