package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// Book records in d, for merchant m, the attempts the file expects
// Rebound to hold (Books), streamed in bulk. It answers how many.
func (s Settlement) Book(ctx context.Context, d *db.DB, m *db.Merchant) (int64, error) {
	if m.AcquirerMerchantID != s.MerchantID {
		return 0, fmt.Errorf("merchant %s has acquirer merchant ID %q, the file %q", m.Slug, m.AcquirerMerchantID, s.MerchantID)
	}
	c, err := s.Counts()
	if err != nil {
		return 0, err
	}
	next, err := s.Books()
	if err != nil {
		return 0, err
	}
	n, err := d.Refunds.BookAttempts(ctx, m, c.Attempts, s.Currency, func() (*db.RefundAttempt, error) {
		a, err := next()
		if err != nil {
			return nil, err
		}
		at := a.SentAt
		return &db.RefundAttempt{Kind: a.Kind, Amount: a.Amount, TerminalID: a.TerminalID, STAN: a.STAN, RRN: a.RRN,
			ApprovalCode: a.ApprovalCode, TransmittedAt: &at}, nil
	})
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

// Merchant makes a merchant for generated load, with a fresh acquirer
// merchant ID, and answers it.
func Merchant(ctx context.Context, d *db.DB, slug string) (*db.Merchant, error) {
	mid := fmt.Sprintf("LOAD%011d", time.Now().UnixNano()%100_000_000_000)
	m := &db.Merchant{Slug: slug, Name: "Load " + slug, AcquirerMerchantID: mid, Policy: db.JSON("{}"), Status: "active"}
	if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}
