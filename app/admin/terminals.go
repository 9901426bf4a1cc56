package admin

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
)

var terminalIDRe = regexp.MustCompile(`^[A-Z0-9]{8}$`)

// TerminalInput is a terminal to register, with its store: the store is
// made with it when StoreCode is new (StoreName is then required).
type TerminalInput struct {
	StoreCode, StoreName, StoreAddress string
	TerminalID                         string
	Kind                               string
}

// Terminals lists the merchant's terminals, for the counter's choice, a
// page at a time.
func (s *Service) Terminals(ctx context.Context, merchantID string, p Page) (*Paged[Terminal], error) {
	rows, err := s.d.Store.TerminalsPage(ctx, merchantID, p)
	return pageOf(rows, err, terminalOf)
}

// RegisterTerminal registers a terminal of a store (the store is made with
// it when new): physical ones take the cards at the counter, the virtual
// one is what Rebound sends the store's refunds from.
func (s *Service) RegisterTerminal(ctx context.Context, merchantID string, in TerminalInput) (Terminal, error) {
	in.StoreCode, in.TerminalID = strings.TrimSpace(in.StoreCode), strings.ToUpper(strings.TrimSpace(in.TerminalID))
	var errs []apperr.Field
	if in.StoreCode == "" || len(in.StoreCode) > 32 {
		errs = append(errs, apperr.Field{Name: "store_code", Reason: "is required (at most 32 characters)"})
	}
	if !terminalIDRe.MatchString(in.TerminalID) {
		errs = append(errs, apperr.Field{Name: "terminal_id", Reason: "must be the terminal's 8 letters or digits (ISO 8583 DE41)"})
	}
	if in.Kind != db.TerminalPhysical && in.Kind != db.TerminalVirtual {
		errs = append(errs, apperr.Field{Name: "kind", Reason: "must be physical or virtual"})
	}
	if err := apperr.InvalidFields(errs...); err != nil {
		return Terminal{}, err
	}
	t := &db.Terminal{MerchantID: merchantID, TerminalID: in.TerminalID, Kind: in.Kind}
	err := s.d.Store.InTx(ctx, func(tx TerminalTx) error {
		st, err := tx.StoreByCode(ctx, merchantID, in.StoreCode)
		if errors.Is(err, db.ErrNotFound) {
			if strings.TrimSpace(in.StoreName) == "" {
				return apperr.Invalid("store_name", "is required for a new store")
			}
			st = &db.Store{MerchantID: merchantID, Code: in.StoreCode, Name: strings.TrimSpace(in.StoreName),
				Address: strings.TrimSpace(in.StoreAddress)}
			err = tx.CreateStore(ctx, st)
		}
		if err != nil {
			return err
		}
		t.StoreID = st.ID
		return tx.CreateTerminal(ctx, t)
	})
	if errors.Is(err, db.ErrConflict) {
		return Terminal{}, apperr.Conflict("conflict", "terminal "+in.TerminalID+" is registered already, or its store already has a virtual terminal")
	}
	if err != nil {
		return Terminal{}, err
	}
	return terminalOf(t), nil
}
