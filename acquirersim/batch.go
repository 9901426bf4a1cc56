package acquirersim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/pos"
)

// A batch is identified by its scheduled close (the cut-off that ends it)
// and, when CutOff settled part of that window early, its sequence in it:
// ID "20260115-01" is the first (often only) batch closing on 15 January.
type batchRef struct {
	close time.Time
	n     int
}

func (b batchRef) id() string { return fmt.Sprintf("%s-%02d", b.close.Format("20060102"), b.n+1) }

// scheduledClose is when the batch holding a transaction at t is settled:
// that day's cut-off if t is before it, else the next day's.
func scheduledClose(t time.Time, cutoff time.Duration) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if closes := day.Add(cutoff); t.Before(closes) {
		return closes
	}
	return day.AddDate(0, 0, 1).Add(cutoff)
}

// cutsIn are the manual cut-offs within the window that closes at close;
// a.mu is held.
func (a *Acquirer) cutsIn(close time.Time) []time.Time {
	open := close.AddDate(0, 0, -1)
	var in []time.Time
	for _, c := range a.cuts {
		if !c.Before(open) && c.Before(close) {
			in = append(in, c)
		}
	}
	return in
}

// batchAt is the batch of a transaction at t; a.mu is held.
func (a *Acquirer) batchAt(t time.Time) batchRef {
	b := batchRef{close: scheduledClose(t, a.cfg.Cutoff)}
	for _, c := range a.cutsIn(b.close) {
		if !c.After(t) {
			b.n++
		}
	}
	return b
}

// settledOn tells whether batch b is settled at now, and when; a.mu is held.
func (a *Acquirer) settledOn(b batchRef, now time.Time) (time.Time, bool) {
	if cuts := a.cutsIn(b.close); b.n < len(cuts) {
		return cuts[b.n], true
	}
	if !now.Before(b.close) {
		return b.close, true
	}
	return time.Time{}, false
}

// CutOff settles the open batch now, ahead of its scheduled cut-off; what
// comes after it goes into a new batch. With a SettlementDir, it drops the
// batch's settlement files.
func (a *Acquirer) CutOff() { a.cutOff() }

// cutOff settles the open batch and returns its id and the paths of the
// settlement files dropped.
func (a *Acquirer) cutOff() (string, []string) {
	now := a.now()
	a.mu.Lock()
	now = a.notBeforeDropped(now)
	b := a.batchAt(now)
	a.cuts = append(a.cuts, now)
	var files map[string][]pos.SettlementItem
	if a.cfg.SettlementDir != "" {
		files = a.batchFiles(b, now) // after the cut: what the batch holds is final
	}
	a.mu.Unlock()
	a.log.Info("acquirer simulator batch cut off", "batch", b.id())
	return b.id(), a.dropFiles(b.id(), files)
}

// Settlement is the settlement file of date (UTC): every ledger entry whose
// batch was settled that day, sales, voids and refunds alike (processing
// codes 000000, 020000, 200000), reversed entries left out. Each batch is
// in it once; after a second cut-off that day it holds the first batch
// too, which BatchSettlement gives alone.
func (a *Acquirer) Settlement(date time.Time) []pos.SettlementItem {
	date = pos.SettlementDate(date)
	return a.settled(func(_ batchRef, at time.Time) bool { return pos.SettlementDate(at).Equal(date) })
}

// BatchSettlement is the settlement file of batch id (as a cut-off names
// it, "20060102-01"): the batch's non-reversed entries, what the cut-off
// that settled it dropped for each merchant, all merchants together. It
// answers false if the batch is not settled yet, and an error if id names
// no batch.
func (a *Acquirer) BatchSettlement(id string) ([]pos.SettlementItem, bool, error) {
	b, err := a.parseBatch(id)
	if err != nil {
		return nil, false, err
	}
	a.mu.Lock()
	_, settled := a.settledOn(b, a.now())
	a.mu.Unlock()
	if !settled {
		return nil, false, nil
	}
	return a.settled(func(of batchRef, _ time.Time) bool { return of.same(b) }), true, nil
}

// parseBatch reads a batch ID: the day its window closes, then its
// sequence in it from 01.
func (a *Acquirer) parseBatch(id string) (batchRef, error) {
	bad := fmt.Errorf("batch: %q is not a batch ID such as 20260115-01", id)
	day, seq, ok := strings.Cut(id, "-")
	if !ok || len(seq) != 2 {
		return batchRef{}, bad
	}
	closes, err := time.Parse("20060102", day)
	n, nerr := strconv.Atoi(seq)
	if err != nil || nerr != nil || n < 1 {
		return batchRef{}, bad
	}
	return batchRef{close: closes.Add(a.cfg.Cutoff), n: n - 1}, nil
}

// settled are the lines of the non-reversed entries whose batch is
// settled now, and keep takes with the time it was settled, in the
// ledger's order.
func (a *Acquirer) settled(keep func(b batchRef, at time.Time) bool) []pos.SettlementItem {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	var items []pos.SettlementItem
	for _, e := range a.entries {
		if e.Reversed {
			continue
		}
		b := a.batchOf(e)
		at, settled := a.settledOn(b, now)
		if !settled || !keep(b, at) {
			continue
		}
		items = append(items, e.item(pos.SettlementDate(at), b.id()))
	}
	return items
}

// item is the settlement line of a ledger entry of batch, settled on date.
func (e *entry) item(date time.Time, batch string) pos.SettlementItem {
	return pos.SettlementItem{
		SettlementDate: date, TransactionDate: pos.SettlementDate(e.At),
		MerchantID: e.MerchantID, TerminalID: e.TerminalID, STAN: e.STAN, RRN: e.RRN,
		ApprovalCode: e.ApprovalCode, ProcessingCode: e.ProcessingCode, Amount: e.Amount,
		Currency: e.Currency, MaskedPAN: e.MaskedPAN, Batch: batch,
	}
}
