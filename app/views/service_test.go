package views

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

const (
	returnID   = "01930000-0000-7000-8000-000000000001"
	merchantID = "01930000-0000-7000-8000-0000000000aa"
)

var at = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// stored is a shipped card return with two lines, a timeline of shopper,
// clerk and operator steps and a frozen refund whose second attempt paid.
func stored() *fakeStore {
	return &fakeStore{
		ret: &db.ReturnShown{ReturnHead: db.ReturnHead{ID: returnID, MerchantID: merchantID, Status: "refund_pending",
			Method: "ship", Channel: "card_present", Currency: "EUR", ReasonCodes: db.JSON(`[{"line_id":"2","code":"non_returnable_category"}]`),
			RefundAmount: ptr(int64(3500)), CreatedAt: at, UpdatedAt: at, MerchantSlug: "acme", OrderNumber: "A-1", PlacedAt: at,
			ShippingAmount: 495},
			Payment: &db.PaymentShown{Channel: "card_present", Amount: 4000, TerminalID: "P1", MaskedPAN: "411111******1234"},
			Lines: []db.LineShown{
				{ReturnLine: db.ReturnLine{LineID: "2", Quantity: 1, Reason: "damaged", Resolution: returns.ResolutionExchange, VariantSKU: "SHIRT-L"}},
				{ReturnLine: db.ReturnLine{LineID: "1", Quantity: 2, Reason: "other", AcceptedQuantity: ptr(2), Condition: ptr("opened")},
					Name: "Shirt", UnitPrice: 2000}}},
		events: []db.TimelineEvent{
			{Status: "submitted", Actor: "shopper", At: at},
			{Status: "received", Actor: "kim", ActorRole: "clerk", At: at, Note: "at the desk"},
			{Status: "refund_pending", Actor: "ops", ActorRole: "operator", At: at}},
		refund: &db.RefundShown{ID: "f1", Currency: "EUR", Status: returns.RefundStatusPending, Amount: 3500, FrozenBy: ptr("z1"),
			FreezeReason: "acquirer outage", Attempts: []db.AttemptShown{
				{State: returns.AttemptDeclined, RRN: "RRN-1"}, {State: returns.AttemptApproved, RRN: "RRN-2"}, {State: returns.AttemptApproved, RRN: "RRN-3"}}},
	}
}

func seeMerchant(m, _ string) bool { return m == merchantID }

// Every refusal is filing's one 404 for a return the caller may not see,
// and is made before anything but the return is read; a caller who has
// checked already hears the store's own error.
func TestReturnRefusals(t *testing.T) {
	t.Parallel()
	notFound := apperr.ErrNotFound
	for _, tc := range []struct {
		name  string
		id    string
		who   Viewer
		fail  string
		want  error
		reads string
	}{
		{"not an id", "nonsense", Viewer{See: seeMerchant}, "", notFound, ""},
		{"no such return", "01930000-0000-7000-8000-000000000002", Viewer{See: seeMerchant}, "", notFound, "return"},
		{"another merchant's", returnID, Viewer{See: func(string, string) bool { return false }}, "", notFound, "return"},
		{"unchecked and missing", "01930000-0000-7000-8000-000000000002", Viewer{}, "", db.ErrNotFound, "return"},
		{"the return fails", returnID, Viewer{See: seeMerchant}, "return", errBroken, "return"},
		{"the timeline fails", returnID, Viewer{See: seeMerchant}, "timeline", errBroken, "return timeline"},
		{"the refund fails", returnID, Viewer{}, "refund", errBroken, "return timeline refund"},
	} {
		f := stored()
		f.fail = tc.fail
		v, err := New(Deps{Store: f}).Return(context.Background(), tc.id, tc.who)
		if v != nil || !errors.Is(err, tc.want) || strings.Join(f.reads, " ") != tc.reads {
			t.Errorf("%s: %v, %v after %v; want %v after %s", tc.name, v, err, f.reads, tc.want, tc.reads)
		}
		var ae *apperr.Error
		if errors.Is(tc.want, apperr.ErrNotFound) && (!errors.As(err, &ae) || ae.Detail != "no such return" || ae.Code != "") {
			t.Errorf("%s: %#v", tc.name, err)
		}
	}
}

// Staff read the return as it is stored; its shopper reads roles for
// members of staff and no freeze reason. Lines come by line id, the card by
// its last four digits, the reference from the first paying attempt.
func TestReturnAsStaffAndShopperSeeIt(t *testing.T) {
	t.Parallel()
	want := &Return{ID: returnID, Status: returns.RefundPending, Merchant: "acme", OrderNumber: "A-1", Method: returns.MethodShip,
		Channel: returns.ChannelCardPresent, Currency: "EUR", ReasonCodes: []returns.Refusal{{LineID: "2", Code: returns.RefusedCategory}},
		Lines: []Line{
			{LineID: "1", Name: "Shirt", Quantity: 2, UnitPrice: 2000, Reason: "other", AcceptedQuantity: ptr(2), Condition: "opened"},
			{LineID: "2", Quantity: 1, Reason: "damaged", Resolution: returns.ResolutionExchange, VariantSKU: "SHIRT-L"}},
		Timeline: []Event{
			{Status: returns.Submitted, At: at, Actor: "shopper"},
			{Status: returns.Received, At: at, Actor: "kim", ActorRole: returns.RoleClerk, Note: "at the desk"},
			{Status: returns.RefundPending, At: at, Actor: "ops", ActorRole: returns.RoleOperator}},
		Refund: &Refund{Amount: 3500, Currency: "EUR", Status: returns.RefundStatusPending, Reference: "RRN-2", Frozen: true,
			FrozenReason: "acquirer outage"},
		Order:     Order{PlacedAt: at, Paid: 4000, Shipping: 495, Channel: returns.ChannelCardPresent, CardLast4: "1234", TerminalID: "P1"},
		CreatedAt: at, UpdatedAt: at}
	got, err := New(Deps{Store: stored()}).Return(context.Background(), returnID, Viewer{Staff: true, See: seeMerchant})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("staff:\n got %+v, %v\nwant %+v", got, err, want)
	}
	got, err = New(Deps{Store: stored()}).Return(context.Background(), returnID, Viewer{})
	if err != nil {
		t.Fatal(err)
	}
	want.Timeline[1].Actor, want.Timeline[2].Actor, want.Refund.FrozenReason = "staff", "support", ""
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("shopper:\n got %+v\nwant %+v", got, want)
	}
}

// What the refund shows in each state of the records.
func TestReturnRefund(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		refundAmount *int64
		refund       *db.RefundShown
		want         *Refund
	}{
		{"none yet", nil, nil, nil},
		{"settled, not started", ptr(int64(1200)), nil, &Refund{Amount: 1200, Currency: "EUR", Status: RefundNone}},
		{"failed, frozen no more", nil, &db.RefundShown{Currency: "EUR", Status: returns.RefundStatusFailed, FailureCode: "05", Amount: 900,
			ShippingAmount: 495, FinishedAt: &at, FrozenBy: ptr("z1"), FreezeReason: "over"},
			&Refund{Amount: 900, Shipping: 495, Currency: "EUR", Status: returns.RefundStatusFailed, FailureCode: "05", FinishedAt: &at}},
		{"paid by the gateway", nil, &db.RefundShown{Currency: "EUR", Status: returns.RefundStatusSucceeded, Amount: 900, Attempts: []db.AttemptShown{
			{State: returns.AttemptUnknown, RRN: "RRN-0"}, {State: returns.AttemptApproved, GatewayRefundID: "re_1"}}},
			&Refund{Amount: 900, Currency: "EUR", Status: returns.RefundStatusSucceeded, Reference: "re_1"}},
		{"paid with no reference yet", nil, &db.RefundShown{Currency: "EUR", Status: returns.RefundStatusSucceeded, Amount: 900,
			Attempts: []db.AttemptShown{{State: returns.AttemptApproved}, {State: db.AttemptConfirmedApproved, RRN: "RRN-9"}}},
			&Refund{Amount: 900, Currency: "EUR", Status: returns.RefundStatusSucceeded, Reference: "RRN-9"}},
	} {
		f := stored()
		f.ret.RefundAmount, f.refund = tc.refundAmount, tc.refund
		got, err := New(Deps{Store: f}).Return(context.Background(), returnID, Viewer{Staff: true})
		if err != nil || !reflect.DeepEqual(got.Refund, tc.want) {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got.Refund, err, tc.want)
		}
	}
}

// A return with no lines, events or payment answers empty lists (never
// null) and an order paid by nothing; reason codes that do not parse are
// left out; a short masked PAN shows no digits.
func TestReturnBare(t *testing.T) {
	t.Parallel()
	f := &fakeStore{ret: &db.ReturnShown{ReturnHead: db.ReturnHead{ID: returnID, Status: "submitted", ReasonCodes: db.JSON(`{`)}}}
	got, err := New(Deps{Store: f}).Return(context.Background(), returnID, Viewer{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	for _, want := range []string{`"lines":[]`, `"timeline":[]`, `"refund":null`, `"order":{"placed_at":"0001-01-01T00:00:00Z","paid":0,"shipping":0,"channel":""}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	if strings.Contains(string(b), "reason_codes") {
		t.Errorf("bad codes shown: %s", b)
	}
	f.ret.Payment = &db.PaymentShown{Channel: "online", Amount: 10, MaskedPAN: "123"}
	got, _ = New(Deps{Store: f}).Return(context.Background(), returnID, Viewer{})
	if got.Order.CardLast4 != "" || got.Order.Channel != returns.ChannelOnline || got.Order.Paid != 10 {
		t.Errorf("order %+v", got.Order)
	}
}

// A shopper is told a role for each step, never a member's name.
func TestShopperFacingActor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		actor string
		role  returns.Role
		want  string
	}{
		{"shopper", "", "shopper"}, {"carrier", "", "carrier"}, {"system", "", "system"}, {"kim", "", "staff"},
		{"kim", returns.RoleClerk, "staff"}, {"sam", returns.RoleSupervisor, "staff"}, {"ada", returns.RoleAdmin, "staff"},
		{"fay", returns.RoleFinance, "finance"}, {"ops", returns.RoleOperator, "support"},
	} {
		if got := shopperFacingActor(tc.actor, tc.role); got != tc.want {
			t.Errorf("%s (%s): %s; want %s", tc.actor, tc.role, got, tc.want)
		}
	}
}
