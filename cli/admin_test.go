package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// The compose stack's bootstrap runs create-operator and create-merchant
// with --if-absent on every `docker compose up`: the first run creates them,
// a re-run succeeds and changes nothing, and without the flag an existing
// one is still refused.
func TestAdminCreateIfAbsentRunsAgain(t *testing.T) {
	t.Parallel()
	e := dbtest.Engines(t)[0]
	vars := map[string]string{"REBOUND_DATABASE_URL": e.URL(t), "REBOUND_LOG_LEVEL": "error"}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := cli.Main(args, &stdout, &stderr, lookup(vars))
		return code, stdout.String(), stderr.String()
	}
	if code, _, errOut := run("migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	operator := []string{"admin", "create-operator", "--if-absent", "--username", "ops", "--email", "ops@example.com"}
	merchant := []string{"admin", "create-merchant", "--if-absent", "--slug", "acme", "--name", "Acme",
		"--admin-username", "admin", "--return-address", "Quay 1"}

	code, out, errOut := run(operator...)
	if code != 0 || !strings.Contains(out, "Operator ops created, one-time password ") {
		t.Fatalf("first create-operator: %d %q %q", code, out, errOut)
	}
	code, out, errOut = run(merchant...)
	if code != 0 || !strings.Contains(out, "Merchant acme (Acme) onboarded") {
		t.Fatalf("first create-merchant: %d %q %q", code, out, errOut)
	}

	d, err := db.Open(vars["REBOUND_DATABASE_URL"], db.DefaultPool, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	ctx := context.Background()
	op, err := d.Staff.StaffByUsername(ctx, "", "ops")
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.Merchants.MerchantBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}

	// Again, as a restarted stack does: success, nothing new, no password.
	code, out, errOut = run(operator...)
	if code != 0 || !strings.Contains(out, "Operator ops exists: left as it is") || strings.Contains(out, "password") {
		t.Errorf("create-operator again: %d %q %q", code, out, errOut)
	}
	code, out, errOut = run(merchant...)
	if code != 0 || !strings.Contains(out, "Merchant acme exists (id "+m.ID+"): left as it is") || strings.Contains(out, "password") {
		t.Errorf("create-merchant again: %d %q %q", code, out, errOut)
	}
	if again, err := d.Staff.StaffByUsername(ctx, "", "ops"); err != nil || again.ID != op.ID || again.PasswordHash != op.PasswordHash {
		t.Errorf("the operator changed on the re-run: %+v %v", again, err)
	}
	ms, err := d.Merchants.MerchantsPage(ctx, db.Page{Limit: 10})
	if err != nil || len(ms.Items) != 1 {
		t.Errorf("merchants after the re-run: %v %v; want acme alone", ms, err)
	}

	// Without the flag an existing one is refused, as before.
	if code, _, errOut := run("admin", "create-operator", "--username", "ops"); code == 0 || !strings.Contains(errOut, "--username is taken") {
		t.Errorf("create-operator ops without --if-absent: %d %q", code, errOut)
	}
	if code, _, errOut := run(append([]string{"admin", "create-merchant"}, merchant[3:]...)...); code == 0 || !strings.Contains(errOut, "--slug is taken") {
		t.Errorf("create-merchant acme without --if-absent: %d %q", code, errOut)
	}
}
