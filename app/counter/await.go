package counter

import (
	"context"
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"time"
)

// await waits for the refund the counter sent: Settled once it has an
// outcome, Frozen at once when a freeze holds it, Pending after Deps.Wait.
// A caller that goes away gets context.Canceled. It looks soon after the
// send, when an acquirer on the same network has often answered, then less
// often: a tenth of Deps.Tick, doubling up to Deps.Tick.
func (s *Service) await(parent context.Context, returnID string) (Outcome, error) {
	ctx, cancel := context.WithTimeout(parent, s.d.Wait)
	defer cancel()
	pause := max(s.d.Tick/10, time.Millisecond)
	timer := time.NewTimer(pause)
	defer timer.Stop()
	for {
		refunds, err := s.d.Store.RefundsOfReturn(ctx, returnID)
		if err == nil && len(refunds) > 0 {
			switch last := refunds[len(refunds)-1]; {
			case last.Status != returns.RefundStatusPending:
				return Settled, nil
			case last.FrozenBy != nil:
				return Frozen, nil
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(parent.Err(), context.Canceled) {
				return Pending, parent.Err()
			}
			return Pending, nil
		case <-timer.C:
			pause = min(2*pause, s.d.Tick)
			timer.Reset(pause)
		}
	}
}
