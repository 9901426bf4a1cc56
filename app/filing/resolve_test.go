package filing

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// withResolutions gives the world's merchant a policy offering every
// resolution with a 10 % credit bonus, and a catalog of the shoes in
// three sizes (size 43 out of stock) and a hat.
func withResolutions(w *world) {
	p := returns.DefaultPolicy()
	p.Resolutions = slices.Clone(returns.Resolutions)
	p.CreditBonus = returns.CreditBonus{BasisPoints: 1000}
	w.store.merchant.Policy, _ = db.ToJSON(p)
	w.store.order.Lines[0].SKU = "SHOE-42"
	variant := func(sku, product string, available, held int) *db.CatalogVariant {
		return &db.CatalogVariant{Variant: db.Variant{SKU: sku, ProductID: product, Available: available, Held: held, Currency: "EUR"}, Title: product}
	}
	w.store.variants = map[string]*db.CatalogVariant{
		"SHOE-42": variant("SHOE-42", "shoe", 3, 0), "SHOE-44": variant("SHOE-44", "shoe", 2, 1),
		"SHOE-43": variant("SHOE-43", "shoe", 1, 1), "HAT": variant("HAT", "hat", 9, 0),
	}
}

func fieldsOf(err error) []string {
	e := apperr.As(err)
	if e == nil || !errors.Is(err, apperr.ErrInvalid) {
		return []string{"not invalid: " + errString(err)}
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Name+" "+f.Reason)
	}
	return out
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// A resolution the policy does not offer, and an exchange the catalog
// cannot give, are refused naming the line's field, before the lookup's
// filing is claimed or anything is stored.
func TestFileRefusesResolutionsNotOffered(t *testing.T) {
	shoes := func(r returns.Resolution, sku string) []returns.RequestedLine {
		return []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "other"},
			{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: r, VariantSKU: sku}}
	}
	cases := []struct {
		name    string
		offered bool
		lines   []returns.RequestedLine
		want    string
	}{
		{"credit under the default policy", false, shoes(returns.ResolutionStoreCredit, ""),
			"lines[1].resolution is not offered by the merchant; offered: refund"},
		{"variant not in the catalog", true, shoes(returns.ResolutionExchange, "SHOE-99"),
			"lines[1].variant_sku is not a variant in the merchant's catalog"},
		{"another product", true, shoes(returns.ResolutionExchange, "HAT"),
			"lines[1].variant_sku must be a variant of the product ordered (shoe)"},
		{"out of stock", true, shoes(returns.ResolutionExchange, "SHOE-43"),
			"lines[1].variant_sku has 0 in stock, fewer than the 1 asked"},
		{"ordered item not in the catalog", true, []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "other",
			Resolution: returns.ResolutionExchange, VariantSKU: "SHOE-44"}},
			"lines[0].variant_sku the ordered item is not in the merchant's catalog, so it cannot be exchanged"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			if c.offered {
				withResolutions(w)
			}
			a, _ := w.verified()
			req := viaLookup(a)
			req.Lines = c.lines
			_, err := w.svc.File(context.Background(), req)
			if got := fieldsOf(err); !slices.Equal(got, []string{c.want}) {
				t.Fatalf("refusal %q; want %q", got, c.want)
			}
			if slices.Contains(w.store.calls, "ClaimLookupFiling") || len(w.store.created) > 0 || w.wf.in.ReturnID != "" {
				t.Fatalf("went on after the refusal: %v", w.store.calls)
			}
		})
	}
}

// The shopper's choices are stored on the return's lines and carried in
// the workflow's input; a line without one is a refund.
func TestFileRecordsResolutions(t *testing.T) {
	w := newWorld()
	withResolutions(w)
	a, _ := w.verified()
	req := viaLookup(a)
	req.Lines = []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "other"},
		{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: returns.ResolutionExchange, VariantSKU: "SHOE-44"}}
	if _, err := w.svc.File(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := w.store.created[0].Lines
	if got[0].Resolution != returns.ResolutionRefund || got[1].Resolution != returns.ResolutionExchange || got[1].VariantSKU != "SHOE-44" {
		t.Fatalf("stored lines %+v", got)
	}
	if in := w.wf.in.Lines; in[1].Resolution != returns.ResolutionExchange || in[1].VariantSKU != "SHOE-44" {
		t.Fatalf("workflow lines %+v", in)
	}
}

// The quote shows each offered resolution per line, the bonus on credit,
// and the lines as chosen; it checks the choices as filing would.
func TestQuote(t *testing.T) {
	w := newWorld()
	withResolutions(w)
	a, _ := w.verified()
	q, err := w.svc.Quote(context.Background(), a, []returns.RequestedLine{
		{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: returns.ResolutionStoreCredit}})
	if err != nil {
		t.Fatal(err)
	}
	want := []returns.Option{{Resolution: returns.ResolutionRefund, Amount: 4500},
		{Resolution: returns.ResolutionStoreCredit, Amount: 4500, Bonus: 450}, {Resolution: returns.ResolutionExchange, Amount: 4500}}
	if len(q.Lines) != 1 || !slices.Equal(q.Lines[0].Options, want) || q.Chosen.Credit != 4500 || q.Chosen.Bonus != 450 || q.Currency != "EUR" {
		t.Fatalf("quote %+v", q)
	}
	w.store.history = db.RefundHistory{Refunded: 9500 - 1000}
	q, err = w.svc.Quote(context.Background(), a, []returns.RequestedLine{
		{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: returns.ResolutionStoreCredit}})
	if err != nil || q.Chosen.Credit != 1000 || q.Chosen.Bonus != 100 {
		t.Fatalf("quote over a history %+v %v", q.Chosen, err)
	}
	_, err = w.svc.Quote(context.Background(), a, []returns.RequestedLine{{LineID: "shoes", Quantity: 3, Reason: "too_small"}})
	if got := fieldsOf(err); !slices.Equal(got, []string{"lines[0].quantity exceeds the 2 ordered"}) {
		t.Fatalf("refusal %q", got)
	}
}
