package cardnumber

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Issue 13, finding 5: the card-number filter was bypassed by other
// separators, other digits and letters glued on. Each of these was stored.
func TestCardNumbersAreFoundHoweverWritten(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"4111/1111/1111/1111",
		"4111_1111_1111_1111",
		"4111,1111,1111,1111",
		"4111\t1111\t1111\t1111",
		"4111  1111  1111  1111",
		"4111 -1111- 1111 _1111",
		"4111-1111 1111/1111",
		"41111111 11111111",
		"4111111111 111111",
		"４１１１１１１１１１１１１１１１",    // full-width
		"４１１１ １１１１ １１１１ １１１１", // full-width, spaced
		"٤١١١١١١١١١١١١١١١",    // Arabic-Indic
		"۴۱۱۱۱۱۱۱۱۱۱۱۱۱۱۱",    // Extended Arabic-Indic (Persian)
		"४१११११११११११११११",    // Devanagari
		"𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏",    // mathematical bold
		"x4111111111111111",
		"4111111111111111x",
		"card4111111111111111end",
		"my card is 5413 3300 8960 4111.",
		"5413.3300.8960.4111",
		"3782 822463 10005",
		"order A-1, card 4111 1111 1111 1111 12/25 cvv 123",
		"ref 12 4111111111111111", // other digits before it
		"+1 4111 1111 1111 1111",  // a '+' before other digits does not hide it
		"+4111111111111111",       // 16 digits after '+': more than a phone number has
		"+4111 1111 1111 1111",
		"4111-11-11-1111-1111", // shaped like a date, of no year a date has
	} {
		if !In(s) {
			t.Errorf("In(%q) = false; it is a card number", s)
		}
	}
}

// None of these is a card, though each holds many digits; Luhn-valid ones
// are chosen where they exist, so the test proves the rule and not luck.
func TestNumbersThatAreNotCardsPass(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"4111111111111112",             // fails Luhn
		"411111******1111",             // masked
		"411111XXXXXX1111",             // masked
		"4111111111",                   // too short
		"41111111111111111111111",      // too long, one run
		"1234567812345670",             // Luhn-valid, but no scheme starts with 1
		"633000000101",                 // an RRN
		"RRN 633000000101 STAN 100004", // RRN and STAN, labelled
		"100004",                       // a STAN
		"+49 1512 34567802",            // a phone number (Luhn-valid digits)
		"+46 70 111 22 33",             // a phone number
		"(555) 123-4567",               // a phone number
		"0049 151 234567802",           // a phone number from abroad
		"2026-11-26 10:01:00",          // a time (Luhn-valid digits)
		"2026-11-26T10:01:00.123456Z",  // a time
		"2026-11-26",                   // a date
		"1999-12-31",                   // a date
		"+86 138 0013 8002",            // a mainland mobile (Luhn-valid digits)
		"EUR 1,234.56",                 // an amount
		"123456789",                    // an amount in minor units
		"A-2026-000123",                // an order number
		"SO-000042-17",                 // an order number
		"3f2a9c81d4e5b6a7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1", // a hash
		// A hash whose digits happen to hold a Luhn-valid run of 13 (the chaos
		// test found it among the one-time codes' HMACs).
		"efdee5db5694a60a42eabe850c89b789e655952b148e6269593908614dd5e6e9",
		"token efdee5db5694a60a42eabe850c89b789e655952b148e6269593908614dd5e6e9 used",
		"fp_4a1b2c3d4e5f6a7b8c9d",                // a card fingerprint token
		"{0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B}", // a UUID, braced, upper case
		"",
	} {
		if In(s) {
			t.Errorf("In(%q) = true; it is not a card number", s)
		}
	}
}

// Every id Rebound makes, and every spelling of one, passes; so do ids with
// only digits in their groups.
func TestUUIDsAreNeverCards(t *testing.T) {
	t.Parallel()
	for i := 0; i < 5000; i++ {
		id := uuid.Must(uuid.NewV7()).String()
		for _, s := range []string{id, strings.ToUpper(id), "urn:uuid:" + id, "{" + id + "}"} {
			if In(s) {
				t.Fatalf("%s looks like a card number", s)
			}
		}
	}
	if In("41111111-1111-4111-8111-111111111111") {
		t.Fatal("an all-digit UUID looks like a card number")
	}
}
