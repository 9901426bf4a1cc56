// Package catalog is the merchant's catalog as much as exchanges need, and
// the inventory holds of exchanges: the merchant's systems upsert their
// products and variants in bulk (idempotently: the same call twice changes
// nothing) and read them back; a return's exchange holds units of a
// variant, releases them when the return no longer needs them and consumes
// them when the replacement ships. The rules that must hold under
// concurrency (never oversell, one hold per return and variant, end a hold
// once and only from held) are the store's; this package checks the
// input, names the fields at fault and turns the store's refusals into
// apperr ones.
package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// Store is what the catalog reads and writes (db.Catalog satisfies it).
type Store interface {
	UpsertVariants(ctx context.Context, merchantID string, items []db.CatalogItem) ([]db.UpsertOutcome, error)
	Variants(ctx context.Context, merchantID string, f db.VariantFilter) (*db.Paged[db.CatalogVariant], error)
	VariantBySKU(ctx context.Context, merchantID, sku string) (*db.CatalogVariant, error)
	HoldStock(ctx context.Context, merchantID, sku, returnID string, qty int) (*db.InventoryHold, bool, error)
	EndHold(ctx context.Context, merchantID, holdID string, to db.HoldState, reason returns.Status) (*db.InventoryHold, bool, error)
	ReleaseReturnHolds(ctx context.Context, merchantID, returnID string, reason returns.Status) ([]db.InventoryHold, error)
	HoldsOfReturn(ctx context.Context, merchantID, returnID string) ([]db.ReturnHold, error)
}

// Deps is what a Service is built from.
type Deps struct {
	Store Store
}

// Service keeps the catalog and its holds.
type Service struct{ d Deps }

// New builds a Service.
func New(d Deps) *Service { return &Service{d: d} }

// Upsert registers or updates the merchant's variants (at most MaxBatch)
// in one step: every item is checked first and a bad one refuses the call,
// naming its index and field; an item whose available quantity is below
// what holds reserve of the variant refuses the call as a conflict naming
// it (nothing is written: the merchant sends the call again with that
// item's stock corrected, or once the holds have ended).
func (s *Service) Upsert(ctx context.Context, merchantID string, req UpsertRequest) (UpsertResult, error) {
	items, fields := req.items()
	if err := apperr.InvalidFields(fields...); err != nil {
		return UpsertResult{}, err
	}
	outcomes, err := s.d.Store.UpsertVariants(ctx, merchantID, items)
	var held *db.StockHeldError
	if errors.As(err, &held) {
		return UpsertResult{}, &apperr.Error{Kind: apperr.ErrConflict, Code: "stock-held",
			Detail: "variant " + held.SKU + " has " + strconv.Itoa(held.Held) + " units held for exchanges; its available quantity may not go below them",
			Fields: []apperr.Field{{Name: "variants[" + strconv.Itoa(held.Index) + "].available",
				Reason: "is " + strconv.Itoa(held.Available) + ", below the " + strconv.Itoa(held.Held) + " units held for exchanges"}}}
	}
	if err != nil {
		return UpsertResult{}, err
	}
	res := UpsertResult{Items: make([]ItemResult, len(items))}
	for i, o := range outcomes {
		res.Items[i] = ItemResult{SKU: items[i].Variant.SKU, Outcome: o}
		switch o {
		case db.VariantCreated:
			res.Created++
		case db.VariantUpdated:
			res.Updated++
		default:
			res.Unchanged++
		}
	}
	return res, nil
}

// VariantView is a variant as the merchant reads it: its product, options,
// price and stock — available (the merchant's), held (reserved for
// exchanges) and free (what a new hold can take).
type VariantView struct {
	SKU       string            `json:"sku"`
	Product   ProductInput      `json:"product"`
	Options   map[string]string `json:"options"`
	Price     int64             `json:"price"`
	Currency  string            `json:"currency"`
	Available int               `json:"available"`
	Held      int               `json:"held"`
	Free      int               `json:"free"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

func viewOf(v *db.CatalogVariant) VariantView {
	out := VariantView{SKU: v.SKU, Product: ProductInput{ID: v.ProductID, Title: v.Title, Category: v.Category},
		Options: map[string]string{}, Price: v.Price, Currency: v.Currency, Available: v.Available, Held: v.Held,
		Free: v.Available - v.Held, CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC()}
	_ = json.Unmarshal([]byte(v.Options), &out.Options) // written by canonicalOptions
	return out
}

// MaxSKUs is how many SKUs one list may ask for.
const MaxSKUs = 100

// ListRequest narrows the list: Product to one product's variants, SKUs
// (comma-separated, at most MaxSKUs) to those; After is the SKU the page
// starts after, Limit how many it holds.
type ListRequest struct {
	Product string
	SKUs    string
	After   string
	Limit   int
}

// Page is one page of variants, ordered by SKU.
type Page struct {
	Items []VariantView
	More  bool
	// Total is how many variants the filter matches, counted up to
	// db.CountCap+1.
	Total int64
}

// List reads a page of the merchant's variants.
func (s *Service) List(ctx context.Context, merchantID string, q ListRequest) (Page, error) {
	f := db.VariantFilter{ProductID: q.Product, After: q.After, Limit: q.Limit}
	var errs []apperr.Field
	if q.Product != "" && !validKey(q.Product) {
		errs = append(errs, apperr.Field{Name: "product", Reason: "is not a product id"})
	}
	if q.SKUs != "" {
		f.SKUs = strings.Split(q.SKUs, ",")
		for _, sku := range f.SKUs {
			if !validKey(sku) {
				errs = append(errs, apperr.Field{Name: "sku", Reason: "must be SKUs separated by commas"})
				break
			}
		}
		if len(f.SKUs) > MaxSKUs {
			errs = append(errs, apperr.Field{Name: "sku", Reason: "takes at most " + strconv.Itoa(MaxSKUs) + " SKUs"})
		}
	}
	if q.After != "" && !validKey(q.After) {
		errs = append(errs, apperr.Field{Name: "cursor", Reason: "is not a cursor from this list"})
	}
	if q.Limit < 1 {
		errs = append(errs, apperr.Field{Name: "limit", Reason: "must be 1 or more"})
	}
	if err := apperr.InvalidFields(errs...); err != nil {
		return Page{}, err
	}
	rows, err := s.d.Store.Variants(ctx, merchantID, f)
	if err != nil {
		return Page{}, err
	}
	p := Page{Items: make([]VariantView, len(rows.Items)), More: rows.More, Total: rows.Total}
	for i := range rows.Items {
		p.Items[i] = viewOf(&rows.Items[i])
	}
	return p, nil
}

// errNoSuchVariant answers a SKU the merchant has not registered.
var errNoSuchVariant = apperr.NotFound("", "no such variant in your catalog")

// Get reads one of the merchant's variants by its SKU.
func (s *Service) Get(ctx context.Context, merchantID, sku string) (VariantView, error) {
	if !validKey(sku) {
		return VariantView{}, errNoSuchVariant
	}
	v, err := s.d.Store.VariantBySKU(ctx, merchantID, sku)
	if errors.Is(err, db.ErrNotFound) {
		return VariantView{}, errNoSuchVariant
	}
	if err != nil {
		return VariantView{}, fmt.Errorf("variant %s: %w", sku, err)
	}
	return viewOf(v), nil
}
