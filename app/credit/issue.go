package credit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// IssueRequest is credit a merchant gives a customer (a shopper choosing
// credit for a return, an exchange's difference, a goodwill gesture).
type IssueRequest struct {
	MerchantID string
	// Customer is the shopper's e-mail address or phone number, where the
	// code is sent; Phone says it is a phone number (an SMS).
	Customer string
	Phone    bool
	ReturnID string
	Amount   int64
	Currency string
	// Reference issues the credit once: the same reference again issues
	// nothing (Created false).
	Reference string
	Actor     string
	Note      string
}

// Issued is a credit issued: its code went to the customer and is not
// here.
type Issued struct {
	Created   bool
	CreditID  string
	CodeLast4 string
	ExpiresAt *time.Time
}

// Issue books the credit in the ledger (valid for the merchant's policy's
// credit_validity_days) and sends the customer its code, which is kept only
// as a hash and in the message until it is sent.
func (s *Service) Issue(ctx context.Context, req IssueRequest) (Issued, error) {
	var bad []apperr.Field
	if strings.TrimSpace(req.Customer) == "" {
		bad = append(bad, apperr.Field{Name: "customer", Reason: "is required"})
	}
	if req.Amount <= 0 {
		bad = append(bad, apperr.Field{Name: "amount", Reason: "must be a positive amount in minor units"})
	}
	if !returns.ValidCurrency(req.Currency) {
		bad = append(bad, apperr.Field{Name: "currency", Reason: "must be an ISO 4217 code"})
	}
	if req.Reference == "" {
		bad = append(bad, apperr.Field{Name: "reference", Reason: "is required"})
	}
	if err := apperr.InvalidFields(bad...); err != nil {
		return Issued{}, err
	}
	m, err := s.d.Store.MerchantByID(ctx, req.MerchantID)
	if err != nil {
		return Issued{}, err
	}
	policy, err := returns.ParsePolicy(m.Policy)
	if err != nil {
		return Issued{}, err
	}
	code, err := auth.NewCreditCode()
	if err != nil {
		return Issued{}, err
	}
	now := s.now()
	// The ID now, not at the insert: the message is deduplicated by it.
	c := &db.StoreCredit{ID: db.NewID(), MerchantID: m.ID, Customer: req.Customer, Amount: req.Amount, Currency: req.Currency,
		CodeHash: auth.HashCreditCode(code), CodeLast4: code[len(code)-4:], Note: req.Note, CreatedBy: req.Actor}
	if req.ReturnID != "" {
		c.ReturnID = &req.ReturnID
	}
	if days := policy.CreditValidityDays; days > 0 {
		at := now.AddDate(0, 0, days)
		c.ExpiresAt = &at
	}
	msg := creditMessage(m, c, code, req.Phone)
	created, err := s.d.Store.IssueCredit(ctx, c, req.Reference, now, msg)
	if err != nil || !created {
		return Issued{}, err
	}
	if err := s.d.Delivery.Deliver(ctx, []string{msg.ID}); err != nil {
		// The message waits in the outbox for the sweep; the credit stands.
		s.d.Log.Error("store credit message not handed to delivery", "credit", c.ID, "err", err)
	}
	return Issued{Created: true, CreditID: c.ID, CodeLast4: c.CodeLast4, ExpiresAt: utc(c.ExpiresAt)}, nil
}

// creditMessage is the customer's word of a credit, with its code: marked
// sensitive, so that its body is not kept once sent (outside dev).
func creditMessage(m *db.Merchant, c *db.StoreCredit, code string, phone bool) *db.OutboxMessage {
	text := fmt.Sprintf("%s has given you store credit of %s. Your credit code is %s.", m.Name,
		returns.Money{Amount: c.Amount, Currency: c.Currency}, code)
	if c.ExpiresAt != nil {
		text += " It can be used until " + c.ExpiresAt.Format(time.DateOnly) + "."
	}
	channel := "email"
	if phone {
		channel = "sms"
	}
	return &db.OutboxMessage{ID: db.NewID(), DedupeKey: "store-credit/" + c.ID, MerchantID: &m.ID, ReturnID: c.ReturnID,
		Channel: channel, Recipient: c.Customer, Subject: "Your store credit", BodyText: text, Sensitive: true}
}
