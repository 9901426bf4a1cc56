package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/pos"
)

// Acquirer is the part of the acquirer client the card refunds use.
type Acquirer interface {
	Send(ctx context.Context, r pos.Request) (pos.Response, error)
	Reverse(ctx context.Context, rv pos.Reversal) (pos.Response, error)
}

// Card outcomes, as the workflow sees them.
const (
	CardNotSent  = db.AttemptPrepared // the message never left
	CardApproved = db.AttemptApproved
	CardDeclined = db.AttemptDeclined
	CardUnknown  = db.AttemptUnknown
)

// DefaultCutoff is the acquirer's batch cut-off (time of day, UTC) when
// none is configured.
const DefaultCutoff = 22 * time.Hour

// batchClosesAt is when the batch holding a sale made at `at` is settled.
func batchClosesAt(at time.Time, cutoff time.Duration) time.Time {
	day := at.UTC().Truncate(24 * time.Hour)
	if closes := day.Add(cutoff); at.UTC().Before(closes) {
		return closes
	}
	return day.Add(24*time.Hour + cutoff)
}

// cardContext is what a card message is built from: the sale, the store's
// virtual terminal and the merchant's acquirer id.
type cardContext struct {
	refund   *db.Refund
	payment  *db.Payment
	order    *db.Order
	virtual  *db.Terminal
	merchant *db.Merchant
}

func (a *Activities) cardContext(ctx context.Context, refundID string) (*cardContext, error) {
	ref, err := a.DB.RefundByID(ctx, refundID)
	if err != nil {
		return nil, err
	}
	order, err := a.DB.OrderByID(ctx, ref.OrderID)
	if err != nil {
		return nil, err
	}
	if order.Payment == nil || order.Payment.Channel != db.ChannelCardPresent {
		return nil, fmt.Errorf("refund %s: the order was not paid by card", refundID)
	}
	sale, err := a.DB.TerminalByID(ctx, order.Payment.TerminalID)
	if err != nil {
		return nil, fmt.Errorf("refund %s: sale terminal: %w", refundID, err)
	}
	virtual, err := a.DB.VirtualTerminal(ctx, sale.StoreID)
	if err != nil {
		return nil, fmt.Errorf("refund %s: %w", refundID, err)
	}
	m, err := a.DB.MerchantByID(ctx, ref.MerchantID)
	if err != nil {
		return nil, err
	}
	return &cardContext{refund: ref, payment: order.Payment, order: order, virtual: virtual, merchant: m}, nil
}

// request is the ISO 8583 message of an attempt.
func (c *cardContext) request(att *db.RefundAttempt) pos.Request {
	kind := pos.KindRefund
	if att.Kind == db.AttemptVoid {
		kind = pos.KindVoid
	}
	var at time.Time
	if att.TransmittedAt != nil {
		at = *att.TransmittedAt
	}
	return pos.Request{
		Kind: kind, TerminalID: att.TerminalID, MerchantID: c.merchant.AcquirerMerchantID, STAN: att.STAN,
		TransmittedAt: at, Amount: att.Amount, Currency: c.refund.Currency,
		Original: pos.Original{TerminalID: c.payment.TerminalID, STAN: c.payment.STAN, RRN: c.payment.RRN,
			At: c.order.PlacedAt, Amount: c.payment.Amount},
	}
}

// PrepareCardAttempt stores the next attempt of a card refund with a fresh
// STAN from the store's virtual terminal, before anything is sent. A sale
// still in its unsettled batch is voided, a settled one refunded.
func (a *Activities) PrepareCardAttempt(ctx context.Context, in CardAttemptInput) (CardAttempt, error) {
	c, err := a.cardContext(ctx, in.RefundID)
	if err != nil {
		return CardAttempt{}, err
	}
	now := a.now()
	kind := db.AttemptRefund
	if now.Before(batchClosesAt(c.order.PlacedAt, a.cutoff())) {
		kind = db.AttemptVoid
	}
	existing, err := a.DB.AttemptsOfRefund(ctx, in.RefundID)
	if err != nil {
		return CardAttempt{}, err
	}
	att, err := a.DB.CreateCardAttempt(ctx, &db.RefundAttempt{ID: in.AttemptID, RefundID: in.RefundID, N: len(existing) + 1,
		Kind: kind, Amount: c.refund.Amount, TerminalID: c.virtual.TerminalID}, now)
	if err != nil {
		return CardAttempt{}, err
	}
	set := map[string]any{"workflow_id": workflowID(ctx)}
	if in.AuthorisedBy != "" {
		set["authorised_by"] = in.AuthorisedBy
	}
	if err := a.DB.SetRefund(ctx, in.RefundID, set); err != nil {
		return CardAttempt{}, err
	}
	return CardAttempt{AttemptID: att.ID, Kind: att.Kind, TerminalID: att.TerminalID, STAN: att.STAN, Amount: att.Amount}, nil
}

func (a *Activities) cutoff() time.Duration {
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
// unknown outcome (and reversed), never as "not sent" (and sent again).
func (a *Activities) SendCardAttempt(ctx context.Context, attemptID string) (CardOutcome, error) {
	att, err := a.DB.AttemptByID(ctx, attemptID)
	if err != nil {
		return CardOutcome{}, err
	}
	if att.State != db.AttemptPrepared {
		return a.SettleLostAttempt(ctx, attemptID)
	}
	c, err := a.cardContext(ctx, att.RefundID)
	if err != nil {
		return CardOutcome{}, err
	}
	now := a.now()
	att.TransmittedAt = &now
	moved, err := a.DB.MoveAttempt(ctx, att.ID, []string{db.AttemptPrepared},
		map[string]any{"state": db.AttemptSent, "transmitted_at": now, "transmitted_day": now.Format("2006-01-02")})
	if err != nil || !moved {
		if err == nil {
			return a.SettleLostAttempt(ctx, attemptID)
		}
		return CardOutcome{}, err
	}
	resp, err := a.POS.Send(ctx, c.request(att))
	switch {
	case errors.Is(err, pos.ErrNotSent):
		_, merr := a.DB.MoveAttempt(ctx, att.ID, []string{db.AttemptSent}, map[string]any{"state": db.AttemptPrepared, "transmitted_at": nil, "transmitted_day": ""})
		return CardOutcome{State: CardNotSent}, merr
	case err != nil:
		return a.unknown(ctx, att.ID, "no answer: "+err.Error())
	case resp.ResponseCode == "94":
		return a.unknown(ctx, att.ID, "acquirer answered 94 (duplicate)")
	}
	state := db.AttemptDeclined
	if resp.Approved() {
		state = db.AttemptApproved
	}
	_, err = a.DB.MoveAttempt(ctx, att.ID, []string{db.AttemptSent}, map[string]any{"state": state,
		"response_code": resp.ResponseCode, "approval_code": resp.ApprovalCode, "rrn": resp.RRN})
	return CardOutcome{State: state, ResponseCode: resp.ResponseCode, ApprovalCode: resp.ApprovalCode, RRN: resp.RRN}, err
}

func (a *Activities) unknown(ctx context.Context, attemptID, reason string) (CardOutcome, error) {
	_, err := a.DB.MoveAttempt(ctx, attemptID, []string{db.AttemptSent}, map[string]any{"state": db.AttemptUnknown, "unknown_reason": reason})
	return CardOutcome{State: CardUnknown}, err
}

// SettleLostAttempt reads an attempt whose send activity did not report
// back: prepared never left; sent may have, so it is unknown.
func (a *Activities) SettleLostAttempt(ctx context.Context, attemptID string) (CardOutcome, error) {
	att, err := a.DB.AttemptByID(ctx, attemptID)
	if err != nil {
		return CardOutcome{}, err
	}
	if att.State == db.AttemptSent {
		return a.unknown(ctx, att.ID, "lost while sending (worker stopped or timed out)")
	}
	if att.State == db.AttemptReversalPending || att.State == db.AttemptReversed || att.State == db.AttemptEscalated {
		return CardOutcome{State: CardUnknown}, nil
	}
	return recorded(att), nil
}

// ReverseCardAttempt sends the reversal of an attempt whose outcome is
// unknown: 0400 the first time, 0401 after. Answers "00" and "25" (nothing
// to reverse) acknowledge it.
func (a *Activities) ReverseCardAttempt(ctx context.Context, in ReversalInput) (ReversalOutcome, error) {
	att, err := a.DB.AttemptByID(ctx, in.AttemptID)
	if err != nil {
		return ReversalOutcome{}, err
	}
	if att.State == db.AttemptReversed {
		return ReversalOutcome{Acknowledged: true, ResponseCode: att.ReversalCode}, nil
	}
	moved, err := a.DB.MoveAttempt(ctx, att.ID, []string{db.AttemptUnknown, db.AttemptReversalPending},
		map[string]any{"state": db.AttemptReversalPending, "reversal_tries": att.ReversalTries + 1})
	if err != nil {
		return ReversalOutcome{}, err
	}
	if !moved {
		return ReversalOutcome{}, fmt.Errorf("attempt %s is %s: nothing to reverse", att.ID, att.State)
	}
	c, err := a.cardContext(ctx, att.RefundID)
	if err != nil {
		return ReversalOutcome{}, err
	}
	resp, err := a.POS.Reverse(ctx, pos.Reversal{Request: c.request(att), Repeat: in.Repeat, TransmittedAt: a.now()})
	if err != nil {
		// Unanswered: the workflow repeats it as 0401.
		return ReversalOutcome{}, nil
	}
	if resp.ResponseCode != "00" && resp.ResponseCode != "25" {
		return ReversalOutcome{ResponseCode: resp.ResponseCode}, nil
	}
	_, err = a.DB.MoveAttempt(ctx, att.ID, []string{db.AttemptReversalPending},
		map[string]any{"state": db.AttemptReversed, "reversal_code": resp.ResponseCode})
	return ReversalOutcome{Acknowledged: true, ResponseCode: resp.ResponseCode}, err
}

// EscalateAttempt gives up on reversing an attempt and hands it to finance.
func (a *Activities) EscalateAttempt(ctx context.Context, attemptID string) error {
	att, err := a.DB.AttemptByID(ctx, attemptID)
	if err != nil {
		return err
	}
	if _, err := a.DB.MoveAttempt(ctx, att.ID, []string{db.AttemptReversalPending, db.AttemptUnknown},
		map[string]any{"state": db.AttemptEscalated}); err != nil {
		return err
	}
	ref, err := a.DB.RefundByID(ctx, att.RefundID)
	if err != nil {
		return err
	}
	return a.DB.OpenWorkItem(ctx, &db.WorkItem{DedupeKey: "reversal/" + att.ID, MerchantID: ref.MerchantID, Kind: "reversal_unacknowledged",
		ReturnID: &ref.ReturnID, RefundID: &ref.ID, AttemptID: &att.ID,
		Summary: fmt.Sprintf("terminal %s STAN %s: outcome unknown and the reversal was never acknowledged; check with the acquirer", att.TerminalID, att.STAN)})
}

// LateResponses records answers that came after their attempt stopped
// waiting (the acquirer client's OnLate). It is not an activity: the client
// calls it as answers arrive.
type LateResponses struct {
	DB     *db.DB
	Logger *slog.Logger
}

// Record notes a late answer on its attempt; it never changes the
// attempt's state, so a late approval never reopens a reversed attempt.
func (l LateResponses) Record(r pos.Response) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log := l.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := l.DB.RecordLateResponse(ctx, r.TerminalID, r.STAN, r.ResponseCode, time.Now()); err != nil {
		log.Warn("late acquirer response not recorded", "terminal", r.TerminalID, "stan", r.STAN, "err", err)
		return
	}
	log.Info("late acquirer response recorded", "terminal", r.TerminalID, "stan", r.STAN, "mti", r.MTI, "code", r.ResponseCode)
}
