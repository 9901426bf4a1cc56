package pos

import (
	"strings"
	"time"

	"github.com/moov-io/iso8583"
)

// ParseRequest reads a 0200, 0400 or 0401 as the acquirer receives it,
// strictly: a field the profile makes mandatory that is missing or
// malformed is a *FieldError (the simulator answers 30). For a reversal,
// the Request is the one being reversed (its STAN and DE7 from DE90, its
// RRN from DE37, and DE3/4/41/42/49), without Original; the reversal's own
// STAN, DE7 and reason are in ParseReversal. Years, which DE7 and DE90 do
// not carry, are taken nearest to now (an original sale: the latest not
// after the request). Local is not recovered: it stays nil.
func ParseRequest(m *iso8583.Message) (Request, bool, bool, error) {
	p, err := ParseIncoming(m, time.Now())
	if err != nil {
		return Request{}, false, false, err
	}
	return p.Request, p.Reversal, p.Repeat, nil
}

// ParseReversal reads a 0400 or 0401.
func ParseReversal(m *iso8583.Message) (Reversal, error) {
	p, err := ParseIncoming(m, time.Now())
	if err != nil {
		return Reversal{}, err
	}
	if !p.Reversal {
		return Reversal{}, fieldErr(fMTI, "%s is not a reversal", p.MTI)
	}
	return Reversal{Request: p.Request, STAN: p.STAN, Repeat: p.Repeat, TransmittedAt: p.At, Reason: p.Reason}, nil
}

// Incoming is a request or reversal as the acquirer reads it (see
// ParseIncoming).
type Incoming struct {
	MTI      string
	Request  Request   // for a reversal, the request being reversed
	Reversal bool      // a 0400 or 0401
	Repeat   bool      // a 0401
	STAN     string    // the message's own DE11 (a reversal's own STAN)
	At       time.Time // the message's own DE7
	Reason   string    // DE39 of a reversal
}

// ParseIncoming reads a 0200, 0400 or 0401 as ParseRequest does, with
// years taken nearest to now, and answers all it holds.
func ParseIncoming(m *iso8583.Message, now time.Time) (Incoming, error) {
	if m == nil {
		return Incoming{}, fieldErr(fMTI, "no message")
	}
	var p Incoming
	get := func(id int) string { s, _ := m.GetString(id); return s }
	p.MTI = get(0)
	switch p.MTI {
	case MTIRequest:
	case MTIReversal:
		p.Reversal = true
	case MTIReversalRepeat:
		p.Reversal, p.Repeat = true, true
	default:
		return Incoming{}, fieldErr(fMTI, "%q is not a request or reversal", p.MTI)
	}
	r := &p.Request
	switch get(3) {
	case ProcessingVoid:
		r.Kind = KindVoid
	case ProcessingRefund:
		r.Kind = KindRefund
	default:
		return Incoming{}, fieldErr(fProcessing, "must be %s (void) or %s (refund)", ProcessingVoid, ProcessingRefund)
	}
	var err error
	if r.Amount, err = parseAmount(get(4)); err != nil {
		return Incoming{}, err
	}
	if p.At, err = resolveDateTime(get(7), now, false); err != nil {
		return Incoming{}, fieldErr(fTransmitted, "%v", err)
	}
	if err := checkLocal(get(12), get(13), p.At); err != nil {
		return Incoming{}, err
	}
	p.STAN, r.TerminalID, r.MerchantID = get(11), get(41), strings.TrimRight(get(42), " ")
	if !ValidSTAN(p.STAN) {
		return Incoming{}, fieldErr(fSTAN, "must be 6 digits, not 000000")
	}
	if r.RRN = get(37); !ValidRRN(r.RRN) {
		return Incoming{}, fieldErr(fRRN, "is required: 12 letters or digits")
	}
	if !ValidTerminalID(r.TerminalID) {
		return Incoming{}, fieldErr(fTerminal, "must be 8 printable characters")
	}
	if r.MerchantID == "" {
		return Incoming{}, fieldErr(fMerchant, "is required")
	}
	var ok bool
	if r.Currency, ok = CurrencyAlpha(get(49)); !ok {
		return Incoming{}, fieldErr(fCurrency, "unsupported or missing currency code")
	}
	de90 := get(90)
	if len(de90) != 42 {
		return Incoming{}, fieldErr(fOriginalData, "is required")
	}
	origMTI, origSTAN, origAt := de90[:4], de90[4:10], de90[10:20]
	if origMTI != MTIRequest {
		return Incoming{}, fieldErr(fOriginalData, "original MTI must be %s", MTIRequest)
	}
	if !ValidSTAN(origSTAN) {
		return Incoming{}, fieldErr(fOriginalSTAN, "must be 6 digits, not 000000")
	}
	if p.Reversal {
		if p.Reason = get(39); len(p.Reason) != 2 {
			return Incoming{}, fieldErr(fReason, "a reversal needs its reason code")
		}
		r.STAN = origSTAN
		if r.TransmittedAt, err = resolveDateTime(origAt, p.At, true); err != nil {
			return Incoming{}, fieldErr(fOriginalData, "original date/time: %v", err)
		}
		return p, nil
	}
	r.STAN, r.TransmittedAt = p.STAN, p.At
	r.Original.STAN = origSTAN
	if r.Original.At, err = resolveDateTime(origAt, p.At, true); err != nil {
		return Incoming{}, fieldErr(fOriginalAt, "%v", err)
	}
	if err := parseOriginalSale(get(61), &r.Original); err != nil {
		return Incoming{}, err
	}
	if r.Kind == KindRefund && r.Original.RRN == "" {
		return Incoming{}, fieldErr(fOriginalRRN, "a refund needs the sale's 12-character RRN")
	}
	return p, nil
}

// checkLocal checks DE12 (hhmmss) and DE13 (MMDD), the terminal's local
// time and date: both required, and within 14 hours of DE7.
func checkLocal(de12, de13 string, at time.Time) error {
	if len(de12) != 6 || len(de13) != 4 {
		return fieldErr(fLocal, "are required")
	}
	local, err := resolveDateTime(de13+de12, at, false)
	if err != nil {
		return fieldErr(fLocal, "%v", err)
	}
	if absDuration(local.Sub(at)) > 14*time.Hour {
		return fieldErr(fLocal, "is more than 14 hours from DE7")
	}
	return nil
}

// responseFields are the fields of an answer that Response names.
var responseFields = map[int]bool{0: true, 1: true, 11: true, 37: true, 38: true, 39: true, 41: true}

// ParseResponse reads a 0210 or 0410. It needs DE11 and DE39, and DE41 to
// be a terminal id when present; every other field is optional and goes
// to Fields, card data excepted (it is dropped).
func ParseResponse(m *iso8583.Message) (Response, error) {
	if m == nil {
		return Response{}, fieldErr(fMTI, "no message")
	}
	get := func(id int) string { s, _ := m.GetString(id); return s }
	r := Response{MTI: get(0), TerminalID: get(41), STAN: get(11), ResponseCode: get(39), ApprovalCode: get(38), RRN: get(37)}
	if r.MTI != MTIRequestResponse && r.MTI != MTIReversalResponse {
		return Response{}, fieldErr(fMTI, "%q is not a response", r.MTI)
	}
	if len(r.ResponseCode) != 2 || !allOf(r.ResponseCode, isAlphanumeric) {
		return Response{}, fieldErr(fResponseCode, "is required: 2 letters or digits")
	}
	if !ValidSTAN(r.STAN) {
		return Response{}, fieldErr(fSTAN, "must be 6 digits, not 000000")
	}
	if r.TerminalID != "" && !ValidTerminalID(r.TerminalID) {
		return Response{}, fieldErr(fTerminal, "must be 8 printable characters")
	}
	for id := range m.GetFields() {
		if responseFields[id] || isCardData(id) {
			continue
		}
		v, err := m.GetString(id)
		if err != nil {
			continue
		}
		if r.Fields == nil {
			r.Fields = map[int]string{}
		}
		r.Fields[id] = v
	}
	return r, nil
}

// resolveDateTime reads MMDDhhmmss (UTC) and picks its year: the one nearest
// to ref or, with notAfter, the latest that is not more than a day after ref
// (a sale precedes its refund; a day allows for clocks that disagree).
func resolveDateTime(s string, ref time.Time, notAfter bool) (time.Time, error) {
	if len(s) != 10 || !allOf(s, isDigit) {
		return time.Time{}, errFormat("must be MMDDhhmmss")
	}
	n := func(i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }
	month, day, hour, minute, second := n(0), n(2), n(4), n(6), n(8)
	if hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, errFormat("is not a valid time")
	}
	ref = ref.UTC()
	var best time.Time
	for y := ref.Year() + 1; y >= ref.Year()-1; y-- {
		t := time.Date(y, time.Month(month), day, hour, minute, second, 0, time.UTC)
		if t.Month() != time.Month(month) || t.Day() != day {
			continue // 29 February of a common year, 31 April...
		}
		if notAfter {
			if !t.After(ref.Add(24 * time.Hour)) {
				return t, nil
			}
			continue
		}
		if best.IsZero() || absDuration(t.Sub(ref)) < absDuration(best.Sub(ref)) {
			best = t
		}
	}
	if best.IsZero() {
		return time.Time{}, errFormat("is not a valid date")
	}
	return best, nil
}

type errFormat string

func (e errFormat) Error() string { return string(e) }

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// BuildAnswer builds the acquirer's answer to req: MTI xx1x, the request's
// identifying fields echoed (DE90 too unless extra), DE39 and, when
// approved, DE38. With extra, it adds DE15 (settlement date), DE32, DE44
// and DE63, fields Rebound does not use.
func BuildAnswer(req *iso8583.Message, code, approval string, extra map[int]string) (*iso8583.Message, error) {
	mti, _ := req.GetString(0)
	switch mti {
	case MTIRequest:
		mti = MTIRequestResponse
	case MTIReversal, MTIReversalRepeat:
		mti = MTIReversalResponse
	default:
		return nil, fieldErr(fMTI, "%q has no response", mti)
	}
	m := iso8583.NewMessage(AnswerSpec)
	m.MTI(mti)
	for _, id := range []int{3, 4, 7, 11, 12, 13, 37, 41, 42, 49, 90} {
		if id == 90 && extra != nil {
			continue
		}
		if v, _ := req.GetString(id); v != "" {
			if err := m.Field(id, v); err != nil {
				return nil, err
			}
		}
	}
	set := map[int]string{39: code, 38: approval}
	for id, v := range extra {
		set[id] = v
	}
	for id, v := range set {
		if v == "" {
			continue
		}
		if err := m.Field(id, v); err != nil {
			return nil, err
		}
	}
	return m, nil
}
