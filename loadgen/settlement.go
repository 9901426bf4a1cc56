// Package loadgen makes realistic load for tests and benchmarks: an
// acquirer's settlement file of any size with a chosen share of each
// discrepancy, and the refund attempts Rebound's books must hold for the
// file to reconcile as planned. Everything is derived from a seed, so the
// file and the books agree without either being held in memory.
package loadgen

import (
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"io"
	"time"

	"github.com/rebound-returns/rebound/pos"
)

// maxSTAN is the largest STAN: a terminal sends at most this many
// messages a day.
const maxSTAN = 999999

// Settlement describes a settlement file to generate. Shares are parts of
// the file's refund and void rows (0.01 is one in a hundred).
type Settlement struct {
	Rows        int64     // data rows in the file
	Seed        uint64    // the same seed gives the same file and books
	MerchantID  string    // the acquirer's merchant ID of every row
	Currency    string    // ISO 4217
	Day         time.Time // the settlement date; transactions are of the day before
	Terminals   int       // how many terminals the rows spread over (at least enough for unique STANs)
	Unexpected  float64   // rows Rebound has no attempt for
	Mismatch    float64   // rows whose amount differs from Rebound's attempt
	Missing     float64   // attempts Rebound holds (overdue) that the file leaves out, as a share of refund rows
	SalesShare  float64   // share of sales among all rows (the rest are refunds and voids)
	VoidsShare  float64   // share of voids among refunds and voids
	OverdueDays int       // how long before the settlement date the missing refunds were sent
}

// Counts is what a generated file holds and what the books hold.
type Counts struct {
	Rows       int64 `json:"rows"`
	Sales      int64 `json:"sales"`
	Refunds    int64 `json:"refunds"` // refund and void rows
	Matching   int64 `json:"matching"`
	Unexpected int64 `json:"unexpected"`
	Mismatch   int64 `json:"amount_mismatch"`
	Missing    int64 `json:"missing"`
	Attempts   int64 `json:"attempts"` // what the books hold: matching + mismatch + missing
}

// Attempt is a refund attempt the books must hold for the file to
// reconcile as planned.
type Attempt struct {
	Kind         returns.AttemptKind // returns.AttemptRefund or returns.AttemptVoid
	TerminalID   string
	STAN         string
	RRN          string
	ApprovalCode string
	Amount       int64
	SentAt       time.Time
}

// Check validates the description and fills in defaults.
func (s *Settlement) Check() error {
	switch {
	case s.Rows < 0:
		return errors.New("rows: must not be negative")
	case len(s.MerchantID) != 15:
		return errors.New("merchant: an acquirer merchant ID has 15 characters")
	case s.Day.IsZero():
		return errors.New("day: required")
	}
	for _, sh := range []struct {
		name string
		v    float64
	}{{"unexpected", s.Unexpected}, {"mismatch", s.Mismatch}, {"missing", s.Missing}, {"sales", s.SalesShare}, {"voids", s.VoidsShare}} {
		if sh.v < 0 || sh.v > 1 {
			return fmt.Errorf("%s: a share between 0 and 1", sh.name)
		}
	}
	if s.Unexpected+s.Mismatch > 1 {
		return errors.New("unexpected, mismatch: their shares add up to more than 1")
	}
	if s.Currency == "" {
		s.Currency = "EUR"
	}
	s.Day = time.Date(s.Day.Year(), s.Day.Month(), s.Day.Day(), 0, 0, 0, 0, time.UTC)
	if s.Terminals > 9999 {
		return errors.New("terminals: at most 9999")
	}
	if need := int(s.Rows/maxSTAN) + 1; s.Terminals < need {
		s.Terminals = max(need, min(200, int(s.Rows/1000)+1))
	}
	if s.OverdueDays <= 0 {
		s.OverdueDays = 30
	}
	return nil
}

// row is what the seed makes of row i.
type row struct {
	code       string
	terminal   string
	stan       string
	rrn        string
	approval   string
	amount     int64 // in the file
	booked     int64 // in the books (0: not there)
	unexpected bool
	mismatch   bool
	pan        string
}

// mix is splitmix64: a well-spread 64-bit value for each input.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// unit is a value in [0, 1) from h.
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

var bins = [...]string{"411111", "552233", "400012", "535522", "371449"}

const approvalChars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

func (s *Settlement) row(i int64) row {
	h := mix(s.Seed ^ mix(uint64(i)))
	t := int(i % int64(s.Terminals))
	r := row{
		terminal: s.terminalPrefix() + fmt.Sprintf("%04d", t+1),
		stan:     fmt.Sprintf("%06d", i/int64(s.Terminals)+1),
		rrn:      fmt.Sprintf("%012d", (s.Seed%90+10)*10_000_000_000+uint64(i)),
		amount:   int64(100 + mix(h)%49_900),
		pan:      fmt.Sprintf("%s******%04d", bins[h%uint64(len(bins))], mix(h+1)%10_000),
	}
	a := mix(h + 2)
	ap := make([]byte, 6)
	for k := range ap {
		ap[k] = approvalChars[a%uint64(len(approvalChars))]
		a /= uint64(len(approvalChars))
	}
	r.approval = string(ap)
	switch {
	case unit(mix(h+3)) < s.SalesShare:
		r.code = pos.ProcessingSale
		return r
	case unit(mix(h+4)) < s.VoidsShare:
		r.code = pos.ProcessingVoid
	default:
		r.code = pos.ProcessingRefund
	}
	u := unit(mix(h + 5))
	switch {
	case u < s.Unexpected:
		r.unexpected = true
	case u < s.Unexpected+s.Mismatch:
		r.mismatch = true
		r.booked = r.amount
		r.amount += int64(1 + mix(h+6)%99) // the acquirer's amount differs
	default:
		r.booked = r.amount
	}
	return r
}

// terminalPrefix makes the merchant's terminal IDs its own: 4 characters
// from its acquirer merchant ID.
func (s *Settlement) terminalPrefix() string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	h := mix(0)
	for _, c := range []byte(s.MerchantID) {
		h = mix(h ^ uint64(c))
	}
	p := make([]byte, 4)
	for i := range p {
		p[i] = digits[h%36]
		h /= 36
	}
	return string(p)
}

// missing is how many overdue attempts the books hold beyond the file.
func (s *Settlement) missing(refunds int64) int64 {
	return int64(float64(refunds)*s.Missing + 0.5)
}

// Write writes the file to w, calling progress (when not nil) every so
// many rows with the rows written so far.
func (s Settlement) Write(w io.Writer, progress func(done int64)) (Counts, error) {
	if err := s.Check(); err != nil {
		return Counts{}, err
	}
	sw, err := pos.NewSettlementWriter(w)
	if err != nil {
		return Counts{}, err
	}
	var c Counts
	txDay := s.Day.AddDate(0, 0, -1)
	batch := s.Day.Format("20060102") + "-01"
	for i := int64(0); i < s.Rows; i++ {
		r := s.row(i)
		c.count(r)
		err := sw.Write(pos.SettlementItem{SettlementDate: s.Day, TransactionDate: txDay, MerchantID: s.MerchantID,
			TerminalID: r.terminal, STAN: r.stan, RRN: r.rrn, ApprovalCode: r.approval, ProcessingCode: r.code,
			Amount: r.amount, Currency: s.Currency, MaskedPAN: r.pan, Batch: batch})
		if err != nil {
			return c, err
		}
		if progress != nil && i%10_000 == 9_999 {
			progress(i + 1)
		}
	}
	c.Missing = s.missing(c.Refunds)
	c.Attempts += c.Missing
	if progress != nil {
		progress(s.Rows)
	}
	return c, sw.Flush()
}

func (c *Counts) count(r row) {
	c.Rows++
	switch {
	case r.code == pos.ProcessingSale:
		c.Sales++
		return
	case r.unexpected:
		c.Unexpected++
	case r.mismatch:
		c.Mismatch++
	default:
		c.Matching++
	}
	c.Refunds++
	if r.booked > 0 {
		c.Attempts++
	}
}

// Counts answers what Write would write, without writing it.
func (s Settlement) Counts() (Counts, error) {
	if err := s.Check(); err != nil {
		return Counts{}, err
	}
	var c Counts
	for i := int64(0); i < s.Rows; i++ {
		c.count(s.row(i))
	}
	c.Missing = s.missing(c.Refunds)
	c.Attempts += c.Missing
	return c, nil
}

// Books yields, one at a time, the attempts Rebound must hold: one for
// every matching and mismatched row (with Rebound's amount), then the
// missing ones, sent long enough before the settlement date to be overdue.
// It answers a function that yields io.EOF after the last.
func (s Settlement) Books() (func() (Attempt, error), error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	txDay := s.Day.AddDate(0, 0, -1)
	oldDay := s.Day.AddDate(0, 0, -s.OverdueDays)
	var i, refunds, missing int64
	missingLeft := int64(-1)
	return func() (Attempt, error) {
		for i < s.Rows {
			r := s.row(i)
			i++
			if r.code == pos.ProcessingSale {
				continue
			}
			refunds++
			if r.booked == 0 {
				continue
			}
			return attemptOf(r, txDay, i), nil
		}
		if missingLeft < 0 {
			missingLeft = s.missing(refunds)
		}
		if missing == missingLeft {
			return Attempt{}, io.EOF
		}
		// Missing refunds live beyond the file's rows and on an older day,
		// so their keys meet none of its rows.
		r := s.row(s.Rows + missing)
		missing++
		if r.code == pos.ProcessingSale {
			r.code = pos.ProcessingRefund
		}
		if r.booked == 0 {
			r.booked = r.amount
		}
		return attemptOf(r, oldDay, s.Rows+missing), nil
	}, nil
}

func attemptOf(r row, day time.Time, i int64) Attempt {
	kind := returns.AttemptRefund
	if r.code == pos.ProcessingVoid {
		kind = returns.AttemptVoid
	}
	sec := time.Duration(i%86_000) * time.Second
	return Attempt{Kind: kind, TerminalID: r.terminal, STAN: r.stan, RRN: r.rrn, ApprovalCode: r.approval,
		Amount: r.booked, SentAt: day.Add(sec)}
}
