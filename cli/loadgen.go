package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/loadgen"
)

func loadgenCommand() *command {
	return &command{
		name: "loadgen",
		summary: "make load: `loadgen settlement --rows N` writes a settlement file with chosen shares of each discrepancy " +
			"(and with --database books the refunds it expects); `loadgen bench --rows N --database URL` times import and " +
			"matching against a plain COPY on Postgres; `loadgen lifecycle` drives whole returns through a running Rebound's API and " +
			"checks each was refunded once (--floor: against a bare workflow of the same shape); `loadgen reads` measures " +
			"the API's reads against a bare handler on the same database",
		run: runLoadgen,
	}
}

func runLoadgen(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: rebound loadgen settlement|bench|lifecycle|reads [flags] (--help for each)")
	}
	switch args[0] {
	case "settlement":
		return loadgenSettlement(ctx, env, args[1:])
	case "bench":
		return loadgenBench(ctx, env, args[1:])
	case "lifecycle":
		return loadgenLifecycle(ctx, env, args[1:])
	case "reads":
		return loadgenReads(ctx, env, args[1:])
	}
	return fmt.Errorf("loadgen: no %q: settlement, bench, lifecycle or reads", args[0])
}

// settlementFlags are the flags that describe a generated file.
func settlementFlags(fs *flag.FlagSet, s *loadgen.Settlement) {
	fs.Int64Var(&s.Rows, "rows", 100_000, "data rows in the file")
	fs.Uint64Var(&s.Seed, "seed", 1, "the same seed makes the same file and books")
	fs.StringVar(&s.Currency, "currency", "EUR", "currency of every row")
	fs.IntVar(&s.Terminals, "terminals", 0, "terminals the rows spread over (0: enough for unique STANs)")
	fs.Func("unexpected", "share of refund rows Rebound has no refund for (0.01 or 1%; default 1%)", share(&s.Unexpected))
	fs.Func("mismatch", "share of refund rows whose amount differs from Rebound's (default 1%)", share(&s.Mismatch))
	fs.Func("missing", "share of refunds Rebound sent that the file leaves out (default 1%)", share(&s.Missing))
	fs.Func("sales", "share of sales among all rows (default 60%)", share(&s.SalesShare))
	s.Unexpected, s.Mismatch, s.Missing, s.SalesShare, s.VoidsShare = 0.01, 0.01, 0.01, 0.60, 0.10
	s.Day = time.Now().UTC()
	fs.Func("day", "settlement date, YYYY-MM-DD (default today)", func(v string) error {
		d, err := time.Parse(time.DateOnly, v)
		s.Day = d
		return err
	})
}

func share(into *float64) func(string) error {
	return func(v string) error {
		pct := strings.HasSuffix(v, "%")
		f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		if err != nil {
			return errors.New("not a number")
		}
		if pct {
			f /= 100
		}
		if f < 0 || f > 1 {
			return errors.New("a share is between 0 and 1 (or 0% and 100%)")
		}
		*into = f
		return nil
	}
}

func parseSub(env *Env, fs *flag.FlagSet, args []string) (bool, error) {
	fs.SetOutput(env.Stderr)
	if wantsHelp(args) {
		fs.SetOutput(env.Stdout) // asked for: help is the answer, not an error
	}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return true, nil
}

func loadgenSettlement(ctx context.Context, env *Env, args []string) error {
	var s loadgen.Settlement
	fs := flag.NewFlagSet("rebound loadgen settlement", flag.ContinueOnError)
	settlementFlags(fs, &s)
	out := fs.String("out", "-", "file to write (- for standard output)")
	fs.StringVar(&s.MerchantID, "mid", "DEMO00000000001", "the acquirer merchant ID of every row")
	dbURL := fs.String("database", "", "also book the refunds the file expects in this database, for --merchant")
	slug := fs.String("merchant", "", "with --database: the merchant (slug) whose books get the refunds; its acquirer merchant ID is used")
	if ok, err := parseSub(env, fs, args); !ok || err != nil {
		return err
	}
	if *dbURL != "" {
		if *slug == "" {
			return errors.New("--database needs --merchant")
		}
		d, err := db.Open(*dbURL, db.DefaultPool, nil)
		if err != nil {
			return err
		}
		defer d.Close()
		m, err := d.Merchants.MerchantBySlug(ctx, *slug)
		if err != nil {
			return err
		}
		s.MerchantID = m.AcquirerMerchantID
		n, err := s.Book(ctx, d, m)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "booked %d refund attempts for %s\n", n, m.Slug)
	}
	if err := s.Check(); err != nil {
		return err
	}
	w := env.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bar := newProgress(env.Stderr, "settlement", s.Rows, "rows")
	c, err := s.Write(w, bar.set)
	bar.done()
	if err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && *out != "-" {
		if err := f.Close(); err != nil {
			return err
		}
	}
	summary, _ := json.Marshal(c)
	fmt.Fprintf(env.Stderr, "%s\n", summary)
	return nil
}

func loadgenBench(ctx context.Context, env *Env, args []string) error {
	var s loadgen.Settlement
	fs := flag.NewFlagSet("rebound loadgen bench", flag.ContinueOnError)
	settlementFlags(fs, &s)
	dbURL := fs.String("database", "", "the Postgres database to run in (postgres://…; it is migrated first)")
	dir := fs.String("dir", os.TempDir(), "where the generated file is written (and removed after)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if ok, err := parseSub(env, fs, args); !ok || err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *dbURL == "" {
		return errors.New("--database: a postgres:// URL is required")
	}
	d, err := db.Open(*dbURL, db.DefaultPool, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	m, err := db.NewMigrator(d, nil)
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return err
	}
	res, err := loadgen.Bench(ctx, d, s, *dir, func(msg string) { fmt.Fprintln(env.Stderr, msg) })
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(res)
	}
	w := env.Stdout
	mb := func(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	fmt.Fprintf(w, "rows %d, file %s\n", res.Rows, mb(uint64(res.FileBytes)))
	for _, p := range []loadgen.Phase{res.Copy, res.Import, res.Match} {
		fmt.Fprintf(w, "%-12s %10s   peak heap %s\n", p.Name, p.Duration.Round(time.Millisecond), mb(p.PeakHeap))
	}
	fmt.Fprintf(w, "import + match = %.2f x plain COPY; peak RSS %s\n", res.Ratio, mb(res.PeakRSS))
	fmt.Fprintf(w, "planned %+v\nfound   %+v\n", res.Counts, res.Result)
	return nil
}

// progress draws a bar on a terminal and nothing elsewhere.
type progress struct {
	w     io.Writer
	on    bool
	label string
	unit  string
	total int64
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, label string, total int64, unit string) *progress {
	return &progress{w: w, on: isTerminal(w), label: label, unit: unit, total: total, start: time.Now()}
}

func (p *progress) set(n int64) {
	if !p.on || (time.Since(p.last) < 100*time.Millisecond && n < p.total) {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := width
	pct := 100.0
	if p.total > 0 {
		filled = int(n * width / p.total)
		pct = float64(n) * 100 / float64(p.total)
	}
	rate := float64(n) / max(time.Since(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.w, "\r%s [%s%s] %5.1f%% %d/%d %s (%.0f/s)", p.label, strings.Repeat("#", filled),
		strings.Repeat(".", width-filled), pct, n, p.total, p.unit, rate)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
