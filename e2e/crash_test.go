package e2e_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/activities"
)

// workerProc is `rebound worker` as a separate process the test can kill.
// A worker that dies on its own (a fault point armed in it) is started
// again at once, as a supervisor would.
type workerProc struct {
	t       *testing.T
	env     []string
	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	stopped bool
	logs    syncBuffer
	// selfExits counts the times the worker died on its own.
	selfExits atomic.Int32
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
		"REBOUND_CARD_RETRY_WAIT=200ms",
		"REBOUND_REVERSAL_FATE_WAIT="+fateWait.String(),
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
	w.startLocked()
}

func (w *workerProc) startLocked() {
	cmd := exec.Command(os.Args[0], "worker")
	cmd.Env = w.env
	cmd.Stdout, cmd.Stderr = &w.logs, &w.logs
	if err := cmd.Start(); err != nil {
		w.t.Error(err)
		return
	}
	done := make(chan struct{})
	w.cmd, w.done = cmd, done
	go func() {
		_ = cmd.Wait()
		close(done)
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.cmd == cmd { // not killed by the test: it died on its own
			w.selfExits.Add(1)
			w.cmd = nil
			if !w.stopped {
				w.startLocked()
			}
		}
	}()
}

// kill ends the worker with SIGKILL, as a crash would; false when no
// worker was running (it had died on its own and was not started again).
func (w *workerProc) kill() bool {
	w.mu.Lock()
	cmd, done := w.cmd, w.done
	w.cmd = nil
	w.mu.Unlock()
	if cmd == nil {
		return false
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	return true
}

// stop kills the worker for good.
func (w *workerProc) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.kill()
}

func TestCrash50RefundsWhileTheWorkerIsKilled(t *testing.T) {
	e := lastEngine(t)
	s := newStackWith(t, e, true)
	n := heavy(e, 50)
	// A fault point kills the worker between a card answer and its record
	// at every few sends of its life: the window the test is about is hit
	// for certain, not by luck.
	every := max(3, n/10)
	w := &workerProc{t: t, env: append(s.workerEnv(t), fmt.Sprintf("REBOUND_FAULTPOINTS=%s=kill@%d", activities.FaultAfterSend, every))}
	w.start()
	t.Cleanup(w.stop)
	cases := s.cardReturns(n)

	// Slow answers (still within the ISO timeout) widen the window between
	// a message leaving and its answer being recorded for the random kills.
	s.acquirer.SetFaults(acquirersim.Faults{Delay: 1, DelayBy: isoTimeout * 6 / 10})
	done := make(chan struct{})
	kills := 0
	var wg sync.WaitGroup
	wg.Go(func() {
		// First the fault point's kill, then random ones beside it.
		for w.selfExits.Load() == 0 {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
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
	s.acquirer.SetFaults(acquirersim.Faults{})

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
	t.Logf("%d random kills, %d at the fault point; %d attempts, %d caught between send and record (all reversed); returns %v",
		kills, w.selfExits.Load(), len(attempts), lost, counts)
	if w.selfExits.Load() == 0 || lost == 0 {
		t.Fatalf("no kill landed between a send and its record (%d at the fault point)", w.selfExits.Load())
	}
	for id, st := range statuses {
		if st != "awaiting_settlement" && st != "refund_failed" {
			t.Errorf("return %s ended %s", id, st)
		}
	}
}
