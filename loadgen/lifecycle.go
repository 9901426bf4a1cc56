package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kinds of return the lifecycle load drives.
const (
	KindOnline = string(returns.ChannelOnline) // paid online, shipped back, refunded on the gateway
	KindCard   = "card"                        // paid by card in a store, brought back, refunded at the counter
)

// EndStatus is where every return of the load ends: refunded and waiting
// for the settlement file that closes it.
const EndStatus = "awaiting_settlement"

// Lifecycle drives whole returns through the HTTP API of a running
// Rebound, as the merchant's systems, shoppers, the carrier and staff
// would, and checks at the end that each was refunded exactly once.
type Lifecycle struct {
	// APIs are the base URLs of the API processes, called in turn.
	APIs        []string
	Returns     int
	Concurrency int
	// Mix weighs the kinds of return (KindOnline, KindCard).
	Mix map[string]int
	// The demo merchant as `rebound dev` seeds it.
	Merchant      string
	APIKey        string
	StaffPassword string
	Clerk         string
	Supervisor    string
	CarrierSecret string
	// CardTerminal is the merchant's terminal the card sales are made on.
	CardTerminal string
	// GatewayURL and GatewayKey reach the gateway simulator's report;
	// AcquirerAdminURL the acquirer simulator's ledger. Either empty
	// skips its exactly-once check.
	GatewayURL string
	GatewayKey string
	// RegisterPayments tells the gateway simulator (GatewayURL) of each
	// online order's payment before the order is registered, under
	// GatewayAccount (the merchant's slug when empty), as a real gateway
	// knows the payments it took. `rebound dev` does it itself; a Rebound
	// beside `rebound gateway` needs it.
	RegisterPayments bool
	GatewayAccount   string
	// With RegisterPayments, the acquirer simulator (AcquirerAdminURL) is
	// told of the card sales too, and first of the merchant's terminals
	// (CardTerminal and VirtualTerminal) under its card acceptor id
	// AcquirerMID.
	AcquirerMID      string
	VirtualTerminal  string
	AcquirerAdminURL string
	// Poll is how often a return is read while the load waits for a status;
	// StepTimeout how long it waits for one.
	Poll        time.Duration
	StepTimeout time.Duration
	// ShopperAddresses sends each return's shopper calls from an address
	// of its own (X-Forwarded-For), as many shoppers behind a load balancer
	// are: the API believes it only from REBOUND_TRUSTED_PROXIES, else every
	// shopper of the load shares the per-address limits and gets 429.
	ShopperAddresses bool
	// SMSSink, when set, is the address the load serves an SMS provider on
	// (POST /sms, notify's JSON): the shoppers are reached by SMS and their
	// codes read there, for a Rebound that is not `rebound dev` (whose
	// workers' REBOUND_SMS_URL points at it). Empty: e-mail, read from
	// /v1/dev/outbox.
	SMSSink string
	// Progress, when set, hears how many returns are done.
	Progress func(done int64)
}

// Defaults fills what is unset with `rebound dev`'s demo values.
func (l *Lifecycle) Defaults() {
	if len(l.APIs) == 0 {
		l.APIs = []string{"http://127.0.0.1:8080"}
	}
	for i, a := range l.APIs {
		l.APIs[i] = strings.TrimRight(a, "/")
	}
	if l.Returns <= 0 {
		l.Returns = 20
	}
	if l.Concurrency <= 0 {
		l.Concurrency = 4
	}
	if len(l.Mix) == 0 {
		l.Mix = map[string]int{KindOnline: 3, KindCard: 1}
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&l.Merchant, "demo")
	def(&l.APIKey, "rbk_demo_key_change_me")
	def(&l.StaffPassword, "rebound-demo")
	def(&l.Clerk, string(returns.RoleClerk))
	def(&l.Supervisor, string(returns.RoleSupervisor))
	def(&l.CarrierSecret, "dev-carrier-secret")
	def(&l.CardTerminal, "T0000001")
	def(&l.VirtualTerminal, "R0000001")
	def(&l.AcquirerMID, "DEMO00000000001")
	if l.Poll <= 0 {
		l.Poll = 50 * time.Millisecond
	}
	if l.StepTimeout <= 0 {
		l.StepTimeout = 2 * time.Minute
	}
}

// ParseMix reads "online=3,card=1".
func ParseMix(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q: want kind=weight", part)
		}
		if k != KindOnline && k != KindCard {
			return nil, fmt.Errorf("%q: the kinds are %s and %s", k, KindOnline, KindCard)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: a weight is a whole number from 0", v)
		}
		out[k] = n
	}
	if out[KindOnline]+out[KindCard] == 0 {
		return nil, errors.New("every weight is 0")
	}
	return out, nil
}

// kindOf spreads the kinds over the returns by their weights, evenly.
func kindOf(mix map[string]int, i int) string {
	total := mix[KindOnline] + mix[KindCard]
	// The i-th return is card when the card share's running count steps up.
	if (i+1)*mix[KindCard]/total > i*mix[KindCard]/total {
		return KindCard
	}
	return KindOnline
}

// LifecycleReport is what a lifecycle load measured and found.
type LifecycleReport struct {
	Returns     int            `json:"returns"`
	ByKind      map[string]int `json:"by_kind"`
	Concurrency int            `json:"concurrency"`
	APIs        []string       `json:"apis"`
	Seconds     float64        `json:"seconds"`
	// PerSecond is returns that reached EndStatus per second of the run.
	PerSecond float64 `json:"returns_per_second"`
	// EndToEnd is each return's time from its order to EndStatus, as the
	// load saw it.
	EndToEnd Summary `json:"end_to_end"`
	// Calls are the API calls by route; Steps the time each return spent
	// in each status, from its timeline.
	Calls  map[string]Summary `json:"calls"`
	Steps  map[string]Summary `json:"steps"`
	Errors map[string]int     `json:"errors"`
	// Retries are calls sent again to the next API: one that refused the
	// connection (stopped, restarting) or answered 503 (a part it needs
	// was unavailable; nothing was done).
	Retries map[string]int `json:"retries,omitempty"`
	Check   Check          `json:"check"`
	Floor   *FloorReport   `json:"floor,omitempty"`
	// FloorRatio is PerSecond ÷ the floor's workflows per second.
	FloorRatio float64 `json:"floor_ratio,omitempty"`
}

// Check is the end-of-run check of every return and of the simulators'
// books.
type Check struct {
	OK bool `json:"ok"`
	// AtEnd counts returns at EndStatus with a succeeded refund; NotAtEnd
	// names the others with where they stopped.
	AtEnd    int               `json:"at_end"`
	NotAtEnd map[string]string `json:"not_at_end,omitempty"`
	Acquirer Books             `json:"acquirer"`
	Gateway  Books             `json:"gateway"`
}

// Books is what one simulator holds of the load's refunds.
type Books struct {
	Checked bool `json:"checked"`
	// Once counts refunds held exactly once with Rebound's amount; Missing,
	// Twice and WrongAmount name the sale or payment of each that is not.
	Once        int      `json:"exactly_once"`
	Missing     []string `json:"missing,omitempty"`
	Twice       []string `json:"twice,omitempty"`
	WrongAmount []string `json:"wrong_amount,omitempty"`
	Error       string   `json:"error,omitempty"`
}

func (b Books) ok() bool {
	return !b.Checked || (len(b.Missing) == 0 && len(b.Twice) == 0 && len(b.WrongAmount) == 0 && b.Error == "")
}

// one is a return of the load, as it goes.
type one struct {
	i        int
	kind     string
	number   string
	contact  string
	addr     string
	payment  string // gateway payment ID, or the card sale's RRN
	stan     string
	card     string
	id       string
	token    string
	started  time.Time
	finished time.Time
	err      error
	final    returnView
}

// returnView is what the load reads of GET /v1/returns/{id}.
type returnView struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	TrackingNumber string `json:"tracking_number"`
	Timeline       []struct {
		Status string    `json:"status"`
		At     time.Time `json:"at"`
	} `json:"timeline"`
	Refund *struct {
		Amount int64  `json:"amount"`
		Status string `json:"status"`
	} `json:"refund"`
}

// run is one lifecycle load under way.
type run struct {
	l      *Lifecycle
	c      *apiClient
	rec    *recorder
	id     string
	stanAt int
	clerk  string
	sms    *smsSink
}

// Run drives l.Returns returns, l.Concurrency at a time, and reports.
func (l *Lifecycle) Run(ctx context.Context) (LifecycleReport, error) {
	rep, _, err := l.run(ctx)
	return rep, err
}

// run is Run, answering also the returns as they ended.
func (l *Lifecycle) run(ctx context.Context) (LifecycleReport, []*one, error) {
	l.Defaults()
	rec := newRecorder()
	r := &run{l: l, rec: rec, c: newAPIClient(l.APIs, rec, l.Concurrency)}
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	n := int(binary.BigEndian.Uint32(seed[:]) & 0x7fffffff)
	// Digits only: the run's id is part of the card sales' RRNs.
	r.id = fmt.Sprintf("%06d", n%1_000_000)
	// Card sales are one per terminal, STAN and day: each run takes a
	// stretch of STANs of its own (wrapping below a million).
	r.stanAt = 200000 + n/1_000_000%800_000
	if l.SMSSink != "" {
		sink, err := startSMSSink(ctx, l.SMSSink)
		if err != nil {
			return LifecycleReport{}, nil, fmt.Errorf("sms sink: %w", err)
		}
		defer sink.close()
		r.sms = sink
	}
	if err := r.acquirerTerminals(ctx); err != nil {
		return LifecycleReport{}, nil, err
	}
	tok, err := r.login(ctx, l.Clerk)
	if err != nil {
		return LifecycleReport{}, nil, fmt.Errorf("staff log-in: %w", err)
	}
	r.clerk = tok

	all := make([]*one, l.Returns)
	for i := range all {
		all[i] = r.newOne(i)
	}
	jobs := make(chan *one)
	var done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range min(l.Concurrency, l.Returns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range jobs {
				o.started = time.Now()
				o.err = r.drive(ctx, o)
				o.finished = time.Now()
				if o.err != nil {
					rec.fail(errKind(o.err))
				}
				if l.Progress != nil {
					l.Progress(done.Add(1))
				}
			}
		}()
	}
	for _, o := range all {
		select {
		case jobs <- o:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)

	rep := LifecycleReport{Returns: l.Returns, ByKind: map[string]int{}, Concurrency: l.Concurrency, APIs: l.APIs,
		Seconds: elapsed.Seconds()}
	var e2e []time.Duration
	steps := map[string][]time.Duration{}
	reached := 0
	for _, o := range all {
		rep.ByKind[o.kind]++
		if o.err == nil {
			reached++
			e2e = append(e2e, o.finished.Sub(o.started))
		}
	}
	rep.PerSecond = float64(reached) / elapsed.Seconds()
	rep.EndToEnd = summarize(e2e)
	// The final state of every return, read once the load is over — also
	// when it was interrupted, to report how far it got.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	rep.Check = r.check(cctx, all)
	for _, o := range all {
		tl := o.final.Timeline
		for k := 0; k+1 < len(tl); k++ {
			steps[tl[k].Status] = append(steps[tl[k].Status], tl[k+1].At.Sub(tl[k].At))
		}
	}
	rep.Calls = rec.summaries()
	rep.Steps = map[string]Summary{}
	for s, d := range steps {
		rep.Steps[s] = summarize(d)
	}
	rep.Errors = rec.errorCounts()
	rep.Retries = rec.retryCounts()
	return rep, all, ctx.Err()
}

func (r *run) newOne(i int) *one {
	o := &one{i: i, kind: kindOf(r.l.Mix, i)}
	o.number = fmt.Sprintf("LG-%s-%05d", r.id, i)
	o.contact = fmt.Sprintf("lg-%s-%d@loadgen.example", r.id, i)
	if r.l.SMSSink != "" {
		// +1 555 01xx xxxx is fiction's range; the run's id keeps runs apart.
		o.contact = fmt.Sprintf("+1555%s%05d", r.id[2:], i%100000)
	}
	// 10.x.y.z: each return's shopper from an address of its own.
	o.addr = fmt.Sprintf("10.%d.%d.%d", 64+i>>16%64, i>>8&255, i&255)
	if o.kind == KindOnline {
		o.payment = fmt.Sprintf("pay_lg_%s_%d", r.id, i)
	} else {
		o.stan = fmt.Sprintf("%06d", (r.stanAt+i)%1_000_000)
		o.payment = fmt.Sprintf("7%s%05d", r.id, i%100000)
		o.card = fmt.Sprintf("fp_lg_%s_%d", r.id, i)
	}
	return o
}

// sortedKeys is m's keys in order, for printing.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
