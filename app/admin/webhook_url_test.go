package admin

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
)

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

func TestWebhookEndpointsMustBePublicOutsideDev(t *testing.T) {
	t.Parallel()
	r := fakeResolver{"hooks.example.com": {"93.184.216.34"}, "internal.example.com": {"10.0.0.7"},
		"mixed.example.com": {"93.184.216.34", "127.0.0.1"}, "metadata.example.com": {"169.254.169.254"}, "v6.example.com": {"::1"}}
	for raw, want := range map[string]string{
		"https://hooks.example.com/rebound":   "",
		"http://hooks.example.com/rebound":    "https",
		"https://internal.example.com/x":      "10.0.0.7",
		"https://mixed.example.com/x":         "127.0.0.1",
		"https://metadata.example.com/latest": "169.254.169.254",
		"https://v6.example.com/x":            "::1",
		"https://nowhere.example.com/x":       "does not resolve",
		"https://127.0.0.1:8443/x":            "does not resolve",
	} {
		u, _ := url.Parse(raw)
		got := publicEndpoint(context.Background(), u, r)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", raw, got, want)
		}
	}
}

func mustURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}
