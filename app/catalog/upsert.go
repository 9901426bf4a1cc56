package catalog

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// Limits of a bulk upsert and of what a variant carries.
const (
	// MaxBatch is the most variants one upsert takes.
	MaxBatch = 500
	// MaxOptions is the most option values (size, colour, …) of a variant.
	MaxOptions = 16
	// MaxAvailable bounds a variant's stock (the column is a 32-bit
	// integer).
	MaxAvailable = 1_000_000_000
	// MaxPrice bounds a price in minor units.
	MaxPrice = 1_000_000_000_000
)

// UpsertRequest is a bulk upsert of the merchant's variants, each with its
// product.
type UpsertRequest struct {
	Variants []VariantInput `json:"variants"`
}

// VariantInput is one variant as the merchant's systems send it: its SKU,
// its product, its option values, its price in minor units of currency and
// how many units are available. Price and available are required (a
// missing stock is not taken for none).
type VariantInput struct {
	SKU       string            `json:"sku"`
	Product   ProductInput      `json:"product"`
	Options   map[string]string `json:"options,omitempty"`
	Price     *int64            `json:"price"`
	Currency  string            `json:"currency"`
	Available *int              `json:"available"`
}

// ProductInput is the variant's product under the merchant's own id.
type ProductInput struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Category string `json:"category,omitempty"`
}

// UpsertResult says what the upsert did to each variant, in the request's
// order, and how many of each.
type UpsertResult struct {
	Items     []ItemResult `json:"items"`
	Created   int          `json:"created"`
	Updated   int          `json:"updated"`
	Unchanged int          `json:"unchanged"`
}

// ItemResult is what happened to one variant: created, updated or
// unchanged.
type ItemResult struct {
	SKU     string           `json:"sku"`
	Outcome db.UpsertOutcome `json:"outcome"`
}

var (
	reKey       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)
	reOptionKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

const keyRule = "is required: letters, digits and . _ : - (at most 64, starting with a letter or digit)"

// validKey tells whether s can be a SKU or a product id.
func validKey(s string) bool { return reKey.MatchString(s) }

// items validates the request and builds the store's items; the fields
// at fault are named by index (variants[3].price).
func (req UpsertRequest) items() ([]db.CatalogItem, []apperr.Field) {
	switch {
	case len(req.Variants) == 0:
		return nil, []apperr.Field{{Name: "variants", Reason: "is required: 1 to " + strconv.Itoa(MaxBatch) + " variants"}}
	case len(req.Variants) > MaxBatch:
		return nil, []apperr.Field{{Name: "variants", Reason: "takes at most " + strconv.Itoa(MaxBatch) + " variants per call"}}
	}
	var errs []apperr.Field
	skus := map[string]int{}
	products := map[string]int{}
	out := make([]db.CatalogItem, len(req.Variants))
	for i, v := range req.Variants {
		at := "variants[" + strconv.Itoa(i) + "]."
		bad := func(field, reason string) { errs = append(errs, apperr.Field{Name: at + field, Reason: reason}) }
		p := ProductInput{ID: v.Product.ID, Title: strings.TrimSpace(v.Product.Title), Category: strings.TrimSpace(v.Product.Category)}
		switch j, seen := skus[v.SKU]; {
		case !validKey(v.SKU):
			bad("sku", keyRule)
		case seen:
			bad("sku", "repeats variants["+strconv.Itoa(j)+"].sku: each SKU once per call")
		default:
			skus[v.SKU] = i
		}
		productOK := true
		if !validKey(p.ID) {
			bad("product.id", keyRule)
			productOK = false
		}
		if p.Title == "" || utf8.RuneCountInString(p.Title) > 200 {
			bad("product.title", "is required (at most 200 characters)")
			productOK = false
		}
		if utf8.RuneCountInString(p.Category) > 64 {
			bad("product.category", "takes at most 64 characters")
			productOK = false
		}
		// A product's variants agree on it (the first valid one sets it).
		if j, seen := products[p.ID]; productOK && seen {
			if q := req.Variants[j].Product; strings.TrimSpace(q.Title) != p.Title || strings.TrimSpace(q.Category) != p.Category {
				bad("product", "differs from variants["+strconv.Itoa(j)+"].product: a product has one title and category")
			}
		} else if productOK {
			products[p.ID] = i
		}
		options, optErrs := canonicalOptions(v.Options)
		for _, e := range optErrs {
			bad("options"+e.Name, e.Reason)
		}
		switch {
		case v.Price == nil:
			bad("price", "is required (minor units of the currency)")
		case *v.Price < 0 || *v.Price > MaxPrice:
			bad("price", "must be from 0 to "+strconv.FormatInt(MaxPrice, 10)+" (minor units of the currency)")
		}
		if !returns.ValidCurrency(v.Currency) {
			bad("currency", "must be an ISO 4217 code such as EUR")
		}
		switch {
		case v.Available == nil:
			bad("available", "is required (units in stock; 0 for none)")
		case *v.Available < 0 || *v.Available > MaxAvailable:
			bad("available", "must be from 0 to "+strconv.Itoa(MaxAvailable))
		}
		if len(errs) > 0 {
			continue
		}
		out[i] = db.CatalogItem{
			Product: db.Product{ProductID: p.ID, Title: p.Title, Category: p.Category},
			Variant: db.Variant{SKU: v.SKU, Options: options, Price: *v.Price, Currency: v.Currency, Available: *v.Available},
		}
	}
	return out, errs
}

// canonicalOptions checks a variant's option values and writes them as
// one JSON form (sorted keys, trimmed values), so the same options sent
// again compare equal. Field names are relative (".size").
func canonicalOptions(opts map[string]string) (string, []apperr.Field) {
	if len(opts) > MaxOptions {
		return "", []apperr.Field{{Name: "", Reason: "takes at most " + strconv.Itoa(MaxOptions) + " option values"}}
	}
	var errs []apperr.Field
	clean := make(map[string]string, len(opts))
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		v := opts[k]
		if !reOptionKey.MatchString(k) {
			errs = append(errs, apperr.Field{Name: "", Reason: "names must be lower-case letters, digits and _ (at most 32), such as size or colour"})
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" || utf8.RuneCountInString(v) > 64 {
			errs = append(errs, apperr.Field{Name: "." + k, Reason: "must be 1 to 64 characters"})
		}
		clean[k] = v
	}
	if len(errs) > 0 {
		return "", errs
	}
	b, _ := json.Marshal(clean) // maps marshal with sorted keys
	return string(b), nil
}
