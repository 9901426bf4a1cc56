package gatewaysim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/payments"
)

// Holds and charges: the simulator authorises an amount on the card of a
// payment it knows (a hold, or a charge captured at once), captures a hold
// (all or part, once, never above what was authorised) and voids one that
// was not captured. Each call is idempotent per account and Idempotency-Key
// like a refund; outcomes arrive after the settle delay by the same signed
// webhooks. The amount a payment's live holds and charges may add up to is
// its AuthLimit (its amount when 0): beyond it a hold is created failed
// (exceeds_limit). Payments whose id starts with "pay_fail" settle their
// holds and charges failed with card_closed, "pay_expired" with
// card_expired. Holds and charges are not in the daily report: that report
// is the refunds settlement/ reconciles against refund attempts, and a
// capture in it would be an item no attempt matches (see Authorizations and
// GET /admin/authorizations for what the simulator did).

// Failure codes of holds and charges.
const (
	failureExceedsLimit = "exceeds_limit"
	failureCardExpired  = "card_expired"
)

// expiredPaymentPrefix marks simulated payments whose card has expired.
const expiredPaymentPrefix = "pay_expired"

// The operations on a hold besides its authorisation.
const (
	opCapture = "capture"
	opVoid    = "void_hold"
)

// authOp is one idempotent call on holds and charges, as its key's first
// use asked it.
type authOp struct {
	op, id string // payments.KindHold, payments.KindCharge, opCapture or opVoid, and the hold's id
	req    string // the request's JSON
}

// Authorizations returns a copy of every hold and charge, in creation order.
func (s *Simulator) Authorizations() []payments.Authorization {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]payments.Authorization, 0, len(s.authOrder))
	for _, id := range s.authOrder {
		out = append(out, *s.auths[id])
	}
	return out
}

// replayLocked answers an idempotency key used before: the first answer for
// the same call, a refusal for another one; ok is false for a fresh key.
func (s *Simulator) replayLocked(scope idempotencyScope, op authOp) (status int, body []byte, ok bool, err error) {
	prev, seen := s.authIdempotency[scope]
	if !seen {
		return 0, nil, false, nil
	}
	if prev.op != op {
		return 0, nil, true, &payments.APIError{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused", Message: "idempotency key was used with another request"}
	}
	s.stats.Replayed++
	return prev.status, prev.body, true, nil
}

// answerLocked records the answer of a fresh key.
func (s *Simulator) answerLocked(scope idempotencyScope, op authOp, status int, a *payments.Authorization) (int, []byte, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return 0, nil, fmt.Errorf("encode authorization %s: %w", a.ID, err)
	}
	s.authIdempotency[scope] = authAnswer{op: op, status: status, body: body}
	return status, body, nil
}

// authAnswer is the first answer given to an idempotency key of a hold or
// charge call, with the call it answered.
type authAnswer struct {
	op     authOp
	status int
	body   []byte
}

// authorize creates a hold (kind payments.KindHold) or a charge.
func (s *Simulator) authorize(key, kind string, req payments.AuthorizeRequest) (int, []byte, error) {
	req.Account = accountOrDefault(req.Account)
	scope := idempotencyScope{req.Account, key}
	raw, _ := json.Marshal(req) // a struct of strings and an int: never fails
	op := authOp{op: kind, req: string(raw)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, nil, errClosed()
	}
	if status, body, ok, err := s.replayLocked(scope, op); ok {
		return status, body, err
	}
	if err := validateRefund(payments.RefundRequest(req)); err != nil {
		return 0, nil, err
	}
	p, ok := s.payments[req.PaymentID]
	if !ok || p.account() != req.Account {
		return 0, nil, &payments.APIError{Status: http.StatusNotFound, Code: "payment_not_found", Message: fmt.Sprintf("payment %s not found", req.PaymentID)}
	}
	if req.Currency != p.Currency {
		return 0, nil, &payments.APIError{Status: http.StatusBadRequest, Code: "currency_mismatch", Message: fmt.Sprintf("payment %s is in %s", p.ID, p.Currency)}
	}
	now := s.now().UTC()
	a := &payments.Authorization{ID: newID("au_"), Kind: kind, Account: req.Account, PaymentID: p.ID, Amount: req.Amount,
		Currency: req.Currency, Status: payments.StatusPending, Reference: req.Reference, CreatedAt: now}
	s.auths[a.ID] = a
	s.authOrder = append(s.authOrder, a.ID)
	s.stats.Authorizations++
	if req.Amount > p.authLimit()-s.authorized[p.ID] {
		a.Status, a.FailureCode = payments.StatusFailed, failureExceedsLimit
		s.authMovedLocked(a)
	} else {
		s.authorized[p.ID] += a.Amount
		s.settleAuthLaterLocked(a)
	}
	return s.answerLocked(scope, op, http.StatusCreated, a)
}

// capture captures amount (0: all) of hold id of account, once.
func (s *Simulator) capture(key, account, id string, amount int64) (int, []byte, error) {
	return s.onHold(key, account, authOp{op: opCapture, id: id, req: strconv.FormatInt(amount, 10)}, func(a *payments.Authorization) error {
		return s.captureLocked(a, amount)
	})
}

// captureLocked captures amount of hold a (0: all of it).
func (s *Simulator) captureLocked(a *payments.Authorization, amount int64) error {
	switch {
	case amount < 0:
		return &payments.APIError{Status: http.StatusBadRequest, Code: "amount_invalid", Message: "amount must be >= 0 minor units (0 captures all)"}
	case amount > a.Amount:
		return &payments.APIError{Status: http.StatusUnprocessableEntity, Code: "exceeds_authorized", Message: fmt.Sprintf("authorization %s holds %d", a.ID, a.Amount)}
	case a.Status == payments.StatusCapturePending || a.Status == payments.StatusCaptured:
		return &payments.APIError{Status: http.StatusConflict, Code: payments.CodeAlreadyCaptured, Message: fmt.Sprintf("authorization %s was captured", a.ID)}
	case a.Status != payments.StatusAuthorized:
		return &payments.APIError{Status: http.StatusConflict, Code: "not_capturable", Message: fmt.Sprintf("authorization %s is %s", a.ID, a.Status)}
	}
	if amount == 0 {
		amount = a.Amount
	}
	s.authorized[a.PaymentID] -= a.Amount - amount // the rest of a partial capture is released
	a.Captured, a.Status = amount, payments.StatusCapturePending
	s.settleAuthLaterLocked(a)
	return nil
}

// void releases hold id of account; a hold voided already answers as it is.
func (s *Simulator) void(key, account, id string) (int, []byte, error) {
	return s.onHold(key, account, authOp{op: opVoid, id: id}, func(a *payments.Authorization) error {
		switch a.Status {
		case payments.StatusAuthorized:
			s.authorized[a.PaymentID] -= a.Amount
			a.Status = payments.StatusVoidPending
			s.settleAuthLaterLocked(a)
		case payments.StatusVoidPending, payments.StatusVoided:
		default:
			return &payments.APIError{Status: http.StatusConflict, Code: payments.CodeNotVoidable, Message: fmt.Sprintf("authorization %s is %s", a.ID, a.Status)}
		}
		return nil
	})
}

// onHold runs step on hold op.id of account under the simulator's lock,
// once per Idempotency-Key: a repeated key answers what the first call
// did; step's refusal is the answer, else the hold as step left it.
func (s *Simulator) onHold(key, account string, op authOp, step func(a *payments.Authorization) error) (int, []byte, error) {
	account = accountOrDefault(account)
	scope := idempotencyScope{account, key}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, nil, errClosed()
	}
	if status, body, ok, err := s.replayLocked(scope, op); ok {
		return status, body, err
	}
	a, err := s.holdLocked(account, op.id)
	if err != nil {
		return 0, nil, err
	}
	if err := step(a); err != nil {
		return 0, nil, err
	}
	return s.answerLocked(scope, op, http.StatusOK, a)
}

// holdLocked is hold id of account; another account's, or a charge, is
// not found.
func (s *Simulator) holdLocked(account, id string) (*payments.Authorization, error) {
	a, ok := s.auths[id]
	if !ok || a.Account != account || a.Kind != payments.KindHold {
		return nil, &payments.APIError{Status: http.StatusNotFound, Code: "authorization_not_found", Message: fmt.Sprintf("authorization %s not found", id)}
	}
	return a, nil
}

// getAuthorization is hold or charge id of account.
func (s *Simulator) getAuthorization(account, id string) (payments.Authorization, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.auths[id]
	if !ok || a.Account != account {
		return payments.Authorization{}, &payments.APIError{Status: http.StatusNotFound, Code: "authorization_not_found", Message: fmt.Sprintf("authorization %s not found", id)}
	}
	return *a, nil
}

// settleAuthLaterLocked settles a's pending status after the settle delay
// (at once when there is none).
func (s *Simulator) settleAuthLaterLocked(a *payments.Authorization) {
	if s.cfg.SettleDelay == 0 {
		s.settleAuthLocked(a, a.Status)
		return
	}
	from := a.Status
	s.goLocked(func(ctx context.Context) {
		if !sleep(ctx, s.cfg.SettleDelay) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.closed {
			s.settleAuthLocked(s.auths[a.ID], from)
		}
	})
}

// settleAuthLocked moves a out of pending status from, if it is still in
// it: a hold to authorized, a charge to captured, a capture to captured, a
// void to voided; a card that is closed or expired fails the hold or charge.
func (s *Simulator) settleAuthLocked(a *payments.Authorization, from string) {
	if a.Status != from {
		return
	}
	switch from {
	case payments.StatusPending:
		switch {
		case strings.HasPrefix(a.PaymentID, failingPaymentPrefix):
			a.Status, a.FailureCode = payments.StatusFailed, failureCardClosed
		case strings.HasPrefix(a.PaymentID, expiredPaymentPrefix):
			a.Status, a.FailureCode = payments.StatusFailed, failureCardExpired
		case a.Kind == payments.KindCharge:
			a.Status, a.Captured = payments.StatusCaptured, a.Amount
		default:
			a.Status = payments.StatusAuthorized
		}
		if a.Status == payments.StatusFailed {
			s.authorized[a.PaymentID] -= a.Amount
		}
	case payments.StatusCapturePending:
		a.Status = payments.StatusCaptured
	case payments.StatusVoidPending:
		a.Status = payments.StatusVoided
	}
	s.authMovedLocked(a)
}

// authMovedLocked counts a's new status and sends its webhook.
func (s *Simulator) authMovedLocked(a *payments.Authorization) {
	var typ string
	switch {
	case a.Kind == payments.KindCharge && a.Status == payments.StatusCaptured:
		typ = payments.EventChargeSucceeded
		s.stats.Captured++
	case a.Kind == payments.KindCharge:
		typ = payments.EventChargeFailed
		s.stats.AuthFailed++
	case a.Status == payments.StatusAuthorized:
		typ = payments.EventAuthorizationSucceeded
	case a.Status == payments.StatusFailed:
		typ = payments.EventAuthorizationFailed
		s.stats.AuthFailed++
	case a.Status == payments.StatusCaptured:
		typ = payments.EventAuthorizationCaptured
		s.stats.Captured++
	case a.Status == payments.StatusVoided:
		typ = payments.EventAuthorizationVoided
		s.stats.Voided++
	default:
		return
	}
	if s.cfg.WebhookURL == "" {
		return
	}
	snapshot := *a
	ev := payments.WebhookEvent{ID: newID("evt_"), Type: typ, Authorization: &snapshot}
	s.goLocked(func(ctx context.Context) { s.deliver(ctx, ev) })
}

// sleep waits d, or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func errClosed() error {
	return &payments.APIError{Status: http.StatusServiceUnavailable, Code: "gateway_closed", Message: "the gateway is shutting down"}
}

// HTTP layer of holds and charges.

// accountCall reads what every hold and charge call carries: a known
// bearer token, an Idempotency-Key (when mutating) and a JSON body naming
// the account, whose key the token must be. It answers false, having
// answered the request, when something is missing.
func (s *Simulator) accountCall(w http.ResponseWriter, r *http.Request, req any, account func() string) (key string, ok bool) {
	token := bearer(r)
	if !s.knownKey(token) {
		unauthorized(w)
		return "", false
	}
	key = r.Header.Get("Idempotency-Key")
	switch {
	case key == "":
		writeError(w, &payments.APIError{Status: http.StatusBadRequest, Code: "idempotency_key_required", Message: "Idempotency-Key header is required"})
		return "", false
	case len(key) > maxIdempotencyKeyLen:
		writeError(w, &payments.APIError{Status: http.StatusBadRequest, Code: "idempotency_key_invalid", Message: "Idempotency-Key is longer than 255 bytes"})
		return "", false
	}
	if err := decodeBody(w, r, req); err != nil {
		writeError(w, err)
		return "", false
	}
	if !sameKey(token, s.keyOf(accountOrDefault(account()))) {
		unauthorized(w)
		return "", false
	}
	return key, true
}

func (s *Simulator) handleAuthorize(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req payments.AuthorizeRequest
		key, ok := s.accountCall(w, r, &req, func() string { return req.Account })
		if !ok {
			return
		}
		answer(w)(s.authorize(key, kind, req))
	}
}

func (s *Simulator) handleCapture(w http.ResponseWriter, r *http.Request) {
	var req payments.CaptureRequest
	key, ok := s.accountCall(w, r, &req, func() string { return req.Account })
	if !ok {
		return
	}
	answer(w)(s.capture(key, req.Account, r.PathValue("id"), req.Amount))
}

func (s *Simulator) handleVoid(w http.ResponseWriter, r *http.Request) {
	var req payments.VoidRequest
	key, ok := s.accountCall(w, r, &req, func() string { return req.Account })
	if !ok {
		return
	}
	answer(w)(s.void(key, req.Account, r.PathValue("id")))
}

func (s *Simulator) handleGetAuthorization(w http.ResponseWriter, r *http.Request) {
	serveRead(s, w, r, s.getAuthorization)
}

func (s *Simulator) handleListAuthorizations(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Authorizations())
}

// answer writes what a call answered.
func answer(w http.ResponseWriter) func(status int, body []byte, err error) {
	return func(status int, body []byte, err error) {
		if err != nil {
			writeError(w, err)
			return
		}
		writeBody(w, status, body)
	}
}
