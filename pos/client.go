package pos

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/moov-io/iso8583"
	connection "github.com/moov-io/iso8583-connection"
	isoerrors "github.com/moov-io/iso8583/errors"
)

// The outcome of Send and Reverse is either known (a Response, or an error
// wrapping ErrNotSent) or not (an error wrapping ErrUnknown).
var (
	// ErrNotSent: the message certainly never left (not connected, invalid,
	// packing failed). There is nothing to reverse.
	ErrNotSent = errors.New("pos: message not sent")
	// ErrUnknown: the message may have reached the acquirer (no answer in
	// time, connection lost while waiting, caller gave up, an unreadable
	// answer). Reverse it.
	ErrUnknown = errors.New("pos: outcome unknown")
	// ErrUnreadable comes with ErrUnknown when the acquirer answered but the
	// answer could not be read: reverse with ReasonUnreadable (otherwise
	// ReasonNoAnswer).
	ErrUnreadable = errors.New("pos: unreadable answer")
)

// ClientConfig configures the acquirer client.
type ClientConfig struct {
	Addr             string
	TLS              *tls.Config   // nil = plain TCP
	SendTimeout      time.Duration // ISO response timeout (default 10s)
	ConnectTimeout   time.Duration // default 5s
	ReconnectWait    time.Duration // first back-off after a lost connection (default 500ms)
	MaxReconnectWait time.Duration // back-off ceiling (default 30s)
	// OnLate is called from a goroutine with each response that arrives
	// after its Send or Reverse gave up, and with any unmatched response
	// (one without DE41 that more than one waiting message could own
	// included).
	OnLate func(Response)
	// OnUnreadable is called with the MTI and STAN (digits only, "" when
	// they cannot be made out) of each message from the acquirer that
	// cannot be read: one that is not well-formed ISO 8583:1987, has bytes
	// after its last field, or is an answer without a valid DE11 or DE39.
	// It may be called from the connection's reader: keep it quick (count a
	// metric). Nil: not called. Such messages are also logged at WARN.
	OnUnreadable func(mti, stan string)
	Logger       *slog.Logger
}

// Client is the acquirer client: one connection, kept up in the background,
// shared by concurrent Send and Reverse calls.
type Client struct {
	cfg ClientConfig
	log *slog.Logger

	mu      sync.Mutex // guards the fields below
	pool    *connection.Pool
	closed  bool
	pending map[string]*pending // by request id
	byMsg   map[*iso8583.Message]*pending
}

// pending is one message waiting for its answer.
type pending struct {
	reply   chan arrival // capacity 1: at most one delivery
	written bool         // bytes may have left; guarded by Client.mu
}

// arrival is what came back for a pending message: an answer, or word that
// an answer which could not be read was meant for it.
type arrival struct {
	msg        *iso8583.Message
	unreadable error
}

// NewClient checks the configuration; Connect opens the connection.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Addr == "" {
		return nil, errors.New("pos: client: Addr is required")
	}
	defaults := []struct {
		d   *time.Duration
		def time.Duration
	}{
		{&cfg.SendTimeout, 10 * time.Second},
		{&cfg.ConnectTimeout, 5 * time.Second},
		{&cfg.ReconnectWait, 500 * time.Millisecond},
		{&cfg.MaxReconnectWait, 30 * time.Second},
	}
	for _, d := range defaults {
		if *d.d <= 0 {
			*d.d = d.def
		}
	}
	if cfg.MaxReconnectWait < cfg.ReconnectWait {
		cfg.MaxReconnectWait = cfg.ReconnectWait
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Client{cfg: cfg, log: log, pending: map[string]*pending{}, byMsg: map[*iso8583.Message]*pending{}}, nil
}

// Connect opens the connection and returns once it is up, or with ctx's
// error when ctx ends first. Either way the client keeps (re)connecting in
// the background, backing off from ReconnectWait to MaxReconnectWait, until
// Close.
func (c *Client) Connect(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errors.New("pos: client closed")
	}
	pool := c.pool
	if pool == nil {
		var err error
		pool, err = connection.NewPool(c.newConnection, []string{c.cfg.Addr},
			connection.PoolReconnectWait(c.cfg.ReconnectWait),
			connection.PoolMaxReconnectWait(c.cfg.MaxReconnectWait),
			connection.PoolMinConnections(0),
			connection.PoolErrorHandler(func(err error) {
				c.log.Debug("acquirer connection", "addr", c.cfg.Addr, "err", err)
			}))
		if err != nil {
			c.mu.Unlock()
			return fmt.Errorf("pos: client: %w", err)
		}
		c.pool = pool
		c.mu.Unlock()
		// With no minimum, a failed first dial starts the background
		// reconnect loop instead of failing.
		if err := pool.ConnectCtx(ctx); err != nil {
			return fmt.Errorf("pos: connect %s: %w", c.cfg.Addr, err)
		}
	} else {
		c.mu.Unlock()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !pool.IsUp() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("pos: connect %s: %w", c.cfg.Addr, ctx.Err())
		case <-pool.Done():
			return errors.New("pos: client closed")
		case <-tick.C:
		}
	}
	return nil
}

func (c *Client) newConnection(addr string) (*connection.Connection, error) {
	opts := []connection.Option{
		connection.SendTimeout(c.cfg.SendTimeout),
		connection.ConnectTimeout(c.cfg.ConnectTimeout),
		connection.SetRequestIDGenerator(answerIDs{}),
		connection.InboundMessageHandler(c.inbound),
		connection.SetMessageReader(messageReader{c}),
		connection.SetMessageWriter(messageWriter{c}),
		connection.ErrorHandler(func(err error) {
			// Library errors name fields, never their content.
			c.log.Debug("acquirer connection error", "addr", addr, "err", err)
		}),
		connection.ConnectionEstablishedHandler(func(*connection.Connection) {
			c.log.Info("connected to the acquirer", "addr", addr)
		}),
	}
	if c.cfg.TLS != nil {
		opts = append(opts, func(o *connection.Options) error {
			o.TLSConfig = c.cfg.TLS.Clone()
			return nil
		})
	}
	return connection.New(addr, AnswerSpec, ReadLength, WriteLength, opts...)
}

// Connected tells whether a connection to the acquirer is up.
func (c *Client) Connected() bool {
	c.mu.Lock()
	pool := c.pool
	c.mu.Unlock()
	return pool != nil && pool.IsUp()
}

// Close stops reconnecting and closes the connection. Calls still waiting
// for an answer end with ErrUnknown.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	pool := c.pool
	c.mu.Unlock()
	if pool == nil {
		return nil
	}
	return pool.Close()
}

// Send sends a void or refund (0200) and waits for its 0210. A declined
// request is a Response, not an error, and so are "94" and "68" (see
// PROFILE.md for what each code asks of the caller). An invalid request,
// no connection or a ctx already done is ErrNotSent; no answer within
// SendTimeout, a lost connection or ctx ending while waiting is ErrUnknown
// (an answer that comes later goes to OnLate), and so is an answer that
// cannot be read (with ErrUnreadable).
func (c *Client) Send(ctx context.Context, r Request) (Response, error) {
	m, err := BuildRequest(r)
	if err != nil {
		return Response{}, fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	return c.exchange(ctx, m)
}

// Reverse sends a reversal (0400, or 0401 when rv.Repeat) and waits for its
// 0410, matched on the terminal and the reversal's own STAN. Outcomes are
// as for Send; what each code asks of the caller is in PROFILE.md.
func (c *Client) Reverse(ctx context.Context, rv Reversal) (Response, error) {
	m, err := BuildReversal(rv)
	if err != nil {
		return Response{}, fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	return c.exchange(ctx, m)
}

func (c *Client) exchange(ctx context.Context, m *iso8583.Message) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	if _, err := frame(m); err != nil {
		return Response{}, fmt.Errorf("%w: pack: %w", ErrNotSent, err)
	}
	id, err := RequestIDGenerator{}.GenerateRequestID(m)
	if err != nil {
		return Response{}, fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	deadline := time.Now().Add(c.cfg.SendTimeout)

	c.mu.Lock()
	pool, closed := c.pool, c.closed
	c.mu.Unlock()
	if closed || pool == nil {
		return Response{}, fmt.Errorf("%w: not connected to the acquirer", ErrNotSent)
	}
	conn, err := pool.Get()
	if err != nil {
		return Response{}, fmt.Errorf("%w: not connected to the acquirer: %w", ErrNotSent, err)
	}

	p := &pending{reply: make(chan arrival, 1)}
	c.mu.Lock()
	if _, busy := c.pending[id]; busy {
		c.mu.Unlock()
		return Response{}, fmt.Errorf("%w: a message with the same terminal, STAN and class is awaiting its answer", ErrNotSent)
	}
	c.pending[id], c.byMsg[m] = p, p
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.byMsg, m)
		c.mu.Unlock()
	}()

	// Reply writes without the library's own matching: answers come back
	// through inbound, which matches them on our request id. It runs aside
	// so that neither a slow write nor the library's queue holds the caller
	// past its deadline.
	replied := make(chan error, 1)
	go func() { replied <- conn.Reply(m) }()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var cause error
	for cause == nil {
		select {
		case err := <-replied:
			replied = nil
			if err == nil {
				continue // written: wait for the answer
			}
			if resp, answered := c.giveUp(id, p); answered {
				return c.parse(resp)
			}
			if neverWritten(err) && !c.written(p) {
				return Response{}, fmt.Errorf("%w: %w", ErrNotSent, err)
			}
			return Response{}, fmt.Errorf("%w: writing to the acquirer: %w", ErrUnknown, err)
		case resp := <-p.reply:
			return c.parse(resp)
		case <-timer.C:
			cause = fmt.Errorf("no answer within %s", c.cfg.SendTimeout)
		case <-ctx.Done():
			cause = ctx.Err()
		case <-conn.Done():
			cause = errors.New("connection lost while waiting for the answer")
		}
	}
	if resp, answered := c.giveUp(id, p); answered {
		return c.parse(resp)
	}
	return Response{}, fmt.Errorf("%w: %w", ErrUnknown, cause)
}

// neverWritten tells the Reply errors that mean the message never reached
// the connection's writer: the connection was closing (the request was
// refused or drained from the queue) or the message did not pack. A
// timeout is not one of them: the writer may hold the message.
func neverWritten(err error) bool {
	var packErr *isoerrors.PackError
	return errors.Is(err, connection.ErrConnectionClosed) || errors.As(err, &packErr)
}

func (c *Client) written(p *pending) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return p.written
}

// giveUp stops waiting for id. If the answer was delivered meanwhile, it is
// returned; otherwise a later answer goes to OnLate.
func (c *Client) giveUp(id string, p *pending) (arrival, bool) {
	c.mu.Lock()
	if c.pending[id] == p {
		delete(c.pending, id)
		c.mu.Unlock()
		return arrival{}, false
	}
	c.mu.Unlock()
	return <-p.reply, true
}

func (c *Client) parse(a arrival) (Response, error) {
	if a.unreadable != nil {
		return Response{}, fmt.Errorf("%w: %w: %w", ErrUnknown, ErrUnreadable, a.unreadable)
	}
	resp, err := ParseResponse(a.msg)
	if err != nil {
		// The acquirer answered, but not legibly: nobody knows what it did.
		c.unreadable(digitsOf(a.msg, 0), digitsOf(a.msg, 11), fieldOf(err))
		return Response{}, fmt.Errorf("%w: %w: %w", ErrUnknown, ErrUnreadable, err)
	}
	return resp, nil
}

// inbound receives every message from the acquirer that could be read.
func (c *Client) inbound(_ *connection.Connection, m *iso8583.Message) {
	mti, _ := m.GetString(0)
	if mti != MTIRequestResponse && mti != MTIReversalResponse {
		// A well-formed message that is no answer (a network management
		// request, say): not ours to answer.
		c.log.Warn("message from the acquirer that is no answer ignored", "mti", digitsOf(m, 0))
		return
	}
	stan, _ := m.GetString(11)
	terminal, _ := m.GetString(41)
	if c.deliver(mti[1:2], stan, terminal, arrival{msg: m}) {
		return
	}
	resp, err := ParseResponse(m)
	if err != nil {
		c.unreadable(digitsOf(m, 0), digitsOf(m, 11), fieldOf(err))
		return
	}
	c.log.Info("late or unmatched acquirer response", "mti", resp.MTI, "terminal", resp.TerminalID,
		"stan", resp.STAN, "code", resp.ResponseCode)
	if c.cfg.OnLate != nil {
		c.cfg.OnLate(resp)
	}
}

// deliver hands a to the message waiting for it: the one with this class,
// STAN and terminal or, when the answer has no terminal, the only one with
// this class and STAN. It tells whether one was waiting.
func (c *Client) deliver(class, stan, terminal string, a arrival) bool {
	if stan == "" {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	id := class + "/" + stan + "/" + terminal
	p := c.pending[id]
	if p == nil && terminal == "" {
		prefix := id
		for pid, q := range c.pending {
			if strings.HasPrefix(pid, prefix) {
				if p != nil {
					return false // two candidates: nobody's
				}
				id, p = pid, q
			}
		}
	}
	if p == nil {
		return false
	}
	delete(c.pending, id)
	p.reply <- a
	return true
}

// unreadable logs and counts a message from the acquirer that could not be
// read: its MTI and STAN, digits only, and the field at fault; never any
// other content.
func (c *Client) unreadable(mti, stan, field string) {
	c.log.Warn("unreadable message from the acquirer", "mti", mti, "stan", stan, "field", field)
	if c.cfg.OnUnreadable != nil {
		c.cfg.OnUnreadable(mti, stan)
	}
}

// unreadableRaw handles bytes that did not unpack: logged, counted and,
// when they can be told to answer a waiting message, the end of its wait.
func (c *Client) unreadableRaw(b []byte, err error) {
	mti, stan, terminal := rawIDs(b)
	c.unreadable(mti, stan, fieldOf(err))
	if len(mti) == 4 && (mti[2] == '1') {
		c.deliver(mti[1:2], stan, terminal, arrival{unreadable: errors.New("pos: the answer does not unpack")})
	}
}

// digitsOf is field id of m if it is all digits, else "".
func digitsOf(m *iso8583.Message, id int) string {
	if m == nil {
		return ""
	}
	s, _ := m.GetString(id)
	if !allOf(s, isDigit) {
		return ""
	}
	return s
}

// fieldOf names the field an unpack or parse error is about ("DE39",
// "MTI"), never its content.
func fieldOf(err error) string {
	var ue *isoerrors.UnpackError
	if errors.As(err, &ue) && ue.FieldID != "" {
		return "DE" + ue.FieldID
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// markWritten notes that m's bytes are about to leave.
func (c *Client) markWritten(m *iso8583.Message) {
	c.mu.Lock()
	if p := c.byMsg[m]; p != nil {
		p.written = true
	}
	c.mu.Unlock()
}

// messageWriter frames a message into one Write, noting first that it may
// have left.
type messageWriter struct{ c *Client }

func (w messageWriter) WriteMessage(dst io.Writer, m *iso8583.Message) error {
	b, err := frame(m)
	if err != nil {
		return err
	}
	// A peer that stops reading fails the write (and so the connection,
	// which is then re-established) instead of stalling every sender.
	if d, ok := dst.(interface{ SetWriteDeadline(time.Time) error }); ok {
		_ = d.SetWriteDeadline(time.Now().Add(w.c.cfg.SendTimeout / 2))
	}
	w.c.markWritten(m)
	_, err = dst.Write(b)
	return err
}

// messageReader reads one framed answer with UnpackAnswer (tolerant: any
// 1987 field; never panics). A zero length is skipped, and so is an answer
// that does not unpack, once logged, counted and matched if it can be.
type messageReader struct{ c *Client }

func (mr messageReader) ReadMessage(r io.Reader) (*iso8583.Message, error) {
	n, err := ReadLength(r)
	if err != nil {
		return nil, fmt.Errorf("reading length header: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("reading message: %w", err)
	}
	m, err := UnpackAnswer(b)
	if err != nil {
		mr.c.unreadableRaw(b, err)
		return nil, nil
	}
	return m, nil
}
