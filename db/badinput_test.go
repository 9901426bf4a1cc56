package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// Issue 13, finding 4: text PostgreSQL cannot keep (NUL, invalid UTF-8) and
// malformed UUIDs made its errors, which became 500s. They are told apart
// from failures of the database, so the API answers them 422 whatever route
// they slip through.
func TestBadInputIsToldApartFromFailures(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, slug := range []string{"de\x00mo", "de\xffmo"} {
			_, err := d.Merchants.MerchantBySlug(ctx, slug)
			if err != nil && !errors.Is(err, db.ErrNotFound) && !db.IsBadInput(err) {
				t.Errorf("MerchantBySlug(%q): %v is neither not found nor bad input", slug, err)
			}
		}
		for _, id := range []string{"urn:uuid:01a23a82-5ef2-7972-97dd-e256d2cfb6a4", "nope"} {
			_, err := d.Staff.StaffByID(ctx, id)
			if err != nil && !errors.Is(err, db.ErrNotFound) && !db.IsBadInput(err) {
				t.Errorf("StaffByID(%q): %v is neither not found nor bad input", id, err)
			}
		}
		if db.IsBadInput(context.DeadlineExceeded) || db.IsBadInput(db.ErrNotFound) || db.IsBadInput(nil) {
			t.Error("a failure is taken for bad input")
		}
	})
}
