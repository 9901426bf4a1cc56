package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rebound-returns/rebound/returns"

	"gorm.io/gorm/clause"
)

// The money rules of refunds. Every path that pays (the card refund on the
// acquirer, the online refund on the gateway, finance's resolutions,
// reconciliation) changes attempts and refunds through the functions of
// this file, which hold these rules where the state changes:
//
//  1. An attempt moves only along attemptMoves: a settled attempt (declined,
//     reversed, approved, confirmed_*) never moves again, so a late or
//     repeated write cannot reopen it (MoveAttempt).
//  2. At most one attempt of a refund pays (approved or confirmed_approved):
//     a unique index over the paying states of a refund's attempts.
//  3. A new attempt only when every earlier attempt of its refund is
//     declined, reversed and acknowledged, confirmed reversed or confirmed
//     never received (CreateAttempt, under the order's lock).
//  4. What the attempts of every refund of a payment pay or may still pay,
//     with what finance marked refunded outside Rebound, never exceeds the
//     payment (CreateAttempt and ResolveFailedRefund's "mark refunded",
//     under the order's lock; see refundable).
//  5. Finance's resolution of a failed refund never sends money while an
//     attempt may have paid: with a paying attempt a retry or "mark
//     refunded" records that attempt as the refund and store credit is
//     refused; an escalated attempt needs finance's evidence first; other
//     attempts in doubt (left by a run that failed or was terminated) let a
//     retry through, whose run takes them up (reverses them) before any new
//     attempt, but nothing else (ResolveFailedRefund).

// Attempt states finance (or reconciliation) ends an attempt in, with the
// evidence of what the acquirer holds.
const (
	AttemptConfirmedReversed    returns.AttemptState = "confirmed_reversed"
	AttemptConfirmedApproved    returns.AttemptState = "confirmed_approved"
	AttemptConfirmedNotReceived returns.AttemptState = "confirmed_not_received"
)

// attemptMoves are the states an attempt may move to from each state. A
// state missing here is final.
var attemptMoves = map[returns.AttemptState][]returns.AttemptState{
	// prepared: stored with its STAN, nothing left yet.
	returns.AttemptPrepared: {returns.AttemptSent, returns.AttemptDeclined, AttemptConfirmedNotReceived},
	// sent: the message may have left. Back to prepared only when it
	// certainly did not; sent again to record a pending gateway answer.
	returns.AttemptSent: {returns.AttemptPrepared, returns.AttemptSent, returns.AttemptApproved, returns.AttemptDeclined, returns.AttemptUnknown,
		AttemptConfirmedReversed, AttemptConfirmedApproved, AttemptConfirmedNotReceived},
	returns.AttemptUnknown: {returns.AttemptReversalPending, returns.AttemptEscalated,
		AttemptConfirmedReversed, AttemptConfirmedApproved, AttemptConfirmedNotReceived},
	returns.AttemptReversalPending: {returns.AttemptReversalPending, returns.AttemptReversed, returns.AttemptEscalated,
		AttemptConfirmedReversed, AttemptConfirmedApproved, AttemptConfirmedNotReceived},
	returns.AttemptEscalated: {AttemptConfirmedReversed, AttemptConfirmedApproved, AttemptConfirmedNotReceived},
}

// AttemptMayMove tells whether an attempt in state from may move to to.
func AttemptMayMove(from, to returns.AttemptState) bool {
	return slices.Contains(attemptMoves[from], to)
}

// paying states: the attempt's money went to the shopper.
var paying = []returns.AttemptState{returns.AttemptApproved, AttemptConfirmedApproved}

// clearing states: the attempt's money certainly did not move, so another
// attempt may go.
var clearing = []returns.AttemptState{returns.AttemptDeclined, returns.AttemptReversed, AttemptConfirmedReversed, AttemptConfirmedNotReceived}

// AttemptPays tells whether an attempt in state pays its refund.
func AttemptPays(state returns.AttemptState) bool { return slices.Contains(paying, state) }

// AttemptClears tells whether an attempt in state certainly moved no money.
func AttemptClears(state returns.AttemptState) bool { return slices.Contains(clearing, state) }

// AttemptInDoubt tells whether an attempt's money may still move: neither
// paying nor clearing.
func AttemptInDoubt(state returns.AttemptState) bool {
	return !AttemptPays(state) && !AttemptClears(state)
}

// Errors of the money rules.
var (
	// ErrAttemptBlocked: an earlier attempt of the refund pays, or may
	// still pay.
	ErrAttemptBlocked = errors.New("an earlier attempt of the refund is not settled")
	// ErrExceedsPayment: the payment has not that much left to refund.
	ErrExceedsPayment = errors.New("the payment has not that much left to refund")
	// ErrAlreadyPaid: the refund has a paying attempt.
	ErrAlreadyPaid = errors.New("the refund was paid by one of its attempts")
)

// RuleError says which rule refused a change, and why, for people.
type RuleError struct {
	Err    error // one of the rule errors above
	Detail string
}

func (e *RuleError) Error() string { return e.Err.Error() + ": " + e.Detail }
func (e *RuleError) Unwrap() error { return e.Err }

// movesInto are the states from which moves lets a row go to to, in order.
func movesInto(moves map[returns.AttemptState][]returns.AttemptState, to returns.AttemptState) []returns.AttemptState {
	var from []returns.AttemptState
	for f, tos := range moves {
		if slices.Contains(tos, to) {
			from = append(from, f)
		}
	}
	slices.Sort(from)
	return from
}

// MoveAttempt moves an attempt to state to, setting the other columns in
// set, if attemptMoves allows it from the state the attempt is in. It
// reports whether it moved: false when the attempt is in a state from which
// to is not allowed (a late or repeated write, a settled attempt).
func (d Refunds) MoveAttempt(ctx context.Context, id string, to returns.AttemptState, set map[string]any) (bool, error) {
	from := movesInto(attemptMoves, to)
	if len(from) == 0 {
		return false, fmt.Errorf("attempt %s: no state moves to %s", id, to)
	}
	if set == nil {
		set = map[string]any{}
	}
	set["state"] = to
	set["updated_at"] = time.Now().UTC()
	res := d.with(ctx).Model(&RefundAttempt{}).Where("id = ? AND state IN ?", id, from).Updates(set)
	if res.Error != nil {
		if errors.Is(translate(res.Error), ErrConflict) && AttemptPays(to) {
			return false, &RuleError{ErrAlreadyPaid, "attempt " + id + " would be the refund's second paying attempt"}
		}
		return false, fmt.Errorf("attempt %s: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// SetAttempt changes columns of an attempt other than its state.
func (d Refunds) SetAttempt(ctx context.Context, id string, set map[string]any) error {
	if _, ok := set["state"]; ok {
		return fmt.Errorf("attempt %s: the state moves only through MoveAttempt", id)
	}
	set["updated_at"] = time.Now().UTC()
	if err := d.with(ctx).Model(&RefundAttempt{}).Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("attempt %s: %w", id, err)
	}
	return nil
}

// CreateAttempt stores a new attempt of a refund, prepared, before anything
// is sent: an online one, or a card one with the next STAN of its terminal.
// Under the lock of the refund's order it holds rules 3 and 4: every earlier
// attempt of the refund has cleared, and what the attempts of every refund
// of the order's payment pay or may pay, with this one, is within the
// payment. An attempt that exists already (a retried activity) is returned
// unchanged.
func (d Refunds) CreateAttempt(ctx context.Context, a *RefundAttempt, now time.Time) (*RefundAttempt, error) {
	if existing, err := d.AttemptByID(ctx, a.ID); err == nil {
		return existing, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	err := d.tx(ctx, func(tx *DB) error {
		ref, err := tx.Refunds.RefundByID(ctx, a.RefundID)
		if err != nil {
			return err
		}
		if err := tx.Orders.LockOrder(ctx, ref.OrderID); err != nil {
			return err
		}
		if err := tx.mayAttempt(ctx, ref, a.Amount); err != nil {
			return err
		}
		var n int64
		if err := tx.with(ctx).Model(&RefundAttempt{}).Where("refund_id = ?", a.RefundID).Count(&n).Error; err != nil {
			return err
		}
		a.N = int(n) + 1
		if a.Kind != returns.AttemptOnline {
			day := now.UTC().Format("2006-01-02")
			stan, err := tx.nextSTAN(ctx, a.TerminalID, day)
			if err != nil {
				return err
			}
			a.STAN, a.STANDay = stan, day
		}
		a.State = returns.AttemptPrepared
		a.CreatedAt, a.UpdatedAt = now.UTC(), now.UTC()
		return tx.with(ctx).Create(a).Error
	})
	if err != nil {
		return nil, fmt.Errorf("prepare attempt %s: %w", a.ID, translate(err))
	}
	return a, nil
}

// mayAttempt holds rules 3 and 4 for a new attempt of amount on ref; the
// order's lock is held.
func (d *conn) mayAttempt(ctx context.Context, ref *Refund, amount int64) error {
	var rows []struct {
		N     int
		State returns.AttemptState
		STAN  string
	}
	err := d.with(ctx).Model(&RefundAttempt{}).Select("n, state, stan").Where("refund_id = ?", ref.ID).Order("n").Scan(&rows).Error
	if err != nil {
		return err
	}
	for _, r := range rows {
		if !AttemptClears(r.State) {
			return &RuleError{ErrAttemptBlocked, fmt.Sprintf("attempt %d (STAN %s) is %s", r.N, r.STAN, r.State)}
		}
	}
	left, paid, err := d.refundable(ctx, ref.OrderID)
	if err != nil {
		return err
	}
	if amount <= 0 || amount > left {
		return &RuleError{ErrExceedsPayment, fmt.Sprintf("%d asked, %d of %d paid or under way", amount, paid-left, paid)}
	}
	return nil
}

// refundable answers what an order's payment has left to refund (rule 4)
// and its amount: the payment less what every attempt of its refunds pays
// or may still pay and less what finance marked refunded outside Rebound (a
// succeeded refund none of whose attempts pays or may pay). The caller
// holds the order's lock.
func (d *conn) refundable(ctx context.Context, orderID string) (left, paid int64, err error) {
	var payment struct{ Amount int64 }
	if err := d.with(ctx).Model(&Payment{}).Select("amount").Where("order_id = ?", orderID).Take(&payment).Error; err != nil {
		return 0, 0, fmt.Errorf("payment of order %s: %w", orderID, translate(err))
	}
	var attempts, marked struct{ Amount int64 }
	err = d.with(ctx).Table("refund_attempts AS a").Select("COALESCE(SUM(a.amount), 0) AS amount").
		Joins("JOIN refunds AS r ON r.id = a.refund_id").Where("r.order_id = ? AND a.state NOT IN ?", orderID, clearing).Scan(&attempts).Error
	if err != nil {
		return 0, 0, fmt.Errorf("refunds of order %s: %w", orderID, err)
	}
	err = d.with(ctx).Table("refunds AS r").Select("COALESCE(SUM(r.amount), 0) AS amount").
		Where("r.order_id = ? AND r.status = ?", orderID, returns.RefundStatusSucceeded).
		Where("NOT EXISTS (SELECT 1 FROM refund_attempts AS a WHERE a.refund_id = r.id AND a.state NOT IN ?)", clearing).Scan(&marked).Error
	if err != nil {
		return 0, 0, fmt.Errorf("refunds of order %s: %w", orderID, err)
	}
	return payment.Amount - attempts.Amount - marked.Amount, payment.Amount, nil
}

// inFlight are attempt states whose STANs may still meet an answer.
var inFlight = []returns.AttemptState{returns.AttemptPrepared, returns.AttemptSent, returns.AttemptUnknown, returns.AttemptReversalPending, returns.AttemptEscalated}

// nextSTAN allocates the next free STAN of a terminal on day, under the
// terminal's row lock (the caller's transaction): unique per terminal per
// UTC day, wrapping within the terminal's range, skipping any STAN (of a
// message or of its reversal) still in flight.
func (d *conn) nextSTAN(ctx context.Context, terminalID, day string) (string, error) {
	var t Terminal
	q := d.with(ctx).Where("terminal_id = ?", terminalID)
	if d.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(&t).Error; err != nil {
		return "", fmt.Errorf("terminal %s: %w", terminalID, translate(err))
	}
	low := 1
	if t.Kind == TerminalPhysical {
		low = PhysicalSTANFrom
	}
	stan := max(t.NextSTAN, low)
	for tries := 0; ; tries++ {
		if tries > MaxSTAN-low {
			return "", fmt.Errorf("terminal %s: no free STAN", terminalID)
		}
		s := fmt.Sprintf("%06d", stan)
		var n int64
		err := d.with(ctx).Model(&RefundAttempt{}).
			Where("terminal_id = ? AND ((stan = ? AND (stan_day = ? OR state IN ?)) OR (reversal_stan = ? AND (reversal_stan_day = ? OR state IN ?)))",
				terminalID, s, day, inFlight, s, day, inFlight).
			Count(&n).Error
		if err != nil {
			return "", err
		}
		if n == 0 {
			break
		}
		stan = wrapSTAN(stan, low)
	}
	if err := d.with(ctx).Model(&Terminal{}).Where("id = ?", t.ID).Update("next_stan", wrapSTAN(stan, low)).Error; err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", stan), nil
}

func wrapSTAN(stan, low int) int {
	if stan >= MaxSTAN {
		return low
	}
	return stan + 1
}

// PhysicalSTANFrom is where Rebound's STANs start on a physical terminal
// (voids sent from the sale's own terminal), apart from the device's own.
const PhysicalSTANFrom = 900000

// ReversalSTAN gives an attempt the STAN its reversal goes with, allocated
// once (repeats keep it) on the attempt's terminal, with the reversal's
// first transmission time.
func (d Refunds) ReversalSTAN(ctx context.Context, attemptID string, now time.Time) (*RefundAttempt, error) {
	att, err := d.AttemptByID(ctx, attemptID)
	if err != nil || att.ReversalSTAN != "" {
		return att, err
	}
	err = d.tx(ctx, func(tx *DB) error {
		day := now.UTC().Format("2006-01-02")
		stan, err := tx.nextSTAN(ctx, att.TerminalID, day)
		if err != nil {
			return err
		}
		res := tx.with(ctx).Model(&RefundAttempt{}).Where("id = ? AND reversal_stan = ''", att.ID).
			Updates(map[string]any{"reversal_stan": stan, "reversal_stan_day": day, "reversal_at": now.UTC(), "updated_at": now.UTC()})
		return res.Error
	})
	if err != nil {
		return nil, fmt.Errorf("reversal STAN of %s: %w", attemptID, translate(err))
	}
	return d.AttemptByID(ctx, attemptID)
}

// Finance's resolutions of a failed refund.
const (
	ResolveRetry        = "retry"
	ResolveMarkRefunded = "mark_refunded"
	ResolveStoreCredit  = string(returns.ResolutionStoreCredit)
)

// Resolution is what ResolveFailedRefund did.
type Resolution struct {
	// PaidBy is the attempt that paid the refund, when one did: a retry or
	// "mark refunded" recorded it as the refund, nothing was sent.
	PaidBy *RefundAttempt
	// Refund is the refund as it now stands.
	Refund *Refund
}

// ResolveFailedRefund carries out rule 5 for finance's action on a failed
// refund, under the order's lock: refused while an attempt is in doubt; with
// a paying attempt, a retry or "mark refunded" makes the refund succeeded
// by that attempt (nothing sent again) and store credit is refused; else a
// retry reopens the refund if the order still has its amount refundable,
// "mark refunded" records it paid outside Rebound if the payment has that
// much left (rule 4), and store credit leaves
// it failed (the credit is booked by the caller).
func (d Refunds) ResolveFailedRefund(ctx context.Context, refundID, action, by string, now time.Time) (Resolution, error) {
	var out Resolution
	err := d.tx(ctx, func(tx *DB) error {
		ref, err := tx.Refunds.RefundByID(ctx, refundID)
		if err != nil {
			return err
		}
		if err := tx.Orders.LockOrder(ctx, ref.OrderID); err != nil {
			return err
		}
		attempts, err := tx.Refunds.AttemptsOfRefund(ctx, refundID)
		if err != nil {
			return err
		}
		for i, att := range attempts {
			switch {
			case AttemptPays(att.State):
				out.PaidBy = &attempts[i]
			case att.State == returns.AttemptEscalated || AttemptInDoubt(att.State) && action != ResolveRetry:
				return &RuleError{ErrAttemptBlocked, fmt.Sprintf("attempt %d (STAN %s) is %s: resolve it with the acquirer first", att.N, att.STAN, att.State)}
			}
		}
		set := map[string]any{"authorised_by": by, "updated_at": now.UTC()}
		switch {
		case out.PaidBy != nil && action == ResolveStoreCredit:
			return &RuleError{ErrAlreadyPaid, fmt.Sprintf("attempt %d (STAN %s) paid it; store credit would pay twice", out.PaidBy.N, out.PaidBy.STAN)}
		case out.PaidBy != nil:
			set["status"], set["failure_code"], set["finished_at"] = returns.RefundStatusSucceeded, "", now.UTC()
		case action == ResolveRetry:
			if ref.Status == returns.RefundStatusPending {
				break
			}
			h, err := tx.Refunds.RefundHistoryOf(ctx, ref.OrderID, ref.ReturnID)
			if err != nil {
				return err
			}
			var paid struct{ Amount int64 }
			if err := tx.with(ctx).Model(&Payment{}).Select("amount").Where("order_id = ?", ref.OrderID).Take(&paid).Error; err != nil {
				return translate(err)
			}
			if h.Refunded+ref.Amount > paid.Amount {
				return &RuleError{ErrExceedsPayment, "the order has been refunded in the meantime"}
			}
			set["status"], set["failure_code"], set["finished_at"] = returns.RefundStatusPending, "", nil
		case action == ResolveMarkRefunded:
			// Money paid outside Rebound counts against the payment too.
			left, paid, err := tx.refundable(ctx, ref.OrderID)
			if err != nil {
				return err
			}
			if ref.Amount > left {
				return &RuleError{ErrExceedsPayment, fmt.Sprintf("%d marked refunded, %d of %d paid or under way", ref.Amount, paid-left, paid)}
			}
			set["status"], set["failure_code"], set["finished_at"] = returns.RefundStatusSucceeded, "marked_refunded", now.UTC()
		case action == ResolveStoreCredit:
		default:
			return fmt.Errorf("unknown resolution %q", action)
		}
		if err := tx.with(ctx).Model(&Refund{}).Where("id = ?", ref.ID).Updates(set).Error; err != nil {
			return err
		}
		out.Refund, err = tx.Refunds.RefundByID(ctx, ref.ID)
		return err
	})
	if err != nil {
		return Resolution{}, fmt.Errorf("resolve refund %s: %w", refundID, err)
	}
	return out, nil
}

// Evidence is what finance (or a settlement file) knows of an attempt in
// doubt.
type Evidence struct {
	// State is the attempt's final state: AttemptConfirmedReversed,
	// AttemptConfirmedApproved or AttemptConfirmedNotReceived.
	State returns.AttemptState
	By    string // who resolved it ("reconciliation" for a settlement file)
	Note  string // what the evidence is
	At    time.Time
}

// ResolveAttempt ends an attempt in doubt (unknown, being reversed or
// escalated) with evidence of what the acquirer holds. It reports whether it
// moved the attempt: false when the attempt has settled meanwhile.
func (d Refunds) ResolveAttempt(ctx context.Context, attemptID string, ev Evidence) (bool, error) {
	switch ev.State {
	case AttemptConfirmedReversed, AttemptConfirmedApproved, AttemptConfirmedNotReceived:
	default:
		return false, fmt.Errorf("attempt %s: %q is not a resolution", attemptID, ev.State)
	}
	return d.MoveAttempt(ctx, attemptID, ev.State, map[string]any{"resolution": ev.State, "resolution_note": ev.Note,
		"resolved_by": ev.By, "resolved_at": ev.At.UTC()})
}

// PayingAttempt is the attempt that paid a refund, or nil.
func (d Refunds) PayingAttempt(ctx context.Context, refundID string) (*RefundAttempt, error) {
	var a RefundAttempt
	err := d.with(ctx).Where("refund_id = ? AND state IN ?", refundID, paying).Take(&a).Error
	if errors.Is(translate(err), ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("paying attempt of %s: %w", refundID, err)
	}
	return &a, nil
}
