package credit

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
)

// TryCredit is the action a shopper's balance look-up is counted under.
const TryCredit = "credit"

// BalanceRequest is a shopper asking what is left of the credit whose
// code they hold.
type BalanceRequest struct {
	Code     string
	ClientIP string
}

// Balance is a credit as its holder sees it.
type Balance struct {
	Merchant string `json:"merchant"`
	Credit
}

// Balance answers the credit the code names, with its history. Every
// look-up is counted against the client's address and the code typed, under
// the caps of the shoppers' other tries (otp.AllowTry), so that codes cannot
// be guessed at speed; a code of no credit is not found.
func (s *Service) Balance(ctx context.Context, req BalanceRequest) (Balance, error) {
	if req.Code == "" {
		return Balance{}, apperr.Invalid("code", "is required")
	}
	hash := auth.HashCreditCode(req.Code)
	key := hash
	if key == "" {
		key = auth.HashToken(req.Code)
	}
	now := s.now()
	counts, err := s.d.Store.RecordTry(ctx, &db.ShopperTry{Action: TryCredit, ClientIP: clientKey(req.ClientIP), OrderKey: "credit:" + key,
		CreatedAt: now}, now.Add(-otp.Window))
	if err != nil {
		return Balance{}, err
	}
	var limit *otp.LimitError
	if err := otp.AllowTry(otp.TryCounts(counts)); errors.As(err, &limit) {
		return Balance{}, apperr.Limited("rate-limited", limit.Error(), limit.RetryAfter)
	}
	c, err := s.d.Store.CreditByCode(ctx, hash)
	if errors.Is(err, db.ErrNotFound) {
		return Balance{}, errNoCredit
	}
	if err != nil {
		return Balance{}, err
	}
	es, err := s.d.Store.CreditHistory(ctx, c.ID)
	if err != nil {
		return Balance{}, err
	}
	m, err := s.d.Store.MerchantByID(ctx, c.MerchantID)
	if err != nil {
		return Balance{}, err
	}
	view := creditOf(*c, entriesOf(es))
	view.Customer = "" // the holder knows who they are
	for i := range view.History {
		view.History[i].Actor = ""
	}
	return Balance{Merchant: m.Name, Credit: view}, nil
}

// clientKey is the address tries are counted under: an IPv4 address, or
// the /64 network of an IPv6 one (as filing counts them).
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// ListQuery is staff asking for their merchant's credits, a customer's
// when Customer is set, a page at a time after the credit After.
type ListQuery struct {
	MerchantID string
	Customer   string
	After      string
	Limit      int
	// Bad are the paging fields the API could not read.
	Bad []apperr.Field
}

// CreditPage is a page of credits, newest first; More says more follow
// (after the last item); Total counts them all, up to one more than the
// Deps' CountCap.
type CreditPage struct {
	Items []Credit
	More  bool
	Total int64
}

// Credits lists the merchant's credits with their balances and histories.
func (s *Service) Credits(ctx context.Context, q ListQuery) (CreditPage, error) {
	bad := q.Bad
	if len(q.Customer) > 320 {
		bad = append(bad, apperr.Field{Name: "customer", Reason: "must be at most 320 characters"})
	}
	if err := apperr.InvalidFields(bad...); err != nil {
		return CreditPage{}, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = s.d.PageSize
	}
	limit = min(limit, s.d.PageMax)
	cs, err := s.d.Store.CustomerCredits(ctx, q.MerchantID, q.Customer, q.After, limit+1)
	if err != nil {
		return CreditPage{}, err
	}
	total, err := s.d.Store.CountCredits(ctx, q.MerchantID, q.Customer, s.d.CountCap+1)
	if err != nil {
		return CreditPage{}, err
	}
	page := CreditPage{More: len(cs) > limit, Total: total}
	cs = cs[:min(len(cs), limit)]
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	es, err := s.d.Store.CreditsHistory(ctx, ids)
	if err != nil {
		return CreditPage{}, err
	}
	byCredit := map[string][]Entry{}
	for _, e := range es {
		byCredit[e.CreditID] = append(byCredit[e.CreditID], entryOf(e))
	}
	page.Items = make([]Credit, 0, len(cs))
	for _, c := range cs {
		page.Items = append(page.Items, creditOf(c, byCredit[c.ID]))
	}
	return page, nil
}

// OutstandingQuery is finance asking for the merchant's outstanding credit
// (the liability) per day, from From to To (YYYY-MM-DD, both included;
// the last 30 days when absent).
type OutstandingQuery struct {
	MerchantID string
	From, To   string
}

// MaxOutstandingDays bounds the days of one answer.
const MaxOutstandingDays = 366

// OutstandingDay is one day's movements of store credit in one currency
// (minor units; issued and reversed positive, redeemed and expired
// negative) and what was outstanding at its end.
type OutstandingDay struct {
	Day         string `json:"day"`
	Currency    string `json:"currency"`
	Issued      int64  `json:"issued"`
	Redeemed    int64  `json:"redeemed"`
	Reversed    int64  `json:"reversed"`
	Expired     int64  `json:"expired"`
	Outstanding int64  `json:"outstanding"`
}

// Outstanding answers, per day and currency, what store credit did and how
// much was outstanding at the day's end (UTC): every currency the merchant
// has credit in, every day of the range.
func (s *Service) Outstanding(ctx context.Context, q OutstandingQuery) ([]OutstandingDay, error) {
	from, to, err := s.dayRange(q.From, q.To)
	if err != nil {
		return nil, err
	}
	opening, moves, err := s.d.Store.CreditMovements(ctx, q.MerchantID, from, to.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	running := map[string]int64{}
	for cur, v := range opening {
		running[cur] = v
	}
	type key struct{ day, currency string }
	byDay := map[key]*OutstandingDay{}
	for _, m := range moves {
		if _, ok := running[m.Currency]; !ok {
			running[m.Currency] = 0 // a currency first credited in the range
		}
		k := key{m.Day, m.Currency}
		d := byDay[k]
		if d == nil {
			d = &OutstandingDay{Day: m.Day, Currency: m.Currency}
			byDay[k] = d
		}
		switch m.Kind {
		case returns.CreditIssued:
			d.Issued += m.Amount
		case returns.CreditRedeemed:
			d.Redeemed += m.Amount
		case returns.CreditReversed:
			d.Reversed += m.Amount
		case returns.CreditExpired:
			d.Expired += m.Amount
		}
	}
	currencies := make([]string, 0, len(running))
	for cur := range running {
		currencies = append(currencies, cur)
	}
	sort.Strings(currencies)
	var out []OutstandingDay
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		for _, cur := range currencies {
			row := OutstandingDay{Day: day.Format(time.DateOnly), Currency: cur}
			if d := byDay[key{row.Day, cur}]; d != nil {
				row = *d
			}
			running[cur] += row.Issued + row.Redeemed + row.Reversed + row.Expired
			row.Outstanding = running[cur]
			out = append(out, row)
		}
	}
	return out, nil
}

// dayRange reads from and to, both included.
func (s *Service) dayRange(fromText, toText string) (from, to time.Time, err error) {
	today := s.now().Truncate(24 * time.Hour)
	from, to = today.AddDate(0, 0, -29), today
	var bad []apperr.Field
	if fromText != "" {
		if from, err = time.Parse(time.DateOnly, fromText); err != nil {
			bad = append(bad, apperr.Field{Name: "from", Reason: "must be a date (YYYY-MM-DD)"})
		}
	}
	if toText != "" {
		if to, err = time.Parse(time.DateOnly, toText); err != nil {
			bad = append(bad, apperr.Field{Name: "to", Reason: "must be a date (YYYY-MM-DD)"})
		}
	}
	if len(bad) == 0 && to.Before(from) {
		bad = append(bad, apperr.Field{Name: "to", Reason: "must not be before from"})
	}
	if len(bad) == 0 && to.Sub(from) >= MaxOutstandingDays*24*time.Hour {
		bad = append(bad, apperr.Field{Name: "to", Reason: "must be at most 366 days after from"})
	}
	return from, to, apperr.InvalidFields(bad...)
}
