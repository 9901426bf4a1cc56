package freeze

import (
	"context"
	"errors"
	"strings"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
)

// Request asks for a freeze of the whole merchant, one of its stores
// (StoreCode) or one of its terminals (TerminalID).
type Request struct {
	Caller Caller
	// Merchant is the slug an operator names; an admin freezes their own.
	Merchant   string
	StoreCode  string
	TerminalID string
	Reason     string
}

// Place puts a freeze in force and tells the merchant's admins.
func (s *Service) Place(ctx context.Context, req Request) (View, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	var bad []apperr.Field
	if req.Reason == "" || len(req.Reason) > 500 {
		bad = append(bad, apperr.Field{Name: "reason", Reason: "is required (at most 500 characters): admins and the audit log are told"})
	}
	if req.StoreCode != "" && req.TerminalID != "" {
		bad = append(bad, apperr.Field{Name: "terminal_id", Reason: "freeze a store or a terminal, not both"})
	}
	if err := apperr.InvalidFields(bad...); err != nil {
		return View{}, err
	}
	m, err := s.merchantOf(ctx, req.Caller, req.Merchant)
	if err != nil {
		return View{}, err
	}
	f := &db.Freeze{MerchantID: m.ID, Reason: req.Reason, CreatedBy: req.Caller.Username, CreatedRole: req.Caller.Role}
	if err := s.scope(ctx, f, req); err != nil {
		return View{}, err
	}
	if err := s.d.Store.CreateFreeze(ctx, f); err != nil {
		return View{}, err
	}
	s.d.Admins.Tell(ctx, m.ID, "Refunds frozen at "+m.Name,
		"Refunds for "+f.Scope()+" of "+m.Name+" are frozen by "+req.Caller.Username+": "+f.Reason+
			". Refunds already sending finish; new ones wait until the freeze is lifted.")
	return s.view(ctx, f, m)
}

// merchantOf is the merchant a freeze request is about: the admin's own,
// or for an operator the one named.
func (s *Service) merchantOf(ctx context.Context, c Caller, slug string) (*db.Merchant, error) {
	if !c.operator() {
		if slug != "" {
			return nil, apperr.Invalid("merchant", "only operators name a merchant")
		}
		return s.d.Store.MerchantByID(ctx, c.MerchantID)
	}
	if strings.TrimSpace(slug) == "" {
		return nil, apperr.Invalid("merchant", "is required")
	}
	m, err := s.d.Store.MerchantBySlug(ctx, slug)
	if errors.Is(err, db.ErrNotFound) {
		return nil, apperr.Invalid("merchant", "no such merchant")
	}
	return m, err
}

// scope narrows f to the store or terminal asked for, which must be the
// merchant's.
func (s *Service) scope(ctx context.Context, f *db.Freeze, req Request) error {
	switch {
	case req.StoreCode != "":
		st, err := s.d.Store.StoreByCode(ctx, f.MerchantID, req.StoreCode)
		if errors.Is(err, db.ErrNotFound) {
			return apperr.Invalid("store_code", "is not a store of this merchant")
		}
		if err != nil {
			return err
		}
		f.StoreID = &st.ID
	case req.TerminalID != "":
		t, err := s.d.Store.TerminalByID(ctx, strings.ToUpper(req.TerminalID))
		if err != nil || t.MerchantID != f.MerchantID {
			return apperr.Invalid("terminal_id", "is not a terminal of this merchant")
		}
		f.TerminalID = &t.TerminalID
	}
	return nil
}

// Lifted is a freeze just lifted and how many waiting refunds it let go.
type Lifted struct {
	Freeze   View
	Released int
}

// errNoFreeze refuses a lift of a freeze that does not exist, is not in
// force, is another merchant's or (for an admin) is an operator's.
func errNoFreeze() error {
	return apperr.NotFound("not-found", "no such freeze in force that you may lift (an operator's freeze is lifted by an operator)")
}

// Lift ends the freeze id, wakes the refunds it held and tells the
// merchant's admins. Operators lift any merchant's freezes; an admin only
// their merchant's, and not an operator's (the admin may be what is
// suspected).
func (s *Service) Lift(ctx context.Context, c Caller, id string) (Lifted, error) {
	if !ids.Valid(id) {
		return Lifted{}, errNoFreeze()
	}
	scope := c.MerchantID // operators lift any merchant's
	f, waiting, err := s.d.Store.LiftFreeze(ctx, scope, id, c.Username, s.now())
	if errors.Is(err, db.ErrNotFound) {
		return Lifted{}, errNoFreeze()
	}
	if err != nil {
		return Lifted{}, err
	}
	// Wake the refunds it held; one missed looks again on its own soon.
	for _, wid := range waiting {
		if err := s.d.Workflow.FreezeLifted(ctx, wid); err != nil {
			s.d.Log.WarnContext(ctx, "frozen refund not woken", "workflow_id", wid, "err", err)
		}
	}
	m, err := s.d.Store.MerchantByID(ctx, f.MerchantID)
	if err != nil {
		return Lifted{}, err
	}
	s.d.Admins.Tell(ctx, m.ID, "Refunds unfrozen at "+m.Name,
		"The refund freeze on "+f.Scope()+" of "+m.Name+" was lifted by "+c.Username+"; waiting refunds go on.")
	v, err := s.view(ctx, f, m)
	if err != nil {
		return Lifted{}, err
	}
	return Lifted{Freeze: v, Released: len(waiting)}, nil
}

// Page asks for one page of a list by position; Listed is a page of
// freezes (the store's paging, named here so that callers need not know
// the store).
type (
	Page   = db.Page
	Listed = db.Paged[View]
)

// ListRequest asks for a page of freezes: the caller's merchant's, or for
// an operator every merchant's or the one named.
type ListRequest struct {
	Caller   Caller
	Merchant string // an operator's filter (a slug); ignored for others
	Active   bool   // only the freezes in force
	// Page reads the page asked for; it is read after the merchant, so
	// that an unknown merchant is the answer to a request wrong in both.
	Page func() (Page, error)
}

// List answers a page of freezes, the ones in force first, newest first.
func (s *Service) List(ctx context.Context, req ListRequest) (Page, *Listed, error) {
	merchantID := req.Caller.MerchantID
	if req.Caller.operator() && req.Merchant != "" {
		m, err := s.d.Store.MerchantBySlug(ctx, req.Merchant)
		if errors.Is(err, db.ErrNotFound) {
			return Page{}, nil, apperr.Invalid("merchant", "no such merchant")
		}
		if err != nil {
			return Page{}, nil, err
		}
		merchantID = m.ID
	}
	page, err := req.Page()
	if err != nil {
		return Page{}, nil, err
	}
	fs, err := s.d.Store.FreezesPage(ctx, merchantID, req.Active, page)
	if err != nil {
		return Page{}, nil, err
	}
	views := make([]View, 0, len(fs.Items))
	for i := range fs.Items {
		m, err := s.d.Store.MerchantByID(ctx, fs.Items[i].MerchantID)
		if err != nil {
			return Page{}, nil, err
		}
		v, err := s.view(ctx, &fs.Items[i], m)
		if err != nil {
			return Page{}, nil, err
		}
		views = append(views, v)
	}
	return page, &Listed{Items: views, More: fs.More, Total: fs.Total}, nil
}
