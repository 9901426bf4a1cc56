package db

import (
	"context"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The console's search (issue 18): one query, matched as a prefix in any
// case against a return's order number, tracking number, customer name
// (from any of its words), e-mail and phone, and against its id. Every
// return keeps its terms in return_search_terms, normalised as searchText
// and phoneDigits say, written with the return (CreateReturn) and its
// tracking number (ApplyTransition); a query is normalised the same way and
// becomes a range of that table's (merchant_id, term) index, so no LIKE
// pattern is built and % or _ in a query match themselves.
//
// A return id matches in full or by a prefix of at least SearchIDPrefix
// characters of its canonical form (lower-case hex, hyphens where they
// belong): a range of returns' primary key.

// SearchMaxLen is the longest query, in characters; terms are kept to it,
// which keeps every prefix match exact.
const SearchMaxLen = 100

// SearchIDPrefix is the shortest prefix of a return id that finds it.
const SearchIDPrefix = 8

// Search term fields, as return_search_terms.field holds them.
const (
	termOrderNumber = "order_number"
	termTracking    = "tracking_number"
	termName        = "name"
	termEmail       = "email"
	termPhone       = "phone"
)

// maxRune ends every prefix's range: no term holds it (searchText drops
// it), so term < prefix+maxRune holds for every term that starts with
// prefix, in code point order.
const maxRune = "\U0010FFFF"

// searchText is a term or query as matched: lower case, spaces trimmed and
// runs of white space made one, at most SearchMaxLen characters.
func searchText(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(s, maxRune, "")), " "))
	if utf8.RuneCountInString(s) > SearchMaxLen {
		s = string([]rune(s)[:SearchMaxLen])
	}
	return s
}

// phoneDigits is a phone number as matched: its ASCII digits, so that
// "+46 70-123" and "4670123" are one.
func phoneDigits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return searchText(b.String())
}

// looksLikePhone tells a query written as a phone number: digits and the
// signs phones are written with, at least one digit.
func looksLikePhone(q string) bool {
	digits := false
	for _, c := range q {
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case strings.ContainsRune("+-()./ ", c):
		default:
			return false
		}
	}
	return digits
}

// searchTerm is one row of return_search_terms.
type searchTerm struct {
	ReturnID   string
	Field      string
	Term       string
	MerchantID string
}

func (searchTerm) TableName() string { return "return_search_terms" }

// returnTerms are the terms of r, whose order is o: each term once.
func returnTerms(r *Return, o *Order) []searchTerm {
	var out []searchTerm
	seen := map[[2]string]bool{}
	add := func(field, term string) {
		if term == "" || seen[[2]string{field, term}] {
			return
		}
		seen[[2]string{field, term}] = true
		out = append(out, searchTerm{ReturnID: r.ID, Field: field, Term: term, MerchantID: r.MerchantID})
	}
	add(termOrderNumber, searchText(o.OrderNumber))
	add(termTracking, searchText(r.TrackingNumber))
	add(termEmail, searchText(o.CustomerEmail))
	add(termPhone, phoneDigits(o.CustomerPhone))
	switch r.ContactKind {
	case "email":
		add(termEmail, searchText(r.Contact))
	case "phone":
		add(termPhone, phoneDigits(r.Contact))
	}
	words := strings.Fields(searchText(o.CustomerName))
	for i := range words {
		add(termName, searchText(strings.Join(words[i:], " ")))
	}
	return out
}

// writeReturnTerms stores the terms of a new return.
func (d *conn) writeReturnTerms(ctx context.Context, r *Return) error {
	var o Order
	if err := d.with(ctx).Select("order_number, customer_name, customer_email, customer_phone").
		Where("id = ?", r.OrderID).Take(&o).Error; err != nil {
		return err
	}
	terms := returnTerms(r, &o)
	if len(terms) == 0 {
		return nil
	}
	return d.with(ctx).Create(&terms).Error
}

// writeTrackingTerm replaces a return's tracking number term.
func (d *conn) writeTrackingTerm(ctx context.Context, returnID, tracking string) error {
	if err := d.with(ctx).Where("return_id = ? AND field = ?", returnID, termTracking).Delete(&searchTerm{}).Error; err != nil {
		return err
	}
	term := searchText(tracking)
	if term == "" {
		return nil
	}
	return d.with(ctx).Exec(`INSERT INTO return_search_terms (return_id, field, term, merchant_id)
SELECT id, ?, ?, merchant_id FROM returns WHERE id = ?`, termTracking, term, returnID).Error
}

// idPrefixRange is the range of canonical ids that start with q, when q is
// at least SearchIDPrefix characters of one.
func idPrefixRange(q string) (lo, hi string, ok bool) {
	const zero, full = "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"
	if len(q) < SearchIDPrefix || len(q) > len(zero) {
		return "", "", false
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		if zero[i] == '-' {
			if c != '-' {
				return "", "", false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", "", false
		}
	}
	return q + zero[len(q):], q + full[len(q):], true
}

// searchWhere narrows q (a query of returns, their columns named bare) to
// the returns whose terms or id start with query. The matching ids come
// from a union of index ranges, so that the outer query is a semi-join on
// returns' primary key.
func searchWhere(q *gorm.DB, merchantID, query string) *gorm.DB {
	text := searchText(query)
	if text == "" {
		return q.Where("1 = 0")
	}
	prefixes := []string{text}
	if looksLikePhone(text) {
		if digits := phoneDigits(text); digits != "" && digits != text {
			prefixes = append(prefixes, digits)
		}
	}
	var parts []string
	var args []any
	for _, p := range prefixes {
		parts = append(parts, "SELECT t.return_id FROM return_search_terms t WHERE t.merchant_id = ? AND t.term >= ? AND t.term < ?")
		args = append(args, merchantID, p, p+maxRune)
	}
	if lo, hi, ok := idPrefixRange(text); ok {
		parts = append(parts, "SELECT r.id FROM returns r WHERE r.id >= ? AND r.id <= ?")
		args = append(args, lo, hi)
	}
	return q.Where("id IN ("+strings.Join(parts, " UNION ALL ")+")", args...)
}
