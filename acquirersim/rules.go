package acquirersim

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/moov-io/iso8583"
	"github.com/rebound-returns/rebound/pos"
)

// The simulator's rules, those of a strict host (pos/PROFILE.md lists them
// with their codes): a void (020000) cancels in full a sale of the open
// batch, named by its STAN and DE7, from the sale's own terminal; a refund
// (200000) pays back up to what remains of any sale, named by its RRN. An
// approval writes a ledger entry under the message's own RRN (DE37) with a
// fresh approval code. A repeated message gets its first answer and is
// never processed twice. A reversal undoes what the 0200 it names did, if
// that 0200 was received with the same amount and time; otherwise it is
// answered 25 and forgotten.

// msgKey identifies a 0200: terminal, STAN and the MMDD of its DE7.
type msgKey struct{ terminal, stan, date string }

// answer is the first answer to a 0200, kept to answer its repeats and to
// check its reversals against.
type answer struct {
	frame       []byte
	fingerprint string
	entry       *entry    // the entry it created, if approved
	at          time.Time // the 0200's DE7
	amount      int64
	rrn         string
}

// process counts a message, draws its fault and, unless the fault keeps it
// from being processed now, decides its answer.
func (a *Acquirer) process(p pos.Incoming, m *iso8583.Message, now time.Time) (fault, []byte, time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now = a.notBeforeDropped(now)
	if p.Reversal {
		a.stats.Reversals++
	} else {
		a.stats.Requests++
	}
	f := a.strand(p)
	if f == faultNone {
		f = a.drawFault(p.Reversal)
	}
	if f != faultNone {
		a.log.Info("acquirer simulator fault injected", "fault", f.String(), "mti", p.MTI, "terminal", p.Request.TerminalID, "stan", p.STAN)
	}
	delay := a.faults.DelayBy
	if delay <= 0 {
		delay = DefaultDelayBy
	}
	switch f {
	case faultStrand:
		a.stats.StrandedReversals++
		return faultDrop, nil, 0
	case faultDrop:
		a.stats.Dropped++
		return f, nil, 0
	case faultClose:
		a.stats.Closed++
		return f, nil, 0
	case faultIssuer:
		a.stats.IssuerUnavailable++
		return faultNone, a.frameOf(m, pos.CodeIssuerUnavailable, ""), 0
	case faultMalfunction:
		a.stats.SystemMalfunction++
		return faultNone, a.frameOf(m, pos.CodeSystemMalfunction, ""), 0
	case faultHold:
		a.stats.ApprovedAfterReversal++
		return f, nil, delay
	}
	var out []byte
	if p.Reversal {
		out = a.reverse(p, m, now)
	} else {
		out = a.request(p, m, now)
	}
	switch f {
	case faultDelay:
		a.stats.Delayed++
	case faultDuplicate:
		a.stats.Duplicated++
	case faultLose:
		a.stats.ApprovedThenLost++
	case faultStrandFirst:
		a.stats.Stranded++
		f = faultLose
	case faultDupTransmission:
		a.stats.DuplicateTransmission++
		out = a.frameOf(m, pos.CodeDuplicate, "")
		f = faultNone
	case faultLate:
		a.stats.LateResponses++
		out = a.frameOf(m, pos.CodeLateResponse, "")
	}
	return f, out, delay
}

// strand is the fault StrandNext decides for a message, if any; a.mu is
// held: the first fresh 0200 after it is armed is stranded (processed, its
// answer lost), and any reversal of a stranded 0200 is dropped.
func (a *Acquirer) strand(p pos.Incoming) fault {
	r := p.Request
	k := keyOf(r.TerminalID, r.STAN, r.TransmittedAt)
	switch {
	case p.Reversal && a.stranded[k]:
		return faultStrand
	case !p.Reversal && a.strandNext && a.answers[k] == nil:
		a.strandNext = false
		a.stranded[k] = true
		return faultStrandFirst
	}
	return faultNone
}

// processHeld processes a 0200 held back by ApproveAfterReversal, as if it
// had just arrived.
func (a *Acquirer) processHeld(p pos.Incoming, m *iso8583.Message) []byte {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.request(p, m, a.notBeforeDropped(now))
}

// refuse is the answer 30 (format error) to a message that does not
// follow the profile; none to one that is no request or reversal.
func (a *Acquirer) refuse(m *iso8583.Message) []byte {
	if mti, _ := m.GetString(0); mti != pos.MTIRequest && mti != pos.MTIReversal && mti != pos.MTIReversalRepeat {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.frameOf(m, pos.CodeFormatError, "")
}

func keyOf(terminal, stan string, at time.Time) msgKey {
	return msgKey{terminal: terminal, stan: stan, date: at.UTC().Format("0102")}
}

// fingerprint tells a repeat from another message reusing terminal and STAN.
func fingerprint(m *iso8583.Message) string {
	var b strings.Builder
	for _, id := range []int{3, 4, 37, 42, 49, 61, 90} {
		v, _ := m.GetString(id)
		b.WriteString(v)
		b.WriteByte('|')
	}
	return b.String()
}

// request answers a 0200; a.mu is held.
func (a *Acquirer) request(p pos.Incoming, m *iso8583.Message, now time.Time) []byte {
	r := p.Request
	k := keyOf(r.TerminalID, r.STAN, r.TransmittedAt)
	fp := fingerprint(m)
	if first, ok := a.answers[k]; ok {
		if first.fingerprint == fp {
			a.stats.Repeats++
			return first.frame
		}
		// Same terminal, STAN and day, different content: not a repeat.
		a.stats.Declined++
		return a.frameOf(m, pos.CodeDuplicate, "")
	}
	var code string
	var e *entry
	if a.rrns[r.RRN] {
		code = pos.CodeDuplicate // another entry has this RRN
	} else {
		code, e = a.decide(r, now)
	}
	ans := &answer{fingerprint: fp, entry: e, at: r.TransmittedAt, amount: r.Amount, rrn: r.RRN}
	if e != nil {
		a.stats.Approved++
		ans.frame = a.frameOf(m, code, e.ApprovalCode)
	} else {
		a.stats.Declined++
		ans.frame = a.frameOf(m, code, "")
	}
	a.answers[k] = ans
	a.log.Info("acquirer simulator answered", "kind", r.Kind, "terminal", r.TerminalID, "stan", r.STAN, "code", code)
	return ans.frame
}

// reverse answers a 0400 or 0401; a.mu is held. It finds the 0200 named
// by DE41 and DE90, checks that amount, DE7 and RRN agree, and undoes its
// entry, if any, unless its batch is settled.
func (a *Acquirer) reverse(p pos.Incoming, m *iso8583.Message, now time.Time) []byte {
	r := p.Request
	k := keyOf(r.TerminalID, r.STAN, r.TransmittedAt)
	if a.reversed[k] {
		a.stats.Repeats++
		return a.frameOf(m, pos.CodeApproved, "")
	}
	first, ok := a.answers[k]
	if !ok || !first.at.Equal(r.TransmittedAt) || first.amount != r.Amount || first.rrn != r.RRN {
		a.log.Info("acquirer simulator: reversal of an unknown original", "terminal", r.TerminalID, "stan", p.STAN, "code", pos.CodeOriginalNotFound)
		return a.frameOf(m, pos.CodeOriginalNotFound, "")
	}
	if e := first.entry; e != nil {
		if _, settled := a.settledOn(a.batchOf(e), now); settled {
			a.log.Info("acquirer simulator: reversal after settlement", "terminal", r.TerminalID, "stan", p.STAN, "code", pos.CodeInvalidTransaction)
			return a.frameOf(m, pos.CodeInvalidTransaction, "")
		}
		e.Reversed = true
	}
	a.reversed[k] = true
	a.log.Info("acquirer simulator reversed", "terminal", r.TerminalID, "stan", p.STAN, "original_stan", r.STAN)
	return a.frameOf(m, pos.CodeApproved, "")
}

// frameOf is the framed answer to m; a.mu is held.
func (a *Acquirer) frameOf(m *iso8583.Message, code, approval string) []byte {
	var extra map[int]string
	if a.faults.ExtraFields {
		a.stats.ExtraFields++
		extra = map[int]string{
			15: a.batchAt(a.notBeforeDropped(a.now())).close.Format("0102"),
			32: "00000012345",
			44: "SIMULATED HOST",
			63: "REBOUND ACQUIRER SIMULATOR: FIELDS FOR NOBODY",
		}
	}
	b, err := answerFrame(m, code, approval, extra)
	if err != nil {
		a.log.Error("acquirer simulator could not build its answer", "err", err)
		return nil
	}
	return b
}

// answerFrame builds the answer to m, packs it (with extra fields, behind
// a secondary bitmap with no field in it) and frames it.
func answerFrame(m *iso8583.Message, code, approval string, extra map[int]string) ([]byte, error) {
	resp, err := pos.BuildAnswer(m, code, approval, extra)
	if err != nil {
		return nil, err
	}
	packed, err := resp.Pack()
	if err != nil {
		return nil, err
	}
	if extra != nil {
		packed = withSecondaryBitmap(packed)
	}
	if len(packed) > pos.MaxMessageLength {
		return nil, errors.New("answer too long for the length header")
	}
	out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(packed)), uint16(len(packed)))
	return append(out, packed...), nil
}

// withSecondaryBitmap adds an empty secondary bitmap to a packed message
// that has none: bit 1 set, 16 hexadecimal zeros after the primary bitmap.
func withSecondaryBitmap(packed []byte) []byte {
	if len(packed) < 20 {
		return packed
	}
	first, err := strconv.ParseUint(string(packed[4:5]), 16, 8)
	if err != nil || first&0x8 != 0 {
		return packed // not hex, or a secondary bitmap already
	}
	out := make([]byte, 0, len(packed)+16)
	out = append(out, packed[:4]...)
	out = append(out, "0123456789ABCDEF"[first|0x8])
	out = append(out, packed[5:20]...)
	out = append(out, strings.Repeat("0", 16)...)
	return append(out, packed[20:]...)
}

// decide applies the acquirer's rules to a fresh void or refund and, when it
// approves, writes the ledger entry; a.mu is held.
func (a *Acquirer) decide(r pos.Request, now time.Time) (string, *entry) {
	merchant, known := a.terminals[r.TerminalID]
	if !known {
		return pos.CodeNotPermitted, nil
	}
	sale := a.findSale(r, merchant)
	if sale == nil {
		return pos.CodeOriginalNotFound, nil
	}
	if sale.MerchantID != merchant || sale.MerchantID != r.MerchantID {
		return pos.CodeNotPermitted, nil
	}
	if sale.Currency != r.Currency {
		return pos.CodeInvalidTransaction, nil
	}
	if r.Kind == pos.KindVoid {
		if r.TerminalID != sale.TerminalID && !a.cfg.VoidAnyTerminal {
			return pos.CodeNotPermitted, nil // a void comes from the sale's own terminal
		}
		if _, settled := a.settledOn(a.batchOf(sale), now); settled {
			return pos.CodeInvalidTransaction, nil // too late to void: refund
		}
		if live(sale.children) {
			return pos.CodeInvalidTransaction, nil // voided or refunded already: refund what remains
		}
		if r.Amount != sale.Amount {
			return pos.CodeInvalidAmount, nil // a void cancels the whole sale: refund a part
		}
	}
	if r.Amount > remaining(sale) {
		return pos.CodeInvalidAmount, nil
	}
	code, _ := r.Kind.ProcessingCode()
	e := &entry{Entry: Entry{Kind: string(r.Kind), TerminalID: r.TerminalID, MerchantID: r.MerchantID, STAN: r.STAN,
		RRN: r.RRN, ApprovalCode: a.newApprovalCode(), ProcessingCode: code, Currency: r.Currency,
		MaskedPAN: sale.MaskedPAN, Amount: r.Amount, At: r.TransmittedAt.UTC(), OriginalSTAN: sale.STAN, OriginalRRN: sale.RRN},
		sale: sale}
	b := a.batchAt(now)
	e.batch = &b
	sale.children = append(sale.children, e)
	a.entries = append(a.entries, e)
	a.rrns[e.RRN] = true
	return pos.CodeApproved, e
}

// findSale finds a refund's sale by RRN and STAN on the date of DE90, a
// void's by STAN and exact DE7; either way, what DE61 tells of the sale
// (terminal, batch, RRN, approval code) must agree with the ledger where
// both know it. Among several, the sale of the sending terminal, then of
// its merchant, wins.
func (a *Acquirer) findSale(r pos.Request, merchant string) *entry {
	o := r.Original
	agrees := func(s *entry) bool {
		return (o.RRN == "" || s.RRN == o.RRN) &&
			(o.TerminalID == "" || s.TerminalID == o.TerminalID) &&
			(o.Batch == "" || s.saleBatch == "" || s.saleBatch == o.Batch) &&
			(o.ApprovalCode == "" || s.ApprovalCode == "" || s.ApprovalCode == o.ApprovalCode)
	}
	if r.Kind == pos.KindRefund {
		s := a.sales[o.RRN]
		if s == nil || s.STAN != o.STAN || s.At.Format("0102") != o.At.UTC().Format("0102") || !agrees(s) {
			return nil
		}
		return s
	}
	var best *entry
	score := -1
	for _, s := range a.salesBySTAN[o.STAN] {
		if !s.At.Truncate(time.Second).Equal(o.At.Truncate(time.Second)) || !agrees(s) {
			continue
		}
		sc := 0
		if s.TerminalID == r.TerminalID {
			sc += 2
		}
		if s.MerchantID == merchant {
			sc++
		}
		if sc > score {
			best, score = s, sc
		}
	}
	return best
}

// live tells whether any of entries stands (is not reversed).
func live(entries []*entry) bool {
	for _, e := range entries {
		if !e.Reversed {
			return true
		}
	}
	return false
}

// remaining is what can still be voided or refunded of a sale.
func remaining(sale *entry) int64 {
	left := sale.Amount
	for _, c := range sale.children {
		if !c.Reversed {
			left -= c.Amount
		}
	}
	return left
}

const approvalChars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

func (a *Acquirer) newApprovalCode() string {
	b := make([]byte, 6)
	for i := range b {
		b[i] = approvalChars[a.rng.IntN(len(approvalChars))]
	}
	return string(b)
}
