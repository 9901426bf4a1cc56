// Package audit records who did what to which resource, from where and
// how it ended, in the audit log. The edge knows the request (origin,
// request id, the caller) and the outcome; this package knows the log.
package audit

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// The outcomes of a recorded step.
const (
	Success = db.OutcomeSuccess
	// Denied: the resource is not the caller's or their role may not.
	Denied = db.OutcomeDenied
	Failed = db.OutcomeFailed
)

// Entry is one step to record. Actor, ActorRole and MerchantID are empty
// for an anonymous caller; Detail, when set, is kept as JSON.
type Entry struct {
	Action       string
	ResourceType string
	ResourceID   string
	Outcome      string
	Origin       string
	RequestID    string
	Actor        string
	ActorRole    returns.Role
	MerchantID   string
	Detail       map[string]any
	At           time.Time
}

// Store appends to the audit log (*db.DB).
type Store interface {
	AppendAudit(ctx context.Context, e *db.AuditEntry) error
}

// Log records steps in the audit log.
type Log struct{ store Store }

// New records in store's log.
func New(store Store) *Log { return &Log{store: store} }

// Record appends e. A detail that cannot be kept as JSON is left out
// rather than lose the entry.
func (l *Log) Record(ctx context.Context, e Entry) error {
	row := &db.AuditEntry{Action: e.Action, ResourceType: e.ResourceType, ResourceID: e.ResourceID, Outcome: e.Outcome,
		Origin: e.Origin, RequestID: e.RequestID, At: e.At, Actor: e.Actor, ActorRole: e.ActorRole}
	if e.MerchantID != "" {
		m := e.MerchantID
		row.MerchantID = &m
	}
	if e.Detail != nil {
		if j, err := db.ToJSON(e.Detail); err == nil {
			row.Detail = j
		}
	}
	return l.store.AppendAudit(ctx, row)
}
