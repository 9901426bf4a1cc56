package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/loadgen"
	"github.com/rebound-returns/rebound/pos"
	"github.com/rebound-returns/rebound/settlement"
)

// `rebound loadgen settlement` writes the file it describes on standard
// error, and with --database books the refunds it expects for a merchant.
func TestLoadgenSettlementWritesAndBooks(t *testing.T) {
	t.Parallel()
	e := dbtest.Engines(t)[0]
	d, url := dbtest.OpenURL(t, e)
	ctx := context.Background()
	m, err := loadgen.Merchant(ctx, d, "shop")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "settle.csv")
	var stdout, stderr bytes.Buffer
	args := []string{"loadgen", "settlement", "--rows", "800", "--seed", "3", "--unexpected", "5%", "--mismatch", "0.05",
		"--day", "2026-11-20", "--out", out, "--database", url, "--merchant", "shop"}
	if code := cli.Main(args, &stdout, &stderr, lookup(nil)); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	var c loadgen.Counts
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &c); err != nil {
		t.Fatalf("summary %q: %v", stderr.String(), err)
	}
	if c.Rows != 800 || c.Unexpected == 0 || c.Mismatch == 0 || !strings.Contains(stderr.String(), "booked ") {
		t.Fatalf("summary %+v; stderr %q", c, stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sr, err := pos.NewSettlementReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	for {
		it, err := sr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.MerchantID != m.AcquirerMerchantID || it.SettlementDate.Format("2006-01-02") != "2026-11-20" {
			t.Fatalf("row %+v", it)
		}
		rows++
	}
	if rows != 800 {
		t.Fatalf("file has %d rows", rows)
	}
	// The books agree with the file: it reconciles as planned.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	res, err := (&settlement.Importer{DB: d}).Import(ctx, m, db.SourceAcquirer, "settle.csv", "test", f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := activities.New(activities.Deps{DB: d}).Settlement.MatchSettlement(ctx, res.File.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Matched != c.Matching || got.Unexpected != c.Unexpected || got.AmountMismatch != c.Mismatch || got.Missing != c.Missing {
		t.Fatalf("reconciled %+v; planned %+v", got, c)
	}
}

func TestLoadgenRefusesBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"loadgen"},
		{"loadgen", "nothing"},
		{"loadgen", "settlement", "--rows", "-5"},
		{"loadgen", "settlement", "--sales", "150%"},
		{"loadgen", "settlement", "--database", "sqlite:x.db"},
		{"loadgen", "bench", "--rows", "10"},
		{"loadgen", "lifecycle", "--mix", "boat=1"},
		{"loadgen", "lifecycle", "--mix", "online=0,card=0"},
		{"loadgen", "lifecycle", "--returns", "0"},
		{"loadgen", "reads"},
	} {
		var stdout, stderr bytes.Buffer
		if code := cli.Main(args, &stdout, &stderr, lookup(nil)); code == 0 || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}
