package api

import (
	"github.com/rebound-returns/rebound/app/wire"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// wired is deps with its use cases built over d, t and pool as the
// processes build them (app/wire), with deps' logger, clock and mode. A nil
// d is a store no route under test reads (its stores hold no connection).
func wired(deps Deps, d *db.DB, t wire.Temporal, pool *auth.Pool) Deps {
	if d == nil {
		d = &db.DB{}
	}
	deps.UseCases = wire.New(wire.Deps{DB: d, Temporal: t, Passwords: pool, Log: deps.Logger, Now: deps.Now, Dev: deps.Dev})
	return deps
}
