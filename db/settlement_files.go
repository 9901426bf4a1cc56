package db

import (
	"context"
	"fmt"
	"time"
)

// PickupUploader is who the settlement pick-up records as a file's
// uploader: a file with any other uploader was uploaded by a person.
const PickupUploader = "settlement-pickup"

// How a settlement file arrived, as its list filters it.
const (
	ViaUpload = "upload"
	ViaPickup = "pickup"
)

// SettlementFileCursor is where the previous page of settlement files ended.
type SettlementFileCursor struct {
	CreatedAt time.Time
	ID        string
}

// SettlementFileFilter selects a merchant's settlement files, a page at a
// time, newest first.
type SettlementFileFilter struct {
	MerchantID string
	// Source is SourceAcquirer or SourceGateway (any when empty).
	Source string
	// Via is ViaUpload or ViaPickup (either when empty).
	Via string
	// From and To (days such as 2026-11-26, inclusive; open when empty)
	// keep the files whose business days reach into them.
	From, To string
	After    *SettlementFileCursor
	// Limit is the page size; one more row is read to tell whether a next
	// page exists.
	Limit int
}

// SettlementFiles lists a merchant's settlement files newest first, a page
// at a time, with how many the filter selects (counted up to CountCap+1).
// Each file carries its reconciliation's counts, so a page costs no query
// per file.
func (d Settlement) SettlementFiles(ctx context.Context, f SettlementFileFilter) (*Paged[SettlementFile], error) {
	q := d.read(ctx).Model(&SettlementFile{}).Where("merchant_id = ?", f.MerchantID)
	if f.Source != "" {
		q = q.Where("source = ?", f.Source)
	}
	switch f.Via {
	case ViaPickup:
		q = q.Where("uploaded_by = ?", PickupUploader)
	case ViaUpload:
		q = q.Where("uploaded_by <> ?", PickupUploader)
	}
	if f.From != "" {
		q = q.Where("last_day >= ?", f.From)
	}
	if f.To != "" {
		q = q.Where("first_day <> '' AND first_day <= ?", f.To)
	}
	total, err := d.countCapped(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("settlement files: %w", err)
	}
	if f.After != nil {
		q = q.Where("(created_at, id) < (?, ?)", f.After.CreatedAt.UTC(), f.After.ID)
	}
	var fs []SettlementFile
	if err := q.Order("created_at DESC, id DESC").Limit(f.Limit + 1).Find(&fs).Error; err != nil {
		return nil, fmt.Errorf("settlement files: %w", err)
	}
	p := &Paged[SettlementFile]{Items: fs, Total: total}
	if len(fs) > f.Limit {
		p.Items, p.More = fs[:f.Limit], true
	}
	return p, nil
}
