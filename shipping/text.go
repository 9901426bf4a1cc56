package shipping

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The label uses the PDF core fonts, which only know Windows-1252. Names and addresses come from
// shoppers and merchants in any script, so text is converted here: what Windows-1252 has is kept
// ("Müller", "Straße"), accented letters it lacks lose their accent ("Dvořák" becomes "Dvorák"),
// and what cannot be spelled in Latin letters becomes "?". Converting never fails.

// foldExtra spells letters that Windows-1252 lacks and that do not decompose into a base letter
// and a mark.
var foldExtra = map[rune]string{
	'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ħ': "h", 'Ħ': "H",
	'ı': "i", 'ŧ': "t", 'Ŧ': "T", 'ŀ': "l", 'Ŀ': "L",
}

// cp1252Text turns s into a single line of Windows-1252 text, using tr, fpdf's translator for that
// code page (it maps what it cannot translate to "."). Runs of white space, line breaks included,
// become one space.
func cp1252Text(tr func(string) string, s string) string {
	s = norm.NFC.String(strings.Join(strings.Fields(s), " "))
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
		case r < 0x80:
			b.WriteRune(r)
		default:
			if t, ok := translateRune(tr, r); ok {
				b.WriteString(t)
			} else {
				b.WriteString(foldRune(tr, r))
			}
		}
	}
	return b.String()
}

func translateRune(tr func(string) string, r rune) (string, bool) {
	if r < 0x80 {
		return string(r), true
	}
	t := tr(string(r))
	return t, t != "."
}

// foldRune spells r, which Windows-1252 lacks, with the letters it has: its base letter without the
// accent, or "?". A lone combining mark is dropped.
func foldRune(tr func(string) string, r rune) string {
	if s, ok := foldExtra[r]; ok {
		return s
	}
	if unicode.Is(unicode.Mn, r) {
		return ""
	}
	var b strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		if unicode.Is(unicode.Mn, d) {
			continue
		}
		if t, ok := translateRune(tr, d); ok {
			b.WriteString(t)
		}
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}
