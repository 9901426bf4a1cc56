package loadgen

// The load against a Rebound that is not `rebound dev`: its SMS sink, the
// payments it tells the gateway of, and its calls when an API goes away.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/notify"
)

// The sink takes what Rebound's own SMS sender posts, keeps it by number,
// and refuses what is not a message.
func TestSMSSinkKeepsWhatTheSenderPosts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := startSMSSink(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	sender := notify.NewSMS(notify.SMSConfig{URL: "http://" + s.addr + "/sms"})
	for i, text := range []string{"Your return code is 123456", "Your return code is 654321"} {
		if err := sender.Send(ctx, notify.Message{ID: "m" + strconv.Itoa(i), Channel: notify.SMS, To: "+15550100001", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	got := s.messages("+15550100001")
	if len(got) != 2 || got[1] != "Your return code is 654321" {
		t.Fatalf("messages %q", got)
	}
	if m := codeRe.FindStringSubmatch(got[len(got)-1]); m == nil || m[1] != "654321" {
		t.Fatalf("the newest code is not read: %v", m)
	}
	if len(s.messages("+15550100002")) != 0 {
		t.Fatal("another number has messages")
	}
	for _, body := range []string{"{", `{"body":"no number"}`} {
		res, err := http.Post("http://"+s.addr+"/sms", "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", body, res.StatusCode)
		}
	}
}

// Against a gateway that is not dev's, the load tells the gateway of each
// online payment first, under the merchant's account; a refusal stops the
// return with the gateway's answer.
func TestGatewayPaymentsAreRegisteredWhenAsked(t *testing.T) {
	var got []map[string]any
	var auth []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		got, auth = append(got, m), append(auth, r.Header.Get("Authorization"))
		if m["id"] == "pay_taken" {
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"error":"payment_exists"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer gw.Close()
	r := &run{l: &Lifecycle{GatewayURL: gw.URL, GatewayKey: "k", Merchant: "demo"}}
	if err := r.gatewayPayment(context.Background(), "pay_1", 2000); err != nil || len(got) != 0 {
		t.Fatalf("without RegisterPayments: %v, %d calls", err, len(got))
	}
	r.l.RegisterPayments = true
	if err := r.gatewayPayment(context.Background(), "pay_1", 2000); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0]["account"] != "demo" || got[0]["amount"] != float64(2000) || auth[0] != "Bearer k" {
		t.Fatalf("registered %v with %v", got, auth)
	}
	r.l.GatewayAccount = "shop-a"
	if err := r.gatewayPayment(context.Background(), "pay_taken", 2000); err == nil || !strings.Contains(err.Error(), "409") ||
		got[1]["account"] != "shop-a" {
		t.Fatalf("a refused payment: %v (%v)", err, got)
	}
}

// A call that finds an API gone (refused) or unavailable (503) goes again to
// the next one; other answers are the caller's.
func TestCallsGoAgainToTheNextAPIOnlyWhenNothingWasDone(t *testing.T) {
	var calls int
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer up.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // refuses connections from now on
	rec := newRecorder()
	c := newAPIClient([]string{gone.URL, up.URL}, rec, 1)
	if _, err := c.do(context.Background(), "POST /x", "POST", "/x", map[string]int{"a": 1}, 201); err != nil {
		t.Fatal(err)
	}
	if r := rec.retryCounts(); r["connection refused"] < 1 || r["503"] != 1 || calls != 2 {
		t.Fatalf("retries %v, calls %d", r, calls)
	}
	// A 409 is an answer: not sent again.
	conflict := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusConflict) }))
	defer conflict.Close()
	c = newAPIClient([]string{conflict.URL}, newRecorder(), 1)
	if _, err := c.do(context.Background(), "POST /x", "POST", "/x", nil, 201); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("a 409: %v", err)
	}
}
