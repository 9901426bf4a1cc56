package acquirersim

import (
	"io"
	"slices"
	"time"

	"github.com/rebound-returns/rebound/dropfolder"
	"github.com/rebound-returns/rebound/pos"
)

// The simulator as the acquirer sending its settlement files: at every
// cut-off, each merchant it knows gets the file of the batch that cut-off
// settled, even an empty one, in its folder of the settlement folder. A
// batch is settled once, so a line is never in two files.

// Bounds of the wait for the next scheduled cut-off. The wait is computed
// from the simulator's clock, which may be an injected one that stands
// still or jumps: the clock is looked at again at least every
// maxCutoffWait, and never more often than every minCutoffWait.
const (
	minCutoffWait = 10 * time.Millisecond
	maxCutoffWait = time.Minute
)

// SettlementFileName is the name of the settlement file of merchant mid
// for batch: "settlement-<mid>-<batch>.csv".
func SettlementFileName(mid, batch string) string {
	return "settlement-" + mid + "-" + batch + ".csv"
}

// same reports whether b and o are the same batch.
func (b batchRef) same(o batchRef) bool { return b.n == o.n && b.close.Equal(o.close) }

// batchFiles are the contents of the settlement files of batch b, settled
// at at, by merchant ID: every merchant the simulator knows (by its
// terminals or its ledger entries) with its non-reversed entries of b, if
// any; a.mu is held.
func (a *Acquirer) batchFiles(b batchRef, at time.Time) map[string][]pos.SettlementItem {
	files := map[string][]pos.SettlementItem{}
	for _, mid := range a.terminals {
		files[mid] = nil
	}
	date, id := pos.SettlementDate(at), b.id()
	for _, e := range a.entries {
		lines := files[e.MerchantID]
		if !e.Reversed && a.batchOf(e).same(b) {
			lines = append(lines, e.item(date, id))
		}
		files[e.MerchantID] = lines
	}
	return files
}

// dropFiles writes the settlement files of batch into the settlement
// folder, by merchant ID in order, and returns the paths written. A file
// that cannot be written is logged and skipped.
func (a *Acquirer) dropFiles(batch string, files map[string][]pos.SettlementItem) []string {
	paths := []string{}
	mids := make([]string, 0, len(files))
	for mid := range files {
		mids = append(mids, mid)
	}
	slices.Sort(mids)
	for _, mid := range mids {
		items := files[mid]
		path, err := dropfolder.Write(a.cfg.SettlementDir, mid, SettlementFileName(mid, batch), func(w io.Writer) error {
			return pos.WriteSettlement(w, items)
		})
		if err != nil {
			a.log.Error("acquirer simulator could not drop a settlement file", "merchant_id", mid, "batch", batch, "err", err)
			continue
		}
		a.log.Info("acquirer simulator dropped a settlement file", "merchant_id", mid, "batch", batch, "lines", len(items), "path", path)
		paths = append(paths, path)
	}
	return paths
}

// notBeforeDropped is now, or the scheduled cut-off last dropped if now is
// before it; a.mu is held.
func (a *Acquirer) notBeforeDropped(now time.Time) time.Time {
	if now.Before(a.dropped) {
		return a.dropped
	}
	return now
}

// dropAtCutoffs drops the settlement files of every scheduled cut-off
// after from, as the simulator's clock passes it, until s closes. Cut-offs
// passed while the simulator is closed drop no file.
func (a *Acquirer) dropAtCutoffs(s *listener, from time.Time) {
	defer s.wg.Done()
	next := scheduledClose(from, a.cfg.Cutoff)
	for {
		now := a.now()
		if !now.Before(next) {
			a.dropScheduled(next)
			next = next.AddDate(0, 0, 1)
			select {
			case <-s.done:
				return
			default:
				continue // the clock may have passed several cut-offs
			}
		}
		t := time.NewTimer(min(max(next.Sub(now), minCutoffWait), maxCutoffWait))
		select {
		case <-s.done:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// dropScheduled drops the settlement files of the batch settled by the
// scheduled cut-off at close: what the manual cut-offs before it left.
func (a *Acquirer) dropScheduled(close time.Time) {
	a.mu.Lock()
	a.dropped = close
	b := batchRef{close: close, n: len(a.cutsIn(close))}
	files := a.batchFiles(b, close)
	a.mu.Unlock()
	a.log.Info("acquirer simulator batch settled at its cut-off", "batch", b.id())
	a.dropFiles(b.id(), files)
}
