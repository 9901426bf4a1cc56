package filing

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/rebound-returns/rebound/app/orders"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// Resolutions per line (issue 16): a shopper's choice of refund, store
// credit or exchange is checked against the merchant's policy and, for an
// exchange, its catalog, before anything is filed; the quote shows what
// each choice gives.

// checkResolutions refuses lines whose resolution the merchant does not
// offer, and exchanges for a variant that is not in the merchant's catalog,
// not of the ordered item's product, or not in stock.
func (s *Service) checkResolutions(ctx context.Context, f found, order returns.Order, lines []returns.RequestedLine) error {
	policy, err := returns.ParsePolicy(f.merchant.Policy)
	if err != nil {
		return err
	}
	if errs := returns.ValidateResolutions(policy, lines); len(errs) > 0 {
		return linesRefusal(errs)
	}
	var errs []returns.FieldError
	for i, rl := range lines {
		if rl.Resolution != returns.ResolutionExchange {
			continue
		}
		if why, err := s.exchangeRefusal(ctx, f.merchant.ID, order, rl); err != nil {
			return err
		} else if why != "" {
			errs = append(errs, returns.FieldError{Field: fmt.Sprintf("lines[%d].variant_sku", i), Message: why})
		}
	}
	if len(errs) > 0 {
		return linesRefusal(errs)
	}
	return nil
}

// exchangeRefusal says why an exchange line cannot be had ("" when it can).
func (s *Service) exchangeRefusal(ctx context.Context, merchantID string, order returns.Order, rl returns.RequestedLine) (string, error) {
	ol, _ := order.Line(rl.LineID)
	want, err := s.d.Store.VariantBySKU(ctx, merchantID, rl.VariantSKU)
	if errors.Is(err, db.ErrNotFound) {
		return "is not a variant in the merchant's catalog", nil
	}
	if err != nil {
		return "", err
	}
	have, err := s.d.Store.VariantBySKU(ctx, merchantID, ol.SKU)
	if errors.Is(err, db.ErrNotFound) {
		return "the ordered item is not in the merchant's catalog, so it cannot be exchanged", nil
	}
	if err != nil {
		return "", err
	}
	switch {
	case have.ProductID != want.ProductID:
		return "must be a variant of the product ordered (" + have.Title + ")", nil
	case want.Available-want.Held < rl.Quantity:
		return fmt.Sprintf("has %d in stock, fewer than the %d asked", max(want.Available-want.Held, 0), rl.Quantity), nil
	}
	return "", nil
}

// Quote tells a shopper holding a verified lookup's access what each line
// would give under each resolution the merchant offers, and the lines as
// chosen, as if every unit came back new.
func (s *Service) Quote(ctx context.Context, a *Access, lines []returns.RequestedLine) (returns.FilingQuote, error) {
	if errs := returns.ValidateShape(lines); len(errs) > 0 {
		return returns.FilingQuote{}, linesRefusal(errs)
	}
	f, err := s.accessOrder(ctx, a)
	if err != nil {
		return returns.FilingQuote{}, err
	}
	order := orders.Domain(f.order)
	if errs := returns.ValidateRequest(order, lines); len(errs) > 0 {
		return returns.FilingQuote{}, linesRefusal(errs)
	}
	if err := s.checkResolutions(ctx, f, order, lines); err != nil {
		return returns.FilingQuote{}, err
	}
	policy, err := returns.ParsePolicy(f.merchant.Policy)
	if err != nil {
		return returns.FilingQuote{}, err
	}
	h, err := s.d.Store.RefundHistoryOf(ctx, f.order.ID, uuid.Nil.String())
	if err != nil {
		return returns.FilingQuote{}, err
	}
	return returns.QuoteFiling(policy, order, lines, returns.History{
		UnitsRefunded: h.UnitsRefunded, ShippingRefunded: h.ShippingRefunded, Refunded: h.Refunded,
	}), nil
}
