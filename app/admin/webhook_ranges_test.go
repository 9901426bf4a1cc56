package admin

import (
	"context"
	"net/url"
	"testing"
)

// Finding 8 of issue 13: registration let through the addresses of the
// special-purpose registries that are neither private nor loopback. It now
// uses the check delivery makes as it dials (notify.RefusedAddr).
func TestWebhookRegistrationRefusesEverySpecialPurposeAddress(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"100.64.0.1", "100.100.100.200", "0.0.0.0", "0.1.2.3", "198.18.0.1", "240.0.0.1",
		"192.0.0.170", "192.0.2.1", "255.255.255.255", "64:ff9b::7f00:1", "64:ff9b:1::1", "::ffff:127.0.0.1", "::127.0.0.1",
		"2002:7f00:1::1", "2001::1", "fd00::1", "fe80::1", "2001:db8::1", "100::1", "ff02::1"} {
		r := fakeResolver{"hooks.example.com": {"93.184.216.34", addr}}
		u, _ := url.Parse("https://hooks.example.com/rebound")
		if msg := publicEndpoint(context.Background(), u, r); msg == "" {
			t.Errorf("an endpoint resolving to %s is accepted", addr)
		}
	}
	u, _ := url.Parse("https://hooks.example.com/rebound")
	if msg := publicEndpoint(context.Background(), u, fakeResolver{"hooks.example.com": {"93.184.216.34", "2606:4700::1"}}); msg != "" {
		t.Errorf("a public endpoint is refused: %s", msg)
	}
}
