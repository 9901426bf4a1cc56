package activities

import "github.com/rebound-returns/rebound/faultpoint"

// Store is the database work of a return's steps: recording them in the
// read model (with the messages they cause), the policy's evaluation, the
// refund's quote, outcome and recovery, freezes and finance's resolutions.
// Nothing here talks to the outside world but the store credit's code,
// which goes out through Messages.
type Store struct {
	Base
	// Metrics count steps and refunds (nil: none).
	Metrics *Metrics
	// Faults are the fault points a test armed (nil: none).
	Faults *faultpoint.Points
	// Messages send a store credit's code to the shopper.
	Messages *Messages
}
