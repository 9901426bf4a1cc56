package staff

import (
	"context"
	"errors"
	"sort"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
)

const (
	returnID   = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"
	merchantID = "m1"
)

var errStore = errors.New("store down")

// fakeStore holds the returns of the merchants by id; calls records the
// calls in order, filters the filters the lists were read with.
type fakeStore struct {
	returns map[string]*db.Return
	numbers map[string]string
	counts  map[string]int64
	err     error // every call answers it when set
	calls   []string
	filters []db.ReturnFilter
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		returns: map[string]*db.Return{returnID: {ID: returnID, MerchantID: merchantID, OrderID: "o1", Status: "received",
			Lines: []db.ReturnLine{{LineID: "1", Quantity: 2, Reason: "too_small"}}}},
		numbers: map[string]string{"o1": "S-1"},
		counts:  map[string]int64{db.QueueReview: 2},
	}
}

func (f *fakeStore) ReturnByID(_ context.Context, id string) (*db.Return, error) {
	f.calls = append(f.calls, "ReturnByID")
	if f.err != nil {
		return nil, f.err
	}
	r, ok := f.returns[id]
	if !ok {
		return nil, db.ErrNotFound
	}
	return r, nil
}

func (f *fakeStore) CountReturns(_ context.Context, flt db.ReturnFilter) (int64, error) {
	f.calls = append(f.calls, "CountReturns")
	f.filters = append(f.filters, flt)
	if f.err != nil {
		return 0, f.err
	}
	var n int64
	for _, r := range f.returns {
		if r.MerchantID == flt.MerchantID {
			n++
		}
	}
	return n, nil
}

// ListedReturns answers the merchant's returns, newest (largest id) first,
// up to the limit, with their orders' numbers.
func (f *fakeStore) ListedReturns(_ context.Context, flt db.ReturnFilter) ([]db.ListedReturn, error) {
	f.calls = append(f.calls, "ListedReturns")
	f.filters = append(f.filters, flt)
	if f.err != nil {
		return nil, f.err
	}
	var out []db.ListedReturn
	for _, r := range f.returns {
		if r.MerchantID == flt.MerchantID {
			out = append(out, db.ListedReturn{ID: r.ID, OrderNumber: f.numbers[r.OrderID], Status: r.Status, Method: r.Method,
				Channel: r.Channel, Attention: r.Attention, TrackingNumber: r.TrackingNumber, Currency: r.Currency,
				RefundAmount: r.RefundAmount, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	if len(out) > flt.Limit {
		out = out[:flt.Limit]
	}
	return out, nil
}

func (f *fakeStore) QueueCounts(_ context.Context, m string) (map[string]int64, error) {
	f.calls = append(f.calls, "QueueCounts "+m)
	return f.counts, f.err
}

// fakeWorkflow records the steps it was sent and answers err.
type fakeWorkflow struct {
	err     error
	sent    []string // "update returnID"
	review  contract.ReviewRequest
	receive contract.ReceiveRequest
	inspect contract.InspectRequest
}

func (w *fakeWorkflow) Review(_ context.Context, id string, req contract.ReviewRequest) error {
	w.sent, w.review = append(w.sent, "review "+id), req
	return w.err
}

func (w *fakeWorkflow) Receive(_ context.Context, id string, req contract.ReceiveRequest) error {
	w.sent, w.receive = append(w.sent, "receive "+id), req
	return w.err
}

func (w *fakeWorkflow) Inspect(_ context.Context, id string, req contract.InspectRequest) error {
	w.sent, w.inspect = append(w.sent, "inspect "+id), req
	return w.err
}

func newService() (*Service, *fakeStore, *fakeWorkflow) {
	st, wf := newFakeStore(), &fakeWorkflow{}
	return New(Deps{Store: st, Workflow: wf}), st, wf
}
