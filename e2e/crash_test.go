package e2e_test

import (
	"bytes"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/pos"
)

// workerProc is `rebound worker` as a separate process the test can kill.
type workerProc struct {
	t    *testing.T
	env  []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	logs bytes.Buffer
}

func (s *stack) workerEnv(t *testing.T) []string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ops := l.Addr().String()
	l.Close()
	env := []string{asBinary + "=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REBOUND_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"REBOUND_DATABASE_URL="+s.dbURL,
		"REBOUND_TEMPORAL_ADDRESS="+temporalSrv.HostPort(),
		"REBOUND_TEMPORAL_NAMESPACE="+s.ns,
		"REBOUND_ACQUIRER_ADDR="+s.acquirer.Addr(),
		"REBOUND_ACQUIRER_TIMEOUT="+isoTimeout.String(),
		"REBOUND_CARD_SEND_TIMEOUT=3s",
		"REBOUND_OTP_SECRET="+otpSecret,
		"REBOUND_PUBLIC_URL="+s.url,
		"REBOUND_SMTP_ADDR=127.0.0.1:1",
		"REBOUND_GATEWAY_URL=http://127.0.0.1:1",
		"REBOUND_GATEWAY_API_KEY=unused",
		"REBOUND_HTTP_ADDR="+ops,
		"REBOUND_WORKER_STOP_TIMEOUT=1s",
		"REBOUND_LOG_LEVEL=warn",
	)
}

func (w *workerProc) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	cmd := exec.Command(os.Args[0], "worker")
	cmd.Env = w.env
	cmd.Stdout, cmd.Stderr = &w.logs, &w.logs
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.cmd = cmd
}

// kill ends the worker with SIGKILL, as a crash would.
func (w *workerProc) kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	_ = w.cmd.Wait()
	w.cmd = nil
}

func TestCrash50RefundsWhileTheWorkerIsKilled(t *testing.T) {
	e := lastEngine(t)
	s := newStackWith(t, e, true)
	w := &workerProc{t: t, env: s.workerEnv(t)}
	w.start()
	t.Cleanup(w.kill)
	cases := s.cardReturns(heavy(e, 50))

	// Slow answers (still within the ISO timeout) widen the window between
	// a message leaving and its answer being recorded.
	s.acquirer.SetFaults(pos.Faults{Delay: 1, DelayBy: isoTimeout * 6 / 10})
	done := make(chan struct{})
	kills := 0
	var wg sync.WaitGroup
	wg.Go(func() {
		for kills < 15 {
			select {
			case <-done:
				return
			case <-time.After(time.Duration(200+rand.IntN(900)) * time.Millisecond):
			}
			w.kill()
			kills++
			w.start()
		}
	})
	s.counterRefunds(cases)
	statuses := s.waitRefundsSettled(cases, 5*time.Minute)
	close(done)
	wg.Wait()
	s.acquirer.SetFaults(pos.Faults{})

	attempts := s.reconcileWithLedger(cases)
	lost := 0
	for _, a := range attempts {
		if strings.Contains(a.UnknownReason, "lost while sending") {
			lost++
		}
	}
	counts := map[string]int{}
	for _, st := range statuses {
		counts[st]++
	}
	t.Logf("%d kills; %d attempts, %d caught between send and record (all reversed); returns %v", kills, len(attempts), lost, counts)
	if kills == 0 || lost == 0 {
		t.Fatalf("no kill landed between a send and its record (%d kills)", kills)
	}
	for id, st := range statuses {
		if st != "awaiting_settlement" && st != "refund_failed" {
			t.Errorf("return %s ended %s", id, st)
		}
	}
}
