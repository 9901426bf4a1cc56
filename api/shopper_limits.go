package api

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
)

// Before a code is verified a shopper's request learns nothing about an
// order but whether the order, its contact and its lines all match: every
// mismatch is the same answer, after the same least time, and every try is
// counted against the client's address and the order named, in the hourly
// window of the code limits (otp).

// shopperFloor is the least time an unverified filing or lookup that found
// nothing takes, so that "no such order" and "wrong line" take as long.
const shopperFloor = 150 * time.Millisecond

// filingsPerLookup caps the returns one order access token files.
const filingsPerLookup = 5

// allowTry records a filing or lookup made without a verified code and
// checks the caps on such tries.
func (s *server) allowTry(c *gin.Context, action, merchant, orderNumber string) error {
	ctx := c.Request.Context()
	counts, err := s.deps.DB.RecordTry(ctx, &db.ShopperTry{Action: action, ClientIP: clientKey(c.ClientIP()),
		OrderKey: db.OrderKey(merchant, orderNumber), CreatedAt: s.now()}, s.now().Add(-otp.Window))
	if err != nil {
		return err
	}
	return limitProblem(otp.AllowTry(otp.TryCounts(counts)))
}

// allowCodeTry counts a request for a new code of a return as a try on
// its order, under the same caps as filings and lookups.
func (s *server) allowCodeTry(c *gin.Context, r *db.Return) error {
	ctx := c.Request.Context()
	m, err := s.deps.DB.MerchantByID(ctx, r.MerchantID)
	if err != nil {
		return err
	}
	o, err := s.deps.DB.OrderByID(ctx, r.OrderID)
	if err != nil {
		return err
	}
	return s.allowTry(c, db.TryCode, m.Slug, o.OrderNumber)
}

// clientKey is the address tries are counted under: an IPv4 address, or
// the /64 network of an IPv6 one (one host usually holds a whole /64).
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// limitProblem turns a limit of the otp rules into a 429 with Retry-After.
func limitProblem(err error) error {
	var le *otp.LimitError
	if errors.As(err, &le) {
		p := NewProblem(http.StatusTooManyRequests, "rate-limited", le.Error())
		p.retryAfter = le.RetryAfter
		return p
	}
	return err
}

// atLeast waits until start+floor has passed (or ctx ends).
func atLeast(ctx context.Context, start time.Time, floor time.Duration) {
	t := time.NewTimer(time.Until(start.Add(floor)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// claimLookupFiling takes one of the filings an access token may make.
func (s *server) claimLookupFiling(ctx context.Context, l *db.OrderLookup) error {
	ok, err := s.deps.DB.ClaimLookupFiling(ctx, l.ID, filingsPerLookup)
	if err != nil {
		return err
	}
	if !ok {
		p := NewProblem(http.StatusTooManyRequests, "filings-exhausted",
			"this order's access has filed as many returns as it may: find the order again to file more")
		p.retryAfter = orderAccessLife
		return p
	}
	return nil
}
