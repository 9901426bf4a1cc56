package orders

import (
	"context"
	"errors"
	"time"

	"github.com/rebound-returns/rebound/db"
)

var errStore = errors.New("store down")

// fakeStore keeps orders by merchant and number, as the database's unique
// key does; createErr, when set, is what CreateOrder answers instead.
type fakeStore struct {
	orders    map[string]*db.Order
	createErr error
	readErr   error
	calls     []string
}

func newFakeStore() *fakeStore { return &fakeStore{orders: map[string]*db.Order{}} }

func (f *fakeStore) CreateOrder(_ context.Context, o *db.Order) error {
	f.calls = append(f.calls, "CreateOrder")
	if f.createErr != nil {
		return f.createErr
	}
	key := o.MerchantID + "/" + o.OrderNumber
	if _, ok := f.orders[key]; ok {
		return db.ErrConflict
	}
	o.ID, o.CreatedAt = "o-"+o.OrderNumber, time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	stored := *o
	f.orders[key] = &stored
	return nil
}

func (f *fakeStore) OrderByNumber(_ context.Context, merchantID, number string) (*db.Order, error) {
	f.calls = append(f.calls, "OrderByNumber")
	if f.readErr != nil {
		return nil, f.readErr
	}
	o, ok := f.orders[merchantID+"/"+number]
	if !ok {
		return nil, db.ErrNotFound
	}
	return o, nil
}

// created records the orders the Created hook heard of.
type created struct{ numbers []string }

func (c *created) hear(_ context.Context, o *db.Order) { c.numbers = append(c.numbers, o.OrderNumber) }

func newService() (*Service, *fakeStore, *created) {
	st, c := newFakeStore(), &created{}
	return New(Deps{Store: st, Created: c.hear}), st, c
}

// cardOrder is a valid order paid at a terminal.
func cardOrder() Request {
	return Request{OrderNumber: "S-1", Currency: "EUR", PlacedAt: "2026-11-20T15:04:05Z", DeliveredAt: "2026-11-22T10:00:00+01:00",
		ShippingAmount: 490, Customer: Customer{Name: " Pat ", Email: "Pat@Example.com", Phone: "+46 70-123 45 67"},
		Lines: []Line{{LineID: "1", SKU: "SKU-1", Name: "Shirt", Category: "apparel", Quantity: 2, UnitPrice: 1990, Discount: 0}},
		Payment: &Payment{Channel: "card_present", Amount: 4470, TerminalID: "P0000001", STAN: "000042", RRN: "000000000042",
			ApprovalCode: "AP0001", MaskedPAN: "411111******1111", CardFingerprint: "fp_0000001",
			TransmittedAt: "2026-11-20T15:04:06Z", Batch: "000007"}}
}

// onlineOrder is a valid order paid through the gateway.
func onlineOrder() Request {
	r := cardOrder()
	r.OrderNumber = "W-1"
	r.Payment = &Payment{Channel: "online", Amount: 4470, GatewayPaymentID: "pay_123"}
	return r
}
