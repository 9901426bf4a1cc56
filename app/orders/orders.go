// Package orders is how a merchant's systems register their paid orders and
// read them back: which fields a sale needs (a card sale its terminal's
// data, an online one its gateway id), and the order number as the
// idempotency key — the same content sent again is answered with the order
// as it stands, other content under the same number is refused. It speaks
// plain Go and apperr refusals; the API binds, calls Register or Get and
// renders.
package orders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
)

// Store is what the orders read and write (db.Orders satisfies it).
type Store interface {
	CreateOrder(ctx context.Context, o *db.Order) error
	OrderByNumber(ctx context.Context, merchantID, orderNumber string) (*db.Order, error)
}

// Deps is what a Service is built from.
type Deps struct {
	Store Store
	// Created, when set, hears of every new order (dev feeds its
	// simulators).
	Created func(ctx context.Context, o *db.Order)
}

// Service registers and reads orders.
type Service struct{ d Deps }

// New builds a Service.
func New(d Deps) *Service { return &Service{d: d} }

// Result is what Register did: the order as it stands, and whether this
// request created it (false: the same content was registered before).
type Result struct {
	Order   View
	Created bool
}

// Register validates the merchant's order and stores it. The order number
// is the idempotency key: the same request again answers the stored order,
// other content under the number is an "order-exists" conflict.
func (s *Service) Register(ctx context.Context, merchantID string, req Request) (Result, error) {
	o, fields := req.toOrder(merchantID)
	if err := apperr.InvalidFields(fields...); err != nil {
		return Result{}, err
	}
	o.RequestHash = req.hash()
	err := s.d.Store.CreateOrder(ctx, o)
	switch {
	case errors.Is(err, db.ErrForeignTerminal):
		return Result{}, apperr.Invalid("payment.terminal_id", "is not one of your terminals")
	case errors.Is(err, db.ErrPaymentTaken):
		// Whose it is stays unsaid.
		return Result{}, apperr.Conflict("payment-registered", "this payment is registered with another order")
	case errors.Is(err, db.ErrConflict):
		existing, err := s.d.Store.OrderByNumber(ctx, merchantID, o.OrderNumber)
		if err != nil {
			return Result{}, err
		}
		if existing.RequestHash != o.RequestHash {
			return Result{}, apperr.Conflict("order-exists", "order "+o.OrderNumber+" is already registered with other content")
		}
		return Result{Order: viewOf(existing)}, nil
	case err != nil:
		return Result{}, err
	}
	if s.d.Created != nil {
		s.d.Created(ctx, o)
	}
	return Result{Order: viewOf(o), Created: true}, nil
}

// errNoSuchOrder answers an order number the merchant has not registered.
var errNoSuchOrder = apperr.NotFound("", "no such order")

// Get reads one of the merchant's orders by its number.
func (s *Service) Get(ctx context.Context, merchantID, orderNumber string) (View, error) {
	o, err := s.d.Store.OrderByNumber(ctx, merchantID, orderNumber)
	if errors.Is(err, db.ErrNotFound) {
		return View{}, errNoSuchOrder
	}
	if err != nil {
		return View{}, err
	}
	return viewOf(o), nil
}

// hash is the request's fingerprint for the idempotency check: the SHA-256
// of its JSON as Request marshals it (so Request's form is part of every
// stored order's hash and must not change).
func (req Request) hash() string {
	canonical, _ := json.Marshal(req)
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}
