package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// inventoryShop is a merchant with a variant of 5 units and two returns.
func inventoryShop(t *testing.T, d *db.DB) (merchantID string, rets [2]string) {
	t.Helper()
	ctx := context.Background()
	m := &db.Merchant{Slug: "shop", Name: "Shop"}
	if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Catalog.UpsertVariants(ctx, m.ID, []db.CatalogItem{{Product: db.Product{ProductID: "P", Title: "Runner"},
		Variant: db.Variant{SKU: "RUN-42", Options: "{}", Price: 8999, Currency: "EUR", Available: 5}}}); err != nil {
		t.Fatal(err)
	}
	o := &db.Order{MerchantID: m.ID, OrderNumber: "I-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h",
		Lines: []db.OrderLine{{LineID: "1", Name: "Runner", Quantity: 1, UnitPrice: 8999}}}
	if err := d.Orders.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	for i := range rets {
		r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: string(returns.Approved), Method: returns.MethodShip,
			Contact: "ann@example.com", ContactKind: "email", Currency: "EUR",
			Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "too_small"}}}
		if err := d.Returns.CreateReturn(ctx, r); err != nil {
			t.Fatal(err)
		}
		rets[i] = r.ID
	}
	return m.ID, rets
}

// refusalType is the type of a non-retryable application error, "" for
// any other error.
func refusalType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.NonRetryable() {
		return app.Type()
	}
	return ""
}

// A retried hold, release or consumption changes the stock once; what a
// retry cannot change is refused for good, by type.
func TestInventoryActivitiesAreIdempotent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		mid, rets := inventoryShop(t, d)
		acts := activities.New(activities.Deps{DB: d}).Inventory
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivity(acts)
		hold := func(ret string, qty int) (activities.StockHoldResult, error) {
			var res activities.StockHoldResult
			val, err := env.ExecuteActivity(acts.HoldStock, activities.StockHoldInput{MerchantID: mid, ReturnID: ret, SKU: "RUN-42", Quantity: qty})
			if err == nil {
				err = val.Get(&res)
			}
			return res, err
		}
		first, err := hold(rets[0], 3)
		if err != nil || !first.Changed || first.State != db.HoldHeld {
			t.Fatalf("hold = %+v, %v", first, err)
		}
		if again, err := hold(rets[0], 3); err != nil || again.Changed || again.HoldID != first.HoldID {
			t.Fatalf("retried hold = %+v, %v", again, err)
		}
		if _, err := hold(rets[1], 3); refusalType(err) != activities.ErrOutOfStock {
			t.Fatalf("3 more of 2 free: %v", err)
		}
		if _, err := hold(rets[0], 2); refusalType(err) != activities.ErrHoldConflict {
			t.Fatalf("another quantity: %v", err)
		}
		if _, err := hold(rets[1], 0); refusalType(err) != activities.ErrBadHold {
			t.Fatalf("no units: %v", err)
		}

		release := func(reason returns.Status) (activities.StockReleaseResult, error) {
			var res activities.StockReleaseResult
			val, err := env.ExecuteActivity(acts.ReleaseStock, activities.StockReleaseInput{MerchantID: mid, ReturnID: rets[0], Reason: reason})
			if err == nil {
				err = val.Get(&res)
			}
			return res, err
		}
		if _, err := release(returns.Refunded); refusalType(err) != activities.ErrBadHold {
			t.Fatalf("release for a refunded return: %v", err)
		}
		if rel, err := release(returns.Cancelled); err != nil || len(rel.Released) != 1 || rel.Released[0] != first.HoldID {
			t.Fatalf("release = %+v, %v", rel, err)
		}
		if rel, err := release(returns.Cancelled); err != nil || len(rel.Released) != 0 {
			t.Fatalf("retried release = %+v, %v", rel, err)
		}

		consume := func(holdID string) (activities.StockHoldResult, error) {
			var res activities.StockHoldResult
			val, err := env.ExecuteActivity(acts.ConsumeStock, activities.StockConsumeInput{MerchantID: mid, HoldID: holdID})
			if err == nil {
				err = val.Get(&res)
			}
			return res, err
		}
		if _, err := consume(first.HoldID); refusalType(err) != activities.ErrHoldConflict {
			t.Fatalf("consume a released hold: %v", err)
		}
		if _, err := consume(db.NewID()); refusalType(err) != activities.ErrNotFound {
			t.Fatalf("consume an unknown hold: %v", err)
		}
		if _, err := consume("hold-1"); refusalType(err) != activities.ErrNotFound {
			t.Fatalf("consume a hold id that cannot be one: %v", err)
		}
		if _, err := hold("return-1", 1); refusalType(err) != activities.ErrNotFound {
			t.Fatalf("hold for a return id that cannot be one: %v", err)
		}
		second, err := hold(rets[1], 5)
		if err != nil || !second.Changed {
			t.Fatalf("5 of 5 once released: %+v, %v", second, err)
		}
		for i, want := range []bool{true, false} {
			if res, err := consume(second.HoldID); err != nil || res.Changed != want || res.State != db.HoldConsumed {
				t.Fatalf("consume %d = %+v, %v", i, res, err)
			}
		}
		v, err := d.Catalog.VariantBySKU(context.Background(), mid, "RUN-42")
		if err != nil || v.Available != 0 || v.Held != 0 {
			t.Fatalf("after shipping 5 of 5: %+v, %v", v, err)
		}
	})
}
