package finance

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
)

// SummaryQuery is the summary's query as sent: an operator's merchant
// (slug) and the days (2026-11-26), To inclusive.
type SummaryQuery struct{ Merchant, From, To string }

// SummaryRow is the refunds of a day, status, channel and currency.
type SummaryRow struct {
	Day      string
	Status   returns.RefundStatus
	Channel  returns.Channel
	Currency string
	Count    int64
	Amount   int64
}

// Total is the refunds of a status and currency.
type Total struct {
	Status   returns.RefundStatus
	Currency string
	Count    int64
	Amount   int64
}

// Summary is the refunds by day, and their totals by status and currency
// in the order the rows first show them.
type Summary struct {
	Rows   []SummaryRow
	Totals []Total
}

// MaxSummaryDays bounds the days of one summary, as store credit's
// outstanding report is bounded.
const MaxSummaryDays = 366

// Summary totals the refunds the caller may see between two days, both
// included: to is today (UTC) when not given, from the first of the
// MaxSummaryDays up to to; a longer range is refused.
func (s *Service) Summary(ctx context.Context, c Caller, q SummaryQuery) (Summary, error) {
	merchantID, err := s.scope(ctx, c, q.Merchant)
	if err != nil {
		return Summary{}, err
	}
	from, fromBad := apperr.Day("from", q.From)
	to, toBad := apperr.Day("to", q.To)
	var bad []apperr.Field
	for _, fe := range []*apperr.Field{fromBad, toBad} {
		if fe != nil {
			bad = append(bad, *fe)
		}
	}
	if len(bad) > 0 {
		return Summary{}, apperr.InvalidFields(bad...)
	}
	if q.To == "" {
		to = s.now().Truncate(24 * time.Hour)
	}
	if q.From == "" {
		from = to.AddDate(0, 0, 1-MaxSummaryDays)
	}
	switch {
	case to.Before(from) && q.To == "":
		return Summary{}, apperr.Invalid("from", "must not be after today when to is not given")
	case to.Before(from):
		return Summary{}, apperr.Invalid("to", "must not be before from")
	case to.Sub(from) >= MaxSummaryDays*24*time.Hour && q.To == "":
		return Summary{}, apperr.Invalid("from", "must be at most 366 days before to (today when to is not given)")
	case to.Sub(from) >= MaxSummaryDays*24*time.Hour:
		return Summary{}, apperr.Invalid("to", "must be at most 366 days after from")
	}
	rows, err := s.d.Store.RefundSummary(ctx, merchantID, from, to.Add(24*time.Hour))
	if err != nil {
		return Summary{}, err
	}
	out := Summary{Rows: make([]SummaryRow, 0, len(rows))}
	at := map[string]int{}
	for _, r := range rows {
		out.Rows = append(out.Rows, SummaryRow(r))
		k := string(r.Status) + "/" + r.Currency
		i, ok := at[k]
		if !ok {
			i = len(out.Totals)
			at[k] = i
			out.Totals = append(out.Totals, Total{Status: r.Status, Currency: r.Currency})
		}
		out.Totals[i].Count += r.Count
		out.Totals[i].Amount += r.Amount
	}
	if out.Totals == nil {
		out.Totals = []Total{}
	}
	return out, nil
}
