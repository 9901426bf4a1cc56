package pos

import (
	"strings"
	"time"

	"github.com/moov-io/iso8583"
)

// ParseRequest reads a 0200, 0400 or 0401 as the acquirer receives it. For
// a reversal, the Request is the one being reversed (its STAN, its DE7 from
// DE90, and DE3/4/41/42/49), without Original; the reversal's own DE7 is in
// ParseReversal. Years, which DE7 and DE90 do not carry, are taken nearest
// to now (an original sale: the latest not after the request).
func ParseRequest(m *iso8583.Message) (Request, bool, bool, error) {
	p, err := parseMessage(m, time.Now())
	if err != nil {
		return Request{}, false, false, err
	}
	return p.req, p.reversal, p.repeat, nil
}

// ParseReversal reads a 0400 or 0401.
func ParseReversal(m *iso8583.Message) (Reversal, error) {
	p, err := parseMessage(m, time.Now())
	if err != nil {
		return Reversal{}, err
	}
	if !p.reversal {
		return Reversal{}, fieldErr(fMTI, "%s is not a reversal", p.mti)
	}
	return Reversal{Request: p.req, Repeat: p.repeat, TransmittedAt: p.at}, nil
}

// parsed is an incoming request or reversal.
type parsed struct {
	mti              string
	req              Request
	reversal, repeat bool
	at               time.Time // the message's own DE7
	origMTI          string    // from DE90
}

func parseMessage(m *iso8583.Message, now time.Time) (parsed, error) {
	if m == nil {
		return parsed{}, fieldErr(fMTI, "no message")
	}
	var p parsed
	get := func(id int) string { s, _ := m.GetString(id); return s }
	p.mti = get(0)
	switch p.mti {
	case MTIRequest:
	case MTIReversal:
		p.reversal = true
	case MTIReversalRepeat:
		p.reversal, p.repeat = true, true
	default:
		return parsed{}, fieldErr(fMTI, "%q is not a request or reversal", p.mti)
	}
	r := &p.req
	switch get(3) {
	case ProcessingVoid:
		r.Kind = KindVoid
	case ProcessingRefund:
		r.Kind = KindRefund
	default:
		return parsed{}, fieldErr(fProcessing, "must be %s (void) or %s (refund)", ProcessingVoid, ProcessingRefund)
	}
	var err error
	if r.Amount, err = parseAmount(get(4)); err != nil {
		return parsed{}, err
	}
	if p.at, err = resolveDateTime(get(7), now, false); err != nil {
		return parsed{}, fieldErr(fTransmitted, "%v", err)
	}
	r.STAN, r.TerminalID, r.MerchantID = get(11), get(41), strings.TrimRight(get(42), " ")
	if !validSTAN(r.STAN) {
		return parsed{}, fieldErr(fSTAN, "must be 6 digits, not 000000")
	}
	if !validTerminal(r.TerminalID) {
		return parsed{}, fieldErr(fTerminal, "must be 8 printable characters")
	}
	if r.MerchantID == "" {
		return parsed{}, fieldErr(fMerchant, "is required")
	}
	var ok bool
	if r.Currency, ok = CurrencyAlpha(get(49)); !ok {
		return parsed{}, fieldErr(fCurrency, "unsupported or missing currency code")
	}
	de90 := get(90)
	if len(de90) != 42 {
		return parsed{}, fieldErr(fOriginalData, "is required")
	}
	p.origMTI = de90[:4]
	origSTAN, origAt := de90[4:10], de90[10:20]
	if p.origMTI != MTIRequest {
		return parsed{}, fieldErr(fOriginalData, "original MTI must be %s", MTIRequest)
	}
	if p.reversal {
		if origSTAN != r.STAN {
			return parsed{}, fieldErr(fOriginalData, "a reversal carries the STAN of the request it reverses")
		}
		if r.TransmittedAt, err = resolveDateTime(origAt, p.at, true); err != nil {
			return parsed{}, fieldErr(fOriginalData, "original date/time: %v", err)
		}
		return p, nil
	}
	r.TransmittedAt = p.at
	if !validSTAN(origSTAN) {
		return parsed{}, fieldErr(fOriginalSTAN, "must be 6 digits, not 000000")
	}
	r.Original.STAN = origSTAN
	if r.Original.At, err = resolveDateTime(origAt, p.at, true); err != nil {
		return parsed{}, fieldErr(fOriginalAt, "%v", err)
	}
	r.Original.RRN = get(37)
	if r.Kind == KindRefund && !validRRN(r.Original.RRN) {
		return parsed{}, fieldErr(fOriginalRRN, "a refund needs the sale's 12-character RRN")
	}
	return p, nil
}

// ParseResponse reads a 0210 or 0410.
func ParseResponse(m *iso8583.Message) (Response, error) {
	if m == nil {
		return Response{}, fieldErr(fMTI, "no message")
	}
	get := func(id int) string { s, _ := m.GetString(id); return s }
	r := Response{MTI: get(0), TerminalID: get(41), STAN: get(11), ResponseCode: get(39), ApprovalCode: get(38), RRN: get(37)}
	if r.MTI != MTIRequestResponse && r.MTI != MTIReversalResponse {
		return Response{}, fieldErr(fMTI, "%q is not a response", r.MTI)
	}
	if len(r.ResponseCode) != 2 {
		return Response{}, fieldErr(fResponseCode, "is required")
	}
	if !validSTAN(r.STAN) {
		return Response{}, fieldErr(fSTAN, "must be 6 digits, not 000000")
	}
	if !validTerminal(r.TerminalID) {
		return Response{}, fieldErr(fTerminal, "must be 8 printable characters")
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

// respond builds the acquirer's answer to req: MTI xx1x, the request's
// identifying fields echoed, DE39 and, when approved, DE37 and DE38.
func respond(req *iso8583.Message, code, approval, rrn string) (*iso8583.Message, error) {
	mti, _ := req.GetString(0)
	switch mti {
	case MTIRequest:
		mti = MTIRequestResponse
	case MTIReversal, MTIReversalRepeat:
		mti = MTIReversalResponse
	default:
		return nil, fieldErr(fMTI, "%q has no response", mti)
	}
	m := iso8583.NewMessage(Spec)
	m.MTI(mti)
	for _, id := range []int{3, 4, 7, 11, 12, 13, 41, 42, 49, 90} {
		if v, _ := req.GetString(id); v != "" {
			if err := m.Field(id, v); err != nil {
				return nil, err
			}
		}
	}
	set := map[int]string{39: code, 38: approval, 37: rrn}
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
