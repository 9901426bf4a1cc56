package loadgen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/settlement"
)

// Phase is one measured part of a benchmark run.
type Phase struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
	// PeakHeap is the most heap the process held during the phase, in bytes.
	PeakHeap uint64 `json:"peak_heap_bytes"`
}

// BenchResult is a reconciliation benchmark's outcome.
type BenchResult struct {
	Rows      int64   `json:"rows"`
	FileBytes int64   `json:"file_bytes"`
	Copy      Phase   `json:"plain_copy"`
	Import    Phase   `json:"import"`
	Match     Phase   `json:"match"`
	Ratio     float64 `json:"ratio"` // (import + match) / plain copy
	Counts    Counts  `json:"planned"`
	Result    activities.ReconcileResult
	// PeakRSS is the process's peak resident memory over the whole run.
	PeakRSS uint64 `json:"peak_rss_bytes"`
}

// Bench reconciles a generated settlement file of s.Rows rows on
// Postgres and measures it against a plain COPY of the same file into an
// empty table: it books the attempts the file expects for a fresh
// merchant, writes the file into dir, then times the plain COPY, the
// import (streamed into staging) and the matching (set-wise, with the
// work items), sampling the heap as each runs. progress, when not nil,
// hears what is happening.
func Bench(ctx context.Context, d *db.DB, s Settlement, dir string, progress func(string)) (BenchResult, error) {
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	if d.Dialect() != db.Postgres {
		return BenchResult{}, errors.New("the benchmark compares with Postgres's COPY: give it a postgres:// database")
	}
	m, err := Merchant(ctx, d, fmt.Sprintf("bench-%d", time.Now().UnixNano()))
	if err != nil {
		return BenchResult{}, err
	}
	s.MerchantID = m.AcquirerMerchantID
	if err := s.Check(); err != nil {
		return BenchResult{}, err
	}
	res := BenchResult{Rows: s.Rows}
	say("booking the attempts the file expects")
	if _, err := s.Book(ctx, d, m); err != nil {
		return res, err
	}
	path := filepath.Join(dir, fmt.Sprintf("settlement-%s-%d.csv", m.AcquirerMerchantID, s.Rows))
	say("writing %d rows to %s", s.Rows, path)
	f, err := os.Create(path)
	if err != nil {
		return res, err
	}
	defer os.Remove(path)
	if res.Counts, err = s.Write(f, nil); err != nil {
		f.Close()
		return res, err
	}
	if err := f.Close(); err != nil {
		return res, err
	}
	if st, err := os.Stat(path); err == nil {
		res.FileBytes = st.Size()
	}

	say("plain COPY into an empty table")
	table := fmt.Sprintf("bench_copy_%d", time.Now().UnixNano())
	res.Copy, err = measure("plain COPY", func() error { return plainCopy(ctx, d, table, path) })
	if err != nil {
		return res, err
	}
	var fileID string
	say("import")
	res.Import, err = measure("import", func() error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		im := settlement.Importer{DB: d}
		r, err := im.Import(ctx, m, db.SourceAcquirer, filepath.Base(path), "loadgen", f)
		if err != nil {
			return err
		}
		fileID = r.File.ID
		return nil
	})
	if err != nil {
		return res, err
	}
	say("match")
	a := &activities.Settlement{Base: activities.Base{DB: d}}
	res.Match, err = measure("match", func() error {
		var err error
		if res.Result, err = a.MatchSettlement(ctx, fileID); err != nil {
			return err
		}
		return a.FinishReconciliation(ctx, fileID)
	})
	if err != nil {
		return res, err
	}
	res.Ratio = float64(res.Import.Duration+res.Match.Duration) / float64(res.Copy.Duration)
	res.PeakRSS = peakRSS()
	return res, nil
}

// plainCopy is the yardstick: COPY of the file, as it is, into an empty
// table of its columns, then the table dropped.
func plainCopy(ctx context.Context, d *db.DB, table, path string) error {
	cols := "settlement_date date, transaction_date date, merchant_id text, terminal_id text, stan text, rrn text, " +
		"approval_code text, processing_code text, amount bigint, currency text, masked_pan text, batch text"
	if err := d.Exec(ctx, "CREATE TABLE "+table+" ("+cols+")"); err != nil {
		return err
	}
	defer d.Exec(context.WithoutCancel(ctx), "DROP TABLE "+table) //nolint:errcheck // best effort
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = d.CopyFile(ctx, "COPY "+table+" FROM STDIN WITH (FORMAT csv, HEADER true)", f)
	return err
}

// measure runs fn, timing it and sampling the heap every few milliseconds.
func measure(name string, fn func() error) (Phase, error) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	err := fn()
	elapsed := time.Since(start)
	close(done)
	wg.Wait()
	return Phase{Name: name, Duration: elapsed, PeakHeap: peak}, err
}
