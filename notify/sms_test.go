package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rebound-returns/rebound/notify"
)

const smsToken = "tok_live_5f2b9c"

// smsProvider is a fake SMS API that records requests and answers with a
// fixed status and body.
type smsProvider struct {
	status int
	reply  string

	mu   sync.Mutex
	reqs []smsCall
}

type smsCall struct {
	method string
	header http.Header
	body   map[string]string
}

func (p *smsProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	raw, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(raw, &body)
	p.mu.Lock()
	p.reqs = append(p.reqs, smsCall{method: r.Method, header: r.Header.Clone(), body: body})
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(p.status)
	_, _ = io.WriteString(w, p.reply)
}

func (p *smsProvider) calls() []smsCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]smsCall(nil), p.reqs...)
}

func startSMSProvider(t *testing.T, status int, reply string) (*smsProvider, *httptest.Server) {
	t.Helper()
	p := &smsProvider{status: status, reply: reply}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv
}

func smsMessage() notify.Message {
	return notify.Message{ID: "out-81", Channel: notify.SMS, To: "+491701234567", Text: "Your Rebound code is 604213"}
}

func TestSMSSendsRequest(t *testing.T) {
	t.Parallel()
	p, srv := startSMSProvider(t, http.StatusAccepted, `{"id":"sm_1"}`)
	sender := notify.NewSMS(notify.SMSConfig{URL: srv.URL + "/v1/messages", Token: smsToken, Client: srv.Client()})

	if err := sender.Send(context.Background(), smsMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	calls := p.calls()
	if len(calls) != 1 {
		t.Fatalf("provider got %d requests, want 1", len(calls))
	}
	c := calls[0]
	if c.method != http.MethodPost {
		t.Errorf("method = %s, want POST", c.method)
	}
	for name, want := range map[string]string{
		"Authorization":   "Bearer " + smsToken,
		"Content-Type":    "application/json",
		"Idempotency-Key": "out-81",
	} {
		if got := c.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	want := map[string]string{"to": "+491701234567", "body": "Your Rebound code is 604213", "reference": "out-81"}
	if len(c.body) != len(want) {
		t.Errorf("body = %v, want %v", c.body, want)
	}
	for k, v := range want {
		if c.body[k] != v {
			t.Errorf("body[%q] = %q, want %q", k, c.body[k], v)
		}
	}
}

func TestSMSStatuses(t *testing.T) {
	t.Parallel()
	// The provider echoes the body and token in its message; errors must not.
	reply := `{"code":"invalid_destination","message":"cannot deliver 'Your Rebound code is 604213' with ` + smsToken + `"}`
	tests := []struct {
		status        int
		reply         string
		wantErr       bool
		wantPermanent bool
		wantCode      string
	}{
		{status: 200, reply: `{}`},
		{status: 400, reply: reply, wantErr: true, wantPermanent: true, wantCode: "invalid_destination"},
		{status: 401, reply: `{"error":{"code":20003,"message":"Authenticate"}}`, wantErr: true, wantPermanent: true, wantCode: "20003"},
		{status: 408, reply: ``, wantErr: true},
		{status: 429, reply: `{"error":"rate_limited"}`, wantErr: true, wantCode: "rate_limited"},
		{status: 503, reply: reply, wantErr: true, wantCode: "invalid_destination"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			_, srv := startSMSProvider(t, tt.status, tt.reply)
			err := notify.NewSMS(notify.SMSConfig{URL: srv.URL, Token: smsToken, Client: srv.Client()}).Send(context.Background(), smsMessage())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if notify.IsPermanent(err) != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.wantPermanent, tt.wantPermanent)
			}
			msg := err.Error()
			if !strings.Contains(msg, "status "+strconv.Itoa(tt.status)) {
				t.Errorf("error %q does not name status %d", msg, tt.status)
			}
			if !strings.Contains(msg, tt.wantCode) {
				t.Errorf("error %q does not name provider code %q", msg, tt.wantCode)
			}
			for _, secret := range []string{"604213", smsToken} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q leaks %q", msg, secret)
				}
			}
		})
	}
}

func TestSMSNetworkErrorIsTransient(t *testing.T) {
	t.Parallel()
	_, srv := startSMSProvider(t, http.StatusOK, `{}`)
	url := srv.URL
	srv.Close()

	err := notify.NewSMS(notify.SMSConfig{URL: url + "/send?key=" + smsToken, Token: smsToken}).Send(context.Background(), smsMessage())
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("Send = %v, want a transient error", err)
	}
	if strings.Contains(err.Error(), smsToken) || strings.Contains(err.Error(), "604213") {
		t.Errorf("error %q leaks the token or body", err)
	}
}

func TestSMSRejectsInvalidMessages(t *testing.T) {
	t.Parallel()
	p, srv := startSMSProvider(t, http.StatusOK, `{}`)
	tests := []struct {
		name string
		url  string
		edit func(m *notify.Message)
	}{
		{"not E.164", srv.URL, func(m *notify.Message) { m.To = "0170 1234567" }},
		{"empty body", srv.URL, func(m *notify.Message) { m.Text = "" }},
		{"empty ID", srv.URL, func(m *notify.Message) { m.ID = "" }},
		{"provider URL not http", "ftp://sms.example.com/send", func(*notify.Message) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := smsMessage()
			tt.edit(&m)
			err := notify.NewSMS(notify.SMSConfig{URL: tt.url, Token: smsToken, Client: srv.Client()}).Send(context.Background(), m)
			if !notify.IsPermanent(err) {
				t.Errorf("Send = %v, want a permanent error", err)
			}
		})
	}
	t.Cleanup(func() {
		if n := len(p.calls()); n != 0 {
			t.Errorf("provider got %d requests, want 0", n)
		}
	})
}
