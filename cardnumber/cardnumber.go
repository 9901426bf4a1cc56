// Package cardnumber finds full card numbers (PANs) in text, however they
// are written, so that Rebound can refuse them wherever they arrive: request
// bodies, query strings, paths and the headers it stores or logs. Rebound
// never accepts or keeps a full card number.
package cardnumber

import (
	"regexp"
	"unicode"
)

// In tells whether s holds a card number: 13 to 19 digits
// that start like a card scheme's numbers (2 to 6) and pass the Luhn check,
// however they are written. Digits are read in any script (full-width,
// Arabic-Indic, …); between them may stand any run of one or two characters
// that are not letters (spaces, tabs, '-', '.', '/', '_', ',' …, in any
// mix), and letters glued on either side do not hide them. Whole groups are
// tried, so a card followed by its CVV or expiry, or preceded by other
// digits, is caught too. Letters between digits end a number, so words and
// hex ids are not read as one; UUIDs, hashes, ISO
// dates and times (of the years 1900 to 2099, which no card number starts
// with), and phone numbers written with their '+' country code (15 digits at
// most, as E.164 allows) are left out, since they are everywhere and none is
// a card.
func In(s string) bool {
	if len(s) < 13 {
		return false
	}
	s = notCards.ReplaceAllString(s, "   ")
	var (
		groups  [][]byte // the digit groups of the current number
		cur     []byte   // the group being read
		plus    bool     // the number's first group follows a '+'
		sepRun  int      // characters since the last digit
		prev    rune
		started bool
	)
	flush := func() bool {
		if len(cur) > 0 {
			groups = append(groups, cur)
			cur = nil
		}
		found := cardIn(groups, plus)
		groups, plus, started = groups[:0], false, false
		return found
	}
	for _, r := range s {
		if d, ok := digitValue(r); ok {
			if !started {
				plus, started = prev == '+', true
			}
			if sepRun > 0 && len(cur) > 0 {
				groups = append(groups, cur)
				cur = nil
			}
			cur = append(cur, '0'+d)
			sepRun = 0
		} else {
			sepRun++
			if started && (sepRun > 2 || unicode.IsLetter(r)) {
				if flush() {
					return true
				}
			}
		}
		prev = r
	}
	return flush()
}

// notCards are the shapes of text that hold many digits but never a card:
// UUIDs; hashes and other hex strings of 32 characters or more (an HMAC's
// digits hold a Luhn-valid run of 13 now and then; 32 digits alone are too
// long a run to be a card anyway); and ISO dates of a plausible year, month and
// day, with their time of day (a card's "4111-11-11" is no date).
var notCards = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|` +
	`[0-9a-fA-F]{32,}|` +
	`(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?`)

// cardIn tries every run of whole consecutive groups of 13 to 19 digits.
// A run that starts with the first group of a number written after '+' is a
// phone number in international form, not a card, as long as it has no
// more digits than a phone number may (15).
func cardIn(groups [][]byte, plus bool) bool {
	for i := range groups {
		var digits []byte
		for j := i; j < len(groups); j++ {
			digits = append(digits, groups[j]...)
			if len(digits) > 19 {
				break
			}
			phone := i == 0 && plus && len(digits) <= 15 // E.164's longest
			if !phone && len(digits) >= 13 && digits[0] >= '2' && digits[0] <= '6' && luhn(digits) {
				return true
			}
		}
	}
	return false
}

// digitValue reads a decimal digit of any script: Unicode keeps each
// script's digits as runs of ten from zero, so a digit's value is its
// distance from the start of its run.
func digitValue(r rune) (byte, bool) {
	if r >= '0' && r <= '9' {
		return byte(r - '0'), true
	}
	if r < 0x80 || !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10), true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10), true
		}
	}
	return 0, false
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}
