package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
)

// ErrRateLimited is the type of a code refused by the sending limits (the
// same name as the workflows' contract, which this package cannot import).
const ErrRateLimited = "rate_limited"

// SendCode makes a one-time code, stores its HMAC and sends it to the
// return's contact, all in this one activity: the code never leaves it
// except in the message. The workflow learns only the challenge id.
func (a *Activities) SendCode(ctx context.Context, in SendCodeInput) (SendCodeResult, error) {
	ret, err := a.DB.ReturnByID(ctx, in.ReturnID)
	if err != nil {
		return SendCodeResult{}, err
	}
	now := a.now()
	counts, err := a.DB.CountCodes(ctx, ret.ID, ret.Contact, in.ClientIP, now.Add(-otp.Window))
	if err != nil {
		return SendCodeResult{}, err
	}
	if err := otp.Allow(otp.Counts(counts), now, !in.First); err != nil && !in.First {
		var le *otp.LimitError
		if errors.As(err, &le) {
			return SendCodeResult{}, temporal.NewNonRetryableApplicationError(le.Error(), ErrRateLimited, nil, le.RetryAfter.Seconds())
		}
		return SendCodeResult{}, err
	}
	policy, err := returns.ParsePolicy(ret.Policy)
	if err != nil {
		return SendCodeResult{}, err
	}
	merchant, err := a.DB.MerchantByID(ctx, ret.MerchantID)
	if err != nil {
		return SendCodeResult{}, err
	}
	code, err := otp.Generate()
	if err != nil {
		return SendCodeResult{}, err
	}
	ch := db.OTPChallenge{
		ID: db.NewID(), ReturnID: ret.ID, Contact: ret.Contact, ClientIP: in.ClientIP,
		ExpiresAt: now.Add(policy.VerifyWithin.D()),
	}
	ch.CodeHMAC = otp.Sum(a.OTPSecret, ch.ID, code)
	minutes := int(policy.VerifyWithin.D().Minutes())
	text := fmt.Sprintf("Your %s return code is %s. It expires in %d minutes. Nobody from %s will ever ask you for it.",
		merchant.Name, code, minutes, merchant.Name)
	msg := db.OutboxMessage{ID: db.NewID(), DedupeKey: "code/" + ch.ID, MerchantID: &ret.MerchantID, ReturnID: &ret.ID,
		Channel: contactChannel(ret.ContactKind), Recipient: ret.Contact, Subject: "Your return code",
		BodyText: text, BodyHTML: html("Your return code", text), Sensitive: true}
	err = a.DB.Tx(ctx, func(tx *db.DB) error {
		if err := tx.CreateChallenge(ctx, &ch); err != nil {
			return err
		}
		return tx.QueueOutbox(ctx, &msg)
	})
	if err != nil {
		return SendCodeResult{}, err
	}
	if err := a.send(ctx, msg); err != nil {
		// This code is lost; a retry makes a new one, which supersedes it.
		return SendCodeResult{}, fmt.Errorf("send code: %w", err)
	}
	return SendCodeResult{ChallengeID: ch.ID, ExpiresAt: ch.ExpiresAt}, nil
}
