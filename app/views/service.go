// Package views reads a return as its page shows it: the return with its
// lines, order, merchant, timeline and latest refund, answered as the plain
// types the API sends and the web pages decode (view.go). It checks, on the
// row it has just read, that the caller may see the return, and hides from
// shoppers what only staff see.
package views

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/returns"
)

// Store reads what a return's page shows (db.Returns satisfies it): the
// return with its order, merchant, payment and lines, its timeline, its
// latest refund with the freeze it waits on and its attempts.
type Store interface {
	ReturnShown(ctx context.Context, id string) (*db.ReturnShown, error)
	Timeline(ctx context.Context, returnID string) ([]db.TimelineEvent, error)
	LatestRefundShown(ctx context.Context, returnID string) (*db.RefundShown, error)
}

// Deps is what a Service is built from.
type Deps struct {
	Store Store
}

// Service answers returns as they are shown.
type Service struct{ d Deps }

// New builds the service.
func New(d Deps) *Service { return &Service{d: d} }

// Viewer is who looks at a return.
type Viewer struct {
	// Staff see members' user names in the timeline and why a refund is
	// frozen.
	Staff bool
	// See, when set, says whether the viewer may see a return of
	// merchantID with id returnID; one they may not is not found. Nil: the
	// caller has checked already.
	See func(merchantID, returnID string) bool
}

// errNoSuchReturn is the one answer to a return that does not exist or that
// the viewer may not see (the same as filing's).
var errNoSuchReturn = apperr.NotFound("", "no such return")

// Return reads the return id names as who sees it.
func (s *Service) Return(ctx context.Context, id string, who Viewer) (*Return, error) {
	if who.See != nil && !ids.Valid(id) {
		return nil, errNoSuchReturn
	}
	r, err := s.d.Store.ReturnShown(ctx, id)
	if who.See != nil && errors.Is(err, db.ErrNotFound) {
		return nil, errNoSuchReturn
	}
	if err != nil {
		return nil, err
	}
	if who.See != nil && !who.See(r.MerchantID, r.ID) {
		return nil, errNoSuchReturn
	}
	events, err := s.d.Store.Timeline(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	refund, err := s.d.Store.LatestRefundShown(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	v := head(r)
	v.Lines = lines(r.Lines)
	v.Timeline = timeline(events, who.Staff)
	v.Refund = refundOf(r, refund, who.Staff)
	return v, nil
}

// head is the return's own fields and its order's.
func head(r *db.ReturnShown) *Return {
	v := &Return{ID: r.ID, Status: returns.Status(r.Status), Merchant: r.MerchantSlug, OrderNumber: r.OrderNumber,
		Method: returns.Method(r.Method), Channel: returns.Channel(r.Channel), Currency: r.Currency,
		StatusReason: r.StatusReason, Attention: r.Attention, TrackingNumber: r.TrackingNumber, LabelURL: r.LabelURL,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Order: Order{PlacedAt: r.PlacedAt, DeliveredAt: r.DeliveredAt, CustomerName: r.CustomerName, Shipping: r.ShippingAmount}}
	if pay := r.Payment; pay != nil {
		v.Order.Paid, v.Order.Channel, v.Order.TerminalID = pay.Amount, returns.Channel(pay.Channel), pay.TerminalID
		if n := len(pay.MaskedPAN); n >= 4 {
			v.Order.CardLast4 = pay.MaskedPAN[n-4:]
		}
	}
	// Codes the projection wrote badly are left out rather than failing
	// the page.
	_ = json.Unmarshal(r.ReasonCodes, &v.ReasonCodes)
	return v
}

// lines are the returned lines by line id.
func lines(ls []db.LineShown) []Line {
	out := make([]Line, 0, len(ls))
	for _, l := range ls {
		lv := Line{LineID: l.LineID, Name: l.Name, UnitPrice: l.UnitPrice, Quantity: l.Quantity, Reason: l.Reason,
			Note: l.Note, AcceptedQuantity: l.AcceptedQuantity, RejectedQuantity: l.RejectedQuantity,
			RejectReason: l.RejectReason, RefundAmount: l.RefundAmount, VariantSKU: l.VariantSKU}
		if l.Resolution.OrRefund() != returns.ResolutionRefund {
			lv.Resolution = l.Resolution
		}
		if l.Condition != nil {
			lv.Condition = *l.Condition
		}
		out = append(out, lv)
	}
	// In Go's order, not the database's collation: the same on every engine.
	slices.SortFunc(out, func(a, b Line) int { return cmp.Compare(a.LineID, b.LineID) })
	return out
}

// timeline is the return's steps as who sees them.
func timeline(events []db.TimelineEvent, staff bool) []Event {
	out := make([]Event, 0, len(events))
	for _, e := range events {
		ev := Event{Status: returns.Status(e.Status), At: e.At, Actor: e.Actor, ActorRole: returns.Role(e.ActorRole), Note: e.Note}
		if !staff {
			ev.Actor = shopperFacingActor(e.Actor, ev.ActorRole)
		}
		out = append(out, ev)
	}
	return out
}

// refundOf is the latest refund (nil when there is none and the inspection
// settled no amount): its reference is the first paying attempt's.
func refundOf(r *db.ReturnShown, f *db.RefundShown, staff bool) *Refund {
	if f == nil {
		if r.RefundAmount == nil {
			return nil
		}
		return &Refund{Amount: *r.RefundAmount, Currency: r.Currency, Status: RefundNone}
	}
	v := &Refund{Amount: f.Amount, Shipping: f.ShippingAmount, Credit: f.CreditAmount, CreditBonus: f.CreditBonus, Currency: f.Currency, Status: returns.RefundStatus(f.Status),
		FailureCode: f.FailureCode, FinishedAt: f.FinishedAt, Frozen: f.FrozenBy != nil && f.Status == returns.RefundStatusPending}
	if v.Frozen && staff {
		v.FrozenReason = f.FreezeReason
	}
	for _, at := range f.Attempts {
		if db.AttemptPays(at.State) && v.Reference == "" {
			v.Reference = cmp.Or(at.RRN, at.GatewayRefundID)
		}
	}
	return v
}

// shopperFacingActor is who did a step of a return, as its shopper is
// told: a role, never a member of staff's user name (staff views keep the
// names).
func shopperFacingActor(actor string, role returns.Role) string {
	switch role {
	case "":
		switch returns.ActorKind(actor) {
		case returns.ActorShopper, returns.ActorCarrier, returns.ActorSystem:
			return actor
		}
		return string(returns.ActorStaff)
	case returns.RoleFinance:
		return string(returns.RoleFinance)
	case returns.RoleOperator:
		return "support"
	default: // clerk, supervisor, admin
		return string(returns.ActorStaff)
	}
}
