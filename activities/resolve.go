package activities

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// ErrInvalidState is the type of a resolution the refund's state forbids
// (the same name as the workflows' contract).
const ErrInvalidState = "invalid_state"

// unsettled attempt states: their money may still move.
var unsettled = []string{db.AttemptPrepared, db.AttemptSent, db.AttemptUnknown, db.AttemptReversalPending, db.AttemptEscalated}

// ResolveRefund carries out finance's resolution of a failed refund: retry
// (the refund is reopened, capped again under the order's lock), mark it
// refunded (paid outside Rebound), or give store credit (booked in the
// customer's ledger, its code sent to the shopper). None is allowed while an
// attempt's outcome is still unknown or its reversal unconfirmed.
func (a *Activities) ResolveRefund(ctx context.Context, in ResolveRefundInput) (ResolveRefundResult, error) {
	attempts, err := a.DB.AttemptsOfRefund(ctx, in.RefundID)
	if err != nil {
		return ResolveRefundResult{}, err
	}
	for _, att := range attempts {
		for _, st := range unsettled {
			if att.State == st {
				return ResolveRefundResult{}, temporal.NewNonRetryableApplicationError(
					fmt.Sprintf("attempt %d (STAN %s) is %s: resolve it with the acquirer first", att.N, att.STAN, att.State), ErrInvalidState, nil)
			}
		}
	}
	switch in.Action {
	case "retry":
		return a.reopenRefund(ctx, in)
	case "mark_refunded":
		return ResolveRefundResult{}, a.DB.SetRefund(ctx, in.RefundID, map[string]any{"status": db.RefundSucceeded,
			"failure_code": "marked_refunded", "authorised_by": in.By, "finished_at": a.now()})
	case "store_credit":
		return ResolveRefundResult{}, a.storeCredit(ctx, in)
	}
	return ResolveRefundResult{}, temporal.NewNonRetryableApplicationError("unknown action "+in.Action, "invalid_input", nil)
}

// reopenRefund sets a failed refund pending again if what is still
// refundable on the order allows it.
func (a *Activities) reopenRefund(ctx context.Context, in ResolveRefundInput) (ResolveRefundResult, error) {
	var out ResolveRefundResult
	err := a.underOrderLock(ctx, in.ReturnID, func(tx *db.DB, ret *db.Return) error {
		ref, err := tx.RefundByID(ctx, in.RefundID)
		if err != nil {
			return err
		}
		out = ResolveRefundResult{RefundID: ref.ID, Amount: ref.Amount}
		if ref.Status == db.RefundPending {
			return nil
		}
		h, err := tx.RefundHistoryOf(ctx, ret.OrderID, ret.ID)
		if err != nil {
			return err
		}
		order, err := tx.OrderByID(ctx, ret.OrderID)
		if err != nil {
			return err
		}
		if h.Refunded+ref.Amount > order.Payment.Amount {
			return temporal.NewNonRetryableApplicationError("the order has been refunded in the meantime", ErrInvalidState, nil)
		}
		return tx.SetRefund(ctx, ref.ID, map[string]any{"status": db.RefundPending, "failure_code": "", "finished_at": nil, "authorised_by": in.By})
	})
	return out, err
}

const creditAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func newCreditCode() (string, error) {
	var b strings.Builder
	b.WriteString("SC-")
	for i := 0; i < 12; i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(creditAlphabet))))
		if err != nil {
			return "", err
		}
		b.WriteByte(creditAlphabet[n.Int64()])
	}
	return b.String(), nil
}

// storeCredit books the credit and sends its code, in this one activity:
// the code is kept only as a hash and in the message until it is sent.
func (a *Activities) storeCredit(ctx context.Context, in ResolveRefundInput) error {
	ret, err := a.returnByID(ctx, in.ReturnID)
	if err != nil {
		return err
	}
	dedupe := "store-credit/" + ret.ID
	code, err := newCreditCode()
	if err != nil {
		return err
	}
	merchant, err := a.DB.MerchantByID(ctx, ret.MerchantID)
	if err != nil {
		return err
	}
	amount := returns.Money{Amount: in.Amount, Currency: in.Currency}
	text := fmt.Sprintf("%s has given you store credit of %s for your return %s. Your credit code is %s.",
		merchant.Name, amount, shortID(ret.ID), code)
	msg := db.OutboxMessage{ID: db.NewID(), DedupeKey: dedupe, MerchantID: &ret.MerchantID, ReturnID: &ret.ID,
		Channel: contactChannel(ret.ContactKind), Recipient: ret.Contact, Subject: "Your store credit",
		BodyText: text, BodyHTML: html("Your store credit", text), Sensitive: true}
	err = a.DB.Tx(ctx, func(tx *db.DB) error {
		added, err := tx.AddStoreCredit(ctx, &db.StoreCredit{MerchantID: ret.MerchantID, Customer: ret.Contact, ReturnID: &ret.ID,
			Amount: in.Amount, Currency: in.Currency, CodeHash: auth.HashToken(code), CodeLast4: code[len(code)-4:],
			Note: in.Note, CreatedBy: in.By})
		if err != nil || !added {
			return err
		}
		return tx.QueueOutbox(ctx, &msg)
	})
	if err != nil {
		return err
	}
	// Send the credit's message, whether queued now or by a crashed try.
	pending, err := a.DB.OutboxByDedupe(ctx, dedupe)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil || pending.Status != db.OutboxPending {
		return err
	}
	return a.send(ctx, *pending)
}
