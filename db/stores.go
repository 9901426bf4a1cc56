package db

// The stores, one per part of Rebound. Each is a value over the DB's
// connection (or transaction), holds the statements of its part, and
// satisfies the small interfaces its users declare (app/…, activities,
// settlement); the composition roots (app/wire, worker, cli) hand each user
// the stores it needs. A store reaches another only through its DB, inside a
// step that must hold together (conn.db).
type stores struct {
	// Returns: a return's rows, its lines and timeline, its transitions,
	// the merchant's lists and counts, and how its page reads it.
	Returns Returns
	// Orders: orders, their lines and payments, and the units returns hold.
	Orders Orders
	// Shoppers: what proves a shopper owns an order — one-time codes,
	// lookups, and the tries they are counted by.
	Shoppers Shoppers
	// Refunds: refunds, their attempts at the acquirer or the gateway and
	// the money rules over them.
	Refunds Refunds
	// Credits: store credit, a ledger per credit (credits.go).
	Credits Credits
	// Finance: finance's refund lists and summary, and the work items.
	Finance Finance
	// Settlement: settlement files, their items and reconciliation.
	Settlement Settlement
	// Staff: members, their sessions and API keys, and the lock-outs of
	// their passwords.
	Staff Staff
	// Merchants: merchants, their policy, stores and terminals.
	Merchants Merchants
	// Freezes: refund freezes.
	Freezes Freezes
	// Outbox: messages waiting to leave, and webhook endpoints.
	Outbox Outbox
	// Audit: the audit log.
	Audit Audit
	// Idempotency: the keys of requests that must not run twice.
	Idempotency Idempotency
	// Catalog: the merchant's products and variants, and the inventory
	// holds of exchanges.
	Catalog Catalog
	// ExchangePayments: the holds, captures, releases and charges of
	// exchanges at the payment gateway.
	ExchangePayments ExchangePayments
}

// The store types. Each is its part's statements over a shared conn.
type (
	Returns     struct{ *conn }
	Orders      struct{ *conn }
	Shoppers    struct{ *conn }
	Refunds     struct{ *conn }
	Credits     struct{ *conn }
	Finance     struct{ *conn }
	Settlement  struct{ *conn }
	Staff       struct{ *conn }
	Merchants   struct{ *conn }
	Freezes     struct{ *conn }
	Outbox      struct{ *conn }
	Audit       struct{ *conn }
	Idempotency struct{ *conn }
	Catalog     struct{ *conn }

	ExchangePayments struct{ *conn }
)

func newStores(c *conn) stores {
	return stores{
		Returns: Returns{c}, Orders: Orders{c}, Shoppers: Shoppers{c}, Refunds: Refunds{c}, Credits: Credits{c}, Finance: Finance{c},
		Settlement: Settlement{c}, Staff: Staff{c}, Merchants: Merchants{c}, Freezes: Freezes{c}, Outbox: Outbox{c},
		Audit: Audit{c}, Idempotency: Idempotency{c}, Catalog: Catalog{c},
		ExchangePayments: ExchangePayments{c},
	}
}
