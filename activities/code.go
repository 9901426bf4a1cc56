package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
)

// SendCode makes a one-time code, stores its HMAC and sends it to the
// return's contact, all in this one activity: the code never leaves it
// except in the message, and the workflow learns only the challenge id.
// The limits (cooldown, hourly caps per contact and per client address) are
// checked in the same transaction that stores the code. A retry of the
// activity finds the challenge it made before and sends that same message,
// so a shopper's code is never silently replaced by a retry.
func (a *Messages) SendCode(ctx context.Context, in SendCodeInput) (SendCodeResult, error) {
	chID := challengeID(ctx)
	if prev, err := a.DB.Shoppers.ChallengeByID(ctx, chID); err == nil {
		return a.deliverCode(ctx, prev)
	} else if !errors.Is(err, db.ErrNotFound) {
		return SendCodeResult{}, err
	}
	ret, err := a.returnByID(ctx, in.ReturnID)
	if err != nil {
		return SendCodeResult{}, err
	}
	policy, err := returns.ParsePolicy(ret.Policy)
	if err != nil {
		return SendCodeResult{}, err
	}
	merchant, err := a.DB.Merchants.MerchantByID(ctx, ret.MerchantID)
	if err != nil {
		return SendCodeResult{}, err
	}
	code, err := otp.Generate()
	if err != nil {
		return SendCodeResult{}, err
	}
	now := a.now()
	ch := db.OTPChallenge{ID: chID, ReturnID: ret.ID, Contact: ret.Contact, ClientIP: in.ClientIP,
		CreatedAt: now, ExpiresAt: now.Add(policy.VerifyWithin.D())}
	ch.CodeHMAC = otp.Sum(a.OTPSecret, ch.ID, code)
	text := fmt.Sprintf("Your %s return code is %s. It expires in %d minutes. Nobody from %s will ever ask you for it.",
		merchant.Name, code, int(policy.VerifyWithin.D().Minutes()), merchant.Name)
	msg := db.OutboxMessage{ID: db.NewID(), DedupeKey: "code/" + ch.ID, MerchantID: &ret.MerchantID, ReturnID: &ret.ID,
		Channel: contactChannel(ret.ContactKind), Recipient: ret.Contact, Subject: "Your return code",
		BodyText: text, BodyHTML: html("Your return code", text), Sensitive: true}
	err = a.storeCode(ctx, codeLimits{returnID: ret.ID, contact: ret.Contact, clientIP: in.ClientIP, resend: !in.First, now: now},
		func(tx *db.DB) error { return tx.Shoppers.CreateChallenge(ctx, &ch) }, &msg)
	if err != nil {
		return SendCodeResult{}, err
	}
	return a.deliverCode(ctx, &ch)
}

// codeLimits is what the sending limits of a code look at.
type codeLimits struct {
	returnID, contact, clientIP string // returnID "" for an order lookup
	resend                      bool
	now                         time.Time
}

// storeCode stores a new code (store) and its message in one transaction,
// within the limits on sending: cooldown, hourly caps per contact and per
// client address. A code over the limits is a non-retryable
// contract.ErrRateLimited, with the wait in its details.
func (a *Messages) storeCode(ctx context.Context, l codeLimits, store func(tx *db.DB) error, msg *db.OutboxMessage) error {
	var limit *otp.LimitError
	err := a.DB.Tx(ctx, func(tx *db.DB) error {
		for _, key := range []string{"otp-contact:" + l.contact, "otp-client:" + l.clientIP} {
			if err := tx.LockKey(ctx, key); err != nil {
				return err
			}
		}
		counts, err := tx.Shoppers.CountCodes(ctx, l.returnID, l.contact, l.clientIP, l.now.Add(-otp.Window))
		if err != nil {
			return err
		}
		if err := otp.Allow(otp.Counts(counts), l.now, l.resend); err != nil {
			if errors.As(err, &limit) {
				return nil
			}
			return err
		}
		if err := store(tx); err != nil {
			return err
		}
		return tx.Outbox.QueueOutbox(ctx, msg)
	})
	if err != nil {
		return err
	}
	if limit != nil {
		return temporal.NewNonRetryableApplicationError(limit.Error(), contract.ErrRateLimited, nil, limit.RetryAfter.Seconds())
	}
	return nil
}

// deliverCode sends (or re-sends, on a retry) the message of a challenge.
func (a *Messages) deliverCode(ctx context.Context, ch *db.OTPChallenge) (SendCodeResult, error) {
	return SendCodeResult{ChallengeID: ch.ID, ExpiresAt: ch.ExpiresAt}, a.deliverCodeMessage(ctx, "code/"+ch.ID)
}

// deliverCodeMessage sends a queued code message unless it went out
// already; a message that cannot be delivered is final.
func (a *Messages) deliverCodeMessage(ctx context.Context, dedupe string) error {
	undeliverable := temporal.NewNonRetryableApplicationError("the code could not be delivered", "undeliverable", nil)
	m, err := a.DB.Outbox.OutboxByDedupe(ctx, dedupe)
	if err != nil {
		return err
	}
	switch m.Status {
	case db.OutboxSent:
		return nil
	case db.OutboxFailed:
		return undeliverable
	}
	if err := a.send(ctx, *m); err != nil {
		return fmt.Errorf("send code: %w", err)
	}
	if m, err := a.DB.Outbox.OutboxByDedupe(ctx, dedupe); err == nil && m.Status == db.OutboxFailed {
		return undeliverable
	}
	return nil
}

// challengeID is the same for every retry of one activity, so that a retry
// finds the code its first try made.
func challengeID(ctx context.Context) (id string) {
	defer func() {
		if recover() != nil {
			id = db.NewID()
		}
	}()
	info := activity.GetInfo(ctx)
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("code/"+info.WorkflowExecution.RunID+"/"+info.ActivityID)).String()
}
