package counter

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/db"
)

const (
	returnID   = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"
	orderID    = "1b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"
	merchantID = "m1"
	password   = "the-right-password"
)

var t0 = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)

// fakeStore is a counter's world in memory: one return of merchant m1
// waiting at the counter, terminal P1, supervisor "sup" and a card sale.
type fakeStore struct {
	mu       sync.Mutex
	ret      *db.Return
	retErr   error
	terminal *db.Terminal
	staff    map[string]*db.StaffUser
	order    *db.Order
	claimErr error
	// try is what ClaimCounterTry answers; claims counts the calls.
	try        db.Try
	claims     int
	saleOK     int
	passwordOK int
	refunds    []db.Refund
}

func newFakeStore() *fakeStore {
	m := merchantID
	return &fakeStore{
		ret: &db.Return{ID: returnID, MerchantID: merchantID, OrderID: orderID, Status: "refund_pending",
			Method: returns.MethodInStore, Channel: returns.ChannelCardPresent},
		terminal: &db.Terminal{MerchantID: merchantID, TerminalID: "P1"},
		staff: map[string]*db.StaffUser{
			"sup":   {ID: "u-sup", MerchantID: &m, Username: "sup", Role: "supervisor"},
			"clerk": {ID: "u-clerk", MerchantID: &m, Username: "clerk", Role: "clerk"},
		},
		order: &db.Order{ID: orderID, OrderNumber: "S-1",
			Payment: &db.Payment{ID: "pay1", STAN: "000042", CardFingerprint: "fp_1"}},
		try: db.Try{Claimed: true},
	}
}

func (f *fakeStore) ReturnByID(_ context.Context, id string) (*db.Return, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.retErr != nil {
		return nil, f.retErr
	}
	if f.ret == nil || f.ret.ID != id {
		return nil, db.ErrNotFound
	}
	r := *f.ret
	return &r, nil
}

func (f *fakeStore) TerminalByID(_ context.Context, id string) (*db.Terminal, error) {
	if f.terminal == nil || f.terminal.TerminalID != id {
		return nil, db.ErrNotFound
	}
	return f.terminal, nil
}

func (f *fakeStore) OrderByID(_ context.Context, id string) (*db.Order, error) {
	if f.order == nil || f.order.ID != id {
		return nil, db.ErrNotFound
	}
	return f.order, nil
}

func (f *fakeStore) StaffByUsername(_ context.Context, m, username string) (*db.StaffUser, error) {
	u, ok := f.staff[strings.ToLower(username)] // user names are kept in lower case
	if !ok || u.MerchantID == nil || *u.MerchantID != m {
		return nil, db.ErrNotFound
	}
	return u, nil
}

func (f *fakeStore) PasswordSucceeded(context.Context, string, db.Try) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.passwordOK++
	return nil
}

func (f *fakeStore) ClaimCounterTry(_ context.Context, paymentID string, l db.Lockout, _ time.Time) (db.Try, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claims++
	if l != saleLockout || paymentID != "pay1" {
		panic("the sale's try is claimed on the sale under the counter's lock-out")
	}
	return f.try, f.claimErr
}

func (f *fakeStore) CounterSucceeded(context.Context, string, db.Try) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saleOK++
	return nil
}

func (f *fakeStore) RefundsOfReturn(context.Context, string) ([]db.Refund, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]db.Refund(nil), f.refunds...), nil
}

func (f *fakeStore) setRefunds(rs ...db.Refund) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refunds = rs
}

// fakePasswords knows one password; its answers can be set.
type fakePasswords struct {
	mu      sync.Mutex
	try     db.Try
	tryErr  error
	burnErr error
	tries   int
	burns   int
}

func (p *fakePasswords) Try(_ context.Context, _ *db.StaffUser, pw string) (bool, db.Try, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tries++
	if p.tryErr != nil || !p.try.Claimed {
		return false, p.try, p.tryErr
	}
	return pw == password, p.try, nil
}

func (p *fakePasswords) Burn(context.Context, string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.burns++
	return p.burnErr
}

// fakeWorkflow records the counter refunds it is sent; settle, when set,
// runs on each (a refund's outcome arriving).
type fakeWorkflow struct {
	mu     sync.Mutex
	err    error
	sent   []contract.CounterRefundRequest
	settle func()
	// approvals and resolutions are the other steps sent (even refused).
	approvals   []contract.RefundApprovalRequest
	resolutions []contract.RefundResolutionRequest
}

func (w *fakeWorkflow) CounterRefund(_ context.Context, _ string, req contract.CounterRefundRequest) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.sent = append(w.sent, req)
	if w.settle != nil {
		w.settle()
	}
	return nil
}

func (w *fakeWorkflow) RefundApproval(_ context.Context, _ string, req contract.RefundApprovalRequest) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.approvals = append(w.approvals, req)
	return w.err
}

func (w *fakeWorkflow) RefundResolution(_ context.Context, _ string, req contract.RefundResolutionRequest) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.resolutions = append(w.resolutions, req)
	return w.err
}

// fakeAdmins records what the admins are told.
type fakeAdmins struct {
	mu   sync.Mutex
	told []string
}

func (a *fakeAdmins) Tell(_ context.Context, m, subject, _ string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.told = append(a.told, m+": "+subject)
}
