package onboard_test

import (
	"context"
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/onboard"
)

// pool hashes the tests' one-time passwords, as the API's pool does.
var pool = auth.NewPool(4, time.Minute)

// A full hashing pool turns onboarding away with auth.ErrBusy, as it does
// log-in, and nothing is made: no merchant, no member, no operator.
func TestOnboardingUnderAFullPoolIsBusy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		full := auth.NewPool(1, 20*time.Millisecond)
		slot, err := full.Hold(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer slot.Release()
		in := onboard.MerchantInput{Slug: "busy", Name: "Busy", Currency: "EUR", ReturnAddress: "1 Main St", AdminUsername: "busy-admin"}
		if _, err := onboard.CreateMerchant(ctx, d, full, in, "tester"); !errors.Is(err, auth.ErrBusy) {
			t.Fatalf("create merchant under a full pool: %v", err)
		}
		if _, err := d.Merchants.MerchantBySlug(ctx, "busy"); err == nil {
			t.Fatal("the merchant was made though its admin's password was not hashed")
		}
		out, err := onboard.CreateMerchant(ctx, d, pool, in, "tester")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := onboard.InviteStaff(ctx, d, full, out.Merchant.ID, onboard.StaffInput{Username: "busy-clerk", Role: "clerk"}); !errors.Is(err, auth.ErrBusy) {
			t.Fatalf("invite under a full pool: %v", err)
		}
		if _, _, err := onboard.CreateOperator(ctx, d, full, "busy-op", ""); !errors.Is(err, auth.ErrBusy) {
			t.Fatalf("operator under a full pool: %v", err)
		}
		for _, m := range []string{out.Merchant.ID, ""} {
			for _, u := range []string{"busy-clerk", "busy-op"} {
				if _, err := d.Staff.StaffByUsername(ctx, m, u); err == nil {
					t.Fatalf("%s was made under a full pool", u)
				}
			}
		}
		if full.Hashes() != 0 {
			t.Fatalf("%d hashes ran in a full pool", full.Hashes())
		}
	})
}

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var inv *onboard.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("want an InvalidError, got %v", err)
	}
	var out []string
	for _, f := range inv.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestCreateMerchantOnEveryEngine(t *testing.T) {
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			d := dbtest.Open(t, e)
			ctx := context.Background()
			in := onboard.MerchantInput{Slug: "acme", Name: "Acme", Currency: "sek", TimeZone: "Europe/Stockholm",
				AcquirerMerchantID: "ACME0000000001", ReturnAddress: "Hamngatan 1, Stockholm", AdminUsername: "Acme-Admin", AdminEmail: "a@acme.example"}
			out, err := onboard.CreateMerchant(ctx, d, pool, in, "tester")
			if err != nil {
				t.Fatal(err)
			}
			if out.Merchant.Currency != "SEK" || out.Merchant.TimeZone != "Europe/Stockholm" || out.Admin.Username != "acme-admin" ||
				out.Admin.Role != "admin" || !out.Admin.MustChangePassword || *out.Admin.MerchantID != out.Merchant.ID {
				t.Fatalf("onboarded %+v %+v", out.Merchant, out.Admin)
			}
			// The password and the key are kept only as hashes, and work.
			if ok, _ := auth.CheckPassword(out.Admin.PasswordHash, out.OneTimePassword); !ok || out.Admin.PasswordHash == out.OneTimePassword {
				t.Fatal("the one-time password does not check out against its hash")
			}
			k, err := d.Staff.APIKeyByHash(ctx, auth.HashToken(out.APIKeySecret))
			if err != nil || k.MerchantID != out.Merchant.ID || k.CreatedBy != "tester" {
				t.Fatalf("API key %+v %v", k, err)
			}
			stores, err := d.Merchants.Stores(ctx, out.Merchant.ID)
			if err != nil || len(stores) != 1 || stores[0].Address != "Hamngatan 1, Stockholm" {
				t.Fatalf("stores %+v %v", stores, err)
			}
			if out.Merchant.GatewayAccount != "" || out.Merchant.GatewayAccountName() != "acme" {
				t.Fatalf("without an account, its slug: %+v", out.Merchant)
			}
			// A gateway account of its own, stored; another merchant's (its
			// own or its slug) is taken.
			gw := in
			gw.Slug, gw.GatewayAccount, gw.AdminUsername = "acme-gw", "acme_eu-1", "gw-admin"
			if got, err := onboard.CreateMerchant(ctx, d, pool, gw, "tester"); err != nil || got.Merchant.GatewayAccount != "acme_eu-1" {
				t.Fatalf("with a gateway account: %+v %v", got, err)
			}
			if m, err := d.Merchants.MerchantBySlug(ctx, "acme-gw"); err != nil || m.GatewayAccountName() != "acme_eu-1" {
				t.Fatalf("stored %+v %v", m, err)
			}
			for _, account := range []string{"acme_eu-1", "acme"} {
				again := in
				again.Slug, again.GatewayAccount, again.AdminUsername = "acme-other", account, "other-gw-admin"
				if got := fieldsOf(t, mustFail(onboard.CreateMerchant(ctx, d, pool, again, "tester"))); !slices.Equal(got, []string{"gateway_account"}) {
					t.Fatalf("account %s taken: %v", account, got)
				}
			}
			// Taken slug: refused, nothing half made.
			in2 := in
			in2.AdminUsername = "other-admin"
			if got := fieldsOf(t, mustFail(onboard.CreateMerchant(ctx, d, pool, in2, "tester"))); !slices.Equal(got, []string{"slug"}) {
				t.Fatalf("taken slug: %v", got)
			}
			if _, err := d.Staff.StaffByUsername(ctx, out.Merchant.ID, "other-admin"); !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("a refused onboarding left an admin behind: %v", err)
			}
			// User names are unique per merchant (issue 13): another
			// merchant's admin may bear the same name, and learns nothing.
			in3 := in
			in3.Slug = "acme-two"
			two, err := onboard.CreateMerchant(ctx, d, pool, in3, "tester")
			if err != nil || two.Admin.Username != "acme-admin" || two.Admin.ID == out.Admin.ID {
				t.Fatalf("a second merchant's admin of the same name: %+v, %v", two, err)
			}
			// The only admin cannot be demoted or disabled: nobody would run
			// the merchant.
			role := returns.RoleClerk
			if _, err := d.Staff.ChangeStaff(ctx, out.Merchant.ID, out.Admin.ID, db.StaffChange{Role: &role}); !errors.Is(err, db.ErrLastAdmin) {
				t.Fatalf("demoting the last admin: %v", err)
			}
			off := true
			if _, err := d.Staff.ChangeStaff(ctx, out.Merchant.ID, out.Admin.ID, db.StaffChange{Disabled: &off}); !errors.Is(err, db.ErrLastAdmin) {
				t.Fatalf("disabling the last admin: %v", err)
			}
			// Staff and operators.
			u, pw, err := onboard.InviteStaff(ctx, d, pool, out.Merchant.ID, onboard.StaffInput{Username: "clerk-1", Role: "clerk"})
			if err != nil || pw == "" || !u.MustChangePassword || u.Role != "clerk" {
				t.Fatalf("invite %+v %v", u, err)
			}
			if _, _, err := onboard.InviteStaff(ctx, d, pool, out.Merchant.ID, onboard.StaffInput{Username: "x", Role: "operator", Email: "nope"}); !slices.Equal(fieldsOf(t, err), []string{"role", "username", "email"}) {
				t.Fatalf("bad invite: %v", err)
			}
			op, _, err := onboard.CreateOperator(ctx, d, pool, "root-op", "")
			if err != nil || op.MerchantID != nil || op.Role != "operator" {
				t.Fatalf("operator %+v %v", op, err)
			}
		})
	}
}

func mustFail(_ any, err error) error { return err }

func TestMerchantInputIsCheckedFieldByField(t *testing.T) {
	t.Parallel()
	_, err := onboard.CreateMerchant(context.Background(), nil, pool, onboard.MerchantInput{Slug: "-x", Currency: "EURO",
		TimeZone: "Mars/Olympus", AcquirerMerchantID: "far-too-long-for-de42", GatewayAccount: "Acme.GW",
		AdminUsername: "ab", AdminEmail: "not an address"}, "t")
	want := []string{"slug", "name", "currency", "time_zone", "return_address", "acquirer_merchant_id", "gateway_account", "admin_username", "admin_email"}
	if got := fieldsOf(t, err); !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	if _, err := onboard.CreateMerchant(context.Background(), nil, pool, onboard.MerchantInput{Slug: "ok", Name: "Ok", Currency: "EUR",
		TimeZone: "Local", ReturnAddress: "x", AdminUsername: "okay"}, "t"); !slices.Equal(fieldsOf(t, err), []string{"time_zone"}) {
		t.Fatalf("Local is the server's zone, not the merchant's: %v", err)
	}
}

func TestOneTimePasswordsAreLongAndReadable(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^([a-zA-Z0-9]{5}-){3}[a-zA-Z0-9]{5}$`)
	seen := map[string]bool{}
	for range 200 {
		p, err := onboard.OneTimePassword()
		if err != nil || !re.MatchString(p) || seen[p] {
			t.Fatalf("password %q (%v), seen before: %v", p, err, seen[p])
		}
		for _, look := range "0O1lIi5S8B2Z6b" {
			if slices.Contains([]rune(p), look) {
				t.Fatalf("%q holds the look-alike %q", p, look)
			}
		}
		seen[p] = true
	}
}
