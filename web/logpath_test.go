package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Issue 13, finding 5: a card number never reaches a log. A page whose path
// holds one is logged without it.
func TestPageLogNeverHoldsACardNumber(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "id: looks like a full card number", nil)
	})
	h := Handler(Deps{API: api, Secret: testSecret, Logger: slog.New(slog.NewTextHandler(&log, nil)),
		Now: func() time.Time { return time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC) }})
	do(h, "GET", "/r/demo/returns/4111-1111-1111-1111", nil)
	do(h, "GET", "/r/demo/returns/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", nil)
	if strings.Contains(log.String(), "4111") {
		t.Errorf("the page log holds the card number:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "/r/demo/returns/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b") {
		t.Errorf("the page log lost an ordinary path:\n%s", log.String())
	}
}
