//go:build topology

// Package topologyrun runs Rebound in its production shape on one machine
// and breaks it on purpose: a Temporal server as its own process on
// PostgreSQL, `rebound migrate`, two `rebound api` and two `rebound worker`
// processes, the gateway and acquirer simulators; returns driven through the
// APIs while one worker is SIGKILLed and one API restarted, then a rolling
// restart of every process; at the end every return must have reached its
// end state, none lost and none paid twice.
//
// It needs the build tag `topology` (so `make test` never runs it), a
// built binary (REBOUND_BIN) and a Postgres server with trust auth
// (TOPOLOGY_POSTGRES, default postgres://postgres@127.0.0.1:5432).
// `make topology` (scripts/topology) builds the binary once and runs it.
package topologyrun

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/demo"
)

// The secrets of a throwaway run.
const (
	otpSecret      = "topology-otp-secret-of-at-least-32-chars"
	historyKeys    = "k1:dG9wb2xvZ3ktaGlzdG9yeS1rZXktMzItYnl0ZXMhISE="
	gatewayKey     = "topology-gateway-key"
	gatewayWebhook = "topology-gateway-webhook-secret"
	carrierSecret  = "topology-carrier-secret"
	demoPassword   = "topology-demo-password"
	demoAPIKey     = "rbk_topology_demo_key"
)

// Ports: one block (TOPOLOGY_BASE_PORT, default 14000), away from `rebound
// dev`'s and compose's defaults and below the ranges test servers and the
// kernel pick from, so that the run can share the machine with them.
// Temporal's frontend is base+233 (its other services next to it,
// membership 300 below).
var basePort = 14000

// portsFree fails the run at once when a port of the block is taken.
func portsFree(t *testing.T, ports ...int) {
	for _, p := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d is taken (TOPOLOGY_BASE_PORT picks another block): %v", p, err)
		}
		l.Close()
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

func TestTopology(t *testing.T) {
	bin, err := filepath.Abs(env("REBOUND_BIN", "../../bin/rebound"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no rebound binary at %s (make build): %v", bin, err)
	}
	returns := envInt(t, "TOPOLOGY_RETURNS", 30)
	concurrency := envInt(t, "TOPOLOGY_CONCURRENCY", 6)
	pgServer := strings.TrimRight(env("TOPOLOGY_POSTGRES", "postgres://postgres@127.0.0.1:5432"), "/")
	basePort = envInt(t, "TOPOLOGY_BASE_PORT", basePort)
	portsFree(t, basePort+233, basePort+234, basePort+235, basePort+239, basePort-67, basePort-66, basePort-65, basePort-61,
		basePort+80, basePort+81, basePort+90, basePort+91, basePort+92, basePort+583, basePort+584)
	run := strconv.FormatInt(time.Now().Unix(), 36)
	logDir := env("TOPOLOGY_LOGS", filepath.Join(os.TempDir(), "rebound-topology-"+run))
	if err := os.MkdirAll(logDir, 0o750); err != nil {
		t.Fatal(err)
	}
	t.Logf("run %s: %d returns at concurrency %d; process logs in %s", run, returns, concurrency, logDir)

	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()

	// Databases of this run only.
	reboundDB := "rebound_topo_" + run
	temporalDB := "temporal_topo_" + run
	admin, err := sql.Open("pgx", pgServer+"/postgres?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+reboundDB+`"`); err != nil {
		t.Fatalf("create %s: %v", reboundDB, err)
	}
	reboundURL := pgServer + "/" + reboundDB + "?sslmode=disable"
	temporalURL := pgServer + "/" + temporalDB + "?sslmode=disable"
	defer func() {
		if t.Failed() || os.Getenv("TOPOLOGY_KEEP") != "" {
			t.Logf("databases kept: %s, %s, %s_visibility", reboundDB, temporalDB, temporalDB)
			return
		}
		for _, name := range []string{reboundDB, temporalDB, temporalDB + "_visibility"} {
			if _, err := admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
				t.Logf("drop %s: %v", name, err)
			}
		}
	}()

	temporalPort := basePort + 233
	temporalAddr := "127.0.0.1:" + strconv.Itoa(temporalPort)
	sms := newSMSSink()
	defer sms.Close()
	loadgen := os.Getenv("TOPOLOGY_LOADGEN") != ""
	// The workers send SMS to this run's sink, or with TOPOLOGY_LOADGEN to
	// the load generator's own (--sms-sink), where it reads the codes.
	smsURL, loadgenSMS := sms.URL+"/sms", fmt.Sprintf("127.0.0.1:%d", basePort+95)
	if loadgen {
		smsURL = "http://" + loadgenSMS + "/sms"
	}
	smtp := startSMTPSink(t)
	defer smtp.Close()

	common := []string{
		"REBOUND_DATABASE_URL=" + reboundURL,
		"REBOUND_TEMPORAL_ADDRESS=" + temporalAddr,
		"REBOUND_LOG_FORMAT=json",
		"REBOUND_OTP_SECRET=" + otpSecret,
		"REBOUND_HISTORY_KEYS=" + historyKeys,
		"REBOUND_GATEWAY_API_KEY=" + gatewayKey,
		"REBOUND_GATEWAY_WEBHOOK_SECRET=" + gatewayWebhook,
		"REBOUND_CARRIER_WEBHOOK_SECRET=" + carrierSecret,
		"REBOUND_METRICS_TOKEN=topology-metrics",
		"REBOUND_SETTLEMENT_DIR=" + filepath.Join(logDir, "settlements"),
	}
	gatewayAddr := fmt.Sprintf("127.0.0.1:%d", basePort+90)
	acquirerAddr := fmt.Sprintf("127.0.0.1:%d", basePort+583)
	acquirerAdmin := fmt.Sprintf("127.0.0.1:%d", basePort+584)
	apiAddrs := []string{fmt.Sprintf("127.0.0.1:%d", basePort+80), fmt.Sprintf("127.0.0.1:%d", basePort+81)}
	workerAddrs := []string{fmt.Sprintf("127.0.0.1:%d", basePort+91), fmt.Sprintf("127.0.0.1:%d", basePort+92)}

	ps := &procs{t: t, bin: bin, logDir: logDir}
	defer ps.stopAll()

	// 1. Temporal: its schema with the server's own SQL tool, then the server.
	step := time.Now()
	if !mustRun(t, ctx, bin, logDir, "temporal-schema", nil, "temporal", "--database", temporalURL, "setup-schema") {
		t.FailNow()
	}
	temporal := ps.start("temporal", nil, healthProbe{grpc: temporalAddr},
		"temporal", "--database", temporalURL, "--port", strconv.Itoa(temporalPort), "serve")
	t.Logf("temporal server on postgres up in %v", time.Since(step).Round(time.Millisecond))

	// 2. Rebound's schema, then the demo merchant (production seeds no merchant;
	// the run needs one with staff and an API key).
	if !mustRun(t, ctx, bin, logDir, "migrate", common, "migrate") {
		t.FailNow()
	}
	account := seed(t, ctx, reboundURL)

	// 3. The simulators, two workers, two APIs.
	gateway := ps.start("gateway", append(slices.Clone(common), "REBOUND_GATEWAY_ADDR="+gatewayAddr,
		"REBOUND_GATEWAY_WEBHOOK_URL=http://"+apiAddrs[0]+"/v1/gateway/events"), healthProbe{http: "http://" + gatewayAddr + "/healthz"}, "gateway")
	acquirer := ps.start("acquirer", append(slices.Clone(common), "REBOUND_ACQUIRER_ADDR="+acquirerAddr,
		"REBOUND_ACQUIRER_ADMIN_ADDR="+acquirerAdmin), healthProbe{http: "http://" + acquirerAdmin + "/healthz"}, "acquirer")
	var workers, apis []*proc
	for i, addr := range workerAddrs {
		workers = append(workers, ps.start(fmt.Sprintf("worker%d", i+1), append(slices.Clone(common),
			"REBOUND_HTTP_ADDR="+addr, "REBOUND_PUBLIC_URL=http://"+apiAddrs[0], "REBOUND_SMTP_ADDR="+smtp.Addr(),
			"REBOUND_SMS_URL="+smsURL, "REBOUND_GATEWAY_URL=http://"+gatewayAddr, "REBOUND_ACQUIRER_ADDR="+acquirerAddr),
			healthProbe{http: "http://" + addr + "/readyz"}, "worker"))
	}
	for i, addr := range apiAddrs {
		// Each shopper calls from an address of its own (X-Forwarded-For, the
		// test being the proxy): one address for all would hit the per-address
		// limits.
		apis = append(apis, ps.start(fmt.Sprintf("api%d", i+1), append(slices.Clone(common), "REBOUND_HTTP_ADDR="+addr,
			"REBOUND_TRUSTED_PROXIES=127.0.0.1"),
			healthProbe{http: "http://" + addr + "/readyz"}, "api"))
	}
	_ = gateway
	_ = acquirer
	t.Logf("topology up in %v", time.Since(step).Round(time.Millisecond))

	// 4. The load: the built-in driver, or with TOPOLOGY_LOADGEN `rebound
	// loadgen lifecycle`, which reaches the shoppers by SMS through its own
	// sink and checks the books itself; the faults below stay the same.
	var bases []string
	for _, a := range apiAddrs {
		bases = append(bases, "http://"+a)
	}
	d := &driver{t: t, bases: bases, sms: sms, run: run, gateway: "http://" + gatewayAddr, account: account}
	d.login(ctx)

	loadStart := time.Now()
	loadDone := make(chan struct{})
	// TOPOLOGY_FAULTS=0 measures instead: no kills, no restarts, and the
	// loadgen's floor on this topology's Temporal for the ratio.
	faults := os.Getenv("TOPOLOGY_FAULTS") != "0"
	if loadgen {
		d.finishedFrom = reboundURL
		args := []string{"loadgen", "lifecycle", "--api", strings.Join(bases, ","),
			"--returns", strconv.Itoa(returns), "--concurrency", strconv.Itoa(concurrency), "--mix", "online=3,card=1",
			"--sms-sink", loadgenSMS, "--register-payments", "--gateway-account", account, "--json",
			"--api-key", demoAPIKey, "--password", demoPassword, "--carrier-secret", carrierSecret,
			"--gateway-url", "http://" + gatewayAddr, "--gateway-key", gatewayKey, "--acquirer-admin-url", "http://" + acquirerAdmin}
		if !faults {
			args = append(args, "--floor", "--temporal-address", temporalAddr)
		}
		go func() {
			defer close(loadDone)
			mustRun(t, ctx, bin, logDir, "loadgen", nil, args...)
		}()
	} else {
		go func() {
			defer close(loadDone)
			d.drive(ctx, returns, concurrency)
		}()
	}

	if faults {
		// 5. Faults in the middle of the load: SIGKILL a worker (its activities
		// and workflow tasks in flight are retried on the other), restart an API.
		d.waitFinished(ctx, returns/4, loadDone)
		t.Logf("fault: SIGKILL worker1 after %d returns finished", d.finished.Load())
		workers[0].kill(syscall.SIGKILL)
		time.Sleep(2 * time.Second)
		workers[0].restart()
		t.Log("fault: restart api1")
		apis[0].kill(syscall.SIGTERM)
		apis[0].restart()

		// 6. A rolling restart of every process while the load goes on: one at a
		// time, each back to ready before the next. The simulators hold the
		// books this run checks (what was paid), so they stay up.
		d.waitFinished(ctx, returns/2, loadDone)
		t.Logf("rolling restart after %d returns finished", d.finished.Load())
		for _, p := range []*proc{temporal, workers[0], workers[1], apis[0], apis[1]} {
			p.kill(syscall.SIGTERM)
			p.restart()
		}
		t.Log("rolling restart done")
	}

	<-loadDone
	elapsed := time.Since(loadStart)
	if t.Failed() {
		t.FailNow()
	}

	// 7. The books: every return at its end state, none lost, none paid twice.
	// (The loadgen checks its own against the simulators; here the database
	// must hold as many returns as it made.)
	if loadgen {
		conn, err := sql.Open("pgx", reboundURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM returns`).Scan(&n); err != nil || n != returns {
			t.Errorf("the database holds %d returns (%v), want %d", n, err, returns)
		}
		t.Logf("RESULT: loadgen drove %d returns in %v", returns, elapsed.Round(time.Millisecond))
		return
	}
	d.check(ctx, reboundURL, returns)
	t.Logf("RESULT: %d returns finished in %v (%.2f returns/s) through 2 APIs and 2 workers, with 1 worker SIGKILLed, "+
		"1 API restarted and a rolling restart of temporal, the workers and the APIs; API retries %d",
		returns, elapsed.Round(time.Millisecond), float64(returns)/elapsed.Seconds(), d.retries.Load())
	t.Logf("retries by answer: %v", d.kinds)
}

// seed creates the demo merchant, its staff and API key in the topology's
// database, and answers the merchant's account at the gateway.
func seed(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	d, err := db.Open(url, db.DefaultPool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := demo.Seed(ctx, d, demo.Options{Password: demoPassword, APIKey: demoAPIKey}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	m, err := d.Merchants.MerchantBySlug(ctx, demo.Merchant)
	if err != nil {
		t.Fatal(err)
	}
	return m.GatewayAccountName()
}

// mustRun runs a one-shot subcommand to its end and says whether it passed.
func mustRun(t *testing.T, ctx context.Context, bin, logDir, name string, environ []string, args ...string) bool {
	t.Helper()
	out, err := os.Create(filepath.Join(logDir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = processEnv(environ), out, out
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(out.Name())
		t.Errorf("rebound %s: %v\n%s", strings.Join(args, " "), err, tail(b))
		return false
	}
	return true
}

// processEnv is this process's environment without REBOUND_ variables, plus
// extra: each process gets exactly the configuration the test gives it.
func processEnv(extra []string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REBOUND_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

func tail(b []byte) string {
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// healthProbe says how to know a process is serving.
type healthProbe struct {
	http string // GET answers 200
	grpc string // `rebound temporal health` passes
}

type procs struct {
	t      *testing.T
	bin    string
	logDir string
	mu     sync.Mutex
	all    []*proc
}

type proc struct {
	ps       *procs
	name     string
	environ  []string
	args     []string
	probe    healthProbe
	cmd      *exec.Cmd
	done     chan struct{}
	restarts int
}

func (ps *procs) start(name string, environ []string, probe healthProbe, args ...string) *proc {
	p := &proc{ps: ps, name: name, environ: environ, args: args, probe: probe}
	ps.mu.Lock()
	ps.all = append(ps.all, p)
	ps.mu.Unlock()
	p.launch()
	return p
}

func (p *proc) launch() {
	t := p.ps.t
	out, err := os.OpenFile(filepath.Join(p.ps.logDir, p.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(p.ps.bin, p.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = processEnv(p.environ), out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); out.Close(); close(done) }()
	p.cmd, p.done = cmd, done
	start := time.Now()
	for !p.healthy() {
		select {
		case <-done:
			b, _ := os.ReadFile(out.Name())
			t.Fatalf("%s exited while starting:\n%s", p.name, tail(b))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("%s not ready after 2 minutes", p.name)
		}
	}
	t.Logf("%s ready in %v (pid %d)", p.name, time.Since(start).Round(time.Millisecond), cmd.Process.Pid)
}

func (p *proc) healthy() bool {
	if p.probe.http != "" {
		r, err := http.Get(p.probe.http)
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	}
	return exec.Command(p.ps.bin, "temporal", "--address", p.probe.grpc, "health").Run() == nil
}

// kill signals the process and waits for it to exit.
func (p *proc) kill(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		p.ps.t.Errorf("%s did not exit within a minute of %v; killing it", p.name, sig)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) restart() {
	p.restarts++
	p.launch()
}

func (ps *procs) stopAll() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for i := len(ps.all) - 1; i >= 0; i-- {
		p := ps.all[i]
		select {
		case <-p.done:
		default:
			p.kill(syscall.SIGTERM)
		}
	}
}

// smsSink is the SMS provider: it keeps the newest message per number.
type smsSink struct {
	*httptest.Server
	mu   sync.Mutex
	last map[string]string
}

func newSMSSink() *smsSink {
	s := &smsSink{last: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ To, Body string }
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.last[m.To] = m.Body
		s.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	return s
}

var codeRe = regexp.MustCompile(`code is (\d{6})`)

func (s *smsSink) code(phone string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := codeRe.FindStringSubmatch(s.last[phone]); m != nil {
		return m[1]
	}
	return ""
}

// smtpSink accepts and drops mail: the workers need an SMTP server, and the
// run's shoppers are reached by SMS.
type smtpSink struct{ l net.Listener }

func startSMTPSink(t *testing.T) *smtpSink {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveSMTP(c)
		}
	}()
	return &smtpSink{l: l}
}

func (s *smtpSink) Addr() string { return s.l.Addr().String() }
func (s *smtpSink) Close()       { s.l.Close() }

func serveSMTP(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	buf := make([]byte, 4096)
	fmt.Fprint(c, "220 sink\r\n")
	inData := false
	var pending []byte
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		pending = append(pending, buf[:n]...)
		for {
			i := bytes.Index(pending, []byte("\r\n"))
			if i < 0 {
				break
			}
			line := string(pending[:i])
			pending = pending[i+2:]
			if inData {
				if line == "." {
					inData = false
					fmt.Fprint(c, "250 ok\r\n")
				}
				continue
			}
			switch cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0]); cmd {
			case "EHLO", "HELO":
				fmt.Fprint(c, "250 sink\r\n")
			case "DATA":
				inData = true
				fmt.Fprint(c, "354 go on\r\n")
			case "QUIT":
				fmt.Fprint(c, "221 bye\r\n")
				return
			default:
				fmt.Fprint(c, "250 ok\r\n")
			}
		}
	}
}

// driver files and follows returns through the APIs, round robin.
type driver struct {
	t        *testing.T
	bases    []string
	sms      *smsSink
	run      string
	gateway  string
	account  string // the merchant's at the gateway
	next     atomic.Uint64
	finished atomic.Int64
	// finishedFrom, when set, is the database the finished returns are
	// counted in (the load generator drives, not this driver).
	finishedFrom string
	retries      atomic.Int64
	kindsMu      sync.Mutex
	kinds        map[string]int // retries by answer: a status code or "network"
	clerk        string
	super        string

	mu  sync.Mutex
	ids map[string]string // return id → gateway payment id
}

type answer struct {
	status int
	body   []byte
}

func (a answer) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(a.body, &m)
	return m
}

var client = &http.Client{Timeout: 30 * time.Second}

// call sends one request to the next API, and again (to the next one) while
// the answer is a network error, a 5xx, a 429 or a 409 (a request in flight
// under the same key, or a step the workflow does not accept yet): the APIs
// and workers restart under it. Every POST carries an Idempotency-Key, so a
// retried POST does its work once.
func (d *driver) call(ctx context.Context, method, path string, body any, header ...string) (answer, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return answer{}, err
		}
	}
	deadline := time.Now().Add(3 * time.Minute)
	var last string
	for try := 0; ; try++ {
		base := d.bases[d.next.Add(1)%uint64(len(d.bases))]
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(raw))
		if err != nil {
			return answer{}, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode < 300, resp.StatusCode >= 400 && resp.StatusCode < 500 &&
				resp.StatusCode != http.StatusConflict && resp.StatusCode != http.StatusTooManyRequests &&
				resp.StatusCode != http.StatusRequestTimeout:
				return answer{resp.StatusCode, b}, nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, b)
			d.retried(fmt.Sprintf("%d %s", resp.StatusCode, path))
		} else {
			last = err.Error()
			d.retried("network " + path)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return answer{}, fmt.Errorf("%s %s: still failing after 3 minutes: %s", method, path, last)
		}
		d.retries.Add(1)
		time.Sleep(time.Duration(min(200*(try+1), 2000)) * time.Millisecond)
	}
}

// retried counts a retry by its answer and route (ids folded away).
func (d *driver) retried(kind string) {
	kind = idRe.ReplaceAllString(kind, "{id}")
	d.kindsMu.Lock()
	defer d.kindsMu.Unlock()
	if d.kinds == nil {
		d.kinds = map[string]int{}
	}
	d.kinds[kind]++
}

var idRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f-]{27}`)

func (d *driver) must(ctx context.Context, want int, method, path string, body any, header ...string) map[string]any {
	a, err := d.call(ctx, method, path, body, header...)
	if err != nil {
		panic(err)
	}
	if a.status != want && !(want == 201 && a.status == 200) {
		panic(fmt.Errorf("%s %s: %d %s (want %d)", method, path, a.status, a.body, want))
	}
	return a.json()
}

func (d *driver) login(ctx context.Context) {
	for _, who := range []string{"clerk", "supervisor"} {
		a, err := d.call(ctx, "POST", "/v1/auth/login", map[string]string{"merchant": demo.Merchant, "username": who, "password": demoPassword})
		if err != nil || a.status != 200 {
			d.t.Fatalf("login %s: %v %d %s", who, err, a.status, a.body)
		}
		tok, _ := a.json()["token"].(string)
		if who == "clerk" {
			d.clerk = tok
		} else {
			d.super = tok
		}
	}
}

// drive runs n returns, c at a time.
func (d *driver) drive(ctx context.Context, n, c int) {
	d.ids = map[string]string{}
	work := make(chan int)
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := d.one(ctx, i); err != nil {
					d.t.Errorf("return %d: %v", i, err)
				}
				d.finished.Add(1)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

// one takes an online return from the order to awaiting_settlement: the
// order, its payment at the gateway, filing, the SMS code, verification
// (auto-approved: one shirt is under the demo's limit), the carrier's
// events, the inspection, the gateway's refund.
func (d *driver) one(ctx context.Context, i int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	number := fmt.Sprintf("T%s-%04d", strings.ToUpper(d.run), i)
	phone := fmt.Sprintf("+4670%07d", 1000000+i)
	payment := "pay_" + strings.ToLower(number)
	from := []string{"X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256)}
	key := func(step string) []string { return append([]string{"Idempotency-Key", number + "-" + step}, from...) }
	now := time.Now().UTC()
	order := map[string]any{
		"order_number": number, "currency": "EUR",
		"placed_at":       now.Add(-48 * time.Hour).Format(time.RFC3339),
		"delivered_at":    now.Add(-24 * time.Hour).Format(time.RFC3339),
		"shipping_amount": 595,
		"customer":        map[string]any{"name": "Topo Shopper", "email": "topo@example.com", "phone": phone},
		"lines": []map[string]any{
			{"line_id": "L1", "sku": "SHIRT", "name": "Shirt", "category": "apparel", "quantity": 2, "unit_price": 2500, "discount": 300},
		},
		"payment": map[string]any{"channel": "online", "amount": 2*2500 - 300 + 595, "gateway_payment_id": payment},
	}
	d.must(ctx, 201, "POST", "/v1/orders", order, append(key("order"), "X-API-Key", demoAPIKey)...)
	d.gatewayPayment(ctx, payment, 2*2500-300+595)

	filed := d.must(ctx, 201, "POST", "/v1/returns", map[string]any{
		"merchant": demo.Merchant, "order_number": number, "contact": phone, "method": "ship",
		"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "defective"}},
	}, key("file")...)
	id, _ := filed["id"].(string)
	if id == "" {
		return fmt.Errorf("filed without an id: %v", filed)
	}
	d.mu.Lock()
	d.ids[id] = payment
	d.mu.Unlock()

	var code string
	for deadline := time.Now().Add(3 * time.Minute); code == ""; time.Sleep(100 * time.Millisecond) {
		if code = d.sms.code(phone); code == "" && time.Now().After(deadline) {
			return errors.New("no code reached the shopper by SMS")
		}
	}
	v := d.must(ctx, 200, "POST", "/v1/returns/"+id+"/verify", map[string]string{"code": code}, key("verify")...)
	shopper, _ := v["token"].(string)
	ret, _ := v["return"].(map[string]any)
	if ret["status"] == "awaiting_review" {
		d.must(ctx, 200, "POST", "/v1/merchant/returns/"+id+"/review", map[string]string{"decision": "approve", "reason": "ok"},
			append(key("review"), "Authorization", "Bearer "+d.super)...)
	}
	got := d.waitStatus(ctx, id, shopper, "awaiting_shipment", from...)
	tracking, _ := got["tracking_number"].(string)
	if tracking == "" {
		return fmt.Errorf("awaiting shipment without a tracking number: %v", got)
	}
	for n, event := range []string{"in_transit", "delivered"} {
		body, _ := json.Marshal(map[string]string{"event_id": fmt.Sprintf("%s-c%d", number, n), "tracking_number": tracking,
			"event": event, "occurred_at": time.Now().UTC().Format(time.RFC3339)})
		m := hmac.New(sha256.New, []byte(carrierSecret))
		m.Write(body)
		a, err := d.call(ctx, "POST", "/v1/carrier/events", json.RawMessage(body), "X-Rebound-Signature", hex.EncodeToString(m.Sum(nil)))
		if err != nil || (a.status != 202 && a.status != 200) {
			return fmt.Errorf("carrier %s: %v %d %s", event, err, a.status, a.body)
		}
	}
	d.waitStatus(ctx, id, shopper, "awaiting_inspection", from...)
	d.must(ctx, 200, "POST", "/v1/merchant/returns/"+id+"/inspection", map[string]any{"lines": []map[string]any{
		{"line_id": "L1", "accepted_quantity": 1, "rejected_quantity": 0, "condition": "new"}}},
		append(key("inspect"), "Authorization", "Bearer "+d.clerk)...)
	d.waitStatus(ctx, id, shopper, "awaiting_settlement", from...)
	return nil
}

// gatewayPayment tells the gateway simulator about the order's payment, as
// a real gateway knows the payments it took.
func (d *driver) gatewayPayment(ctx context.Context, id string, amount int64) {
	body, _ := json.Marshal(map[string]any{"id": id, "amount": amount, "currency": "EUR", "account": d.account})
	req, _ := http.NewRequestWithContext(ctx, "POST", d.gateway+"/admin/payments", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+gatewayKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		panic(fmt.Errorf("gateway payment: %w", err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 && resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		panic(fmt.Errorf("gateway payment: %d %s", resp.StatusCode, b))
	}
}

// statusOrder ranks the statuses an online return passes through, so that
// waiting for one is satisfied by any later one.
var statusOrder = []string{"pending_verification", "submitted", "awaiting_review", "approved", "awaiting_shipment",
	"in_transit", "received", "awaiting_inspection", "refund_pending", "refunded", "awaiting_settlement"}

func (d *driver) waitStatus(ctx context.Context, id, token, status string, header ...string) map[string]any {
	want := slices.Index(statusOrder, status)
	deadline := time.Now().Add(4 * time.Minute)
	var last map[string]any
	for time.Now().Before(deadline) {
		last = d.must(ctx, 200, "GET", "/v1/returns/"+id, nil, append([]string{"Authorization", "Bearer " + token}, header...)...)
		s, _ := last["status"].(string)
		if slices.Index(statusOrder, s) >= want {
			return last
		}
		if !slices.Contains(statusOrder, s) {
			panic(fmt.Errorf("return %s is %s, off the path to %s", id, s, status))
		}
		time.Sleep(150 * time.Millisecond)
	}
	panic(fmt.Errorf("return %s not %s after 4 minutes: %v", id, status, last["status"]))
}

// waitFinished returns once n returns finished or the load ended.
func (d *driver) waitFinished(ctx context.Context, n int, done <-chan struct{}) {
	for d.finishedCount(ctx) < int64(n) {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// finishedCount is how many returns reached the end: counted by the
// driver, or read from the database when the load generator drives.
func (d *driver) finishedCount(ctx context.Context) int64 {
	if d.finishedFrom == "" {
		return d.finished.Load()
	}
	conn, err := sql.Open("pgx", d.finishedFrom)
	if err != nil {
		return 0
	}
	defer conn.Close()
	var n int64
	_ = conn.QueryRowContext(ctx, `SELECT count(*) FROM returns WHERE status = 'awaiting_settlement'`).Scan(&n)
	d.finished.Store(n)
	return n
}

// check reads the books: the database holds exactly the returns filed, each
// at awaiting_settlement with a succeeded refund; the gateway's report holds
// one refund for each of their payments and no other.
func (d *driver) check(ctx context.Context, url string, n int) {
	t := d.t
	if len(d.ids) != n {
		t.Errorf("%d returns filed, want %d", len(d.ids), n)
	}
	conn, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT id, status FROM returns`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	inDB := map[string]string{}
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			t.Fatal(err)
		}
		inDB[id] = status
	}
	lost, notDone := 0, 0
	for id := range d.ids {
		s, ok := inDB[id]
		switch {
		case !ok:
			lost++
		case s != "awaiting_settlement":
			notDone++
			t.Errorf("return %s ended at %s", id, s)
		}
	}
	if extra := len(inDB) - len(d.ids) + lost; extra != 0 {
		t.Errorf("the database holds %d returns nobody filed", extra)
	}

	req, _ := http.NewRequestWithContext(ctx, "GET", d.gateway+"/admin/report?date="+time.Now().UTC().Format(time.DateOnly), nil)
	req.Header.Set("Authorization", "Bearer "+gatewayKey)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("gateway report: %v", err)
	}
	col := slices.Index(records[0], "payment_id")
	statusCol := slices.Index(records[0], "status")
	if col < 0 {
		t.Fatalf("gateway report columns %v", records[0])
	}
	paid := map[string]int{}
	for _, r := range records[1:] {
		if statusCol < 0 || r[statusCol] == "succeeded" {
			paid[r[col]]++
		}
	}
	twice, unpaid := 0, 0
	for _, p := range d.ids {
		switch paid[p] {
		case 0:
			unpaid++
		case 1:
		default:
			twice++
			t.Errorf("payment %s refunded %d times", p, paid[p])
		}
	}
	t.Logf("BOOKS: filed %d, in the database %d, at awaiting_settlement %d, lost %d, not finished %d; "+
		"gateway refunds %d, paid twice %d, unpaid %d", len(d.ids), len(inDB), len(d.ids)-lost-notDone, lost, notDone,
		len(records)-1, twice, unpaid)
	if lost != 0 || unpaid != 0 || twice != 0 || len(records)-1 != len(d.ids) {
		t.Errorf("books do not balance")
	}
}
