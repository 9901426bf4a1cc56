package api

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/credit"
	"github.com/rebound-returns/rebound/returns"
)

// Store credit (app/credit): the merchant's checkout redeems it by code
// (X-API-Key, Idempotency-Key required) and puts a redemption back; the
// shopper holding the code reads the balance (the code in a header or a
// body, never the URL); staff list their customers' credits; finance reads
// the outstanding credit per day, as JSON or CSV.

// creditDesk is store credit's use cases (*credit.Service).
type creditDesk interface {
	Redeem(ctx context.Context, c credit.Caller, req credit.RedeemRequest) (credit.Redemption, error)
	Reverse(ctx context.Context, c credit.Caller, redemptionID string) (credit.Redemption, error)
	Balance(ctx context.Context, req credit.BalanceRequest) (credit.Balance, error)
	Credits(ctx context.Context, q credit.ListQuery) (credit.CreditPage, error)
	Outstanding(ctx context.Context, q credit.OutstandingQuery) ([]credit.OutstandingDay, error)
}

// creditCodeHeader carries a credit's code on a shopper's GET.
const creditCodeHeader = "X-Credit-Code"

func (s *server) routesCredit(r *gin.RouterGroup) {
	g := r.Group("/store-credit/redemptions", s.apiKeyOnly())
	g.POST("", s.idempotent, s.handle(s.redeemCredit))
	g.POST("/:redemption_id/reversal", s.idempotent, s.handle(s.reverseRedemption))
	r.GET("/store-credit/balance", s.handle(s.creditBalance))
	r.POST("/store-credit/balance", s.handle(s.creditBalance))
	roles := []returns.Role{returns.RoleFinance, returns.RoleAdmin}
	r.GET("/merchant/store-credit", s.staffOnly(roles...), s.handle(s.listCredits))
	r.GET("/finance/store-credit/outstanding", s.staffOnly(roles...), s.handle(s.outstandingCredit))
}

// creditCaller is the merchant and actor of the request.
func creditCaller(c *gin.Context) credit.Caller {
	p := principalOf(c)
	return credit.Caller{MerchantID: p.MerchantID, Actor: p.Username}
}

// redeemCredit answers 201 with the redemption and what is left.
func (s *server) redeemCredit(c *gin.Context) error {
	var req credit.RedeemRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	req.IdempotencyKey = c.GetHeader("Idempotency-Key")
	res, err := s.credit.Redeem(c.Request.Context(), creditCaller(c), req)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK
	}
	c.Header("Location", "/v1/store-credit/redemptions/"+res.ID)
	c.JSON(status, res)
	return nil
}

// reverseRedemption answers the reversal (the first one, again).
func (s *server) reverseRedemption(c *gin.Context) error {
	res, err := s.credit.Reverse(c.Request.Context(), creditCaller(c), c.Param("redemption_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

type creditCodeRequest struct {
	Code string `json:"code"`
}

// creditBalance answers the credit whose code the shopper holds: from the
// X-Credit-Code header on a GET, from the body on a POST.
func (s *server) creditBalance(c *gin.Context) error {
	req := creditCodeRequest{Code: c.GetHeader(creditCodeHeader)}
	if c.Request.Method == http.MethodPost {
		if err := bind(c, &req); err != nil {
			return err
		}
	}
	b, err := s.credit.Balance(c.Request.Context(), credit.BalanceRequest{Code: req.Code, ClientIP: c.ClientIP()})
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, b)
	return nil
}

// listCredits answers a page of the merchant's credits (a customer's with
// ?customer=), newest first, each with its balance and history.
func (s *server) listCredits(c *gin.Context) error {
	var cur idCursor
	limit, _, bad := readPageFields(c, &cur)
	page, err := s.credit.Credits(c.Request.Context(), credit.ListQuery{MerchantID: principalOf(c).MerchantID,
		Customer: c.Query("customer"), After: cur.ID, Limit: limit, Bad: bad})
	if err != nil {
		return err
	}
	var last cursor
	if n := len(page.Items); page.More && n > 0 {
		last = &idCursor{ID: page.Items[n-1].ID}
	}
	c.JSON(http.StatusOK, newPage(c, page.Items, page.More, last, page.Total))
	return nil
}

var outstandingCSVHeader = []string{"day", "currency", string(returns.CreditIssued), string(returns.CreditRedeemed), string(returns.CreditReversed),
	string(returns.CreditExpired), "outstanding"}

// outstandingCredit answers the outstanding credit per day and currency;
// with Accept: text/csv (or ?format=csv) as a CSV file in minor units.
func (s *server) outstandingCredit(c *gin.Context) error {
	format := c.Query("format")
	if format != "" && format != "json" && format != "csv" {
		return Invalid(FieldError{Field: "format", Message: "must be json or csv"})
	}
	days, err := s.credit.Outstanding(c.Request.Context(), credit.OutstandingQuery{MerchantID: principalOf(c).MerchantID,
		From: c.Query("from"), To: c.Query("to")})
	if err != nil {
		return err
	}
	if strings.Contains(c.GetHeader("Accept"), "text/csv") || format == "csv" {
		return writeOutstandingCSV(c, days)
	}
	if days == nil {
		days = []credit.OutstandingDay{}
	}
	c.JSON(http.StatusOK, gin.H{"days": days})
	return nil
}

// writeOutstandingCSV answers the days as a CSV file, in minor units.
func writeOutstandingCSV(c *gin.Context, days []credit.OutstandingDay) error {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="store-credit-outstanding.csv"`)
	w := csv.NewWriter(c.Writer)
	_ = w.Write(outstandingCSVHeader)
	for _, d := range days {
		_ = w.Write([]string{d.Day, d.Currency, strconv.FormatInt(d.Issued, 10), strconv.FormatInt(d.Redeemed, 10),
			strconv.FormatInt(d.Reversed, 10), strconv.FormatInt(d.Expired, 10), strconv.FormatInt(d.Outstanding, 10)})
	}
	w.Flush()
	return w.Error()
}
