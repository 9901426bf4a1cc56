package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The merchant's catalog, as much as exchanges need (issue 16): products
// and their variants, registered and updated in bulk by the merchant's
// systems. A variant's Available is the merchant's stock as they last sent
// it; Held is what its holds in state held reserve (holds.go). The schema
// keeps 0 ≤ Held ≤ Available.

// Product is one of a merchant's products, under the merchant's own id.
type Product struct {
	MerchantID string
	ProductID  string
	Title      string
	Category   string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (Product) TableName() string { return "catalog_products" }

// Variant is a sellable variant of a product (a size, a colour), under the
// merchant's SKU. Options is a JSON object of option values with sorted
// keys; Price is in minor units of Currency.
type Variant struct {
	ID         string
	MerchantID string
	SKU        string `gorm:"column:sku"`
	ProductID  string
	Options    string
	Price      int64
	Currency   string
	Available  int
	Held       int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (Variant) TableName() string { return "catalog_variants" }

// CatalogVariant is a variant as it is read: with its product's title and
// category.
type CatalogVariant struct {
	Variant
	Title    string
	Category string
}

// CatalogItem is one variant of a bulk upsert with its product.
type CatalogItem struct {
	Product Product
	Variant Variant
}

// UpsertOutcome is what an upsert did to one variant.
type UpsertOutcome string

const (
	VariantCreated   UpsertOutcome = "created"
	VariantUpdated   UpsertOutcome = "updated"
	VariantUnchanged UpsertOutcome = "unchanged"
)

// ErrStockHeld: an upsert would set a variant's available quantity below
// what holds reserve of it. Its *StockHeldError says which item.
var ErrStockHeld = errors.New("the available quantity is below what is held")

// StockHeldError names the item of an upsert whose available quantity is
// below the variant's held units.
type StockHeldError struct {
	Index     int
	SKU       string
	Available int
	Held      int
}

func (e *StockHeldError) Error() string {
	return fmt.Sprintf("variant %s: available %d is below the %d units held", e.SKU, e.Available, e.Held)
}

func (e *StockHeldError) Unwrap() error { return ErrStockHeld }

// UpsertVariants registers or updates a merchant's variants and their
// products in one transaction, and answers what it did to each item, in
// order. A variant or product whose content is the same as stored is not
// written (its UpdatedAt stays), so the same call twice changes nothing; a
// variant whose product's title or category changed counts as updated.
// An item whose available quantity is below the variant's held units
// refuses the whole call (*StockHeldError); nothing is written. Items are
// expected valid and their SKUs unique (the use case checks). One
// merchant's upserts run one at a time (a lock on Postgres, the single
// writer on SQLite), so two calls registering the same new SKU do not
// race.
func (d Catalog) UpsertVariants(ctx context.Context, merchantID string, items []CatalogItem) ([]UpsertOutcome, error) {
	out := make([]UpsertOutcome, len(items))
	now := time.Now().UTC()
	err := d.tx(ctx, func(tx *DB) error {
		if err := tx.LockKey(ctx, "catalog/"+merchantID); err != nil {
			return err
		}
		retitled, err := tx.Catalog.upsertProducts(ctx, merchantID, items, now)
		if err != nil {
			return err
		}
		skus := make([]string, len(items))
		for i, it := range items {
			skus[i] = it.Variant.SKU
		}
		var existing []Variant
		// Locked in id order, as ReleaseReturnHolds takes them, so the two
		// cannot deadlock on Postgres.
		q := tx.with(ctx).Where("merchant_id = ? AND sku IN ?", merchantID, skus).Order("id")
		if d.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Find(&existing).Error; err != nil {
			return err
		}
		bySKU := make(map[string]*Variant, len(existing))
		for i := range existing {
			bySKU[existing[i].SKU] = &existing[i]
		}
		var inserts []Variant
		for i, it := range items {
			v := it.Variant
			old := bySKU[v.SKU]
			switch {
			case old == nil:
				v.ID, v.MerchantID, v.ProductID, v.Held = NewID(), merchantID, it.Product.ProductID, 0
				v.CreatedAt, v.UpdatedAt = now, now
				inserts = append(inserts, v)
				out[i] = VariantCreated
			case old.ProductID == it.Product.ProductID && old.Options == v.Options && old.Price == v.Price &&
				old.Currency == v.Currency && old.Available == v.Available && !retitled[old.ProductID]:
				out[i] = VariantUnchanged
			case v.Available < old.Held:
				return &StockHeldError{Index: i, SKU: v.SKU, Available: v.Available, Held: old.Held}
			default:
				res := tx.with(ctx).Model(&Variant{}).Where("id = ? AND held <= ?", old.ID, v.Available).Updates(map[string]any{
					"product_id": it.Product.ProductID, "options": v.Options, "price": v.Price, "currency": v.Currency,
					"available": v.Available, "updated_at": now})
				if res.Error != nil {
					return res.Error
				}
				if res.RowsAffected != 1 {
					return &StockHeldError{Index: i, SKU: v.SKU, Available: v.Available, Held: old.Held}
				}
				out[i] = VariantUpdated
			}
		}
		if len(inserts) > 0 {
			return tx.with(ctx).CreateInBatches(inserts, 200).Error
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("upsert %d variants: %w", len(items), translate(err))
	}
	return out, nil
}

// upsertProducts writes the products of items that are new or changed,
// and answers those that changed (their variants count as updated).
func (d Catalog) upsertProducts(ctx context.Context, merchantID string, items []CatalogItem, now time.Time) (map[string]bool, error) {
	want := map[string]Product{}
	var ids []string
	for _, it := range items {
		if _, ok := want[it.Product.ProductID]; !ok {
			ids = append(ids, it.Product.ProductID)
		}
		want[it.Product.ProductID] = it.Product
	}
	var existing []Product
	if err := d.with(ctx).Where("merchant_id = ? AND product_id IN ?", merchantID, ids).Find(&existing).Error; err != nil {
		return nil, err
	}
	changed := map[string]bool{}
	have := make(map[string]Product, len(existing))
	for _, p := range existing {
		have[p.ProductID] = p
	}
	var inserts []Product
	for _, id := range ids {
		p, old := want[id], have[id]
		switch {
		case old.ProductID == "":
			p.MerchantID, p.CreatedAt, p.UpdatedAt = merchantID, now, now
			inserts = append(inserts, p)
		case old.Title != p.Title || old.Category != p.Category:
			err := d.with(ctx).Model(&Product{}).Where("merchant_id = ? AND product_id = ?", merchantID, id).
				Updates(map[string]any{"title": p.Title, "category": p.Category, "updated_at": now}).Error
			if err != nil {
				return nil, err
			}
			changed[id] = true
		}
	}
	if len(inserts) > 0 {
		if err := d.with(ctx).CreateInBatches(inserts, 200).Error; err != nil {
			return nil, err
		}
	}
	return changed, nil
}

// VariantFilter narrows a merchant's variants: to one product, to some
// SKUs; After is the SKU the page starts after (the list is ordered by
// SKU).
type VariantFilter struct {
	ProductID string
	SKUs      []string
	After     string
	Limit     int
}

// catalogView selects variants with their product's title and category.
func (d Catalog) catalogView(ctx context.Context, merchantID string) *gorm.DB {
	return d.read(ctx).Table("catalog_variants AS v").
		Select("v.*, p.title, p.category").
		Joins("JOIN catalog_products AS p ON p.merchant_id = v.merchant_id AND p.product_id = v.product_id").
		Where("v.merchant_id = ?", merchantID)
}

// Variants reads a page of a merchant's variants, ordered by SKU, and how
// many the filter matches (counted up to CountCap+1).
func (d Catalog) Variants(ctx context.Context, merchantID string, f VariantFilter) (*Paged[CatalogVariant], error) {
	q := d.catalogView(ctx, merchantID)
	if f.ProductID != "" {
		q = q.Where("v.product_id = ?", f.ProductID)
	}
	if len(f.SKUs) > 0 {
		q = q.Where("v.sku IN ?", f.SKUs)
	}
	total, err := d.countCapped(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("variants: %w", err)
	}
	if f.After != "" {
		q = q.Where("v.sku > ?", f.After)
	}
	var rows []CatalogVariant
	if err := q.Order("v.sku").Limit(f.Limit + 1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("variants: %w", err)
	}
	out := &Paged[CatalogVariant]{Items: rows, Total: total}
	if len(rows) > f.Limit {
		out.Items, out.More = rows[:f.Limit], true
	}
	return out, nil
}

// VariantBySKU reads one of a merchant's variants with its product.
func (d Catalog) VariantBySKU(ctx context.Context, merchantID, sku string) (*CatalogVariant, error) {
	var rows []CatalogVariant
	if err := d.catalogView(ctx, merchantID).Where("v.sku = ?", sku).Limit(1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("variant %s: %w", sku, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("variant %s: %w", sku, ErrNotFound)
	}
	return &rows[0], nil
}
