package shipping

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// SimulatedCarrier is the carrier name of the shipments that Simulated books.
const SimulatedCarrier = "rebound-sim"

// trackingNamespace keeps simulated tracking numbers apart from any other use of SHA-256 over return
// ids. It is not a secret; changing it changes every simulated tracking number.
const trackingNamespace = "rebound-sim/tracking/v1\x00"

const (
	trackingPrefix     = "RB"
	trackingBodyDigits = 10
	trackingLen        = len(trackingPrefix) + trackingBodyDigits + 1
)

// Simulated is the built-in carrier: no network; the tracking number is derived from the return id
// and a secret-free namespace, so it is stable across retries and restarts. Tracking numbers are
// "RB" followed by 10 digits and a Luhn (mod 10) check digit; see ValidTrackingNumber.
type Simulated struct{}

var _ Carrier = Simulated{}

// CreateShipment books the shipment of r.ReturnID. It needs nothing but the return id, and gives the
// same tracking number each time it is asked for the same return.
func (Simulated) CreateShipment(ctx context.Context, r ShipmentRequest) (Shipment, error) {
	if err := ctx.Err(); err != nil {
		return Shipment{}, fmt.Errorf("create shipment for return %s: %w", r.ReturnID, err)
	}
	id := canonicalReturnID(r.ReturnID)
	if id == "" {
		return Shipment{}, errors.New("create shipment: return id is empty")
	}
	return Shipment{Carrier: SimulatedCarrier, TrackingNumber: simulatedTrackingNumber(id)}, nil
}

// canonicalReturnID spells a UUID one way (lower case, hyphenated) so that the same return always
// gets the same tracking number however its id was written; any other id is only trimmed.
func canonicalReturnID(id string) string {
	id = strings.TrimSpace(id)
	if u, err := uuid.Parse(id); err == nil {
		return u.String()
	}
	return id
}

func simulatedTrackingNumber(returnID string) string {
	sum := sha256.Sum256([]byte(trackingNamespace + returnID))
	// 2^64 is far above 10^10, so the bias of the modulo is negligible.
	n := binary.BigEndian.Uint64(sum[:8]) % 10_000_000_000
	body := fmt.Sprintf("%0*d", trackingBodyDigits, n)
	return trackingPrefix + body + string(rune('0'+luhnCheckDigit(body)))
}

// ValidTrackingNumber reports whether s is a well-formed simulated tracking number: "RB", 10 digits
// and the right check digit. The check digit catches any single mistyped digit and most swaps of
// two neighbouring digits.
func ValidTrackingNumber(s string) bool {
	if len(s) != trackingLen || !strings.HasPrefix(s, trackingPrefix) {
		return false
	}
	digits := s[len(trackingPrefix):]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	body, check := digits[:trackingBodyDigits], int(digits[trackingBodyDigits]-'0')
	return luhnCheckDigit(body) == check
}

// luhnCheckDigit returns the digit that, appended to the decimal digits in body, makes the Luhn sum
// a multiple of 10.
func luhnCheckDigit(body string) int {
	sum := 0
	double := true // the rightmost digit of body sits next to the check digit, so it is doubled
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}
