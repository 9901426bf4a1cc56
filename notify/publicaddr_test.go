package notify

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Finding 8 of issue 13: the webhook filter let through 100.64.0.0/10,
// 0.0.0.0/8, 198.18.0.0/15, 240.0.0.0/4, NAT64, ::ffff and ::a.b.c.d forms
// and 6to4, and ran only at registration.
func TestRefusedAddrCoversTheSpecialPurposeRegistries(t *testing.T) {
	t.Parallel()
	refused := []string{
		// IPv4 special-purpose registry
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.100.100.200", "100.127.255.254",
		"127.0.0.1", "127.255.255.254", "169.254.169.254", "169.254.0.1", "172.16.0.1", "172.31.255.255",
		"192.0.0.1", "192.0.0.8", "192.0.0.9", "192.0.0.10", "192.0.0.170", "192.0.2.1", "192.31.196.1", "192.52.193.1",
		"192.88.99.1", "192.168.1.1", "192.175.48.1", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9",
		"224.0.0.1", "239.255.255.250", "240.0.0.1", "250.1.2.3", "255.255.255.255",
		// IPv6 special-purpose registry and everything outside 2000::/3
		"::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:100.100.100.200", "::ffff:169.254.169.254",
		"::127.0.0.1", "::10.0.0.1", "::8.8.8.8", "64:ff9b::7f00:1", "64:ff9b::808:808", "64:ff9b:1::1",
		"100::1", "100:0:0:1::1", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:1::1", "2001:2::1",
		"2001:3::1", "2001:4:112::1", "2001:10::1", "2001:20::1", "2001:db8::1", "2001:db8:ffff::1",
		"2002:7f00:1::1", "2002:0a00:0001::1", "2002:a9fe:a9fe::1", "2002:6464:64c8::1", "2620:4f:8000::1",
		"3fff::1", "5f00::1", "fc00::1", "fd12:3456::1", "fe80::1", "fe80::1%eth0", "fec0::1", "ff02::1", "ff0e::1",
	}
	for _, s := range refused {
		if RefusedAddr(netip.MustParseAddr(s)) == "" {
			t.Errorf("%s is allowed; it must be refused", s)
		}
	}
	allowed := []string{
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1",
		"192.0.1.1", "192.169.0.1", "198.17.255.255", "198.20.0.1", "223.255.255.254",
		"::ffff:8.8.8.8", "2606:4700:4700::1111", "2a00:1450:4001:82b::200e", "2001:4860:4860::8888", "2002:808:808::1",
	}
	for _, s := range allowed {
		if why := RefusedAddr(netip.MustParseAddr(s)); why != "" {
			t.Errorf("%s is refused (%s); it is global unicast", s, why)
		}
	}
}

// The check runs as each address is dialled, after the name is resolved.
func TestPublicDialerRefusesAtConnectTime(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"127.0.0.1:80", "[::1]:80", "[::ffff:127.0.0.1]:80", "100.100.100.200:80", "[64:ff9b::a9fe:a9fe]:80"} {
		_, err := PublicDialer(time.Second).DialContext(context.Background(), "tcp", addr)
		if !errors.Is(err, ErrRefusedAddress) {
			t.Errorf("dial %s: %v; want refused", addr, err)
		}
	}
}

// DNS rebinding: a name that looked public when the endpoint was
// registered and resolves to 127.0.0.1 when the event is delivered. The
// dial refuses it; the server on loopback never hears a byte.
func TestWebhookDeliveryRefusesANameThatRebindsToLoopback(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))

	// At registration the name answered a public address.
	registered := fakeResolver{"rebind.example.com": {"93.184.216.34"}}
	if why := CheckPublicHost(context.Background(), "rebind.example.com", registered); why != "" {
		t.Fatalf("registration: %s", why)
	}
	// At delivery it answers loopback (localhost stands for the rebound name).
	for _, host := range []string{"localhost", "127.0.0.1", "[::1]"} {
		sender := NewWebhook(PublicClient(5 * time.Second))
		err := sender.Send(context.Background(), Message{ID: "evt_1", To: "http://" + host + ":" + port + "/hook", Secret: "s", Text: `{"a":1}`})
		if !errors.Is(err, ErrRefusedAddress) || !IsPermanent(err) {
			t.Errorf("%s: %v; want a permanent refusal", host, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback server got %d requests", n)
	}
	// Dev's plain client still reaches the laptop's own server.
	if err := NewWebhook(nil).Send(context.Background(), Message{ID: "evt_2", To: srv.URL + "/hook", Secret: "s", Text: `{"a":1}`}); err != nil || hits.Load() != 1 {
		t.Fatalf("dev delivery: %v, %d hits", err, hits.Load())
	}
}

type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	var out []net.IPAddr
	for _, a := range f[host] {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host}
	}
	return out, nil
}
