package gatewaysim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/rebound-returns/rebound/payments"
)

// Delivery tries an event up to webhookMaxTries times, waiting webhookFirstBackoff after the first
// failure and twice as long after each next one.
const (
	webhookMaxTries     = 8
	webhookFirstBackoff = 100 * time.Millisecond
)

// deliver posts ev to the webhook URL until an attempt gets a 2xx answer, the tries run out or
// ctx ends.
func (s *Simulator) deliver(ctx context.Context, ev payments.WebhookEvent) {
	body, err := json.Marshal(ev)
	if err != nil {
		s.countWebhook(false)
		return
	}
	sig := payments.SignWebhook(s.cfg.WebhookSecret, body)
	backoff := webhookFirstBackoff
	for try := 1; ; try++ {
		ok := s.postWebhook(ctx, body, sig)
		if ctx.Err() != nil {
			return
		}
		s.countWebhook(ok)
		if ok || try == webhookMaxTries {
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff *= 2
	}
}

func (s *Simulator) postWebhook(ctx context.Context, body []byte, sig string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(payments.SignatureHeader, sig)
	resp, err := s.webhook.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode >= 200 && resp.StatusCode <= 299
}

func (s *Simulator) countWebhook(ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.stats.WebhooksSent++
	} else {
		s.stats.WebhookFailures++
	}
}
