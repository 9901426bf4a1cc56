package activities_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/dropfolder"
	"github.com/rebound-returns/rebound/gatewaysim"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/pos"
)

// The pickup on a real settlement folder and a real database: what is in
// the folders afterwards, what the database holds, and what the workflow
// is told.

const (
	slug = "acme"
	mid  = "123456789012345"
)

var settled = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func acquirerFile(t *testing.T) []byte {
	t.Helper()
	sale := pos.SettlementItem{SettlementDate: settled, TransactionDate: settled.AddDate(0, 0, -2), MerchantID: mid, TerminalID: "T0000001",
		STAN: "000001", RRN: "633000000001", ApprovalCode: "AP0001", ProcessingCode: "000000", Amount: 5000, Currency: "EUR",
		MaskedPAN: "411111******1111", Batch: "20261126-01"}
	refund := sale
	refund.TransactionDate, refund.STAN, refund.RRN, refund.ProcessingCode, refund.Amount = settled.AddDate(0, 0, -1), "000002", "633000000002", "200000", 1500
	var b bytes.Buffer
	if err := pos.WriteSettlement(&b, []pos.SettlementItem{sale, refund}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gatewayReport(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	err := payments.WriteReport(&b, []payments.ReportItem{
		{Date: settled, RefundID: "re_1", PaymentID: "pay_1", Reference: "att-1", Amount: 1500, Currency: "EUR", Status: payments.StatusSucceeded},
		{Date: settled, RefundID: "re_2", PaymentID: "pay_2", Amount: 700, Currency: "EUR", Status: payments.StatusFailed, FailureCode: "card_closed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func drop(t *testing.T, dir, folder, name string, content []byte) activities.DroppedFile {
	t.Helper()
	if _, err := dropfolder.Write(dir, folder, name, func(w io.Writer) error { _, err := w.Write(content); return err }); err != nil {
		t.Fatal(err)
	}
	return activities.DroppedFile{Folder: folder, Name: name}
}

// exists fails the test unless the file is at path (under dir).
func exists(t *testing.T, dir string, path ...string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(append([]string{dir}, path...)...)); err != nil {
		t.Errorf("%s: %v", filepath.Join(path...), err)
	}
}

// pickup runs ImportDroppedFile as Temporal runs it.
func pickup(t *testing.T, a *activities.Settlement, f activities.DroppedFile) (activities.PickedFile, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	val, err := env.ExecuteActivity(a.ImportDroppedFile, f)
	var out activities.PickedFile
	if err == nil {
		err = val.Get(&out)
	}
	return out, err
}

func TestPickupImportsMovesAndRefuses(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: slug, Name: "Acme", AcquirerMerchantID: mid}
		if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		a := &activities.Settlement{Base: activities.Base{DB: d}, SettlementDir: dir}
		settlementName := acquirersim.SettlementFileName(mid, "20261126-01")
		reportName := gatewaysim.ReportFileName(slug, settled)
		batch := drop(t, dir, mid, settlementName, acquirerFile(t))
		copied := drop(t, dir, mid, "resent-"+settlementName, acquirerFile(t))
		report := drop(t, dir, slug, reportName, gatewayReport(t))
		malformed := drop(t, dir, slug, "broken.csv", []byte(strings.Join(pos.SettlementColumns, ",")+"\n"+strings.Repeat("a,b,c\n", 20)))
		notes := drop(t, dir, slug, "notes.txt", []byte("dear finance,\nhere is the file\n"))
		stranger := drop(t, dir, "nobody", settlementName, acquirerFile(t))

		var listed []activities.DroppedFile
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivity(a)
		val, err := env.ExecuteActivity(a.ListDroppedFiles)
		if err != nil || val.Get(&listed) != nil {
			t.Fatalf("list: %v", err)
		}
		want := []activities.DroppedFile{copied, batch, malformed, report, notes, stranger} // by folder, then name
		if len(listed) != len(want) {
			t.Fatalf("listed %v, want %v", listed, want)
		}
		for i := range want {
			if listed[i] != want[i] {
				t.Fatalf("listed %v, want %v", listed, want)
			}
		}

		// The acquirer's file, in the folder named by the merchant's MID.
		got, err := pickup(t, a, batch)
		if err != nil || got.FileID == "" || got.Duplicate || got.Refused || !got.Reconcile {
			t.Fatalf("acquirer file: %+v, %v", got, err)
		}
		f, err := d.Settlement.SettlementFileByID(ctx, got.FileID)
		if err != nil || f.MerchantID != m.ID || f.Source != db.SourceAcquirer || f.Status != db.FileImported ||
			f.RowsRead != 2 || f.Ignored != 1 || f.Filename != settlementName {
			t.Fatalf("acquirer file in the database: %+v, %v", f, err)
		}
		exists(t, dir, mid, dropfolder.Imported, settlementName)
		batchID := got.FileID

		// The same content again, under another name: nothing changes, but
		// it is out of the way too.
		got, err = pickup(t, a, copied)
		if err != nil || got.FileID != batchID || !got.Duplicate || got.Refused {
			t.Fatalf("the same content again: %+v, %v; want duplicate of %s", got, err, batchID)
		}
		exists(t, dir, mid, dropfolder.Imported, "resent-"+settlementName)

		// The gateway's report, in the folder named by the merchant's slug.
		got, err = pickup(t, a, report)
		if err != nil || got.FileID == "" || got.FileID == batchID || got.Duplicate || !got.Reconcile {
			t.Fatalf("gateway report: %+v, %v", got, err)
		}
		f, err = d.Settlement.SettlementFileByID(ctx, got.FileID)
		if err != nil || f.MerchantID != m.ID || f.Source != db.SourceGateway || f.RowsRead != 2 || f.Ignored != 1 {
			t.Fatalf("gateway report in the database: %+v, %v", f, err)
		}
		exists(t, dir, slug, dropfolder.Imported, reportName)

		// A settlement file whose rows are all wrong, a file that is neither
		// format, and a file in nobody's folder: refused, with the reason.
		for _, tc := range []struct {
			file activities.DroppedFile
			why  string
		}{
			{malformed, "line 2"},
			{notes, "neither the header of an acquirer settlement file"},
			{stranger, `"nobody"`},
		} {
			got, err = pickup(t, a, tc.file)
			if err != nil || !got.Refused || got.FileID != "" || !strings.Contains(got.Why, tc.why) {
				t.Errorf("%s: %+v, %v; want refused saying %q", tc.file.Name, got, err, tc.why)
				continue
			}
			exists(t, dir, tc.file.Folder, dropfolder.Refused, tc.file.Name)
			why, err := os.ReadFile(filepath.Join(dir, tc.file.Folder, dropfolder.Refused, tc.file.Name+".why.txt"))
			if err != nil || !strings.Contains(string(why), tc.why) {
				t.Errorf("%s: reason beside it %q, %v", tc.file.Name, why, err)
			}
		}

		// Nothing is left waiting.
		if left, err := dropfolder.List(dir); err != nil || len(left) != 0 {
			t.Errorf("still waiting: %v, %v", left, err)
		}

		// Tried again after a crash that came after the move: the same
		// answer, still to be reconciled (its reconciliation never started).
		got, err = pickup(t, a, batch)
		if err != nil || got.FileID != batchID || !got.Reconcile || got.Refused {
			t.Errorf("retry after the move: %+v, %v; want file %s", got, err, batchID)
		}
		got, err = pickup(t, a, stranger)
		if err != nil || !got.Refused || !strings.Contains(got.Why, `"nobody"`) {
			t.Errorf("retry of a refused file: %+v, %v", got, err)
		}
		// Once reconciled, a duplicate needs nothing more.
		if err := d.Settlement.SetSettlementFile(ctx, batchID, map[string]any{"status": db.FileReconciled}); err != nil {
			t.Fatal(err)
		}
		again := drop(t, dir, mid, "third-"+settlementName, acquirerFile(t))
		got, err = pickup(t, a, again)
		if err != nil || got.FileID != batchID || !got.Duplicate || got.Reconcile {
			t.Errorf("duplicate of a reconciled file: %+v, %v", got, err)
		}

		// A file that is gone is not retried.
		_, err = pickup(t, a, activities.DroppedFile{Folder: slug, Name: "never-there.csv"})
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != activities.ErrFileGone || !appErr.NonRetryable() {
			t.Errorf("a missing file: %v", err)
		}
	})
}

func TestPickupWithoutAFolderFindsNothing(t *testing.T) {
	t.Parallel()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	a := &activities.Settlement{}
	env.RegisterActivity(a)
	val, err := env.ExecuteActivity(a.ListDroppedFiles)
	var listed []activities.DroppedFile
	if err != nil || val.Get(&listed) != nil || len(listed) != 0 {
		t.Fatalf("no folder: %v, %v", listed, err)
	}
}

func TestMerchantOfFolderIsAmbiguousWhenTwoShareAMID(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, s := range []string{"one", "two"} {
			if err := d.Merchants.CreateMerchant(ctx, &db.Merchant{Slug: s, Name: s, AcquirerMerchantID: "SHARED000000001"}); err != nil {
				t.Fatal(err)
			}
		}
		dir := t.TempDir()
		f := drop(t, dir, "SHARED000000001", "s.csv", acquirerFile(t))
		got, err := pickup(t, &activities.Settlement{Base: activities.Base{DB: d}, SettlementDir: dir}, f)
		if err != nil || !got.Refused || !strings.Contains(got.Why, "no single merchant") {
			t.Fatalf("a MID two merchants share: %+v, %v", got, err)
		}
		if _, err := d.Merchants.MerchantByAcquirerMID(ctx, "SHARED000000001"); !errors.Is(err, db.ErrConflict) {
			t.Errorf("an ambiguous MID: %v, want ErrConflict", err)
		}
		if _, err := d.Merchants.MerchantByAcquirerMID(ctx, ""); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("no MID: %v, want ErrNotFound", err)
		}
	})
}
