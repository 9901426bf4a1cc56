package pos

import (
	"fmt"

	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/encoding"
	"github.com/moov-io/iso8583/field"
	"github.com/moov-io/iso8583/padding"
	"github.com/moov-io/iso8583/prefix"
)

// Tolerant reading: answers from the acquirer are read with AnswerSpec,
// which knows every ISO 8583:1987 data element, so that a host adding
// fields Rebound does not use (a settlement date, an institution id,
// additional response data, private fields) or an empty secondary bitmap
// is still understood. Rebound then checks only the fields it uses
// (ParseResponse); the rest go to Response.Fields, card data excepted.

// AnswerSpec is ISO 8583:1987 in ASCII with every data element from 2 to
// 128 except 65 (bit 65 announces a tertiary bitmap, which no 1987 host
// sends, and fails to read). Lengths and length prefixes are the
// standard's; variable fields are read up to what their prefix can frame
// (99 or 999), so a host exceeding the standard's maximum is read, not
// refused. Contents must be printable ASCII (binary fields: hexadecimal);
// numeric fields are not checked for digits here: ParseResponse checks the
// fields Rebound uses.
var AnswerSpec = answerSpec()

// cardDataFields are the 1987 fields holding card data: PAN (2), expiry
// (14), extended PAN (34), tracks 2, 3 and 1 (35, 36, 45), PIN block (52)
// and chip data (55). They are read to get past them and never kept.
var cardDataFields = []int{2, 14, 34, 35, 36, 45, 52, 55}

func isCardData(id int) bool {
	for _, c := range cardDataFields {
		if c == id {
			return true
		}
	}
	return false
}

func answerSpec() *iso8583.MessageSpec {
	fields := map[int]field.Field{
		0: fixed(4, "Message Type Indicator", numericChars),
		1: field.NewBitmap(&field.Spec{
			Length:      8,
			Description: "Bitmap",
			Enc:         encoding.BytesToASCIIHex,
			Pref:        prefix.Hex.Fixed,
		}),
	}
	// Fixed-length fields by length; the rest are variable or binary.
	fixedLen := map[int]int{
		3: 6, 4: 12, 5: 12, 6: 12, 7: 10, 8: 8, 9: 8, 10: 8, 11: 6, 12: 6, 13: 4, 14: 4, 15: 4, 16: 4,
		17: 4, 18: 4, 19: 3, 20: 3, 21: 3, 22: 3, 23: 3, 24: 3, 25: 2, 26: 2, 27: 1, 28: 9, 29: 9, 30: 9,
		31: 9, 37: 12, 38: 6, 39: 2, 40: 3, 41: 8, 42: 15, 43: 40, 49: 3, 50: 3, 51: 3, 53: 16,
		66: 1, 67: 2, 68: 3, 69: 3, 70: 3, 71: 4, 72: 4, 73: 6, 74: 10, 75: 10, 76: 10, 77: 10, 78: 10,
		79: 10, 80: 10, 81: 10, 82: 12, 83: 12, 84: 12, 85: 12, 86: 16, 87: 16, 88: 16, 89: 16, 90: 42,
		91: 1, 92: 2, 93: 5, 94: 7, 95: 42, 97: 17, 98: 25,
	}
	llvar := []int{2, 32, 33, 34, 35, 44, 45, 99, 100, 101, 102, 103}
	binary := []int{52, 64, 96, 128} // b64: 8 bytes, 16 hexadecimal characters
	for id, n := range fixedLen {
		fields[id] = fixed(n, fmt.Sprintf("DE%d", id), printableChars)
	}
	// The card acceptor id is space padded, as in Spec.
	fields[42] = field.NewString(&field.Spec{
		Length:      15,
		Description: "DE42",
		Enc:         printableChars,
		Pref:        prefix.ASCII.Fixed,
		Pad:         padding.Right(' '),
	})
	for _, id := range llvar {
		fields[id] = variable(id, 99, prefix.ASCII.LL)
	}
	for _, id := range binary {
		fields[id] = field.NewBinary(&field.Spec{
			Length:      8,
			Description: fmt.Sprintf("DE%d", id),
			Enc:         encoding.BytesToASCIIHex,
			Pref:        prefix.Binary.Fixed, // no prefix; Length counts bytes, as packed
		})
	}
	for id := 2; id <= 128; id++ {
		if _, done := fields[id]; !done && id != 65 {
			fields[id] = variable(id, 999, prefix.ASCII.LLL) // 36, 46-48, 54-63, 104-127
		}
	}
	return &iso8583.MessageSpec{Name: "ISO 8583:1987 ASCII, every field (answers from the acquirer)", Fields: fields}
}

func variable(id, max int, pref prefix.Prefixer) *field.String {
	return field.NewString(&field.Spec{
		Length:      max,
		Description: fmt.Sprintf("DE%d", id),
		Enc:         printableChars,
		Pref:        pref,
	})
}

// UnpackAnswer parses one answer from the acquirer (without its length
// header) against AnswerSpec: any well-formed 1987 message, with or
// without a secondary bitmap, is read. It refuses bytes left over after
// the last field, and never panics. Errors are *errors.UnpackError without
// the raw bytes. The message may hold card data: read it with
// ParseResponse, which drops it.
func UnpackAnswer(b []byte) (*iso8583.Message, error) {
	return unpackWith(AnswerSpec, "unpack answer", b, consumed)
}

// consumed is how many bytes m was read from: its MTI, its bitmaps as
// they came (a secondary bitmap without a field in it included) and each
// field, which packs back to the length it was read from.
func consumed(m *iso8583.Message) (int, error) {
	bitmap, err := m.Bitmap().Bytes()
	if err != nil {
		return 0, err
	}
	n := 4 + 2*len(bitmap)
	for id, f := range m.GetFields() {
		if id < 2 {
			continue
		}
		b, err := f.Pack()
		if err != nil {
			return 0, fmt.Errorf("field %d does not re-pack: %w", id, err)
		}
		n += len(b)
	}
	return n, nil
}

// rawIDs are the MTI and STAN of an answer that could not be read, as far
// as they can be made out, for logging: digits only, "" when unknown. The
// terminal (DE41) is returned too when the message unpacked far enough,
// to match the answer to its request; it is never logged.
func rawIDs(b []byte) (mti, stan, terminal string) {
	defer func() {
		if recover() != nil {
			mti, stan, terminal = "", "", ""
		}
	}()
	if len(b) >= 4 && allOf(string(b[:4]), isDigit) {
		mti = string(b[:4])
	}
	// Unpack stops at the first field it cannot read; those before it are
	// kept.
	m := iso8583.NewMessage(AnswerSpec)
	_ = m.Unpack(b)
	if s, _ := m.GetString(11); len(s) == 6 && allOf(s, isDigit) {
		stan = s
	}
	if s, _ := m.GetString(41); ValidTerminalID(s) {
		terminal = s
	}
	return mti, stan, terminal
}
