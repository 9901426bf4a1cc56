package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/loadgen"
)

// apiFlags are the flags that reach a running Rebound and its demo
// merchant (`rebound dev`'s defaults).
func apiFlags(fs *flag.FlagSet, l *loadgen.Lifecycle) {
	l.APIs = []string{"http://127.0.0.1:8080"}
	fs.Func("api", "base URL of an API process; repeat, or separate with commas, to call several in turn (default http://127.0.0.1:8080)",
		func(v string) error {
			if len(l.APIs) == 1 && l.APIs[0] == "http://127.0.0.1:8080" {
				l.APIs = nil
			}
			for _, a := range strings.Split(v, ",") {
				if a = strings.TrimSpace(a); a != "" {
					l.APIs = append(l.APIs, a)
				}
			}
			return nil
		})
	fs.StringVar(&l.Merchant, "merchant", "demo", "the merchant (slug) whose returns are made")
	fs.StringVar(&l.APIKey, "api-key", "rbk_demo_key_change_me", "the merchant's API key (orders)")
	fs.StringVar(&l.StaffPassword, "password", "rebound-demo", "the password of the merchant's clerk, supervisor and finance users")
	fs.StringVar(&l.CarrierSecret, "carrier-secret", "dev-carrier-secret", "HMAC key of carrier events (REBOUND_CARRIER_SECRET)")
	fs.StringVar(&l.CardTerminal, "terminal", "T0000001", "the merchant's terminal the card sales are made on")
	fs.DurationVar(&l.Poll, "poll", 50*time.Millisecond, "how often a return is read while waiting for its next status")
	fs.DurationVar(&l.StepTimeout, "step-timeout", 2*time.Minute, "how long to wait for a return's next status")
	fs.BoolVar(&l.ShopperAddresses, "shopper-addresses", true, "send each shopper's calls with an X-Forwarded-For of its own "+
		"(start the API with REBOUND_TRUSTED_PROXIES=127.0.0.1, or every shopper shares one address's limits and gets 429)")
}

func loadgenLifecycle(ctx context.Context, env *Env, args []string) error {
	var l loadgen.Lifecycle
	fs := flag.NewFlagSet("rebound loadgen lifecycle", flag.ContinueOnError)
	apiFlags(fs, &l)
	fs.IntVar(&l.Returns, "returns", 20, "returns to drive, each from its order to awaiting_settlement")
	fs.IntVar(&l.Concurrency, "concurrency", 4, "returns under way at once")
	l.Mix = map[string]int{loadgen.KindOnline: 3, loadgen.KindCard: 1}
	fs.Func("mix", "kinds of return and their weights: online (shipped, gateway refund) and card (at the counter) (default online=3,card=1)",
		func(v string) (err error) { l.Mix, err = loadgen.ParseMix(v); return err })
	fs.StringVar(&l.GatewayURL, "gateway-url", "http://127.0.0.1:8090", "the gateway simulator, whose report is checked (empty: no check)")
	fs.StringVar(&l.GatewayKey, "gateway-key", "dev-gateway-key", "the gateway simulator's admin key (REBOUND_GATEWAY_API_KEY)")
	fs.StringVar(&l.AcquirerAdminURL, "acquirer-admin-url", "http://127.0.0.1:8584", "the acquirer simulator's admin API, whose ledger is checked (empty: no check)")
	fs.BoolVar(&l.RegisterPayments, "register-payments", false, "tell the simulators of each order's payment first, as a real gateway and acquirer know the payments they took "+
		"(the gateway at --gateway-url, the acquirer at --acquirer-admin-url; rebound dev does it itself)")
	fs.StringVar(&l.AcquirerMID, "acquirer-mid", "DEMO00000000001", "with --register-payments: the merchant's card acceptor id at the acquirer, "+
		"under which its terminals (--terminal, --virtual-terminal) and card sales are told to the acquirer simulator (--acquirer-admin-url)")
	fs.StringVar(&l.VirtualTerminal, "virtual-terminal", "R0000001", "with --register-payments: the merchant's virtual terminal, which sends its card refunds")
	fs.StringVar(&l.GatewayAccount, "gateway-account", "", "with --register-payments: the merchant's account at the gateway (default: --merchant)")
	fs.StringVar(&l.SMSSink, "sms-sink", "", "serve an SMS provider on this address (POST /sms) and read the shoppers' codes there, "+
		"for a Rebound whose workers send SMS to it (REBOUND_SMS_URL=http://ADDR/sms); empty: e-mail, from /v1/dev/outbox")
	floor := fs.Bool("floor", false, "also run a bare workflow of a return's shape on the same Temporal server, and report the ratio")
	var f loadgen.Floor
	fs.StringVar(&f.HostPort, "temporal-address", "127.0.0.1:7233", "with --floor: the Temporal frontend")
	fs.StringVar(&f.Namespace, "namespace", "default", "with --floor: the Temporal namespace")
	fs.IntVar(&f.Workflows, "floor-workflows", 0, "with --floor: floor workflows to run (default: as many as --returns)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if ok, err := parseSub(env, fs, args); !ok || err != nil {
		return err
	}
	if l.Returns < 1 || l.Concurrency < 1 {
		return errors.New("--returns and --concurrency: at least 1")
	}
	bar := newProgress(env.Stdout, "returns", int64(l.Returns), "returns")
	bar.on = bar.on && !*asJSON
	l.Progress = bar.set
	rep, err := l.Run(ctx)
	bar.done()
	if err != nil {
		if rep.Returns > 0 { // interrupted: what it got to
			printLifecycle(env.Stdout, rep)
		}
		return err
	}
	if *floor {
		f.Concurrency = l.Concurrency
		if f.Workflows <= 0 {
			f.Workflows = l.Returns
		}
		fr, err := f.Run(ctx)
		if err != nil {
			return err
		}
		rep.Floor = &fr
		if fr.PerSecond > 0 {
			rep.FloorRatio = rep.PerSecond / fr.PerSecond
		}
	}
	if *asJSON {
		if err := json.NewEncoder(env.Stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		printLifecycle(env.Stdout, rep)
	}
	if !rep.Check.OK {
		return errors.New("lifecycle check failed: not every return reached awaiting_settlement paid exactly once (see the report)")
	}
	return nil
}

func printLifecycle(w io.Writer, rep loadgen.LifecycleReport) {
	fmt.Fprintf(w, "%d returns (%s) at concurrency %d over %s in %.1fs: %.2f returns/s end to end\n",
		rep.Returns, kinds(rep.ByKind), rep.Concurrency, strings.Join(rep.APIs, ", "), rep.Seconds, rep.PerSecond)
	fmt.Fprintf(w, "each return, order to awaiting_settlement: %s\n", ms(rep.EndToEnd))
	if rep.Floor != nil {
		fmt.Fprintf(w, "floor: %d/%d bare workflows (%d activities and %d local ones, %d updates, %d signals, %d child) in %.1fs: %.2f/s; Rebound ÷ floor = %.2f\n",
			rep.Floor.Completed, rep.Floor.Workflows, rep.Floor.Shape.Activities, rep.Floor.Shape.LocalActivities, rep.Floor.Shape.Updates, rep.Floor.Shape.Signals,
			rep.Floor.Shape.Children, rep.Floor.Seconds, rep.Floor.PerSecond, rep.FloorRatio)
	}
	table(w, "API call", rep.Calls)
	table(w, "time in status", rep.Steps)
	if len(rep.Errors) > 0 {
		fmt.Fprintln(w, "errors:")
		limited := false
		for _, k := range sortedKeys(rep.Errors) {
			fmt.Fprintf(w, "  %6d  %s\n", rep.Errors[k], k)
			limited = limited || strings.Contains(k, "HTTP 429")
		}
		if limited {
			fmt.Fprintln(w, "  (429: the shoppers' per-address limits; start the API with REBOUND_TRUSTED_PROXIES naming this host, so that each shopper's X-Forwarded-For counts)")
		}
	}
	if len(rep.Retries) > 0 {
		fmt.Fprintln(w, "calls sent again to the next API:")
		for _, k := range sortedKeys(rep.Retries) {
			fmt.Fprintf(w, "  %6d  %s\n", rep.Retries[k], k)
		}
	}
	c := rep.Check
	fmt.Fprintf(w, "check: %d/%d at awaiting_settlement with a succeeded refund; acquirer %s; gateway %s => %s\n",
		c.AtEnd, rep.Returns, books(c.Acquirer), books(c.Gateway), map[bool]string{true: "OK", false: "FAILED"}[c.OK])
	for _, k := range sortedKeys(c.NotAtEnd) {
		fmt.Fprintf(w, "  not at end: %s: %s\n", k, c.NotAtEnd[k])
	}
}

func kinds(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func books(b loadgen.Books) string {
	switch {
	case !b.Checked:
		return "not checked"
	case b.Error != "":
		return "unreadable: " + b.Error
	}
	s := fmt.Sprintf("%d exactly once", b.Once)
	if n := len(b.Missing); n > 0 {
		s += fmt.Sprintf(", %d missing %v", n, b.Missing)
	}
	if n := len(b.Twice); n > 0 {
		s += fmt.Sprintf(", %d TWICE %v", n, b.Twice)
	}
	if n := len(b.WrongAmount); n > 0 {
		s += fmt.Sprintf(", %d wrong amount %v", n, b.WrongAmount)
	}
	return s
}

func ms(s loadgen.Summary) string {
	return fmt.Sprintf("p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms (%d)", s.P50, s.P95, s.P99, s.Max, s.Count)
}

func table(w io.Writer, title string, m map[string]loadgen.Summary) {
	fmt.Fprintf(w, "%-48s %7s %9s %9s %9s %9s\n", title, "n", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, k := range sortedKeys(m) {
		s := m[k]
		fmt.Fprintf(w, "  %-46s %7d %9.1f %9.1f %9.1f %9.1f\n", k, s.Count, s.P50, s.P95, s.P99, s.Max)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func loadgenReads(ctx context.Context, env *Env, args []string) error {
	var r loadgen.Reads
	fs := flag.NewFlagSet("rebound loadgen reads", flag.ContinueOnError)
	apiFlags(fs, &r.Lifecycle)
	dbURL := fs.String("database-url", "", "the database the API reads (sqlite:… or postgres://…), which the bare handler reads too")
	fs.IntVar(&r.Concurrency, "concurrency", 16, "requests under way at once")
	fs.DurationVar(&r.Duration, "duration", 5*time.Second, "how long each read is measured on each side")
	fs.IntVar(&r.SeedReturns, "seed-returns", 2, "online returns made first through the API, to have one to read")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if ok, err := parseSub(env, fs, args); !ok || err != nil {
		return err
	}
	if *dbURL == "" {
		return errors.New("--database-url: the database the API reads is required (the bare handler reads it too)")
	}
	r.Lifecycle.Mix = map[string]int{loadgen.KindOnline: 1}
	r.Lifecycle.Concurrency = max(r.SeedReturns, 1)
	// Every connection kept idle: the bare side is not to pay for opening
	// connections under load (SQLite has one either way).
	pool := db.DefaultPool
	pool.MaxIdle = pool.MaxOpen
	d, err := db.Open(*dbURL, pool, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	r.DB = d
	rep, err := r.Run(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(rep)
	}
	w := env.Stdout
	fmt.Fprintf(w, "reads at concurrency %d, %.0fs each, on %s\n", rep.Concurrency, rep.Seconds, rep.Database)
	fmt.Fprintf(w, "%-26s %10s %9s %9s   %10s %9s %9s   %6s\n", "read", "API req/s", "p50 ms", "p99 ms", "bare req/s", "p50 ms", "p99 ms", "ratio")
	for _, x := range rep.Reads {
		fmt.Fprintf(w, "%-26s %10.0f %9.1f %9.1f   %10.0f %9.1f %9.1f   %6.2f\n", x.Read, x.API.PerSecond, x.API.Latency.P50, x.API.Latency.P99,
			x.Bare.PerSecond, x.Bare.Latency.P50, x.Bare.Latency.P99, x.Ratio)
		if x.API.Errors+x.Bare.Errors > 0 {
			fmt.Fprintf(w, "%-26s errors: API %d, bare %d\n", "", x.API.Errors, x.Bare.Errors)
		}
	}
	return nil
}
