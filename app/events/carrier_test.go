package events

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/contract"
)

func delivered(id, tracking string) CarrierEvent {
	return CarrierEvent{EventID: id, TrackingNumber: tracking, Event: contract.CarrierDelivered, OccurredAt: "2026-12-02T10:00:00+01:00"}
}

// A matched event is kept with its return and signalled every time,
// repeats included; an unmatched one is kept alone and signals nothing.
func TestCarrierMatchesKeepsAndSignals(t *testing.T) {
	s, st, wf := newService()
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	for i, want := range []CarrierResult{{Matched: true}, {Matched: true, Duplicate: true}} {
		res, err := s.Carrier(ctx, delivered("e1", "TRK1"))
		if err != nil || res != want {
			t.Fatalf("%d: %+v %v", i, res, err)
		}
	}
	kept := st.kept["e1"]
	if kept.ReturnID == nil || *kept.ReturnID != returnID || !kept.OccurredAt.Equal(at) || kept.OccurredAt.Location() != time.UTC {
		t.Fatalf("kept %+v", kept)
	}
	sent := contract.CarrierEvent{EventID: "e1", TrackingNumber: "TRK1", Event: contract.CarrierDelivered, OccurredAt: at}
	if len(wf.carrier) != 2 || wf.carrier[1] != sent || wf.to[0] != returnID {
		t.Fatalf("signalled %v %+v", wf.to, wf.carrier)
	}
	for i, want := range []CarrierResult{{}, {Duplicate: true}} {
		res, err := s.Carrier(ctx, delivered("e2", "TRK9"))
		if err != nil || res != want {
			t.Fatalf("unmatched %d: %+v %v", i, res, err)
		}
	}
	if st.kept["e2"].ReturnID != nil || len(wf.carrier) != 2 {
		t.Fatalf("unmatched: kept %+v, signalled %d", st.kept["e2"], len(wf.carrier))
	}
}

// A return whose workflow has ended takes the event for the record; a
// workflow that does not take it asks the carrier to send it again.
func TestCarrierSignalFailures(t *testing.T) {
	s, _, wf := newService()
	wf.err = ErrEnded
	if res, err := s.Carrier(context.Background(), delivered("e1", "TRK1")); err != nil || res != (CarrierResult{Matched: true}) {
		t.Fatalf("ended: %+v %v", res, err)
	}
	wf.err = errors.New("deadline exceeded")
	_, err := s.Carrier(context.Background(), delivered("e1", "TRK1"))
	e := apperr.As(err)
	if !errors.Is(err, apperr.ErrUnavailable) || e.Code != "try-again" || e.Detail != "the event could not be handed on; send it again" ||
		e.RetryAfter() != 5*time.Second {
		t.Fatalf("%+v", e)
	}
}

func TestCarrierStoreFailures(t *testing.T) {
	for name, set := range map[string]func(*fakeStore){
		"tracking": func(f *fakeStore) { f.trackErr = errStore },
		"record":   func(f *fakeStore) { f.recordErr = errStore },
	} {
		s, st, wf := newService()
		set(st)
		if _, err := s.Carrier(context.Background(), delivered("e1", "TRK1")); err != errStore || len(wf.carrier) != 0 {
			t.Errorf("%s: %v, signalled %d", name, err, len(wf.carrier))
		}
	}
}

// A bad event is refused naming every field at fault, and is not kept.
func TestCarrierRefusesBadEvents(t *testing.T) {
	timeReason := "occurred_at: must be an RFC 3339 time such as 2026-11-20T15:04:05Z"
	for _, tc := range []struct {
		ev     CarrierEvent
		fields []string
	}{
		{CarrierEvent{}, []string{"event_id: is required (at most 128 characters)", "tracking_number: is required",
			"event: must be in_transit, delivered or exception", timeReason}},
		{CarrierEvent{EventID: strings.Repeat("e", 129), TrackingNumber: strings.Repeat("t", 65), Event: contract.CarrierInTransit,
			OccurredAt: "2026-12-02"}, []string{"event_id: is required (at most 128 characters)", "tracking_number: is required", timeReason}},
		{CarrierEvent{EventID: "e1", TrackingNumber: "TRK1", Event: "lost", OccurredAt: "2026-12-02T10:00:00Z"},
			[]string{"event: must be in_transit, delivered or exception"}},
	} {
		s, st, _ := newService()
		_, err := s.Carrier(context.Background(), tc.ev)
		var got []string
		if e := apperr.As(err); e != nil {
			for _, f := range e.Fields {
				got = append(got, f.Name+": "+f.Reason)
			}
		}
		if !errors.Is(err, apperr.ErrInvalid) || strings.Join(got, "\n") != strings.Join(tc.fields, "\n") || len(st.calls) != 0 {
			t.Errorf("%+v: %q after %v", tc.ev, got, st.calls)
		}
	}
	for _, ev := range []string{contract.CarrierInTransit, contract.CarrierException} {
		s, _, _ := newService()
		e := delivered("e1", "TRK1")
		e.Event = ev
		if _, err := s.Carrier(context.Background(), e); err != nil {
			t.Errorf("%s: %v", ev, err)
		}
	}
}
