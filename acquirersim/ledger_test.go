package acquirersim_test

import (
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/acquirersim/simtest"
)

// TestSaleWithAFullCardNumberIsRefused: the ledger keeps masked card
// numbers only (pos.ValidMaskedPAN).
func TestSaleWithAFullCardNumberIsRefused(t *testing.T) {
	t.Parallel()
	a := acquirersim.New(acquirersim.Config{Logger: simtest.Quiet()})
	s := simtest.OpenSale
	s.MaskedPAN = "4111111111111111"
	if err := a.AddSale(s); err == nil || !strings.Contains(err.Error(), "masked_pan") {
		t.Errorf("a sale with a full card number: %v", err)
	}
	if len(a.Ledger()) != 0 {
		t.Error("the ledger kept a sale with a full card number")
	}
}
