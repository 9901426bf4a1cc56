// Package settlement imports the acquirer's settlement files and the
// payment gateway's daily reports: it streams a file into the staging table
// as it arrives (never holding it in memory), recognises a file imported
// before by its content hash, refuses a malformed file with its first bad
// lines, and reports bad rows of a good file by line number.
package settlement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"io"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// Limits of what a file may get wrong.
const (
	// keptErrors is how many bad rows are recorded (all are counted).
	keptErrors = 1000
	// probe is how many rows decide whether a file is malformed: more than
	// half of them bad, and the file is refused.
	probe = 100
)

// Source is where a file comes from: db.SourceAcquirer or db.SourceGateway.
type Source = string

// RefusedError is a file refused as malformed, with its first bad lines.
type RefusedError struct {
	Lines []db.SettlementError
}

func (e *RefusedError) Error() string {
	var b strings.Builder
	b.WriteString("the file is not a settlement file of this kind")
	for i, l := range e.Lines {
		if i == 5 {
			break
		}
		fmt.Fprintf(&b, "; line %d: %s", l.Line, l.Message)
	}
	return b.String()
}

// Result is an import's outcome.
type Result struct {
	File *db.SettlementFile
	// Duplicate is true when the same content was imported before: File is
	// that earlier file and nothing changed.
	Duplicate bool
	BadRows   []db.SettlementError
}

// Importer imports files into a database.
type Importer struct {
	DB *db.DB
}

// Import streams r, a file of source for merchant m, into the staging
// table. The hash of what was read decides whether it is new.
func (im *Importer) Import(ctx context.Context, m *db.Merchant, source Source, filename, uploadedBy string, r io.Reader) (*Result, error) {
	if source != db.SourceAcquirer && source != db.SourceGateway {
		return nil, fmt.Errorf("unknown source %q", source)
	}
	h := sha256.New()
	counted := &countingReader{r: io.TeeReader(r, h)}
	f := &db.SettlementFile{MerchantID: m.ID, Source: source, Filename: filename, UploadedBy: uploadedBy}
	if err := im.DB.Settlement.CreateSettlementFile(ctx, f); err != nil {
		return nil, err
	}
	src, err := newRows(source, counted, f.ID, m.AcquirerMerchantID)
	if err == nil {
		_, err = im.DB.Settlement.StageItems(ctx, src)
	}
	var refused *RefusedError
	switch {
	case errors.As(err, &refused):
		return nil, im.refuse(ctx, f, refused)
	case err != nil:
		im.abandon(ctx, f, err.Error())
		return nil, err
	}
	// Read to the end, so that the hash covers the whole file.
	if _, err := io.Copy(io.Discard, counted); err != nil {
		im.abandon(ctx, f, err.Error())
		return nil, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if prev, err := im.DB.Settlement.FileWithContent(ctx, m.ID, sum); err == nil {
		if err := im.DB.Settlement.DropStagedItems(ctx, f.ID); err != nil {
			return nil, err
		}
		im.abandon(ctx, f, "the same content as file "+prev.ID)
		return &Result{File: prev, Duplicate: true}, nil
	}
	set := map[string]any{"status": db.FileImported, "content_hash": sum, "size_bytes": counted.n, "rows_read": src.rows,
		"bad_rows": src.bad, "ignored": src.ignored, "first_day": src.firstDay, "last_day": src.lastDay, "imported_at": im.now()}
	if err := im.DB.Settlement.SetSettlementFile(ctx, f.ID, set); err != nil {
		if errors.Is(err, db.ErrConflict) { // imported at the same moment by another request
			_ = im.DB.Settlement.DropStagedItems(ctx, f.ID)
			im.abandon(ctx, f, "imported concurrently")
			prev, perr := im.DB.Settlement.FileWithContent(ctx, m.ID, sum)
			if perr != nil {
				return nil, perr
			}
			return &Result{File: prev, Duplicate: true}, nil
		}
		return nil, err
	}
	if err := im.DB.Settlement.AddSettlementErrors(ctx, src.errs); err != nil {
		return nil, err
	}
	f, err = im.DB.Settlement.SettlementFileByID(ctx, f.ID)
	if err != nil {
		return nil, err
	}
	return &Result{File: f, BadRows: src.errs}, nil
}

func (im *Importer) refuse(ctx context.Context, f *db.SettlementFile, refused *RefusedError) error {
	_ = im.DB.Settlement.DropStagedItems(ctx, f.ID)
	_ = im.DB.Settlement.AddSettlementErrors(ctx, refused.Lines)
	_ = im.DB.Settlement.SetSettlementFile(ctx, f.ID, map[string]any{"status": db.FileRefused, "error": refused.Error()})
	return refused
}

// abandon marks a file refused with why, so that it blocks nothing.
func (im *Importer) now() time.Time { return time.Now().UTC() }

func (im *Importer) abandon(ctx context.Context, f *db.SettlementFile, why string) {
	_ = im.DB.Settlement.DropStagedItems(context.WithoutCancel(ctx), f.ID)
	_ = im.DB.Settlement.SetSettlementFile(context.WithoutCancel(ctx), f.ID, map[string]any{"status": db.FileRefused, "error": why})
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
