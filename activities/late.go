package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/pos"
)

// LateResponses takes the acquirer's answers that came after their message
// gave up waiting (the acquirer client's OnLate). It is not an activity:
// the client calls it as answers arrive. A late answer never reopens an
// attempt: it is recorded on it, and one that contradicts what Rebound
// believes becomes a finance work item. A late acknowledgement of a
// reversal is what it says: the attempt is reversed.
type LateResponses struct {
	DB      *db.DB
	Logger  *slog.Logger
	Metrics *Metrics
}

// Record takes one late answer.
func (l LateResponses) Record(r pos.Response) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log := l.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kind, err := l.record(ctx, r)
	if err != nil {
		log.Warn("late acquirer response not recorded", "mti", r.MTI, "terminal", r.TerminalID, "stan", r.STAN, "err", err)
		return
	}
	if l.Metrics != nil {
		l.Metrics.LateAnswers.WithLabelValues(kind).Inc()
	}
	level := slog.LevelInfo
	if kind == kindLateApproval || kind == kindConflicting {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "late acquirer response recorded", "mti", r.MTI, "terminal", r.TerminalID, "stan", r.STAN,
		"code", r.ResponseCode, "kind", kind)
}

// Kinds of late answers (the metric's label) besides the work item kinds.
const (
	lateCovered  = "covered"  // the reversal under way covers it
	lateReversal = "reversal" // a late acknowledgement: the attempt is reversed
	lateNothing  = "nothing"  // it says what Rebound knew
)

func (l LateResponses) record(ctx context.Context, r pos.Response) (string, error) {
	att, err := l.DB.Refunds.RecordLateResponse(ctx, r.MTI, r.TerminalID, r.STAN, r.ResponseCode, time.Now())
	if err != nil {
		return "", err
	}
	approved := r.ResponseCode == pos.CodeApproved
	if r.MTI == pos.MTIReversalResponse {
		switch {
		case !approved:
			return lateNothing, nil
		case att.State == returns.AttemptReversalPending || att.State == returns.AttemptUnknown:
			_, err := l.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptReversed, map[string]any{"reversal_code": r.ResponseCode})
			return lateReversal, err
		case att.State == returns.AttemptEscalated:
			moved, err := l.DB.Refunds.ResolveAttempt(ctx, att.ID, db.Evidence{State: db.AttemptConfirmedReversed, By: "acquirer",
				Note: "the acquirer acknowledged the reversal late (0410 00)", At: time.Now()})
			if err == nil && moved {
				_, err = l.DB.Finance.ResolveWorkItemsOf(ctx, att.ID, "", string(db.AttemptConfirmedReversed), "the acquirer acknowledged the reversal late", "rebound")
			}
			return lateReversal, err
		case db.AttemptPays(att.State):
			return kindConflicting, l.workItem(ctx, att, kindConflicting, r,
				"the acquirer acknowledged a reversal of this attempt, which Rebound holds as paid; check which is true")
		}
		return lateNothing, nil
	}
	if !approved {
		return lateNothing, nil
	}
	switch {
	case att.ReversalCode == pos.CodeOriginalNotFound:
		return kindLateApproval, l.workItem(ctx, att, kindLateApproval, r,
			"approved after its reversal was answered 25 (no such message): the acquirer may hold a live refund; check it and resolve the attempt")
	case att.State == returns.AttemptReversed || att.State == db.AttemptConfirmedReversed:
		return kindLateApproval, l.workItem(ctx, att, kindLateApproval, r,
			"approved after its reversal was acknowledged: check that the acquirer holds no live refund")
	case att.State == db.AttemptConfirmedNotReceived || att.State == returns.AttemptDeclined:
		return kindConflicting, l.workItem(ctx, att, kindConflicting, r,
			"approved, although Rebound holds it as "+string(att.State)+": check the acquirer")
	case att.State == returns.AttemptEscalated:
		return kindLateApproval, l.workItem(ctx, att, kindLateApproval, r,
			"approved late while its reversal was never acknowledged: the acquirer may hold it; resolve the attempt with its evidence")
	case db.AttemptPays(att.State):
		return lateNothing, nil
	}
	return lateCovered, nil
}

func (l LateResponses) workItem(ctx context.Context, att *db.RefundAttempt, kind string, r pos.Response, what string) error {
	ref, err := l.DB.Refunds.RefundByID(ctx, att.RefundID)
	if err != nil {
		return err
	}
	return l.DB.Finance.OpenWorkItem(ctx, &db.WorkItem{DedupeKey: fmt.Sprintf("late/%s/%s/%s", att.ID, r.MTI, r.ResponseCode), MerchantID: ref.MerchantID,
		Kind: kind, ReturnID: &ref.ReturnID, RefundID: &ref.ID, AttemptID: &att.ID,
		Summary: fmt.Sprintf("terminal %s STAN %s (%s %s): a late %s %s %s", att.TerminalID, att.STAN, att.Kind, att.State, r.MTI, r.ResponseCode, what)})
}
