package logging_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/logging"
)

func TestSecretsAreRedacted(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log := logging.New(&buf, format, slog.LevelDebug)
		log.Info("login", "supervisor_password", "hunter2", "token", "tok-123", "otp", "424242",
			"card_fingerprint", "fp-999", "masked_pan", "411111******1111", "shipping_amount", 495,
			slog.Group("req", slog.String("api_key", "key-777")))
		out := buf.String()
		for _, secret := range []string{"hunter2", "tok-123", "424242", "fp-999", "key-777"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s log leaks %q: %s", format, secret, out)
			}
		}
		for _, kept := range []string{"411111******1111", "495"} {
			if !strings.Contains(out, kept) {
				t.Errorf("%s log lost %q, which is not secret: %s", format, kept, out)
			}
		}
	}
}

func TestLevelAndFormat(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := logging.New(&buf, "json", slog.LevelWarn)
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.HasPrefix(buf.String(), `{"time":`) {
		t.Fatalf("json at warn wrote %q", buf.String())
	}
}
