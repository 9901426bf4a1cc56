package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// The merchant's systems register paid orders here (X-API-Key).

type orderRequest struct {
	OrderNumber    string          `json:"order_number"`
	Currency       string          `json:"currency"`
	PlacedAt       string          `json:"placed_at"`
	DeliveredAt    string          `json:"delivered_at,omitempty"`
	ShippingAmount int64           `json:"shipping_amount"`
	Customer       customerJSON    `json:"customer"`
	Lines          []orderLineJSON `json:"lines"`
	Payment        *paymentJSON    `json:"payment"`
}

type customerJSON struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

type orderLineJSON struct {
	LineID    string `json:"line_id"`
	SKU       string `json:"sku,omitempty"`
	Name      string `json:"name"`
	Category  string `json:"category,omitempty"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Discount  int64  `json:"discount"`
}

type paymentJSON struct {
	Channel          string `json:"channel"`
	Amount           int64  `json:"amount"`
	TerminalID       string `json:"terminal_id,omitempty"`
	STAN             string `json:"stan,omitempty"`
	RRN              string `json:"rrn,omitempty"`
	ApprovalCode     string `json:"approval_code,omitempty"`
	MaskedPAN        string `json:"masked_pan,omitempty"`
	CardFingerprint  string `json:"card_fingerprint,omitempty"`
	GatewayPaymentID string `json:"gateway_payment_id,omitempty"`
	// TransmittedAt is the card sale's own transmission time (its DE7, as
	// on the acquirer's records), Batch its batch number: a void or refund
	// is decided and referenced from them. Without them, placed_at stands
	// for the time and the batch is unknown.
	TransmittedAt string `json:"transmitted_at,omitempty"`
	Batch         string `json:"batch,omitempty"`
}

type orderView struct {
	OrderNumber    string          `json:"order_number"`
	Currency       string          `json:"currency"`
	PlacedAt       time.Time       `json:"placed_at"`
	DeliveredAt    *time.Time      `json:"delivered_at,omitempty"`
	ShippingAmount int64           `json:"shipping_amount"`
	Customer       customerJSON    `json:"customer"`
	Lines          []orderLineJSON `json:"lines"`
	Payment        *paymentJSON    `json:"payment,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
}

func (s *server) routesIntegration(r *gin.RouterGroup) {
	g := r.Group("/orders", s.apiKeyOnly())
	g.POST("", s.idempotent, s.handle(s.createOrder))
	g.GET("/:order_number", s.handle(s.getOrder))
}

var (
	reOrderNumber = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$`)
	reTerminal    = regexp.MustCompile(`^[A-Za-z0-9]{8}$`)
	reSTAN        = regexp.MustCompile(`^[0-9]{6}$`)
	reRRN         = regexp.MustCompile(`^[A-Za-z0-9]{12}$`)
	reApproval    = regexp.MustCompile(`^[A-Za-z0-9 ]{6}$`)
	reMaskedPAN   = regexp.MustCompile(`^[0-9]{6}[*Xx]{2,9}[0-9]{4}$`)
	reToken       = regexp.MustCompile(`^[A-Za-z0-9_.:-]{8,128}$`)
	rePaymentID   = regexp.MustCompile(`^[A-Za-z0-9_.:-]{3,128}$`)
	rePhone       = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	reBatch       = regexp.MustCompile(`^[0-9]{6}$`)
)

// normalizePhone keeps the digits of a phone number after its '+'.
func normalizePhone(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		if (r == '+' && i == 0) || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func parseTime(field, v string, errs *[]FieldError) time.Time {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		*errs = append(*errs, FieldError{field, "must be an RFC 3339 time such as 2026-11-20T15:04:05Z"})
	}
	return t.UTC()
}

// toOrder validates the request and builds the order to store.
func (req *orderRequest) toOrder(merchantID string) (*db.Order, []FieldError) {
	var errs []FieldError
	if !reOrderNumber.MatchString(req.OrderNumber) {
		errs = append(errs, FieldError{"order_number", "is required: letters, digits and . _ / - (at most 64)"})
	}
	o := &db.Order{MerchantID: merchantID, OrderNumber: req.OrderNumber, Currency: req.Currency,
		ShippingAmount: req.ShippingAmount, CustomerName: strings.TrimSpace(req.Customer.Name)}
	if req.PlacedAt == "" {
		errs = append(errs, FieldError{"placed_at", "is required"})
	} else {
		o.PlacedAt = parseTime("placed_at", req.PlacedAt, &errs)
	}
	if req.DeliveredAt != "" {
		d := parseTime("delivered_at", req.DeliveredAt, &errs)
		o.DeliveredAt = &d
	}
	if e := strings.TrimSpace(req.Customer.Email); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			errs = append(errs, FieldError{"customer.email", "is not an e-mail address"})
		}
		o.CustomerEmail = strings.ToLower(e)
	}
	if req.Customer.Phone != "" {
		o.CustomerPhone = normalizePhone(req.Customer.Phone)
		if !rePhone.MatchString(o.CustomerPhone) {
			errs = append(errs, FieldError{"customer.phone", "must be an international number such as +46701234567"})
		}
	}
	if o.CustomerEmail == "" && o.CustomerPhone == "" {
		errs = append(errs, FieldError{"customer", "needs an email or a phone: the shopper proves the order with a code sent there"})
	}
	for _, l := range req.Lines {
		o.Lines = append(o.Lines, db.OrderLine{LineID: l.LineID, SKU: l.SKU, Name: l.Name, Category: l.Category,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount})
	}
	p := req.Payment
	if p == nil {
		errs = append(errs, FieldError{"payment", "is required"})
	} else {
		errs = append(errs, p.validate()...)
		o.Payment = &db.Payment{Channel: p.Channel, Amount: p.Amount, Currency: req.Currency, TerminalID: p.TerminalID,
			STAN: p.STAN, RRN: p.RRN, ApprovalCode: p.ApprovalCode, MaskedPAN: p.MaskedPAN,
			CardFingerprint: p.CardFingerprint, GatewayPaymentID: p.GatewayPaymentID, Batch: p.Batch}
		if p.TransmittedAt != "" {
			at := parseTime("payment.transmitted_at", p.TransmittedAt, &errs)
			o.Payment.SaleAt = &at
		}
	}
	dom := toDomainOrder(o)
	errs = append(errs, fieldErrors(dom.Validate(), "")...)
	return o, errs
}

func (p *paymentJSON) validate() []FieldError {
	var errs []FieldError
	bad := func(f, m string) { errs = append(errs, FieldError{"payment." + f, m}) }
	switch p.Channel {
	case "card_present":
		if !reTerminal.MatchString(p.TerminalID) {
			bad("terminal_id", "must be the 8-character terminal id")
		}
		if !reSTAN.MatchString(p.STAN) {
			bad("stan", "must be the 6-digit trace number (the voucher number on the slip)")
		}
		if !reRRN.MatchString(p.RRN) {
			bad("rrn", "must be the 12-character retrieval reference number")
		}
		if !reApproval.MatchString(p.ApprovalCode) {
			bad("approval_code", "must be the 6-character approval code")
		}
		if !reMaskedPAN.MatchString(p.MaskedPAN) {
			bad("masked_pan", "must be masked: first 6 and last 4 digits, such as 411111******1111")
		}
		if !reToken.MatchString(p.CardFingerprint) {
			bad("card_fingerprint", "must be the terminal's card token (8 to 128 characters)")
		}
		if p.GatewayPaymentID != "" {
			bad("gateway_payment_id", "is for online payments only")
		}
		if p.Batch != "" && !reBatch.MatchString(p.Batch) {
			bad("batch", "must be the sale's 6-digit batch number")
		}
	case "online":
		if !rePaymentID.MatchString(p.GatewayPaymentID) {
			bad("gateway_payment_id", "is required for online payments (3 to 128 characters)")
		}
		if p.TerminalID != "" || p.STAN != "" || p.RRN != "" || p.CardFingerprint != "" || p.TransmittedAt != "" || p.Batch != "" {
			bad("channel", "online payments carry no terminal data")
		}
	default:
		bad("channel", "must be card_present or online")
	}
	return errs
}

func toDomainOrder(o *db.Order) returns.Order {
	d := returns.Order{Number: o.OrderNumber, Currency: o.Currency, PlacedAt: o.PlacedAt, DeliveredAt: o.DeliveredAt,
		ShippingAmount: o.ShippingAmount}
	if o.Payment != nil {
		d.Paid = o.Payment.Amount
	}
	for _, l := range o.Lines {
		d.Lines = append(d.Lines, returns.OrderLine{LineID: l.LineID, SKU: l.SKU, Name: l.Name, Category: l.Category,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount})
	}
	return d
}

func (s *server) createOrder(c *gin.Context) error {
	p := principalOf(c)
	var req orderRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	o, errs := req.toOrder(p.MerchantID)
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	canonical, _ := json.Marshal(req)
	sum := sha256.Sum256(canonical)
	o.RequestHash = hex.EncodeToString(sum[:])
	ctx := c.Request.Context()
	err := s.deps.DB.CreateOrder(ctx, o)
	switch {
	case errors.Is(err, db.ErrForeignTerminal):
		return Invalid(FieldError{"payment.terminal_id", "is not one of your terminals"})
	case errors.Is(err, db.ErrPaymentTaken):
		// Whose it is stays unsaid.
		return NewProblem(http.StatusConflict, "payment-registered", "this payment is registered with another order")
	}
	if errors.Is(err, db.ErrConflict) {
		existing, gerr := s.deps.DB.OrderByNumber(ctx, p.MerchantID, o.OrderNumber)
		if gerr != nil {
			return gerr
		}
		if existing.RequestHash != o.RequestHash {
			return NewProblem(http.StatusConflict, "order-exists", "order "+o.OrderNumber+" is already registered with other content")
		}
		c.JSON(http.StatusOK, viewOrder(existing))
		return nil
	}
	if err != nil {
		return err
	}
	if s.deps.OnOrder != nil {
		s.deps.OnOrder(ctx, o)
	}
	c.Header("Location", "/v1/orders/"+o.OrderNumber)
	c.JSON(http.StatusCreated, viewOrder(o))
	return nil
}

func (s *server) getOrder(c *gin.Context) error {
	o, err := s.deps.DB.OrderByNumber(c.Request.Context(), principalOf(c).MerchantID, c.Param("order_number"))
	if errors.Is(err, db.ErrNotFound) {
		return NewProblem(http.StatusNotFound, "not-found", "no such order")
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewOrder(o))
	return nil
}

// viewOrder shows an order; the card fingerprint never leaves Rebound.
func viewOrder(o *db.Order) orderView {
	v := orderView{OrderNumber: o.OrderNumber, Currency: o.Currency, PlacedAt: o.PlacedAt, DeliveredAt: o.DeliveredAt,
		ShippingAmount: o.ShippingAmount, CreatedAt: o.CreatedAt,
		Customer: customerJSON{Name: o.CustomerName, Email: o.CustomerEmail, Phone: o.CustomerPhone}}
	for _, l := range o.Lines {
		v.Lines = append(v.Lines, orderLineJSON{LineID: l.LineID, SKU: l.SKU, Name: l.Name, Category: l.Category,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount})
	}
	if p := o.Payment; p != nil {
		v.Payment = &paymentJSON{Channel: p.Channel, Amount: p.Amount, TerminalID: p.TerminalID, STAN: p.STAN, RRN: p.RRN,
			ApprovalCode: p.ApprovalCode, MaskedPAN: p.MaskedPAN, GatewayPaymentID: p.GatewayPaymentID, Batch: p.Batch}
		if p.SaleAt != nil {
			v.Payment.TransmittedAt = p.SaleAt.UTC().Format(time.RFC3339)
		}
	}
	return v
}
