package pos_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/moov-io/iso8583"
	isoerrors "github.com/moov-io/iso8583/errors"

	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

// bitmapHex is the primary (and, for bits above 64, secondary) bitmap in
// ASCII hex with the given bits set.
func bitmapHex(bits ...int) string {
	n := 8
	if slices.Max(bits) > 64 {
		n = 16
	}
	b := make([]byte, n)
	for _, bit := range bits {
		b[(bit-1)/8] |= 0x80 >> ((bit - 1) % 8)
	}
	if n == 16 {
		b[0] |= 0x80
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

func TestSpecHasNoCardDataFields(t *testing.T) {
	t.Parallel()
	want := []int{0, 1, 3, 4, 7, 11, 12, 13, 37, 38, 39, 41, 42, 49, 61, 90}
	var got []int
	for id := range pos.Spec.Fields {
		got = append(got, id)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("spec fields %v, want exactly %v", got, want)
	}
	m := iso8583.NewMessage(pos.Spec)
	for _, id := range []int{2, 14, 35, 36, 45, 52, 55} {
		if err := m.Field(id, "4111111111111111"); err == nil {
			t.Errorf("field %d can be set", id)
		}
	}
}

func TestPackedMessagesCarryNoCardData(t *testing.T) {
	t.Parallel()
	var msgs [][]byte
	for _, r := range []pos.Request{simtest.VoidOf("000001", 100), simtest.RefundOf("000002", 100)} {
		m, err := pos.BuildRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, mustPack(t, m))
		for _, repeat := range []bool{false, true} {
			rv, err := pos.BuildReversal(simtest.ReversalOf(r, "000101", repeat))
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, mustPack(t, rv))
		}
	}
	for _, b := range msgs {
		m, err := pos.Unpack(b)
		if err != nil {
			t.Fatalf("Unpack: %v", err)
		}
		for _, id := range []int{2, 35, 36, 45, 52} {
			if m.Bitmap().IsSet(id) {
				t.Errorf("%s has bit %d set", b[:4], id)
			}
		}
		if bytes.Contains(b, []byte(simtest.OpenSale.MaskedPAN[:6])) || bytes.Contains(b, []byte(simtest.SettledSale.MaskedPAN[:6])) {
			t.Errorf("%s carries card digits", b[:4])
		}
	}
}

func TestUnpackRefusesCardFields(t *testing.T) {
	t.Parallel()
	const stan = "000001"
	// Control: the same construction without a card field unpacks.
	if _, err := pos.Unpack([]byte("0200" + bitmapHex(11) + stan)); err != nil {
		t.Fatalf("control message: %v", err)
	}
	cases := []struct {
		name string
		bits []int
		body string // fields in bit order
	}{
		{"PAN (2)", []int{2, 11}, "16" + "4111111111111111" + stan},
		{"track 2 (35)", []int{11, 35}, stan + "37" + "4111111111111111=2512101000000000000"},
		{"PIN block (52)", []int{11, 52}, stan + "0123456789ABCDEF"},
		{"PAN and STAN only (2)", []int{2}, "16" + "4111111111111111"},
	}
	for _, c := range cases {
		raw := []byte("0200" + bitmapHex(c.bits...) + c.body)
		m, err := pos.Unpack(raw)
		if err == nil {
			t.Errorf("%s: unpacked: %v", c.name, m)
			continue
		}
		var ue *isoerrors.UnpackError
		if !errors.As(err, &ue) {
			t.Errorf("%s: %T is not an UnpackError", c.name, err)
		}
		if strings.Contains(err.Error(), "4111111111111111") || len(ue.RawMessage) != 0 {
			t.Errorf("%s: the error carries the card number", c.name)
		}
	}
}

func TestUnpackRefusesMalformedMessages(t *testing.T) {
	t.Parallel()
	m, err := pos.BuildRequest(simtest.VoidOf("000001", 100))
	if err != nil {
		t.Fatal(err)
	}
	good := mustPack(t, m)
	if _, err := pos.Unpack(good); err != nil {
		t.Fatalf("a good message: %v", err)
	}
	bad := map[string][]byte{
		"empty":          {},
		"trailing bytes": append(slices.Clone(good), "XYZ"...),
		"truncated":      good[:len(good)-3],
		"letter in STAN": []byte("0200" + bitmapHex(11) + "00A001"),
		"letter in MTI":  []byte("02X0" + bitmapHex(11) + "000001"),
		"not ASCII":      []byte("0200" + bitmapHex(41) + "TERM\xff001"),
		"bad bitmap":     []byte("0200ZZZZZZZZZZZZZZZZ"),
	}
	for name, b := range bad {
		if _, err := pos.Unpack(b); err == nil {
			t.Errorf("%s: unpacked", name)
		}
	}
}

func TestLengthHeader(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	for _, n := range []int{0, 1, 300, 65535} {
		buf.Reset()
		if w, err := pos.WriteLength(&buf, n); err != nil || w != 2 {
			t.Fatalf("WriteLength(%d) = %d, %v", n, w, err)
		}
		if n == 300 && !bytes.Equal(buf.Bytes(), []byte{0x01, 0x2C}) {
			t.Errorf("300 is % x, want 01 2c (big-endian binary)", buf.Bytes())
		}
		got, err := pos.ReadLength(&buf)
		if err != nil || got != n {
			t.Errorf("ReadLength = %d, %v; want %d", got, err, n)
		}
	}
	for _, n := range []int{-1, 65536} {
		if _, err := pos.WriteLength(io.Discard, n); err == nil {
			t.Errorf("WriteLength(%d) accepted", n)
		}
	}
	if _, err := pos.ReadLength(bytes.NewReader([]byte{1})); err == nil {
		t.Error("ReadLength of one byte succeeded")
	}
}

func TestMaskedPAN(t *testing.T) {
	t.Parallel()
	for pan, ok := range map[string]bool{
		"411111******1111":    true,
		"411111XXXXXX1111":    true,
		"5500000000000004":    false, // a full card number
		"411111*****1111":     true,  // 15 digits (Amex)
		"411111******111":     false,
		"4111******1111":      false,
		"411111**1*1**1111":   false,
		"":                    false,
		"411111*********1111": true,
	} {
		if got := pos.ValidMaskedPAN(pan); got != ok {
			t.Errorf("ValidMaskedPAN(%q) = %v, want %v", pan, got, ok)
		}
	}
}
