package pos_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

// freeAddr is an address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestSendWhileTheAcquirerIsDown(t *testing.T) {
	t.Parallel()
	c, err := pos.NewClient(pos.ClientConfig{Addr: freeAddr(t), ReconnectWait: 20 * time.Millisecond, Logger: simtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := c.Connect(ctx); err == nil {
		t.Fatal("Connect to nothing succeeded")
	}
	if c.Connected() {
		t.Error("Connected to nothing")
	}
	if _, err := c.Send(context.Background(), simtest.RefundOf("000001", 100)); !errors.Is(err, pos.ErrNotSent) || errors.Is(err, pos.ErrUnknown) {
		t.Errorf("Send while down: %v, want ErrNotSent", err)
	}
	if _, err := c.Reverse(context.Background(), simtest.ReversalOf(simtest.RefundOf("000001", 100), "000101", false)); !errors.Is(err, pos.ErrNotSent) {
		t.Errorf("Reverse while down: %v, want ErrNotSent", err)
	}
}

func TestReconnectsAfterTheAcquirerRestarts(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	if r := simtest.Send(t, c, simtest.RefundOf("000001", 1000)); !r.Approved() {
		t.Fatalf("before the restart: %+v", r)
	}
	addr := a.Addr()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	simtest.Eventually(t, "the client to notice", func() bool { return !c.Connected() })
	if _, err := c.Send(context.Background(), simtest.RefundOf("000002", 1000)); !errors.Is(err, pos.ErrNotSent) {
		t.Errorf("Send while the acquirer is down: %v, want ErrNotSent", err)
	}
	time.Sleep(100 * time.Millisecond) // a few failed reconnects: the back-off grows
	if err := a.Start(addr); err != nil {
		t.Fatalf("restart on %s: %v", addr, err)
	}
	simtest.Eventually(t, "the client to reconnect", c.Connected)
	if r := simtest.Send(t, c, simtest.RefundOf("000003", 4000)); !r.Approved() {
		t.Errorf("after the restart: %+v", r)
	}
	// The ledger survived: 1000 + 4000 of 5000 is refunded.
	if r := simtest.Send(t, c, simtest.RefundOf("000004", 1)); r.ResponseCode != "13" {
		t.Errorf("refund beyond the sale after the restart: %q, want 13", r.ResponseCode)
	}
}

func TestInvalidRequestIsNotSent(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	r := simtest.RefundOf("12345", 100)
	_, err := c.Send(context.Background(), r)
	var fe *pos.FieldError
	if !errors.Is(err, pos.ErrNotSent) || !errors.As(err, &fe) || !strings.Contains(fe.Field, "STAN") {
		t.Errorf("invalid STAN: %v", err)
	}
	if st := a.Stats(); st.Requests != 0 {
		t.Errorf("the acquirer received %d requests", st.Requests)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Send(ctx, simtest.RefundOf("000001", 100)); !errors.Is(err, pos.ErrNotSent) {
		t.Errorf("cancelled before sending: %v, want ErrNotSent", err)
	}
}

func TestCallerGivesUpWhileWaiting(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, lt := simtest.NewClient(t, a.Addr(), pos.ClientConfig{SendTimeout: 5 * time.Second})
	a.SetFaults(acquirersim.Faults{Delay: 1, DelayBy: 500 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Send(ctx, simtest.RefundOf("000001", 100))
	if !errors.Is(err, pos.ErrUnknown) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline while waiting: %v, want ErrUnknown and DeadlineExceeded", err)
	}
	if r := lt.Wait(t, 1); !r.Approved() || r.STAN != "000001" {
		t.Errorf("late: %+v", r)
	}
}

func TestClosedClientSendsNothing(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), simtest.RefundOf("000001", 100)); !errors.Is(err, pos.ErrNotSent) {
		t.Errorf("Send after Close: %v, want ErrNotSent", err)
	}
	if c.Connected() {
		t.Error("Connected after Close")
	}
}

func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	const n = 25
	var wg sync.WaitGroup
	rrns := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Send(context.Background(), simtest.RefundOf(fmt.Sprintf("%06d", i+1), 100))
			if err != nil || !resp.Approved() || resp.STAN != fmt.Sprintf("%06d", i+1) {
				t.Errorf("send %d: %+v, %v", i, resp, err)
				return
			}
			rrns[i] = resp.RRN
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, r := range rrns {
		seen[r] = true
	}
	if len(seen) != n || len(simtest.Entries(a, "refund")) != n {
		t.Errorf("%d distinct RRNs and %d refunds, want %d", len(seen), len(simtest.Entries(a, "refund")), n)
	}
}

// TestSameSTANOnTwoTerminals: answers are matched on terminal as well as
// STAN, so two stores' messages with one STAN do not meet.
func TestSameSTANOnTwoTerminals(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	a.AddTerminal("VRT00002", simtest.Merchant)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	var wg sync.WaitGroup
	for _, term := range []string{simtest.Virtual, "VRT00002"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := simtest.RefundOf("000001", 100)
			r.TerminalID = term
			r.RRN = pos.NewRRN(simtest.T0, term) // each message has its own
			resp, err := c.Send(context.Background(), r)
			if err != nil || resp.TerminalID != term || !resp.Approved() {
				t.Errorf("%s: %+v, %v", term, resp, err)
			}
		}()
	}
	wg.Wait()
}

func TestTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	clk := simtest.NewClock(simtest.T0)
	a := acquirersim.New(acquirersim.Config{Now: clk.Now, Logger: simtest.Quiet(),
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	if err := a.AddSale(simtest.SettledSale); err != nil {
		t.Fatal(err)
	}
	a.AddTerminal(simtest.Virtual, simtest.Merchant)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{TLS: &tls.Config{RootCAs: pool, ServerName: "acquirer.test", MinVersion: tls.VersionTLS12}})
	if r := simtest.Send(t, c, simtest.RefundOf("000001", 100)); !r.Approved() {
		t.Errorf("over TLS: %+v", r)
	}
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "acquirer.test"}, DNSNames: []string{"acquirer.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// TestLogsHoldNoCardDataOrMessages: even at debug, neither side logs the
// masked PAN, amounts or message content.
func TestLogsHoldNoCardDataOrMessages(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := simtest.NewClock(simtest.T0)
	a := acquirersim.New(acquirersim.Config{Now: clk.Now, Logger: log})
	for _, s := range []acquirersim.Sale{simtest.OpenSale, simtest.SettledSale} {
		if err := a.AddSale(s); err != nil {
			t.Fatal(err)
		}
	}
	a.AddTerminal(simtest.Virtual, simtest.Merchant)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, lt := simtest.NewClient(t, a.Addr(), pos.ClientConfig{Logger: log, SendTimeout: simtest.ShortTimeout})
	simtest.Send(t, c, simtest.VoidOf("000001", 4321))
	simtest.Send(t, c, simtest.RefundOf("000002", 1234))
	a.SetFaults(acquirersim.Faults{Delay: 1, DelayBy: 2 * simtest.ShortTimeout})
	_, _ = c.Send(context.Background(), simtest.RefundOf("000003", 1111))
	lt.Wait(t, 1)
	// A message the acquirer refuses, and junk on the wire.
	nc, err := net.Dial("tcp", a.Addr())
	if err != nil {
		t.Fatal(err)
	}
	junk := []byte("0200" + bitmapHex(2, 11) + "16" + "4111111111111111" + "000009")
	_, _ = pos.WriteLength(nc, len(junk))
	_, _ = nc.Write(junk)
	_ = nc.Close()
	simtest.Eventually(t, "the junk to be logged", func() bool { return strings.Contains(logs.String(), "unreadable") })

	out := logs.String()
	// Amounts as DE4 carries them, and DE90 of the void (raw message content).
	for _, secret := range []string{"411111", "550000", "******", "000000004321", "000000001234", "000000001111",
		"amount", simtest.OpenSale.STAN + simtest.OpenSale.At.Format("0102150405")} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "late or unmatched") {
		t.Errorf("the late response was not logged:\n%s", out)
	}
}
