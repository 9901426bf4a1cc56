package filing

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
)

// Order lookups let a shopper prove an order is theirs before choosing
// what to return: the order's number and contact get a code sent to that
// contact; the code, entered, opens the order for OrderAccessLife through
// an access token, with which the shopper reads the order's lines and
// files a return that is verified from the start.

// LookupRequest is an order lookup as the shopper starts it.
type LookupRequest struct {
	Merchant    string
	OrderNumber string
	Contact     string
	ClientIP    string
}

// LookupSent is a lookup whose code went out.
type LookupSent struct {
	ID        string
	SentTo    string
	ExpiresAt time.Time
}

// StartLookup counts the try, finds the order (any mismatch is
// errNoSuchOrder after Floor) and sends a code to its contact. The code is
// sent even if the shopper goes away meanwhile.
func (s *Service) StartLookup(ctx context.Context, req LookupRequest) (LookupSent, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{{"contact", req.Contact}, {"merchant", req.Merchant}, {"order_number", req.OrderNumber}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return LookupSent{}, apperr.Missing(missing...)
	}
	start := s.d.Clock()
	if err := s.allowTry(ctx, db.TryLookup, req.ClientIP, req.Merchant, req.OrderNumber); err != nil {
		return LookupSent{}, err
	}
	f, err := s.findOrder(ctx, req.Merchant, req.OrderNumber, req.Contact)
	if err != nil {
		s.atLeast(ctx, start, Floor)
		return LookupSent{}, err
	}
	if err := s.allowCode(ctx, f.contact, req.ClientIP); err != nil {
		return LookupSent{}, err
	}
	policy, err := returns.ParsePolicy(f.merchant.Policy)
	if err != nil {
		return LookupSent{}, err
	}
	in := activities.LookupCodeInput{LookupID: db.NewID(), MerchantID: f.merchant.ID, OrderID: f.order.ID, Contact: f.contact,
		ContactKind: f.kind, ClientIP: req.ClientIP, VerifyWithin: policy.VerifyWithin.D()}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupWithin)
	defer cancel()
	res, err := s.d.Workflow.SendLookupCode(sctx, in)
	if errors.Is(err, ErrNotSent) {
		s.d.Log.WarnContext(ctx, "lookup code not sent", "lookup_id", in.LookupID, "err", err)
		return LookupSent{}, errCodeNotSent
	}
	if err != nil {
		return LookupSent{}, err
	}
	return LookupSent{ID: res.LookupID, SentTo: MaskContact(f.contact, f.kind), ExpiresAt: res.ExpiresAt}, nil
}

// Access is a verified lookup: the order it opens and the contact the
// code went to.
type Access struct {
	ID          string
	MerchantID  string
	OrderID     string
	Contact     string
	ContactKind string
}

func accessOf(l *db.OrderLookup) *Access {
	return &Access{ID: l.ID, MerchantID: l.MerchantID, OrderID: l.OrderID, Contact: l.Contact, ContactKind: l.ContactKind}
}

// Granted is the access a verified lookup's code gives: a token, when it
// ends, and the order it opens.
type Granted struct {
	Token     string
	ExpiresAt time.Time
	Order     OrderView
}

// VerifyLookup checks the code of a lookup and opens its order.
func (s *Service) VerifyLookup(ctx context.Context, id, code string) (Granted, error) {
	if !otp.WellFormed(code) {
		return Granted{}, errCodeMalformed
	}
	if !ids.Valid(id) {
		return Granted{}, errNoSuchLookup
	}
	token, err := auth.NewToken(PrefixOrderAccess)
	if err != nil {
		return Granted{}, err
	}
	expires := s.now().Add(OrderAccessLife)
	result, err := s.d.Store.CheckLookupCode(ctx, id, s.now(), otp.MaxTries, func(id, stored string) bool {
		return otp.Matches(s.d.OTPSecret, id, code, stored)
	}, auth.HashToken(token), expires)
	if err != nil {
		return Granted{}, err
	}
	if err := codeRefusal(result, "start again to get a new one"); err != nil {
		return Granted{}, err
	}
	l, err := s.d.Store.LookupByID(ctx, id)
	if err != nil {
		return Granted{}, err
	}
	view, err := s.Order(ctx, accessOf(l))
	if err != nil {
		return Granted{}, err
	}
	return Granted{Token: token, ExpiresAt: expires, Order: view}, nil
}

// AccessOf reads the live lookup an order access token opens: nil when
// the token is not one (another kind of token), errAccessExpired when it
// is not live.
func (s *Service) AccessOf(ctx context.Context, token string) (*Access, error) {
	if !strings.HasPrefix(token, PrefixOrderAccess) {
		return nil, nil
	}
	l, err := s.d.Store.LookupByToken(ctx, auth.HashToken(token), s.now())
	if errors.Is(err, db.ErrNotFound) {
		return nil, errAccessExpired
	}
	if err != nil {
		return nil, err
	}
	return accessOf(l), nil
}

// OrderView is an order as a shopper who proved it theirs sees it.
type OrderView struct {
	Merchant     string           `json:"merchant"`
	MerchantName string           `json:"merchant_name"`
	OrderNumber  string           `json:"order_number"`
	Currency     string           `json:"currency"`
	PlacedAt     time.Time        `json:"placed_at"`
	Channel      returns.Channel  `json:"channel"`
	Lines        []OrderLine      `json:"lines"`
	Reasons      []string         `json:"reasons"`
	Methods      []returns.Method `json:"methods"`
	// Resolutions are what the merchant offers per line, CreditBonus its
	// bonus on store credit (POST /v1/shopper/quote prices them).
	Resolutions []returns.Resolution `json:"resolutions"`
	CreditBonus returns.CreditBonus  `json:"credit_bonus"`
}

// OrderLine is a line of an OrderView.
type OrderLine struct {
	LineID   string `json:"line_id"`
	SKU      string `json:"sku,omitempty"`
	Name     string `json:"name"`
	Category string `json:"category,omitempty"`
	Quantity int    `json:"quantity"`
	// UnitPaid is what one unit cost after the line's discount.
	UnitPaid int64 `json:"unit_paid"`
	// Returnable is how many units may still be returned: not held by
	// another return, and none when the category is not returnable.
	Returnable int    `json:"returnable"`
	Why        string `json:"why_not_returnable,omitempty"`
}

// Order is the order a verified lookup opens, with what may still be
// returned of each line.
func (s *Service) Order(ctx context.Context, a *Access) (OrderView, error) {
	m, err := s.d.Store.MerchantByID(ctx, a.MerchantID)
	if err != nil {
		return OrderView{}, err
	}
	o, err := s.d.Store.OrderByID(ctx, a.OrderID)
	if err != nil {
		return OrderView{}, err
	}
	policy, err := returns.ParsePolicy(m.Policy)
	if err != nil {
		return OrderView{}, err
	}
	taken, err := s.d.Store.TakenUnits(ctx, o.ID, uuid.Nil.String())
	if err != nil {
		return OrderView{}, err
	}
	v := OrderView{Merchant: m.Slug, MerchantName: m.Name, OrderNumber: o.OrderNumber, Currency: o.Currency,
		PlacedAt: o.PlacedAt, Reasons: returns.Reasons, Methods: []returns.Method{returns.MethodShip, returns.MethodInStore},
		Resolutions: policy.Offered(), CreditBonus: policy.CreditBonus}
	if o.Payment != nil {
		v.Channel = o.Payment.Channel
	}
	for _, line := range o.Lines {
		lv := OrderLine{LineID: line.LineID, SKU: line.SKU, Name: line.Name, Category: line.Category, Quantity: line.Quantity,
			UnitPaid:   (line.UnitPrice*int64(line.Quantity) - line.Discount) / int64(max(line.Quantity, 1)),
			Returnable: max(line.Quantity-taken[line.LineID], 0)}
		switch {
		case slices.Contains(policy.NonReturnableCategories, line.Category):
			lv.Returnable, lv.Why = 0, "this kind of item cannot be returned"
		case lv.Returnable == 0:
			lv.Why = "already returned"
		}
		v.Lines = append(v.Lines, lv)
	}
	return v, nil
}

// Merchant is what a shopper sees of a merchant: whose returns portal
// they are on, nothing a merchant keeps to itself.
type Merchant struct {
	Slug string
	Name string
}

// Merchant reads an active merchant by its slug.
func (s *Service) Merchant(ctx context.Context, slug string) (Merchant, error) {
	m, err := s.d.Store.MerchantBySlug(ctx, slug)
	if errors.Is(err, db.ErrNotFound) || (err == nil && m.Status != "active") {
		return Merchant{}, errNoSuchMerchant
	}
	if err != nil {
		return Merchant{}, err
	}
	return Merchant{Slug: m.Slug, Name: m.Name}, nil
}
