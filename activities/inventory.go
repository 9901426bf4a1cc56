package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/returns"
)

// Inventory holds units of a variant for a return's exchange, releases
// them when the return no longer needs them and consumes them when the
// replacement ships. Each activity is idempotent under retry: the store
// keeps one hold per return and variant and ends a hold once (see
// db.Catalog), so a retried hold never holds twice and a retried release
// or consumption never gives back or takes out twice.
type Inventory struct {
	Base
}

// The types of the inventory activities' refusals, which retrying cannot
// change (a workflow tells them apart by type).
const (
	// ErrOutOfStock: fewer units of the variant are free than asked.
	ErrOutOfStock = "out_of_stock"
	// ErrHoldConflict: the return holds another quantity of the variant,
	// or the hold ended the other way.
	ErrHoldConflict = "hold_conflict"
	// ErrBadHold: the input cannot be a hold (no quantity, a status that
	// does not end one).
	ErrBadHold = "bad_hold"
)

// StockHoldInput asks for Quantity units of the merchant's variant SKU
// for return ReturnID's exchange.
type StockHoldInput struct {
	MerchantID string `json:"merchant_id"`
	ReturnID   string `json:"return_id"`
	SKU        string `json:"sku"`
	Quantity   int    `json:"quantity"`
}

// StockHoldResult is a hold as it stands, and whether this call changed
// it (false: a retry, answered as the hold stands).
type StockHoldResult struct {
	HoldID  string       `json:"hold_id"`
	State   db.HoldState `json:"state"`
	Changed bool         `json:"changed"`
}

// StockReleaseInput releases a return's holds: Reason is the return's
// status that ended the need for them (cancelled, declined, expired,
// rejected).
type StockReleaseInput struct {
	MerchantID string         `json:"merchant_id"`
	ReturnID   string         `json:"return_id"`
	Reason     returns.Status `json:"reason"`
}

// StockReleaseResult names the holds this call released (none on a
// retry).
type StockReleaseResult struct {
	Released []string `json:"released"`
}

// StockConsumeInput says a hold's replacement shipped.
type StockConsumeInput struct {
	MerchantID string `json:"merchant_id"`
	HoldID     string `json:"hold_id"`
}

// HoldStock reserves the units of an exchange's replacement.
func (a *Inventory) HoldStock(ctx context.Context, in StockHoldInput) (StockHoldResult, error) {
	if in.Quantity < 1 {
		return StockHoldResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("a hold of %d units", in.Quantity), ErrBadHold, nil)
	}
	if !ids.Valid(in.MerchantID) || !ids.Valid(in.ReturnID) {
		return StockHoldResult{}, notAnID("merchant or return", in.MerchantID+" "+in.ReturnID)
	}
	h, created, err := a.DB.Catalog.HoldStock(ctx, in.MerchantID, in.SKU, in.ReturnID, in.Quantity)
	if err != nil {
		return StockHoldResult{}, holdRefusal(err)
	}
	return StockHoldResult{HoldID: h.ID, State: h.State, Changed: created}, nil
}

// ReleaseStock gives back the units every still-held hold of a return
// reserves.
func (a *Inventory) ReleaseStock(ctx context.Context, in StockReleaseInput) (StockReleaseResult, error) {
	if !slices.Contains([]returns.Status{returns.Cancelled, returns.Declined, returns.Expired, returns.Rejected}, in.Reason) {
		return StockReleaseResult{}, temporal.NewNonRetryableApplicationError("a return "+string(in.Reason)+" does not release its holds", ErrBadHold, nil)
	}
	if !ids.Valid(in.MerchantID) || !ids.Valid(in.ReturnID) {
		return StockReleaseResult{}, notAnID("merchant or return", in.MerchantID+" "+in.ReturnID)
	}
	hs, err := a.DB.Catalog.ReleaseReturnHolds(ctx, in.MerchantID, in.ReturnID, in.Reason)
	if err != nil {
		return StockReleaseResult{}, err
	}
	out := StockReleaseResult{Released: []string{}}
	for _, h := range hs {
		out.Released = append(out.Released, h.ID)
	}
	a.log().InfoContext(ctx, "holds released", "return", in.ReturnID, "reason", in.Reason, "holds", len(hs))
	return out, nil
}

// ConsumeStock takes a hold's units out of stock: the replacement shipped.
func (a *Inventory) ConsumeStock(ctx context.Context, in StockConsumeInput) (StockHoldResult, error) {
	if !ids.Valid(in.MerchantID) || !ids.Valid(in.HoldID) {
		return StockHoldResult{}, notAnID("merchant or hold", in.MerchantID+" "+in.HoldID)
	}
	h, moved, err := a.DB.Catalog.EndHold(ctx, in.MerchantID, in.HoldID, db.HoldConsumed, "")
	if err != nil {
		return StockHoldResult{}, holdRefusal(err)
	}
	return StockHoldResult{HoldID: h.ID, State: h.State, Changed: moved}, nil
}

// notAnID refuses for good ids of which one cannot be an id (no row has
// it).
func notAnID(what, id string) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s %q: not an id", what, id), ErrNotFound, nil)
}

// holdRefusal makes the store's refusals of a hold non-retryable; any
// other error (the database did not answer) is retried.
func holdRefusal(err error) error {
	switch {
	case errors.Is(err, db.ErrOutOfStock):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrOutOfStock, nil)
	case errors.Is(err, db.ErrHoldDiffers), errors.Is(err, db.ErrHoldEnded):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrHoldConflict, nil)
	case errors.Is(err, db.ErrNotFound), errors.Is(err, db.ErrForeignReturn):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrNotFound, nil)
	}
	return err
}
