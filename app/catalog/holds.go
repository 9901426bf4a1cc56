package catalog

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/returns"
)

// MaxHold is the most units one hold takes (an exchange replaces a line).
const MaxHold = 1000

// ReleaseReasons are the return's statuses that end the need for its
// holds: cancelled, declined, expired, or rejected at inspection.
var ReleaseReasons = []returns.Status{returns.Cancelled, returns.Declined, returns.Expired, returns.Rejected}

// HoldRequest asks for Quantity units of the merchant's variant SKU for
// the exchange of return ReturnID.
type HoldRequest struct {
	MerchantID string
	ReturnID   string
	SKU        string
	Quantity   int
}

// Hold is an inventory hold as its callers see it.
type Hold struct {
	ID            string         `json:"id"`
	ReturnID      string         `json:"return_id"`
	SKU           string         `json:"sku,omitempty"`
	Quantity      int            `json:"quantity"`
	State         db.HoldState   `json:"state"`
	ReleaseReason returns.Status `json:"release_reason,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	EndedAt       *time.Time     `json:"ended_at,omitempty"`
}

func holdOf(h *db.InventoryHold, sku string) Hold {
	out := Hold{ID: h.ID, ReturnID: h.ReturnID, SKU: sku, Quantity: h.Quantity, State: h.State,
		ReleaseReason: h.ReleaseReason, CreatedAt: h.CreatedAt.UTC()}
	if h.EndedAt != nil {
		t := h.EndedAt.UTC()
		out.EndedAt = &t
	}
	return out
}

// HoldResult is a hold and whether this call changed it (made it, or
// ended it); false is a repeat answered as the hold stands.
type HoldResult struct {
	Hold    Hold
	Changed bool
}

// The refusals of holds.
var (
	errNoSuchReturn = apperr.NotFound("", "no such return")
	errNoSuchHold   = apperr.NotFound("", "no such hold")
)

// Hold reserves units of a variant for a return's exchange. It is
// idempotent per return and variant: the same request again answers the
// first hold as it stands (Changed false), even if it was released or
// consumed since; another quantity for the same return and variant is a
// "hold-differs" conflict. Fewer free units than asked is an
// "out-of-stock" conflict: holds never oversell.
func (s *Service) Hold(ctx context.Context, req HoldRequest) (HoldResult, error) {
	var errs []apperr.Field
	if !ids.Valid(req.ReturnID) {
		errs = append(errs, apperr.Field{Name: "return_id", Reason: "must be a return's id"})
	}
	if !validKey(req.SKU) {
		errs = append(errs, apperr.Field{Name: "sku", Reason: keyRule})
	}
	if req.Quantity < 1 || req.Quantity > MaxHold {
		errs = append(errs, apperr.Field{Name: "quantity", Reason: "must be from 1 to " + strconv.Itoa(MaxHold)})
	}
	if err := apperr.InvalidFields(errs...); err != nil {
		return HoldResult{}, err
	}
	h, created, err := s.d.Store.HoldStock(ctx, req.MerchantID, req.SKU, req.ReturnID, req.Quantity)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return HoldResult{}, errNoSuchVariant
	case errors.Is(err, db.ErrForeignReturn):
		return HoldResult{}, errNoSuchReturn
	case errors.Is(err, db.ErrOutOfStock):
		return HoldResult{}, apperr.Conflict("out-of-stock", "fewer than "+strconv.Itoa(req.Quantity)+" units of "+req.SKU+" are free")
	case errors.Is(err, db.ErrHoldDiffers):
		return HoldResult{}, apperr.Conflict("hold-differs", "the return already holds another quantity of "+req.SKU)
	case err != nil:
		return HoldResult{}, err
	}
	return HoldResult{Hold: holdOf(h, req.SKU), Changed: created}, nil
}

// Release gives a held hold's units back, with the return's status that
// ended the need for it (one of ReleaseReasons). Releasing a released hold
// answers it unchanged; a consumed one cannot be released (a state
// refusal).
func (s *Service) Release(ctx context.Context, merchantID, holdID string, reason returns.Status) (HoldResult, error) {
	if !slices.Contains(ReleaseReasons, reason) {
		return HoldResult{}, apperr.Invalid("reason", "must be cancelled, declined, expired or rejected")
	}
	return s.end(ctx, merchantID, holdID, db.HoldReleased, reason)
}

// Consume takes a held hold's units out of stock: the replacement shipped
// (the variant's held and available both fall by the hold's quantity,
// until the merchant's next upsert says what they have). Consuming a
// consumed hold answers it unchanged; a released one cannot be consumed.
func (s *Service) Consume(ctx context.Context, merchantID, holdID string) (HoldResult, error) {
	return s.end(ctx, merchantID, holdID, db.HoldConsumed, "")
}

func (s *Service) end(ctx context.Context, merchantID, holdID string, to db.HoldState, reason returns.Status) (HoldResult, error) {
	if !ids.Valid(holdID) {
		return HoldResult{}, errNoSuchHold
	}
	h, moved, err := s.d.Store.EndHold(ctx, merchantID, holdID, to, reason)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return HoldResult{}, errNoSuchHold
	case errors.Is(err, db.ErrHoldEnded):
		return HoldResult{}, apperr.State("the hold has ended another way; only a held hold is " + string(to))
	case err != nil:
		return HoldResult{}, err
	}
	return HoldResult{Hold: holdOf(h, ""), Changed: moved}, nil
}

// ReleaseReturn releases every hold of a return still held (a return with
// several exchanged lines is cancelled at once) and answers those it
// released; again, none.
func (s *Service) ReleaseReturn(ctx context.Context, merchantID, returnID string, reason returns.Status) ([]Hold, error) {
	if !slices.Contains(ReleaseReasons, reason) {
		return nil, apperr.Invalid("reason", "must be cancelled, declined, expired or rejected")
	}
	if !ids.Valid(returnID) {
		return nil, errNoSuchReturn
	}
	hs, err := s.d.Store.ReleaseReturnHolds(ctx, merchantID, returnID, reason)
	if err != nil {
		return nil, err
	}
	out := make([]Hold, len(hs))
	for i := range hs {
		out[i] = holdOf(&hs[i], "")
	}
	return out, nil
}

// ReturnHolds lists a return's holds, oldest first.
func (s *Service) ReturnHolds(ctx context.Context, merchantID, returnID string) ([]Hold, error) {
	if !ids.Valid(returnID) {
		return nil, errNoSuchReturn
	}
	hs, err := s.d.Store.HoldsOfReturn(ctx, merchantID, returnID)
	if err != nil {
		return nil, err
	}
	out := make([]Hold, len(hs))
	for i := range hs {
		out[i] = holdOf(&hs[i].InventoryHold, hs[i].SKU)
	}
	return out, nil
}
