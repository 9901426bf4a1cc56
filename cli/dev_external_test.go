package cli_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/loadgen"
)

// `rebound dev --acquirer-external --acquirer-addr` connects to an acquirer
// already listening there: it starts no simulator on the acquirer port it would otherwise
// take (held busy here) nor a simulator admin, says so in its banner, and
// a card refund reaches the external acquirer's ledger.
func TestDevUsesAnExternalAcquirer(t *testing.T) {
	dir := t.TempDir()
	sim := acquirersim.New(acquirersim.Config{SettlementDir: t.TempDir()})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	simAdmin := httptest.NewServer(sim.AdminHandler())
	t.Cleanup(simAdmin.Close)
	// The acquirer port dev would take (REBOUND_ACQUIRER_ADDR), held busy:
	// a dev that started its simulator there would stop.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = busy.Close() })

	var httpAddr, temporalAddr, adminAddr string
	var p *proc
	for try := 0; ; try++ {
		httpAddr, temporalAddr, adminAddr = freeAddr(t), freeAddr(t), freeAddr(t)
		vars := map[string]string{"REBOUND_TEMPORAL_ADDRESS": temporalAddr, "REBOUND_GATEWAY_ADDR": freeAddr(t),
			"REBOUND_ACQUIRER_ADDR": busy.Addr().String(), "REBOUND_ACQUIRER_ADMIN_ADDR": adminAddr,
			"REBOUND_TRUSTED_PROXIES": "127.0.0.1"}
		p = start(t, dir, vars, "dev", "--http-addr", httpAddr, "--data-dir", filepath.Join(dir, "state"),
			"--acquirer-external", "--acquirer-addr", sim.Addr())
		if started(p, "http://"+httpAddr) || try == 2 {
			break
		}
	}
	// Ready means connected to the acquirer: the external one.
	waitReady(t, p, "http://"+httpAddr, ready)
	out := p.output()
	if !strings.Contains(out, "Acquirer   "+sim.Addr()+"   external acquirer") || strings.Contains(out, "acquirer simulator ·") {
		t.Fatalf("the banner does not say the acquirer at %s is external:\n%s", sim.Addr(), out)
	}
	if c, err := net.DialTimeout("tcp", adminAddr, time.Second); err == nil {
		c.Close()
		t.Fatalf("something listens on the simulator admin address %s: dev started a simulator admin", adminAddr)
	}

	// A card return to its refund: the load tells the external acquirer of
	// the terminals and the sale (dev tells it of none) and checks its
	// ledger holds the refund once, for Rebound's amount.
	var stdout, stderr bytes.Buffer
	args := []string{"loadgen", "lifecycle", "--api", "http://" + httpAddr, "--gateway-url", "", "--register-payments",
		"--acquirer-admin-url", simAdmin.URL, "--returns", "1", "--concurrency", "1", "--mix", "card=1",
		"--step-timeout", "60s", "--json"}
	if code := cli.Main(args, &stdout, &stderr, lookup(nil)); code != 0 {
		t.Fatalf("lifecycle: exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	var rep loadgen.LifecycleReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", stdout.String(), err)
	}
	if c := rep.Check; !c.OK || c.AtEnd != 1 || !c.Acquirer.Checked || c.Acquirer.Once != 1 {
		t.Fatalf("check %+v", c)
	}
	var refunds int
	for _, e := range sim.Ledger() {
		if (e.Kind == "void" || e.Kind == "refund") && !e.Reversed {
			refunds++
		}
	}
	if refunds != 1 {
		t.Fatalf("the external acquirer's ledger holds %d voids or refunds, want 1: %+v", refunds, sim.Ledger())
	}
}
