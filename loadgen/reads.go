package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

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
	m, err := r.DB.MerchantBySlug(ctx, l.Merchant)
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
	finance, err := staff.login(ctx, "finance")
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

// The rows the bare handler reads: the columns each answer shows, scanned
// into plain structs and encoded as they are.
type (
	bareReturn struct {
		ID             string      `json:"id"`
		Status         string      `json:"status"`
		Merchant       string      `json:"merchant"`
		OrderNumber    string      `json:"order_number"`
		Method         string      `json:"method"`
		Channel        string      `json:"channel"`
		Currency       string      `json:"currency"`
		StatusReason   string      `json:"status_reason,omitempty"`
		Attention      string      `json:"attention,omitempty"`
		TrackingNumber string      `json:"tracking_number,omitempty"`
		LabelURL       string      `json:"label_url,omitempty"`
		CreatedAt      time.Time   `json:"created_at"`
		UpdatedAt      time.Time   `json:"updated_at"`
		PlacedAt       time.Time   `json:"placed_at"`
		DeliveredAt    *time.Time  `json:"delivered_at,omitempty"`
		RefundAmount   *int64      `json:"refund_amount,omitempty"`
		RefundShipping *int64      `json:"refund_shipping,omitempty"`
		RefundStatus   *string     `json:"refund_status,omitempty"`
		RefundFinished *time.Time  `json:"refund_finished_at,omitempty"`
		Lines          []bareLine  `json:"lines" gorm:"-"`
		Timeline       []bareEvent `json:"timeline" gorm:"-"`
	}
	bareLine struct {
		LineID           string  `json:"line_id"`
		Name             string  `json:"name"`
		UnitPrice        int64   `json:"unit_price"`
		Quantity         int     `json:"quantity"`
		Reason           string  `json:"reason"`
		Note             string  `json:"note,omitempty"`
		AcceptedQuantity *int    `json:"accepted_quantity,omitempty"`
		RejectedQuantity *int    `json:"rejected_quantity,omitempty"`
		Condition        *string `json:"condition,omitempty"`
		RejectReason     string  `json:"reject_reason,omitempty"`
		RefundAmount     *int64  `json:"refund_amount,omitempty"`
	}
	bareEvent struct {
		Status    string    `json:"status"`
		At        time.Time `json:"at"`
		Actor     string    `json:"actor"`
		ActorRole string    `json:"actor_role,omitempty"`
		Note      string    `json:"note,omitempty"`
	}
	bareSummary struct {
		ID             string    `json:"id"`
		OrderNumber    string    `json:"order_number"`
		Status         string    `json:"status"`
		Method         string    `json:"method"`
		Channel        string    `json:"channel"`
		Attention      string    `json:"attention,omitempty"`
		TrackingNumber string    `json:"tracking_number,omitempty"`
		RefundAmount   *int64    `json:"refund_amount,omitempty"`
		Currency       string    `json:"currency"`
		CreatedAt      time.Time `json:"created_at"`
		UpdatedAt      time.Time `json:"updated_at"`
	}
	bareRefund struct {
		ID           string     `json:"id"`
		ReturnID     string     `json:"return_id"`
		Merchant     string     `json:"merchant"`
		OrderNumber  string     `json:"order_number"`
		Channel      string     `json:"channel"`
		Amount       int64      `json:"amount"`
		Shipping     int64      `json:"shipping"`
		Currency     string     `json:"currency"`
		Status       string     `json:"status"`
		FailureCode  string     `json:"failure_code,omitempty"`
		AuthorisedBy string     `json:"authorised_by,omitempty"`
		Attempts     int        `json:"attempts"`
		CreatedAt    time.Time  `json:"created_at"`
		FinishedAt   *time.Time `json:"finished_at,omitempty"`
	}
)

// bareHandler answers the three reads with the SELECTs their answers need:
// a return in three (the return with its order, merchant and refund; its
// lines with the order's; its timeline), each list in one.
func bareHandler(d *db.DB, merchantID string, page int) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	g := gin.New()
	fail := func(c *gin.Context, err error) { c.String(http.StatusInternalServerError, err.Error()) }
	g.GET("/v1/returns/:id", func(c *gin.Context) {
		ctx, id := c.Request.Context(), c.Param("id")
		var rs []bareReturn
		if err := d.Raw(ctx, `SELECT r.id, r.status, m.slug AS merchant, o.order_number, r.method, r.channel, r.currency,
			r.status_reason, r.attention, r.tracking_number, r.label_url, r.created_at, r.updated_at, o.placed_at, o.delivered_at,
			f.amount AS refund_amount, f.shipping_amount AS refund_shipping, f.status AS refund_status, f.finished_at AS refund_finished
			FROM returns r JOIN orders o ON o.id = r.order_id JOIN merchants m ON m.id = r.merchant_id
			LEFT JOIN refunds f ON f.return_id = r.id WHERE r.id = ?`, &rs, id); err != nil {
			fail(c, err)
			return
		}
		if len(rs) == 0 {
			c.Status(http.StatusNotFound)
			return
		}
		out := rs[0]
		if err := d.Raw(ctx, `SELECT l.line_id, ol.name, ol.unit_price, l.quantity, l.reason, l.note, l.accepted_quantity,
			l.rejected_quantity, l.condition, l.reject_reason, l.refund_amount
			FROM return_lines l JOIN returns r ON r.id = l.return_id JOIN order_lines ol ON ol.order_id = r.order_id AND ol.line_id = l.line_id
			WHERE l.return_id = ?`, &out.Lines, id); err != nil {
			fail(c, err)
			return
		}
		if err := d.Raw(ctx, `SELECT status, at, actor, actor_role, note FROM timeline_events WHERE return_id = ? ORDER BY seq`,
			&out.Timeline, id); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, out)
	})
	// The merchant's newest returns, a page and one more (is there a next).
	g.GET("/v1/merchant/returns", func(c *gin.Context) {
		var items []bareSummary
		if err := d.Raw(c.Request.Context(), `SELECT r.id, o.order_number, r.status, r.method, r.channel, r.attention,
			r.tracking_number, r.refund_amount, r.currency, r.created_at, r.updated_at
			FROM returns r JOIN orders o ON o.id = r.order_id WHERE r.merchant_id = ? ORDER BY r.id DESC LIMIT ?`,
			&items, merchantID, page+1); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"items": items[:min(len(items), page)], "more": len(items) > page})
	})
	// The merchant's newest refunds, with the order number and attempts.
	g.GET("/v1/finance/refunds", func(c *gin.Context) {
		var items []bareRefund
		if err := d.Raw(c.Request.Context(), `SELECT r.id, r.return_id, m.slug AS merchant, o.order_number, r.channel, r.amount,
			r.shipping_amount AS shipping, r.currency, r.status, r.failure_code, r.authorised_by,
			(SELECT COUNT(*) FROM refund_attempts a WHERE a.refund_id = r.id) AS attempts, r.created_at, r.finished_at
			FROM refunds r JOIN orders o ON o.id = r.order_id JOIN merchants m ON m.id = r.merchant_id
			WHERE r.merchant_id = ? ORDER BY r.created_at DESC, r.id DESC LIMIT ?`, &items, merchantID, page+1); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"items": items[:min(len(items), page)], "more": len(items) > page})
	})
	return g
}
