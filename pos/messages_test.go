package pos_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moov-io/iso8583"

	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

func mustPack(t *testing.T, m *iso8583.Message) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	return b
}

func field(t *testing.T, m *iso8583.Message, id int) string {
	t.Helper()
	s, err := m.GetString(id)
	if err != nil {
		t.Fatalf("field %d: %v", id, err)
	}
	return s
}

// recent moves a request to now: ParseRequest takes the year, which DE7 and
// DE90 lack, from the clock.
func recent(r pos.Request) pos.Request {
	now := time.Now().UTC().Truncate(time.Second)
	r.Original.At = now.Add(r.Original.At.Sub(r.TransmittedAt))
	r.TransmittedAt = now
	return r
}

// wire strips what a request does not send (the sale's amount) or what
// the acquirer cannot know (the terminal's time zone).
func wire(r pos.Request) pos.Request {
	r.Original.Amount, r.Local = 0, nil
	return r
}

func TestRequestRoundTrip(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	sparse := recent(simtest.VoidOf("000003", simtest.OpenSale.Amount)) // what a void must have, no more
	sparse.Original = pos.Original{STAN: sparse.Original.STAN, At: sparse.Original.At}
	local := recent(simtest.RefundOf("000004", 100))
	local.Local = paris
	for _, r := range []pos.Request{recent(simtest.VoidOf("000001", 4000)), recent(simtest.RefundOf("000002", 5000)), sparse, local} {
		t.Run(string(r.Kind)+r.STAN, func(t *testing.T) {
			t.Parallel()
			m, err := pos.BuildRequest(r)
			if err != nil {
				t.Fatalf("BuildRequest: %v", err)
			}
			back, err := pos.Unpack(mustPack(t, m))
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			got, isReversal, repeat, err := pos.ParseRequest(back)
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			if isReversal || repeat {
				t.Errorf("a 0200 parsed as reversal=%v repeat=%v", isReversal, repeat)
			}
			if want := wire(r); got != want {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestReversalRoundTrip(t *testing.T) {
	t.Parallel()
	for _, repeat := range []bool{false, true} {
		req := recent(simtest.RefundOf("000003", 2500))
		rv := pos.Reversal{Request: req, STAN: "000103", Repeat: repeat, TransmittedAt: req.TransmittedAt.Add(30 * time.Second),
			Reason: pos.ReasonUnreadable}
		m, err := pos.BuildReversal(rv)
		if err != nil {
			t.Fatalf("BuildReversal: %v", err)
		}
		back, err := pos.Unpack(mustPack(t, m))
		if err != nil {
			t.Fatalf("Unpack: %v", err)
		}
		req, isReversal, gotRepeat, err := pos.ParseRequest(back)
		if err != nil {
			t.Fatalf("ParseRequest: %v", err)
		}
		if !isReversal || gotRepeat != repeat {
			t.Errorf("reversal=%v repeat=%v, want true %v", isReversal, gotRepeat, repeat)
		}
		want := rv.Request
		want.Original = pos.Original{}
		if req != want {
			t.Errorf("reversed request:\n got %+v\nwant %+v", req, want)
		}
		parsed, err := pos.ParseReversal(back)
		if err != nil {
			t.Fatalf("ParseReversal: %v", err)
		}
		if !parsed.TransmittedAt.Equal(rv.TransmittedAt) || parsed.Repeat != repeat || parsed.Request != want ||
			parsed.STAN != rv.STAN || parsed.Reason != rv.Reason {
			t.Errorf("ParseReversal = %+v", parsed)
		}
	}
}

// fieldsOf is every field of m but the MTI and bitmap, by number.
func fieldsOf(t *testing.T, m *iso8583.Message) map[int]string {
	t.Helper()
	out := map[int]string{}
	for id := range m.GetFields() {
		if id > 1 {
			out[id] = field(t, m, id)
		}
	}
	return out
}

// checkFields fails unless m carries exactly want.
func checkFields(t *testing.T, name string, m *iso8583.Message, want map[int]string) {
	t.Helper()
	got := fieldsOf(t, m)
	for id, w := range want {
		if g, ok := got[id]; !ok || g != w {
			t.Errorf("%s DE%d = %q (set %v), want %q", name, id, g, ok, w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s carries DE%d = %q, which the profile does not", name, id, g)
		}
	}
}

func TestRequestFields(t *testing.T) {
	t.Parallel()
	// 12:00 UTC on 10 March is 08:00 on 10 March in New York (EDT from 8
	// March), and 21:00 in Tokyo.
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	v := simtest.VoidOf("000010", simtest.OpenSale.Amount)
	v.Local = newYork
	void, err := pos.BuildRequest(v)
	if err != nil {
		t.Fatal(err)
	}
	if m := field(t, void, 0); m != "0200" {
		t.Errorf("void MTI %q", m)
	}
	saleAt := simtest.OpenSale.At.Format("0102150405")
	checkFields(t, "void", void, map[int]string{
		3:  "020000",
		4:  "000000010000",
		7:  "0310120000",
		11: "000010",
		12: "080000", // the terminal's local time
		13: "0310",
		37: v.RRN, // the void's own RRN
		41: simtest.SaleTerminal,
		42: simtest.Merchant,
		49: "978",
		// batch, STAN, MMDD, terminal, RRN, approval code of the sale
		61: "000042" + simtest.OpenSale.STAN + "0310" + simtest.SaleTerminal + simtest.OpenSale.RRN + simtest.OpenSale.ApprovalCode,
		90: "0200" + simtest.OpenSale.STAN + saleAt + strings.Repeat("0", 22), // the sale's own DE7
	})

	big := simtest.RefundOf("000011", 123456)
	big.Original.Amount = 0 // unknown: not checked
	big.Original.ApprovalCode = "AB1"
	big.Original.TerminalID = ""
	big.Local = tokyo
	big.TransmittedAt = time.Date(2026, 3, 10, 20, 30, 0, 0, time.UTC) // 05:30 on the 11th in Tokyo
	refund, err := pos.BuildRequest(big)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "refund", refund, map[int]string{
		3:  "200000",
		4:  "000000123456",
		7:  "0310203000",
		11: "000011",
		12: "053000",
		13: "0311",
		37: big.RRN,
		41: simtest.Virtual,
		42: simtest.Merchant,
		49: "978",
		// no batch, no terminal; the approval code space-filled
		61: "000000" + simtest.SettledSale.STAN + simtest.SettledSale.At.Format("0102") + "        " + simtest.SettledSale.RRN + "AB1   ",
		90: "0200" + simtest.SettledSale.STAN + simtest.SettledSale.At.Format("0102150405") + strings.Repeat("0", 22),
	})
	if big.RRN == simtest.SettledSale.RRN {
		t.Error("the refund's DE37 is the sale's RRN")
	}
	if got := len(field(t, void, 90)); got != 42 {
		t.Errorf("DE90 is %d long, want 42", got)
	}
	// DE42 is space padded to 15 on the wire, DE61 is LLLVAR.
	packed := string(mustPack(t, void))
	if !strings.Contains(packed, simtest.Merchant+" ") {
		t.Errorf("packed void lacks the space-padded merchant id")
	}
	if !strings.Contains(packed, "042000042"+simtest.OpenSale.STAN) {
		t.Errorf("packed void lacks DE61 with its length 042")
	}
}

func TestReversalFields(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	req := simtest.RefundOf("000020", 4000)
	req.TransmittedAt = simtest.T0.Add(5 * time.Second)
	req.Local = berlin
	at := simtest.T0.Add(time.Minute)
	for _, c := range []struct {
		repeat bool
		mti    string
		reason string
	}{{false, "0400", pos.ReasonNoAnswer}, {true, "0401", pos.ReasonNoAnswer}, {false, "0400", pos.ReasonUnreadable}, {false, "0400", pos.ReasonLost}} {
		m, err := pos.BuildReversal(pos.Reversal{Request: req, STAN: "000021", Repeat: c.repeat, TransmittedAt: at, Reason: c.reason})
		if err != nil {
			t.Fatal(err)
		}
		if got := field(t, m, 0); got != c.mti {
			t.Errorf("MTI %q, want %s", got, c.mti)
		}
		checkFields(t, c.mti, m, map[int]string{
			3:  "200000",
			4:  "000000004000",
			7:  "0310120100", // the reversal's own time
			11: "000021",     // the reversal's own STAN, repeats too
			12: "130100",     // Berlin
			13: "0310",
			37: req.RRN,  // the reversed request's RRN
			39: c.reason, // why
			41: simtest.Virtual,
			42: simtest.Merchant,
			49: "978",
			90: "0200" + "000020" + "0310120005" + strings.Repeat("0", 22), // the reversed request
		})
	}
}

func TestCurrencies(t *testing.T) {
	t.Parallel()
	want := map[string]string{"EUR": "978", "USD": "840", "GBP": "826", "SEK": "752", "NOK": "578",
		"DKK": "208", "CHF": "756", "PLN": "985", "CZK": "203", "JPY": "392"}
	for alpha, num := range want {
		r := simtest.RefundOf("000030", 100)
		r.Currency = alpha
		m, err := pos.BuildRequest(r)
		if err != nil {
			t.Fatalf("%s: %v", alpha, err)
		}
		if got := field(t, m, 49); got != num {
			t.Errorf("DE49 of %s = %q, want %q", alpha, got, num)
		}
		if back, ok := pos.CurrencyAlpha(num); !ok || back != alpha {
			t.Errorf("CurrencyAlpha(%s) = %q %v", num, back, ok)
		}
	}
}

func TestBuildErrorsNameTheField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(*pos.Request)
		field  string
	}{
		{"kind", func(r *pos.Request) { r.Kind = "sale" }, "Kind"},
		{"short terminal", func(r *pos.Request) { r.TerminalID = "VRT1" }, "TerminalID"},
		{"no merchant", func(r *pos.Request) { r.MerchantID = "" }, "MerchantID"},
		{"long merchant", func(r *pos.Request) { r.MerchantID = strings.Repeat("M", 16) }, "MerchantID"},
		{"stan letters", func(r *pos.Request) { r.STAN = "00012A" }, "STAN"},
		{"stan short", func(r *pos.Request) { r.STAN = "123" }, "STAN"},
		{"stan zero", func(r *pos.Request) { r.STAN = "000000" }, "STAN"},
		{"no time", func(r *pos.Request) { r.TransmittedAt = time.Time{} }, "TransmittedAt"},
		{"zero amount", func(r *pos.Request) { r.Amount = 0 }, "Amount"},
		{"negative amount", func(r *pos.Request) { r.Amount = -5 }, "Amount"},
		{"amount too large", func(r *pos.Request) { r.Amount = pos.MaxAmount + 1 }, "Amount"},
		{"above the sale", func(r *pos.Request) { r.Amount = r.Original.Amount + 1 }, "Amount"},
		{"currency", func(r *pos.Request) { r.Currency = "XXX" }, "Currency"},
		{"original stan", func(r *pos.Request) { r.Original.STAN = "12" }, "Original.STAN"},
		{"original time", func(r *pos.Request) { r.Original.At = time.Time{} }, "Original.At"},
		{"refund rrn", func(r *pos.Request) { r.Original.RRN = "" }, "Original.RRN"},
		{"original rrn", func(r *pos.Request) { r.Original.RRN = "SHORT" }, "Original.RRN"},
		{"no rrn", func(r *pos.Request) { r.RRN = "" }, "RRN"},
		{"rrn punctuation", func(r *pos.Request) { r.RRN = "6069-0000001" }, "RRN"},
		{"original batch", func(r *pos.Request) { r.Original.Batch = "42" }, "Original.Batch"},
		{"original terminal", func(r *pos.Request) { r.Original.TerminalID = "POS1" }, "Original.TerminalID"},
		{"original approval", func(r *pos.Request) { r.Original.ApprovalCode = "ABCDEFG" }, "Original.ApprovalCode"},
	}
	for _, c := range cases {
		r := simtest.RefundOf("000040", 100)
		c.change(&r)
		_, err := pos.BuildRequest(r)
		var fe *pos.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: error %v is not a *FieldError", c.name, err)
			continue
		}
		if !strings.HasPrefix(fe.Field, c.field) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error %q names %q, want %q", c.name, err, fe.Field, c.field)
		}
	}
	for field, change := range map[string]func(*pos.Reversal){
		"TransmittedAt":   func(rv *pos.Reversal) { rv.TransmittedAt = time.Time{} },
		"Reversal.STAN":   func(rv *pos.Reversal) { rv.STAN = "" },
		"Reversal.Reason": func(rv *pos.Reversal) { rv.Reason = "" },
		"RRN":             func(rv *pos.Reversal) { rv.Request.RRN = "" },
	} {
		rv := simtest.ReversalOf(simtest.RefundOf("000041", 100), "000042", false)
		change(&rv)
		_, err := pos.BuildReversal(rv)
		var fe *pos.FieldError
		if !errors.As(err, &fe) || !strings.Contains(fe.Field, field) {
			t.Errorf("reversal without %s: %v", field, err)
		}
	}
	if _, err := pos.BuildReversal(pos.Reversal{Request: simtest.RefundOf("000041", 100), STAN: "000042", TransmittedAt: simtest.T0, Reason: "17"}); err == nil {
		t.Error("a reason outside the profile was accepted")
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	gen := pos.RequestIDGenerator{}
	id := func(mti, terminal, stan string) string {
		t.Helper()
		m := iso8583.NewMessage(pos.Spec)
		m.MTI(mti)
		if err := m.Field(11, stan); err != nil {
			t.Fatal(err)
		}
		if err := m.Field(41, terminal); err != nil {
			t.Fatal(err)
		}
		s, err := gen.GenerateRequestID(m)
		if err != nil {
			t.Fatalf("GenerateRequestID: %v", err)
		}
		return s
	}
	if id("0210", "TERM0001", "000001") == id("0210", "TERM0002", "000001") {
		t.Error("the same STAN on two terminals gives one id")
	}
	if id("0210", "TERM0001", "000001") == id("0410", "TERM0001", "000001") {
		t.Error("a 0210 and a 0410 of one terminal and STAN give one id")
	}
	if id("0200", "TERM0001", "000001") != id("0210", "TERM0001", "000001") {
		t.Error("a 0200 and its 0210 give different ids")
	}
	if a, b, c := id("0400", "TERM0001", "000001"), id("0401", "TERM0001", "000001"), id("0410", "TERM0001", "000001"); a != c || b != c {
		t.Error("a reversal, its repeat and their 0410 give different ids")
	}
	if id("0210", "TERM0001", "000001") == id("0210", "TERM0001", "000002") {
		t.Error("two STANs of one terminal give one id")
	}
	m := iso8583.NewMessage(pos.Spec)
	m.MTI("0210")
	_ = m.Field(11, "000001")
	if _, err := gen.GenerateRequestID(m); err == nil {
		t.Error("a message without a terminal has an id")
	}
}

func TestParseResponseRefusesWhatIsNotAnAnswer(t *testing.T) {
	t.Parallel()
	req, err := pos.BuildRequest(simtest.VoidOf("000050", 100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pos.ParseResponse(req); err == nil {
		t.Error("a 0200 parsed as a response")
	}
	m := iso8583.NewMessage(pos.Spec)
	m.MTI("0210")
	_ = m.Field(11, "000050")
	_ = m.Field(41, simtest.Virtual)
	if _, err := pos.ParseResponse(m); err == nil {
		t.Error("a 0210 without DE39 parsed")
	}
	_ = m.Field(39, "13")
	r, err := pos.ParseResponse(m)
	if err != nil || r.Approved() || r.ResponseCode != "13" || r.STAN != "000050" || r.TerminalID != simtest.Virtual || r.Fields != nil {
		t.Errorf("ParseResponse = %+v, %v", r, err)
	}
	// Without DE41 it is still an answer.
	noTerminal := iso8583.NewMessage(pos.Spec)
	noTerminal.MTI("0410")
	_ = noTerminal.Field(11, "000050")
	_ = noTerminal.Field(39, "00")
	if r, err := pos.ParseResponse(noTerminal); err != nil || !r.Approved() || r.TerminalID != "" {
		t.Errorf("ParseResponse without DE41 = %+v, %v", r, err)
	}
	// Without DE11 it is not.
	noSTAN := iso8583.NewMessage(pos.Spec)
	noSTAN.MTI("0210")
	_ = noSTAN.Field(39, "00")
	_ = noSTAN.Field(41, simtest.Virtual)
	if _, err := pos.ParseResponse(noSTAN); err == nil {
		t.Error("a 0210 without DE11 parsed")
	}
}
