package activities

import (
	"context"
	"fmt"

	"github.com/rebound-returns/rebound/returns"
)

// FreezeQuery asks whether a refund may make a new attempt now.
type FreezeQuery struct {
	RefundID string `json:"refund_id"`
}

// FreezeStatus answers a FreezeQuery: a refund held by a freeze waits.
type FreezeStatus struct {
	Frozen   bool   `json:"frozen"`
	FreezeID string `json:"freeze_id,omitempty"`
}

// CheckFreeze tells whether a freeze in force covers a refund: one on its
// merchant, or, for a card refund, on the store or a terminal of the sale
// (the physical terminal it was paid on, the virtual one Rebound sends
// from). It records on the refund which freeze holds it, so that lifting
// the freeze can wake its workflow. The reason is not passed on: the
// workflow's history needs only the freeze's id.
func (a *Store) CheckFreeze(ctx context.Context, q FreezeQuery) (FreezeStatus, error) {
	ref, err := a.DB.Refunds.RefundByID(ctx, q.RefundID)
	if err != nil {
		return FreezeStatus{}, err
	}
	var stores, terminals []string
	if ref.Channel == returns.ChannelCardPresent {
		c, err := a.cardContext(ctx, q.RefundID)
		if err != nil {
			return FreezeStatus{}, err
		}
		stores = []string{c.virtual.StoreID}
		terminals = []string{c.virtual.TerminalID, c.payment.TerminalID}
	}
	f, err := a.DB.Freezes.FreezeCovering(ctx, ref.MerchantID, stores, terminals)
	if err != nil {
		return FreezeStatus{}, err
	}
	var held *string
	st := FreezeStatus{}
	if f != nil {
		held, st = &f.ID, FreezeStatus{Frozen: true, FreezeID: f.ID}
	}
	if (held == nil) != (ref.FrozenBy == nil) || (held != nil && *held != *ref.FrozenBy) {
		if err := a.DB.Freezes.HoldRefund(ctx, ref.ID, held, workflowID(ctx)); err != nil {
			return FreezeStatus{}, fmt.Errorf("refund %s: %w", ref.ID, err)
		}
	}
	return st, nil
}
