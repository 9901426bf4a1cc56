// Package credit is store credit as merchants run it: credit issued to a
// customer with a code shown to the shopper once (and e-mailed), redeemed
// in part or whole by the merchant's checkout, a redemption put back, what
// is left expiring per the merchant's policy; the shopper with the code, the
// merchant's staff and finance read it. The ledger and its rule (a balance
// never below zero, under any concurrency) are the store's (db.Credits);
// this package checks the requests, keeps codes secret and speaks apperr.
package credit

import (
	"context"
	"log/slog"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// Store is the ledger, the shopper's tries and the merchants' policy
// (db.Credits, db.Shoppers and db.Merchants satisfy it).
type Store interface {
	IssueCredit(ctx context.Context, c *db.StoreCredit, reference string, at time.Time, msg *db.OutboxMessage) (bool, error)
	RedeemCredit(ctx context.Context, r db.Redemption) (db.Redeemed, error)
	ReverseRedemption(ctx context.Context, merchantID, entryID, actor string, at time.Time) (db.Redeemed, bool, error)
	CreditByCode(ctx context.Context, codeHash string) (*db.StoreCredit, error)
	CreditHistory(ctx context.Context, creditID string) ([]db.CreditEntry, error)
	CustomerCredits(ctx context.Context, merchantID, customer, after string, limit int) ([]db.StoreCredit, error)
	CountCredits(ctx context.Context, merchantID, customer string, most int) (int64, error)
	CreditsHistory(ctx context.Context, creditIDs []string) ([]db.CreditEntry, error)
	CreditMovements(ctx context.Context, merchantID string, from, to time.Time) (map[string]int64, []db.CreditDay, error)
	RecordTry(ctx context.Context, t *db.ShopperTry, since time.Time) (db.TryCounts, error)
	MerchantByID(ctx context.Context, id string) (*db.Merchant, error)
}

// Delivery hands queued messages to the workflow that sends them.
type Delivery interface {
	Deliver(ctx context.Context, outboxIDs []string) error
}

// Deps is what a Service is built from.
type Deps struct {
	Store    Store
	Delivery Delivery
	Log      *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// PageSize and PageMax bound the staff's list (50 and 200 when zero);
	// CountCap its total (10000 when zero).
	PageSize, PageMax int
	CountCap          int
}

// Service issues, redeems, reverses and reads store credit.
type Service struct{ d Deps }

// New builds a Service over d.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.PageSize == 0 {
		d.PageSize = 50
	}
	if d.PageMax == 0 {
		d.PageMax = 200
	}
	if d.CountCap == 0 {
		d.CountCap = 10000
	}
	return &Service{d: d}
}

func (s *Service) now() time.Time {
	if s.d.Now != nil {
		return s.d.Now().UTC()
	}
	return time.Now().UTC()
}

// Caller is who asks: the merchant (an API key's, a staff member's) and
// who they are, as the ledger records the actor.
type Caller struct {
	MerchantID string
	Actor      string
}

// Entry is one entry of a credit's ledger as callers see it; Amount is
// signed (issued and reversed add, redeemed and expired take).
type Entry struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	ReturnID       *string   `json:"return_id,omitempty"`
	OrderReference string    `json:"order_reference,omitempty"`
	Reverses       *string   `json:"reverses,omitempty"`
	Actor          string    `json:"actor,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

func entryOf(e db.CreditEntry) Entry {
	return Entry{ID: e.ID, Kind: string(e.Kind), Amount: e.Amount, Currency: e.Currency, ReturnID: e.ReturnID,
		OrderReference: e.OrderReference, Reverses: e.Reverses, Actor: e.Actor, CreatedAt: e.CreatedAt.UTC()}
}

func entriesOf(es []db.CreditEntry) []Entry {
	out := make([]Entry, 0, len(es))
	for _, e := range es {
		out = append(out, entryOf(e))
	}
	return out
}

// Credit is a credit as staff and the shopper see it: never its code, only
// the code's last four characters.
type Credit struct {
	ID        string     `json:"id"`
	Customer  string     `json:"customer,omitempty"`
	CodeLast4 string     `json:"code_last4"`
	Amount    int64      `json:"amount"`
	Balance   int64      `json:"balance"`
	Currency  string     `json:"currency"`
	ReturnID  *string    `json:"return_id,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	History   []Entry    `json:"history"`
}

func creditOf(c db.StoreCredit, history []Entry) Credit {
	if history == nil {
		history = []Entry{}
	}
	return Credit{ID: c.ID, Customer: c.Customer, CodeLast4: c.CodeLast4, Amount: c.Amount, Balance: c.Balance, Currency: c.Currency,
		ReturnID: c.ReturnID, CreatedAt: c.CreatedAt.UTC(), ExpiresAt: utc(c.ExpiresAt), History: history}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
