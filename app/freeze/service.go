// Package freeze is the emergency refund freeze: an operator or a
// merchant's admin stops refunds for a merchant, a store or a terminal at
// once. Refunds already sending finish their attempt (a reversal is never
// frozen); new attempts wait in their workflows until the freeze is lifted,
// which wakes them. The merchant's admins are told of both. The API binds,
// calls Place, Lift or List, renders and writes the audit log.
package freeze

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"log/slog"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// Store is what freezes read and write (app/wire assembles it from db's stores).
type Store interface {
	MerchantByID(ctx context.Context, id string) (*db.Merchant, error)
	MerchantBySlug(ctx context.Context, slug string) (*db.Merchant, error)
	StoreByCode(ctx context.Context, merchantID, code string) (*db.Store, error)
	Stores(ctx context.Context, merchantID string) ([]db.Store, error)
	TerminalByID(ctx context.Context, terminalID string) (*db.Terminal, error)
	CreateFreeze(ctx context.Context, f *db.Freeze) error
	LiftFreeze(ctx context.Context, merchantID, id, by string, at time.Time) (*db.Freeze, []string, error)
	FreezesPage(ctx context.Context, merchantID string, activeOnly bool, p db.Page) (*db.Paged[db.Freeze], error)
}

// Workflow wakes a refund's workflow waiting on a freeze that was lifted
// (workflows.SignalFreezeLifted).
type Workflow interface {
	FreezeLifted(ctx context.Context, workflowID string) error
}

// Admins tells a merchant's admins; failures are the teller's to log.
type Admins interface {
	Tell(ctx context.Context, merchantID, subject, text string)
}

// Deps is what a Service is built from.
type Deps struct {
	Store    Store
	Workflow Workflow
	Admins   Admins
	Log      *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service places, lifts and lists freezes.
type Service struct{ d Deps }

// New builds a Service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{d: d}
}

func (s *Service) now() time.Time {
	if s.d.Now != nil {
		return s.d.Now().UTC()
	}
	return time.Now().UTC()
}

// Caller is the staff member acting: an operator (no merchant) or a
// member of MerchantID.
type Caller struct {
	Username, MerchantID string
	Role                 returns.Role
}

func (c Caller) operator() bool { return c.Role == returns.RoleOperator }

// View is a freeze as shown. Its fields are those of the API's freezeView,
// in the same order, so that one converts to the other.
type View struct {
	ID         string
	Merchant   string // the merchant's slug
	Scope      string // merchant, store or terminal
	StoreCode  string
	TerminalID string
	Reason     string
	CreatedBy  string
	// ByOperator: the platform froze it; only an operator lifts it.
	ByOperator bool
	CreatedAt  time.Time
	Active     bool
	LiftedAt   *time.Time
	LiftedBy   string
}

// view shows f, a freeze of m; a store's freeze names the store's code.
func (s *Service) view(ctx context.Context, f *db.Freeze, m *db.Merchant) (View, error) {
	v := View{ID: f.ID, Merchant: m.Slug, Scope: "merchant", Reason: f.Reason, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt,
		ByOperator: f.CreatedRole == returns.RoleOperator,
		Active:     f.LiftedAt == nil, LiftedAt: f.LiftedAt, LiftedBy: f.LiftedBy}
	switch {
	case f.TerminalID != nil:
		v.Scope, v.TerminalID = "terminal", *f.TerminalID
	case f.StoreID != nil:
		v.Scope = "store"
		stores, err := s.d.Store.Stores(ctx, m.ID)
		if err != nil {
			return v, err
		}
		for _, st := range stores {
			if st.ID == *f.StoreID {
				v.StoreCode = st.Code
			}
		}
	}
	return v, nil
}
