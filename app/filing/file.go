package filing

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/orders"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// FileRequest is a return as the shopper files it.
type FileRequest struct {
	Merchant    string
	OrderNumber string
	Contact     string
	Lines       []returns.RequestedLine
	Method      returns.Method
	ClientIP    string
	// Access is the verified order lookup the request holds (nil: none):
	// it names the order, and the return is verified from the start.
	Access *Access
}

// Filed is a filed return.
type Filed struct {
	ReturnID string
	// Status is the status it was filed in (pending_verification).
	Status string
	// Session opens the return when it was filed through a lookup (nil:
	// the shopper verifies it with the code sent to SentTo, a masked
	// contact, within VerifyWithin).
	Session      *Session
	SentTo       string
	VerifyWithin time.Duration
}

// File files a return. A shopper names the order and its contact and gets
// a code to verify the return with; or, holding the access of an order
// lookup they verified (the portal's way), files it verified at once and
// gets the return's session.
func (s *Service) File(ctx context.Context, req FileRequest) (Filed, error) {
	if err := req.validate(); err != nil {
		return Filed{}, err
	}
	var f found
	var order returns.Order
	var err error
	if a := req.Access; a != nil {
		if f, err = s.accessOrder(ctx, a); err != nil {
			return Filed{}, err
		}
		order = orders.Domain(f.order)
		if errs := returns.ValidateRequest(order, req.Lines); len(errs) > 0 {
			return Filed{}, linesRefusal(errs)
		}
		if err := s.checkResolutions(ctx, f, order, req.Lines); err != nil {
			return Filed{}, err
		}
		if err := s.claimLookupFiling(ctx, a.ID); err != nil {
			return Filed{}, err
		}
	} else {
		if f, err = s.findOrderToFile(ctx, req); err != nil {
			return Filed{}, err
		}
		order = orders.Domain(f.order)
		if err := s.checkResolutions(ctx, f, order, req.Lines); err != nil {
			return Filed{}, err
		}
		// The first code's limits are checked here, so that a shopper over
		// them hears so now instead of waiting for a code that never comes.
		if err := s.allowCode(ctx, f.contact, req.ClientIP); err != nil {
			return Filed{}, err
		}
	}
	return s.file(ctx, req, f, order)
}

// validate says at once what is wrong whatever the order is.
func (req FileRequest) validate() error {
	var fields []apperr.Field
	if req.Access == nil {
		for field, v := range map[string]string{"merchant": req.Merchant, "order_number": req.OrderNumber, "contact": req.Contact} {
			if strings.TrimSpace(v) == "" {
				fields = append(fields, apperr.Field{Name: field, Reason: "is required"})
			}
		}
	}
	if req.Method != returns.MethodShip && req.Method != returns.MethodInStore {
		fields = append(fields, apperr.Field{Name: "method", Reason: "must be ship or in_store"})
	}
	if len(fields) > 0 {
		sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
		return apperr.InvalidFields(fields...)
	}
	if errs := returns.ValidateShape(req.Lines); len(errs) > 0 {
		return linesRefusal(errs)
	}
	return nil
}

// accessOrder reads the merchant and order a verified lookup opens.
func (s *Service) accessOrder(ctx context.Context, a *Access) (found, error) {
	m, err := s.d.Store.MerchantByID(ctx, a.MerchantID)
	if err != nil {
		return found{}, err
	}
	o, err := s.d.Store.OrderByID(ctx, a.OrderID)
	if err != nil {
		return found{}, err
	}
	return found{m, o, a.Contact, a.ContactKind}, nil
}

// file stores the return and starts its workflow.
func (s *Service) file(ctx context.Context, req FileRequest, f found, order returns.Order) (Filed, error) {
	m, o := f.merchant, f.order
	policy, err := returns.ParsePolicy(m.Policy)
	if err != nil {
		return Filed{}, err
	}
	policyJSON, err := db.ToJSON(policy)
	if err != nil {
		return Filed{}, err
	}
	r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: string(returns.PendingVerification), Method: req.Method,
		Contact: f.contact, ContactKind: f.kind, Currency: o.Currency, Channel: o.Payment.Channel, Policy: policyJSON}
	for _, l := range req.Lines {
		r.Lines = append(r.Lines, db.ReturnLine{LineID: l.LineID, Quantity: l.Quantity, Reason: l.Reason, Note: l.Note,
			Resolution: l.Resolution.OrRefund(), VariantSKU: l.VariantSKU})
	}
	if err := s.d.Store.CreateReturn(ctx, r); err != nil {
		return Filed{}, err
	}
	in := contract.ReturnInput{
		ReturnID: r.ID, MerchantID: m.ID, OrderID: o.ID, Method: req.Method, Channel: o.Payment.Channel,
		PaymentID: o.Payment.GatewayPaymentID, ClientIP: req.ClientIP, Policy: policy, Order: order,
		Lines: req.Lines, FiledAt: r.CreatedAt,
	}
	if req.Access != nil {
		in.VerifiedBy = req.Access.ID
	}
	if err := s.startReturn(ctx, in); err != nil {
		return Filed{}, err
	}
	filed := Filed{ReturnID: r.ID, Status: r.Status}
	if req.Access == nil {
		filed.SentTo, filed.VerifyWithin = MaskContact(f.contact, f.kind), policy.VerifyWithin.D()
		return filed, nil
	}
	// The workflow submits the return as it starts; the answer waits for
	// that, so that it shows where the return landed.
	s.awaitLeaving(ctx, r.ID, returns.PendingVerification)
	sess, err := s.openSession(ctx, r.ID, r.MerchantID)
	if err != nil {
		return Filed{}, err
	}
	filed.Session = &sess
	return filed, nil
}

// startReturn starts a filed return's workflow. The start outlives the
// request (a client that goes away must not leave a row without a
// workflow), and a failed start removes the row only when the workflow is
// certainly not there.
func (s *Service) startReturn(ctx context.Context, in contract.ReturnInput) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), startWithin)
	defer cancel()
	err := s.d.Workflow.StartReturn(sctx, in)
	if err == nil {
		return nil
	}
	started, derr := s.d.Workflow.ReturnStarted(sctx, in.ReturnID)
	if derr != nil {
		s.d.Log.Error("return's workflow in doubt; row kept", "return_id", in.ReturnID, "err", derr)
		return err
	}
	if started {
		return nil // it started after all
	}
	if derr := s.d.Store.DeleteUnstartedReturn(sctx, in.ReturnID); derr != nil {
		s.d.Log.Error("return left without a workflow", "return_id", in.ReturnID, "err", derr)
	}
	return err
}

// awaitLeaving waits, up to Deps.AwaitFor, for a return's read model to
// leave a status.
func (s *Service) awaitLeaving(ctx context.Context, id string, st returns.Status) {
	deadline := s.d.Clock().Add(s.d.AwaitFor)
	for s.d.Clock().Before(deadline) {
		r, err := s.d.Store.ReturnByID(ctx, id)
		if err != nil || r.Status != string(st) {
			return
		}
		s.d.Sleep(ctx, s.d.Tick)
		if ctx.Err() != nil {
			return
		}
	}
}
