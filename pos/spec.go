package pos

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/encoding"
	isoerrors "github.com/moov-io/iso8583/errors"
	"github.com/moov-io/iso8583/field"
	"github.com/moov-io/iso8583/padding"
	"github.com/moov-io/iso8583/prefix"
)

// Spec is ISO 8583:1987 in ASCII with only the fields of Rebound's profile
// (PROFILE.md): what Rebound writes, and what the simulator reads. Fields 2
// (PAN), 14 (expiry), 35 and 36 (tracks 2 and 3), 45 (track 1), 52 (PIN
// block), 55 (chip data) and any CVV field are deliberately absent: a
// message carrying one fails to unpack and cannot be packed. Answers from
// the acquirer are read with AnswerSpec instead.
var Spec = &iso8583.MessageSpec{
	Name: "Rebound ISO 8583:1987 ASCII (void, refund, reversal)",
	Fields: map[int]field.Field{
		0: fixed(4, "Message Type Indicator", numericChars),
		1: field.NewBitmap(&field.Spec{
			Length:      8,
			Description: "Bitmap",
			Enc:         encoding.BytesToASCIIHex,
			Pref:        prefix.Hex.Fixed,
		}),
		3:  fixed(6, "Processing Code", numericChars),
		4:  fixed(12, "Transaction Amount", numericChars),
		7:  fixed(10, "Transmission Date & Time", numericChars),
		11: fixed(6, "Systems Trace Audit Number", numericChars),
		12: fixed(6, "Local Transaction Time", numericChars),
		13: fixed(4, "Local Transaction Date", numericChars),
		37: fixed(12, "Retrieval Reference Number", alphanumericChars),
		38: fixed(6, "Approval Code", alphanumericChars),
		39: fixed(2, "Response Code", alphanumericChars),
		41: fixed(8, "Card Acceptor Terminal Identification", printableChars),
		42: field.NewString(&field.Spec{
			Length:      15,
			Description: "Card Acceptor Identification Code",
			Enc:         printableChars,
			Pref:        prefix.ASCII.Fixed,
			Pad:         padding.Right(' '),
		}),
		49: fixed(3, "Transaction Currency Code", numericChars),
		61: field.NewString(&field.Spec{
			Length:      999,
			Description: "Original Sale Data (private)",
			Enc:         printableChars,
			Pref:        prefix.ASCII.LLL,
		}),
		90: fixed(42, "Original Data Elements", numericChars),
	},
}

func fixed(length int, description string, enc encoding.Encoder) *field.String {
	return field.NewString(&field.Spec{
		Length:      length,
		Description: description,
		Enc:         enc,
		Pref:        prefix.ASCII.Fixed,
	})
}

// charset is an ASCII encoder that admits only one class of characters, so
// a numeric field holding a letter fails to pack and to unpack.
type charset struct {
	name string
	ok   func(byte) bool
}

var (
	numericChars      = charset{"numeric", isDigit}
	alphanumericChars = charset{"alphanumeric", isAlphanumeric}
	printableChars    = charset{"printable ASCII", isPrintable}
)

func isDigit(c byte) bool        { return c >= '0' && c <= '9' }
func isPrintable(c byte) bool    { return c >= 0x20 && c <= 0x7e }
func isAlphanumeric(c byte) bool { return isDigit(c) || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

func (cs charset) check(data []byte) error {
	for i, c := range data {
		if !cs.ok(c) {
			// The position only: the content stays out of errors and logs.
			return fmt.Errorf("character %d is not %s", i+1, cs.name)
		}
	}
	return nil
}

func (cs charset) Encode(data []byte) ([]byte, error) {
	if err := cs.check(data); err != nil {
		return nil, err
	}
	return append([]byte(nil), data...), nil
}

func (cs charset) Decode(data []byte, length int) ([]byte, int, error) {
	if length < 0 || len(data) < length {
		return nil, 0, fmt.Errorf("not enough data: need %d bytes", length)
	}
	if err := cs.check(data[:length]); err != nil {
		return nil, 0, err
	}
	return append([]byte(nil), data[:length]...), length, nil
}

// MaxMessageLength is the largest message the 2-byte length header can frame.
const MaxMessageLength = 0xFFFF

// ReadLength reads the 2-byte big-endian binary length header.
func ReadLength(r io.Reader) (int, error) {
	var b [2]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(b[:])), nil
}

// WriteLength writes the 2-byte big-endian binary length header.
func WriteLength(w io.Writer, length int) (int, error) {
	if length < 0 || length > MaxMessageLength {
		return 0, fmt.Errorf("pos: message length %d does not fit the 2-byte header", length)
	}
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], uint16(length))
	return w.Write(b[:])
}

// frame packs m and prefixes it with its length header, ready for one Write.
func frame(m *iso8583.Message) ([]byte, error) {
	packed, err := m.Pack()
	if err != nil {
		return nil, err
	}
	if len(packed) > MaxMessageLength {
		return nil, fmt.Errorf("pos: packed message of %d bytes does not fit the 2-byte header", len(packed))
	}
	out := make([]byte, 2, 2+len(packed))
	binary.BigEndian.PutUint16(out, uint16(len(packed)))
	return append(out, packed...), nil
}

// Unpack parses one message (without its length header) against Spec. It
// refuses fields outside the spec (a card number, track data, a PIN block),
// characters outside a field's class and trailing bytes, and never panics.
// Errors are *errors.UnpackError without the raw bytes, so logging one never
// leaks message content.
func Unpack(b []byte) (*iso8583.Message, error) {
	return unpackWith(Spec, "unpack", b, func(m *iso8583.Message) (int, error) {
		// The library stops at the last field in the bitmap; whatever
		// follows is not ours to ignore. Every field is fixed-length, so a
		// faithful message re-packs to exactly its own length.
		repacked, err := m.Pack()
		if err != nil {
			return 0, fmt.Errorf("message does not re-pack: %w", err)
		}
		return len(repacked), nil
	})
}

// unpackWith parses b against spec, never panicking, and refuses bytes
// left over: read says how many bytes the parsed message took. Errors are
// *errors.UnpackError without the raw bytes, prefixed "pos: <what>".
func unpackWith(spec *iso8583.MessageSpec, what string, b []byte, read func(*iso8583.Message) (int, error)) (m *iso8583.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, &isoerrors.UnpackError{Err: fmt.Errorf("pos: %s: malformed message", what)}
		}
	}()
	m = iso8583.NewMessage(spec)
	if err := m.Unpack(b); err != nil {
		var ue *isoerrors.UnpackError
		if errors.As(err, &ue) {
			return nil, &isoerrors.UnpackError{Err: fmt.Errorf("pos: %s: %w", what, ue.Err), FieldID: ue.FieldID}
		}
		return nil, &isoerrors.UnpackError{Err: fmt.Errorf("pos: %s: %w", what, err)}
	}
	n, err := read(m)
	if err != nil {
		return nil, &isoerrors.UnpackError{Err: fmt.Errorf("pos: %s: %w", what, err)}
	}
	if n != len(b) {
		return nil, &isoerrors.UnpackError{Err: fmt.Errorf("pos: %s: %d of %d bytes are not part of a field", what, len(b)-n, len(b))}
	}
	return m, nil
}
