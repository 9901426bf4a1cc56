package pos_test

import "github.com/rebound-returns/rebound/acquirersim/simtest"

// The fixture is acquirersim/simtest's, shared with the simulator's tests.
var t0 = simtest.T0

const shortTimeout = simtest.ShortTimeout

const (
	merchant      = simtest.Merchant
	otherMerchant = simtest.OtherMerchant
	saleTerminal  = simtest.SaleTerminal
	virtual       = simtest.Virtual
	otherTerminal = simtest.OtherTerminal
)

var (
	openSale    = simtest.OpenSale
	settledSale = simtest.SettledSale

	newClock     = simtest.NewClock
	quiet        = simtest.Quiet
	newAcquirer  = simtest.NewAcquirer
	newClient    = simtest.NewClient
	voidOf       = simtest.VoidOf
	refundOf     = simtest.RefundOf
	reversalOf   = simtest.ReversalOf
	sameResponse = simtest.SameResponse
	send         = simtest.Send
	entries      = simtest.Entries
	eventually   = simtest.Eventually
	readAll      = simtest.ReadSettlement
)
