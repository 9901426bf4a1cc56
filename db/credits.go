package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rebound-returns/rebound/returns"
)

// Store credit is a ledger. A credit (a row of store_credits) is issued to
// a customer of a merchant with a code the shopper is given once and that is
// kept only as a hash; its balance moves only by appending entries
// (store_credit_entries: issued, redeemed, reversed, expired), in the
// transaction that changes the credit's balance column, so that the balance
// is always the sum of its entries. A redemption takes from the balance with
// one conditional update (balance >= amount), which the database applies
// under the credit row's lock: concurrent redemptions never take it below
// zero, on either dialect, whoever calls. Every entry carries a reference
// unique per merchant, so that the same request twice appends one entry.

// CreditEntry is one entry of a store credit's ledger. Amount is signed:
// issued and reversed add to the balance, redeemed and expired take from it.
type CreditEntry struct {
	ID             string
	CreditID       string
	MerchantID     string
	Customer       string
	Kind           returns.CreditEntryKind
	Amount         int64
	Currency       string
	ReturnID       *string
	OrderReference string
	// Reverses is the redemption a reversal puts back.
	Reverses  *string
	Actor     string
	Reference string
	CreatedAt time.Time
}

func (CreditEntry) TableName() string { return "store_credit_entries" }

// The refusals of the credit ledger.
var (
	// ErrCreditInsufficient: the credit has less left than asked for.
	ErrCreditInsufficient = errors.New("the credit has not that much left")
	// ErrCreditCurrency: the credit is in another currency.
	ErrCreditCurrency = errors.New("the credit is in another currency")
	// ErrCreditExpired: the credit is past its date.
	ErrCreditExpired = errors.New("the credit has expired")
	// ErrNotRedemption: the entry to reverse is not a redemption.
	ErrNotRedemption = errors.New("the entry is not a redemption")
)

// IssueCredit books a new credit with its issued entry and queues msg (the
// shopper's word of it with the code; none when nil), in one transaction;
// c.Amount is what it is worth and c.CodeHash the hash of its code. A credit
// for a return is issued once: false (and nothing written) when the return
// has one, or when the reference was used.
func (d Credits) IssueCredit(ctx context.Context, c *StoreCredit, reference string, at time.Time, msg *OutboxMessage) (bool, error) {
	if c.Amount <= 0 {
		return false, fmt.Errorf("issue credit: amount %d is not positive", c.Amount)
	}
	if c.ID == "" {
		c.ID = NewID()
	}
	c.CreatedAt, c.Balance = at.UTC(), c.Amount
	added := false
	err := d.tx(ctx, func(tx *DB) error {
		res := tx.Credits.with(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(c)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		e := CreditEntry{ID: NewID(), CreditID: c.ID, MerchantID: c.MerchantID, Customer: c.Customer, Kind: returns.CreditIssued,
			Amount: c.Amount, Currency: c.Currency, ReturnID: c.ReturnID, Actor: c.CreatedBy, Reference: reference, CreatedAt: c.CreatedAt}
		res = tx.Credits.with(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&e)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			// The reference issued another credit: undo this one.
			return errReferenceUsed
		}
		added = true
		if msg == nil {
			return nil
		}
		return tx.Outbox.QueueOutbox(ctx, msg)
	})
	if errors.Is(err, errReferenceUsed) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("issue credit: %w", translate(err))
	}
	return added, nil
}

var errReferenceUsed = errors.New("reference used")

// Redemption is what the merchant's checkout takes from a credit.
type Redemption struct {
	MerchantID     string
	CodeHash       string
	Amount         int64
	Currency       string
	OrderReference string
	Actor          string
	// Reference makes the redemption once: the same reference again
	// answers the first redemption.
	Reference string
	At        time.Time
}

// Redeemed is a redemption's entry and its credit after it; Replayed says
// the reference had redeemed before (nothing new was taken).
type Redeemed struct {
	Entry    CreditEntry
	Credit   StoreCredit
	Replayed bool
}

// RedeemCredit takes r.Amount from the merchant's credit with the code, in
// one transaction: the entry and the conditional update of the balance. A
// code of no credit of this merchant is ErrNotFound; too little left is
// ErrCreditInsufficient (the credit as it stands is in the answer).
func (d Credits) RedeemCredit(ctx context.Context, r Redemption) (Redeemed, error) {
	var out Redeemed
	if r.Amount <= 0 {
		return out, fmt.Errorf("redeem credit: amount %d is not positive", r.Amount)
	}
	if prior, err := d.redemptionByReference(ctx, r.MerchantID, r.Reference); err == nil || !errors.Is(err, ErrNotFound) {
		return prior, err
	}
	err := d.tx(ctx, func(tx *DB) error {
		c, err := tx.Credits.creditByCode(ctx, r.MerchantID, r.CodeHash)
		if err != nil {
			return err
		}
		out.Credit = *c
		switch {
		case c.Currency != r.Currency:
			return ErrCreditCurrency
		case c.ExpiresAt != nil && !r.At.Before(*c.ExpiresAt):
			return ErrCreditExpired
		}
		res := tx.Credits.with(ctx).Model(&StoreCredit{}).Where("id = ? AND balance >= ?", c.ID, r.Amount).
			Update("balance", gorm.Expr("balance - ?", r.Amount))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			if c, err = tx.Credits.creditByCode(ctx, r.MerchantID, r.CodeHash); err == nil {
				out.Credit = *c
			}
			return ErrCreditInsufficient
		}
		out.Entry = CreditEntry{ID: NewID(), CreditID: c.ID, MerchantID: c.MerchantID, Customer: c.Customer, Kind: returns.CreditRedeemed,
			Amount: -r.Amount, Currency: c.Currency, OrderReference: r.OrderReference, Actor: r.Actor, Reference: r.Reference, CreatedAt: r.At.UTC()}
		if err := tx.Credits.with(ctx).Create(&out.Entry).Error; err != nil {
			return err
		}
		c, err = tx.Credits.creditByID(ctx, c.ID)
		if err == nil {
			out.Credit = *c
		}
		return err
	})
	if errors.Is(translate(err), ErrConflict) {
		// The same reference redeemed meanwhile: that redemption is the answer.
		return d.redemptionByReference(ctx, r.MerchantID, r.Reference)
	}
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrCreditInsufficient) &&
		!errors.Is(err, ErrCreditCurrency) && !errors.Is(err, ErrCreditExpired) {
		return out, fmt.Errorf("redeem credit: %w", translate(err))
	}
	return out, err
}

// redemptionByReference is the redemption a reference made, with its
// credit as it stands.
func (d Credits) redemptionByReference(ctx context.Context, merchantID, reference string) (Redeemed, error) {
	var out Redeemed
	err := d.with(ctx).Where("merchant_id = ? AND reference = ?", merchantID, reference).Take(&out.Entry).Error
	if err != nil {
		return out, translate(err)
	}
	c, err := d.creditByID(ctx, out.Entry.CreditID)
	if err != nil {
		return out, err
	}
	out.Credit, out.Replayed = *c, true
	return out, nil
}

// ReverseRedemption puts a redemption of the merchant back on its credit,
// once: the reversal's entry and the balance in one transaction. Reversing
// again answers the first reversal (created false). A redemption of another
// merchant is ErrNotFound.
func (d Credits) ReverseRedemption(ctx context.Context, merchantID, entryID, actor string, at time.Time) (Redeemed, bool, error) {
	var out Redeemed
	created := false
	err := d.tx(ctx, func(tx *DB) error {
		var red CreditEntry
		if err := tx.Credits.with(ctx).Where("id = ? AND merchant_id = ?", entryID, merchantID).Take(&red).Error; err != nil {
			return translate(err)
		}
		if red.Kind != returns.CreditRedeemed {
			return ErrNotRedemption
		}
		e := CreditEntry{ID: NewID(), CreditID: red.CreditID, MerchantID: red.MerchantID, Customer: red.Customer, Kind: returns.CreditReversed,
			Amount: -red.Amount, Currency: red.Currency, OrderReference: red.OrderReference, Reverses: &red.ID, Actor: actor,
			Reference: "reversal/" + red.ID, CreatedAt: at.UTC()}
		res := tx.Credits.with(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&e)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			created = true
			up := tx.Credits.with(ctx).Model(&StoreCredit{}).Where("id = ?", red.CreditID).Update("balance", gorm.Expr("balance + ?", -red.Amount))
			if up.Error != nil {
				return up.Error
			}
		} else {
			var first CreditEntry
			if err := tx.Credits.with(ctx).Where("reverses = ?", red.ID).Take(&first).Error; err != nil {
				return err
			}
			e = first
		}
		c, err := tx.Credits.creditByID(ctx, red.CreditID)
		if err != nil {
			return err
		}
		out.Entry, out.Credit, out.Replayed = e, *c, !created
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNotRedemption) {
		return out, false, fmt.Errorf("reverse redemption %s: %w", entryID, translate(err))
	}
	return out, created, err
}

// ExpireCredits appends an expired entry for what is left of each credit
// past its date at now, at most limit credits, and answers how many it
// expired. Each expiry takes the balance it read with a conditional update,
// so that a run that races another (or a redemption) expires nothing twice.
func (d Credits) ExpireCredits(ctx context.Context, now time.Time, limit int) (int, error) {
	var due []StoreCredit
	err := d.with(ctx).Where("expires_at IS NOT NULL AND expires_at <= ? AND balance > 0", now.UTC()).
		Order("expires_at, id").Limit(limit).Find(&due).Error
	if err != nil {
		return 0, fmt.Errorf("credits to expire: %w", err)
	}
	n := 0
	for _, c := range due {
		err := d.tx(ctx, func(tx *DB) error {
			res := tx.Credits.with(ctx).Model(&StoreCredit{}).Where("id = ? AND balance = ?", c.ID, c.Balance).Update("balance", 0)
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			n++
			e := CreditEntry{ID: NewID(), CreditID: c.ID, MerchantID: c.MerchantID, Customer: c.Customer, Kind: returns.CreditExpired,
				Amount: -c.Balance, Currency: c.Currency, ReturnID: c.ReturnID, Actor: string(returns.ActorSystem),
				Reference: fmt.Sprintf("expiry/%s/%s", c.ID, now.UTC().Format(time.RFC3339Nano)), CreatedAt: now.UTC()}
			return tx.Credits.with(ctx).Create(&e).Error
		})
		if err != nil {
			return n, fmt.Errorf("expire credit %s: %w", c.ID, err)
		}
	}
	return n, nil
}

// CreditByCode is the credit a code's hash names, whichever merchant's
// (the shopper holding the code asks).
func (d Credits) CreditByCode(ctx context.Context, codeHash string) (*StoreCredit, error) {
	var c StoreCredit
	if codeHash == "" {
		return nil, ErrNotFound
	}
	if err := d.with(ctx).Where("code_hash = ?", codeHash).Take(&c).Error; err != nil {
		return nil, translate(err)
	}
	return &c, nil
}

func (d Credits) creditByCode(ctx context.Context, merchantID, codeHash string) (*StoreCredit, error) {
	var c StoreCredit
	if codeHash == "" {
		return nil, ErrNotFound
	}
	if err := d.with(ctx).Where("merchant_id = ? AND code_hash = ?", merchantID, codeHash).Take(&c).Error; err != nil {
		return nil, translate(err)
	}
	return &c, nil
}

func (d Credits) creditByID(ctx context.Context, id string) (*StoreCredit, error) {
	var c StoreCredit
	if err := d.with(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, translate(err)
	}
	return &c, nil
}

// CreditHistory is a credit's entries, oldest first.
func (d Credits) CreditHistory(ctx context.Context, creditID string) ([]CreditEntry, error) {
	var es []CreditEntry
	if err := d.with(ctx).Where("credit_id = ?", creditID).Order("created_at, id").Find(&es).Error; err != nil {
		return nil, fmt.Errorf("credit history: %w", err)
	}
	return es, nil
}

// CustomerCredits are a merchant's credits of a customer (every customer's
// when customer is empty), newest first, at most limit after the credit
// with id after (none: from the start).
func (d Credits) CustomerCredits(ctx context.Context, merchantID, customer, after string, limit int) ([]StoreCredit, error) {
	var cs []StoreCredit
	q := d.with(ctx).Where("merchant_id = ?", merchantID)
	if customer != "" {
		q = q.Where("customer = ?", customer)
	}
	if after != "" {
		q = q.Where("id < ?", after)
	}
	if err := q.Order("id DESC").Limit(limit).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("customer credits: %w", err)
	}
	return cs, nil
}

// CountCredits counts a merchant's credits of a customer (every
// customer's when customer is empty), up to most.
func (d Credits) CountCredits(ctx context.Context, merchantID, customer string, most int) (int64, error) {
	q := d.with(ctx).Model(&StoreCredit{}).Select("id").Where("merchant_id = ?", merchantID)
	if customer != "" {
		q = q.Where("customer = ?", customer)
	}
	var n int64
	if err := d.with(ctx).Table("(?) AS capped", q.Limit(most)).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count credits: %w", err)
	}
	return n, nil
}

// CreditsHistory is the entries of the credits named, oldest first.
func (d Credits) CreditsHistory(ctx context.Context, creditIDs []string) ([]CreditEntry, error) {
	var es []CreditEntry
	if len(creditIDs) == 0 {
		return nil, nil
	}
	if err := d.with(ctx).Where("credit_id IN ?", creditIDs).Order("created_at, id").Find(&es).Error; err != nil {
		return nil, fmt.Errorf("credits history: %w", err)
	}
	return es, nil
}

// CreditDay is the change of a merchant's outstanding credit on one day in
// one currency: issued and reversed add to it, redeemed and expired take.
type CreditDay struct {
	Day      string
	Currency string
	Kind     returns.CreditEntryKind
	Amount   int64
}

// CreditMovements are a merchant's ledger sums per day, currency and kind
// from from (inclusive) to to (exclusive), and the balance per currency
// outstanding before from.
func (d Credits) CreditMovements(ctx context.Context, merchantID string, from, to time.Time) (map[string]int64, []CreditDay, error) {
	type opening struct {
		Currency string
		Amount   int64
	}
	var open []opening
	err := d.with(ctx).Model(&CreditEntry{}).Select("currency, COALESCE(SUM(amount), 0) AS amount").
		Where("merchant_id = ? AND created_at < ?", merchantID, from.UTC()).Group("currency").Scan(&open).Error
	if err != nil {
		return nil, nil, fmt.Errorf("credit outstanding before %s: %w", from.Format(time.DateOnly), err)
	}
	before := map[string]int64{}
	for _, o := range open {
		before[o.Currency] = o.Amount
	}
	day := d.dayOf("created_at")
	var days []CreditDay
	err = d.with(ctx).Model(&CreditEntry{}).Select(day+" AS day, currency, kind, COALESCE(SUM(amount), 0) AS amount").
		Where("merchant_id = ? AND created_at >= ? AND created_at < ?", merchantID, from.UTC(), to.UTC()).
		Group(day + ", currency, kind").Order("day, currency, kind").Scan(&days).Error
	if err != nil {
		return nil, nil, fmt.Errorf("credit movements: %w", err)
	}
	for i := range days {
		days[i].Day = dayText(days[i].Day)
	}
	return before, days, nil
}

// StoreCreditBalance sums what is left of a customer's credits at a
// merchant.
func (d Credits) StoreCreditBalance(ctx context.Context, merchantID, customer string) (int64, error) {
	var sum int64
	err := d.with(ctx).Model(&StoreCredit{}).Select("COALESCE(SUM(balance), 0)").
		Where("merchant_id = ? AND customer = ?", merchantID, customer).Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("store credit balance: %w", err)
	}
	return sum, nil
}
