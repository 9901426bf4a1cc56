// Package payments refunds online orders through the payment gateway's HTTP API, with money as
// integer minor units and an ISO 4217 currency code: Client speaks to the gateway, the report
// reader reads its daily report, and the webhook types and signature check read what it posts.
// The in-memory gateway that `rebound gateway`, `rebound dev` and tests run is package gatewaysim.
package payments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Refund statuses. A refund starts pending and settles once to succeeded or failed.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// DefaultAccount is the merchant account of payments that name none.
const DefaultAccount = "default"

// RefundRequest asks the gateway to return Amount (minor units of Currency) of a payment.
type RefundRequest struct {
	// Account is the merchant's gateway account the payment belongs to; the request is
	// authenticated with that account's key. "" names DefaultAccount.
	Account   string `json:"account"`
	PaymentID string `json:"payment_id"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Reference string `json:"reference"`
}

// Refund is the gateway's record of a refund.
type Refund struct {
	ID          string    `json:"id"`
	Account     string    `json:"account,omitempty"` // the merchant account of the payment
	PaymentID   string    `json:"payment_id"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Status      string    `json:"status"` // StatusPending, StatusSucceeded or StatusFailed
	FailureCode string    `json:"failure_code,omitempty"`
	Reference   string    `json:"reference,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// APIError is an answer of the gateway other than 2xx.
type APIError struct {
	Status  int    // HTTP status code
	Code    string // machine-readable, e.g. "payment_not_found"; may be empty
	Message string
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("gateway answered %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("gateway answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Permanent reports whether sending the same request again cannot succeed: any 4xx except 408
// (timeout), 409 (conflict) and 429 (rate limit). 5xx and other answers are transient.
func (e *APIError) Permanent() bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return false
	}
	return e.Status >= 400 && e.Status < 500
}

// IsPermanent reports whether err, or an error it wraps, says the request must not be retried.
// Network errors, 5xx answers and unreadable answers are transient.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// invalidRequestError is a request the client refuses to send; sending it again cannot help.
type invalidRequestError struct{ msg string }

func (e *invalidRequestError) Error() string   { return e.msg }
func (e *invalidRequestError) Permanent() bool { return true }

// errorBody is the gateway's JSON error answer: {"error":{"code":"...","message":"..."}}.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// maxAnswerBytes bounds how much of a gateway answer is read.
const maxAnswerBytes = 1 << 20

// Client calls the gateway's refund API. Each merchant has its own gateway account: every
// request names the account (a refund in its body, a look-up as ?account=) and carries that
// account's key as a bearer token.
type Client struct {
	BaseURL string // e.g. "https://gateway.example"; paths such as /v1/refunds are appended
	// Keys holds the API key of each account by its name; APIKey is the key of DefaultAccount
	// and of every account Keys does not name.
	Keys   map[string]string
	APIKey string
	HTTP   *http.Client
}

// NewClient returns a client of the gateway at baseURL. A nil hc means a client with a 30-second
// timeout.
func NewClient(baseURL, apiKey string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), APIKey: apiKey, HTTP: hc}
}

// keyOf is the bearer key of account ("" is DefaultAccount).
func (c *Client) keyOf(account string) string {
	if k, ok := c.Keys[accountOrDefault(account)]; ok {
		return k
	}
	return c.APIKey
}

// accountOrDefault is account, or DefaultAccount when it is "".
func accountOrDefault(account string) string {
	if account == "" {
		return DefaultAccount
	}
	return account
}

// CreateRefund asks for a refund of a payment of r.Account, with that account's key. Sending the same idempotencyKey and request again (after a
// timeout or a transient error) answers the first refund rather than refunding twice. A refund the
// gateway refuses to pay, such as one above the refundable amount, is not an error: it comes back
// with StatusFailed and a FailureCode.
func (c *Client) CreateRefund(ctx context.Context, idempotencyKey string, r RefundRequest) (Refund, error) {
	if idempotencyKey == "" {
		return Refund{}, &invalidRequestError{fmt.Sprintf("create refund for payment %s: idempotency key is empty", r.PaymentID)}
	}
	r.Account = accountOrDefault(r.Account)
	body, err := json.Marshal(r)
	if err != nil {
		return Refund{}, fmt.Errorf("create refund for payment %s: encode request: %w", r.PaymentID, err)
	}
	ref, err := c.do(ctx, http.MethodPost, "/v1/refunds", c.keyOf(r.Account), idempotencyKey, body)
	if err != nil {
		return Refund{}, fmt.Errorf("create refund for payment %s: %w", r.PaymentID, err)
	}
	return ref, nil
}

// GetAccountRefund returns the current state of refund id of account ("" is DefaultAccount):
// GET /v1/refunds/{id}?account=<account> with that account's key. A refund of another account
// is not found.
func (c *Client) GetAccountRefund(ctx context.Context, account, id string) (Refund, error) {
	if id == "" {
		return Refund{}, &invalidRequestError{"get refund: refund id is empty"}
	}
	account = accountOrDefault(account)
	path := "/v1/refunds/" + url.PathEscape(id) + "?" + url.Values{"account": {account}}.Encode()
	ref, err := c.do(ctx, http.MethodGet, path, c.keyOf(account), "", nil)
	if err != nil {
		return Refund{}, fmt.Errorf("get refund %s of account %s: %w", id, account, err)
	}
	return ref, nil
}

// GetRefund returns the current state of refund id of DefaultAccount; see GetAccountRefund.
func (c *Client) GetRefund(ctx context.Context, id string) (Refund, error) {
	return c.GetAccountRefund(ctx, DefaultAccount, id)
}

func (c *Client) do(ctx context.Context, method, path, apiKey, idempotencyKey string, body []byte) (Refund, error) {
	var ref Refund
	if err := c.call(ctx, method, path, apiKey, idempotencyKey, body, &ref); err != nil {
		return Refund{}, err
	}
	return ref, nil
}

// call sends one request and decodes a 2xx answer into out.
func (c *Client) call(ctx context.Context, method, path, apiKey, idempotencyKey string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return &invalidRequestError{fmt.Sprintf("build request: %v", err)}
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("read answer (%d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return answerError(resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode answer (%d): %w", resp.StatusCode, err)
	}
	return nil
}

// answerError turns a non-2xx answer into an *APIError, keeping the gateway's code and message
// when the body has them.
func answerError(status int, data []byte) *APIError {
	var eb errorBody
	if json.Unmarshal(data, &eb) == nil && (eb.Error.Code != "" || eb.Error.Message != "") {
		return &APIError{Status: status, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	msg := strings.TrimSpace(string(data))
	if len(msg) > 200 {
		msg = strings.ToValidUTF8(msg[:200], "")
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &APIError{Status: status, Message: msg}
}
