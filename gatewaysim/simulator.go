// Package gatewaysim is an in-memory payment gateway with the semantics of the real one
// (idempotency keys, atomic refundable-amount checks, delayed settlement, signed webhooks and
// daily reports dropped into the settlement folder), for `rebound gateway`, `rebound dev`,
// devstack and tests. It speaks the wire format package payments defines and reads.
package gatewaysim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/returns"
)

// Failure codes of refunds the simulator creates but does not pay.
const (
	failureExceedsRefundable = "exceeds_refundable"
	failureCardClosed        = "card_closed"
)

// failingPaymentPrefix marks simulated payments whose refunds settle failed with card_closed.
const failingPaymentPrefix = "pay_fail"

const maxIdempotencyKeyLen = 255

// Config configures a Simulator.
type Config struct {
	// APIKey is the bearer token of /admin/* and the key of payments.DefaultAccount and of every
	// account AccountKeys does not name; "" refuses those requests.
	APIKey string
	// AccountKeys holds the API key of each merchant account by its name: a refund request, or
	// a look-up, that names the account must carry its key.
	AccountKeys   map[string]string
	WebhookURL    string        // where refund outcomes are POSTed ("" = no webhooks)
	WebhookSecret string        // HMAC-SHA256 key for X-Gateway-Signature
	SettleDelay   time.Duration // pending -> final after this (0 = the create call answers with the final status)
	Client        *http.Client  // for webhooks; nil means a client with a 10-second timeout
	// ReportDir, when set, is the settlement folder (see package dropfolder) the daily
	// reports are dropped into: after each UTC day ends, one per merchant account with refunds
	// that reached their final status that day, as <ReportDir>/<account>/<ReportFileName>.
	ReportDir string
	Logger    *slog.Logger // nil means slog.Default()
}

// maxAccountLen bounds an account name, which names a folder and is part of a file name.
const maxAccountLen = 64

// Payment is a captured payment that refunds draw on.
type Payment struct {
	ID       string `json:"id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	// Account is the merchant account the payment belongs to (payments.DefaultAccount when empty): its
	// refunds are reported under it. Up to 64 characters usable as a folder name.
	Account string `json:"account,omitempty"`
	// AuthLimit bounds what the payment's live holds and charges may add up
	// to (minor units; 0 means Amount).
	AuthLimit int64 `json:"auth_limit,omitempty"`
}

// authLimit is what p's live holds and charges may add up to.
func (p Payment) authLimit() int64 {
	if p.AuthLimit > 0 {
		return p.AuthLimit
	}
	return p.Amount
}

// account is the merchant account p's refunds are reported under.
func (p Payment) account() string {
	if p.Account == "" {
		return payments.DefaultAccount
	}
	return p.Account
}

// accountOrDefault is account, or payments.DefaultAccount when it is "".
func accountOrDefault(account string) string {
	if account == "" {
		return payments.DefaultAccount
	}
	return account
}

// Stats counts what a Simulator has done.
type Stats struct {
	Created         int // refunds created, including those failed at once as exceeds_refundable
	Replayed        int // create calls answered from an earlier call with the same idempotency key
	Succeeded       int // refunds settled succeeded
	Failed          int // refunds settled failed
	WebhooksSent    int // webhook events the receiver answered with 2xx
	WebhookFailures int // webhook delivery attempts that did not get a 2xx answer
	Authorizations  int // holds and charges created, including those failed at once as exceeds_limit
	AuthFailed      int // holds and charges that failed
	Captured        int // captures and charges settled captured
	Voided          int // holds voided
}

// Simulator is an in-memory payment gateway: an http.Handler serving POST /v1/refunds,
// GET /v1/refunds/{id}?account=<account>, the holds and charges (POST /v1/authorizations,
// POST /v1/charges, POST /v1/authorizations/{id}/capture and /void, GET /v1/authorizations/{id};
// see authorizations.go), POST /admin/payments, GET /admin/authorizations, GET /admin/report?date=YYYY-MM-DD
// (the daily report of every account as CSV) and POST /admin/reports?date=YYYY-MM-DD (drop that
// day's reports into the report folder now; see WriteReports). It is safe for concurrent use.
//
// Each merchant has an account. A refund request names its account in the body ("account";
// none is payments.DefaultAccount) and carries that account's key (see Config.AccountKeys); a
// refund of a payment of another account is refused as an unknown payment, a look-up of a
// refund of another account finds nothing, and idempotency keys are the account's own. The
// admin routes take APIKey.
type Simulator struct {
	cfg     Config
	mux     *http.ServeMux
	webhook *http.Client
	log     *slog.Logger
	now     func() time.Time // the clock refunds are created and settled by

	ctx    context.Context // cancelled by Close; stops settling and webhook delivery
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	closed      bool
	payments    map[string]Payment
	reserved    map[string]int64 // payment id -> sum of its pending and succeeded refunds
	refunds     map[string]*payments.Refund
	settledAt   map[string]time.Time // refund id -> when it reached its final status
	order       []string             // refund ids in creation order
	idempotency map[idempotencyScope]idempotentAnswer
	stats       Stats

	auths           map[string]*payments.Authorization
	authOrder       []string         // hold and charge ids in creation order
	authorized      map[string]int64 // payment id -> sum of its live holds and charges
	authIdempotency map[idempotencyScope]authAnswer
}

// idempotencyScope is an idempotency key as one account used it.
type idempotencyScope struct{ account, key string }

// idempotentAnswer is the first answer given to an idempotency key, with the request it answered.
type idempotentAnswer struct {
	request payments.RefundRequest
	status  int
	body    []byte
}

// New returns a simulator with no payments. Call Close to stop its background work.
func New(cfg Config) *Simulator { return newSimulator(cfg, time.Now) }

// newSimulator is New on the clock now.
func newSimulator(cfg Config, now func() time.Time) *Simulator {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Simulator{
		cfg:         cfg,
		mux:         http.NewServeMux(),
		webhook:     cfg.Client,
		log:         cfg.Logger,
		now:         now,
		ctx:         ctx,
		cancel:      cancel,
		payments:    map[string]Payment{},
		reserved:    map[string]int64{},
		refunds:     map[string]*payments.Refund{},
		settledAt:   map[string]time.Time{},
		idempotency: map[idempotencyScope]idempotentAnswer{},

		auths:           map[string]*payments.Authorization{},
		authorized:      map[string]int64{},
		authIdempotency: map[idempotencyScope]authAnswer{},
	}
	if s.webhook == nil {
		s.webhook = &http.Client{Timeout: 10 * time.Second}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.mux.HandleFunc("POST /v1/refunds", s.handleCreateRefund) // authorized per account
	s.mux.HandleFunc("GET /v1/refunds/{id}", s.handleGetRefund)
	s.mux.HandleFunc("POST /v1/authorizations", s.handleAuthorize(payments.KindHold))
	s.mux.HandleFunc("POST /v1/charges", s.handleAuthorize(payments.KindCharge))
	s.mux.HandleFunc("POST /v1/authorizations/{id}/capture", s.handleCapture)
	s.mux.HandleFunc("POST /v1/authorizations/{id}/void", s.handleVoid)
	s.mux.HandleFunc("GET /v1/authorizations/{id}", s.handleGetAuthorization)
	s.mux.Handle("POST /admin/payments", s.admin(s.handleAddPayment))
	s.mux.Handle("GET /admin/report", s.admin(s.handleReport))
	s.mux.Handle("POST /admin/reports", s.admin(s.handleWriteReports))
	s.mux.Handle("GET /admin/authorizations", s.admin(s.handleListAuthorizations))
	if cfg.ReportDir != "" {
		today := payments.ReportDay(s.now())
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.reportAtDayEnds(ctx, today)
		}()
	}
	return s
}

// ServeHTTP answers the gateway API and the admin endpoints; every route needs a bearer token:
// the named account's on /v1/refunds, APIKey on /admin.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops settling pending refunds, delivering webhooks and dropping daily reports, and waits
// for that work to end. Refunds still pending stay pending. Calling Close again does nothing.
func (s *Simulator) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// AddPayment records a payment that refunds can draw on. Adding the same payment again does
// nothing; adding another one with the same id fails. Its errors are *payments.APIError, as the admin
// endpoint answers them.
func (s *Simulator) AddPayment(p Payment) error {
	_, err := s.addPayment(p)
	return err
}

func (s *Simulator) addPayment(p Payment) (added bool, err error) {
	switch {
	case p.ID == "":
		return false, &payments.APIError{Status: http.StatusBadRequest, Code: "id_required", Message: "payment id is required"}
	case !payments.ValidReportID(p.ID):
		return false, &payments.APIError{Status: http.StatusBadRequest, Code: "id_invalid", Message: "payment id must be up to 255 characters without control characters"}
	case p.Amount <= 0:
		return false, &payments.APIError{Status: http.StatusBadRequest, Code: "amount_invalid", Message: "amount must be > 0 minor units"}
	case !returns.ValidCurrency(p.Currency):
		return false, &payments.APIError{Status: http.StatusBadRequest, Code: "currency_invalid", Message: "currency must be 3 upper-case letters (ISO 4217)"}
	case p.Account != "" && !validAccount(p.Account):
		return false, &payments.APIError{Status: http.StatusBadRequest, Code: "account_invalid",
			Message: "account must be up to 64 characters without control characters, / or \\, not starting with a dot"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.payments[p.ID]; ok {
		if old != p {
			return false, &payments.APIError{Status: http.StatusConflict, Code: "payment_conflict", Message: fmt.Sprintf("payment %s exists with another amount, currency or account", p.ID)}
		}
		return false, nil
	}
	s.payments[p.ID] = p
	return true, nil
}

// Refunds returns a copy of every refund, in creation order.
func (s *Simulator) Refunds() []payments.Refund {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]payments.Refund, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, *s.refunds[id])
	}
	return out
}

// Report returns the daily report of the UTC day of date, every account's: the refunds that reached
// their final status (succeeded or failed) that day, in creation order. Pending refunds are not in
// any report.
func (s *Simulator) Report(date time.Time) []payments.ReportItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	items, _ := s.reportLocked(payments.ReportDay(date))
	return items
}

// reportLocked is the report of day with the account of each item; s.mu is held.
func (s *Simulator) reportLocked(day time.Time) (items []payments.ReportItem, accounts []string) {
	for _, id := range s.order {
		at, ok := s.settledAt[id]
		if !ok || !payments.ReportDay(at).Equal(day) {
			continue
		}
		ref := s.refunds[id]
		items = append(items, payments.ReportItem{
			Date: day, RefundID: ref.ID, PaymentID: ref.PaymentID, Reference: ref.Reference,
			Amount: ref.Amount, Currency: ref.Currency, Status: ref.Status, FailureCode: ref.FailureCode,
		})
		accounts = append(accounts, s.payments[ref.PaymentID].account())
	}
	return items, accounts
}

// Stats returns the counters as they are now.
func (s *Simulator) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// createRefund applies the gateway's rules to one create call of req.Account (already
// authenticated; "" is payments.DefaultAccount) and returns the answer to give. The whole call holds the
// lock, so the refundable check, the reservation and the idempotency record are one step.
func (s *Simulator) createRefund(key string, req payments.RefundRequest) (status int, body []byte, err error) {
	req.Account = accountOrDefault(req.Account)
	scope := idempotencyScope{req.Account, key}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, nil, &payments.APIError{Status: http.StatusServiceUnavailable, Code: "gateway_closed", Message: "the gateway is shutting down"}
	}
	if prev, ok := s.idempotency[scope]; ok {
		if prev.request != req {
			return 0, nil, &payments.APIError{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused", Message: "idempotency key was used with another request"}
		}
		s.stats.Replayed++
		return prev.status, prev.body, nil
	}
	if err := validateRefund(req); err != nil {
		return 0, nil, err
	}
	p, ok := s.payments[req.PaymentID]
	if !ok || p.account() != req.Account {
		// Another account's payment is as unknown as one that does not exist.
		return 0, nil, &payments.APIError{Status: http.StatusNotFound, Code: "payment_not_found", Message: fmt.Sprintf("payment %s not found", req.PaymentID)}
	}
	if req.Currency != p.Currency {
		return 0, nil, &payments.APIError{Status: http.StatusBadRequest, Code: "currency_mismatch", Message: fmt.Sprintf("payment %s is in %s", p.ID, p.Currency)}
	}

	now := s.now().UTC()
	ref := &payments.Refund{
		ID:        newID("re_"),
		Account:   req.Account,
		PaymentID: req.PaymentID,
		Amount:    req.Amount,
		Currency:  req.Currency,
		Status:    payments.StatusPending,
		Reference: req.Reference,
		CreatedAt: now,
	}
	s.refunds[ref.ID] = ref
	s.order = append(s.order, ref.ID)
	s.stats.Created++
	switch {
	case req.Amount > p.Amount-s.reserved[p.ID]:
		ref.Status, ref.FailureCode = payments.StatusFailed, failureExceedsRefundable
		s.finishedLocked(ref, now)
	case s.cfg.SettleDelay == 0:
		s.reserved[p.ID] += ref.Amount
		s.settleLocked(ref, now)
	default:
		s.reserved[p.ID] += ref.Amount
		s.goLocked(func(ctx context.Context) { s.settleAfter(ctx, ref.ID) })
	}

	body, err = json.Marshal(ref)
	if err != nil {
		return 0, nil, fmt.Errorf("encode refund %s: %w", ref.ID, err)
	}
	s.idempotency[scope] = idempotentAnswer{request: req, status: http.StatusCreated, body: body}
	return http.StatusCreated, body, nil
}

func validateRefund(req payments.RefundRequest) error {
	switch {
	case !validAccount(req.Account):
		return &payments.APIError{Status: http.StatusBadRequest, Code: "account_invalid",
			Message: "account must be up to 64 characters without control characters, / or \\, not starting with a dot"}
	case req.PaymentID == "":
		return &payments.APIError{Status: http.StatusBadRequest, Code: "payment_id_required", Message: "payment_id is required"}
	case req.Amount <= 0:
		return &payments.APIError{Status: http.StatusBadRequest, Code: "amount_invalid", Message: "amount must be > 0 minor units"}
	case !returns.ValidCurrency(req.Currency):
		return &payments.APIError{Status: http.StatusBadRequest, Code: "currency_invalid", Message: "currency must be 3 upper-case letters (ISO 4217)"}
	case !payments.ValidReference(req.Reference):
		return &payments.APIError{Status: http.StatusBadRequest, Code: "reference_invalid", Message: "reference must be up to 255 bytes without a carriage return"}
	}
	return nil
}

// settleAfter settles refund id once the settle delay has passed, unless the simulator closes first.
func (s *Simulator) settleAfter(ctx context.Context, id string) {
	t := time.NewTimer(s.cfg.SettleDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.settleLocked(s.refunds[id], s.now().UTC())
	}
}

// settleLocked moves a pending refund to its final status at time at: failed with card_closed for
// payments whose id starts with "pay_fail", succeeded otherwise.
func (s *Simulator) settleLocked(ref *payments.Refund, at time.Time) {
	if ref.Status != payments.StatusPending {
		return
	}
	if strings.HasPrefix(ref.PaymentID, failingPaymentPrefix) {
		ref.Status, ref.FailureCode = payments.StatusFailed, failureCardClosed
		s.reserved[ref.PaymentID] -= ref.Amount
	} else {
		ref.Status = payments.StatusSucceeded
	}
	s.finishedLocked(ref, at)
}

// finishedLocked records when a refund reached its final status, counts it and sends its webhook.
func (s *Simulator) finishedLocked(ref *payments.Refund, at time.Time) {
	s.settledAt[ref.ID] = at
	typ := payments.EventRefundSucceeded
	if ref.Status == payments.StatusSucceeded {
		s.stats.Succeeded++
	} else {
		s.stats.Failed++
		typ = payments.EventRefundFailed
	}
	if s.cfg.WebhookURL == "" {
		return
	}
	ev := payments.WebhookEvent{ID: newID("evt_"), Type: typ, Refund: *ref}
	s.goLocked(func(ctx context.Context) { s.deliver(ctx, ev) })
}

// goLocked runs f in the background until Close; it does nothing once the simulator is closed.
// Holding the lock orders wg.Add before Close's wg.Wait.
func (s *Simulator) goLocked(f func(ctx context.Context)) {
	if s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f(s.ctx)
	}()
}

// getRefund is refund id of account; another account's refund is not found.
func (s *Simulator) getRefund(account, id string) (payments.Refund, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.refunds[id]
	if !ok || ref.Account != account {
		return payments.Refund{}, &payments.APIError{Status: http.StatusNotFound, Code: "refund_not_found", Message: fmt.Sprintf("refund %s not found", id)}
	}
	return *ref, nil
}

// newID is prefix followed by 24 random hex digits.
func newID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails; see crypto/rand.Read
	return prefix + hex.EncodeToString(b)
}

// HTTP layer: bind, call one function, answer.

const maxRequestBytes = 1 << 20

// admin admits requests bearing APIKey (the admin routes).
func (s *Simulator) admin(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sameKey(bearer(r), s.cfg.APIKey) {
			unauthorized(w)
			return
		}
		next(w, r)
	})
}

// keyOf is the key requests of account must carry: its own, else APIKey.
func (s *Simulator) keyOf(account string) string {
	if k, ok := s.cfg.AccountKeys[account]; ok {
		return k
	}
	return s.cfg.APIKey
}

// knownKey reports whether token is the key of some account, so that a stranger is turned
// away before the request is read.
func (s *Simulator) knownKey(token string) bool {
	known := sameKey(token, s.cfg.APIKey)
	for _, k := range s.cfg.AccountKeys {
		known = sameKey(token, k) || known
	}
	return known
}

// bearer is the request's bearer token ("" when it has none).
func bearer(r *http.Request) string {
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return token
	}
	return ""
}

// sameKey compares a token with a key in constant time; an empty key admits nobody.
func sameKey(token, key string) bool {
	return key != "" && token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(key)) == 1
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", "Bearer")
	writeError(w, &payments.APIError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "missing or invalid bearer token"})
}

func (s *Simulator) handleCreateRefund(w http.ResponseWriter, r *http.Request) {
	token := bearer(r)
	if !s.knownKey(token) {
		unauthorized(w)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		writeError(w, &payments.APIError{Status: http.StatusBadRequest, Code: "idempotency_key_required", Message: "Idempotency-Key header is required"})
		return
	}
	if len(key) > maxIdempotencyKeyLen {
		writeError(w, &payments.APIError{Status: http.StatusBadRequest, Code: "idempotency_key_invalid", Message: "Idempotency-Key is longer than 255 bytes"})
		return
	}
	var req payments.RefundRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if !sameKey(token, s.keyOf(accountOrDefault(req.Account))) {
		unauthorized(w) // the key of another account
		return
	}
	status, body, err := s.createRefund(key, req)
	if err != nil {
		writeError(w, err)
		return
	}
	writeBody(w, status, body)
}

// readerAccount is the account a read names (?account=), if the caller
// holds its key; else it answers 401.
func (s *Simulator) readerAccount(w http.ResponseWriter, r *http.Request) (string, bool) {
	account := accountOrDefault(r.URL.Query().Get("account"))
	if !sameKey(bearer(r), s.keyOf(account)) {
		unauthorized(w)
		return "", false
	}
	return account, true
}

func (s *Simulator) handleGetRefund(w http.ResponseWriter, r *http.Request) {
	serveRead(s, w, r, s.getRefund)
}

// serveRead answers GET …/{id} with what get reads of the caller's account.
func serveRead[T any](s *Simulator, w http.ResponseWriter, r *http.Request, get func(account, id string) (T, error)) {
	account, ok := s.readerAccount(w, r)
	if !ok {
		return
	}
	v, err := get(account, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Simulator) handleAddPayment(w http.ResponseWriter, r *http.Request) {
	var p Payment
	if err := decodeBody(w, r, &p); err != nil {
		writeError(w, err)
		return
	}
	added, err := s.addPayment(p)
	if err != nil {
		writeError(w, err)
		return
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	writeJSON(w, status, p)
}

func (s *Simulator) handleReport(w http.ResponseWriter, r *http.Request) {
	date, err := time.Parse(time.DateOnly, r.URL.Query().Get("date"))
	if err != nil {
		writeError(w, &payments.APIError{Status: http.StatusBadRequest, Code: "date_invalid", Message: "date must be a day YYYY-MM-DD"})
		return
	}
	var buf bytes.Buffer
	if err := payments.WriteReport(&buf, s.Report(date)); err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="gateway-report-%s.csv"`, date.Format(time.DateOnly)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func (s *Simulator) handleWriteReports(w http.ResponseWriter, r *http.Request) {
	date, err := time.Parse(time.DateOnly, r.URL.Query().Get("date"))
	if err != nil {
		writeError(w, &payments.APIError{Status: http.StatusBadRequest, Code: "date_invalid", Message: "date must be a day YYYY-MM-DD"})
		return
	}
	paths, err := s.WriteReports(date)
	switch {
	case errors.Is(err, ErrNoReportDir):
		writeError(w, &payments.APIError{Status: http.StatusConflict, Code: "report_dir_unset", Message: "the simulator has no report folder to drop reports into"})
		return
	case err != nil:
		writeError(w, &payments.APIError{Status: http.StatusInternalServerError, Code: "reports_not_written", Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, writtenReports{Date: date.Format(time.DateOnly), Files: paths})
}

// writtenReports answers POST /admin/reports.
type writtenReports struct {
	Date  string   `json:"date"`
	Files []string `json:"files"` // paths of the reports dropped, by account
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBytes)).Decode(v); err != nil {
		return &payments.APIError{Status: http.StatusBadRequest, Code: "invalid_json", Message: "request body is not the expected JSON object"}
	}
	return nil
}

// errorBody is the gateway's JSON error answer: {"error":{"code":"...","message":"..."}}, as
// payments.Client reads it.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError is the one place that turns errors into answers: an *payments.APIError as itself, anything
// else as 500.
func writeError(w http.ResponseWriter, err error) {
	var ae *payments.APIError
	if !errors.As(err, &ae) {
		ae = &payments.APIError{Status: http.StatusInternalServerError, Code: "internal_error", Message: "internal error"}
	}
	var eb errorBody
	eb.Error.Code, eb.Error.Message = ae.Code, ae.Message
	writeJSON(w, ae.Status, eb)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal_error","message":"internal error"}}`)
	}
	writeBody(w, status, body)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
