package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

var errStore = errors.New("store down")

// fakeStore keeps one merchant's catalog and holds in memory, with the
// store's rules (outcomes, holds within stock, one hold per return and
// variant, ends only from held); err, when set, is what every call
// answers instead. returns lists the return ids that are the merchant's.
type fakeStore struct {
	mu       sync.Mutex
	variants map[string]*db.CatalogVariant
	holds    map[string]*db.InventoryHold
	returns  map[string]bool
	err      error
	calls    int
	lastF    db.VariantFilter
}

func newFakeStore(returnIDs ...string) *fakeStore {
	f := &fakeStore{variants: map[string]*db.CatalogVariant{}, holds: map[string]*db.InventoryHold{}, returns: map[string]bool{}}
	for _, id := range returnIDs {
		f.returns[id] = true
	}
	return f
}

var at = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

func (f *fakeStore) enter() error {
	f.mu.Lock()
	f.calls++
	return f.err
}

func (f *fakeStore) UpsertVariants(_ context.Context, merchantID string, items []db.CatalogItem) ([]db.UpsertOutcome, error) {
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return nil, err
	}
	out := make([]db.UpsertOutcome, len(items))
	next := map[string]*db.CatalogVariant{}
	for i, it := range items {
		v := it.Variant
		old := f.variants[v.SKU]
		cv := &db.CatalogVariant{Variant: v, Title: it.Product.Title, Category: it.Product.Category}
		cv.MerchantID, cv.ProductID, cv.CreatedAt, cv.UpdatedAt = merchantID, it.Product.ProductID, at, at
		switch {
		case old == nil:
			cv.ID = db.NewID()
			out[i] = db.VariantCreated
		case old.ProductID == cv.ProductID && old.Options == v.Options && old.Price == v.Price && old.Currency == v.Currency &&
			old.Available == v.Available:
			out[i] = db.VariantUnchanged
			continue
		case v.Available < old.Held:
			return nil, &db.StockHeldError{Index: i, SKU: v.SKU, Available: v.Available, Held: old.Held}
		default:
			cv.ID, cv.Held, cv.CreatedAt = old.ID, old.Held, old.CreatedAt
			out[i] = db.VariantUpdated
		}
		next[v.SKU] = cv
	}
	for k, v := range next {
		f.variants[k] = v
	}
	return out, nil
}

func (f *fakeStore) Variants(_ context.Context, _ string, q db.VariantFilter) (*db.Paged[db.CatalogVariant], error) {
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return nil, err
	}
	f.lastF = q
	var all []db.CatalogVariant
	for _, v := range f.variants {
		if (q.ProductID == "" || v.ProductID == q.ProductID) && v.SKU > q.After {
			all = append(all, *v)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].SKU < all[j].SKU })
	p := &db.Paged[db.CatalogVariant]{Items: all, Total: int64(len(all))}
	if len(all) > q.Limit {
		p.Items, p.More = all[:q.Limit], true
	}
	return p, nil
}

func (f *fakeStore) VariantBySKU(_ context.Context, _, sku string) (*db.CatalogVariant, error) {
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return nil, err
	}
	v, ok := f.variants[sku]
	if !ok {
		return nil, fmt.Errorf("variant %s: %w", sku, db.ErrNotFound)
	}
	c := *v
	return &c, nil
}

func (f *fakeStore) HoldStock(_ context.Context, merchantID, sku, returnID string, qty int) (*db.InventoryHold, bool, error) {
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return nil, false, err
	}
	v, ok := f.variants[sku]
	if !ok {
		return nil, false, db.ErrNotFound
	}
	if !f.returns[returnID] {
		return nil, false, db.ErrForeignReturn
	}
	for _, h := range f.holds {
		if h.ReturnID == returnID && h.VariantID == v.ID {
			if h.Quantity != qty {
				return nil, false, db.ErrHoldDiffers
			}
			c := *h
			return &c, false, nil
		}
	}
	if v.Available-v.Held < qty {
		return nil, false, db.ErrOutOfStock
	}
	v.Held += qty
	h := &db.InventoryHold{ID: db.NewID(), MerchantID: merchantID, VariantID: v.ID, ReturnID: returnID, Quantity: qty,
		State: db.HoldHeld, CreatedAt: at, UpdatedAt: at}
	f.holds[h.ID] = h
	c := *h
	return &c, true, nil
}

func (f *fakeStore) EndHold(_ context.Context, _, holdID string, to db.HoldState, reason returns.Status) (*db.InventoryHold, bool, error) {
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return nil, false, err
	}
	h, ok := f.holds[holdID]
	switch {
	case !ok:
		return nil, false, db.ErrNotFound
	case h.State == to:
		c := *h
		return &c, false, nil
	case h.State != db.HoldHeld:
		return nil, false, db.ErrHoldEnded
	}
	f.endHeld(h, to, reason)
	c := *h
	return &c, true, nil
}

func (f *fakeStore) endHeld(h *db.InventoryHold, to db.HoldState, reason returns.Status) {
	for _, v := range f.variants {
		if v.ID == h.VariantID {
			v.Held -= h.Quantity
			if to == db.HoldConsumed {
				v.Available -= h.Quantity
			}
		}
	}
	end := at.Add(time.Hour)
	h.State, h.ReleaseReason, h.EndedAt = to, reason, &end
}

func (f *fakeStore) ReleaseReturnHolds(_ context.Context, _, returnID string, reason returns.Status) ([]db.InventoryHold, error) {
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return nil, err
	}
	var out []db.InventoryHold
	for _, h := range f.holds {
		if h.ReturnID == returnID && h.State == db.HoldHeld {
			f.endHeld(h, db.HoldReleased, reason)
			out = append(out, *h)
		}
	}
	return out, nil
}

func (f *fakeStore) HoldsOfReturn(_ context.Context, _, returnID string) ([]db.ReturnHold, error) {
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return nil, err
	}
	var out []db.ReturnHold
	for _, h := range f.holds {
		if h.ReturnID == returnID {
			for _, v := range f.variants {
				if v.ID == h.VariantID {
					out = append(out, db.ReturnHold{InventoryHold: *h, SKU: v.SKU})
				}
			}
		}
	}
	return out, nil
}

// stock puts a variant with available units into the fake.
func (f *fakeStore) stock(sku string, available int) {
	f.variants[sku] = &db.CatalogVariant{Variant: db.Variant{ID: db.NewID(), SKU: sku, ProductID: "P-1", Options: `{"size":"42"}`,
		Price: 8999, Currency: "EUR", Available: available, CreatedAt: at, UpdatedAt: at}, Title: "Runner", Category: "shoes"}
}
