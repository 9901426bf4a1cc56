package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/devstack"
	"github.com/rebound-returns/rebound/worker"
)

// The test binary doubles as the rebound binary: with this variable set it
// runs the command line instead of the tests, so the tests can start real
// processes and signal them without building anything else.
const asBinary = "REBOUND_TEST_RUN_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinary) == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
	}
	os.Exit(m.Run())
}

// proc is a rebound process started by a test.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String() + p.stderr.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(b)
}

// start runs `rebound args...` in dir with only the given REBOUND_ variables.
func start(t *testing.T, dir string, vars map[string]string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REBOUND_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, asBinary+"=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = lockedWriter{&p.mu, &p.stdout}
	cmd.Stderr = lockedWriter{&p.mu, &p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of rebound %s:\n%s", strings.Join(args, " "), p.output())
		}
	})
	return p
}

// interrupt sends SIGINT and returns the exit status and how long it took.
func (p *proc) interrupt(t *testing.T) (int, time.Duration) {
	t.Helper()
	begin := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("process did not exit within 20s of SIGINT")
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(begin)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type readiness struct {
	Status string   `json:"status"`
	Down   []string `json:"down"`
}

// waitReady polls /readyz until want(status, body) holds or time runs out.
func waitReady(t *testing.T, p *proc, base string, want func(int, readiness) bool) readiness {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var last readiness
	lastCode := 0
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("process exited early: %v", p.err)
		default:
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last, lastCode = readiness{}, resp.StatusCode
			_ = json.Unmarshal(body, &last)
			if want(resp.StatusCode, last) {
				return last
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("readiness never came: last %d %+v", lastCode, last)
	return last
}

func ready(code int, _ readiness) bool { return code == http.StatusOK }

// started waits until p answers on base, or reports false if it exited
// because a port was taken.
func started(p *proc, base string) bool {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return !strings.Contains(p.output(), "address already in use")
		default:
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

const otpSecret = "test-otp-secret-0123456789abcdef0123"

func TestDevRunsEverythingSurvivesRestartAndStopsOnSIGINT(t *testing.T) {
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dir := t.TempDir()
			dbURL := ""
			if e.Name != "sqlite" {
				dbURL = e.URL(t)
			}
			// Every port is the test's own; a port taken between choosing it
			// and binding it (another package's test) means choosing again.
			var first *proc
			var httpAddr, temporalAddr string
			var vars map[string]string
			var args []string
			for try := 0; ; try++ {
				httpAddr, temporalAddr = freeAddr(t), freeAddr(t)
				vars = map[string]string{"REBOUND_TEMPORAL_ADDRESS": temporalAddr, "REBOUND_GATEWAY_ADDR": freeAddr(t),
					"REBOUND_ACQUIRER_ADDR": freeAddr(t), "REBOUND_ACQUIRER_ADMIN_ADDR": freeAddr(t)}
				if dbURL != "" {
					vars["REBOUND_DATABASE_URL"] = dbURL
				}
				args = []string{"dev", "--http-addr", httpAddr, "--data-dir", filepath.Join(dir, "state")}
				first = start(t, dir, vars, args...)
				if started(first, "http://"+httpAddr) || try == 2 {
					break
				}
			}
			waitReady(t, first, "http://"+httpAddr, ready)
			out := first.output()
			for _, want := range []string{"http://" + httpAddr, temporalAddr, "schema version"} {
				if !strings.Contains(out, want) {
					t.Errorf("dev does not print %q:\n%s", want, out)
				}
			}

			// Leave a workflow running on a queue nobody polls.
			c, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
				ID: "persistence-probe", TaskQueue: "nobody-polls",
			}, "Probe")
			c.Close()
			if err != nil {
				t.Fatal(err)
			}

			code, took := first.interrupt(t)
			if code != 0 || took > 10*time.Second {
				t.Fatalf("SIGINT: exit %d after %s; want 0 within 10s", code, took)
			}
			t.Logf("first start stopped in %s", took)
			if _, err := os.Stat(filepath.Join(dir, "state", "temporal.db")); err != nil {
				t.Fatalf("temporal state not kept under the data dir: %v", err)
			}

			second := start(t, dir, vars, args...)
			waitReady(t, second, "http://"+httpAddr, ready)
			c, err = client.Dial(client.Options{HostPort: temporalAddr, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			desc, err := c.DescribeWorkflowExecution(context.Background(), "persistence-probe", run.GetRunID())
			c.Close()
			if err != nil {
				t.Fatalf("the second start lost the first one's workflow: %v", err)
			}
			if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				t.Fatalf("workflow status after restart = %s", st)
			}
			if code, took := second.interrupt(t); code != 0 || took > 10*time.Second {
				t.Fatalf("second SIGINT: exit %d after %s", code, took)
			}
		})
	}
}

func TestAPIReadinessNamesWhatIsMissing(t *testing.T) {
	ts, err := devstack.Start(context.Background(), devstack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Stop()
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "rebound.db")
	var stdout, stderr bytes.Buffer
	if code := cli.Main([]string{"migrate"}, &stdout, &stderr, lookup(map[string]string{"REBOUND_DATABASE_URL": dbURL})); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr.String())
	}

	check := func(name string, vars map[string]string, want ...string) {
		t.Helper()
		vars["REBOUND_OTP_SECRET"] = otpSecret
		addr := freeAddr(t)
		vars["REBOUND_HTTP_ADDR"] = addr
		p := start(t, dir, vars, "api")
		got := waitReady(t, p, "http://"+addr, func(code int, r readiness) bool {
			return code == http.StatusServiceUnavailable && strings.Join(r.Down, ",") == strings.Join(want, ",")
		})
		t.Logf("%s: 503, down %v", name, got.Down)
		if code, took := p.interrupt(t); code != 0 || took > 10*time.Second {
			t.Fatalf("%s: SIGINT exit %d after %s", name, code, took)
		}
	}
	check("no worker", map[string]string{"REBOUND_DATABASE_URL": dbURL, "REBOUND_TEMPORAL_ADDRESS": ts.HostPort()}, "worker")
	check("no temporal", map[string]string{"REBOUND_DATABASE_URL": dbURL, "REBOUND_TEMPORAL_ADDRESS": freeAddr(t)}, "temporal", "worker")
	check("no database", map[string]string{"REBOUND_DATABASE_URL": "postgres://rebound@" + freeAddr(t) + "/rebound", "REBOUND_TEMPORAL_ADDRESS": ts.HostPort()}, "database", "worker")

	// With a worker polling, the same API becomes ready.
	c, err := client.Dial(client.Options{HostPort: ts.HostPort(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, err := db.Open(dbURL, db.DefaultPool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = worker.Run(ctx, c, worker.Deps{Activities: activities.New(activities.Deps{DB: d}), StopTimeout: time.Second})
	})
	defer func() { cancel(); wg.Wait() }()
	addr := freeAddr(t)
	p := start(t, dir, map[string]string{"REBOUND_DATABASE_URL": dbURL, "REBOUND_TEMPORAL_ADDRESS": ts.HostPort(), "REBOUND_HTTP_ADDR": addr, "REBOUND_OTP_SECRET": otpSecret}, "api")
	waitReady(t, p, "http://"+addr, ready)
	if code, _ := p.interrupt(t); code != 0 {
		t.Fatalf("SIGINT exit %d", code)
	}
}

func TestBadConfigurationStopsWithOneLineAndStatus2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		vars map[string]string
		want string
	}{
		{[]string{"api"}, map[string]string{"REBOUND_DATABASE_URL": "nonsense"}, "REBOUND_DATABASE_URL"},
		{[]string{"api"}, map[string]string{"REBOUND_DATABASE_URL": "sqlite:x.db"}, "REBOUND_OTP_SECRET"},
		{[]string{"worker"}, map[string]string{}, "REBOUND_DATABASE_URL"},
		{[]string{"dev", "--http-addr", "8080"}, map[string]string{}, "--http-addr"},
		{[]string{"dev"}, map[string]string{"REBOUND_LOG_LEVEL": "chatty"}, "REBOUND_LOG_LEVEL"},
		{[]string{"migrate"}, map[string]string{"REBOUND_DATABASE_URL": "postgres://admin:hunter2@db"}, "REBOUND_DATABASE_URL"},
		{[]string{"frobnicate"}, map[string]string{}, "unknown command"},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := cli.Main(tc.args, &stdout, &stderr, lookup(tc.vars))
		msg := stderr.String()
		if code != 2 || !strings.Contains(strings.SplitN(msg, "\n", 2)[0], tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a first line naming %s", tc.args, code, msg, tc.want)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("%v: stderr echoes a password", tc.args)
		}
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"dev", "api", "worker", "migrate", "gateway", "healthcheck"} {
		var stdout, stderr bytes.Buffer
		if code := cli.Main([]string{name, "--help"}, &stdout, &stderr, lookup(nil)); code != 0 || !strings.Contains(stdout.String(), "Usage: rebound "+name) {
			t.Errorf("%s --help: exit %d, stdout %q", name, code, stdout.String())
		}
	}
	var stdout bytes.Buffer
	if code := cli.Main([]string{"--help"}, &stdout, io.Discard, lookup(nil)); code != 0 || !strings.Contains(stdout.String(), "migrate") {
		t.Errorf("--help: exit %d, %q", code, stdout.String())
	}
	// A subcommand's help needs no database (issue 18: `rebound admin
	// create-merchant -h` without one answered that REBOUND_DATABASE_URL is
	// required).
	for _, args := range [][]string{{"admin", "create-merchant", "-h"}, {"admin", "create-api-key", "--help"}, {"admin", "list-merchants", "-help"}} {
		var stdout, stderr bytes.Buffer
		if code := cli.Main(args, &stdout, &stderr, lookup(nil)); code != 0 || !strings.Contains(stdout.String(), "Usage of rebound "+args[0]+" "+args[1]) ||
			strings.Contains(stderr.String(), "REBOUND_DATABASE_URL") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
	// Without help asked for, the database is still required.
	var stderr bytes.Buffer
	if code := cli.Main([]string{"admin", "list-merchants"}, io.Discard, &stderr, lookup(nil)); code == 0 || !strings.Contains(stderr.String(), "REBOUND_DATABASE_URL") {
		t.Errorf("admin list-merchants without a database: exit %d, %q", code, stderr.String())
	}
}

func TestMigrateUpDownAndStatus(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines(t) {
		latest := dbtest.LatestVersion(t, e)
		vars := map[string]string{"REBOUND_DATABASE_URL": e.URL(t), "REBOUND_LOG_LEVEL": "error"}
		for _, step := range []struct {
			args []string
			want string
		}{
			{[]string{"migrate"}, fmt.Sprintf("version %d of %d", latest, latest)},
			{[]string{"migrate", "down", "0"}, fmt.Sprintf("version 0 of %d", latest)},
			{[]string{"migrate", "status"}, fmt.Sprintf("version 0 of %d", latest)},
			{[]string{"migrate", "up"}, fmt.Sprintf("version %d of %d", latest, latest)},
			{[]string{"migrate", "sideways"}, "usage"},
		} {
			var stdout, stderr bytes.Buffer
			code := cli.Main(step.args, &stdout, &stderr, lookup(vars))
			if step.want == "usage" {
				if code == 0 || !strings.Contains(stderr.String(), "usage") {
					t.Fatalf("%v: exit %d, %q", step.args, code, stderr.String())
				}
				continue
			}
			if code != 0 || !strings.Contains(stdout.String(), step.want) {
				t.Fatalf("%s %v: exit %d, %q %q; want %q", e.Name, step.args, code, stdout.String(), stderr.String(), step.want)
			}
		}
	}
}

func lookup(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func quietLogger() *sdkLogger { return &sdkLogger{} }

// sdkLogger drops the SDK client's own log lines in tests.
type sdkLogger struct{}

func (*sdkLogger) Debug(string, ...any) {}
func (*sdkLogger) Info(string, ...any)  {}
func (*sdkLogger) Warn(string, ...any)  {}
func (*sdkLogger) Error(string, ...any) {}

// An operator sets a merchant's gateway account from the shell: it is
// stored and shown, a malformed one is refused naming the flag, and one
// another merchant refunds through (its own, or its slug) is taken.
func TestCreateMerchantSetsItsGatewayAccount(t *testing.T) {
	t.Parallel()
	e := dbtest.Engines(t)[0]
	vars := map[string]string{"REBOUND_DATABASE_URL": e.URL(t), "REBOUND_LOG_LEVEL": "error"}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := cli.Main(args, &stdout, &stderr, lookup(vars))
		return code, stdout.String(), stderr.String()
	}
	if code, _, errOut := run("migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	merchant := func(slug, account string) (int, string, string) {
		args := []string{"admin", "create-merchant", "--slug", slug, "--name", slug, "--admin-username", slug + "-admin",
			"--return-address", "Quay 1"}
		if account != "" {
			args = append(args, "--gateway-account", account)
		}
		return run(args...)
	}
	code, out, errOut := merchant("acme", "acme_gw-1")
	if code != 0 || !strings.Contains(out, "Gateway     account acme_gw-1") {
		t.Fatalf("create-merchant: %d %q %q", code, out, errOut)
	}
	d, err := db.Open(vars["REBOUND_DATABASE_URL"], db.DefaultPool, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if m, err := d.Merchants.MerchantBySlug(context.Background(), "acme"); err != nil || m.GatewayAccount != "acme_gw-1" || m.GatewayAccountName() != "acme_gw-1" {
		t.Fatalf("stored %+v %v", m, err)
	}
	for _, tc := range []struct{ slug, account, want string }{
		{"bad", "Acme GW!", "--gateway-account must be 1 to 64 lower-case letters"},
		{"long", strings.Repeat("a", 65), "--gateway-account must be 1 to 64"},
		{"beta", "acme_gw-1", "--gateway-account is taken"}, // acme's own account
		{"gamma", "acme", ""},               // acme's slug is not its account: free
		{"acme_gw-1", "", "--slug must be"}, // underscores are no slug's
	} {
		code, out, errOut := merchant(tc.slug, tc.account)
		if tc.want == "" {
			if code != 0 {
				t.Errorf("%s: %d %q", tc.slug, code, errOut)
			}
			continue
		}
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Contains(out, "onboarded") {
			t.Errorf("%s %q: exit %d, %q; want %q", tc.slug, tc.account, code, errOut, tc.want)
		}
	}
	// A merchant without an account refunds through its slug: a slug that
	// is another's account is taken.
	if code, _, errOut := merchant("delta", ""); code != 0 {
		t.Fatalf("delta: %s", errOut)
	}
	if code, _, errOut := merchant("epsilon", "delta"); code == 0 || !strings.Contains(errOut, "--gateway-account is taken") {
		t.Fatalf("delta's slug as epsilon's account: %d %q", code, errOut)
	}
}
