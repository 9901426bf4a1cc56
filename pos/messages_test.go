package pos_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moov-io/iso8583"

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

// wire strips what a request does not send: the sale's terminal and amount.
func wire(r pos.Request) pos.Request {
	r.Original.TerminalID, r.Original.Amount = "", 0
	if r.Kind == pos.KindVoid {
		r.Original.RRN = ""
	}
	return r
}

func TestRequestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, r := range []pos.Request{recent(voidOf("000001", 4000)), recent(refundOf("000002", 5000))} {
		t.Run(string(r.Kind), func(t *testing.T) {
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
		req := recent(refundOf("000003", 2500))
		rv := pos.Reversal{Request: req, Repeat: repeat, TransmittedAt: req.TransmittedAt.Add(30 * time.Second)}
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
		if !parsed.TransmittedAt.Equal(rv.TransmittedAt) || parsed.Repeat != repeat || parsed.Request != want {
			t.Errorf("ParseReversal = %+v", parsed)
		}
	}
}

func TestRequestFields(t *testing.T) {
	t.Parallel()
	void, err := pos.BuildRequest(voidOf("000010", 4000))
	if err != nil {
		t.Fatal(err)
	}
	big := refundOf("000011", 123456)
	big.Original.Amount = 0 // unknown: not checked
	refund, err := pos.BuildRequest(big)
	if err != nil {
		t.Fatal(err)
	}
	saleAt := openSale.At.Format("0102150405")
	checks := []struct {
		m    *iso8583.Message
		id   int
		want string
	}{
		{void, 0, "0200"},
		{void, 3, "020000"},
		{void, 4, "000000004000"},
		{void, 7, "0310120000"},
		{void, 11, "000010"},
		{void, 12, "120000"},
		{void, 13, "0310"},
		{void, 37, ""}, // a void names the sale by STAN and date
		{void, 41, virtual},
		{void, 42, merchant},
		{void, 49, "978"},
		{void, 90, "0200" + openSale.STAN + saleAt + strings.Repeat("0", 22)},
		{refund, 0, "0200"},
		{refund, 3, "200000"},
		{refund, 4, "000000123456"},
		{refund, 37, settledSale.RRN},
		{refund, 90, "0200" + settledSale.STAN + settledSale.At.Format("0102150405") + strings.Repeat("0", 22)},
	}
	for _, c := range checks {
		if got := field(t, c.m, c.id); got != c.want {
			mti := field(t, c.m, 3)
			t.Errorf("DE%d of %s = %q, want %q", c.id, mti, got, c.want)
		}
	}
	if got := len(field(t, void, 90)); got != 42 {
		t.Errorf("DE90 is %d long, want 42", got)
	}
	// DE42 is space padded to 15 on the wire.
	if packed := string(mustPack(t, void)); !strings.Contains(packed, merchant+" ") {
		t.Errorf("packed void lacks the space-padded merchant id")
	}
}

func TestReversalFields(t *testing.T) {
	t.Parallel()
	req := voidOf("000020", 4000)
	req.TransmittedAt = t0.Add(5 * time.Second)
	at := t0.Add(time.Minute)
	for _, c := range []struct {
		repeat bool
		mti    string
	}{{false, "0400"}, {true, "0401"}} {
		m, err := pos.BuildReversal(pos.Reversal{Request: req, Repeat: c.repeat, TransmittedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{
			0:  c.mti,
			3:  "020000",
			4:  "000000004000",
			7:  "0310120100", // the reversal's own time
			11: "000020",     // the reversed request's STAN
			41: virtual,
			42: merchant,
			49: "978",
			90: "0200" + "000020" + "0310120005" + strings.Repeat("0", 22),
		}
		for id, w := range want {
			if got := field(t, m, id); got != w {
				t.Errorf("%s DE%d = %q, want %q", c.mti, id, got, w)
			}
		}
	}
}

func TestCurrencies(t *testing.T) {
	t.Parallel()
	want := map[string]string{"EUR": "978", "USD": "840", "GBP": "826", "SEK": "752", "NOK": "578",
		"DKK": "208", "CHF": "756", "PLN": "985", "CZK": "203", "JPY": "392"}
	for alpha, num := range want {
		r := refundOf("000030", 100)
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
	}
	for _, c := range cases {
		r := refundOf("000040", 100)
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
	_, err := pos.BuildReversal(pos.Reversal{Request: refundOf("000041", 100)})
	var fe *pos.FieldError
	if !errors.As(err, &fe) || !strings.Contains(fe.Field, "TransmittedAt") {
		t.Errorf("reversal without its time: %v", err)
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
	req, err := pos.BuildRequest(voidOf("000050", 100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pos.ParseResponse(req); err == nil {
		t.Error("a 0200 parsed as a response")
	}
	m := iso8583.NewMessage(pos.Spec)
	m.MTI("0210")
	_ = m.Field(11, "000050")
	_ = m.Field(41, virtual)
	if _, err := pos.ParseResponse(m); err == nil {
		t.Error("a 0210 without DE39 parsed")
	}
	_ = m.Field(39, "13")
	r, err := pos.ParseResponse(m)
	if err != nil || r.Approved() || r.ResponseCode != "13" || r.STAN != "000050" || r.TerminalID != virtual {
		t.Errorf("ParseResponse = %+v, %v", r, err)
	}
}
