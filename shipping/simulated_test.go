package shipping_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/rebound-returns/rebound/shipping"
)

// returnIDs are n distinct return ids, the same on every run.
func returnIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.NewSHA1(uuid.NameSpaceOID, []byte("return-"+strconv.Itoa(i))).String()
	}
	return ids
}

func book(t *testing.T, c shipping.Carrier, returnID string) shipping.Shipment {
	t.Helper()
	s, err := c.CreateShipment(context.Background(), shipping.ShipmentRequest{
		ReturnID: returnID,
		From:     shipping.Address{Name: "Jana Novak"},
		To:       shipping.Address{Name: "Shop Returns", Line1: "Hafenstr. 1", PostalCode: "20457", City: "Hamburg", Country: "Germany"},
	})
	if err != nil {
		t.Fatalf("CreateShipment(%q): %v", returnID, err)
	}
	return s
}

func TestSimulatedGivesTheSameTrackingNumberForTheSameReturn(t *testing.T) {
	t.Parallel()
	id := "0b6f8a52-3c1e-4d7a-9f57-2a8e6c1d4b90"

	first := book(t, shipping.Simulated{}, id)
	again := book(t, shipping.Simulated{}, id) // a retry, or a new process after a restart
	if first != again {
		t.Fatalf("same return booked twice: %+v then %+v", first, again)
	}
	if first.Carrier != "rebound-sim" {
		t.Errorf("carrier = %q, want %q", first.Carrier, "rebound-sim")
	}

	// The same UUID written differently is the same return.
	for _, spelling := range []string{strings.ToUpper(id), " " + id + "\n", "urn:uuid:" + id, "{" + id + "}"} {
		if got := book(t, shipping.Simulated{}, spelling); got != first {
			t.Errorf("return id %q: got %+v, want %+v", spelling, got, first)
		}
	}
}

// Tracking numbers already handed to shoppers must still be the same after an upgrade: a change to
// how they are derived has to be deliberate.
func TestSimulatedTrackingNumberIsStableAcrossReleases(t *testing.T) {
	t.Parallel()
	got := book(t, shipping.Simulated{}, "0b6f8a52-3c1e-4d7a-9f57-2a8e6c1d4b90").TrackingNumber
	if want := "RB36528388980"; got != want {
		t.Fatalf("tracking number = %q, want %q", got, want)
	}
}

func TestSimulatedGivesEachReturnItsOwnValidTrackingNumber(t *testing.T) {
	t.Parallel()
	ids := returnIDs(1000)
	seen := make(map[string]string, len(ids))
	for _, id := range ids {
		tn := book(t, shipping.Simulated{}, id).TrackingNumber
		if !shipping.ValidTrackingNumber(tn) {
			t.Errorf("return %s: tracking number %q is not valid", id, tn)
		}
		if len(tn) != 13 || !strings.HasPrefix(tn, "RB") {
			t.Errorf("return %s: tracking number %q is not RB and 11 digits", id, tn)
		}
		if other, ok := seen[tn]; ok {
			t.Errorf("returns %s and %s both got tracking number %s", other, id, tn)
		}
		seen[tn] = id
	}
}

func TestValidTrackingNumberRejectsMistakes(t *testing.T) {
	t.Parallel()
	valid := book(t, shipping.Simulated{}, returnIDs(1)[0]).TrackingNumber
	if !shipping.ValidTrackingNumber(valid) {
		t.Fatalf("ValidTrackingNumber(%q) = false for a number the simulator gave", valid)
	}

	// Every single mistyped digit, the check digit included, is caught.
	for i := 2; i < len(valid); i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == valid[i] {
				continue
			}
			typo := valid[:i] + string(d) + valid[i+1:]
			if shipping.ValidTrackingNumber(typo) {
				t.Errorf("ValidTrackingNumber(%q) = true; digit %d of %q changed", typo, i, valid)
			}
		}
	}

	for _, bad := range []string{
		"",
		"RC" + valid[2:],            // wrong prefix
		"rb" + valid[2:],            // prefix in lower case
		"XX" + valid[2:],            // wrong prefix
		valid[2:],                   // no prefix
		valid[:len(valid)-1],        // too short
		valid + "0",                 // too long
		"RB" + valid[3:],            // a digit missing
		valid[:5] + "A" + valid[6:], // a letter among the digits
		" " + valid,                 // white space
	} {
		if shipping.ValidTrackingNumber(bad) {
			t.Errorf("ValidTrackingNumber(%q) = true, want false", bad)
		}
	}
}

func TestSimulatedRefusesAReturnWithoutID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "   "} {
		if s, err := (shipping.Simulated{}).CreateShipment(context.Background(), shipping.ShipmentRequest{ReturnID: id}); err == nil {
			t.Errorf("CreateShipment(%q) = %+v, want an error", id, s)
		}
	}
}

func TestSimulatedHonoursACancelledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := shipping.Simulated{}.CreateShipment(ctx, shipping.ShipmentRequest{ReturnID: returnIDs(1)[0]})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateShipment with a cancelled context: err = %v, want context.Canceled", err)
	}
}
