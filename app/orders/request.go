package orders

import (
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// Request is an order as the merchant's systems send it. Its JSON form is
// the wire's and also what the idempotency hash is taken over (hash), which
// is why the tags live here.
type Request struct {
	OrderNumber    string   `json:"order_number"`
	Currency       string   `json:"currency"`
	PlacedAt       string   `json:"placed_at"`
	DeliveredAt    string   `json:"delivered_at,omitempty"`
	ShippingAmount int64    `json:"shipping_amount"`
	Customer       Customer `json:"customer"`
	Lines          []Line   `json:"lines"`
	Payment        *Payment `json:"payment"`
}

// Customer is who placed the order: the shopper proves the order with a
// code sent to the e-mail or phone.
type Customer struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Line is one line of the order; money in minor units.
type Line struct {
	LineID    string `json:"line_id"`
	SKU       string `json:"sku,omitempty"`
	Name      string `json:"name"`
	Category  string `json:"category,omitempty"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Discount  int64  `json:"discount"`
}

// Payment is how the order was paid: card_present (a terminal's sale) or
// online (the gateway's payment).
type Payment struct {
	Channel          returns.Channel `json:"channel"`
	Amount           int64           `json:"amount"`
	TerminalID       string          `json:"terminal_id,omitempty"`
	STAN             string          `json:"stan,omitempty"`
	RRN              string          `json:"rrn,omitempty"`
	ApprovalCode     string          `json:"approval_code,omitempty"`
	MaskedPAN        string          `json:"masked_pan,omitempty"`
	CardFingerprint  string          `json:"card_fingerprint,omitempty"`
	GatewayPaymentID string          `json:"gateway_payment_id,omitempty"`
	// TransmittedAt is the card sale's own transmission time (its DE7, as
	// on the acquirer's records), required for a card sale; Batch its batch
	// number, when the terminal knows it. A void or refund is decided and
	// referenced from them, never from placed_at.
	TransmittedAt string `json:"transmitted_at,omitempty"`
	Batch         string `json:"batch,omitempty"`
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

// ParseTime reads an RFC 3339 time, adding the field to fields when it is
// not one.
func ParseTime(field, v string, fields *[]apperr.Field) time.Time {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		*fields = append(*fields, apperr.Field{Name: field, Reason: "must be an RFC 3339 time such as 2026-11-20T15:04:05Z"})
	}
	return t.UTC()
}

// toOrder validates the request and builds the order to store.
func (req *Request) toOrder(merchantID string) (*db.Order, []apperr.Field) {
	var errs []apperr.Field
	if !reOrderNumber.MatchString(req.OrderNumber) {
		errs = append(errs, apperr.Field{Name: "order_number", Reason: "is required: letters, digits and . _ / - (at most 64)"})
	}
	o := &db.Order{MerchantID: merchantID, OrderNumber: req.OrderNumber, Currency: req.Currency,
		ShippingAmount: req.ShippingAmount, CustomerName: strings.TrimSpace(req.Customer.Name)}
	if req.PlacedAt == "" {
		errs = append(errs, apperr.Field{Name: "placed_at", Reason: "is required"})
	} else {
		o.PlacedAt = ParseTime("placed_at", req.PlacedAt, &errs)
	}
	if req.DeliveredAt != "" {
		d := ParseTime("delivered_at", req.DeliveredAt, &errs)
		o.DeliveredAt = &d
	}
	if e := strings.TrimSpace(req.Customer.Email); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			errs = append(errs, apperr.Field{Name: "customer.email", Reason: "is not an e-mail address"})
		}
		o.CustomerEmail = strings.ToLower(e)
	}
	if req.Customer.Phone != "" {
		o.CustomerPhone = returns.NormalizePhone(req.Customer.Phone)
		if !rePhone.MatchString(o.CustomerPhone) {
			errs = append(errs, apperr.Field{Name: "customer.phone", Reason: "must be an international number such as +46701234567"})
		}
	}
	if o.CustomerEmail == "" && o.CustomerPhone == "" {
		errs = append(errs, apperr.Field{Name: "customer", Reason: "needs an email or a phone: the shopper proves the order with a code sent there"})
	}
	for _, l := range req.Lines {
		o.Lines = append(o.Lines, db.OrderLine{LineID: l.LineID, SKU: l.SKU, Name: l.Name, Category: l.Category,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount})
	}
	p := req.Payment
	if p == nil {
		errs = append(errs, apperr.Field{Name: "payment", Reason: "is required"})
	} else {
		errs = append(errs, p.validate()...)
		o.Payment = &db.Payment{Channel: p.Channel, Amount: p.Amount, Currency: req.Currency, TerminalID: p.TerminalID,
			STAN: p.STAN, RRN: p.RRN, ApprovalCode: p.ApprovalCode, MaskedPAN: p.MaskedPAN,
			CardFingerprint: p.CardFingerprint, GatewayPaymentID: p.GatewayPaymentID, Batch: p.Batch}
		if p.TransmittedAt != "" {
			at := ParseTime("payment.transmitted_at", p.TransmittedAt, &errs)
			o.Payment.SaleAt = &at
		}
	}
	for _, e := range Domain(o).Validate() {
		errs = append(errs, apperr.Field{Name: e.Field, Reason: e.Message})
	}
	return o, errs
}

// validate checks what each channel needs: a card sale the terminal's
// data (masked, never a card number), an online payment its gateway id.
func (p *Payment) validate() []apperr.Field {
	var errs []apperr.Field
	bad := func(f, m string) { errs = append(errs, apperr.Field{Name: "payment." + f, Reason: m}) }
	switch p.Channel {
	case returns.ChannelCardPresent:
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
		if p.TransmittedAt == "" {
			bad("transmitted_at", "is required for a card sale: the sale's own transmission time (its DE7), from which a void or refund is decided")
		}
		if p.Batch != "" && !reBatch.MatchString(p.Batch) {
			bad("batch", "must be the sale's 6-digit batch number")
		}
	case returns.ChannelOnline:
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

// Domain is the order as the return rules (package returns) see it.
func Domain(o *db.Order) returns.Order {
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
