package workflows_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// offerAll makes the fixture's merchant offer every resolution with a 10 %
// bonus on store credit.
func offerAll(p *returns.Policy) {
	p.Resolutions = slices.Clone(returns.Resolutions)
	p.CreditBonus = returns.CreditBonus{BasisPoints: 1000}
}

// creditCode is the code of the store-credit message sent to the shopper.
func (f *fixture) creditCode() string {
	f.t.Helper()
	for _, m := range f.sent.to(shopper) {
		if m.Subject == "Your store credit" {
			if code := regexp.MustCompile(`credit code is (\S+)\.`).FindStringSubmatch(m.Text); code != nil {
				return code[1]
			}
		}
	}
	f.t.Fatalf("no store-credit code sent to the shopper")
	return ""
}

func (f *fixture) notes() string {
	f.t.Helper()
	events, err := f.db.Returns.Timeline(context.Background(), f.in.ReturnID)
	must(f.t, err)
	var out []string
	for _, e := range events {
		out = append(out, e.Note)
	}
	return strings.Join(out, "\n")
}

// A return all in store credit issues the credit with its bonus, sends its
// code, makes no refund at the gateway and closes without waiting for
// settlement.
func TestStoreCreditWithBonusClosesWithoutARefund(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{policy: offerAll,
		lines: []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: returns.ResolutionStoreCredit}}})
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(2*hour, func() { f.carrier("ev2", contract.CarrierDelivered) })
	f.at(3*hour, func() { f.update(contract.UpdateInspect, allNew, nil, nil) })
	res := f.run()
	if res.Status != returns.Closed || res.RefundAmount != 0 {
		t.Fatalf("result %+v; want closed with nothing paid back", res)
	}
	equalTimeline(t, f.timeline(), returns.Submitted, returns.Approved, returns.AwaitingShipment, returns.Received,
		returns.AwaitingInspection, returns.RefundPending, returns.RefundPending, returns.Refunded, returns.Closed)
	if n := f.notes(); !strings.Contains(n, "store credit of 54.99 EUR issued (49.99 EUR and a bonus of 5.00 EUR)") {
		t.Fatalf("notes:\n%s", n)
	}
	if got := f.gateway.Refunds(); len(got) != 0 {
		t.Fatalf("gateway refunds %+v; want none", got)
	}
	var told bool
	for _, m := range f.sent.to(shopper) {
		told = told || (m.Subject == "Your return was inspected" && strings.Contains(m.Text, "You will get store credit of 54.99 EUR (a bonus of 5.00 EUR included"))
	}
	if !told {
		t.Errorf("the shopper was not told of the credit after inspection")
	}
	for _, m := range f.sent.to(shopper) {
		if m.Subject == "Your refund is on its way" {
			t.Errorf("the shopper was told of a refund: %q", m.Text)
		}
	}
	credit, err := f.db.Credits.CreditByCode(context.Background(), auth.HashCreditCode(f.creditCode()))
	must(t, err)
	if credit.Balance != 4999+500 || credit.Currency != "EUR" || credit.ReturnID == nil || *credit.ReturnID != f.in.ReturnID {
		t.Fatalf("credit %+v; want 5499 for the return", credit)
	}
	refunds, err := f.db.Refunds.RefundsOfReturn(context.Background(), f.in.ReturnID)
	must(t, err)
	if len(refunds) != 1 || refunds[0].Amount != 0 || refunds[0].CreditAmount != 4999 || refunds[0].CreditBonus != 500 ||
		refunds[0].Status != returns.RefundStatusSucceeded {
		t.Fatalf("refunds %+v", refunds)
	}
}

// A mixed return pays its refund lines back to the payment and issues its
// credit lines as credit; it settles as a refund does.
func TestMixedRefundAndCredit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{policy: offerAll, lines: []returns.RequestedLine{
		{LineID: "socks", Quantity: 3, Reason: "too_small", Resolution: returns.ResolutionRefund},
		{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: returns.ResolutionStoreCredit}}})
	both := contract.InspectRequest{Actor: clerk, Lines: []returns.InspectedLine{
		{LineID: "socks", AcceptedQuantity: 3, Condition: returns.ConditionNew},
		{LineID: "shoes", AcceptedQuantity: 1, Condition: returns.ConditionOpened}}}
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(2*hour, func() { f.carrier("ev2", contract.CarrierDelivered) })
	f.at(3*hour, func() { f.update(contract.UpdateInspect, both, nil, nil) })
	f.at(4*hour, func() { f.env.SignalWorkflow(contract.SignalSettled, nil) })
	res := f.run()
	if res.Status != returns.Closed || res.RefundAmount != 2900 {
		t.Fatalf("result %+v; want closed with 2900 paid back", res)
	}
	if got := f.gateway.Refunds(); len(got) != 1 || got[0].Amount != 2900 {
		t.Fatalf("gateway refunds %+v; want one of 2900", got)
	}
	credit, err := f.db.Credits.CreditByCode(context.Background(), auth.HashCreditCode(f.creditCode()))
	must(t, err)
	// The shoes came back opened: 10 % fee (500) off, then 10 % bonus.
	if credit.Balance != 4499+450 {
		t.Fatalf("credit %+v; want 4949", credit)
	}
	if tl := f.timeline(); !slices.Contains(tl, string(returns.AwaitingSettlement)) {
		t.Fatalf("timeline %v; want it to wait for settlement", tl)
	}
}

// An exchange line holds its replacement on approval and releases it when
// the inspection rejects the goods.
func TestExchangeHeldThenReleasedOnRejection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{policy: offerAll, lines: []returns.RequestedLine{
		{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: returns.ResolutionExchange, VariantSKU: "SHOE-44"}}})
	ctx := context.Background()
	_, err := f.db.Catalog.UpsertVariants(ctx, f.merchant.ID, []db.CatalogItem{{
		Product: db.Product{ProductID: "shoe", Title: "Shoes"},
		Variant: db.Variant{SKU: "SHOE-44", ProductID: "shoe", Options: "{}", Price: 4999, Currency: "EUR", Available: 2}}})
	must(t, err)
	held := func() int {
		v, err := f.db.Catalog.VariantBySKU(ctx, f.merchant.ID, "SHOE-44")
		must(t, err)
		return v.Held
	}
	rejected := contract.InspectRequest{Actor: clerk, Lines: []returns.InspectedLine{{LineID: "shoes", RejectedQuantity: 1, Reason: "worn"}}}
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(hour, func() {
		if h := held(); h != 1 {
			t.Errorf("held %d after approval; want 1", h)
		}
	})
	f.at(2*hour, func() { f.carrier("ev2", contract.CarrierDelivered) })
	f.at(3*hour, func() { f.update(contract.UpdateInspect, rejected, nil, nil) })
	res := f.run()
	if res.Status != returns.Rejected {
		t.Fatalf("result %+v; want rejected", res)
	}
	if h := held(); h != 0 {
		t.Fatalf("held %d after the rejection; want 0", h)
	}
	n := f.notes()
	if !strings.Contains(n, "chosen: line shoes: exchange for SHOE-44") || !strings.Contains(n, "1 × SHOE-44 held for the shopper; "+returns.ExchangeHeld) || !strings.Contains(n, "replacement was released: the return is rejected") {
		t.Fatalf("notes:\n%s", n)
	}
}

// A mixed return whose payment part fails has issued its credit lines; the
// ledger keeps one credit per return, so finance's store-credit resolution
// is refused (it would issue nothing) and a retry or "mark refunded" is
// left.
func TestMixedReturnsFailedRefundIsNotResolvedAsCreditAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{policy: offerAll, method: returns.MethodInStore, paymentID: "pay_fail_1", lines: []returns.RequestedLine{
		{LineID: "socks", Quantity: 3, Reason: "too_small", Resolution: returns.ResolutionRefund},
		{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: returns.ResolutionStoreCredit}}})
	both := contract.InspectRequest{Actor: clerk, Lines: []returns.InspectedLine{
		{LineID: "socks", AcceptedQuantity: 3, Condition: returns.ConditionNew},
		{LineID: "shoes", AcceptedQuantity: 1, Condition: returns.ConditionNew}}}
	fin := returns.Actor{Kind: returns.ActorStaff, Name: "fin", Role: returns.RoleFinance}
	var refused error
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(hour, func() { f.update(contract.UpdateReceive, contract.ReceiveRequest{Actor: clerk}, nil, nil) })
	f.at(2*hour, func() { f.update(contract.UpdateInspect, both, nil, nil) })
	f.at(day, func() {
		f.update(contract.UpdateRefundResolution, contract.RefundResolutionRequest{Action: contract.ResolveStoreCredit, Actor: fin}, nil, &refused)
	})
	f.at(day+hour, func() {
		f.update(contract.UpdateRefundResolution, contract.RefundResolutionRequest{Action: contract.ResolveMarkRefunded, Note: "paid by bank transfer", Actor: fin}, nil, nil)
	})
	res := f.run()
	if refused == nil || !strings.Contains(refused.Error(), "issued as store credit already") {
		t.Fatalf("store-credit resolution: %v; want refused", refused)
	}
	if res.Status != returns.Closed {
		t.Fatalf("result %+v; want closed once marked refunded", res)
	}
	credit, err := f.db.Credits.CreditByCode(context.Background(), auth.HashCreditCode(f.creditCode()))
	must(t, err)
	if credit.Balance != 4999+500 {
		t.Fatalf("credit %+v; want the shoes' 5499 only", credit)
	}
}

// An exchange line rejected at inspection while another line is accepted
// owes no replacement: its hold is released, the accepted line refunded.
func TestRejectedExchangeLineReleasesItsHold(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{policy: offerAll, lines: []returns.RequestedLine{
		{LineID: "socks", Quantity: 3, Reason: "too_small"},
		{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: returns.ResolutionExchange, VariantSKU: "SHOE-44"}}})
	ctx := context.Background()
	_, err := f.db.Catalog.UpsertVariants(ctx, f.merchant.ID, []db.CatalogItem{{
		Product: db.Product{ProductID: "shoe", Title: "Shoes"},
		Variant: db.Variant{SKU: "SHOE-44", ProductID: "shoe", Options: "{}", Price: 4999, Currency: "EUR", Available: 2}}})
	must(t, err)
	inspected := contract.InspectRequest{Actor: clerk, Lines: []returns.InspectedLine{
		{LineID: "socks", AcceptedQuantity: 3, Condition: returns.ConditionNew},
		{LineID: "shoes", RejectedQuantity: 1, Reason: "worn"}}}
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(2*hour, func() { f.carrier("ev2", contract.CarrierDelivered) })
	f.at(3*hour, func() { f.update(contract.UpdateInspect, inspected, nil, nil) })
	f.at(4*hour, func() { f.env.SignalWorkflow(contract.SignalSettled, nil) })
	res := f.run()
	if res.Status != returns.Closed || res.RefundAmount != 2900 {
		t.Fatalf("result %+v; want the socks refunded", res)
	}
	v, err := f.db.Catalog.VariantBySKU(ctx, f.merchant.ID, "SHOE-44")
	must(t, err)
	if v.Held != 0 || !strings.Contains(f.notes(), "exchanged items were rejected at inspection") {
		t.Fatalf("held %d; notes:\n%s", v.Held, f.notes())
	}
}
