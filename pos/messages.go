package pos

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/moov-io/iso8583"
)

// Kind is what a request asks of the acquirer.
type Kind string

const (
	// KindVoid cancels (part of) a sale still in its unsettled batch.
	KindVoid Kind = "void"
	// KindRefund pays back (part of) a settled sale.
	KindRefund Kind = "refund"
)

// Message type indicators.
const (
	MTIRequest          = "0200"
	MTIRequestResponse  = "0210"
	MTIReversal         = "0400"
	MTIReversalRepeat   = "0401"
	MTIReversalResponse = "0410"
)

// Processing codes (DE3).
const (
	ProcessingSale   = "000000"
	ProcessingVoid   = "020000"
	ProcessingRefund = "200000"
)

// Response codes (DE39).
const (
	CodeApproved           = "00"
	CodeInvalidTransaction = "12"
	CodeInvalidAmount      = "13"
	CodeOriginalNotFound   = "25"
	CodeFormatError        = "30"
	CodeNotPermitted       = "58"
	CodeLateResponse       = "68" // response received too late: the outcome is not known
	CodeIssuerUnavailable  = "91" // issuer or switch inoperative: not processed
	CodeDuplicate          = "94"
	CodeSystemMalfunction  = "96" // not processed
)

// Reversal reasons (DE39 of a 0400/0401).
const (
	ReasonNoAnswer   = "68" // no answer in time, or the connection was lost waiting
	ReasonUnreadable = "96" // the answer could not be read
	ReasonLost       = "06" // Rebound lost track of the message (a worker stopped while sending)
)

// MaxAmount is the largest amount DE4 (n12) carries, in minor units.
const MaxAmount int64 = 999_999_999_999

// ProcessingCode is the DE3 of a kind; false for a kind the profile does not have.
func (k Kind) ProcessingCode() (string, bool) {
	switch k {
	case KindVoid:
		return ProcessingVoid, true
	case KindRefund:
		return ProcessingRefund, true
	}
	return "", false
}

// Original identifies the sale a void or refund refers to. Its fields go
// into the original data elements: DE90 (the sale's MTI, STAN and DE7) and
// DE61 (batch, STAN, date, terminal, RRN and approval code); see PROFILE.md.
type Original struct {
	// TerminalID is the terminal of the sale (DE61.4).
	TerminalID string
	STAN       string // 6 digits: the voucher number on the slip (DE90, DE61.2)
	RRN        string // the sale's 12-character RRN (DE61.5)
	// ApprovalCode is the sale's approval code (DE61.6), up to 6 characters.
	ApprovalCode string
	// At is the sale's own transmission date and time, its DE7 (UTC), as
	// registered with the order: DE90 and DE61.3 carry it.
	At time.Time
	// Batch is the sale's batch number (DE61.1), 6 digits; "" when unknown.
	Batch string
	// Amount is the sale's amount; when set, a request for more is refused
	// before it leaves. It is not sent.
	Amount int64
}

// Request is one void or refund as Rebound sends it.
type Request struct {
	Kind Kind
	// TerminalID is the terminal the message is sent from (DE41), 8
	// characters: the store's virtual terminal, or for a void the sale's
	// own terminal when the profile requires it.
	TerminalID    string
	MerchantID    string    // card acceptor id (DE42), up to 15 characters, space padded
	STAN          string    // DE11, 6 digits, not 000000
	RRN           string    // DE37: this message's own RRN (see NewRRN), 12 characters
	TransmittedAt time.Time // DE7 (UTC)
	// Local is the terminal's time zone: DE12/DE13 carry TransmittedAt in
	// it (nil: UTC).
	Local    *time.Location
	Amount   int64  // DE4, minor units
	Currency string // alphabetic ("EUR"); DE49 carries the numeric code
	// Original is the sale the void or refund refers to.
	Original Original
}

// Response is the acquirer's answer to a request or a reversal. It holds
// no card data.
type Response struct {
	MTI          string // "0210" or "0410"
	TerminalID   string // DE41; "" when the answer did not carry it
	STAN         string // DE11: the request's, or the reversal's own
	ResponseCode string // DE39: see the Code constants
	ApprovalCode string // DE38
	RRN          string // DE37: the message's own RRN, echoed (a host may give its own)
	// Fields are the answer's other fields, which Rebound reads but does not
	// use (DE15 settlement date, DE32, DE44, DE63..., and the request's
	// fields echoed), by field number, kept for finance; nil when there are
	// none. Card data (DE2, DE14, DE34, DE35, DE36, DE45, DE52, DE55) is
	// never kept. Binary fields (DE64, DE96, DE128) are in hexadecimal.
	Fields map[int]string
}

// Approved tells whether the acquirer approved (or, for a reversal,
// acknowledged) the message. Every other code is explained in PROFILE.md:
// some are declines, some (68) leave the outcome unknown.
func (r Response) Approved() bool { return r.ResponseCode == CodeApproved }

// Reversal reverses a request whose outcome is unknown: MTI 0400, its
// repeats 0401, with its own STAN, DE7 and local time, the request's
// terminal, merchant, processing code, amount, currency and RRN, DE90
// naming the request (its MTI, STAN and DE7) and a reason code in DE39.
type Reversal struct {
	Request Request // the request reversed, exactly as it was sent
	// STAN is the reversal's own STAN (DE11); repeats keep it.
	STAN          string
	Repeat        bool
	TransmittedAt time.Time // DE7 of the reversal itself
	// Reason is why the request is reversed (DE39 of the 0400): one of the
	// Reason constants.
	Reason string
}

// FieldError is a request that cannot be built or parsed, naming the field.
type FieldError struct {
	Field  string // e.g. "STAN (DE11)"
	Reason string
}

func (e *FieldError) Error() string { return "pos: " + e.Field + ": " + e.Reason }

func fieldErr(name, format string, args ...any) error {
	return &FieldError{Field: name, Reason: fmt.Sprintf(format, args...)}
}

// Field names used in errors.
const (
	fKind             = "Kind (DE3)"
	fTerminal         = "TerminalID (DE41)"
	fMerchant         = "MerchantID (DE42)"
	fSTAN             = "STAN (DE11)"
	fRRN              = "RRN (DE37)"
	fTransmitted      = "TransmittedAt (DE7)"
	fLocal            = "local time and date (DE12, DE13)"
	fAmount           = "Amount (DE4)"
	fCurrency         = "Currency (DE49)"
	fOriginalSTAN     = "Original.STAN (DE90)"
	fOriginalAt       = "Original.At (DE90)"
	fOriginalRRN      = "Original.RRN (DE61)"
	fOriginalTerminal = "Original.TerminalID (DE61)"
	fOriginalBatch    = "Original.Batch (DE61)"
	fOriginalApproval = "Original.ApprovalCode (DE61)"
	fOriginalSale     = "original sale data (DE61)"
	fReversalSTAN     = "Reversal.STAN (DE11)"
	fReversalAt       = "Reversal.TransmittedAt (DE7)"
	fReason           = "Reversal.Reason (DE39)"
	fMTI              = "MTI"
	fResponseCode     = "ResponseCode (DE39)"
	fOriginalData     = "original data elements (DE90)"
	fProcessing       = "processing code (DE3)"
	dateTimeLayout    = "0102150405"
)

// ValidSTAN accepts a systems trace audit number (DE11): 6 digits, not
// 000000.
func ValidSTAN(s string) bool {
	return len(s) == 6 && allOf(s, isDigit) && s != "000000"
}

// ValidTerminalID accepts a terminal ID (DE41): 8 printable characters.
func ValidTerminalID(s string) bool { return len(s) == 8 && allOf(s, isPrintable) }

// ValidRRN accepts a retrieval reference number (DE37): 12 letters or
// digits.
func ValidRRN(s string) bool { return len(s) == 12 && allOf(s, isAlphanumeric) }

// ValidBatch accepts a batch number: 6 digits, not 000000.
func ValidBatch(s string) bool { return len(s) == 6 && allOf(s, isDigit) && s != "000000" }

// ValidApprovalCode accepts an approval code (DE38): up to 6 letters or
// digits.
func ValidApprovalCode(s string) bool { return len(s) <= 6 && allOf(s, isAlphanumeric) }

// ValidMerchantID accepts a card acceptor ID (DE42) without its padding: 1
// to 15 printable characters.
func ValidMerchantID(s string) bool { return s != "" && len(s) <= 15 && allOf(s, isPrintable) }

func validReason(s string) bool {
	return s == ReasonNoAnswer || s == ReasonUnreadable || s == ReasonLost
}

func allOf(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// validate checks a request against the profile and returns its DE3, DE42
// and DE49.
func (r Request) validate() (code, merchant, currency string, err error) {
	code, ok := r.Kind.ProcessingCode()
	if !ok {
		return "", "", "", fieldErr(fKind, "must be %q or %q", KindVoid, KindRefund)
	}
	if !ValidTerminalID(r.TerminalID) {
		return "", "", "", fieldErr(fTerminal, "must be 8 printable characters")
	}
	merchant = strings.TrimRight(r.MerchantID, " ")
	if !ValidMerchantID(merchant) {
		return "", "", "", fieldErr(fMerchant, "must be 1 to 15 printable characters")
	}
	if !ValidSTAN(r.STAN) {
		return "", "", "", fieldErr(fSTAN, "must be 6 digits, not 000000")
	}
	if !ValidRRN(r.RRN) {
		return "", "", "", fieldErr(fRRN, "this message's own RRN is required: 12 letters or digits (see NewRRN)")
	}
	if r.TransmittedAt.IsZero() {
		return "", "", "", fieldErr(fTransmitted, "is required")
	}
	if r.Amount <= 0 || r.Amount > MaxAmount {
		return "", "", "", fieldErr(fAmount, "must be between 1 and %d minor units", MaxAmount)
	}
	if r.Original.Amount > 0 && r.Amount > r.Original.Amount {
		return "", "", "", fieldErr(fAmount, "exceeds the original sale's amount")
	}
	currency, ok = CurrencyNumeric(r.Currency)
	if !ok {
		return "", "", "", fieldErr(fCurrency, "unsupported currency %q", r.Currency)
	}
	if err := r.Original.validate(r.Kind); err != nil {
		return "", "", "", err
	}
	return code, merchant, currency, nil
}

// validate checks what a void or refund says of its sale: a void needs the
// sale's STAN and DE7, a refund its RRN as well; the rest is optional.
func (o Original) validate(kind Kind) error {
	switch {
	case !ValidSTAN(o.STAN):
		return fieldErr(fOriginalSTAN, "must be 6 digits, not 000000")
	case o.At.IsZero():
		return fieldErr(fOriginalAt, "is required: the sale's own DE7")
	case kind == KindRefund && o.RRN == "":
		return fieldErr(fOriginalRRN, "a refund needs the sale's 12-character RRN")
	case o.RRN != "" && !ValidRRN(o.RRN):
		return fieldErr(fOriginalRRN, "must be 12 letters or digits")
	case o.TerminalID != "" && !ValidTerminalID(o.TerminalID):
		return fieldErr(fOriginalTerminal, "must be 8 printable characters")
	case o.Batch != "" && !ValidBatch(o.Batch):
		return fieldErr(fOriginalBatch, "must be 6 digits, not 000000")
	case !ValidApprovalCode(o.ApprovalCode):
		return fieldErr(fOriginalApproval, "up to 6 letters or digits")
	}
	return nil
}

// originalData is DE90: original MTI, STAN and transmission date/time, then
// the acquiring and forwarding institution ids, zero-filled.
func originalData(mti, stan string, at time.Time) string {
	return mti + stan + at.UTC().Format(dateTimeLayout) + strings.Repeat("0", 22)
}

// DE61, the original sale data: a private field of this profile, 42
// characters (see PROFILE.md).
//
//	pos  len  content
//	 1    6   batch, n6: the sale's batch number; 000000 when unknown
//	 7    6   STAN, n6: the sale's STAN (as in DE90)
//	13    4   date, n4: MMDD of the sale's DE7, UTC (as in DE90)
//	17    8   terminal, ans8: the sale's terminal; spaces when unknown
//	25   12   RRN, an12: the sale's RRN; spaces when unknown
//	37    6   approval code, ans6: the sale's, left-aligned, space-filled;
//	          spaces when unknown
const originalSaleLength = 42

func originalSale(o Original) string {
	batch := o.Batch
	if batch == "" {
		batch = "000000"
	}
	return batch + o.STAN + o.At.UTC().Format("0102") + fmt.Sprintf("%-8s%-12s%-6s", o.TerminalID, o.RRN, o.ApprovalCode)
}

// parseOriginalSale reads DE61 into o, whose STAN and At come from DE90
// and must agree with it.
func parseOriginalSale(s string, o *Original) error {
	if len(s) != originalSaleLength {
		return fieldErr(fOriginalSale, "is required: %d characters", originalSaleLength)
	}
	batch, stan, date := s[0:6], s[6:12], s[12:16]
	terminal, rrn := s[16:24], strings.TrimRight(s[24:36], " ")
	approval := strings.TrimRight(s[36:42], " ")
	switch {
	case !allOf(batch, isDigit):
		return fieldErr(fOriginalBatch, "must be 6 digits")
	case stan != o.STAN:
		return fieldErr(fOriginalSale, "the sale's STAN differs from DE90's")
	case date != o.At.UTC().Format("0102"):
		return fieldErr(fOriginalSale, "the sale's date differs from DE90's")
	case rrn != "" && !ValidRRN(rrn):
		return fieldErr(fOriginalRRN, "must be 12 letters or digits, or spaces")
	case !ValidApprovalCode(approval):
		return fieldErr(fOriginalApproval, "up to 6 letters or digits, then spaces")
	}
	if batch != "000000" {
		o.Batch = batch
	}
	if strings.TrimSpace(terminal) != "" {
		o.TerminalID = terminal
	}
	o.RRN, o.ApprovalCode = rrn, approval
	return nil
}

// localIn is t in loc, UTC when loc is nil.
func localIn(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		return t.UTC()
	}
	return t.In(loc)
}

// BuildRequest builds the 0200 of a void or a refund, as PROFILE.md
// describes it. Errors are *FieldError naming the field.
func BuildRequest(r Request) (*iso8583.Message, error) {
	code, merchant, currency, err := r.validate()
	if err != nil {
		return nil, err
	}
	local := localIn(r.TransmittedAt, r.Local)
	return assemble(MTIRequest, map[int]string{
		3:  code,
		4:  fmt.Sprintf("%012d", r.Amount),
		7:  r.TransmittedAt.UTC().Format(dateTimeLayout),
		11: r.STAN,
		12: local.Format("150405"),
		13: local.Format("0102"),
		37: r.RRN,
		41: r.TerminalID,
		42: merchant,
		49: currency,
		61: originalSale(r.Original),
		90: originalData(MTIRequest, r.Original.STAN, r.Original.At),
	})
}

// BuildReversal builds the 0400 (or, repeated, 0401) reversing rv.Request,
// as PROFILE.md describes it. Errors are *FieldError naming the field.
func BuildReversal(rv Reversal) (*iso8583.Message, error) {
	code, merchant, currency, err := rv.Request.validate()
	if err != nil {
		return nil, err
	}
	if !ValidSTAN(rv.STAN) {
		return nil, fieldErr(fReversalSTAN, "the reversal's own STAN is required: 6 digits, not 000000")
	}
	if rv.TransmittedAt.IsZero() {
		return nil, fieldErr(fReversalAt, "is required")
	}
	if !validReason(rv.Reason) {
		return nil, fieldErr(fReason, "must be %s (no answer), %s (unreadable answer) or %s (lost by Rebound)",
			ReasonNoAnswer, ReasonUnreadable, ReasonLost)
	}
	mti := MTIReversal
	if rv.Repeat {
		mti = MTIReversalRepeat
	}
	local := localIn(rv.TransmittedAt, rv.Request.Local)
	return assemble(mti, map[int]string{
		3:  code,
		4:  fmt.Sprintf("%012d", rv.Request.Amount),
		7:  rv.TransmittedAt.UTC().Format(dateTimeLayout),
		11: rv.STAN,
		12: local.Format("150405"),
		13: local.Format("0102"),
		37: rv.Request.RRN,
		39: rv.Reason,
		41: rv.Request.TerminalID,
		42: merchant,
		49: currency,
		90: originalData(MTIRequest, rv.Request.STAN, rv.Request.TransmittedAt),
	})
}

func assemble(mti string, fields map[int]string) (*iso8583.Message, error) {
	m := iso8583.NewMessage(Spec)
	m.MTI(mti)
	for id, v := range fields {
		if err := m.Field(id, v); err != nil {
			return nil, fmt.Errorf("pos: set DE%d: %w", id, err)
		}
	}
	return m, nil
}

func parseAmount(s string) (int64, error) {
	if len(s) != 12 || !allOf(s, isDigit) {
		return 0, fieldErr(fAmount, "must be 12 digits")
	}
	return strconv.ParseInt(s, 10, 64)
}

// NewRRN is the retrieval reference number Rebound gives a message it sends
// (DE37): the last digit of the year and the day of the year of at (4
// digits), then 8 characters derived from seed (the attempt's id), so that
// preparing the same attempt again gives the same RRN.
func NewRRN(at time.Time, seed string) string {
	at = at.UTC()
	sum := sha256.Sum256([]byte(seed))
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := []byte(fmt.Sprintf("%d%03d", at.Year()%10, at.YearDay()))
	n := binary.BigEndian.Uint64(sum[:8])
	for range 8 {
		b = append(b, chars[n%36])
		n /= 36
	}
	return string(b)
}

// ValidMaskedPAN accepts a masked card number: 12 to 19 characters, the
// first 6 and the last 4 digits, and only mask characters (* or X) between.
func ValidMaskedPAN(s string) bool {
	if len(s) < 12 || len(s) > 19 {
		return false
	}
	if !allOf(s[:6], isDigit) || !allOf(s[len(s)-4:], isDigit) {
		return false
	}
	return allOf(s[6:len(s)-4], func(c byte) bool { return c == '*' || c == 'X' || c == 'x' })
}
