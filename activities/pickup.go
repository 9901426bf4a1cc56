package activities

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/dropfolder"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/pos"
	"github.com/rebound-returns/rebound/settlement"
)

// The settlement pickup: files the acquirer and the gateway drop into the
// settlement folder (Settlement.SettlementDir, laid out as package dropfolder
// says) are imported as if finance had uploaded them, then moved out of
// the way, so that the next pickup sees only new ones.

// DroppedFile is a file waiting in the settlement folder.
type DroppedFile struct {
	Folder string `json:"folder"` // the merchant's slug or acquirer merchant ID
	Name   string `json:"name"`
}

// PickedFile is what became of a dropped file.
type PickedFile struct {
	// FileID is the imported file (for a duplicate, the file first
	// imported with the same content); "" for a refused file.
	FileID    string `json:"file_id,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	// Refused files are moved to refused/ with Why beside them.
	Refused bool   `json:"refused,omitempty"`
	Why     string `json:"why,omitempty"`
	// Reconcile is true while FileID has not begun its reconciliation: a
	// new file, or one whose earlier pickup stopped before starting it.
	Reconcile bool `json:"reconcile,omitempty"`
}

// ErrFileGone is the type of the error about a dropped file that is no
// longer anywhere in its folder; retrying cannot bring it back.
const ErrFileGone = "file_gone"

// heartbeatEvery is how often an import reports its progress; the
// workflow's heartbeat timeout is a minute.
const heartbeatEvery = 5 * time.Second

// ListDroppedFiles lists the files waiting in the settlement folder, by
// folder and name. Without a settlement folder there are none.
func (a *Settlement) ListDroppedFiles(ctx context.Context) ([]DroppedFile, error) {
	if a.SettlementDir == "" {
		a.log().Warn("settlement pickup ran, but no settlement folder is configured (REBOUND_SETTLEMENT_DIR)")
		return nil, nil
	}
	files, err := dropfolder.List(a.SettlementDir)
	if err != nil {
		return nil, err
	}
	out := make([]DroppedFile, 0, len(files))
	for _, f := range files {
		out = append(out, DroppedFile{Folder: f.Folder, Name: f.Name})
	}
	return out, nil
}

// ImportDroppedFile imports one dropped file for the merchant its folder
// names (by slug, else by acquirer merchant ID), as an acquirer settlement
// file or a gateway report as its header says, streaming it from disk. It
// then moves the file to imported/ (a duplicate too: it changed nothing) or
// to refused/ with the reason. Tried again after a crash that left the
// file moved already, it answers the same: an imported file is read again
// from imported/, which finds the file ID by content.
func (a *Settlement) ImportDroppedFile(ctx context.Context, f DroppedFile) (PickedFile, error) {
	if a.SettlementDir == "" {
		return PickedFile{}, temporal.NewNonRetryableApplicationError("no settlement folder is configured", ErrFileGone, nil)
	}
	path, sub, err := dropfolder.Locate(a.SettlementDir, f.Folder, f.Name)
	if errors.Is(err, os.ErrNotExist) {
		return PickedFile{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("settlement file %s/%s is no longer in the settlement folder", f.Folder, f.Name), ErrFileGone, err)
	}
	if err != nil {
		return PickedFile{}, err
	}
	if sub == dropfolder.Refused { // refused by an earlier try
		return PickedFile{Refused: true, Why: readWhy(path)}, nil
	}
	m, err := a.merchantOfFolder(ctx, f.Folder)
	if errors.Is(err, db.ErrNotFound) || errors.Is(err, db.ErrConflict) {
		why := fmt.Sprintf("no single merchant has %q as its slug or acquirer merchant ID", f.Folder)
		return a.refuse(f, sub, why)
	}
	if err != nil {
		return PickedFile{}, err
	}
	res, err := a.importFrom(ctx, m, path, f)
	var refused *settlement.RefusedError
	var unknown unknownFormat
	switch {
	case errors.As(err, &refused):
		return a.refuse(f, sub, refused.Error())
	case errors.As(err, &unknown):
		return a.refuse(f, sub, unknown.Error())
	case err != nil:
		return PickedFile{}, fmt.Errorf("import %s/%s: %w", f.Folder, f.Name, err)
	}
	if sub == "" {
		if _, err := dropfolder.Move(a.SettlementDir, f.Folder, f.Name, dropfolder.Imported, ""); err != nil {
			return PickedFile{}, fmt.Errorf("settlement file %s/%s imported as %s, not moved: %w", f.Folder, f.Name, res.File.ID, err)
		}
	}
	a.log().Info("settlement file picked up", "merchant", m.Slug, "folder", f.Folder, "file", f.Name, "file_id", res.File.ID,
		"source", res.File.Source, "duplicate", res.Duplicate, "rows", res.File.RowsRead, "bad_rows", res.File.BadRows)
	return PickedFile{FileID: res.File.ID, Duplicate: res.Duplicate, Reconcile: res.File.Status == db.FileImported}, nil
}

// merchantOfFolder is the merchant whose slug, else whose acquirer
// merchant ID, names folder.
func (a *Settlement) merchantOfFolder(ctx context.Context, folder string) (*db.Merchant, error) {
	m, err := a.DB.Merchants.MerchantBySlug(ctx, folder)
	if !errors.Is(err, db.ErrNotFound) {
		return m, err
	}
	return a.DB.Merchants.MerchantByAcquirerMID(ctx, folder)
}

// importFrom streams the file at path into the staging table, telling its
// source by its header and heartbeating as it reads.
func (a *Settlement) importFrom(ctx context.Context, m *db.Merchant, path string, f DroppedFile) (*settlement.Result, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	r := bufio.NewReaderSize(file, 64<<10)
	source, err := sourceOf(r)
	if err != nil {
		return nil, err
	}
	counted := &countingReader{r: r}
	defer heartbeat(ctx, counted)()
	im := settlement.Importer{DB: a.DB}
	return im.Import(ctx, m, source, f.Name, db.PickupUploader, counted)
}

// unknownFormat is a file whose first line is the header of neither
// format.
type unknownFormat struct{}

func (unknownFormat) Error() string {
	return "the first line is neither the header of an acquirer settlement file (" + strings.Join(pos.SettlementColumns, ",") +
		") nor that of a gateway report (" + strings.Join(payments.ReportColumns, ",") + ")"
}

// maxHeader is how far the header row is looked for.
const maxHeader = 4 << 10

// sourceOf tells from the header row, without consuming it, whether r is
// an acquirer settlement file or a gateway report.
func sourceOf(r *bufio.Reader) (settlement.Source, error) {
	head, err := r.Peek(maxHeader)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", err
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	}
	if _, err := pos.NewSettlementReader(bytes.NewReader(head)); err == nil {
		return db.SourceAcquirer, nil
	}
	if _, err := payments.NewReportReader(bytes.NewReader(head)); err == nil {
		return db.SourceGateway, nil
	}
	return "", unknownFormat{}
}

// refuse moves a waiting file to refused/ with why beside it; a file found
// elsewhere already stays where it is.
func (a *Settlement) refuse(f DroppedFile, sub, why string) (PickedFile, error) {
	if sub == "" {
		if _, err := dropfolder.Move(a.SettlementDir, f.Folder, f.Name, dropfolder.Refused, why); err != nil {
			return PickedFile{}, fmt.Errorf("refuse settlement file %s/%s: %w", f.Folder, f.Name, err)
		}
	}
	// The reason may quote the file's lines, so it stays out of the log.
	a.log().Warn("settlement file refused", "folder", f.Folder, "file", f.Name)
	return PickedFile{Refused: true, Why: why}, nil
}

// readWhy reads the reason written beside a refused file.
func readWhy(path string) string {
	file, err := os.Open(path + ".why.txt")
	if err != nil {
		return "refused earlier"
	}
	defer file.Close()
	b, _ := io.ReadAll(io.LimitReader(file, maxHeader))
	return strings.TrimSpace(string(b))
}

// countingReader counts the bytes read so far, for the heartbeats.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// heartbeat tells Temporal every heartbeatEvery how far the import has
// read, until the function it answers is called: through the file and
// through the statements after it, so that a long import is known to be
// alive (and can be cancelled).
func heartbeat(ctx context.Context, read *countingReader) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, read.n.Load())
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
