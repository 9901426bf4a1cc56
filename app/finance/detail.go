package finance

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
)

// Attempt is one attempt of a refund, as finance sees it: the acquirer's
// references and codes, reversals, the answer's fields Rebound does not
// use, and finance's resolution.
type Attempt struct {
	ID               string
	N                int
	Kind             returns.AttemptKind
	State            returns.AttemptState
	Amount           int64
	TerminalID       string
	STAN             string
	RRN              string
	ApprovalCode     string
	ResponseCode     string
	GatewayRefundID  string
	UnknownReason    string
	ReversalTries    int
	ReversalSTAN     string
	ReversalCode     string
	LateResponseCode string
	LateMTI          string
	// AnswerFields is a JSON document, nil when it holds nothing.
	AnswerFields   json.RawMessage
	Resolution     returns.AttemptState
	ResolutionNote string
	ResolvedBy     string
	ResolvedAt     *time.Time
	TransmittedAt  *time.Time
	Settled        bool
	CreatedAt      time.Time
}

// RefundDetail is a refund with every attempt.
type RefundDetail struct {
	ID           string
	ReturnID     string
	Channel      returns.Channel
	Amount       int64
	Shipping     int64
	Currency     string
	Status       returns.RefundStatus
	FailureCode  string
	AuthorisedBy string
	CreatedAt    time.Time
	FinishedAt   *time.Time
	Attempts     []Attempt
}

// Refund shows a refund the caller may see with every attempt.
func (s *Service) Refund(ctx context.Context, c Caller, id string) (RefundDetail, error) {
	notFound := apperr.NotFound("", "no such refund")
	if !ids.Valid(id) {
		return RefundDetail{}, notFound
	}
	ref, err := s.d.Store.RefundByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return RefundDetail{}, notFound
	}
	if err != nil {
		return RefundDetail{}, err
	}
	if !c.sees(ref.MerchantID) {
		return RefundDetail{}, notFound
	}
	return s.detail(ctx, ref)
}

// detail reads a refund's attempts.
func (s *Service) detail(ctx context.Context, ref *db.Refund) (RefundDetail, error) {
	attempts, err := s.d.Store.AttemptsOfRefund(ctx, ref.ID)
	if err != nil {
		return RefundDetail{}, err
	}
	out := RefundDetail{ID: ref.ID, ReturnID: ref.ReturnID, Channel: ref.Channel, Amount: ref.Amount, Shipping: ref.ShippingAmount,
		Currency: ref.Currency, Status: ref.Status, FailureCode: ref.FailureCode, AuthorisedBy: ref.AuthorisedBy,
		CreatedAt: ref.CreatedAt, FinishedAt: ref.FinishedAt, Attempts: make([]Attempt, 0, len(attempts))}
	for _, a := range attempts {
		out.Attempts = append(out.Attempts, Attempt{ID: a.ID, N: a.N, Kind: a.Kind, State: a.State, Amount: a.Amount,
			TerminalID: a.TerminalID, STAN: a.STAN, RRN: a.RRN, ApprovalCode: a.ApprovalCode, ResponseCode: a.ResponseCode,
			GatewayRefundID: a.GatewayRefundID, UnknownReason: a.UnknownReason, ReversalTries: a.ReversalTries,
			ReversalSTAN: a.ReversalSTAN, ReversalCode: a.ReversalCode, LateResponseCode: a.LateResponseCode, LateMTI: a.LateMTI,
			AnswerFields: answerFields(a.AnswerFields), Resolution: a.Resolution, ResolutionNote: a.ResolutionNote,
			ResolvedBy: a.ResolvedBy, ResolvedAt: a.ResolvedAt, TransmittedAt: a.TransmittedAt, Settled: a.SettledFileID != nil,
			CreatedAt: a.CreatedAt})
	}
	return out, nil
}

// answerFields is an attempt's unused answer fields, or nothing.
func answerFields(j db.JSON) json.RawMessage {
	if s := strings.TrimSpace(string(j)); s == "" || s == "null" || s == "{}" {
		return nil
	}
	return json.RawMessage(j)
}
