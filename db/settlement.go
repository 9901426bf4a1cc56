package db

import (
	"context"
	"fmt"
	"time"
)

// Settlement file sources and statuses.
const (
	SourceAcquirer = "acquirer"
	SourceGateway  = "gateway"

	FileImporting   = "importing"
	FileImported    = "imported"
	FileRefused     = "refused"
	FileReconciling = "reconciling"
	FileReconciled  = "reconciled"
)

// Results of settlement items.
const (
	ResultMatched = "matched"
	// ResultAlreadyMatched is a row another file of its batch matched
	// already: the same line sent again, neither matched twice nor a
	// discrepancy.
	ResultAlreadyMatched = "already_matched"
	ResultUnexpected     = "unexpected_at_acquirer"
	ResultAmountMismatch = "amount_mismatch"
	ResultMissing        = "missing_at_acquirer"
)

// SettlementFile is an imported settlement file and what reconciliation
// made of it.
type SettlementFile struct {
	ID             string
	MerchantID     string
	Source         string
	Filename       string
	ContentHash    string
	SizeBytes      int64
	RowsRead       int64
	BadRows        int64
	FirstDay       string
	LastDay        string
	Status         string
	Error          string
	UploadedBy     string
	Matched        int64
	AlreadyMatched int64
	Unexpected     int64
	AmountMismatch int64
	Missing        int64
	Ignored        int64
	CreatedAt      time.Time
	ImportedAt     *time.Time
	ReconciledAt   *time.Time
}

func (SettlementFile) TableName() string { return "settlement_files" }

// SettlementItem is one staged row of a settlement file.
type SettlementItem struct {
	FileID         string
	Line           int64
	SettlementDay  string
	TransactionDay string
	AcquirerMID    string `gorm:"column:acquirer_mid"`
	TerminalID     string
	STAN           string `gorm:"column:stan"`
	RRN            string `gorm:"column:rrn"`
	ApprovalCode   string
	ProcessingCode string
	GatewayRefund  string
	Reference      string
	ItemStatus     string
	Amount         int64
	Currency       string
	MaskedPAN      string `gorm:"column:masked_pan"`
	Batch          string
	// What reconciliation made of the row (settlement_results), read with
	// it; empty before.
	Result    string  `gorm:"->"`
	MatchKey  string  `gorm:"->"`
	AttemptID *string `gorm:"->"`
}

func (SettlementItem) TableName() string { return "settlement_items" }

// SettlementError is a row of a file that could not be read.
type SettlementError struct {
	FileID  string `gorm:"primaryKey"`
	Line    int64  `gorm:"primaryKey"`
	Message string
}

func (SettlementError) TableName() string { return "settlement_errors" }

// SettlementFinding is what no row explains: a refund missing at the acquirer.
type SettlementFinding struct {
	ID         string
	FileID     string
	MerchantID string
	Kind       string
	AttemptID  string
	MatchKey   string
	Amount     int64
	CreatedAt  time.Time
}

func (SettlementFinding) TableName() string { return "settlement_findings" }

// CreateSettlementFile records a file as its import begins.
func (d Settlement) CreateSettlementFile(ctx context.Context, f *SettlementFile) error {
	f.ID = NewID()
	f.Status = FileImporting
	f.CreatedAt = time.Now().UTC()
	if err := d.with(ctx).Create(f).Error; err != nil {
		return fmt.Errorf("settlement file: %w", err)
	}
	return nil
}

// SettlementFileByID reads a file.
func (d Settlement) SettlementFileByID(ctx context.Context, id string) (*SettlementFile, error) {
	var f SettlementFile
	if err := d.with(ctx).Where("id = ?", id).Take(&f).Error; err != nil {
		return nil, fmt.Errorf("settlement file %s: %w", id, translate(err))
	}
	return &f, nil
}

// SetSettlementFile changes columns of a file.
func (d Settlement) SetSettlementFile(ctx context.Context, id string, set map[string]any) error {
	if err := d.with(ctx).Model(&SettlementFile{}).Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("settlement file %s: %w", id, translate(err))
	}
	return nil
}

// FileWithContent finds an imported file of the merchant with this hash.
func (d Settlement) FileWithContent(ctx context.Context, merchantID, hash string) (*SettlementFile, error) {
	var f SettlementFile
	err := d.with(ctx).Where("merchant_id = ? AND content_hash = ? AND status <> ? AND status <> ?", merchantID, hash, FileRefused, FileImporting).
		Take(&f).Error
	if err != nil {
		return nil, fmt.Errorf("settlement file: %w", translate(err))
	}
	return &f, nil
}

// DropStagedItems removes a file's rows and their results (a refused or
// repeated file).
func (d Settlement) DropStagedItems(ctx context.Context, fileID string) error {
	for _, table := range []string{"settlement_results", "settlement_items"} {
		if err := d.with(ctx).Exec("DELETE FROM "+table+" WHERE file_id = ?", fileID).Error; err != nil {
			return fmt.Errorf("drop staged rows: %w", err)
		}
	}
	return nil
}

// AddSettlementErrors records unreadable rows.
func (d Settlement) AddSettlementErrors(ctx context.Context, errs []SettlementError) error {
	if len(errs) == 0 {
		return nil
	}
	if err := d.with(ctx).CreateInBatches(errs, 500).Error; err != nil {
		return fmt.Errorf("settlement errors: %w", err)
	}
	return nil
}

// SettlementErrors lists a file's unreadable rows by line.
func (d Settlement) SettlementErrors(ctx context.Context, fileID string, limit int) ([]SettlementError, error) {
	var es []SettlementError
	if err := d.with(ctx).Where("file_id = ?", fileID).Order("line").Limit(limit).Find(&es).Error; err != nil {
		return nil, fmt.Errorf("settlement errors: %w", err)
	}
	return es, nil
}

// ItemSource yields staged rows one at a time; Next answers io.EOF at the
// end. The row answered may be reused by the next call.
type ItemSource interface {
	Next() (*SettlementItem, error)
}

var itemColumns = []string{"file_id", "line", "settlement_day", "transaction_day", "acquirer_mid", "terminal_id", "stan", "rrn",
	"approval_code", "processing_code", "gateway_refund", "reference", "item_status", "amount", "currency", "masked_pan", "batch"}

// itemValues fills vals with a row's values, in itemColumns' order.
func itemValues(vals []any, it *SettlementItem) []any {
	return append(vals[:0], it.FileID, it.Line, it.SettlementDay, it.TransactionDay, it.AcquirerMID, it.TerminalID, it.STAN, it.RRN,
		it.ApprovalCode, it.ProcessingCode, it.GatewayRefund, it.Reference, it.ItemStatus, it.Amount, it.Currency, it.MaskedPAN, it.Batch)
}

// StageItems streams rows into the staging table: with COPY on Postgres,
// in batched inserts on SQLite. Nothing but the current row is held in
// memory (and, on SQLite, one batch).
func (d Settlement) StageItems(ctx context.Context, src ItemSource) (int64, error) {
	vals := make([]any, 0, len(itemColumns))
	n, err := d.bulkInsert(ctx, "settlement_items", itemColumns, func() ([]any, error) {
		it, err := src.Next()
		if err != nil {
			return nil, err
		}
		vals = itemValues(vals, it)
		return vals, nil
	})
	if err != nil {
		return n, fmt.Errorf("stage settlement rows: %w", err)
	}
	// The planner must know the new rows to join them to the books well;
	// a small sample tells it enough.
	return n, d.sampleStats(ctx, "settlement_items")
}
