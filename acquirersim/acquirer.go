package acquirersim

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/moov-io/iso8583"
	"github.com/rebound-returns/rebound/pos"
)

// Config configures the acquirer host simulator.
type Config struct {
	// Cutoff is the batch cut-off as a time of day, UTC (default 22h): a
	// transaction before it is in that day's batch, one after it in the
	// next day's; at the cut-off the batch is settled.
	Cutoff time.Duration
	Now    func() time.Time // clock (time.Now when nil)
	Logger *slog.Logger
	TLS    *tls.Config // when set, Start listens with TLS
	// SettlementDir, when set, is the settlement folder (see package
	// dropfolder): at every cut-off, manual or scheduled, the
	// simulator drops a settlement file per acquirer merchant ID it knows
	// into <SettlementDir>/<MID>/, holding that merchant's lines of the
	// batch the cut-off settled. Scheduled cut-offs drop files only while
	// the simulator is started.
	SettlementDir string
	// Seed makes the simulator's draws (faults, approval codes, RRNs it
	// makes up) repeat from one run to the next; 0 seeds from the clock.
	Seed uint64
	// VoidAnyTerminal accepts voids sent from a terminal other than the
	// sale's (same merchant). Real hosts mostly refuse them; so does the
	// simulator (58) unless this is set.
	VoidAnyTerminal bool
}

// Acquirer is the acquirer host simulator: a strict host that answers
// voids, refunds and reversals over ISO 8583 from its own ledger of sales
// by the rules of pos/PROFILE.md, injects faults on demand and writes the
// daily settlement file. All its state is in memory.
type Acquirer struct {
	cfg Config
	log *slog.Logger

	netMu sync.Mutex // guards srv and addr
	srv   *listener
	addr  string

	mu          sync.Mutex // guards everything below
	faults      Faults
	stats       Stats
	rng         *rand.Rand
	terminals   map[string]string // terminal id → merchant id
	entries     []*entry          // the ledger, in order
	sales       map[string]*entry // by RRN
	salesBySTAN map[string][]*entry
	rrns        map[string]bool    // every RRN the ledger holds
	answers     map[msgKey]*answer // first answer to each 0200
	reversed    map[msgKey]bool    // 0200s a reversal was acknowledged for (00)
	forced      []fault            // faults queued by Force
	strandNext  bool               // StrandNext armed
	stranded    map[msgKey]bool    // 0200s stranded: their reversals are dropped
	cuts        []time.Time        // manual cut-offs
	// dropped is the latest scheduled cut-off whose files were dropped: a
	// message or manual cut-off whose clock was read before it, but that
	// comes after it, counts as at it (and so in the next batch).
	dropped time.Time
}

// New makes a simulator; Start opens its port.
func New(cfg Config) *Acquirer {
	if cfg.Cutoff <= 0 || cfg.Cutoff >= 24*time.Hour {
		cfg.Cutoff = 22 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &Acquirer{
		cfg: cfg, log: log,
		rng:         rand.New(rand.NewPCG(seed, seed>>32|1)),
		terminals:   map[string]string{},
		sales:       map[string]*entry{},
		salesBySTAN: map[string][]*entry{},
		rrns:        map[string]bool{},
		answers:     map[msgKey]*answer{},
		reversed:    map[msgKey]bool{},
		stranded:    map[msgKey]bool{},
	}
}

func (a *Acquirer) now() time.Time { return a.cfg.Now().UTC() }

// listener is one Start: the port and the connections it accepted.
type listener struct {
	ln    net.Listener
	done  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Start listens on addr ("127.0.0.1:0" picks a port) and serves until
// Close. A closed simulator may be started again, keeping its ledger.
func (a *Acquirer) Start(addr string) error {
	a.netMu.Lock()
	defer a.netMu.Unlock()
	if a.srv != nil {
		return errors.New("pos: acquirer already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if a.cfg.TLS != nil {
		ln = tls.NewListener(ln, a.cfg.TLS)
	}
	s := &listener{ln: ln, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	a.srv, a.addr = s, ln.Addr().String()
	s.wg.Add(1)
	go a.accept(s)
	if a.cfg.SettlementDir != "" {
		s.wg.Add(1)
		go a.dropAtCutoffs(s, a.now())
	}
	return nil
}

// Addr is the address the simulator listens (or last listened) on.
func (a *Acquirer) Addr() string {
	a.netMu.Lock()
	defer a.netMu.Unlock()
	return a.addr
}

// Close stops listening, drops every connection (answers still delayed
// are lost) and stops dropping settlement files at the scheduled cut-offs.
// The ledger is kept.
func (a *Acquirer) Close() error {
	a.netMu.Lock()
	s := a.srv
	a.srv = nil
	a.netMu.Unlock()
	if s == nil {
		return nil
	}
	close(s.done)
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (a *Acquirer) accept(s *listener) {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
			default:
				a.log.Error("acquirer simulator stopped accepting", "err", err)
			}
			return
		}
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			_ = nc.Close()
			return
		default:
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go a.serve(s, nc)
	}
}

// wire writes whole frames to one connection.
type wire struct {
	mu sync.Mutex
	nc net.Conn
}

func (w *wire) write(b []byte) {
	if b == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = w.nc.Write(b)
}

func (a *Acquirer) serve(s *listener, nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		_ = nc.Close()
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
	}()
	w := &wire{nc: nc}
	r := bufio.NewReader(nc)
	for {
		n, err := pos.ReadLength(r)
		if err != nil {
			return
		}
		if n == 0 {
			continue
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return
		}
		m, err := pos.Unpack(b)
		if err != nil {
			a.log.Warn("acquirer simulator: unreadable message ignored", "err", err)
			continue
		}
		a.handle(s, w, m)
	}
}

func (a *Acquirer) handle(s *listener, w *wire, m *iso8583.Message) {
	now := a.now()
	p, err := pos.ParseIncoming(m, now)
	if err != nil {
		a.log.Warn("acquirer simulator: message refused", "err", err)
		w.write(a.refuse(m))
		return
	}
	f, out, delay := a.process(p, m, now)
	switch f {
	case faultNone, faultLate:
		w.write(out)
	case faultClose:
		_ = w.nc.Close()
	case faultDelay, faultHold:
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-t.C:
				if f == faultHold {
					out = a.processHeld(p, m)
				}
				w.write(out)
			case <-s.done:
			}
		}()
	case faultDuplicate:
		w.write(out)
		w.write(out)
	case faultDrop, faultLose:
	}
}
