package pos

import (
	"fmt"
	"strings"
	"time"

	"github.com/moov-io/iso8583"
)

// The simulator's rules: a void (020000) names a sale of the open batch by
// STAN and date, a refund (200000) names any sale by RRN; an approval
// writes a ledger entry with a fresh approval code and RRN. A repeated
// message gets its first answer and is never processed twice; a reversal
// undoes what its request did, or makes sure it never will.

// msgKey identifies a request: terminal, STAN and the MMDD of its DE7.
type msgKey struct{ terminal, stan, date string }

// answer is the first answer to a message, kept to answer its repeats.
type answer struct {
	frame       []byte
	fingerprint string
	entry       *entry // the entry it created, if approved
}

// process counts a message, draws its fault and, unless the fault keeps it
// from being processed, decides its answer.
func (a *Acquirer) process(p parsed, m *iso8583.Message, now time.Time) (fault, []byte, time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now = a.notBeforeDropped(now)
	if p.reversal {
		a.stats.Reversals++
	} else {
		a.stats.Requests++
	}
	f := a.drawFault()
	if f != faultNone {
		a.log.Info("acquirer simulator fault injected", "fault", f.String(), "mti", p.mti, "terminal", p.req.TerminalID, "stan", p.req.STAN)
	}
	switch f {
	case faultDrop:
		a.stats.Dropped++
		return f, nil, 0
	case faultClose:
		a.stats.Closed++
		return f, nil, 0
	}
	var out []byte
	if p.reversal {
		out = a.reverse(p, m)
	} else {
		out = a.request(p, m, now)
	}
	delay := a.faults.DelayBy
	switch f {
	case faultDelay:
		a.stats.Delayed++
		if delay <= 0 {
			delay = DefaultDelayBy
		}
	case faultDuplicate:
		a.stats.Duplicated++
	case faultLose:
		a.stats.ApprovedThenLost++
	}
	return f, out, delay
}

func keyOf(terminal, stan string, at time.Time) msgKey {
	return msgKey{terminal: terminal, stan: stan, date: at.UTC().Format("0102")}
}

// fingerprint tells a repeat from another message reusing terminal and STAN.
func fingerprint(m *iso8583.Message) string {
	var b strings.Builder
	for _, id := range []int{3, 4, 37, 42, 49, 90} {
		v, _ := m.GetString(id)
		b.WriteString(v)
		b.WriteByte('|')
	}
	return b.String()
}

// request answers a 0200; a.mu is held.
func (a *Acquirer) request(p parsed, m *iso8583.Message, now time.Time) []byte {
	k := keyOf(p.req.TerminalID, p.req.STAN, p.req.TransmittedAt)
	fp := fingerprint(m)
	if first, ok := a.answers[k]; ok {
		if first.fingerprint == fp {
			a.stats.Repeats++
			return first.frame
		}
		// Same terminal, STAN and day, different content: not a repeat.
		a.stats.Declined++
		return a.frameOf(m, CodeDuplicate, "", "")
	}
	var code string
	var e *entry
	if a.reversed[k] {
		code = CodeInvalidTransaction // its reversal came first: never processed
	} else {
		code, e = a.decide(p.req, now)
	}
	ans := &answer{fingerprint: fp, entry: e}
	if e != nil {
		a.stats.Approved++
		ans.frame = a.frameOf(m, code, e.ApprovalCode, e.RRN)
	} else {
		a.stats.Declined++
		ans.frame = a.frameOf(m, code, "", "")
	}
	a.answers[k] = ans
	a.log.Info("acquirer simulator answered", "kind", p.req.Kind, "terminal", p.req.TerminalID, "stan", p.req.STAN, "code", code)
	return ans.frame
}

// reverse answers a 0400 or 0401: it undoes what the named request did, if
// anything, and acknowledges; a.mu is held.
func (a *Acquirer) reverse(p parsed, m *iso8583.Message) []byte {
	k := keyOf(p.req.TerminalID, p.req.STAN, p.req.TransmittedAt)
	if first, ok := a.revAnswers[k]; ok {
		a.stats.Repeats++
		return first.frame
	}
	a.reversed[k] = true
	if first, ok := a.answers[k]; ok && first.entry != nil {
		first.entry.Reversed = true
	}
	ans := &answer{frame: a.frameOf(m, CodeApproved, "", "")}
	a.revAnswers[k] = ans
	a.log.Info("acquirer simulator reversed", "terminal", p.req.TerminalID, "stan", p.req.STAN)
	return ans.frame
}

func (a *Acquirer) frameOf(m *iso8583.Message, code, approval, rrn string) []byte {
	resp, err := respond(m, code, approval, rrn)
	if err == nil {
		var b []byte
		if b, err = frame(resp); err == nil {
			return b
		}
	}
	a.log.Error("acquirer simulator could not build its answer", "err", err)
	return nil
}

// decide applies the acquirer's rules to a fresh void or refund and, when it
// approves, writes the ledger entry; a.mu is held.
func (a *Acquirer) decide(r Request, now time.Time) (string, *entry) {
	merchant, known := a.terminals[r.TerminalID]
	if !known {
		return CodeNotPermitted, nil
	}
	sale := a.findSale(r, merchant)
	if sale == nil {
		return CodeOriginalNotFound, nil
	}
	if sale.MerchantID != merchant || sale.MerchantID != r.MerchantID {
		return CodeNotPermitted, nil
	}
	if sale.Currency != r.Currency {
		return CodeInvalidTransaction, nil
	}
	if r.Kind == KindVoid {
		if _, settled := a.settledOn(a.batchOf(sale), now); settled {
			return CodeInvalidTransaction, nil
		}
	}
	if r.Amount > remaining(sale) {
		return CodeInvalidAmount, nil
	}
	code, _ := r.Kind.processingCode()
	e := &entry{Entry: Entry{Kind: string(r.Kind), TerminalID: r.TerminalID, MerchantID: r.MerchantID, STAN: r.STAN,
		RRN: a.newRRN(), ApprovalCode: a.newApprovalCode(), ProcessingCode: code, Currency: r.Currency,
		MaskedPAN: sale.MaskedPAN, Amount: r.Amount, At: r.TransmittedAt.UTC(), OriginalSTAN: sale.STAN, OriginalRRN: sale.RRN},
		sale: sale}
	b := a.batchAt(now)
	e.batch = &b
	sale.children = append(sale.children, e)
	a.entries = append(a.entries, e)
	a.rrns[e.RRN] = true
	return CodeApproved, e
}

// findSale finds a refund's sale by RRN (and STAN), a void's by STAN and
// date, preferring the merchant of the sending terminal and the exact time.
func (a *Acquirer) findSale(r Request, merchant string) *entry {
	if r.Kind == KindRefund {
		s := a.sales[r.Original.RRN]
		if s == nil || s.STAN != r.Original.STAN {
			return nil
		}
		return s
	}
	var best *entry
	score := -1
	day := r.Original.At.UTC().Format(time.DateOnly)
	for _, s := range a.salesBySTAN[r.Original.STAN] {
		if s.At.Format(time.DateOnly) != day || r.Original.RRN != "" && s.RRN != r.Original.RRN {
			continue
		}
		sc := 0
		if s.MerchantID == merchant {
			sc += 2
		}
		if s.At.Equal(r.Original.At) {
			sc++
		}
		if sc > score {
			best, score = s, sc
		}
	}
	return best
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

func (a *Acquirer) newRRN() string {
	for {
		rrn := fmt.Sprintf("%012d", a.rng.Int64N(1_000_000_000_000))
		if !a.rrns[rrn] {
			return rrn
		}
	}
}
