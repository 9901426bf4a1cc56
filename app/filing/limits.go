package filing

import (
	"context"
	"errors"
	"strings"

	"github.com/rebound-returns/rebound/app/orders"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
)

// Before a code is verified a shopper's request learns nothing about an
// order but whether the order, its contact and its lines all match: every
// mismatch is the same answer, after the same least time (Floor), and
// every try is counted against the client's address and the order named,
// in the hourly window of the code limits (otp).

// allowTry records a filing, lookup or code request made without a
// verified code and checks the caps on such tries.
func (s *Service) allowTry(ctx context.Context, action, clientIP, merchant, orderNumber string) error {
	counts, err := s.d.Store.RecordTry(ctx, &db.ShopperTry{Action: action, ClientIP: clientKey(clientIP),
		OrderKey: db.OrderKey(merchant, orderNumber), CreatedAt: s.now()}, s.now().Add(-otp.Window))
	if err != nil {
		return err
	}
	return limitRefusal(otp.AllowTry(otp.TryCounts(counts)))
}

// allowCodeTry counts a request for a new code of a return as a try on
// its order, under the same caps as filings and lookups.
func (s *Service) allowCodeTry(ctx context.Context, r *db.Return, clientIP string) error {
	m, err := s.d.Store.MerchantByID(ctx, r.MerchantID)
	if err != nil {
		return err
	}
	o, err := s.d.Store.OrderByID(ctx, r.OrderID)
	if err != nil {
		return err
	}
	return s.allowTry(ctx, db.TryCode, clientIP, m.Slug, o.OrderNumber)
}

// allowCode checks the limits on sending a code to a contact from a client.
func (s *Service) allowCode(ctx context.Context, contact, clientIP string) error {
	counts, err := s.d.Store.CountCodes(ctx, "", contact, clientIP, s.now().Add(-otp.Window))
	if err != nil {
		return err
	}
	return limitRefusal(otp.Allow(otp.Counts(counts), s.now(), false))
}

// claimLookupFiling takes one of the filings an access token may make.
func (s *Service) claimLookupFiling(ctx context.Context, lookupID string) error {
	ok, err := s.d.Store.ClaimLookupFiling(ctx, lookupID, FilingsPerLookup)
	if err != nil {
		return err
	}
	if !ok {
		return errFilingsExhausted
	}
	return nil
}

// found is the order a shopper named, with the contact they typed as the
// order holds it.
type found struct {
	merchant *db.Merchant
	order    *db.Order
	contact  string
	kind     string
}

// findOrderToFile finds the order an unverified filing names. The try is
// counted first; then no such order, a wrong contact and lines that do not
// fit the order are one answer, given after the same least time.
func (s *Service) findOrderToFile(ctx context.Context, req FileRequest) (found, error) {
	start := s.d.Clock()
	if err := s.allowTry(ctx, db.TryFiling, req.ClientIP, req.Merchant, req.OrderNumber); err != nil {
		return found{}, err
	}
	f, err := s.findOrder(ctx, req.Merchant, req.OrderNumber, req.Contact)
	if err == nil && len(returns.ValidateRequest(orders.Domain(f.order), req.Lines)) > 0 {
		err = errNoSuchOrder
	}
	if err != nil {
		s.atLeast(ctx, start, Floor)
		return found{}, err
	}
	return f, nil
}

// findOrder finds the order a shopper names by its merchant, number and
// contact; any mismatch is the same errNoSuchOrder.
func (s *Service) findOrder(ctx context.Context, merchant, number, typed string) (found, error) {
	m, err := s.d.Store.MerchantBySlug(ctx, strings.TrimSpace(merchant))
	if errors.Is(err, db.ErrNotFound) {
		return found{}, errNoSuchOrder
	}
	if err != nil {
		return found{}, err
	}
	o, err := s.d.Store.OrderByNumber(ctx, m.ID, strings.TrimSpace(number))
	if errors.Is(err, db.ErrNotFound) {
		return found{}, errNoSuchOrder
	}
	if err != nil {
		return found{}, err
	}
	contact, kind, ok := contactOf(o, typed)
	if !ok {
		return found{}, errNoSuchOrder
	}
	return found{m, o, contact, kind}, nil
}
