package acquirersim

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/pos"
)

// Sale is a card sale the simulator's ledger learns (from Rebound's
// ingested orders in dev). MaskedPAN shows the first 6 and last 4 digits
// only; a full card number is refused.
type Sale struct {
	TerminalID   string `json:"terminal_id"`
	MerchantID   string `json:"merchant_id"`
	STAN         string `json:"stan"`
	RRN          string `json:"rrn"`
	ApprovalCode string `json:"approval_code"`
	MaskedPAN    string `json:"masked_pan"`
	Currency     string `json:"currency"`
	Amount       int64  `json:"amount"`
	// At is the sale's transmission date and time (its DE7).
	At time.Time `json:"at"`
	// Batch is the sale's batch number as its terminal numbers them, 6
	// digits ("" when not told). A void or refund naming another batch in
	// DE61 does not find the sale (25). The simulator's own batches, by
	// cut-off, are Entry.Batch.
	Batch string `json:"batch,omitempty"`
}

// Entry is one line of the simulator's ledger: a sale, or an approved void
// or refund (declined ones leave no entry).
type Entry struct {
	Kind           string    `json:"kind"` // sale, void, refund
	TerminalID     string    `json:"terminal_id"`
	MerchantID     string    `json:"merchant_id"`
	STAN           string    `json:"stan"`
	RRN            string    `json:"rrn"` // a void's or refund's: its own DE37
	ApprovalCode   string    `json:"approval_code"`
	ProcessingCode string    `json:"processing_code"`
	Currency       string    `json:"currency"`
	MaskedPAN      string    `json:"masked_pan"`
	Batch          string    `json:"batch"`
	Amount         int64     `json:"amount"`
	At             time.Time `json:"at"` // the sale's time, or the void's or refund's DE7
	Reversed       bool      `json:"reversed"`
	OriginalSTAN   string    `json:"original_stan,omitempty"`
	OriginalRRN    string    `json:"original_rrn,omitempty"`
}

// entry is a ledger line with what the simulator needs to know about it.
type entry struct {
	Entry
	sale     *entry   // the sale a void or refund refers to
	children []*entry // a sale's voids and refunds
	// batch of a void or refund, fixed when it is processed (so one
	// processed just before a CutOff is in the batch cut off, even on a
	// clock that has not moved); a sale's follows from its time.
	batch *batchRef
	// saleBatch is a sale's batch number as its terminal told it
	// (Sale.Batch), "" when not told.
	saleBatch string
}

// batchOf is the batch of a ledger entry; a.mu is held.
func (a *Acquirer) batchOf(e *entry) batchRef {
	if e.batch != nil {
		return *e.batch
	}
	return a.batchAt(e.At)
}

func (s Sale) validate() error {
	switch {
	case !pos.ValidTerminalID(s.TerminalID):
		return errors.New("terminal_id: must be 8 printable characters")
	case !pos.ValidMerchantID(s.MerchantID) || strings.TrimSpace(s.MerchantID) != s.MerchantID:
		return errors.New("merchant_id: must be 1 to 15 printable characters")
	case !pos.ValidSTAN(s.STAN):
		return errors.New("stan: must be 6 digits, not 000000")
	case !pos.ValidRRN(s.RRN):
		return errors.New("rrn: must be 12 letters or digits")
	case !pos.ValidApprovalCode(s.ApprovalCode):
		return errors.New("approval_code: up to 6 letters or digits")
	case s.Batch != "" && !pos.ValidBatch(s.Batch):
		return errors.New("batch: 6 digits, not 000000")
	case !pos.ValidMaskedPAN(s.MaskedPAN):
		return errors.New("masked_pan: must show only the first 6 and last 4 digits")
	case s.Amount <= 0 || s.Amount > pos.MaxAmount:
		return errors.New("amount: must be positive minor units")
	case s.At.IsZero():
		return errors.New("at: is required")
	}
	if _, ok := pos.CurrencyNumeric(s.Currency); !ok {
		return fmt.Errorf("currency: unsupported %q", s.Currency)
	}
	return nil
}

// AddSale teaches the ledger a sale and its terminal. Adding the same sale
// again changes nothing; another sale with a known RRN is refused.
func (a *Acquirer) AddSale(s Sale) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("pos: sale: %w", err)
	}
	s.At = s.At.UTC()
	a.mu.Lock()
	defer a.mu.Unlock()
	if m, ok := a.terminals[s.TerminalID]; ok && m != s.MerchantID {
		return fmt.Errorf("pos: sale: terminal_id: the terminal belongs to another merchant")
	}
	if old, ok := a.sales[s.RRN]; ok {
		if old.TerminalID == s.TerminalID && old.MerchantID == s.MerchantID && old.STAN == s.STAN &&
			old.Amount == s.Amount && old.Currency == s.Currency && old.At.Equal(s.At) {
			return nil
		}
		return errors.New("pos: sale: rrn: another sale has this RRN")
	}
	if a.rrns[s.RRN] {
		return errors.New("pos: sale: rrn: a void or refund has this RRN")
	}
	e := &entry{Entry: Entry{Kind: "sale", TerminalID: s.TerminalID, MerchantID: s.MerchantID, STAN: s.STAN, RRN: s.RRN,
		ApprovalCode: s.ApprovalCode, ProcessingCode: pos.ProcessingSale, Currency: s.Currency, MaskedPAN: s.MaskedPAN,
		Amount: s.Amount, At: s.At}, saleBatch: s.Batch}
	a.terminals[s.TerminalID] = s.MerchantID
	a.entries = append(a.entries, e)
	a.sales[s.RRN] = e
	a.salesBySTAN[s.STAN] = append(a.salesBySTAN[s.STAN], e)
	a.rrns[s.RRN] = true
	return nil
}

// AddTerminal tells the simulator a terminal (physical or virtual) of a
// merchant. A terminal moved to another merchant follows it.
func (a *Acquirer) AddTerminal(terminalID, merchantID string) {
	a.mu.Lock()
	a.terminals[terminalID] = merchantID
	a.mu.Unlock()
}

// Ledger is a copy of the ledger, in the order it was written.
func (a *Acquirer) Ledger() []Entry {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Entry, len(a.entries))
	for i, e := range a.entries {
		out[i] = e.Entry
		out[i].Batch = a.batchOf(e).id()
	}
	return out
}
