package e2e_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/api"
	"github.com/rebound-returns/rebound/app/wire"
	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/demo"
	"github.com/rebound-returns/rebound/devstack"
	"github.com/rebound-returns/rebound/faultpoint"
	"github.com/rebound-returns/rebound/gatewaysim"
	"github.com/rebound-returns/rebound/historycodec"
	"github.com/rebound-returns/rebound/logging"
	"github.com/rebound-returns/rebound/notify"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/pos"
	"github.com/rebound-returns/rebound/shipping"
	"github.com/rebound-returns/rebound/tracing"
	"github.com/rebound-returns/rebound/web"
	"github.com/rebound-returns/rebound/worker"
)

// One Temporal server for the package; each stack takes a namespace of its
// own, so parallel tests never pick up each other's tasks.
var (
	temporalSrv *devstack.Server
	namespaces  = make(chan string, 16)
)

// asBinary makes the test binary run the rebound command line instead of
// the tests, so that the crash test can start (and kill) real workers.
const asBinary = "REBOUND_E2E_RUN_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinary) == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
	}
	var names []string
	for i := range cap(namespaces) {
		names = append(names, fmt.Sprintf("e2e-%d", i))
	}
	srv, err := devstack.Start(context.Background(), devstack.Options{Namespaces: names})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, n := range names {
		namespaces <- n
	}
	temporalSrv = srv
	code := m.Run()
	_ = srv.Stop()
	os.Exit(code)
}

const (
	demoPassword  = "demo-password-for-tests"
	demoAPIKey    = "rbk_e2e_demo_key_0123456789"
	carrierSecret = "carrier-secret-for-tests"
	gatewaySecret = "gateway-secret-for-tests"
	otpSecret     = "otp-secret-for-tests-0123456789abcdef"
)

// syncBuffer collects every log line of a stack.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stack is Rebound as `rebound dev` runs it, on one engine.
type stack struct {
	t        *testing.T
	db       *db.DB
	url      string
	temporal client.Client
	gateway  *gatewaysim.Simulator
	acquirer *acquirersim.Acquirer
	logs     *syncBuffer
	seed     demo.Summary
	ns       string
	dbURL    string
	// settlements is the settlement folder the acquirer drops its files
	// into at each cut-off and the worker picks them up from.
	settlements string
}

// isoTimeout is the acquirer client's response timeout in these tests.
const isoTimeout = 500 * time.Millisecond

// cardSettings are the test workers' card settings: quick, and a strict
// host's (voids from the sale's own terminal). A 25 to a reversal is
// believed after fateWait, longer than any answer the simulator holds back.
var cardSettings = activities.CardSettings{SendTimeout: 5 * time.Second, RetryWait: 200 * time.Millisecond,
	FateWait: fateWait, MaxReversals: 6, ReversalPatience: time.Hour, VoidFromSaleTerminal: true}

const fateWait = 3 * time.Second

func newStack(t *testing.T, e dbtest.Engine) *stack { return newStackWith(t, e, false) }

// stackOptions change a test stack.
type stackOptions struct {
	noWorker bool
	// codec, when set, seals the history the stack's client writes, as
	// REBOUND_HISTORY_KEYS does.
	codec *historycodec.Codec
	// tracing, when set, traces the API and the Temporal client (and so
	// the worker) into it, as REBOUND_OTLP_ENDPOINT does.
	tracing *tracing.Tracing
	// faults are fault points armed in the stack's worker.
	faults *faultpoint.Points
	// card, when set, are the worker's card settings instead of
	// cardSettings.
	card *activities.CardSettings
	// acquirer wraps the worker's acquirer client (a test scripts faults
	// per message through it).
	acquirer func(sim *acquirersim.Acquirer, c activities.Acquirer) activities.Acquirer
	// seed seeds the acquirer simulator's draws.
	seed uint64
	// cutoff, when set, is the acquirer's batch cut-off (time of day, UTC)
	// for both the simulator and the worker, instead of 22:00.
	cutoff time.Duration
}

// newStackWith builds a stack; with noWorker the test runs its own worker
// (the crash test runs it as a process it can kill).
func newStackWith(t *testing.T, e dbtest.Engine, noWorker bool) *stack {
	t.Helper()
	return newStackOpts(t, e, stackOptions{noWorker: noWorker})
}

func newStackOpts(t *testing.T, e dbtest.Engine, opts stackOptions) *stack {
	t.Helper()
	noWorker := opts.noWorker
	ns := <-namespaces
	t.Cleanup(func() { namespaces <- ns })
	logs := &syncBuffer{}
	log := slog.New(tracing.LogHandler(logging.New(logs, "json", slog.LevelDebug).Handler()))
	t.Cleanup(func() {
		if t.Failed() {
			for _, line := range strings.Split(logs.String(), "\n") {
				if strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`) {
					t.Log(line)
				}
			}
		}
	})
	d, dbURL := dbtest.OpenURL(t, e)
	ctx := context.Background()
	seed, err := demo.Seed(ctx, d, demo.Options{Password: demoPassword, APIKey: demoAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	copts := client.Options{HostPort: temporalSrv.HostPort(), Namespace: ns,
		Logger: sdklog.NewStructuredLogger(log.With("component", "temporal-client"))}
	var codec converter.PayloadCodec
	if opts.codec != nil {
		codec = opts.codec
		copts.DataConverter = historycodec.DataConverter(opts.codec)
		copts.FailureConverter = historycodec.FailureConverter(copts.DataConverter)
	}
	var tracer trace.TracerProvider
	if opts.tracing != nil {
		ti, err := opts.tracing.TemporalInterceptor()
		if err != nil {
			t.Fatal(err)
		}
		copts.Interceptors = append(copts.Interceptors, ti)
		tracer = opts.tracing.Provider
	}
	c, err := client.Dial(copts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	apiSrv := httptest.NewUnstartedServer(nil)
	url := "http://" + apiSrv.Listener.Addr().String()
	gw := gatewaysim.New(gatewaysim.Config{APIKey: "gw-key", WebhookURL: url + "/v1/gateway/events",
		WebhookSecret: gatewaySecret, SettleDelay: 200 * time.Millisecond})
	t.Cleanup(gw.Close)
	gwSrv := httptest.NewServer(gw)
	t.Cleanup(gwSrv.Close)
	settlements := t.TempDir()
	acq := acquirersim.New(acquirersim.Config{SettlementDir: settlements, Seed: opts.seed, Cutoff: opts.cutoff,
		Logger: log.With("component", "acquirer-simulator")})
	if err := acq.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = acq.Close() })
	acq.AddTerminal("T0000001", seed.AcquirerMerchantID)
	acq.AddTerminal(demo.VirtualTerminal, seed.AcquirerMerchantID)
	feed := func(o *db.Order) {
		p := o.Payment
		switch {
		case p == nil:
		case p.Channel == returns.ChannelOnline:
			// The payment is in the account of the merchant that took it.
			account := payments.DefaultAccount
			if m, err := d.Merchants.MerchantByID(context.Background(), o.MerchantID); err == nil {
				account = m.GatewayAccountName()
			}
			_ = gw.AddPayment(gatewaysim.Payment{ID: p.GatewayPaymentID, Amount: p.Amount, Currency: p.Currency, Account: account})
		default:
			at := o.PlacedAt
			if p.SaleAt != nil {
				at = *p.SaleAt
			}
			_ = acq.AddSale(acquirersim.Sale{TerminalID: p.TerminalID, MerchantID: seed.AcquirerMerchantID, STAN: p.STAN, RRN: p.RRN,
				ApprovalCode: p.ApprovalCode, MaskedPAN: p.MaskedPAN, Currency: p.Currency, Amount: p.Amount, At: at, Batch: p.Batch})
		}
	}
	for _, o := range seed.Orders {
		feed(o)
	}
	metrics := api.NewMetrics()
	apiSrv.Config.Handler = web.Handler(web.Deps{Logger: log, Dev: true, Secret: []byte(otpSecret), API: api.NewHandler(api.Deps{
		Logger: log, Metrics: metrics, Dev: true,
		UseCases: wire.New(wire.Deps{DB: d, Temporal: c, Log: log, Dev: true, OTPSecret: []byte(otpSecret),
			OnOrder: func(_ context.Context, o *db.Order) { feed(o) }}),
		CarrierSecret: carrierSecret, GatewaySecret: gatewaySecret, Codec: codec, Tracer: tracer,
	})})
	apiSrv.Start()
	t.Cleanup(apiSrv.Close)

	s := &stack{t: t, db: d, dbURL: dbURL, url: url, temporal: c, gateway: gw, acquirer: acq, logs: logs, seed: seed, ns: ns, settlements: settlements}
	if !noWorker {
		acts := activities.New(activities.Deps{
			DB: d, Sender: notify.Router{Email: notify.Discard{}, SMS: notify.Discard{}, Webhook: notify.NewWebhook(nil)},
			Carrier: shipping.Simulated{}, Gateway: payments.NewClient(gwSrv.URL, "gw-key", nil),
			OTPSecret: []byte(otpSecret), KeepSensitive: true, PublicURL: url,
			Metrics: activities.NewMetrics(metrics.Registry), Logger: log, Signal: c, SettlementDir: settlements,
			Card: cardSettings, Faults: opts.faults,
		})
		pc, err := pos.NewClient(pos.ClientConfig{Addr: acq.Addr(), SendTimeout: isoTimeout,
			OnLate: activities.LateResponses{DB: d, Logger: log, Metrics: acts.Cards.Metrics}.Record, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := pc.Connect(cctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pc.Close() })
		acts.Cards.POS = pc
		acts.Cards.Cutoff = opts.cutoff
		if opts.card != nil {
			acts.Cards.Card = *opts.card
		}
		if opts.acquirer != nil {
			acts.Cards.POS = opts.acquirer(acq, pc)
		}
		w := worker.New(c, worker.Deps{Activities: acts})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	return s
}

// response is an HTTP answer, decoded.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// call makes a request; header holds pairs of header names and values.
func (s *stack) call(method, path string, body any, header ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// must fails the test unless the answer has the status.
func (s *stack) must(r response, status int) response {
	s.t.Helper()
	if r.Status != status {
		s.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// login logs a member of the demo merchant in.
func (s *stack) login(user string) string {
	s.t.Helper()
	return s.loginAt("demo", user)
}

// loginAt logs a member of the merchant of the slug in ("" for a platform
// operator): user names are unique per merchant.
func (s *stack) loginAt(merchant, user string) string {
	s.t.Helper()
	r := s.must(s.call("POST", "/v1/auth/login", map[string]string{"merchant": merchant, "username": user, "password": demoPassword}), 200)
	return r.json()["token"].(string)
}

var codeRe = regexp.MustCompile(`code is (\d{6})`)

// code reads the newest code sent to contact from the dev outbox.
func (s *stack) code(contact string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r := s.must(s.call("GET", "/v1/dev/outbox?to="+url.QueryEscape(contact), nil), 200)
		var out struct {
			Items []struct{ Text string }
		}
		_ = json.Unmarshal(r.Body, &out)
		for _, m := range out.Items {
			if mm := codeRe.FindStringSubmatch(m.Text); mm != nil {
				return mm[1]
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("no code reached %s", contact)
	return ""
}

// waitStatus polls a return until it reaches status.
func (s *stack) waitStatus(id, token, status string) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last map[string]any
	for time.Now().Before(deadline) {
		last = s.must(s.call("GET", "/v1/returns/"+id, nil, bearer(token)...), 200).json()
		if last["status"] == status {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("return %s never reached %s: %v", id, status, last["status"])
	return nil
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func (s *stack) carrier(eventID, tracking, event string) response {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"event_id": eventID, "tracking_number": tracking, "event": event,
		"occurred_at": time.Now().UTC().Format(time.RFC3339)})
	return s.call("POST", "/v1/carrier/events", body, "X-Rebound-Signature", sign(carrierSecret, body))
}

// order is an order body as the merchant's systems send it.
func order(number, channel string) map[string]any {
	now := time.Now().UTC()
	payment := map[string]any{"channel": channel, "amount": 2*2500 - 300 + 8000 + 595}
	if channel == "online" {
		payment["gateway_payment_id"] = "pay_" + strings.ToLower(number)
	} else {
		payment["terminal_id"] = "T0000001"
		payment["stan"] = saleSTAN(number)
		payment["rrn"] = saleRRN(number)
		payment["approval_code"] = "X9Y8Z7"
		payment["masked_pan"] = "541333******4111"
		payment["card_fingerprint"] = "fp_secret_card_token_42"
		// The sale's own DE7: at the till, when the order was placed.
		payment["transmitted_at"] = now.Add(-48 * time.Hour).Format(time.RFC3339)
	}
	return map[string]any{
		"order_number": number, "currency": "EUR",
		"placed_at":       now.Add(-48 * time.Hour).Format(time.RFC3339),
		"delivered_at":    now.Add(-24 * time.Hour).Format(time.RFC3339),
		"shipping_amount": 595,
		"customer":        map[string]any{"name": "Pat Buyer", "email": "pat@example.com", "phone": "+46 70 111 22 33"},
		"lines": []map[string]any{
			{"line_id": "L1", "sku": "SHIRT", "name": "Shirt", "category": "apparel", "quantity": 2, "unit_price": 2500, "discount": 300},
			{"line_id": "L2", "sku": "BOOTS", "name": "Boots", "category": "footwear", "quantity": 1, "unit_price": 8000, "discount": 0},
		},
		"payment": payment,
	}
}

// saleSTAN and saleRRN are the card sale of the order numbered number (as
// order builds it): each order its own sale, for a sale's references belong
// to one order. The STAN is the voucher number on its slip.
func saleSTAN(number string) string { return fmt.Sprintf("%06d", 100000+saleHash(number)%400000) }
func saleRRN(number string) string  { return fmt.Sprintf("64%010d", saleHash(number)) }

func saleHash(number string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(number))
	return h.Sum32()
}

// lastEngine is the engine heavy tests run on: Postgres when there is one.
func lastEngine(t *testing.T) dbtest.Engine {
	es := dbtest.Engines(t)
	return es[len(es)-1]
}
