package api

import "github.com/rebound-returns/rebound/app/wire"

// useCases puts the use cases app/wire built (over the store, the Temporal
// client and the password pool) behind the interfaces the handlers call;
// the API builds none of them itself.
func (s *server) useCases(uc wire.UseCases) {
	s.counter, s.staff, s.orders, s.events = uc.Counter, uc.Staff, uc.Orders, uc.Events
	s.filing, s.finance, s.admin = uc.Filing, uc.Finance, uc.Admin
	s.session, s.freezes = uc.Session, uc.Freezes
	s.auditLog, s.auditViewer, s.idem, s.outbox = uc.Audit, uc.AuditViewer, uc.Idempotency, uc.Outbox
	s.views, s.credit, s.catalog = uc.Views, uc.Credit, uc.Catalog
}
