package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/notify"
)

// recorder is a Sender that remembers the IDs it was asked to send.
type recorder struct{ ids []string }

func (r *recorder) Send(_ context.Context, m notify.Message) error {
	r.ids = append(r.ids, m.ID)
	return nil
}

var (
	_ notify.Sender = (*notify.SMTPSender)(nil)
	_ notify.Sender = (*notify.SMSSender)(nil)
	_ notify.Sender = (*notify.WebhookSender)(nil)
	_ notify.Sender = notify.Router{}
	_ notify.Sender = notify.Discard{}
)

func TestRouterRoutesByChannel(t *testing.T) {
	t.Parallel()
	email, sms, webhook := &recorder{}, &recorder{}, &recorder{}
	r := notify.Router{Email: email, SMS: sms, Webhook: webhook}

	for _, m := range []notify.Message{
		{ID: "e1", Channel: notify.Email},
		{ID: "s1", Channel: notify.SMS},
		{ID: "w1", Channel: notify.Webhook},
		{ID: "e2", Channel: notify.Email},
	} {
		if err := r.Send(context.Background(), m); err != nil {
			t.Fatalf("Send(%s): %v", m.ID, err)
		}
	}
	for name, tc := range map[string]struct {
		got  *recorder
		want string
	}{"email": {email, "e1,e2"}, "sms": {sms, "s1"}, "webhook": {webhook, "w1"}} {
		if got := strings.Join(tc.got.ids, ","); got != tc.want {
			t.Errorf("%s sender got %q, want %q", name, got, tc.want)
		}
	}
}

func TestRouterWithoutSenderIsPermanent(t *testing.T) {
	t.Parallel()
	r := notify.Router{Email: &recorder{}}
	tests := []struct {
		channel notify.Channel
		wantErr string
	}{
		{notify.SMS, "no sms sender configured"},
		{notify.Webhook, "no webhook sender configured"},
		{"pigeon", `unknown channel "pigeon"`},
	}
	for _, tt := range tests {
		t.Run(string(tt.channel), func(t *testing.T) {
			t.Parallel()
			err := r.Send(context.Background(), notify.Message{ID: "1", Channel: tt.channel})
			if !notify.IsPermanent(err) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Send = %v, want a permanent error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDiscardAcceptsEverything(t *testing.T) {
	t.Parallel()
	r := notify.Router{Email: notify.Discard{}, SMS: notify.Discard{}, Webhook: notify.Discard{}}
	for _, ch := range []notify.Channel{notify.Email, notify.SMS, notify.Webhook} {
		if err := r.Send(context.Background(), notify.Message{ID: "1", Channel: ch, To: "anyone"}); err != nil {
			t.Errorf("Send(%s) = %v, want nil", ch, err)
		}
	}
}

func TestIsPermanent(t *testing.T) {
	t.Parallel()
	base := errors.New("550 no such user")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"permanent", notify.Permanent(base), true},
		{"wrapped permanent", fmt.Errorf("outbox 7: %w", notify.Permanent(base)), true},
		{"joined", errors.Join(errors.New("other"), notify.Permanent(base)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := notify.IsPermanent(tt.err); got != tt.want {
				t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if notify.Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if !errors.Is(notify.Permanent(base), base) {
		t.Error("Permanent(err) does not unwrap to err")
	}
}
