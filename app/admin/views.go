package admin

import (
	"github.com/rebound-returns/rebound/returns"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// What the use cases show, as plain structs: the API renders them and
// never reads the rows they come from.

// Merchant is a merchant as operators see it.
type Merchant struct {
	ID, Slug, Name, Currency, TimeZone string
	AcquirerMerchantID                 string
	// GatewayAccount is the account its gateway refunds name: its own,
	// else its slug.
	GatewayAccount string
	Status         string
	CreatedAt      time.Time
}

// Staff is a member of a merchant's staff.
type Staff struct {
	ID, Username, DisplayName, Email string
	Role                             returns.Role
	Disabled                         bool
	MustChangePassword               bool
	LockedUntil                      *time.Time
	CreatedAt                        time.Time
}

// Terminal is a terminal of one of the merchant's stores: ID is its row,
// TerminalID the terminal's own id (ISO 8583 DE41).
type Terminal struct {
	ID, TerminalID, StoreID, Kind string
}

// Webhook is a webhook endpoint; Secret is only shown when it is made.
type Webhook struct {
	ID, URL, Secret string
	CreatedAt       time.Time
}

// APIKey is an API key of the merchant's systems; Key is only shown when
// it is made (only its hash is kept).
type APIKey struct {
	ID, Name, Prefix, Key, CreatedBy string
	CreatedAt                        time.Time
	RevokedAt                        *time.Time
}

func merchantOf(m *db.Merchant) Merchant {
	return Merchant{ID: m.ID, Slug: m.Slug, Name: m.Name, Currency: m.Currency, TimeZone: m.TimeZone,
		AcquirerMerchantID: m.AcquirerMerchantID, GatewayAccount: m.GatewayAccountName(), Status: m.Status, CreatedAt: m.CreatedAt}
}

func staffOf(u *db.StaffUser) Staff {
	return Staff{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Email: u.Email, Role: u.Role,
		Disabled: u.Disabled, MustChangePassword: u.MustChangePassword, LockedUntil: u.LockedUntil, CreatedAt: u.CreatedAt}
}

func terminalOf(t *db.Terminal) Terminal {
	return Terminal{ID: t.ID, TerminalID: t.TerminalID, StoreID: t.StoreID, Kind: t.Kind}
}

func webhookOf(w *db.WebhookEndpoint) Webhook {
	return Webhook{ID: w.ID, URL: w.URL, CreatedAt: w.CreatedAt}
}

func apiKeyOf(k *db.APIKey) APIKey {
	return APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

// Page asks for a page of a list by position, and Paged is such a page:
// the store's own, named here so that callers need not import the store.
type (
	Page         = db.Page
	Paged[T any] = db.Paged[T]
)

// pageOf is a page of rows shown as views.
func pageOf[R, V any](rows *db.Paged[R], err error, view func(*R) V) (*db.Paged[V], error) {
	if err != nil {
		return nil, err
	}
	out := &db.Paged[V]{Items: make([]V, len(rows.Items)), More: rows.More, Total: rows.Total}
	for i := range rows.Items {
		out.Items[i] = view(&rows.Items[i])
	}
	return out, nil
}
