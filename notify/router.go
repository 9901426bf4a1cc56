package notify

import (
	"context"
	"fmt"
)

// Router sends each message with the sender of its channel. A channel with no
// sender is a permanent error "no <channel> sender configured".
type Router struct {
	Email, SMS, Webhook Sender
}

// Send delivers m with the sender configured for m.Channel.
func (r Router) Send(ctx context.Context, m Message) error {
	var s Sender
	switch m.Channel {
	case Email:
		s = r.Email
	case SMS:
		s = r.SMS
	case Webhook:
		s = r.Webhook
	default:
		return Permanent(fmt.Errorf("notify: unknown channel %q", m.Channel))
	}
	if s == nil {
		return Permanent(fmt.Errorf("notify: no %s sender configured", m.Channel))
	}
	return s.Send(ctx, m)
}
