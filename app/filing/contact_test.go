package filing

import (
	"testing"

	"github.com/rebound-returns/rebound/db"
)

func TestClientKeyCountsAnIPv6NetworkAsOneClient(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"::ffff:192.0.2.7":     "192.0.2.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "2001:db8:1:3::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an address":       "not an address",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestMaskContact(t *testing.T) {
	for _, c := range []struct{ contact, kind, want string }{
		{"shopper@example.com", KindEmail, "s******@example.com"},
		{"ab@example.com", KindEmail, "a*@example.com"},
		{"a@example.com", KindEmail, "***@example.com"},
		{"@example.com", KindEmail, "***@example.com"},
		{"no-at-sign", KindEmail, "***no-at-sign"},
		{"+4915112345678", KindPhone, "+49********678"},
		{"1234567", KindPhone, "123*567"},
		{"123456", KindPhone, "***"},
	} {
		if got := MaskContact(c.contact, c.kind); got != c.want {
			t.Errorf("MaskContact(%q, %s) = %q; want %q", c.contact, c.kind, got, c.want)
		}
	}
}

func TestContactOfMatchesAsTheOrderKeepsIt(t *testing.T) {
	o := &db.Order{CustomerEmail: "shopper@example.com", CustomerPhone: "+4915112345678"}
	for _, c := range []struct {
		typed, contact, kind string
		ok                   bool
	}{
		{" Shopper@EXAMPLE.com\t", "shopper@example.com", KindEmail, true},
		{"other@example.com", "other@example.com", KindEmail, false},
		{"+49 (151) 1234-5678", "+4915112345678", KindPhone, true},
		{" +49 151 12345678 ", "+4915112345678", KindPhone, true},
		{"49 151 12345678", "4915112345678", KindPhone, false},
		{"", "", KindPhone, false},
	} {
		contact, kind, ok := contactOf(o, c.typed)
		if contact != c.contact || kind != c.kind || ok != c.ok {
			t.Errorf("contactOf(%q) = %q %s %v; want %q %s %v", c.typed, contact, kind, ok, c.contact, c.kind, c.ok)
		}
	}
	// An order without an e-mail or phone matches no contact, not even an
	// empty one.
	if _, _, ok := contactOf(&db.Order{}, ""); ok {
		t.Error("an empty contact matched an order without one")
	}
	if _, _, ok := contactOf(&db.Order{}, "@"); ok {
		t.Error("an empty e-mail matched")
	}
}
