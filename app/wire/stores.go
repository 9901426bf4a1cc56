package wire

import "github.com/rebound-returns/rebound/db"

// Each use case declares the store it needs (its Store interface); those
// that read or write more than one part get theirs assembled here from the
// database's stores. Embedding promotes each store's methods; their names
// are unique across db's stores, so none shadows another.
type (
	sessionStore struct {
		db.Staff
		db.Merchants
	}
	counterStore struct {
		db.Returns
		db.Orders
		db.Refunds
		db.Staff
		db.Merchants
	}
	eventStore struct {
		db.Returns
		db.Refunds
	}
	filingStore struct {
		db.Returns
		db.Orders
		db.Refunds
		db.Catalog
		db.Shoppers
		db.Staff
		db.Merchants
	}
	financeStore struct {
		db.Finance
		db.Refunds
		db.Settlement
		db.Returns
		db.Merchants
	}
	creditStore struct {
		db.Credits
		db.Shoppers
		db.Merchants
	}
	freezeStore struct {
		db.Freezes
		db.Merchants
	}
	auditReader struct {
		db.Audit
		db.Merchants
	}
	idempotencyStore struct {
		db.Idempotency
		db.Returns
		db.Staff
	}
)
