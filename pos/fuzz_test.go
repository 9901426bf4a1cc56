package pos_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/moov-io/iso8583"

	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

// unpackSeeds are valid packed messages of every kind, and junk.
func unpackSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	pack := func(m *iso8583.Message, err error) {
		if err != nil {
			f.Fatal(err)
		}
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	void, refund := simtest.VoidOf("000001", 4000), simtest.RefundOf("000002", 2500)
	pack(pos.BuildRequest(void))
	pack(pos.BuildRequest(refund))
	pack(pos.BuildReversal(simtest.ReversalOf(void, "000101", false)))
	pack(pos.BuildReversal(simtest.ReversalOf(refund, "000102", true)))
	resp := iso8583.NewMessage(pos.Spec)
	resp.MTI("0210")
	for id, v := range map[int]string{3: "200000", 4: "000000002500", 11: "000002", 37: "606912345678", 38: "AB12CD", 39: "00", 41: simtest.Virtual, 42: simtest.Merchant, 49: "978"} {
		if err := resp.Field(id, v); err != nil {
			f.Fatal(err)
		}
	}
	pack(resp, nil)
	seeds = append(seeds,
		[]byte{},
		[]byte("0200"),
		[]byte("0200"+bitmapHex(11)),
		[]byte("0200"+bitmapHex(2, 11)+"164111111111111111000001"),
		[]byte("0400"+bitmapHex(90)+strings.Repeat("0", 42)),
		[]byte("0200FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"),
		[]byte("\x00\x01\x02\xff"),
	)
	return seeds
}

// FuzzUnpack: no input panics; what unpacks re-packs to the same bytes'
// length and unpacks again to the same fields, and never holds card data.
func FuzzUnpack(f *testing.F) {
	for _, s := range unpackSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := pos.Unpack(data)
		if err != nil {
			if m != nil {
				t.Fatal("Unpack returned a message with its error")
			}
			return
		}
		for _, id := range []int{2, 35, 36, 45, 52} {
			if m.Bitmap().IsSet(id) {
				t.Fatalf("unpacked a message with field %d", id)
			}
		}
		packed, err := m.Pack()
		if err != nil {
			t.Fatalf("unpacked but does not re-pack: %v", err)
		}
		if len(packed) != len(data) {
			t.Fatalf("re-packed to %d bytes from %d", len(packed), len(data))
		}
		again, err := pos.Unpack(packed)
		if err != nil {
			t.Fatalf("re-packed message does not unpack: %v", err)
		}
		for id := range pos.Spec.Fields {
			if id == 1 {
				continue
			}
			a, _ := m.GetString(id)
			b, _ := again.GetString(id)
			if a != b {
				t.Fatalf("DE%d %q became %q", id, a, b)
			}
		}
		// The parsers and the request id take anything without panicking.
		_, _, _, _ = pos.ParseRequest(m)
		_, _ = pos.ParseReversal(m)
		_, _ = pos.ParseResponse(m)
		_, _ = pos.RequestIDGenerator{}.GenerateRequestID(m)
	})
}

// FuzzUnpackAnswer: no input panics; what unpacks is exactly its bytes'
// worth of fields, and what parses as a response keeps no card data.
func FuzzUnpackAnswer(f *testing.F) {
	for _, s := range unpackSeeds(f) {
		f.Add(s)
	}
	extra := iso8583.NewMessage(pos.AnswerSpec)
	extra.MTI("0210")
	for id, v := range map[int]string{2: "4111111111111111", 11: "000001", 15: "0311", 32: "123456", 35: "4111111111111111=2512",
		39: "00", 44: "X", 55: "9F2608", 63: "PRIVATE", 90: strings.Repeat("0", 42), 100: "99", 127: "Z"} {
		if err := extra.Field(id, v); err != nil {
			f.Fatal(err)
		}
	}
	if err := extra.BinaryField(52, []byte("\x01\x02\x03\x04\x05\x06\x07\x08")); err != nil {
		f.Fatal(err)
	}
	b, err := extra.Pack()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("0210" + bitmapHex(11, 39) + "00000100"))
	f.Add([]byte("0210" + bitmapHex(11, 39, 65) + "00000100"))
	f.Add([]byte("0410" + "8" + bitmapHex(11, 39)[1:] + "0000000000000000" + "00000100"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := pos.UnpackAnswer(data)
		if err != nil {
			if m != nil {
				t.Fatal("UnpackAnswer returned a message with its error")
			}
			return
		}
		r, err := pos.ParseResponse(m)
		if err != nil {
			return
		}
		for _, id := range []int{2, 14, 34, 35, 36, 45, 52, 55} {
			if _, kept := r.Fields[id]; kept {
				t.Fatalf("card data DE%d kept", id)
			}
		}
		for _, id := range []int{0, 1, 11, 37, 38, 39, 41} {
			if _, kept := r.Fields[id]; kept {
				t.Fatalf("DE%d both named and in Fields", id)
			}
		}
	})
}

// FuzzSettlementRoundTrip: items built from fuzzed fields either are
// refused when written or read back equal; and no file makes the reader
// panic or loop.
func FuzzSettlementRoundTrip(f *testing.F) {
	for _, it := range sampleItems() {
		f.Add(it.MerchantID, it.TerminalID, it.STAN, it.RRN, it.ApprovalCode, it.ProcessingCode, it.Amount,
			it.Currency, it.MaskedPAN, it.Batch, int16(0), int16(-1))
	}
	f.Add("M,\"\n", "T\r\nERM01", "00000a", "", "ÅÄÖ", "2000", int64(-5), "eur", "4111111111111111", "", int16(9000), int16(-9000))
	f.Add(strings.Join(pos.SettlementColumns, ",")+"\n2026-03-10,x\n\"", "VRT00001", "000001", "606912345678", "", "200000",
		int64(1), "EUR", "", "B", int16(1), int16(1))
	f.Fuzz(func(t *testing.T, merchantID, terminal, stan, rrn, approval, proc string, amount int64,
		currency, pan, batch string, sdays, tdays int16) {
		it := pos.SettlementItem{
			SettlementDate: day.AddDate(0, 0, int(sdays)), TransactionDate: day.AddDate(0, 0, int(tdays)),
			MerchantID: merchantID, TerminalID: terminal, STAN: stan, RRN: rrn, ApprovalCode: approval,
			ProcessingCode: proc, Amount: amount, Currency: currency, MaskedPAN: pan, Batch: batch,
		}
		var buf bytes.Buffer
		if err := pos.WriteSettlement(&buf, []pos.SettlementItem{it}); err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
		} else {
			sr, err := pos.NewSettlementReader(&buf)
			if err != nil {
				t.Fatalf("written file's header: %v", err)
			}
			got, err := sr.Next()
			if err != nil {
				t.Fatalf("written item does not read back: %v\n%+v", err, it)
			}
			if !itemsEqual(got, it) {
				t.Fatalf("read back\n%+v\nwrote\n%+v", got, it)
			}
			if _, err := sr.Next(); err != io.EOF {
				t.Fatalf("after the only item: %v", err)
			}
		}

		// Any text as a file: errors are clean, and reading ends.
		for _, file := range []string{merchantID, strings.Join(pos.SettlementColumns, ",") + "\n" + merchantID} {
			sr, err := pos.NewSettlementReader(strings.NewReader(file))
			if err != nil {
				continue
			}
			for n := 0; ; n++ {
				if n > len(file)+2 {
					t.Fatal("the reader does not end")
				}
				_, err := sr.Next()
				if err == io.EOF {
					break
				}
				var re *pos.RowError
				if err != nil && !errors.As(err, &re) {
					break
				}
				if re != nil && re.Line < 2 {
					t.Fatalf("row error on line %d", re.Line)
				}
			}
		}
	})
}
