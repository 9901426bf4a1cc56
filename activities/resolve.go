package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// ResolveRefund carries out finance's resolution of a failed refund under
// the money rules (db.ResolveFailedRefund): nothing while an attempt is in
// doubt; a retry or "mark refunded" over an attempt that paid records that
// attempt as the refund and sends nothing; otherwise a retry reopens the
// refund (capped again under the order's lock), "mark refunded" records it
// paid outside Rebound, and store credit is booked in the customer's ledger
// with its code sent to the shopper.
func (a *Store) ResolveRefund(ctx context.Context, in ResolveRefundInput) (ResolveRefundResult, error) {
	res, err := a.DB.Refunds.ResolveFailedRefund(ctx, in.RefundID, in.Action, in.By, a.now())
	var rule *db.RuleError
	if errors.As(err, &rule) {
		return ResolveRefundResult{}, temporal.NewNonRetryableApplicationError(rule.Error(), contract.ErrInvalidState, nil)
	}
	if err != nil {
		return ResolveRefundResult{}, err
	}
	out := ResolveRefundResult{RefundID: res.Refund.ID, Amount: res.Refund.Amount}
	if res.PaidBy != nil {
		out.PaidBy = res.PaidBy.ID
		return out, nil
	}
	if in.Action == db.ResolveStoreCredit {
		return out, a.storeCredit(ctx, in)
	}
	return out, nil
}

// storeCredit issues the credit in the store-credit ledger (once per
// return) and sends its code, in this one activity: the code is kept only as
// a hash and in the message until it is sent; it never enters workflow
// history. The merchant's policy says how long the credit is valid.
func (a *Store) storeCredit(ctx context.Context, in ResolveRefundInput) error {
	ret, err := a.returnByID(ctx, in.ReturnID)
	if err != nil {
		return err
	}
	dedupe := "store-credit/" + ret.ID
	code, err := auth.NewCreditCode()
	if err != nil {
		return err
	}
	merchant, err := a.DB.Merchants.MerchantByID(ctx, ret.MerchantID)
	if err != nil {
		return err
	}
	policy, err := returns.ParsePolicy(merchant.Policy)
	if err != nil {
		return err
	}
	now := a.now()
	var expires *time.Time
	if days := policy.CreditValidityDays; days > 0 {
		at := now.AddDate(0, 0, days)
		expires = &at
	}
	amount := returns.Money{Amount: in.Amount, Currency: in.Currency}
	text := fmt.Sprintf("%s has given you store credit of %s for your return %s. Your credit code is %s.",
		merchant.Name, amount, shortID(ret.ID), code)
	if expires != nil {
		text += " It can be used until " + expires.Format(time.DateOnly) + "."
	}
	msg := db.OutboxMessage{ID: db.NewID(), DedupeKey: dedupe, MerchantID: &ret.MerchantID, ReturnID: &ret.ID,
		Channel: contactChannel(ret.ContactKind), Recipient: ret.Contact, Subject: "Your store credit",
		BodyText: text, BodyHTML: html("Your store credit", text), Sensitive: true}
	_, err = a.DB.Credits.IssueCredit(ctx, &db.StoreCredit{MerchantID: ret.MerchantID, Customer: ret.Contact, ReturnID: &ret.ID,
		Amount: in.Amount, Currency: in.Currency, CodeHash: auth.HashCreditCode(code), CodeLast4: code[len(code)-4:],
		Note: in.Note, CreatedBy: in.By, ExpiresAt: expires}, dedupe, now, &msg)
	if err != nil {
		return err
	}
	// Send the credit's message, whether queued now or by a crashed try.
	pending, err := a.DB.Outbox.OutboxByDedupe(ctx, dedupe)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil || pending.Status != db.OutboxPending {
		return err
	}
	if a.Messages == nil {
		return errors.New("store credit booked, but no sender for its code")
	}
	return a.Messages.send(ctx, *pending)
}
