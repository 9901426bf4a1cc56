package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
)

// LookupCodeInput asks for the code that opens an order to a shopper
// before they choose what to return (the portal's "find your order"). The
// API has matched the order and the contact; the code goes to that
// contact.
type LookupCodeInput struct {
	LookupID     string        `json:"lookup_id"`
	MerchantID   string        `json:"merchant_id"`
	OrderID      string        `json:"order_id"`
	Contact      string        `json:"contact"`
	ContactKind  string        `json:"contact_kind"`
	ClientIP     string        `json:"client_ip"`
	VerifyWithin time.Duration `json:"verify_within"`
}

// LookupCodeResult says that the code went out, never what it is.
type LookupCodeResult struct {
	LookupID  string    `json:"lookup_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SendLookupCode makes an order lookup's code, stores its HMAC and sends
// it, within the same limits as a return's codes (checked in the
// transaction that stores it). A retry finds the lookup it stored and
// sends that same message again.
func (a *Messages) SendLookupCode(ctx context.Context, in LookupCodeInput) (LookupCodeResult, error) {
	dedupe := "lookup/" + in.LookupID
	if prev, err := a.DB.Shoppers.LookupByID(ctx, in.LookupID); err == nil {
		return a.deliverLookup(ctx, prev, dedupe)
	} else if !errors.Is(err, db.ErrNotFound) {
		return LookupCodeResult{}, err
	}
	merchant, err := a.DB.Merchants.MerchantByID(ctx, in.MerchantID)
	if err != nil {
		return LookupCodeResult{}, err
	}
	code, err := otp.Generate()
	if err != nil {
		return LookupCodeResult{}, err
	}
	now := a.now()
	l := db.OrderLookup{ID: in.LookupID, MerchantID: in.MerchantID, OrderID: in.OrderID, Contact: in.Contact,
		ContactKind: in.ContactKind, ClientIP: in.ClientIP, CreatedAt: now, ExpiresAt: now.Add(in.VerifyWithin)}
	l.CodeHMAC = otp.Sum(a.OTPSecret, l.ID, code)
	text := fmt.Sprintf("Your %s code is %s. Enter it to start your return; it expires in %d minutes. Nobody from %s will ever ask you for it.",
		merchant.Name, code, int(in.VerifyWithin.Minutes()), merchant.Name)
	msg := db.OutboxMessage{ID: db.NewID(), DedupeKey: dedupe, MerchantID: &in.MerchantID,
		Channel: contactChannel(in.ContactKind), Recipient: in.Contact, Subject: "Your return code",
		BodyText: text, BodyHTML: html("Your return code", text), Sensitive: true}
	err = a.storeCode(ctx, codeLimits{contact: in.Contact, clientIP: in.ClientIP, now: now},
		func(tx *db.DB) error { return tx.Shoppers.CreateLookup(ctx, &l) }, &msg)
	if err != nil {
		return LookupCodeResult{}, err
	}
	return a.deliverLookup(ctx, &l, dedupe)
}

func (a *Messages) deliverLookup(ctx context.Context, l *db.OrderLookup, dedupe string) (LookupCodeResult, error) {
	return LookupCodeResult{LookupID: l.ID, ExpiresAt: l.ExpiresAt}, a.deliverCodeMessage(ctx, dedupe)
}
