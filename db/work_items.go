package db

import (
	"context"
	"fmt"
	"time"
)

// WorkItemCursor is where the previous page of work items ended.
type WorkItemCursor struct {
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"id"`
}

// WorkItemFilter selects a merchant's work items, a page at a time.
type WorkItemFilter struct {
	MerchantID string
	OnlyOpen   bool
	// FileID, when set, keeps the items one settlement file opened.
	FileID string
	After  *WorkItemCursor
	// Limit is the page size; one more row is read to tell whether a next
	// page exists.
	Limit int
}

// WorkItemPage is a page of work items and how many the filter selects
// (counted up to CountCap+1).
type WorkItemPage struct {
	Items []WorkItem
	More  bool
	Total int64
}

// WorkItems lists a merchant's work items newest first, a page at a time.
func (d Finance) WorkItems(ctx context.Context, f WorkItemFilter) (*WorkItemPage, error) {
	q := d.with(ctx).Model(&WorkItem{}).Where("merchant_id = ?", f.MerchantID)
	if f.OnlyOpen {
		q = q.Where("status = ?", WorkOpen)
	}
	if f.FileID != "" {
		q = q.Where("file_id = ?", f.FileID)
	}
	total, err := d.countCapped(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("work items: %w", err)
	}
	if f.After != nil {
		q = q.Where("(created_at, id) < (?, ?)", f.After.CreatedAt.UTC(), f.After.ID)
	}
	var ws []WorkItem
	if err := q.Order("created_at DESC, id DESC").Limit(f.Limit + 1).Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("work items: %w", err)
	}
	p := &WorkItemPage{Items: ws, Total: total}
	if len(ws) > f.Limit {
		p.Items, p.More = ws[:f.Limit], true
	}
	return p, nil
}
