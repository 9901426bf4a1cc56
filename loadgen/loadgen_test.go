package loadgen_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/loadgen"
	"github.com/rebound-returns/rebound/pos"
	"github.com/rebound-returns/rebound/settlement"
)

func plan(rows int64) loadgen.Settlement {
	return loadgen.Settlement{Rows: rows, Seed: 7, MerchantID: "LOAD00000000042", Currency: "EUR",
		Day: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Unexpected: 0.05, Mismatch: 0.04, Missing: 0.03, SalesShare: 0.5, VoidsShare: 0.2}
}

// The same seed writes the same file; what Write counts is what Counts
// predicts, what the file holds when read back, and what Books yields.
func TestGeneratedFileIsDeterministicAndAgreesWithItsCounts(t *testing.T) {
	t.Parallel()
	s := plan(5000)
	var a, b bytes.Buffer
	var reported int64
	ca, err := s.Write(&a, func(n int64) { reported = n })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(&b, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same seed wrote two different files")
	}
	if reported != s.Rows {
		t.Fatalf("progress ended at %d of %d rows", reported, s.Rows)
	}
	predicted, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if ca != predicted {
		t.Fatalf("written %+v, predicted %+v", ca, predicted)
	}
	if ca.Sales+ca.Refunds != ca.Rows || ca.Matching+ca.Unexpected+ca.Mismatch != ca.Refunds || ca.Unexpected == 0 || ca.Mismatch == 0 || ca.Missing == 0 {
		t.Fatalf("counts do not add up or lack a kind: %+v", ca)
	}

	// Read back: every row is a valid settlement row of the merchant, with
	// unique keys.
	sr, err := pos.NewSettlementReader(&a)
	if err != nil {
		t.Fatal(err)
	}
	var rows, sales int64
	keys := map[string]bool{}
	for {
		it, err := sr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("row %d: %v", rows+2, err)
		}
		rows++
		if it.ProcessingCode == pos.ProcessingSale {
			sales++
		}
		k := it.TerminalID + "/" + it.STAN + "/" + it.RRN
		if keys[k] {
			t.Fatalf("key %s twice", k)
		}
		keys[k] = true
		if it.MerchantID != s.MerchantID {
			t.Fatalf("row of merchant %s", it.MerchantID)
		}
	}
	if rows != ca.Rows || sales != ca.Sales {
		t.Fatalf("read %d rows (%d sales); counted %+v", rows, sales, ca)
	}
	next, err := s.Books()
	if err != nil {
		t.Fatal(err)
	}
	var booked int64
	for {
		at, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if at.Amount <= 0 || (at.Kind != returns.AttemptRefund && at.Kind != returns.AttemptVoid) {
			t.Fatalf("attempt %+v", at)
		}
		booked++
	}
	if booked != ca.Attempts {
		t.Fatalf("books yield %d attempts, counts say %d", booked, ca.Attempts)
	}
}

func TestBadDescriptionsAreRefused(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]loadgen.Settlement{
		"rows":       {Rows: -1, MerchantID: "LOAD00000000042", Day: time.Now()},
		"merchant":   {Rows: 1, MerchantID: "short", Day: time.Now()},
		"day":        {Rows: 1, MerchantID: "LOAD00000000042"},
		"unexpected": {Rows: 1, MerchantID: "LOAD00000000042", Day: time.Now(), Unexpected: 1.5},
		"terminals":  {Rows: 1, MerchantID: "LOAD00000000042", Day: time.Now(), Terminals: 10_000},
	} {
		if err := s.Check(); err == nil || !strings.HasPrefix(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A generated file, imported against the books it expects, reconciles
// exactly as planned on both engines.
func TestGeneratedFileReconcilesAsPlanned(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, err := loadgen.Merchant(ctx, d, "load")
		if err != nil {
			t.Fatal(err)
		}
		s := plan(3000)
		s.MerchantID = m.AcquirerMerchantID
		booked, err := s.Book(ctx, d, m)
		if err != nil {
			t.Fatal(err)
		}
		var file bytes.Buffer
		c, err := s.Write(&file, nil)
		if err != nil {
			t.Fatal(err)
		}
		if booked != c.Attempts {
			t.Fatalf("booked %d attempts, the plan says %d", booked, c.Attempts)
		}
		res, err := (&settlement.Importer{DB: d}).Import(ctx, m, db.SourceAcquirer, "load.csv", "loadgen", &file)
		if err != nil {
			t.Fatal(err)
		}
		a := &activities.Settlement{Base: activities.Base{DB: d}}
		got, err := a.MatchSettlement(ctx, res.File.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := activities.ReconcileResult{Matched: c.Matching, Unexpected: c.Unexpected, AmountMismatch: c.Mismatch, Missing: c.Missing, Ignored: c.Sales}
		if got != want {
			t.Fatalf("reconciled %+v; planned %+v", got, want)
		}
	})
}

// The benchmark runs end to end on Postgres (small, to stay quick) and
// finds what it planned.
func TestBenchOnPostgres(t *testing.T) {
	t.Parallel()
	var pg *dbtest.Engine
	for _, e := range dbtest.Engines(t) {
		if e.Name == "postgres" {
			pg = &e
		}
	}
	if pg == nil {
		t.Skip("the benchmark needs Postgres: set REBOUND_TEST_POSTGRES_URL")
	}
	d := dbtest.Open(t, *pg)
	s := plan(4000)
	var said []string
	res, err := loadgen.Bench(context.Background(), d, s, t.TempDir(), func(msg string) { said = append(said, msg) })
	if err != nil {
		t.Fatal(err)
	}
	c := res.Counts
	want := activities.ReconcileResult{Matched: c.Matching, Unexpected: c.Unexpected, AmountMismatch: c.Mismatch, Missing: c.Missing, Ignored: c.Sales}
	if res.Result != want || res.Rows != 4000 || res.FileBytes == 0 {
		t.Fatalf("bench %+v; planned %+v", res, want)
	}
	for _, p := range []loadgen.Phase{res.Copy, res.Import, res.Match} {
		if p.Duration <= 0 || p.PeakHeap == 0 {
			t.Fatalf("phase not measured: %+v", p)
		}
	}
	if res.Ratio <= 0 || len(said) < 4 {
		t.Fatalf("ratio %v, progress %q", res.Ratio, said)
	}
	if res.PeakRSS == 0 && fileExists("/proc/self/status") {
		t.Fatal("peak RSS not read")
	}
	// It refuses SQLite: the yardstick is Postgres's COPY.
	sq := dbtest.Open(t, dbtest.Engines(t)[0])
	if _, err := loadgen.Bench(context.Background(), sq, s, t.TempDir(), nil); err == nil {
		t.Fatal("bench ran on SQLite")
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
