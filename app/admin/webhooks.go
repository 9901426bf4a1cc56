package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/notify"
)

// Webhooks lists the merchant's webhook endpoints, a page at a time.
func (s *Service) Webhooks(ctx context.Context, merchantID string, p Page) (*Paged[Webhook], error) {
	rows, err := s.d.Store.WebhookEndpointsPage(ctx, merchantID, p)
	return pageOf(rows, err, webhookOf)
}

// AddWebhook registers an endpoint where the merchant's return events are
// sent; its signing secret is shown this once.
func (s *Service) AddWebhook(ctx context.Context, merchantID, rawURL string) (Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(rawURL) > 500 {
		return Webhook{}, apperr.Invalid("url", "must be an http(s) URL")
	}
	if !s.d.Dev {
		// Outside dev, events go over TLS to the internet only: an endpoint
		// must not turn Rebound into a probe of its own network.
		if msg := publicEndpoint(ctx, u, s.d.Resolver); msg != "" {
			return Webhook{}, apperr.Invalid("url", msg)
		}
	}
	secret, err := auth.NewToken("whsec_")
	if err != nil {
		return Webhook{}, err
	}
	w := &db.WebhookEndpoint{MerchantID: merchantID, URL: rawURL, Secret: secret}
	if err := s.d.Store.CreateWebhookEndpoint(ctx, w); err != nil {
		return Webhook{}, err
	}
	v := webhookOf(w)
	v.Secret = secret
	return v, nil
}

// publicEndpoint tells what keeps u from being a webhook endpoint outside
// dev ("" when nothing): it must be https, and its host must resolve only
// to global unicast addresses (the check delivery repeats as it dials).
func publicEndpoint(ctx context.Context, u *url.URL, r Resolver) string {
	if u.Scheme != "https" {
		return "must be an https URL"
	}
	return notify.CheckPublicHost(ctx, u.Hostname(), r)
}

// TestDelivery is how a webhook's test send went, as far as it got within
// the wait: the outbox message's status, attempts and last error.
type TestDelivery struct {
	EndpointID string
	Delivered  bool
	Status     string
	Attempts   int
	Error      string
}

var errNoWebhook = apperr.NotFound("not-found", "no such webhook endpoint")

// TestWebhook sends a test event to one of the merchant's endpoints through
// the outbox and tells how it went.
func (s *Service) TestWebhook(ctx context.Context, merchantID, id string) (TestDelivery, error) {
	if !ids.Valid(id) {
		return TestDelivery{}, errNoWebhook
	}
	w, err := s.d.Store.WebhookEndpoint(ctx, id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && w.MerchantID != merchantID) {
		return TestDelivery{}, errNoWebhook
	}
	if err != nil {
		return TestDelivery{}, err
	}
	body, _ := json.Marshal(map[string]any{"type": "webhook.test", "at": s.now(), "endpoint_id": w.ID})
	m := &db.OutboxMessage{MerchantID: &merchantID, Channel: "webhook", Recipient: w.URL, WebhookID: &w.ID, BodyText: string(body)}
	if err := s.d.Store.QueueOutbox(ctx, m); err != nil {
		return TestDelivery{}, err
	}
	run, err := s.d.Delivery.Deliver(ctx, []string{m.ID})
	if err != nil {
		return TestDelivery{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, s.d.TestWait)
	defer cancel()
	_ = run.Get(wctx, nil) // the outbox row tells the outcome
	sent, err := s.d.Store.OutboxByIDs(ctx, []string{m.ID})
	if err != nil {
		return TestDelivery{}, err
	}
	if len(sent) != 1 {
		return TestDelivery{}, fmt.Errorf("webhook test: outbox message %s not found", m.ID)
	}
	return TestDelivery{EndpointID: w.ID, Delivered: sent[0].Status == db.OutboxSent, Status: sent[0].Status,
		Attempts: sent[0].Attempts, Error: sent[0].LastError}, nil
}
