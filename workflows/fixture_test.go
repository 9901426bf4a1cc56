package workflows_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/gatewaysim"
	"github.com/rebound-returns/rebound/notify"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/shipping"
	"github.com/rebound-returns/rebound/workflows"
)

// The workflow tests run ReturnWorkflow in Temporal's time-skipping test
// environment with the real activities on a real SQLite database, so each
// path is checked where a user would notice it: the read model, the
// timeline, the messages sent and the money.

// outbox records what was sent.
type outbox struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (o *outbox) Send(_ context.Context, m notify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

func (o *outbox) to(recipient string) []notify.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []notify.Message
	for _, m := range o.msgs {
		if m.To == recipient {
			out = append(out, m)
		}
	}
	return out
}

type fixture struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	db       *db.DB
	sent     *outbox
	gateway  *gatewaysim.Simulator
	merchant *db.Merchant
	acts     activities.Set
	in       contract.ReturnInput
}

type options struct {
	method    returns.Method
	channel   returns.Channel
	paymentID string
	lines     []returns.RequestedLine
	policy    func(*returns.Policy)
	placedAt  time.Time
	// paid, when set, is what the sale came to (the shoes alone, say), so
	// that returning them is the whole sale.
	paid int64
	// card sets up the acquirer side of a card-present order.
	card func(t *testing.T, d *db.DB, m *db.Merchant, o *db.Order, env *testsuite.TestWorkflowEnvironment, acts activities.Set)
}

// start is the test environment's clock at the start of every workflow
// test: a fixed morning, so that batch cut-offs fall where tests expect.
var start = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

const (
	shopper    = "ann@example.com"
	supervisor = "sup@demo.example"
	finance    = "fin@demo.example"
	webhookURL = "https://merchant.example/hooks/returns"
)

func newFixture(t *testing.T, o options) *fixture {
	t.Helper()
	if o.method == "" {
		o.method = returns.MethodShip
	}
	if o.channel == "" {
		o.channel = returns.ChannelOnline
	}
	if o.paymentID == "" {
		o.paymentID = "pay_123"
	}
	if o.lines == nil {
		o.lines = []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "too_small"}}
	}
	ctx := context.Background()
	d := dbtest.Open(t, dbtest.Engines(t)[0])
	policy := returns.DefaultPolicy()
	policy.AutoApproveLimit = 10000
	policy.ReviewReasons = []string{"not_as_described"}
	policy.NonReturnableCategories = []string{"underwear"}
	if o.policy != nil {
		o.policy(&policy)
	}
	policyJSON, _ := json.Marshal(policy)
	m := &db.Merchant{Slug: "demo", Name: "Demo Store", Policy: policyJSON}
	must(t, d.Merchants.CreateMerchant(ctx, m))
	store := &db.Store{MerchantID: m.ID, Code: "main", Name: "Main", Address: "1 Main Street, Springfield"}
	must(t, d.Merchants.CreateStore(ctx, store))
	// The store's card terminal (the sales') and its virtual one (Rebound's).
	must(t, d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: store.ID, TerminalID: "T0000001", Kind: db.TerminalPhysical}))
	must(t, d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: store.ID, TerminalID: "R0000001", Kind: db.TerminalVirtual}))
	must(t, d.Staff.CreateStaff(ctx, &db.StaffUser{MerchantID: &m.ID, Username: "sup", Role: "supervisor", Email: supervisor, PasswordHash: "x"}))
	must(t, d.Staff.CreateStaff(ctx, &db.StaffUser{MerchantID: &m.ID, Username: "fin", Role: "finance", Email: finance, PasswordHash: "x"}))
	must(t, d.Outbox.CreateWebhookEndpoint(ctx, &db.WebhookEndpoint{MerchantID: m.ID, URL: webhookURL, Secret: "whsec"}))

	now := start
	delivered := now.Add(-24 * time.Hour)
	if o.placedAt.IsZero() {
		o.placedAt = now.Add(-72 * time.Hour)
	}
	paid := int64(2900 + 4999 + 1500 + 495)
	if o.paid > 0 {
		paid = o.paid
	}
	order := returns.Order{
		Number: "A-1", Currency: "EUR", PlacedAt: o.placedAt, DeliveredAt: &delivered,
		ShippingAmount: 495, Paid: paid,
		Lines: []returns.OrderLine{
			{LineID: "socks", Name: "Socks", Category: "apparel", Quantity: 3, UnitPrice: 1000, Discount: 100},
			{LineID: "shoes", Name: "Shoes", Category: "footwear", Quantity: 1, UnitPrice: 4999},
			{LineID: "undies", Name: "Underwear", Category: "underwear", Quantity: 1, UnitPrice: 1500},
		},
	}
	dbo := &db.Order{MerchantID: m.ID, OrderNumber: order.Number, Currency: order.Currency, PlacedAt: order.PlacedAt,
		DeliveredAt: order.DeliveredAt, ShippingAmount: order.ShippingAmount, CustomerName: "Ann", CustomerEmail: shopper, RequestHash: "h",
		Payment: &db.Payment{Channel: o.channel, Amount: order.Paid, Currency: "EUR", GatewayPaymentID: o.paymentID}}
	if o.channel == returns.ChannelCardPresent {
		dbo.Payment = &db.Payment{Channel: o.channel, Amount: order.Paid, Currency: "EUR", TerminalID: "T0000001", STAN: "000101",
			RRN: "633000000101", ApprovalCode: "A1B2C3", MaskedPAN: "411111******1111", CardFingerprint: "fp_card_1"}
	}
	for _, l := range order.Lines {
		dbo.Lines = append(dbo.Lines, db.OrderLine{LineID: l.LineID, Name: l.Name, Category: l.Category, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount})
	}
	must(t, d.Orders.CreateOrder(ctx, dbo))
	r := &db.Return{MerchantID: m.ID, OrderID: dbo.ID, Status: string(returns.PendingVerification), Method: o.method,
		Contact: shopper, ContactKind: "email", Currency: "EUR", Channel: o.channel, Policy: policyJSON}
	for _, l := range o.lines {
		r.Lines = append(r.Lines, db.ReturnLine{LineID: l.LineID, Quantity: l.Quantity, Reason: l.Reason, Resolution: l.Resolution, VariantSKU: l.VariantSKU})
	}
	must(t, d.Returns.CreateReturn(ctx, r))

	gw := gatewaysim.New(gatewaysim.Config{APIKey: "gw-key"})
	t.Cleanup(gw.Close)
	must(t, gw.AddPayment(gatewaysim.Payment{ID: o.paymentID, Amount: order.Paid, Currency: "EUR", Account: m.Slug}))
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)

	sent := &outbox{}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflow(workflows.ReturnWorkflow)
	env.RegisterWorkflow(workflows.RefundWorkflow)
	acts := activities.New(activities.Deps{
		DB: d, Sender: sent, Carrier: shipping.Simulated{}, Gateway: payments.NewClient(srv.URL, "gw-key", nil),
		OTPSecret: []byte("test secret"), PublicURL: "http://rebound.test", Now: env.Now,
	})
	if o.card != nil {
		o.card(t, d, m, dbo, env, acts)
	}
	for _, part := range acts.Parts() {
		env.RegisterActivity(part)
	}
	// The card messages run only where the card worker polls: a workflow
	// that scheduled them on the returns queue would find no activity.
	env.SetActivityTaskQueue(contract.CardTaskQueue, acts.Cards.SendCardAttempt, acts.Cards.ReverseCardAttempt)
	return &fixture{t: t, env: env, db: d, sent: sent, gateway: gw, merchant: m, acts: acts, in: contract.ReturnInput{
		ReturnID: r.ID, MerchantID: m.ID, OrderID: dbo.ID, Method: o.method, Channel: o.channel, PaymentID: o.paymentID,
		ClientIP: "192.0.2.1", Policy: policy, Order: order, Lines: o.lines, FiledAt: now,
	}}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// at schedules fn at workflow time d after the start.
func (f *fixture) at(d time.Duration, fn func()) { f.env.RegisterDelayedCallback(fn, d) }

// update sends an update and records its outcome in *res / *rejected.
func (f *fixture) update(name string, arg any, res *contract.ActionResult, rejected *error) {
	f.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) {
			if rejected != nil {
				*rejected = err
			} else {
				f.t.Errorf("%s rejected: %v", name, err)
			}
		},
		OnComplete: func(v any, err error) {
			if err != nil && rejected != nil {
				*rejected = err
				return
			}
			if err != nil {
				f.t.Errorf("%s failed: %v", name, err)
				return
			}
			if res != nil {
				if r, ok := v.(contract.ActionResult); ok {
					*res = r
				}
			}
		},
	}, arg)
}

func (f *fixture) run() contract.ReturnResult {
	f.t.Helper()
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	return f.result()
}

// result is how the workflow ended; it must have completed.
func (f *fixture) result() contract.ReturnResult {
	f.t.Helper()
	if !f.env.IsWorkflowCompleted() {
		f.t.Fatal("workflow did not complete")
	}
	must(f.t, f.env.GetWorkflowError())
	var res contract.ReturnResult
	must(f.t, f.env.GetWorkflowResult(&res))
	return res
}

// timeline is the statuses of the return's timeline, in order.
func (f *fixture) timeline() []string {
	f.t.Helper()
	events, err := f.db.Returns.Timeline(context.Background(), f.in.ReturnID)
	must(f.t, err)
	var out []string
	for _, e := range events {
		out = append(out, e.Status)
	}
	return out
}

func (f *fixture) readModel() *db.Return {
	f.t.Helper()
	r, err := f.db.Returns.ReturnByID(context.Background(), f.in.ReturnID)
	must(f.t, err)
	return r
}

func (f *fixture) status() returns.Status {
	v, err := f.env.QueryWorkflow(contract.QueryStatus)
	must(f.t, err)
	var sv contract.StatusView
	must(f.t, v.Get(&sv))
	return sv.Status
}

func (f *fixture) tracking() string {
	sh, err := shipping.Simulated{}.CreateShipment(context.Background(), shipping.ShipmentRequest{ReturnID: f.in.ReturnID})
	must(f.t, err)
	return sh.TrackingNumber
}

func (f *fixture) carrier(id, event string) {
	f.env.SignalWorkflow(contract.SignalCarrierEvent, contract.CarrierEvent{EventID: id, TrackingNumber: f.tracking(), Event: event, OccurredAt: f.env.Now()})
}

var (
	verify = contract.VerifyRequest{ChallengeID: "checked-by-the-api"}
	staff  = returns.Actor{Kind: returns.ActorStaff, Name: "sup", Role: "supervisor"}
	clerk  = returns.Actor{Kind: returns.ActorStaff, Name: "clerk", Role: "clerk"}
	allNew = contract.InspectRequest{Actor: clerk, Lines: []returns.InspectedLine{{LineID: "shoes", AcceptedQuantity: 1, Condition: returns.ConditionNew}}}
	buyer  = returns.Actor{Kind: returns.ActorShopper, Name: "shopper"}
)

func statuses(s ...returns.Status) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}

func equalTimeline(t *testing.T, got []string, want ...returns.Status) {
	t.Helper()
	if !slices.Equal(got, statuses(want...)) {
		t.Fatalf("timeline\n got %v\nwant %v", got, statuses(want...))
	}
}

// updateRecorder records a rejection or failure of an update.
type updateRecorder struct {
	t                *testing.T
	rejectedOrFailed *error
}

func (u *updateRecorder) Accept() {}
func (u *updateRecorder) Reject(err error) {
	if u.rejectedOrFailed != nil {
		*u.rejectedOrFailed = err
	} else {
		u.t.Errorf("update rejected: %v", err)
	}
}
func (u *updateRecorder) Complete(_ any, err error) {
	if err == nil {
		return
	}
	if u.rejectedOrFailed != nil {
		*u.rejectedOrFailed = err
	} else {
		u.t.Errorf("update failed: %v", err)
	}
}
