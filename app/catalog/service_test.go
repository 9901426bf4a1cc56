package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

func ptr[T any](v T) *T { return &v }

func input(sku, product string, available int) VariantInput {
	return VariantInput{SKU: sku, Product: ProductInput{ID: product, Title: "Runner", Category: "shoes"},
		Options: map[string]string{"size": "42", "colour": " blue "}, Price: ptr(int64(8999)), Currency: "EUR", Available: ptr(available)}
}

// fieldsOf lists an invalid refusal's fields as "name: reason".
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	e := apperr.As(err)
	if e == nil {
		t.Fatalf("err = %v, want an apperr refusal", err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Name+": "+f.Reason)
	}
	return out
}

func TestUpsertNamesTheItemAndFieldAtFault(t *testing.T) {
	t.Parallel()
	many := make([]VariantInput, MaxBatch+1)
	for i := range many {
		many[i] = input(fmt.Sprintf("SKU-%d", i), "P-1", 1)
	}
	tests := []struct {
		name   string
		change func(vs []VariantInput) []VariantInput
		want   []string // a prefix of each field's "name: reason"
	}{
		{"no variants", func([]VariantInput) []VariantInput { return nil }, []string{"variants: is required"}},
		{"too many", func([]VariantInput) []VariantInput { return many }, []string{"variants: takes at most 500"}},
		{"bad sku", func(vs []VariantInput) []VariantInput { vs[1].SKU = "a b"; return vs }, []string{"variants[1].sku: is required"}},
		{"sku with a slash", func(vs []VariantInput) []VariantInput { vs[0].SKU = "A/B"; return vs }, []string{"variants[0].sku: "}},
		{"repeated sku", func(vs []VariantInput) []VariantInput { vs[2].SKU = vs[0].SKU; return vs }, []string{"variants[2].sku: repeats variants[0].sku"}},
		{"no product id", func(vs []VariantInput) []VariantInput { vs[0].Product.ID = ""; return vs }, []string{"variants[0].product.id: is required"}},
		{"blank title", func(vs []VariantInput) []VariantInput { vs[1].Product.Title = "  "; return vs }, []string{"variants[1].product.title: is required"}},
		{"long category", func(vs []VariantInput) []VariantInput { vs[0].Product.Category = strings.Repeat("x", 65); return vs },
			[]string{"variants[0].product.category: takes at most 64"}},
		{"one product, two titles", func(vs []VariantInput) []VariantInput { vs[1].Product.Title = "Walker"; return vs },
			[]string{"variants[1].product: differs from variants[0].product"}},
		{"bad option name", func(vs []VariantInput) []VariantInput { vs[2].Options = map[string]string{"Size!": "M"}; return vs },
			[]string{"variants[2].options: names must be"}},
		{"empty option value", func(vs []VariantInput) []VariantInput { vs[2].Options = map[string]string{"size": " "}; return vs },
			[]string{"variants[2].options.size: must be 1 to 64"}},
		{"too many options", func(vs []VariantInput) []VariantInput {
			vs[0].Options = map[string]string{}
			for i := range MaxOptions + 1 {
				vs[0].Options[fmt.Sprintf("o%d", i)] = "x"
			}
			return vs
		}, []string{"variants[0].options: takes at most 16"}},
		{"no price", func(vs []VariantInput) []VariantInput { vs[0].Price = nil; return vs }, []string{"variants[0].price: is required"}},
		{"negative price", func(vs []VariantInput) []VariantInput { vs[1].Price = ptr(int64(-1)); return vs }, []string{"variants[1].price: must be from 0"}},
		{"bad currency", func(vs []VariantInput) []VariantInput { vs[0].Currency = "eur"; return vs }, []string{"variants[0].currency: must be an ISO 4217"}},
		{"no stock", func(vs []VariantInput) []VariantInput { vs[2].Available = nil; return vs }, []string{"variants[2].available: is required"}},
		{"negative stock", func(vs []VariantInput) []VariantInput { vs[2].Available = ptr(-1); return vs }, []string{"variants[2].available: must be from 0"}},
		{"two items at fault", func(vs []VariantInput) []VariantInput { vs[0].Currency, vs[2].Price = "", nil; return vs },
			[]string{"variants[0].currency: ", "variants[2].price: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newFakeStore()
			s := New(Deps{Store: st})
			vs := tc.change([]VariantInput{input("RUN-42", "P-1", 5), input("RUN-43", "P-1", 0), input("SOCK", "P-2", 9)})
			_, err := s.Upsert(context.Background(), "m1", UpsertRequest{Variants: vs})
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("err = %v, want invalid", err)
			}
			got := fieldsOf(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("fields %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("field %q, want %q…", got[i], tc.want[i])
				}
			}
			if st.calls != 0 {
				t.Fatalf("the store was called %d times for a bad request", st.calls)
			}
		})
	}
}

func TestUpsertSaysWhatItDidAndTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	st := newFakeStore()
	s := New(Deps{Store: st})
	ctx := context.Background()
	req := UpsertRequest{Variants: []VariantInput{input("RUN-42", "P-1", 5), input("SOCK", "P-2", 9)}}
	res, err := s.Upsert(ctx, "m1", req)
	if err != nil || res.Created != 2 || res.Items[1].SKU != "SOCK" || res.Items[1].Outcome != db.VariantCreated {
		t.Fatalf("first = %+v, %v", res, err)
	}
	if got := st.variants["RUN-42"].Options; got != `{"colour":"blue","size":"42"}` {
		t.Fatalf("options stored as %s, want sorted and trimmed", got)
	}
	res, err = s.Upsert(ctx, "m1", req)
	if err != nil || res.Unchanged != 2 || res.Created+res.Updated != 0 {
		t.Fatalf("again = %+v, %v", res, err)
	}
	// The same options in another order and spacing are the same variant.
	req.Variants[0].Options = map[string]string{"colour": "blue", "size": "42 "}
	req.Variants[1].Price = ptr(int64(399))
	res, err = s.Upsert(ctx, "m1", req)
	if err != nil || res.Unchanged != 1 || res.Updated != 1 || res.Items[1].Outcome != db.VariantUpdated {
		t.Fatalf("a price change = %+v, %v", res, err)
	}
	st.err = errStore
	if _, err := s.Upsert(ctx, "m1", req); !errors.Is(err, errStore) {
		t.Fatalf("a store failure: %v", err)
	}
}

func TestUpsertBelowHeldIsAConflictNamingTheItem(t *testing.T) {
	t.Parallel()
	st := newFakeStore("r1")
	s := New(Deps{Store: st})
	ctx := context.Background()
	if _, err := s.Upsert(ctx, "m1", UpsertRequest{Variants: []VariantInput{input("RUN-41", "P-1", 5), input("RUN-42", "P-1", 5)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Hold(ctx, HoldRequest{MerchantID: "m1", ReturnID: "01a23c00-3831-74a2-a351-0cda5971b1c9", SKU: "RUN-42", Quantity: 3}); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("a return not the merchant's: %v", err)
	}
	st.returns["01a23c00-3831-74a2-a351-0cda5971b1c9"] = true
	if _, err := s.Hold(ctx, HoldRequest{MerchantID: "m1", ReturnID: "01a23c00-3831-74a2-a351-0cda5971b1c9", SKU: "RUN-42", Quantity: 3}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Upsert(ctx, "m1", UpsertRequest{Variants: []VariantInput{input("RUN-41", "P-1", 0), input("RUN-42", "P-1", 2)}})
	e := apperr.As(err)
	if !errors.Is(err, apperr.ErrConflict) || e.Code != "stock-held" {
		t.Fatalf("below held: %v", err)
	}
	if got := fieldsOf(t, err); len(got) != 1 || got[0] != "variants[1].available: is 2, below the 3 units held for exchanges" {
		t.Fatalf("fields %q", got)
	}
	if st.variants["RUN-41"].Available != 5 {
		t.Fatal("a refused upsert changed another item")
	}
}

func TestListAndGet(t *testing.T) {
	t.Parallel()
	st := newFakeStore()
	st.stock("RUN-42", 5)
	st.stock("RUN-43", 1)
	st.variants["RUN-43"].Held = 1
	s := New(Deps{Store: st})
	ctx := context.Background()
	p, err := s.List(ctx, "m1", ListRequest{Product: "P-1", Limit: 1})
	if err != nil || len(p.Items) != 1 || !p.More || p.Total != 2 || p.Items[0].SKU != "RUN-42" || p.Items[0].Options["size"] != "42" {
		t.Fatalf("list = %+v, %v", p, err)
	}
	p, err = s.List(ctx, "m1", ListRequest{SKUs: "RUN-43,RUN-44", After: "RUN-42", Limit: 5})
	if err != nil || len(p.Items) != 1 || p.Items[0].Free != 0 || p.Items[0].Held != 1 || fmt.Sprint(st.lastF.SKUs) != "[RUN-43 RUN-44]" {
		t.Fatalf("list by SKU = %+v, %v (filter %+v)", p, err, st.lastF)
	}
	bad := []struct {
		q    ListRequest
		want string
	}{
		{ListRequest{Product: "a b", Limit: 1}, "product: "},
		{ListRequest{SKUs: "A,,B", Limit: 1}, "sku: must be SKUs"},
		{ListRequest{SKUs: strings.Repeat("A,", MaxSKUs) + "A", Limit: 1}, "sku: takes at most 100"},
		{ListRequest{After: "!", Limit: 1}, "cursor: "},
		{ListRequest{Limit: 0}, "limit: "},
	}
	for _, b := range bad {
		_, err := s.List(ctx, "m1", b.q)
		if got := fieldsOf(t, err); len(got) != 1 || !strings.HasPrefix(got[0], b.want) {
			t.Errorf("List(%+v) fields %q, want %q…", b.q, got, b.want)
		}
	}
	v, err := s.Get(ctx, "m1", "RUN-43")
	if err != nil || v.Product.Title != "Runner" || v.Price != 8999 || v.Currency != "EUR" || v.Available != 1 || v.Free != 0 {
		t.Fatalf("get = %+v, %v", v, err)
	}
	calls := st.calls
	for _, sku := range []string{"NOPE", "a%20b"} {
		if _, err := s.Get(ctx, "m1", sku); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want not found", sku, err)
		}
	}
	if st.calls != calls+1 {
		t.Fatalf("a SKU that cannot be one reached the store")
	}
	st.err = errStore
	if _, err := s.Get(ctx, "m1", "RUN-42"); !errors.Is(err, errStore) {
		t.Fatalf("store failure: %v", err)
	}
}

const (
	ret1 = "01a23c00-3831-74a2-a351-0cda5971b1c1"
	ret2 = "01a23c00-3831-74a2-a351-0cda5971b1c2"
)

func TestHoldRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  HoldRequest
		err  error // from the store
		kind error
		want string
	}{
		{"bad return id", HoldRequest{ReturnID: "r-1", SKU: "RUN-42", Quantity: 1}, nil, apperr.ErrInvalid, "return_id"},
		{"bad sku", HoldRequest{ReturnID: ret1, SKU: "", Quantity: 1}, nil, apperr.ErrInvalid, "sku"},
		{"no quantity", HoldRequest{ReturnID: ret1, SKU: "RUN-42", Quantity: 0}, nil, apperr.ErrInvalid, "quantity"},
		{"too many", HoldRequest{ReturnID: ret1, SKU: "RUN-42", Quantity: MaxHold + 1}, nil, apperr.ErrInvalid, "quantity"},
		{"unknown variant", HoldRequest{ReturnID: ret1, SKU: "NOPE", Quantity: 1}, nil, apperr.ErrNotFound, "no such variant in your catalog"},
		{"another's return", HoldRequest{ReturnID: ret2, SKU: "RUN-42", Quantity: 1}, nil, apperr.ErrNotFound, "no such return"},
		{"out of stock", HoldRequest{ReturnID: ret1, SKU: "RUN-42", Quantity: 6}, nil, apperr.ErrConflict, "fewer than 6 units of RUN-42 are free"},
		{"store down", HoldRequest{ReturnID: ret1, SKU: "RUN-42", Quantity: 1}, errStore, errStore, "store down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newFakeStore(ret1)
			st.stock("RUN-42", 5)
			st.err = tc.err
			tc.req.MerchantID = "m1"
			_, err := New(Deps{Store: st}).Hold(context.Background(), tc.req)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %v naming %q", err, tc.kind, tc.want)
			}
		})
	}
}

func TestHoldReleaseConsumeAreIdempotent(t *testing.T) {
	t.Parallel()
	st := newFakeStore(ret1, ret2)
	st.stock("RUN-42", 5)
	s := New(Deps{Store: st})
	ctx := context.Background()
	req := HoldRequest{MerchantID: "m1", ReturnID: ret1, SKU: "RUN-42", Quantity: 2}
	first, err := s.Hold(ctx, req)
	if err != nil || !first.Changed || first.Hold.State != db.HoldHeld || first.Hold.SKU != "RUN-42" {
		t.Fatalf("hold = %+v, %v", first, err)
	}
	again, err := s.Hold(ctx, req)
	if err != nil || again.Changed || again.Hold.ID != first.Hold.ID {
		t.Fatalf("hold again = %+v, %v", again, err)
	}
	req.Quantity = 1
	if _, err := s.Hold(ctx, req); apperr.As(err) == nil || apperr.As(err).Code != "hold-differs" {
		t.Fatalf("another quantity: %v", err)
	}
	if _, err := s.Release(ctx, "m1", first.Hold.ID, returns.Refunded); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("a reason that is not an end: %v", err)
	}
	rel, err := s.Release(ctx, "m1", first.Hold.ID, returns.Rejected)
	if err != nil || !rel.Changed || rel.Hold.State != db.HoldReleased || rel.Hold.ReleaseReason != returns.Rejected || rel.Hold.EndedAt == nil {
		t.Fatalf("release = %+v, %v", rel, err)
	}
	if rel, err := s.Release(ctx, "m1", first.Hold.ID, returns.Rejected); err != nil || rel.Changed {
		t.Fatalf("release again = %+v, %v", rel, err)
	}
	if _, err := s.Consume(ctx, "m1", first.Hold.ID); !errors.Is(err, apperr.ErrState) {
		t.Fatalf("consume a released hold: %v", err)
	}
	if _, err := s.Consume(ctx, "m1", "not-an-id"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("consume a hold that cannot be: %v", err)
	}
	if _, err := s.Consume(ctx, "m1", db.NewID()); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("consume an unknown hold: %v", err)
	}
	h2, err := s.Hold(ctx, HoldRequest{MerchantID: "m1", ReturnID: ret2, SKU: "RUN-42", Quantity: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		c, err := s.Consume(ctx, "m1", h2.Hold.ID)
		if err != nil || c.Changed != want || c.Hold.State != db.HoldConsumed {
			t.Fatalf("consume %d = %+v, %v", i, c, err)
		}
	}
	if v := st.variants["RUN-42"]; v.Held != 0 || v.Available != 0 {
		t.Fatalf("after consuming 5 of 5: held %d, available %d", v.Held, v.Available)
	}
	if _, err := s.Release(ctx, "m1", h2.Hold.ID, returns.Cancelled); !errors.Is(err, apperr.ErrState) {
		t.Fatalf("release a consumed hold: %v", err)
	}
	hs, err := s.ReturnHolds(ctx, "m1", ret2)
	if err != nil || len(hs) != 1 || hs[0].SKU != "RUN-42" || hs[0].State != db.HoldConsumed {
		t.Fatalf("holds of the return = %+v, %v", hs, err)
	}
}

func TestReleaseReturnReleasesWhatIsHeldOnce(t *testing.T) {
	t.Parallel()
	st := newFakeStore(ret1)
	st.stock("RUN-42", 5)
	st.stock("RUN-43", 5)
	s := New(Deps{Store: st})
	ctx := context.Background()
	for _, sku := range []string{"RUN-42", "RUN-43"} {
		if _, err := s.Hold(ctx, HoldRequest{MerchantID: "m1", ReturnID: ret1, SKU: sku, Quantity: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ReleaseReturn(ctx, "m1", ret1, ""); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("no reason: %v", err)
	}
	if _, err := s.ReleaseReturn(ctx, "m1", "x", returns.Cancelled); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("a return id that cannot be: %v", err)
	}
	hs, err := s.ReleaseReturn(ctx, "m1", ret1, returns.Expired)
	if err != nil || len(hs) != 2 || hs[0].ReleaseReason != returns.Expired {
		t.Fatalf("release = %+v, %v", hs, err)
	}
	if hs, err := s.ReleaseReturn(ctx, "m1", ret1, returns.Expired); err != nil || len(hs) != 0 {
		t.Fatalf("again = %+v, %v", hs, err)
	}
	if st.variants["RUN-42"].Held+st.variants["RUN-43"].Held != 0 {
		t.Fatal("units still held")
	}
}

// The service adds no race of its own over a store that keeps the rules:
// 100 parallel holds of 10 units hold exactly 10 (the store tests show the
// database keeps them, on both engines).
func TestParallelHoldsThroughTheService(t *testing.T) {
	t.Parallel()
	st := newFakeStore()
	st.stock("RUN-42", 10)
	s := New(Deps{Store: st})
	var wg sync.WaitGroup
	var mu sync.Mutex
	held, out := 0, 0
	rets := make([]string, 100)
	for i := range rets {
		rets[i] = fmt.Sprintf("01a23c00-3831-74a2-a351-%012d", i)
		st.returns[rets[i]] = true
	}
	for _, id := range rets {
		wg.Go(func() {
			_, err := s.Hold(context.Background(), HoldRequest{MerchantID: "m1", ReturnID: id, SKU: "RUN-42", Quantity: 1})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				held++
			} else if apperr.As(err) != nil && apperr.As(err).Code == "out-of-stock" {
				out++
			}
		})
	}
	wg.Wait()
	if held != 10 || out != 90 {
		t.Fatalf("held %d, out of stock %d; want 10 and 90", held, out)
	}
}
