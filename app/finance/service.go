// Package finance is what finance does with the money that goes back: it
// lists and totals refunds, shows each with its attempts, resolves the work
// items reconciliation opens and the card attempts left in doubt, imports
// the acquirer's and the gateway's settlement files and shows what their
// reconciliation found. It speaks plain Go (queries, views, app/apperr
// refusals); the API reads the request, calls one method and renders.
package finance

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/settlement"
)

// Store is what finance reads and writes (app/wire assembles it from db's stores).
type Store interface {
	MerchantBySlug(ctx context.Context, slug string) (*db.Merchant, error)
	MerchantByID(ctx context.Context, id string) (*db.Merchant, error)
	CountRefunds(ctx context.Context, f db.RefundFilter) (int64, error)
	ListRefunds(ctx context.Context, f db.RefundFilter) ([]db.RefundRow, error)
	RefundSummary(ctx context.Context, merchantID string, from, to time.Time) ([]db.SummaryRow, error)
	RefundByID(ctx context.Context, id string) (*db.Refund, error)
	AttemptsOfRefund(ctx context.Context, refundID string) ([]db.RefundAttempt, error)
	AttemptByID(ctx context.Context, id string) (*db.RefundAttempt, error)
	ResolveAttempt(ctx context.Context, attemptID string, ev db.Evidence) (bool, error)
	ReturnByID(ctx context.Context, id string) (*db.Return, error)
	WorkItems(ctx context.Context, f db.WorkItemFilter) (*db.WorkItemPage, error)
	WorkItemByID(ctx context.Context, id string) (*db.WorkItem, error)
	ResolveWorkItem(ctx context.Context, id, resolution, note, by string) (bool, error)
	ResolveWorkItemsOf(ctx context.Context, attemptID, kind, resolution, note, by string) (int64, error)
	SettlementFileByID(ctx context.Context, id string) (*db.SettlementFile, error)
	SettlementFiles(ctx context.Context, f db.SettlementFileFilter) (*db.Paged[db.SettlementFile], error)
	SettlementItems(ctx context.Context, fileID string, results []string, afterLine int64, limit int) ([]db.SettlementItem, error)
	FirstFindings(ctx context.Context, fileID string, limit int) ([]db.SettlementFinding, int64, error)
	SettlementErrors(ctx context.Context, fileID string, limit int) ([]db.SettlementError, error)
}

// Importer streams a settlement file into the staging table; the hash of
// what it read says whether the file is new (*settlement.Importer).
type Importer interface {
	Import(ctx context.Context, m *db.Merchant, source settlement.Source, filename, uploadedBy string, r io.Reader) (*settlement.Result, error)
}

// Workflow starts a file's reconciliation and sends finance's resolution
// to a return's workflow (workflows.UpdateRefundResolution), waiting until
// it is recorded.
type Workflow interface {
	StartReconcile(ctx context.Context, fileID string) error
	RefundResolution(ctx context.Context, returnID string, req contract.RefundResolutionRequest) error
}

// Deps is what a Service is built from.
type Deps struct {
	Store    Store
	Importer Importer
	Workflow Workflow
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// PageSize is the size of a first page shown inside another answer
	// (a file's work items); PageMax the most rows a page shows (a file's
	// missing refunds). The API's own page sizes, 50 and 200 when zero.
	PageSize, PageMax int
}

// Service is finance's desk.
type Service struct{ d Deps }

// New builds a Service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.PageSize <= 0 {
		d.PageSize = 50
	}
	if d.PageMax <= 0 {
		d.PageMax = 200
	}
	return &Service{d: d}
}

// Caller is who asks: a member of a merchant's staff, or an operator (no
// merchant), who sees every merchant's money.
type Caller struct {
	MerchantID string
	Staff      returns.Actor
}

func (c Caller) operator() bool { return c.Staff.Role == returns.RoleOperator }

// sees says whether the caller may see what belongs to merchantID.
func (c Caller) sees(merchantID string) bool { return c.operator() || c.MerchantID == merchantID }

// scope is the merchant whose money the caller may see: their own, or for
// an operator the merchant slug names (every merchant when none).
func (s *Service) scope(ctx context.Context, c Caller, slug string) (string, error) {
	if !c.operator() {
		if slug != "" {
			return "", apperr.Invalid("merchant", "only operators choose a merchant")
		}
		return c.MerchantID, nil
	}
	if slug == "" {
		return "", nil
	}
	m, err := s.d.Store.MerchantBySlug(ctx, slug)
	if errors.Is(err, db.ErrNotFound) {
		return "", apperr.Invalid("merchant", "no such merchant")
	}
	if err != nil {
		return "", err
	}
	return m.ID, nil
}

func (s *Service) now() time.Time { return s.d.Now().UTC() }
