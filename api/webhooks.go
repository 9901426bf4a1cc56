package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/events"
	"github.com/rebound-returns/rebound/app/outbox"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/signature"
)

// Carriers and the payment gateway call in with signed events: the
// signature is checked here, at the edge; matching an event to its return
// or refund and signalling the workflow is app/events'.

// eventIntake takes in the carriers' and the gateway's events
// (*events.Service).
type eventIntake interface {
	Carrier(ctx context.Context, ev events.CarrierEvent) (events.CarrierResult, error)
	Gateway(ctx context.Context, ev payments.WebhookEvent) (matched bool, err error)
}

func (s *server) routesCarrier(r *gin.RouterGroup) {
	r.POST("/carrier/events", s.handle(s.carrierEvent))
}

func (s *server) routesGateway(r *gin.RouterGroup) {
	r.POST("/gateway/events", s.handle(s.gatewayEvent))
}

type carrierEventRequest struct {
	EventID        string `json:"event_id"`
	TrackingNumber string `json:"tracking_number"`
	Event          string `json:"event"`
	OccurredAt     string `json:"occurred_at"`
}

// carrierEvent answers 202 for an event first heard, 200 for a repeat of
// one matched to a return.
func (s *server) carrierEvent(c *gin.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if !signature.Verify(s.deps.CarrierSecret, body, c.GetHeader("X-Rebound-Signature")) {
		return NewProblem(http.StatusUnauthorized, "bad-signature", "X-Rebound-Signature is not the HMAC-SHA256 of the body")
	}
	var req carrierEventRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	res, err := s.events.Carrier(c.Request.Context(), events.CarrierEvent(req))
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if res.Matched && res.Duplicate {
		status = http.StatusOK
	}
	c.JSON(status, gin.H{"event_id": req.EventID, "matched": res.Matched, "duplicate": res.Duplicate})
	return nil
}

// gatewayEvent takes the payment gateway's webhook and hands the outcome to
// the refund's workflow.
func (s *server) gatewayEvent(c *gin.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if !payments.VerifyWebhook(s.deps.GatewaySecret, body, c.GetHeader(payments.SignatureHeader)) {
		return NewProblem(http.StatusUnauthorized, "bad-signature", payments.SignatureHeader+" does not verify")
	}
	var ev payments.WebhookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		ev = payments.WebhookEvent{} // a body that does not parse names no refund: refused as such
	}
	matched, err := s.events.Gateway(c.Request.Context(), ev)
	if err != nil {
		return err
	}
	if !matched {
		c.JSON(http.StatusAccepted, gin.H{"matched": false})
		return nil
	}
	c.JSON(http.StatusOK, gin.H{"matched": true})
	return nil
}

// devOutbox reads the messages sent to an address (*outbox.Service).
type devOutbox interface {
	To(ctx context.Context, recipient string, limit int) ([]outbox.Message, error)
}

// routesDev serves what only `rebound dev` has: the outbox, so that a
// person trying Rebound can read the codes sent to them.
func (s *server) routesDev(r *gin.RouterGroup) {
	r.GET("/dev/outbox", s.handle(func(c *gin.Context) error {
		msgs, err := s.outbox.To(c.Request.Context(), c.Query("to"), 50)
		if err != nil {
			return err
		}
		type item struct {
			ID        string     `json:"id"`
			Channel   string     `json:"channel"`
			To        string     `json:"to"`
			Subject   string     `json:"subject,omitempty"`
			Text      string     `json:"text"`
			Status    string     `json:"status"`
			CreatedAt time.Time  `json:"created_at"`
			SentAt    *time.Time `json:"sent_at,omitempty"`
		}
		items := make([]item, 0, len(msgs))
		for _, m := range msgs {
			items = append(items, item{m.ID, m.Channel, m.To, m.Subject, m.Text, m.Status, m.CreatedAt, m.SentAt})
		}
		c.JSON(http.StatusOK, gin.H{"items": items})
		return nil
	}))
}
