package api

import (
	"cmp"
	"encoding/json"
	"sort"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// What GET /v1/returns/{id} answers, read from the database.

type returnView struct {
	ID             string            `json:"id"`
	Status         string            `json:"status"`
	Merchant       string            `json:"merchant"`
	OrderNumber    string            `json:"order_number"`
	Method         string            `json:"method"`
	Channel        string            `json:"channel"`
	Currency       string            `json:"currency"`
	StatusReason   string            `json:"status_reason,omitempty"`
	ReasonCodes    []returns.Refusal `json:"reason_codes,omitempty"`
	Attention      string            `json:"attention,omitempty"`
	TrackingNumber string            `json:"tracking_number,omitempty"`
	LabelURL       string            `json:"label_url,omitempty"`
	Lines          []lineView        `json:"lines"`
	Timeline       []eventView       `json:"timeline"`
	Refund         *refundView       `json:"refund"`
	Order          orderSummary      `json:"order"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// orderSummary is the order a return is of, as far as the return's page
// needs it: when it was bought, by whom, for how much and how it was paid
// (a card by its last four digits only).
type orderSummary struct {
	PlacedAt     time.Time  `json:"placed_at"`
	DeliveredAt  *time.Time `json:"delivered_at,omitempty"`
	CustomerName string     `json:"customer_name,omitempty"`
	Paid         int64      `json:"paid"`
	Shipping     int64      `json:"shipping"`
	Channel      string     `json:"channel"`
	CardLast4    string     `json:"card_last4,omitempty"`
	TerminalID   string     `json:"terminal_id,omitempty"`
}

type lineView struct {
	LineID           string `json:"line_id"`
	Name             string `json:"name"`
	Quantity         int    `json:"quantity"`
	UnitPrice        int64  `json:"unit_price"`
	Reason           string `json:"reason"`
	Note             string `json:"note,omitempty"`
	AcceptedQuantity *int   `json:"accepted_quantity,omitempty"`
	RejectedQuantity *int   `json:"rejected_quantity,omitempty"`
	Condition        string `json:"condition,omitempty"`
	RejectReason     string `json:"reject_reason,omitempty"`
	RefundAmount     *int64 `json:"refund_amount,omitempty"`
}

type eventView struct {
	Status    string    `json:"status"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	ActorRole string    `json:"actor_role,omitempty"`
	Note      string    `json:"note,omitempty"`
}

type refundView struct {
	Amount      int64      `json:"amount"`
	Shipping    int64      `json:"shipping"`
	Currency    string     `json:"currency"`
	Status      string     `json:"status"`
	FailureCode string     `json:"failure_code,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	// Reference is what the shopper's bank or card statement knows the
	// refund by: the acquirer's RRN, or the gateway's refund id.
	Reference string `json:"reference,omitempty"`
	// Frozen: the refund waits on an emergency freeze; staff see its
	// reason.
	Frozen       bool   `json:"frozen,omitempty"`
	FrozenReason string `json:"frozen_reason,omitempty"`
}

func (s *server) returnView(c *gin.Context, id string) (*returnView, error) {
	ctx := c.Request.Context()
	r, err := s.deps.DB.ReturnByID(ctx, id)
	if err != nil {
		return nil, err
	}
	o, err := s.deps.DB.OrderByID(ctx, r.OrderID)
	if err != nil {
		return nil, err
	}
	m, err := s.deps.DB.MerchantByID(ctx, r.MerchantID)
	if err != nil {
		return nil, err
	}
	events, err := s.deps.DB.Timeline(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	refunds, err := s.deps.DB.RefundsOfReturn(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	v := &returnView{ID: r.ID, Status: r.Status, Merchant: m.Slug, OrderNumber: o.OrderNumber, Method: r.Method,
		Channel: r.Channel, Currency: r.Currency, StatusReason: r.StatusReason, Attention: r.Attention,
		TrackingNumber: r.TrackingNumber, LabelURL: r.LabelURL, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Lines: []lineView{}, Timeline: []eventView{},
		Order: orderSummary{PlacedAt: o.PlacedAt, DeliveredAt: o.DeliveredAt, CustomerName: o.CustomerName, Shipping: o.ShippingAmount}}
	if pay := o.Payment; pay != nil {
		v.Order.Paid, v.Order.Channel, v.Order.TerminalID = pay.Amount, pay.Channel, pay.TerminalID
		if n := len(pay.MaskedPAN); n >= 4 {
			v.Order.CardLast4 = pay.MaskedPAN[n-4:]
		}
	}
	_ = json.Unmarshal(r.ReasonCodes, &v.ReasonCodes)
	byID := map[string]db.OrderLine{}
	for _, l := range o.Lines {
		byID[l.LineID] = l
	}
	for _, l := range r.Lines {
		lv := lineView{LineID: l.LineID, Name: byID[l.LineID].Name, UnitPrice: byID[l.LineID].UnitPrice, Quantity: l.Quantity,
			Reason: l.Reason, Note: l.Note, AcceptedQuantity: l.AcceptedQuantity, RejectedQuantity: l.RejectedQuantity,
			RejectReason: l.RejectReason, RefundAmount: l.RefundAmount}
		if l.Condition != nil {
			lv.Condition = *l.Condition
		}
		v.Lines = append(v.Lines, lv)
	}
	sort.Slice(v.Lines, func(i, j int) bool { return v.Lines[i].LineID < v.Lines[j].LineID })
	staff := principalOf(c) != nil && principalOf(c).Kind == kindStaff
	for _, e := range events {
		ev := eventView{Status: e.Status, At: e.At, Actor: e.Actor, ActorRole: e.ActorRole, Note: e.Note}
		if !staff {
			ev.Actor = shopperFacingActor(e.Actor, e.ActorRole)
		}
		v.Timeline = append(v.Timeline, ev)
	}
	if n := len(refunds); n > 0 {
		last := refunds[n-1]
		v.Refund = &refundView{Amount: last.Amount, Shipping: last.ShippingAmount, Currency: last.Currency,
			Status: last.Status, FailureCode: last.FailureCode, FinishedAt: last.FinishedAt,
			Frozen: last.FrozenBy != nil && last.Status == db.RefundPending}
		if p := principalOf(c); v.Refund.Frozen && p != nil && p.Kind == kindStaff {
			if f, err := s.deps.DB.FreezeByID(ctx, *last.FrozenBy); err == nil {
				v.Refund.FrozenReason = f.Reason
			}
		}
		attempts, err := s.deps.DB.AttemptsOfRefund(ctx, last.ID)
		if err != nil {
			return nil, err
		}
		for _, at := range attempts {
			if db.AttemptPays(at.State) && v.Refund.Reference == "" {
				v.Refund.Reference = cmp.Or(at.RRN, at.GatewayRefundID)
			}
		}
	} else if r.RefundAmount != nil {
		v.Refund = &refundView{Amount: *r.RefundAmount, Currency: r.Currency, Status: "none"}
	}
	return v, nil
}

// respondReturn answers with the return as it now stands.
func (s *server) respondReturn(c *gin.Context, status int, id string) error {
	view, err := s.returnView(c, id)
	if err != nil {
		return err
	}
	c.JSON(status, view)
	return nil
}

func sortFields(errs []FieldError) []FieldError {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return errs
}
