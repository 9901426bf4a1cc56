package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/signature"
	"github.com/rebound-returns/rebound/workflows"
)

// Carriers and the payment gateway call in with signed events.

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
	var errs []FieldError
	if req.EventID == "" || len(req.EventID) > 128 {
		errs = append(errs, FieldError{"event_id", "is required (at most 128 characters)"})
	}
	if req.TrackingNumber == "" || len(req.TrackingNumber) > 64 {
		errs = append(errs, FieldError{"tracking_number", "is required"})
	}
	if !oneOf(req.Event, workflows.CarrierInTransit, workflows.CarrierDelivered, workflows.CarrierException) {
		errs = append(errs, FieldError{"event", "must be in_transit, delivered or exception"})
	}
	at := parseTime("occurred_at", req.OccurredAt, &errs)
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	ctx := c.Request.Context()
	ev := &db.CarrierEvent{EventID: req.EventID, TrackingNumber: req.TrackingNumber, Event: req.Event, OccurredAt: at}
	r, err := s.deps.DB.ReturnByTracking(ctx, req.TrackingNumber)
	switch {
	case errors.Is(err, db.ErrNotFound):
		r = nil
	case err != nil:
		return err
	default:
		ev.ReturnID = &r.ID
	}
	fresh, err := s.deps.DB.RecordCarrierEvent(ctx, ev)
	if err != nil {
		return err
	}
	if r == nil {
		c.JSON(http.StatusAccepted, gin.H{"event_id": req.EventID, "matched": false, "duplicate": !fresh})
		return nil
	}
	// Signalled every time, repeats included: the workflow drops events it
	// has seen, and a carrier retrying after a failed signal must get
	// through.
	err = s.deps.Temporal.SignalWorkflow(ctx, workflows.ReturnWorkflowID(r.ID), "", workflows.SignalCarrierEvent,
		workflows.CarrierEvent{EventID: req.EventID, TrackingNumber: req.TrackingNumber, Event: req.Event, OccurredAt: at})
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		// The return has ended; the event is kept for the record.
	case err != nil:
		p := NewProblem(http.StatusServiceUnavailable, "try-again", "the event could not be handed on; send it again")
		p.retryAfter = 5 * time.Second
		return p
	}
	status := http.StatusAccepted
	if !fresh {
		status = http.StatusOK
	}
	c.JSON(status, gin.H{"event_id": req.EventID, "matched": true, "duplicate": !fresh})
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
	if err := json.Unmarshal(body, &ev); err != nil || ev.Refund.Reference == "" {
		return Invalid(FieldError{"refund.reference", "is required"})
	}
	ctx := c.Request.Context()
	if !validID(ev.Refund.Reference) {
		c.JSON(http.StatusAccepted, gin.H{"matched": false})
		return nil
	}
	att, err := s.deps.DB.AttemptByID(ctx, ev.Refund.Reference)
	if errors.Is(err, db.ErrNotFound) {
		c.JSON(http.StatusAccepted, gin.H{"matched": false})
		return nil
	}
	if err != nil {
		return err
	}
	ref, err := s.deps.DB.RefundByID(ctx, att.RefundID)
	if err != nil {
		return err
	}
	err = s.deps.Temporal.SignalWorkflow(ctx, ref.WorkflowID, "", workflows.SignalGatewayResult,
		workflows.GatewayResult{AttemptID: att.ID, Status: ev.Refund.Status, FailureCode: ev.Refund.FailureCode})
	if err != nil {
		s.log.Info("gateway event for a finished refund", "refund_id", ref.ID)
	}
	c.JSON(http.StatusOK, gin.H{"matched": true})
	return nil
}

// routesDev serves what only `rebound dev` has: the outbox, so that a
// person trying Rebound can read the codes sent to them.
func (s *server) routesDev(r *gin.RouterGroup) {
	r.GET("/dev/outbox", s.handle(func(c *gin.Context) error {
		msgs, err := s.deps.DB.OutboxTo(c.Request.Context(), c.Query("to"), 50)
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
			items = append(items, item{m.ID, m.Channel, m.Recipient, m.Subject, m.BodyText, m.Status, m.CreatedAt, m.SentAt})
		}
		c.JSON(http.StatusOK, gin.H{"items": items})
		return nil
	}))
}
