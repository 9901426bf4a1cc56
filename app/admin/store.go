package admin

import (
	"context"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/onboard"
)

// DB is the Store and the Onboarding over the database: the merchants',
// the outbox's and the staff's stores; onboard's functions take the database
// itself, and a terminal's store and terminal are made in one of its
// transactions.
type DB struct {
	db.Merchants
	db.Outbox
	db.Staff
	DB *db.DB
	// Passwords hashes new members' one-time passwords: the pool log-in
	// hashes in.
	Passwords onboard.Hasher
}

// NewDB is the admin's stores over d, hashing in passwords.
func NewDB(d *db.DB, passwords onboard.Hasher) DB {
	return DB{Merchants: d.Merchants, Outbox: d.Outbox, Staff: d.Staff, DB: d, Passwords: passwords}
}

// InTx runs fn in one transaction of the database.
func (d DB) InTx(ctx context.Context, fn func(tx TerminalTx) error) error {
	return d.DB.Tx(ctx, func(tx *db.DB) error { return fn(tx.Merchants) })
}

// CreateMerchant onboards a merchant (onboard.CreateMerchant).
func (d DB) CreateMerchant(ctx context.Context, in onboard.MerchantInput, by string) (*onboard.Onboarded, error) {
	return onboard.CreateMerchant(ctx, d.DB, d.Passwords, in, by)
}

// InviteStaff invites a member (onboard.InviteStaff).
func (d DB) InviteStaff(ctx context.Context, merchantID string, in onboard.StaffInput) (*db.StaffUser, string, error) {
	return onboard.InviteStaff(ctx, d.DB, d.Passwords, merchantID, in)
}

// NewAPIKey makes an API key (onboard.NewAPIKey).
func (d DB) NewAPIKey(ctx context.Context, merchantID, name, by string) (*db.APIKey, string, error) {
	return onboard.NewAPIKey(ctx, d.DB, merchantID, name, by)
}

var (
	_ Store      = DB{}
	_ Onboarding = DB{}
)
