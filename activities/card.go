package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/faultpoint"
	"github.com/rebound-returns/rebound/pos"
)

// Acquirer is the part of the acquirer client the card refunds use.
type Acquirer interface {
	Send(ctx context.Context, r pos.Request) (pos.Response, error)
	Reverse(ctx context.Context, rv pos.Reversal) (pos.Response, error)
}

// Cards are the activities of card refunds: they prepare attempts, send
// them to the acquirer and reverse them (the ones that talk to it run on
// their own task queue, see workflows.CardTaskQueue), and escalate what
// the acquirer never acknowledged.
type Cards struct {
	Base
	// POS sends card messages to the acquirer; Cutoff is its batch cut-off;
	// Card the worker's settings for card messages.
	POS    Acquirer
	Cutoff time.Duration
	Card   CardSettings
	// Faults are the fault points a test armed (nil: none).
	Faults *faultpoint.Points
	// Metrics count reversals that could not leave (nil: none).
	Metrics *Metrics
}

// Card outcomes, as the workflow sees them.
const (
	CardNotSent  = returns.AttemptPrepared // the message never left
	CardApproved = returns.AttemptApproved
	CardDeclined = returns.AttemptDeclined
	CardUnknown  = returns.AttemptUnknown
)

// DefaultCutoff is the acquirer's batch cut-off (time of day, UTC) when
// none is configured.
const DefaultCutoff = 22 * time.Hour

// Defaults of the card settings the worker gives its refunds.
const (
	DefaultCardSendTimeout  = 45 * time.Second
	DefaultCardRetryWait    = 5 * time.Second
	DefaultReversalPatience = 6 * time.Hour
	DefaultFateWait         = time.Minute
	DefaultMaxReversals     = 6
)

// batchClosesAt is when the batch holding a sale made at `at` is settled.
func batchClosesAt(at time.Time, cutoff time.Duration) time.Time {
	day := at.UTC().Truncate(24 * time.Hour)
	if closes := day.Add(cutoff); at.UTC().Before(closes) {
		return closes
	}
	return day.Add(24*time.Hour + cutoff)
}

// CardSettings are how this worker sends card messages: the workflow asks
// for them once, so that they are the worker's (its configuration), not
// carried in every return's input.
func (a *Cards) CardSettings(context.Context) (CardSettings, error) {
	s := a.Card
	if s.SendTimeout <= 0 {
		s.SendTimeout = DefaultCardSendTimeout
	}
	if s.RetryWait <= 0 {
		s.RetryWait = DefaultCardRetryWait
	}
	if s.ReversalPatience <= 0 {
		s.ReversalPatience = DefaultReversalPatience
	}
	if s.FateWait <= 0 {
		s.FateWait = DefaultFateWait
	}
	if s.MaxReversals <= 0 {
		s.MaxReversals = DefaultMaxReversals
	}
	return s, nil
}

// cardContext is what a card message is built from: the sale, the store's
// virtual terminal, the sale's own terminal and the merchant.
type cardContext struct {
	refund   *db.Refund
	payment  *db.Payment
	order    *db.Order
	virtual  *db.Terminal
	sale     *db.Terminal
	merchant *db.Merchant
	local    *time.Location
}

func (a *Base) cardContext(ctx context.Context, refundID string) (*cardContext, error) {
	ref, err := a.DB.Refunds.RefundByID(ctx, refundID)
	if err != nil {
		return nil, err
	}
	order, err := a.DB.Orders.OrderByID(ctx, ref.OrderID)
	if err != nil {
		return nil, err
	}
	if order.Payment == nil || order.Payment.Channel != returns.ChannelCardPresent {
		return nil, fmt.Errorf("refund %s: the order was not paid by card", refundID)
	}
	sale, err := a.DB.Merchants.TerminalByID(ctx, order.Payment.TerminalID)
	if err != nil {
		return nil, fmt.Errorf("refund %s: sale terminal: %w", refundID, err)
	}
	virtual, err := a.DB.Merchants.VirtualTerminal(ctx, sale.StoreID)
	if err != nil {
		return nil, fmt.Errorf("refund %s: %w", refundID, err)
	}
	m, err := a.DB.Merchants.MerchantByID(ctx, ref.MerchantID)
	if err != nil {
		return nil, err
	}
	local, err := time.LoadLocation(m.TimeZone)
	if err != nil || m.TimeZone == "" {
		local = time.UTC
	}
	return &cardContext{refund: ref, payment: order.Payment, order: order, virtual: virtual, sale: sale, merchant: m, local: local}, nil
}

// saleAt is the sale's own transmission time (its DE7) as registered.
// Registration requires it of every card sale (app/orders); placed_at
// stands for it only in rows stored before it was required, which carry
// no SaleAt.
func (c *cardContext) saleAt() time.Time {
	if c.payment.SaleAt != nil {
		return c.payment.SaleAt.UTC()
	}
	return c.order.PlacedAt.UTC()
}

// request is the ISO 8583 message of an attempt.
func (c *cardContext) request(att *db.RefundAttempt) pos.Request {
	kind := pos.KindRefund
	if att.Kind == returns.AttemptVoid {
		kind = pos.KindVoid
	}
	var at time.Time
	if att.TransmittedAt != nil {
		at = *att.TransmittedAt
	}
	return pos.Request{
		Kind: kind, TerminalID: att.TerminalID, MerchantID: c.merchant.AcquirerMerchantID, STAN: att.STAN, RRN: att.RRN,
		TransmittedAt: at, Local: c.local, Amount: att.Amount, Currency: c.refund.Currency,
		Original: pos.Original{TerminalID: c.payment.TerminalID, STAN: c.payment.STAN, RRN: c.payment.RRN,
			ApprovalCode: c.payment.ApprovalCode, At: c.saleAt(), Batch: c.payment.Batch, Amount: c.payment.Amount},
	}
}

// voidable tells whether a refund may still be a void at now: the whole
// sale, while its batch is open (by the sale's own time, not the order's).
func (a *Cards) voidable(c *cardContext, now time.Time) bool {
	return c.refund.Amount == c.payment.Amount && now.Before(batchClosesAt(c.saleAt(), a.cutoff()))
}

// PrepareCardAttempt stores the next attempt of a card refund, with a STAN
// of its terminal and its own RRN, before anything is sent; the money rules
// (db.CreateAttempt) decide whether it may go at all. The whole of a sale
// still in its open batch is voided, from the sale's own terminal when the
// acquirer requires it; anything else, and a void the acquirer refused, is
// refunded from the store's virtual terminal.
func (a *Cards) PrepareCardAttempt(ctx context.Context, in CardAttemptInput) (CardAttempt, error) {
	c, err := a.cardContext(ctx, in.RefundID)
	if err != nil {
		return CardAttempt{}, err
	}
	now := a.now()
	kind, terminal := returns.AttemptRefund, c.virtual.TerminalID
	if !in.AsRefund && a.voidable(c, now) {
		kind = returns.AttemptVoid
		if a.Card.VoidFromSaleTerminal {
			terminal = c.sale.TerminalID
		}
	}
	att, err := a.DB.Refunds.CreateAttempt(ctx, &db.RefundAttempt{ID: in.AttemptID, RefundID: in.RefundID,
		Kind: kind, Amount: c.refund.Amount, TerminalID: terminal, RRN: pos.NewRRN(now, in.AttemptID)}, now)
	if errors.Is(err, db.ErrAttemptBlocked) || errors.Is(err, db.ErrExceedsPayment) {
		return CardAttempt{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrRefused, nil)
	}
	if err != nil {
		return CardAttempt{}, err
	}
	set := map[string]any{"workflow_id": workflowID(ctx)}
	if in.AuthorisedBy != "" {
		set["authorised_by"] = in.AuthorisedBy
	}
	if err := a.DB.Refunds.SetRefund(ctx, in.RefundID, set); err != nil {
		return CardAttempt{}, err
	}
	return CardAttempt{AttemptID: att.ID, Kind: att.Kind, TerminalID: att.TerminalID, STAN: att.STAN, Amount: att.Amount}, nil
}

// ErrRefused is the type of an activity error the money rules answered: a
// new attempt may not go.
const ErrRefused = "refused_by_rules"

func (a *Cards) cutoff() time.Duration {
	if a.Cutoff > 0 {
		return a.Cutoff
	}
	return DefaultCutoff
}

// recorded is an attempt's outcome as its row tells it.
func recorded(att *db.RefundAttempt) CardOutcome {
	return CardOutcome{State: att.State, ResponseCode: att.ResponseCode, ApprovalCode: att.ApprovalCode, RRN: att.RRN}
}

// SendCardAttempt sends a prepared attempt once. The row moves to sent
// before the message leaves, so a crash after it can only ever be read as an
// unknown outcome (and reversed), never as "not sent" (and sent again). A
// void whose batch has closed meanwhile is not sent at all: it becomes a
// refund.
func (a *Cards) SendCardAttempt(ctx context.Context, attemptID string) (CardOutcome, error) {
	att, err := a.DB.Refunds.AttemptByID(ctx, attemptID)
	if err != nil {
		return CardOutcome{}, err
	}
	if att.State != returns.AttemptPrepared {
		return a.SettleLostAttempt(ctx, attemptID)
	}
	c, err := a.cardContext(ctx, att.RefundID)
	if err != nil {
		return CardOutcome{}, err
	}
	now := a.now()
	if att.Kind == returns.AttemptVoid && !now.Before(batchClosesAt(c.saleAt(), a.cutoff())) {
		_, err := a.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptDeclined, map[string]any{"response_code": NotSentCutoff})
		return CardOutcome{State: CardDeclined, ResponseCode: NotSentCutoff, AsRefund: true}, err
	}
	att.TransmittedAt = &now
	moved, err := a.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptSent,
		map[string]any{"transmitted_at": now, "transmitted_day": now.Format("2006-01-02")})
	if err != nil {
		return CardOutcome{}, err
	}
	if !moved {
		return a.SettleLostAttempt(ctx, attemptID)
	}
	req := c.request(att)
	resp, err := a.POS.Send(ctx, req)
	if ferr := a.Faults.Hit(ctx, FaultAfterSend); ferr != nil {
		return CardOutcome{}, ferr // a crash here: the message left, its answer is not recorded
	}
	switch {
	case errors.Is(err, pos.ErrNotSent):
		_, merr := a.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptPrepared, map[string]any{"transmitted_at": nil, "transmitted_day": ""})
		return CardOutcome{State: CardNotSent}, merr
	case errors.Is(err, pos.ErrUnreadable):
		return a.unknown(ctx, att.ID, "unreadable answer: "+err.Error(), pos.ReasonUnreadable)
	case err != nil:
		return a.unknown(ctx, att.ID, "no answer: "+err.Error(), pos.ReasonNoAnswer)
	}
	return a.answered(ctx, att, resp, req)
}

// Fault points of the card refunds (package faultpoint).
const (
	// FaultAfterSend is between a card message's answer and its record.
	FaultAfterSend = "card.after-send"
	// FaultFinishRefund is when a refund's outcome is about to be recorded.
	FaultFinishRefund = "refund.finish"
)

// NotSentCutoff is the response code Rebound records on a void it did not
// send because its batch had closed.
const NotSentCutoff = "cutoff"

// answered records the acquirer's answer to an attempt, with the fields of
// it Rebound does not use but that say something (not echoes of req).
func (a *Cards) answered(ctx context.Context, att *db.RefundAttempt, resp pos.Response, req pos.Request) (CardOutcome, error) {
	var fields db.JSON
	if kept := newFields(resp.Fields, req); len(kept) > 0 {
		fields, _ = db.ToJSON(kept)
	}
	out := CardOutcome{State: CardDeclined, ResponseCode: resp.ResponseCode, ApprovalCode: resp.ApprovalCode, RRN: resp.RRN}
	switch resp.ResponseCode {
	case pos.CodeApproved:
		out.State = CardApproved
	case pos.CodeDuplicate, pos.CodeLateResponse:
		// 94: the STAN met another message; 68: the host answered too late
		// for itself. Either may have paid: reverse.
		return a.unknown(ctx, att.ID, "acquirer answered "+resp.ResponseCode, pos.ReasonNoAnswer)
	case pos.CodeIssuerUnavailable, pos.CodeSystemMalfunction:
		out.Retry = true // not processed: another attempt may go later
	default:
		// A refused void is paid as a refund instead (its batch closed, it
		// was partial, or the host wants it from another terminal).
		out.AsRefund = att.Kind == returns.AttemptVoid
	}
	set := map[string]any{"response_code": resp.ResponseCode, "approval_code": resp.ApprovalCode, "answer_fields": fields}
	if resp.RRN != "" {
		set["rrn"] = resp.RRN // the host's word wins over the RRN Rebound sent
	}
	if _, err := a.DB.Refunds.MoveAttempt(ctx, att.ID, out.State, set); err != nil {
		return CardOutcome{}, err
	}
	return out, nil
}

// newFields are the answer's fields that do not merely echo the request.
func newFields(fields map[int]string, req pos.Request) map[int]string {
	sent, err := pos.BuildRequest(req)
	kept := map[int]string{}
	for id, v := range fields {
		if err == nil {
			if was, gerr := sent.GetString(id); gerr == nil && was == v {
				continue
			}
		}
		kept[id] = v
	}
	return kept
}

// SettleLostAttempt reads an attempt whose send activity did not report
// back: prepared never left; sent may have, so it is unknown.
func (a *Cards) SettleLostAttempt(ctx context.Context, attemptID string) (CardOutcome, error) {
	att, err := a.DB.Refunds.AttemptByID(ctx, attemptID)
	if err != nil {
		return CardOutcome{}, err
	}
	switch {
	case att.State == returns.AttemptSent:
		return a.unknown(ctx, att.ID, "lost while sending (worker stopped or timed out)", pos.ReasonLost)
	case db.AttemptInDoubt(att.State) && att.State != returns.AttemptPrepared:
		return CardOutcome{State: CardUnknown}, nil
	case att.State == db.AttemptConfirmedApproved:
		return CardOutcome{State: CardApproved}, nil
	case att.State == returns.AttemptReversed || att.State == db.AttemptConfirmedReversed || att.State == db.AttemptConfirmedNotReceived:
		return CardOutcome{State: CardDeclined, ResponseCode: string(att.State)}, nil
	}
	return recorded(att), nil
}

// Reversal outcomes, as the workflow sees them.
const (
	// ReversalCleared: the attempt certainly paid nothing (reversed and
	// acknowledged, or settled so by evidence).
	ReversalCleared = "cleared"
	// ReversalPaid: evidence shows the attempt paid (finance, or the
	// settlement file): it is the refund.
	ReversalPaid = "paid"
	// ReversalNotSent: the reversal never left (the acquirer unreachable);
	// not a try.
	ReversalNotSent = "not_sent"
	// ReversalNotFound: the acquirer answered 25, it knows no such
	// message — yet. The original may still arrive: wait, then repeat.
	ReversalNotFound = "not_found"
	// ReversalUnanswered: it left but no acknowledgement came.
	ReversalUnanswered = "unanswered"
	// ReversalRefused: the acquirer will not reverse it (the batch of a
	// void settled): only the settlement file can tell.
	ReversalRefused = "refused"
)

// ReverseCardAttempt sends the reversal of an attempt whose outcome is
// unknown: 0400 the first time it leaves, 0401 after, with a STAN of its
// own. "00" acknowledges it; "25" (nothing to reverse) does only once the
// original's fate is known (in.AfterFateWait: the workflow waited for the
// original to arrive, if it was going to). Only a reversal that left counts
// as a try; one that could not leave opens a finance work item (once),
// logs a warning and counts in a metric. An attempt settled meanwhile by
// evidence says so.
func (a *Cards) ReverseCardAttempt(ctx context.Context, in ReversalInput) (ReversalOutcome, error) {
	att, err := a.DB.Refunds.AttemptByID(ctx, in.AttemptID)
	if err != nil {
		return ReversalOutcome{}, err
	}
	switch {
	case att.State == returns.AttemptReversed:
		return ReversalOutcome{State: ReversalCleared, Acknowledged: true, ResponseCode: att.ReversalCode}, nil
	case db.AttemptPays(att.State):
		return ReversalOutcome{State: ReversalPaid}, nil
	case db.AttemptClears(att.State):
		return ReversalOutcome{State: ReversalCleared, Acknowledged: true}, nil
	case att.State != returns.AttemptUnknown && att.State != returns.AttemptReversalPending:
		return ReversalOutcome{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("attempt %s is %s: nothing to reverse", att.ID, att.State), contract.ErrInvalidState, nil)
	}
	c, err := a.cardContext(ctx, att.RefundID)
	if err != nil {
		return ReversalOutcome{}, err
	}
	now := a.now()
	if att.Kind == returns.AttemptVoid && att.TransmittedAt != nil && !now.Before(batchClosesAt(*att.TransmittedAt, a.cutoff())) {
		// The void's batch has settled: hosts refuse its reversal, and
		// only the settlement file can tell whether it paid.
		return ReversalOutcome{State: ReversalRefused}, a.DB.Refunds.SetAttempt(ctx, att.ID, map[string]any{"reversal_code": NotSentCutoff})
	}
	if att, err = a.DB.Refunds.ReversalSTAN(ctx, att.ID, now); err != nil {
		return ReversalOutcome{}, err
	}
	if _, err := a.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptReversalPending, nil); err != nil {
		return ReversalOutcome{}, err
	}
	reason := att.ReversalReason
	if reason == "" {
		reason = pos.ReasonNoAnswer
	}
	resp, err := a.POS.Reverse(ctx, pos.Reversal{Request: c.request(att), STAN: att.ReversalSTAN, Repeat: att.ReversalTries > 0,
		TransmittedAt: now, Reason: reason})
	if errors.Is(err, pos.ErrNotSent) {
		return ReversalOutcome{State: ReversalNotSent}, a.unreachable(ctx, c, att, now)
	}
	if err := a.reached(ctx, att); err != nil {
		return ReversalOutcome{}, err
	}
	if err != nil {
		return ReversalOutcome{State: ReversalUnanswered}, nil
	}
	out := ReversalOutcome{State: ReversalUnanswered, ResponseCode: resp.ResponseCode}
	set := map[string]any{"reversal_code": resp.ResponseCode}
	switch resp.ResponseCode {
	case pos.CodeApproved:
		out.State, out.Acknowledged = ReversalCleared, true
	case pos.CodeOriginalNotFound:
		if !in.AfterFateWait {
			return ReversalOutcome{State: ReversalNotFound, ResponseCode: resp.ResponseCode}, a.DB.Refunds.SetAttempt(ctx, att.ID, set)
		}
		// Still unknown after the original had every chance to arrive:
		// the acquirer never processed it.
		out.State, out.Acknowledged = ReversalCleared, true
	case pos.CodeInvalidTransaction:
		out.State = ReversalRefused
		return out, a.DB.Refunds.SetAttempt(ctx, att.ID, set)
	default:
		return out, a.DB.Refunds.SetAttempt(ctx, att.ID, set)
	}
	_, err = a.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptReversed, set)
	return out, err
}

// reached counts a reversal that left and, when the acquirer had been
// unreachable, closes that episode's work item.
func (a *Cards) reached(ctx context.Context, att *db.RefundAttempt) error {
	if err := a.DB.Refunds.SetAttempt(ctx, att.ID, map[string]any{"reversal_tries": att.ReversalTries + 1, "unreachable_since": nil}); err != nil {
		return err
	}
	if att.UnreachableSince == nil {
		return nil
	}
	_, err := a.DB.Finance.ResolveWorkItemsOf(ctx, att.ID, kindUnreachable, "reached", "the reversal reached the acquirer again", "rebound")
	return err
}

// Work item kinds the card refunds open.
const (
	kindUnreachable  = "acquirer_unreachable"
	kindEscalated    = "reversal_unacknowledged"
	kindLateApproval = "late_approval"
	kindConflicting  = "conflicting_answer"
)

// unreachable notes that a reversal could not leave: since when (the first
// time), a warning, the metric and a finance work item from the first
// failure on, while the workflow keeps trying.
func (a *Cards) unreachable(ctx context.Context, c *cardContext, att *db.RefundAttempt, now time.Time) error {
	a.log().Warn("reversal not sent: the acquirer is unreachable", "attempt_id", att.ID, "terminal", att.TerminalID,
		"stan", att.STAN, "reversal_stan", att.ReversalSTAN)
	if a.Metrics != nil {
		a.Metrics.ReversalsNotSent.Inc()
	}
	if att.UnreachableSince != nil {
		return nil
	}
	if err := a.DB.Refunds.SetAttempt(ctx, att.ID, map[string]any{"unreachable_since": now}); err != nil {
		return err
	}
	return a.DB.Finance.OpenWorkItem(ctx, &db.WorkItem{DedupeKey: kindUnreachable + "/" + att.ID + "/" + now.Format(time.RFC3339Nano),
		MerchantID: c.refund.MerchantID, Kind: kindUnreachable, ReturnID: &c.refund.ReturnID, RefundID: &c.refund.ID, AttemptID: &att.ID,
		Summary: fmt.Sprintf("terminal %s STAN %s: the outcome is unknown and its reversal cannot reach the acquirer; Rebound keeps trying", att.TerminalID, att.STAN)})
}

// EscalateAttempt gives up on reversing an attempt and hands it to finance,
// who end it with evidence (or the settlement file does). It answers where
// the attempt stands: escalated, or paid or cleared when evidence came first.
func (a *Cards) EscalateAttempt(ctx context.Context, attemptID string) (ReversalOutcome, error) {
	att, err := a.DB.Refunds.AttemptByID(ctx, attemptID)
	if err != nil {
		return ReversalOutcome{}, err
	}
	moved, err := a.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptEscalated, nil)
	if err != nil {
		return ReversalOutcome{}, err
	}
	if !moved {
		if att, err = a.DB.Refunds.AttemptByID(ctx, attemptID); err != nil {
			return ReversalOutcome{}, err
		}
		switch {
		case db.AttemptPays(att.State):
			return ReversalOutcome{State: ReversalPaid}, nil
		case db.AttemptClears(att.State):
			return ReversalOutcome{State: ReversalCleared, Acknowledged: true}, nil
		}
		return ReversalOutcome{State: Escalated}, nil
	}
	ref, err := a.DB.Refunds.RefundByID(ctx, att.RefundID)
	if err != nil {
		return ReversalOutcome{}, err
	}
	why := fmt.Sprintf("its reversal was never acknowledged (%d sent)", att.ReversalTries)
	switch {
	case att.ReversalCode == pos.CodeInvalidTransaction || att.ReversalCode == NotSentCutoff:
		why = "its batch settled before it could be reversed"
	case att.UnreachableSince != nil:
		why = "the acquirer could not be reached to reverse it since " + att.UnreachableSince.UTC().Format(time.RFC3339)
	}
	if _, err := a.DB.Finance.ResolveWorkItemsOf(ctx, att.ID, kindUnreachable, string(returns.AttemptEscalated), "handed to finance", "rebound"); err != nil {
		return ReversalOutcome{}, err
	}
	err = a.DB.Finance.OpenWorkItem(ctx, &db.WorkItem{DedupeKey: "reversal/" + att.ID, MerchantID: ref.MerchantID, Kind: kindEscalated,
		ReturnID: &ref.ReturnID, RefundID: &ref.ID, AttemptID: &att.ID,
		Summary: fmt.Sprintf("terminal %s STAN %s RRN %s: outcome unknown and %s; confirm with the acquirer (reversed, approved or never received) — the settlement file settles it too",
			att.TerminalID, att.STAN, att.RRN, why)})
	return ReversalOutcome{State: Escalated}, err
}

// Escalated is the reversal outcome of an attempt handed to finance.
const Escalated = string(returns.AttemptEscalated)
