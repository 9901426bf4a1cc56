package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Holds and charges: besides refunds, the gateway authorises an amount on
// the card of an existing payment (a hold), captures it (all or part, once)
// or voids it (only while nothing was captured), and charges an amount at
// once (authorise and capture in one, for an exchange's price difference).
// Each is an Authorization; like a refund it answers at once with a status
// that may still be pending, and its outcome arrives by a signed webhook.

// Authorization kinds.
const (
	KindHold   = "hold"   // an authorisation to capture or void later
	KindCharge = "charge" // authorised and captured in one
)

// Authorization statuses. A hold starts pending and becomes authorized or
// failed; an authorized hold moves once, by a capture (capture_pending →
// captured) or a void (void_pending → voided). A charge starts pending and
// becomes captured or failed.
const (
	StatusAuthorized     = "authorized"
	StatusCapturePending = "capture_pending"
	StatusCaptured       = "captured"
	StatusVoidPending    = "void_pending"
	StatusVoided         = "voided"
)

// AuthorizeRequest asks the gateway to hold Amount (minor units of
// Currency) on the card of a payment of Account; ChargeRequest the same,
// captured at once.
type AuthorizeRequest struct {
	Account   string `json:"account"` // "" names DefaultAccount
	PaymentID string `json:"payment_id"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Reference string `json:"reference"`
}

// ChargeRequest asks for an authorisation captured in the same step.
type ChargeRequest AuthorizeRequest

// CaptureRequest captures Amount of an authorized hold (0 means all of it).
type CaptureRequest struct {
	Account string `json:"account"`
	Amount  int64  `json:"amount"`
}

// VoidRequest releases an authorized hold nothing was captured of.
type VoidRequest struct {
	Account string `json:"account"`
}

// Authorization is the gateway's record of a hold or a charge.
type Authorization struct {
	ID          string    `json:"id"` // "au_…"
	Kind        string    `json:"kind"`
	Account     string    `json:"account,omitempty"`
	PaymentID   string    `json:"payment_id"`
	Amount      int64     `json:"amount"`             // authorised
	Captured    int64     `json:"captured,omitempty"` // captured (or being captured), ≤ Amount
	Currency    string    `json:"currency"`
	Status      string    `json:"status"`
	FailureCode string    `json:"failure_code,omitempty"`
	Reference   string    `json:"reference,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Final reports whether the authorization will not move again by itself:
// failed, captured or voided, or authorized (it waits for a capture or a
// void).
func (a Authorization) Final() bool {
	switch a.Status {
	case StatusPending, StatusCapturePending, StatusVoidPending:
		return false
	}
	return true
}

// Authorize asks the gateway to hold r.Amount on the card of payment
// r.PaymentID. The same idempotencyKey and request again answer the first
// hold. A hold the gateway refuses (above the payment's limit, an expired
// or closed card) is not an error: it comes back StatusFailed with a
// FailureCode.
func (c *Client) Authorize(ctx context.Context, idempotencyKey string, r AuthorizeRequest) (Authorization, error) {
	return c.createAuthorization(ctx, "/v1/authorizations", "authorize", idempotencyKey, r)
}

// Charge asks the gateway to take r.Amount from the card of payment
// r.PaymentID at once; see Authorize.
func (c *Client) Charge(ctx context.Context, idempotencyKey string, r ChargeRequest) (Authorization, error) {
	return c.createAuthorization(ctx, "/v1/charges", "charge", idempotencyKey, AuthorizeRequest(r))
}

func (c *Client) createAuthorization(ctx context.Context, path, what, idempotencyKey string, r AuthorizeRequest) (Authorization, error) {
	if idempotencyKey == "" {
		return Authorization{}, &invalidRequestError{fmt.Sprintf("%s on payment %s: idempotency key is empty", what, r.PaymentID)}
	}
	r.Account = accountOrDefault(r.Account)
	body, err := json.Marshal(r)
	if err != nil {
		return Authorization{}, fmt.Errorf("%s on payment %s: encode request: %w", what, r.PaymentID, err)
	}
	var a Authorization
	if err := c.call(ctx, http.MethodPost, path, c.keyOf(r.Account), idempotencyKey, body, &a); err != nil {
		return Authorization{}, fmt.Errorf("%s on payment %s: %w", what, r.PaymentID, err)
	}
	return a, nil
}

// Capture captures amount (0: all) of hold id of account. The same
// idempotencyKey and amount again answer the first capture; a second
// capture under another key is refused (409 already_captured), as is an
// amount above the hold (422 exceeds_authorized).
func (c *Client) Capture(ctx context.Context, idempotencyKey, account, id string, amount int64) (Authorization, error) {
	return c.move(ctx, pathCapture, idempotencyKey, id, CaptureRequest{Account: accountOrDefault(account), Amount: amount})
}

// Void releases hold id of account. The same idempotencyKey again answers
// the first void; a hold that was captured is refused (409 not_voidable).
func (c *Client) Void(ctx context.Context, idempotencyKey, account, id string) (Authorization, error) {
	return c.move(ctx, pathVoid, idempotencyKey, id, VoidRequest{Account: accountOrDefault(account)})
}

// The paths of a hold's capture and void, after /v1/authorizations/{id}.
const (
	pathCapture = "/capture"
	pathVoid    = "/void"
)

// move captures or voids (path) hold id.
func (c *Client) move(ctx context.Context, path, idempotencyKey, id string, req any) (Authorization, error) {
	what := strings.TrimPrefix(path, "/")
	switch {
	case idempotencyKey == "":
		return Authorization{}, &invalidRequestError{fmt.Sprintf("%s %s: idempotency key is empty", what, id)}
	case id == "":
		return Authorization{}, &invalidRequestError{what + ": authorization id is empty"}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Authorization{}, fmt.Errorf("%s %s: encode request: %w", what, id, err)
	}
	account := DefaultAccount
	switch r := req.(type) {
	case CaptureRequest:
		account = r.Account
	case VoidRequest:
		account = r.Account
	}
	var a Authorization
	if err := c.call(ctx, http.MethodPost, "/v1/authorizations/"+url.PathEscape(id)+path, c.keyOf(account), idempotencyKey, body, &a); err != nil {
		return Authorization{}, fmt.Errorf("%s %s: %w", what, id, err)
	}
	return a, nil
}

// GetAuthorization returns the current state of hold or charge id of
// account ("" is DefaultAccount); another account's is not found.
func (c *Client) GetAuthorization(ctx context.Context, account, id string) (Authorization, error) {
	if id == "" {
		return Authorization{}, &invalidRequestError{"get authorization: id is empty"}
	}
	account = accountOrDefault(account)
	path := "/v1/authorizations/" + url.PathEscape(id) + "?" + url.Values{"account": {account}}.Encode()
	var a Authorization
	if err := c.call(ctx, http.MethodGet, path, c.keyOf(account), "", nil, &a); err != nil {
		return Authorization{}, fmt.Errorf("get authorization %s of account %s: %w", id, account, err)
	}
	return a, nil
}

// The gateway's refusals of a capture or a void that no retry changes: the
// hold was captured already (under another key), or cannot be voided.
const (
	CodeAlreadyCaptured = "already_captured"
	CodeNotVoidable     = "not_voidable"
)

// IsFinalRefusal reports whether err, or an error it wraps, is a refusal
// sending the same call again cannot change: a permanent one (see
// IsPermanent), or a hold's capture or void refused as already captured or
// not voidable (a 409, which IsPermanent leaves to retries).
func IsFinalRefusal(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict && (ae.Code == CodeAlreadyCaptured || ae.Code == CodeNotVoidable) {
		return true
	}
	return IsPermanent(err)
}

// Outcome is where a hold, a charge or a hold's capture or void stands,
// for a caller that records it: still moving, done (authorized, captured
// or voided) or failed.
type Outcome int

const (
	OutcomePending Outcome = iota
	OutcomeDone
	OutcomeFailed
)

// Outcome is where the last call on a stands.
func (a Authorization) Outcome() Outcome {
	switch a.Status {
	case StatusAuthorized, StatusCaptured, StatusVoided:
		return OutcomeDone
	case StatusFailed:
		return OutcomeFailed
	}
	return OutcomePending
}
