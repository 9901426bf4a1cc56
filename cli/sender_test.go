package cli

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/rebound-returns/rebound/config"
	"github.com/rebound-returns/rebound/notify"
)

// The worker's sender posts webhooks through notify.PublicClient outside
// dev: a delivery to a loopback server is refused as it dials (permanent,
// with notify.ErrRefusedAddress) and never reaches it; in dev the same
// delivery reaches the laptop's own server.
func TestSenderRefusesLoopbackWebhooksOutsideDev(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	m := notify.Message{ID: "evt-sender-1", Channel: notify.Webhook, To: srv.URL + "/hook", Text: `{"event":"return.filed"}`, Secret: "whsec"}

	for _, mode := range []config.Mode{config.ModeWorker, config.ModeAPI} {
		err := newSender(&config.Config{Mode: mode}).Send(context.Background(), m)
		if !errors.Is(err, notify.ErrRefusedAddress) || !notify.IsPermanent(err) {
			t.Fatalf("%s: a webhook to %s: %v, want a permanent notify.ErrRefusedAddress", mode, srv.URL, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("outside dev the loopback server was reached %d times", n)
	}

	if err := newSender(&config.Config{Mode: config.ModeDev}).Send(context.Background(), m); err != nil {
		t.Fatalf("dev: %v", err)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("dev reached the loopback server %d times, want 1", n)
	}
}
