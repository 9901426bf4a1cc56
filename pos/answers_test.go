package pos_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moov-io/iso8583"

	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

// fakeHost is a scripted acquirer: it reads each message Rebound sends
// (strictly, as the simulator does) and writes back whatever answer
// returns, raw and unframed (nil: no answer).
type fakeHost struct {
	ln     net.Listener
	answer func(req *iso8583.Message) [][]byte
	wg     sync.WaitGroup
}

func newFakeHost(t *testing.T, answer func(req *iso8583.Message) [][]byte) *fakeHost {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHost{ln: ln, answer: answer}
	h.wg.Add(1)
	go h.accept(t)
	t.Cleanup(func() { _ = ln.Close(); h.wg.Wait() })
	return h
}

func (h *fakeHost) accept(t *testing.T) {
	defer h.wg.Done()
	for {
		nc, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer nc.Close()
			r := bufio.NewReader(nc)
			for {
				n, err := pos.ReadLength(r)
				if err != nil {
					return
				}
				b := make([]byte, n)
				if _, err := io.ReadFull(r, b); err != nil {
					return
				}
				m, err := pos.Unpack(b)
				if err != nil {
					t.Errorf("the fake host could not read what Rebound sent: %v", err)
					return
				}
				for _, a := range h.answer(m) {
					_, _ = pos.WriteLength(nc, len(a))
					_, _ = nc.Write(a)
				}
			}
		}()
	}
}

// answerTo builds an answer to req with AnswerSpec: MTI xx1x, DE11 and
// DE41 echoed, and fields (a value "" unsets the field).
func answerTo(t *testing.T, req *iso8583.Message, fields map[int]string) *iso8583.Message {
	t.Helper()
	mti, _ := req.GetString(0)
	m := iso8583.NewMessage(pos.AnswerSpec)
	m.MTI(mti[:2] + "1" + mti[3:])
	if mti == "0401" {
		m.MTI("0410")
	}
	for _, id := range []int{11, 41} {
		v, _ := req.GetString(id)
		if _, set := fields[id]; !set {
			fields[id] = v
		}
	}
	for id, v := range fields {
		if v == "" {
			continue
		}
		var err error
		if id == 52 || id == 64 {
			err = m.BinaryField(id, []byte(v))
		} else {
			err = m.Field(id, v)
		}
		if err != nil {
			t.Fatalf("DE%d: %v", id, err)
		}
	}
	return m
}

func packed(t *testing.T, m *iso8583.Message) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withEmptySecondary sets bit 1 of a packed message without a secondary
// bitmap and puts an empty one after the primary.
func withEmptySecondary(t *testing.T, b []byte) []byte {
	t.Helper()
	first, err := strconv.ParseUint(string(b[4:5]), 16, 8)
	if err != nil || first&8 != 0 {
		t.Fatalf("bitmap %q already has a secondary bitmap, or is not hex", b[4:20])
	}
	out := append([]byte(nil), b[:4]...)
	out = append(out, "0123456789ABCDEF"[first|8])
	out = append(out, b[5:20]...)
	out = append(out, "0000000000000000"...)
	return append(out, b[20:]...)
}

// A real host's answer: the fields Rebound uses, and others it does not
// (card data included), behind a secondary bitmap with no field in it.
var hostExtras = map[int]string{
	2:  "4111111111111111",
	15: "0311",
	32: "00000012345",
	35: "4111111111111111=2512101000000000000",
	44: "ADDITIONAL RESPONSE DATA",
	52: "\x01\x23\x45\x67\x89\xab\xcd\xef",
	63: "PRIVATE USE 63",
}

func TestClientReadsAnswersWithUnusedFields(t *testing.T) {
	t.Parallel()
	host := newFakeHost(t, func(req *iso8583.Message) [][]byte {
		fields := map[int]string{37: "606912345678", 38: "AB12CD", 39: "00"}
		for id, v := range hostExtras {
			fields[id] = v
		}
		mti, _ := req.GetString(0)
		answer := withEmptySecondary(t, packed(t, answerTo(t, req, fields)))
		if mti == "0200" {
			return [][]byte{answer, answer} // and once more, unmatched
		}
		fields[41] = "" // this host leaves DE41 out of its 0410s
		fields[38] = ""
		return [][]byte{withEmptySecondary(t, packed(t, answerTo(t, req, fields)))}
	})
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, lt := simtest.NewClient(t, host.ln.Addr().String(), pos.ClientConfig{Logger: log})

	resp, err := c.Send(context.Background(), simtest.RefundOf("000001", 100))
	if err != nil || !resp.Approved() || resp.STAN != "000001" || resp.TerminalID != simtest.Virtual || resp.ApprovalCode != "AB12CD" || resp.RRN != "606912345678" {
		t.Fatalf("answer with unused fields: %+v, %v", resp, err)
	}
	want := map[int]string{15: "0311", 32: "00000012345", 44: "ADDITIONAL RESPONSE DATA", 63: "PRIVATE USE 63"}
	for id, v := range want {
		if resp.Fields[id] != v {
			t.Errorf("Fields[%d] = %q, want %q", id, resp.Fields[id], v)
		}
	}
	for _, id := range []int{2, 14, 35, 36, 45, 52, 55} {
		if _, kept := resp.Fields[id]; kept {
			t.Errorf("card data DE%d kept in Fields", id)
		}
	}
	if len(resp.Fields) != len(want) {
		t.Errorf("Fields %v, want %v", resp.Fields, want)
	}

	// A 0410 without DE41 is matched on class and STAN: one reversal waits.
	rv, err := c.Reverse(context.Background(), simtest.ReversalOf(simtest.RefundOf("000002", 100), "000102", false))
	if err != nil || !rv.Approved() || rv.STAN != "000102" || rv.TerminalID != "" || rv.Fields[44] == "" {
		t.Fatalf("0410 without DE41: %+v, %v", rv, err)
	}
	// The second answer to the 0200 went to OnLate, without card data.
	if again := lt.Wait(t, 1); !simtest.SameResponse(again, resp) {
		t.Errorf("late answer %+v, want %+v", again, resp)
	}
	if lt.Count() != 1 {
		t.Errorf("%d answers went to OnLate, want 1", lt.Count())
	}
	if out := logs.String(); strings.Contains(out, "411111") || strings.Contains(out, "0123456789ABCDEF") {
		t.Errorf("logs hold card data:\n%s", out)
	}
}

// TestAnswerWithoutTerminalTwoCandidates: two reversals of one STAN from
// two terminals wait; an answer without DE41 could be either's, so it is
// nobody's.
func TestAnswerWithoutTerminalTwoCandidates(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*iso8583.Message
	host := newFakeHost(t, func(req *iso8583.Message) [][]byte {
		mu.Lock()
		got = append(got, req)
		n := len(got)
		mu.Unlock()
		if n < 2 {
			return nil
		}
		// Both wait now: one answer without DE41.
		return [][]byte{packed(t, answerTo(t, req, map[int]string{39: "00", 41: ""}))}
	})
	c, lt := simtest.NewClient(t, host.ln.Addr().String(), pos.ClientConfig{SendTimeout: simtest.ShortTimeout})
	var wg sync.WaitGroup
	for _, term := range []string{simtest.Virtual, "VRT00002"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := simtest.RefundOf("000001", 100)
			r.TerminalID, r.RRN = term, pos.NewRRN(simtest.T0, term)
			if _, err := c.Reverse(context.Background(), simtest.ReversalOf(r, "000101", false)); !errors.Is(err, pos.ErrUnknown) {
				t.Errorf("%s: %v, want ErrUnknown", term, err)
			}
		}()
	}
	wg.Wait()
	if r := lt.Wait(t, 1); r.STAN != "000101" || r.TerminalID != "" {
		t.Errorf("unmatched answer: %+v", r)
	}
}

func TestClientUnreadableAnswers(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	host := newFakeHost(t, func(req *iso8583.Message) [][]byte {
		stan, _ := req.GetString(11)
		answer := packed(t, answerTo(t, req, map[int]string{37: "606912345678", 38: "SECRET", 39: "00", 44: "HIDDEN"}))
		switch stan {
		case "000001": // trailing garbage
			return [][]byte{append(answer, "GARBAGE"...)}
		case "000002": // a 0210 without DE39
			return [][]byte{packed(t, answerTo(t, req, map[int]string{44: "HIDDEN"}))}
		default: // junk, then the right answer
			return [][]byte{[]byte("0210ZZZZ"), answer}
		}
	})
	var mu sync.Mutex
	var counted []string
	onUnreadable := func(mti, stan string) {
		mu.Lock()
		counted = append(counted, mti+"/"+stan)
		mu.Unlock()
	}
	c, _ := simtest.NewClient(t, host.ln.Addr().String(), pos.ClientConfig{Logger: log, SendTimeout: 5 * time.Second, OnUnreadable: onUnreadable})

	for _, stan := range []string{"000001", "000002"} {
		start := time.Now()
		_, err := c.Send(context.Background(), simtest.RefundOf(stan, 100))
		if !errors.Is(err, pos.ErrUnknown) || !errors.Is(err, pos.ErrUnreadable) {
			t.Errorf("%s: %v, want ErrUnknown and ErrUnreadable", stan, err)
		}
		if time.Since(start) > 4*time.Second {
			t.Errorf("%s: the unreadable answer ended the wait only at the timeout", stan)
		}
	}
	if r := simtest.Send(t, c, simtest.RefundOf("000003", 100)); !r.Approved() {
		t.Errorf("after junk, the answer: %+v", r)
	}
	mu.Lock()
	got := strings.Join(counted, " ")
	mu.Unlock()
	if got != "0210/000001 0210/000002 0210/" {
		t.Errorf("counted %q, want 0210/000001 0210/000002 0210/", got)
	}
	out := logs.String()
	for _, want := range []string{"level=WARN msg=\"unreadable message from the acquirer\" mti=0210 stan=000001",
		"level=WARN msg=\"unreadable message from the acquirer\" mti=0210 stan=000002"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"GARBAGE", "SECRET", "HIDDEN", "606912345678", "ZZZZ"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
}

func TestUnpackAnswer(t *testing.T) {
	t.Parallel()
	base := iso8583.NewMessage(pos.AnswerSpec)
	base.MTI("0210")
	for id, v := range map[int]string{11: "000001", 39: "00", 41: simtest.Virtual, 63: "X"} {
		if err := base.Field(id, v); err != nil {
			t.Fatal(err)
		}
	}
	good := packed(t, base)
	emptySecondary := withEmptySecondary(t, good)
	for name, b := range map[string][]byte{"primary bitmap only": good, "empty secondary bitmap": emptySecondary} {
		m, err := pos.UnpackAnswer(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r, err := pos.ParseResponse(m); err != nil || !r.Approved() || r.Fields[63] != "X" {
			t.Errorf("%s: %+v, %v", name, r, err)
		}
	}
	bad := map[string][]byte{
		"trailing bytes":             append(append([]byte(nil), good...), '0'),
		"trailing after secondary":   append(append([]byte(nil), emptySecondary...), "00"...),
		"truncated":                  good[:len(good)-1],
		"tertiary bitmap (bit 65)":   []byte("0210" + bitmapHex(11, 65) + "000001"),
		"not hex":                    []byte("0210ZZZZZZZZZZZZZZZZ"),
		"empty":                      {},
		"control character in DE44":  []byte("0210" + bitmapHex(11, 44) + "000001" + "03A\x00C"),
		"LL prefix with a letter":    []byte("0210" + bitmapHex(32) + "1A12345678901"),
		"binary DE52 not hex":        []byte("0210" + bitmapHex(52) + "XYZXYZXYZXYZXYZX"),
		"variable field over prefix": []byte("0210" + bitmapHex(44) + "05ABC"),
	}
	for name, b := range bad {
		if m, err := pos.UnpackAnswer(b); err == nil || m != nil {
			t.Errorf("%s: unpacked", name)
		}
	}
}
