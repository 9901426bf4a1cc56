package filing

import (
	"net/netip"
	"strings"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// The contact a shopper types, the order it is matched with, and the
// address their tries are counted under.

// Contact kinds.
const (
	KindEmail = "email"
	KindPhone = "phone"
)

// contactOf matches what the shopper typed with the order's e-mail or
// phone, and says which it was: an e-mail is compared case-folded, a phone
// by its digits (and a leading +).
func contactOf(o *db.Order, typed string) (contact, kind string, ok bool) {
	t := strings.TrimSpace(typed)
	if strings.Contains(t, "@") {
		e := strings.ToLower(t)
		return e, KindEmail, o.CustomerEmail != "" && e == o.CustomerEmail
	}
	p := returns.NormalizePhone(t)
	return p, KindPhone, o.CustomerPhone != "" && p == o.CustomerPhone
}

// MaskContact shows enough of a contact to recognise it.
func MaskContact(contact, kind string) string {
	if kind == KindEmail {
		at := strings.LastIndexByte(contact, '@')
		if at <= 1 {
			return "***" + contact[max(at, 0):]
		}
		return contact[:1] + strings.Repeat("*", at-1) + contact[at:]
	}
	if len(contact) <= 6 {
		return "***"
	}
	return contact[:3] + strings.Repeat("*", len(contact)-6) + contact[len(contact)-3:]
}

// clientKey is the address tries are counted under: an IPv4 address, or
// the /64 network of an IPv6 one (one host usually holds a whole /64).
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}
