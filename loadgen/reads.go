package loadgen

import (
	"context"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// Reads measures three of the API's reads — a return as its shopper sees
// it, the merchant's list of returns and finance's list of refunds —
// against a bare gin handler, served by the load itself, that runs the
// SELECTs the same answer needs on the same database and encodes the rows
// as JSON: no authentication, no use case, nothing but the query. The
// ratio API ÷ bare is what Rebound's own layers cost.
type Reads struct {
	// Lifecycle reaches the API; its returns (SeedReturns of them) give
	// the reads something to read.
	Lifecycle   Lifecycle
	SeedReturns int
	DB          *db.DB
	Concurrency int
	Duration    time.Duration
	// Page is the list pages' size, asked of both sides.
	Page int
}

// ReadResult is one read measured on both sides.
type ReadResult struct {
	Read  string    `json:"read"`
	API   ReadSides `json:"api"`
	Bare  ReadSides `json:"bare"`
	Ratio float64   `json:"ratio"` // API ÷ bare requests per second
}

// ReadSides is one side of a read.
type ReadSides struct {
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	PerSecond float64 `json:"requests_per_second"`
	Latency   Summary `json:"latency"`
}

// ReadsReport is what Reads measured.
type ReadsReport struct {
	Concurrency int          `json:"concurrency"`
	Seconds     float64      `json:"seconds_each"`
	Database    string       `json:"database"`
	Reads       []ReadResult `json:"reads"`
}

// Run seeds the returns, starts the bare handler and measures each read
// on the API and then on the bare handler.
func (r Reads) Run(ctx context.Context) (ReadsReport, error) {
	if r.Concurrency <= 0 {
		r.Concurrency = 16
	}
	if r.Duration <= 0 {
		r.Duration = 5 * time.Second
	}
	if r.Page <= 0 {
		r.Page = 50
	}
	l := r.Lifecycle
	l.Returns = max(r.SeedReturns, 1)
	l.Progress = nil
	l.AcquirerAdminURL, l.GatewayURL = "", ""
	_, all, err := l.run(ctx)
	if err != nil {
		return ReadsReport{}, err
	}
	var shopper *one
	for _, o := range all {
		if o.token != "" {
			shopper = o
			break
		}
	}
	if shopper == nil {
		return ReadsReport{}, fmt.Errorf("no return to read: %v", all[0].err)
	}
	m, err := r.DB.Merchants.MerchantBySlug(ctx, l.Merchant)
	if err != nil {
		return ReadsReport{}, fmt.Errorf("merchant %q in the database: %w", l.Merchant, err)
	}
	rec := newRecorder()
	api := newAPIClient(l.APIs, rec, r.Concurrency)
	staff := &run{l: &l, c: api, rec: rec}
	clerk, err := staff.login(ctx, l.Clerk)
	if err != nil {
		return ReadsReport{}, err
	}
	finance, err := staff.login(ctx, string(returns.RoleFinance))
	if err != nil {
		return ReadsReport{}, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ReadsReport{}, err
	}
	srv := &http.Server{Handler: bareHandler(r.DB, m.ID, r.Page)}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	bare := newAPIClient([]string{"http://" + ln.Addr().String()}, newRecorder(), r.Concurrency)

	page := fmt.Sprintf("?limit=%d", r.Page)
	reads := []struct {
		name, path string
		header     []string
	}{
		{"GET /v1/returns/{id}", "/v1/returns/" + shopper.id, append(staff.shopper(shopper), "Authorization", "Bearer "+shopper.token)},
		{"GET /v1/merchant/returns", "/v1/merchant/returns" + page, []string{"Authorization", "Bearer " + clerk}},
		{"GET /v1/finance/refunds", "/v1/finance/refunds" + page, []string{"Authorization", "Bearer " + finance}},
	}
	rep := ReadsReport{Concurrency: r.Concurrency, Seconds: r.Duration.Seconds(), Database: string(r.DB.Dialect())}
	for _, rd := range reads {
		if err := sameAnswer(ctx, api, bare, rd.path, rd.header); err != nil {
			return rep, fmt.Errorf("%s: %w", rd.name, err)
		}
		res := ReadResult{Read: rd.name}
		if res.API, err = hammer(ctx, api, rd.path, rd.header, r.Concurrency, r.Duration); err != nil {
			return rep, err
		}
		if res.Bare, err = hammer(ctx, bare, rd.path, nil, r.Concurrency, r.Duration); err != nil {
			return rep, err
		}
		if res.Bare.PerSecond > 0 {
			res.Ratio = res.API.PerSecond / res.Bare.PerSecond
		}
		rep.Reads = append(rep.Reads, res)
	}
	return rep, nil
}

// sameAnswer checks that the bare handler answers what the API does, in
// kind: the same return, or as many items on the page.
func sameAnswer(ctx context.Context, api, bare *apiClient, path string, header []string) error {
	var got [2]struct {
		ID       string `json:"id"`
		Items    []any  `json:"items"`
		Timeline []any  `json:"timeline"`
	}
	for i, c := range []*apiClient{api, bare} {
		h := header
		if c == bare {
			h = nil
		}
		a, err := c.do(ctx, "read", "GET", path, nil, 200, h...)
		if err != nil {
			return err
		}
		if err := a.decode(&got[i]); err != nil {
			return err
		}
	}
	if got[0].ID != got[1].ID || len(got[0].Items) != len(got[1].Items) || len(got[0].Timeline) != len(got[1].Timeline) {
		return fmt.Errorf("the bare handler answers another thing: %s with %d items and %d events, the API %s with %d and %d",
			got[1].ID, len(got[1].Items), len(got[1].Timeline), got[0].ID, len(got[0].Items), len(got[0].Timeline))
	}
	return nil
}

// hammer GETs path from concurrency goroutines for d.
func hammer(ctx context.Context, c *apiClient, path string, header []string, concurrency int, d time.Duration) (ReadSides, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				began := time.Now()
				_, err := c.do(ctx, "read", "GET", path, nil, 200, header...)
				if ctx.Err() != nil {
					break // cut off by the end of the run, not an answer
				}
				if err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(began))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	if len(lat) == 0 && errs > 0 {
		return ReadSides{}, fmt.Errorf("GET %s: every request failed", path)
	}
	return ReadSides{Requests: len(lat), Errors: errs, PerSecond: float64(len(lat)) / secs, Latency: summarize(lat)}, nil
}
