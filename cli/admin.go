package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/config"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/onboard"
)

// adminCommand onboards from a shell what operators onboard through the
// API: the same checks (package onboard), audited as the shell's user.
func adminCommand() *command {
	return &command{
		name: "admin",
		summary: "run the platform from a shell: `admin create-merchant` (the merchant, its first admin with a one-time password, " +
			"an API key, each printed once), `admin create-operator`, `admin list-merchants`, `admin create-api-key`",
		mode:  config.ModeMigrate,
		flags: []flagVar{{"database-url", "REBOUND_DATABASE_URL", "database URL"}},
		run:   runAdmin,
	}
}

func runAdmin(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: rebound admin create-merchant|create-operator|list-merchants|create-api-key [flags] (--help for each)")
	}
	sub := map[string]func(context.Context, *Env, *db.DB, []string) error{
		"create-merchant": adminCreateMerchant, "create-operator": adminCreateOperator,
		"list-merchants": adminListMerchants, "create-api-key": adminCreateAPIKey,
	}[args[0]]
	if sub == nil {
		return fmt.Errorf("admin: no %q: create-merchant, create-operator, list-merchants or create-api-key", args[0])
	}
	if wantsHelp(args[1:]) {
		return sub(ctx, env, nil, args[1:]) // prints its flags before it reaches the database
	}
	d, err := openDB(env.Config, newLogger(env))
	if err != nil {
		return err
	}
	defer d.Close()
	return sub(ctx, env, d, args[1:])
}

// shellUser names who acted in the audit log.
func shellUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "shell:" + u.Username
	}
	return "shell"
}

func auditShell(ctx context.Context, d *db.DB, action, resourceType, id string, merchantID *string, detail map[string]any) error {
	e := &db.AuditEntry{Actor: shellUser(), ActorRole: returns.RoleOperator, Action: action, ResourceType: resourceType, ResourceID: id,
		Outcome: db.OutcomeSuccess, Origin: "rebound admin", MerchantID: merchantID}
	if detail != nil {
		j, err := db.ToJSON(detail)
		if err != nil {
			return err
		}
		e.Detail = j
	}
	return d.Audit.AppendAudit(ctx, e)
}

func fieldsOf(err error) error {
	var inv *onboard.InvalidError
	if errors.As(err, &inv) {
		var lines []string
		for _, f := range inv.Fields {
			lines = append(lines, " --"+strings.ReplaceAll(f.Field, "_", "-")+" "+f.Message)
		}
		return errors.New("refused: " + strings.Join(lines, ";"))
	}
	return err
}

func adminCreateMerchant(ctx context.Context, env *Env, d *db.DB, args []string) error {
	var in onboard.MerchantInput
	fs := flag.NewFlagSet("rebound admin create-merchant", flag.ContinueOnError)
	fs.StringVar(&in.Slug, "slug", "", "short name in URLs, e.g. acme (required)")
	fs.StringVar(&in.Name, "name", "", "the merchant's name as shoppers see it (required)")
	fs.StringVar(&in.Currency, "currency", "EUR", "ISO 4217 currency")
	fs.StringVar(&in.TimeZone, "time-zone", "UTC", "IANA time zone, e.g. Europe/Stockholm")
	fs.StringVar(&in.AcquirerMerchantID, "acquirer-merchant-id", "", "the acquirer's card acceptor id (DE42), for card sales")
	fs.StringVar(&in.GatewayAccount, "gateway-account", "", "the merchant's account at the payment gateway, named in every gateway refund (default: --slug); 1-64 of a-z 0-9 _ -")
	fs.StringVar(&in.ReturnAddress, "return-address", "", "where shipped returns go; the first store, main, gets it (required)")
	fs.StringVar(&in.AdminUsername, "admin-username", "", "user name of the merchant's first admin (required)")
	fs.StringVar(&in.AdminEmail, "admin-email", "", "the admin's e-mail (told of locked accounts and refund freezes)")
	ifAbsent := fs.Bool("if-absent", false, "succeed without changing anything when a merchant with --slug exists (a setup step run again)")
	if ok, err := parseSub(env, fs, args); !ok || err != nil {
		return err
	}
	if *ifAbsent {
		if m, err := d.Merchants.MerchantBySlug(ctx, in.Slug); err == nil {
			fmt.Fprintf(env.Stdout, "Merchant %s exists (id %s): left as it is.\n", m.Slug, m.ID)
			return nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
	}
	by := shellUser()
	out, err := onboard.CreateMerchant(ctx, d, shellPasswords(), in, by)
	if err != nil {
		return fieldsOf(err)
	}
	if err := auditShell(ctx, d, "merchant.onboard", "merchant", out.Merchant.ID, &out.Merchant.ID,
		map[string]any{"slug": out.Merchant.Slug, "admin": out.Admin.Username, "gateway_account": out.Merchant.GatewayAccountName()}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, `Merchant %s (%s) onboarded: id %s, %s, %s.
  Gateway     account %s
  Admin       %s, one-time password %s
              (to change at the first log-in, naming the merchant %s; shown only now)
  API key     %s
              (for X-API-Key; shown only now, stored hashed)
`, out.Merchant.Slug, out.Merchant.Name, out.Merchant.ID, out.Merchant.Currency, out.Merchant.TimeZone,
		out.Merchant.GatewayAccountName(), out.Admin.Username, out.OneTimePassword, out.Merchant.Slug, out.APIKeySecret)
	return nil
}

func adminCreateOperator(ctx context.Context, env *Env, d *db.DB, args []string) error {
	fs := flag.NewFlagSet("rebound admin create-operator", flag.ContinueOnError)
	username := fs.String("username", "", "the operator's user name (required)")
	email := fs.String("email", "", "the operator's e-mail")
	ifAbsent := fs.Bool("if-absent", false, "succeed without changing anything when an operator with --username exists (a setup step run again)")
	if ok, err := parseSub(env, fs, args); !ok || err != nil {
		return err
	}
	if *ifAbsent {
		if u, err := d.Staff.StaffByUsername(ctx, "", *username); err == nil {
			fmt.Fprintf(env.Stdout, "Operator %s exists: left as it is.\n", u.Username)
			return nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
	}
	u, password, err := onboard.CreateOperator(ctx, d, shellPasswords(), *username, *email)
	if err != nil {
		return fieldsOf(err)
	}
	if err := auditShell(ctx, d, "operator.create", "staff_user", u.ID, nil, map[string]any{"username": u.Username}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Operator %s created, one-time password %s (to change at the first log-in; shown only now)\n", u.Username, password)
	return nil
}

func adminListMerchants(ctx context.Context, env *Env, d *db.DB, args []string) error {
	fs := flag.NewFlagSet("rebound admin list-merchants", flag.ContinueOnError)
	if ok, err := parseSub(env, fs, args); !ok || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tCURRENCY\tTIME ZONE\tACQUIRER MID\tSTATUS\tID")
	for p := (db.Page{Limit: 200}); ; p.Offset += p.Limit {
		ms, err := d.Merchants.MerchantsPage(ctx, p)
		if err != nil {
			return err
		}
		for _, m := range ms.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Slug, m.Name, m.Currency, m.TimeZone, m.AcquirerMerchantID, m.Status, m.ID)
		}
		if !ms.More || p.Offset+p.Limit >= db.CountCap {
			break
		}
	}
	return tw.Flush()
}

func adminCreateAPIKey(ctx context.Context, env *Env, d *db.DB, args []string) error {
	fs := flag.NewFlagSet("rebound admin create-api-key", flag.ContinueOnError)
	slug := fs.String("merchant", "", "the merchant's slug (required)")
	name := fs.String("name", "", "what the key is for, e.g. web shop (required)")
	if ok, err := parseSub(env, fs, args); !ok || err != nil {
		return err
	}
	m, err := d.Merchants.MerchantBySlug(ctx, *slug)
	if errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("no merchant %q", *slug)
	}
	if err != nil {
		return err
	}
	k, secret, err := onboard.NewAPIKey(ctx, d, m.ID, *name, shellUser())
	if err != nil {
		return fieldsOf(err)
	}
	if err := auditShell(ctx, d, "api_key.create", "api_key", k.ID, &m.ID, map[string]any{"name": k.Name}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "API key for %s: %s (shown only now, stored hashed; id %s)\n", m.Slug, secret, k.ID)
	return nil
}

// shellPasswords hashes the one-time password of a command run from a
// shell: one hash at a time, waiting as long as it takes.
func shellPasswords() *auth.Pool { return auth.NewPool(1, time.Minute) }
