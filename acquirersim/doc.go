// Package acquirersim is the acquirer host simulator: a strict ISO 8583
// host that answers voids, refunds and reversals from its own ledger of
// sales by the rules of pos/PROFILE.md, with a batch cut-off, fault
// injection, an admin API and daily settlement files dropped into the
// settlement folder. `rebound acquirer`, `rebound dev`, devstack and tests
// run it; it reads and writes messages with package pos, which holds the
// profile, and Rebound's own code never imports it.
//
// It reads requests as strictly as Rebound writes them (pos.ParseIncoming)
// and refuses card data the same way: pos.Spec has no field for it.
package acquirersim
