package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/rebound-returns/rebound/returns"

	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/payments"
)

// Gateway is the part of the payment gateway client the refunds use. Every
// call names the merchant's gateway account.
type Gateway interface {
	CreateRefund(ctx context.Context, idempotencyKey string, r payments.RefundRequest) (payments.Refund, error)
	GetAccountRefund(ctx context.Context, account, id string) (payments.Refund, error)
}

// GatewayRefunds are the activities of online refunds, paid through the
// payment gateway.
type GatewayRefunds struct {
	Base
	Gateway Gateway
}

// StartGatewayRefund sends an online refund attempt to the payment gateway.
// The attempt is stored first under the money rules (db.CreateAttempt), and
// marked sent before the call; its id is the Idempotency-Key, so however
// often this runs the gateway pays once. The attempt row records each
// answer.
func (a *GatewayRefunds) StartGatewayRefund(ctx context.Context, in GatewayRefundInput) (GatewayRefundResult, error) {
	now := a.now()
	att, err := a.DB.Refunds.CreateAttempt(ctx, &db.RefundAttempt{ID: in.AttemptID, RefundID: in.RefundID, Kind: returns.AttemptOnline, Amount: in.Amount}, now)
	if errors.Is(err, db.ErrAttemptBlocked) || errors.Is(err, db.ErrExceedsPayment) {
		return GatewayRefundResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrRefused, nil)
	}
	if err != nil {
		return GatewayRefundResult{}, err
	}
	switch {
	case att.State == returns.AttemptPrepared:
		if _, err := a.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptSent, map[string]any{"transmitted_at": now}); err != nil {
			return GatewayRefundResult{}, err
		}
	case att.State != returns.AttemptSent:
		return gatewayResult(att), nil // decided before this retry
	}
	if err := a.DB.Refunds.SetRefund(ctx, in.RefundID, map[string]any{"workflow_id": workflowID(ctx)}); err != nil {
		return GatewayRefundResult{}, err
	}
	account, err := a.gatewayAccount(ctx, in.RefundID)
	if err != nil {
		return GatewayRefundResult{}, err
	}
	r, err := a.Gateway.CreateRefund(ctx, in.AttemptID, payments.RefundRequest{Account: account,
		PaymentID: in.PaymentID, Amount: in.Amount, Currency: in.Currency, Reference: in.AttemptID,
	})
	if err != nil {
		var apiErr *payments.APIError
		if payments.IsPermanent(err) && errors.As(err, &apiErr) {
			if _, serr := a.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptDeclined, map[string]any{"failure_code": apiErr.Code}); serr != nil {
				return GatewayRefundResult{}, serr
			}
			return GatewayRefundResult{}, temporal.NewNonRetryableApplicationError(apiErr.Code, "gateway_rejected", nil)
		}
		return GatewayRefundResult{}, fmt.Errorf("gateway refund: %w", err)
	}
	return a.recordGateway(ctx, att, r)
}

// gatewayAccount is the gateway account of the merchant a refund is of: its
// own, or its slug.
func (a *GatewayRefunds) gatewayAccount(ctx context.Context, refundID string) (string, error) {
	ref, err := a.DB.Refunds.RefundByID(ctx, refundID)
	if err != nil {
		return "", err
	}
	m, err := a.DB.Merchants.MerchantByID(ctx, ref.MerchantID)
	if err != nil {
		return "", err
	}
	return m.GatewayAccountName(), nil
}

// gatewayResult is an online attempt's outcome as its row tells it.
func gatewayResult(att *db.RefundAttempt) GatewayRefundResult {
	res := GatewayRefundResult{AttemptID: att.ID, Status: returns.RefundStatusPending, GatewayRefundID: att.GatewayRefundID, FailureCode: att.FailureCode}
	switch att.State {
	case returns.AttemptApproved:
		res.Status = returns.RefundStatusSucceeded
	case returns.AttemptDeclined:
		res.Status = returns.RefundStatusFailed
	}
	return res
}

// CheckGatewayRefund asks the gateway where an attempt stands.
func (a *GatewayRefunds) CheckGatewayRefund(ctx context.Context, attemptID string) (GatewayRefundResult, error) {
	att, err := a.DB.Refunds.AttemptByID(ctx, attemptID)
	if err != nil {
		return GatewayRefundResult{}, err
	}
	if att.State != returns.AttemptSent {
		return gatewayResult(att), nil
	}
	account, err := a.gatewayAccount(ctx, att.RefundID)
	if err != nil {
		return GatewayRefundResult{}, err
	}
	r, err := a.Gateway.GetAccountRefund(ctx, account, att.GatewayRefundID)
	if err != nil {
		return GatewayRefundResult{}, fmt.Errorf("gateway refund %s: %w", att.GatewayRefundID, err)
	}
	return a.recordGateway(ctx, att, r)
}

// recordGateway records the gateway's word on a sent attempt.
func (a *GatewayRefunds) recordGateway(ctx context.Context, att *db.RefundAttempt, r payments.Refund) (GatewayRefundResult, error) {
	to := returns.AttemptSent
	switch r.Status {
	case payments.StatusSucceeded:
		to = returns.AttemptApproved
	case payments.StatusFailed:
		to = returns.AttemptDeclined
	}
	moved, err := a.DB.Refunds.MoveAttempt(ctx, att.ID, to, map[string]any{"gateway_refund_id": r.ID, "failure_code": r.FailureCode})
	if err != nil {
		return GatewayRefundResult{}, err
	}
	if !moved {
		// Decided meanwhile (the webhook came first): the row says how.
		if att, err = a.DB.Refunds.AttemptByID(ctx, att.ID); err != nil {
			return GatewayRefundResult{}, err
		}
		return gatewayResult(att), nil
	}
	att.State, att.GatewayRefundID, att.FailureCode = to, r.ID, r.FailureCode
	return gatewayResult(att), nil
}
