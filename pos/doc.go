// Package pos speaks ISO 8583 (1987, ASCII) with the card acquirer for
// card-present refunds: it builds voids, refunds and reversals by one
// documented profile (PROFILE.md, beside this file), sends them over TCP
// (or TLS) with answers matched on terminal, STAN and message class, and
// reads and writes the acquirer's daily settlement file. The acquirer host
// simulator that `rebound acquirer`, `rebound dev` and tests run is package
// acquirersim, which builds on this one.
//
// Strict writing, tolerant reading: what Rebound sends is checked against
// the profile before it leaves (Spec, BuildRequest, BuildReversal), and
// the simulator reads requests just as strictly (ParseIncoming); answers
// from the acquirer are read with every 1987 field (AnswerSpec,
// UnpackAnswer), fields Rebound does not use kept in Response.Fields.
//
// Card data never passes through here: Spec has no field for a card
// number, track data, PIN or chip data, so Rebound cannot send one and the
// simulator refuses one; an answer carrying one is read past it and the
// field dropped, never kept or logged. Sales are known by their masked PAN
// only.
package pos
