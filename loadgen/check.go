package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"io"
	"net/http"
	"time"

	"github.com/rebound-returns/rebound/payments"
)

// check reads every return once more and the simulators' books: each
// return at EndStatus with a succeeded refund, each card refund once in the
// acquirer's ledger and each online one once in the gateway's report,
// for Rebound's amount.
func (r *run) check(ctx context.Context, all []*one) Check {
	c := Check{NotAtEnd: map[string]string{}}
	want := map[string]map[string]int64{KindOnline: {}, KindCard: {}}
	for _, o := range all {
		name := o.number
		if o.id != "" {
			name = o.id
		}
		if o.token == "" {
			c.NotAtEnd[name] = "never verified: " + errString(o.err)
			continue
		}
		v, err := r.read(ctx, o)
		o.final = v
		switch {
		case err != nil:
			c.NotAtEnd[name] = "unreadable: " + err.Error()
		case v.Status != EndStatus || v.Refund == nil || v.Refund.Status != string(returns.RefundStatusSucceeded):
			refund := "no refund"
			if v.Refund != nil {
				refund = "refund " + v.Refund.Status
			}
			c.NotAtEnd[name] = v.Status + ", " + refund
		default:
			c.AtEnd++
		}
		if v.Refund != nil && v.Refund.Status == string(returns.RefundStatusSucceeded) {
			want[o.kind][o.payment] = v.Refund.Amount
		}
	}
	if r.l.AcquirerAdminURL != "" {
		c.Acquirer = r.acquirerBooks(ctx, want[KindCard])
	}
	if r.l.GatewayURL != "" {
		c.Gateway = r.gatewayBooks(ctx, want[KindOnline])
	}
	c.OK = c.AtEnd == len(all) && c.Acquirer.ok() && c.Gateway.ok()
	if len(c.NotAtEnd) == 0 {
		c.NotAtEnd = nil
	}
	return c
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// tally compares what a simulator holds (amounts by sale or payment) with
// what Rebound refunded.
func tally(want map[string]int64, held map[string][]int64) Books {
	b := Books{Checked: true}
	for _, k := range sortedKeys(want) {
		got := held[k]
		switch {
		case len(got) == 0:
			b.Missing = append(b.Missing, k)
		case len(got) > 1:
			b.Twice = append(b.Twice, k)
		case got[0] != want[k]:
			b.WrongAmount = append(b.WrongAmount, fmt.Sprintf("%s: %d, Rebound %d", k, got[0], want[k]))
		default:
			b.Once++
		}
	}
	return b
}

// acquirerBooks reads the acquirer simulator's ledger: every void or refund
// not reversed counts against the sale it names.
func (r *run) acquirerBooks(ctx context.Context, want map[string]int64) Books {
	var ledger []struct {
		Kind        string `json:"kind"`
		Amount      int64  `json:"amount"`
		Reversed    bool   `json:"reversed"`
		OriginalRRN string `json:"original_rrn"`
	}
	if err := getJSON(ctx, r.l.AcquirerAdminURL+"/admin/ledger", "", &ledger); err != nil {
		return Books{Checked: true, Error: err.Error()}
	}
	held := map[string][]int64{}
	for _, e := range ledger {
		if e.Kind != "sale" && !e.Reversed {
			if _, ours := want[e.OriginalRRN]; ours {
				held[e.OriginalRRN] = append(held[e.OriginalRRN], e.Amount)
			}
		}
	}
	return tally(want, held)
}

// gatewayBooks reads the gateway simulator's daily reports of the days
// the run spans: every succeeded refund counts against its payment.
func (r *run) gatewayBooks(ctx context.Context, want map[string]int64) Books {
	held := map[string][]int64{}
	now := time.Now().UTC()
	for _, day := range []time.Time{now.AddDate(0, 0, -1), now} {
		u := r.l.GatewayURL + "/admin/report?date=" + day.Format(time.DateOnly)
		body, err := get(ctx, u, r.l.GatewayKey)
		if err != nil {
			return Books{Checked: true, Error: err.Error()}
		}
		rr, err := payments.NewReportReader(body)
		if err != nil {
			body.Close()
			return Books{Checked: true, Error: err.Error()}
		}
		for {
			it, err := rr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				body.Close()
				return Books{Checked: true, Error: err.Error()}
			}
			if _, ours := want[it.PaymentID]; ours && it.Status == payments.StatusSucceeded {
				held[it.PaymentID] = append(held[it.PaymentID], it.Amount)
			}
		}
		body.Close()
	}
	return tally(want, held)
}

func get(ctx context.Context, u, bearer string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, firstLine(string(b)))
	}
	return resp.Body, nil
}

func getJSON(ctx context.Context, u, bearer string, into any) error {
	body, err := get(ctx, u, bearer)
	if err != nil {
		return err
	}
	defer body.Close()
	return json.NewDecoder(body).Decode(into)
}
