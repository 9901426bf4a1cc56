package gatewaysim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/rebound-returns/rebound/dropfolder"
	"github.com/rebound-returns/rebound/payments"
)

// The simulator as the gateway sending its daily reports: when a UTC day
// ends, each merchant account with refunds that reached their final status
// that day gets that day's report in its folder of the settlement folder.

// ErrNoReportDir is WriteReports' answer when the simulator has no ReportDir.
var ErrNoReportDir = errors.New("gatewaysim: the simulator has no report folder (ReportDir)")

// Bounds of the wait for the end of the day. The wait is computed from the
// simulator's clock, which is looked at again at least every maxDayEndWait
// (a machine that slept, a clock that jumped) and never more often than
// every minDayEndWait.
const (
	minDayEndWait = 10 * time.Millisecond
	maxDayEndWait = time.Minute
)

// ReportFileName is the name of account's daily report of the UTC day of
// date: "gateway-report-<account>-<YYYY-MM-DD>.csv".
func ReportFileName(account string, date time.Time) string {
	return "gateway-report-" + account + "-" + payments.ReportDay(date).Format(time.DateOnly) + ".csv"
}

// validAccount reports whether s can name an account: its folder and a
// part of its reports' names.
func validAccount(s string) bool {
	return len(s) <= maxAccountLen && payments.ValidReportID(s) && dropfolder.ValidName(s)
}

// WriteReports drops the daily reports of the UTC day of date into the
// report folder now, as the simulator does when the day ends: one per
// account with refunds that reached their final status that day, holding
// only that account's, as <ReportDir>/<account>/<ReportFileName>; a report
// of the same name is replaced. Accounts with no such refund get no file.
// It answers the paths written, by account; a report it cannot write is
// skipped and its error joined to the answer. Without a ReportDir it
// writes nothing and answers ErrNoReportDir.
func (s *Simulator) WriteReports(date time.Time) ([]string, error) {
	if s.cfg.ReportDir == "" {
		return nil, ErrNoReportDir
	}
	day := payments.ReportDay(date)
	s.mu.Lock()
	items, accounts := s.reportLocked(day)
	s.mu.Unlock()
	byAccount := map[string][]payments.ReportItem{}
	for i, it := range items {
		byAccount[accounts[i]] = append(byAccount[accounts[i]], it)
	}
	names := make([]string, 0, len(byAccount))
	for name := range byAccount {
		names = append(names, name)
	}
	slices.Sort(names)
	paths := []string{}
	var errs []error
	for _, name := range names {
		path, err := dropfolder.Write(s.cfg.ReportDir, name, ReportFileName(name, day), func(w io.Writer) error {
			return payments.WriteReport(w, byAccount[name])
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("gatewaysim: report of account %s: %w", name, err))
			continue
		}
		paths = append(paths, path)
	}
	return paths, errors.Join(errs...)
}

// reportAtDayEnds drops the reports of day and of every day after it as
// the simulator's clock passes its end, until ctx ends.
func (s *Simulator) reportAtDayEnds(ctx context.Context, day time.Time) {
	for {
		end := day.AddDate(0, 0, 1)
		if now := s.now(); now.Before(end) {
			t := time.NewTimer(min(max(end.Sub(now), minDayEndWait), maxDayEndWait))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		paths, err := s.WriteReports(day)
		if err != nil {
			s.log.Error("gateway simulator could not drop a daily report", "date", day.Format(time.DateOnly), "err", err)
		}
		s.log.Info("gateway simulator dropped its daily reports", "date", day.Format(time.DateOnly), "files", len(paths))
		day = end
		if ctx.Err() != nil {
			return
		}
	}
}
