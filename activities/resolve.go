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
// paid outside Rebound if the payment has that much left, and store credit is booked in the customer's ledger
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
	return a.issueCredit(ctx, creditIssue{returnID: in.ReturnID, dedupe: "store-credit/" + in.ReturnID,
		amount: in.Amount, currency: in.Currency, note: in.Note, by: in.By})
}

// creditIssue is a credit to issue for a return: amount (bonus included,
// which the message names), under a dedupe key that issues it once.
type creditIssue struct {
	returnID, dedupe string
	amount, bonus    int64
	currency         string
	note, by         string
}

// issueCredit books a credit for a return in the ledger with its code
// e-mailed to the shopper (see storeCredit), once per dedupe key.
func (a *Store) issueCredit(ctx context.Context, c creditIssue) error {
	ret, err := a.returnByID(ctx, c.returnID)
	if err != nil {
		return err
	}
	dedupe := c.dedupe
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
	amount := returns.Money{Amount: c.amount, Currency: c.currency}
	text := fmt.Sprintf("%s has given you store credit of %s for your return %s.", merchant.Name, amount, shortID(ret.ID))
	if c.bonus > 0 {
		text = fmt.Sprintf("%s has given you store credit of %s for your return %s, with a bonus of %s included.",
			merchant.Name, amount, shortID(ret.ID), returns.Money{Amount: c.bonus, Currency: c.currency})
	}
	text += " Your credit code is " + code + "."
	if expires != nil {
		text += " It can be used until " + expires.Format(time.DateOnly) + "."
	}
	msg := db.OutboxMessage{ID: db.NewID(), DedupeKey: dedupe, MerchantID: &ret.MerchantID, ReturnID: &ret.ID,
		Channel: contactChannel(ret.ContactKind), Recipient: ret.Contact, Subject: "Your store credit",
		BodyText: text, BodyHTML: html("Your store credit", text), Sensitive: true}
	_, err = a.DB.Credits.IssueCredit(ctx, &db.StoreCredit{MerchantID: ret.MerchantID, Customer: ret.Contact, ReturnID: &ret.ID,
		Amount: c.amount, Currency: c.currency, CodeHash: auth.HashCreditCode(code), CodeLast4: code[len(code)-4:],
		Note: c.note, CreatedBy: c.by, ExpiresAt: expires}, dedupe, now, &msg)
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

// IssueReturnCredit issues the lines of a return resolved as store credit
// (issue 16): the credit part of the refund RefundID with the policy's
// bonus on top, once per refund run (its dedupe key is the refund's, so a
// retry never issues twice), its code e-mailed to the shopper. A refund
// paying nothing to the payment is then done: it is recorded succeeded.
func (a *Store) IssueReturnCredit(ctx context.Context, in ReturnCreditInput) error {
	ref, err := a.DB.Refunds.RefundByID(ctx, in.RefundID)
	if err != nil {
		return err
	}
	if ref.ReturnID != in.ReturnID || ref.CreditAmount <= 0 {
		return temporal.NewNonRetryableApplicationError("refund "+in.RefundID+" issues no credit for this return", contract.ErrInvalidInput, nil)
	}
	err = a.issueCredit(ctx, creditIssue{returnID: ref.ReturnID, dedupe: "return-credit/" + ref.ID,
		amount: ref.CreditAmount + ref.CreditBonus, bonus: ref.CreditBonus, currency: ref.Currency,
		note: "chosen by the shopper instead of a refund", by: string(returns.ActorSystem)})
	if err != nil || ref.Amount > 0 || ref.Status != returns.RefundStatusPending {
		return err
	}
	return a.DB.Refunds.FinishRefund(ctx, ref.ID, returns.RefundStatusSucceeded, "", a.now())
}
