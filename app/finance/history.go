package finance

import (
	"context"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
)

// maxHistoryDays is the widest span of days a settlement history covers.
const maxHistoryDays = 366

// FileListItem is a settlement file as its history lists it: the file
// with what reconciliation made of it, how it arrived (db.ViaUpload or
// db.ViaPickup), who sent it and when.
type FileListItem struct {
	File
	Via        string
	UploadedBy string
	CreatedAt  time.Time
}

// SettlementFileCursor is where a page of settlement files ended.
type SettlementFileCursor struct {
	CreatedAt time.Time
	ID        string
}

// SettlementQuery is a settlement history's query as sent.
type SettlementQuery struct {
	// Merchant is an operator's choice of merchant (a slug); operators
	// must name one.
	Merchant string
	// Source is acquirer or gateway; Via upload or pickup (all when empty).
	Source, Via string
	// From and To are days (2026-11-26), To inclusive: the files whose
	// business days reach into them.
	From, To string
	Page     Page[SettlementFileCursor]
}

// SettlementPage is a page of settlement files: Next is where the next
// page starts (nil on the last), Total how many the query selects, counted
// up to db.CountCap+1.
type SettlementPage struct {
	Items []FileListItem
	Next  *SettlementFileCursor
	Total int64
}

// Settlements is a page of a merchant's settlement files, uploaded or
// picked up, newest first, each with its reconciliation's counts.
func (s *Service) Settlements(ctx context.Context, c Caller, q SettlementQuery) (SettlementPage, error) {
	merchantID, err := s.scope(ctx, c, q.Merchant)
	if err != nil {
		return SettlementPage{}, err
	}
	if merchantID == "" {
		return SettlementPage{}, apperr.Invalid("merchant", "operators name the merchant")
	}
	var bad []apperr.Field
	if q.Source != "" && q.Source != db.SourceAcquirer && q.Source != db.SourceGateway {
		bad = append(bad, apperr.Field{Name: "source", Reason: "must be acquirer or gateway"})
	}
	if q.Via != "" && q.Via != db.ViaUpload && q.Via != db.ViaPickup {
		bad = append(bad, apperr.Field{Name: "via", Reason: "must be upload or pickup"})
	}
	_, _, badDays := apperr.DayRange(q.From, q.To, maxHistoryDays)
	bad = append(bad, badDays...)
	bad = append(bad, q.Page.Bad...)
	if len(bad) > 0 {
		return SettlementPage{}, apperr.InvalidFields(bad...)
	}
	page, err := s.d.Store.SettlementFiles(ctx, db.SettlementFileFilter{MerchantID: merchantID, Source: q.Source, Via: q.Via,
		From: q.From, To: q.To, After: (*db.SettlementFileCursor)(q.Page.After), Limit: q.Page.Limit})
	if err != nil {
		return SettlementPage{}, err
	}
	out := SettlementPage{Items: make([]FileListItem, 0, len(page.Items)), Total: page.Total}
	for i := range page.Items {
		f := &page.Items[i]
		via := db.ViaUpload
		if f.UploadedBy == db.PickupUploader {
			via = db.ViaPickup
		}
		out.Items = append(out.Items, FileListItem{File: fileOf(f), Via: via, UploadedBy: f.UploadedBy, CreatedAt: f.CreatedAt})
	}
	if n := len(page.Items); n > 0 && page.More {
		out.Next = &SettlementFileCursor{CreatedAt: page.Items[n-1].CreatedAt, ID: page.Items[n-1].ID}
	}
	return out, nil
}
