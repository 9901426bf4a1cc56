// Package pos speaks ISO 8583 (1987, ASCII) with the card acquirer for
// card-present refunds: it builds and parses voids, refunds and reversals,
// sends them over TCP (or TLS) with responses matched on terminal, STAN and
// message class, and reads and writes the acquirer's daily settlement file.
// It also holds the acquirer host simulator, with its ledger, batch cut-off
// and fault injection, that `rebound acquirer`, `rebound dev` and tests run.
//
// Card data never passes through here: the message spec has no field for a
// card number, track data, PIN or CVV, and a message carrying one fails to
// unpack. Sales are known by their masked PAN only.
package pos
