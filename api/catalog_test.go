package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/audit"
	"github.com/rebound-returns/rebound/app/catalog"
	"github.com/rebound-returns/rebound/app/session"
	"github.com/rebound-returns/rebound/returns"
)

// fakeCatalog answers with its fields and keeps what it was given.
type fakeCatalog struct {
	res      catalog.UpsertResult
	page     catalog.Page
	view     catalog.VariantView
	err      error
	merchant string
	req      catalog.UpsertRequest
	q        catalog.ListRequest
	sku      string
}

func (f *fakeCatalog) Upsert(_ context.Context, merchantID string, req catalog.UpsertRequest) (catalog.UpsertResult, error) {
	f.merchant, f.req = merchantID, req
	return f.res, f.err
}

func (f *fakeCatalog) List(_ context.Context, merchantID string, q catalog.ListRequest) (catalog.Page, error) {
	f.merchant, f.q = merchantID, q
	return f.page, f.err
}

func (f *fakeCatalog) Get(_ context.Context, merchantID, sku string) (catalog.VariantView, error) {
	f.merchant, f.sku = merchantID, sku
	return f.view, f.err
}

// keyOrBearer is who calls: the API key rbk_good is merchant m1's systems,
// the bearer token admin m1's admin, clerk m1's clerk; anything else is
// refused.
type keyOrBearer struct{ fakeSessions }

func (k *keyOrBearer) APIKey(_ context.Context, key string) (session.Principal, error) {
	if key == "rbk_good" {
		return session.Principal{Kind: kindIntegration, MerchantID: "m1"}, nil
	}
	return session.Principal{}, apperr.Unauthenticated("", "send a valid API key")
}

func (k *keyOrBearer) Authenticate(_ context.Context, token string) (session.Principal, error) {
	switch token {
	case "admin":
		return session.Principal{Kind: kindStaff, Username: "ada", Role: returns.RoleAdmin, MerchantID: "m1"}, nil
	case "clerk":
		return session.Principal{Kind: kindStaff, Username: "cal", Role: returns.RoleClerk, MerchantID: "m1"}, nil
	}
	return session.Principal{}, apperr.Unauthenticated("", "send a valid bearer token")
}

type nopAudit struct{}

func (nopAudit) Record(context.Context, audit.Entry) error { return nil }

// catalogOver serves the catalog routes over f, with the real
// authentication middleware over keyOrBearer.
func catalogOver(f *fakeCatalog) http.Handler {
	srv, r := newRouter(Deps{})
	srv.catalog, srv.session, srv.auditLog = f, &keyOrBearer{}, nopAudit{}
	srv.routesCatalog(r.Group("/v1"))
	return r
}

func sendCatalog(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var withKey = []string{"X-API-Key", "rbk_good"}

func TestCatalogUpsertBindsCallsAndRenders(t *testing.T) {
	t.Parallel()
	f := &fakeCatalog{res: catalog.UpsertResult{Items: []catalog.ItemResult{{SKU: "RUN-42", Outcome: "created"}}, Created: 1}}
	h := catalogOver(f)
	body := `{"variants":[{"sku":"RUN-42","product":{"id":"P-1","title":"Runner"},"options":{"size":"42"},"price":8999,"currency":"EUR","available":5}]}`
	rec := sendCatalog(h, http.MethodPut, "/v1/catalog/variants", body, withKey...)
	if rec.Code != 200 || rec.Body.String() != `{"items":[{"sku":"RUN-42","outcome":"created"}],"created":1,"updated":0,"unchanged":0}` {
		t.Fatalf("upsert: %d %s", rec.Code, rec.Body)
	}
	v := f.req.Variants[0]
	if f.merchant != "m1" || v.SKU != "RUN-42" || v.Product.Title != "Runner" || *v.Price != 8999 || *v.Available != 5 || v.Options["size"] != "42" {
		t.Fatalf("the use case was given %s %+v", f.merchant, f.req)
	}
	// Only the merchant's systems write the catalog.
	for _, who := range [][]string{nil, {"Authorization", "Bearer admin"}, {"X-API-Key", "rbk_bad"}} {
		f := &fakeCatalog{}
		if rec := sendCatalog(catalogOver(f), http.MethodPut, "/v1/catalog/variants", body, who...); rec.Code != 401 || f.merchant != "" {
			t.Errorf("upsert as %v: %d %s", who, rec.Code, rec.Body)
		}
	}
	// A body that does not bind never reaches the use case.
	f = &fakeCatalog{}
	rec = sendCatalog(catalogOver(f), http.MethodPut, "/v1/catalog/variants", `{"variants":[{"sku":"A","price":"cheap"}]}`, withKey...)
	if p := problemOf(t, rec); rec.Code != 422 || !strings.Contains(fieldsOf(p), "price") || f.merchant != "" {
		t.Fatalf("unbound: %d %s", rec.Code, rec.Body)
	}
}

func TestCatalogRefusalsNameTheItem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err    error
		status int
		kind   string
		fields string
	}{
		{apperr.InvalidFields(apperr.Field{Name: "variants[3].price", Reason: "is required"}), 422, "validation", "variants[3].price"},
		{&apperr.Error{Kind: apperr.ErrConflict, Code: "stock-held", Detail: "variant RUN-42 has 3 units held",
			Fields: []apperr.Field{{Name: "variants[1].available", Reason: "is 2, below the 3 units held for exchanges"}}}, 409, "stock-held", "variants[1].available"},
	} {
		rec := sendCatalog(catalogOver(&fakeCatalog{err: tc.err}), http.MethodPut, "/v1/catalog/variants", `{"variants":[]}`, withKey...)
		p := problemOf(t, rec)
		if rec.Code != tc.status || p.Type != "urn:rebound:problem:"+tc.kind || fieldsOf(p) != tc.fields {
			t.Errorf("%v: %d %s", tc.err, rec.Code, rec.Body)
		}
	}
	rec := sendCatalog(catalogOver(&fakeCatalog{err: apperr.NotFound("", "no such variant in your catalog")}), http.MethodGet, "/v1/catalog/variants/NOPE", "", withKey...)
	if p := problemOf(t, rec); rec.Code != 404 || p.Detail != "no such variant in your catalog" {
		t.Fatalf("unknown SKU: %d %s", rec.Code, rec.Body)
	}
}

func TestCatalogListPagesBySKU(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	f := &fakeCatalog{page: catalog.Page{More: true, Total: 3, Items: []catalog.VariantView{
		{SKU: "RUN-41", Product: catalog.ProductInput{ID: "P-1", Title: "Runner"}, Options: map[string]string{}, Price: 8999, Currency: "EUR", Available: 2, Held: 1, Free: 1, CreatedAt: at, UpdatedAt: at},
		{SKU: "RUN-42", Product: catalog.ProductInput{ID: "P-1", Title: "Runner"}, Options: map[string]string{"size": "42"}, Price: 8999, Currency: "EUR", CreatedAt: at, UpdatedAt: at},
	}}}
	h := catalogOver(f)
	rec := sendCatalog(h, http.MethodGet, "/v1/catalog/variants?product=P-1&sku=RUN-41,RUN-42&limit=2", "", withKey...)
	var page struct {
		Items []catalog.VariantView `json:"items"`
		Next  *string               `json:"next"`
		Cur   *string               `json:"next_cursor"`
		Total int64                 `json:"total"`
	}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &page) != nil || len(page.Items) != 2 || page.Items[0].Free != 1 ||
		page.Total != 3 || page.Cur == nil || page.Next == nil || !strings.Contains(*page.Next, "product=P-1") {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	if f.merchant != "m1" || f.q != (catalog.ListRequest{Product: "P-1", SKUs: "RUN-41,RUN-42", Limit: 2}) {
		t.Fatalf("the use case was asked %s %+v", f.merchant, f.q)
	}
	// The next page starts after the last SKU; an admin may read it too.
	rec = sendCatalog(h, http.MethodGet, "/v1/catalog/variants?cursor="+*page.Cur, "", "Authorization", "Bearer admin")
	if rec.Code != 200 || f.q.After != "RUN-42" || f.q.Limit != pageDefault {
		t.Fatalf("next page: %d %s, asked %+v", rec.Code, rec.Body, f.q)
	}
	for _, bad := range []string{"cursor=xyz", "limit=0", "limit=1000"} {
		if rec := sendCatalog(h, http.MethodGet, "/v1/catalog/variants?"+bad, "", withKey...); rec.Code != 422 {
			t.Errorf("%s: %d %s", bad, rec.Code, rec.Body)
		}
	}
	// Only an admin of the staff reads the catalog.
	if rec := sendCatalog(h, http.MethodGet, "/v1/catalog/variants", "", "Authorization", "Bearer clerk"); rec.Code != 403 {
		t.Fatalf("a clerk: %d %s", rec.Code, rec.Body)
	}
	if rec := sendCatalog(h, http.MethodGet, "/v1/catalog/variants/RUN-42", ""); rec.Code != 401 {
		t.Fatalf("nobody: %d %s", rec.Code, rec.Body)
	}
	f.view = f.page.Items[1]
	rec = sendCatalog(h, http.MethodGet, "/v1/catalog/variants/RUN-42", "", "Authorization", "Bearer admin")
	if rec.Code != 200 || f.sku != "RUN-42" || !strings.Contains(rec.Body.String(), `"options":{"size":"42"}`) {
		t.Fatalf("get: %d %s", rec.Code, rec.Body)
	}
}
