package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Webhooks go to the merchants' own servers on the internet, never into
// Rebound's network: outside dev every connection a webhook makes is
// checked, address by address as it is dialled, against the IANA
// special-purpose registries of IPv4 and IPv6. Checking at connect time,
// not when the URL is registered, is what catches DNS rebinding (a name
// that resolved to a public address at registration and resolves to
// 127.0.0.1 at delivery).

// ErrRefusedAddress is the cause of a dial to an address that is not
// global unicast.
var ErrRefusedAddress = errors.New("not a public address")

func prefixes(ps ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ps))
	for i, p := range ps {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// refusedV4 is the IANA IPv4 special-purpose address registry (every
// entry, those marked globally reachable too), with multicast.
var refusedV4 = prefixes(
	"0.0.0.0/8",       // this network
	"10.0.0.0/8",      // private use
	"100.64.0.0/10",   // shared address space (carrier-grade NAT; 100.100.100.200 is a cloud metadata service)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link local (169.254.169.254: cloud metadata)
	"172.16.0.0/12",   // private use
	"192.0.0.0/24",    // IETF protocol assignments (DS-Lite, PCP and TURN anycast, NAT64 discovery)
	"192.0.2.0/24",    // documentation (TEST-NET-1)
	"192.31.196.0/24", // AS112-v4
	"192.52.193.0/24", // AMT
	"192.88.99.0/24",  // deprecated 6to4 relay anycast
	"192.168.0.0/16",  // private use
	"192.175.48.0/24", // direct delegation AS112 service
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation (TEST-NET-2)
	"203.0.113.0/24",  // documentation (TEST-NET-3)
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, with the limited broadcast 255.255.255.255
)

// globalV6 is where global unicast IPv6 addresses are allocated; refusedV6
// the IANA IPv6 special-purpose registry entries inside it. Everything
// outside 2000::/3 is refused: ::/128, ::1, IPv4-compatible ::a.b.c.d, NAT64
// 64:ff9b::/96 and 64:ff9b:1::/48, discard 100::/64, dummy 100:0:0:1::/64,
// SRv6 5f00::/16, ULA fc00::/7, link local fe80::/10, multicast ff00::/8.
var (
	globalV6  = netip.MustParsePrefix("2000::/3")
	refusedV6 = prefixes(
		"2001::/23",         // IETF protocol assignments: Teredo 2001::/32, benchmarking, AMT, AS112, ORCHID(v2), PCP/TURN anycast
		"2001:db8::/32",     // documentation
		"2620:4f:8000::/48", // direct delegation AS112 service
		"3fff::/20",         // documentation
	)
	sixToFour = netip.MustParsePrefix("2002::/16") // 6to4: judged by the IPv4 address it embeds
)

// RefusedAddr tells why a webhook may not reach a ("" when it may): an
// address must be global unicast. IPv4-mapped IPv6 addresses and 6to4
// addresses are judged by the IPv4 address they carry.
func RefusedAddr(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		for _, p := range refusedV4 {
			if p.Contains(a) {
				return a.String() + " is in " + p.String()
			}
		}
		return ""
	}
	if !a.Is6() || !globalV6.Contains(a) {
		return a.String() + " is not a global unicast address"
	}
	for _, p := range refusedV6 {
		if p.Contains(a) {
			return a.String() + " is in " + p.String()
		}
	}
	if sixToFour.Contains(a) {
		b := a.As16()
		if why := RefusedAddr(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})); why != "" {
			return a.String() + " is 6to4 of " + why
		}
	}
	return ""
}

// refuseNonPublic is a net.Dialer Control hook: it runs once per address
// about to be dialled, after name resolution, and refuses all but global
// unicast ones.
func refuseNonPublic(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", network, ErrRefusedAddress)
	}
	if why := RefusedAddr(ap.Addr()); why != "" {
		return fmt.Errorf("%s: %w", why, ErrRefusedAddress)
	}
	return nil
}

// PublicDialer is a net.Dialer that connects to global unicast addresses
// only, checked on each address as it is dialled.
func PublicDialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: refuseNonPublic}
}

// PublicClient is an HTTP client for webhooks outside dev: it dials only
// global unicast addresses and goes through no proxy (a proxy would dial
// for it, unchecked).
func PublicClient(timeout time.Duration) *http.Client {
	d := PublicDialer(10 * time.Second)
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Timeout: timeout, Transport: t}
}

// CheckPublicHost resolves host and tells why a webhook may not go there
// ("" when it may): it must resolve, and only to global unicast addresses.
// Registration uses it; delivery checks again as it dials.
func CheckPublicHost(ctx context.Context, host string, r interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}) string {
	ips, err := r.LookupIPAddr(ctx, host)
	if err != nil || len(ips) == 0 {
		return "names a host that does not resolve"
	}
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip.IP)
		if !ok {
			return "names a host that does not resolve"
		}
		if why := RefusedAddr(a); why != "" {
			return "must reach a public address; " + why
		}
	}
	return ""
}
