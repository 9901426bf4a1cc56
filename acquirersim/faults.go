package acquirersim

import (
	"fmt"
	"time"
)

// Faults are the simulator's misbehaviours, each a probability (0..1)
// drawn per incoming request or reversal. At most one applies to a message;
// they are tried in the order Drop, Close, Delay, Duplicate,
// ApproveThenLose, IssuerUnavailable, SystemMalfunction, LateResponse,
// ApproveAfterReversal, DuplicateTransmission, so their sum must not
// exceed 1. Faults queued with Force are served before any drawn.
type Faults struct {
	Drop            float64       // not processed, no answer
	Delay           float64       // processed, answered after DelayBy
	Duplicate       float64       // processed once, answered twice
	Close           float64       // connection closed, not processed
	ApproveThenLose float64       // processed, answer lost
	DelayBy         time.Duration // default 15s

	// Strict-host misbehaviours.
	IssuerUnavailable float64 // answered 91, not processed
	SystemMalfunction float64 // answered 96, not processed
	// LateResponse: processed (approved if it may be, and a reversal
	// reverses), but answered 68; a repeat of the message is answered
	// what it was decided.
	LateResponse float64
	// ApproveAfterReversal holds a 0200 back for DelayBy without answering
	// it: a reversal of it arriving meanwhile is answered 25 (original not
	// found) and forgotten; then the 0200 is processed as if it had just
	// arrived and its 0210 sent on the connection it came on. The entry it
	// writes stands unless a later reversal (a 0401 repeat) reverses it. A
	// reversal that draws it is answered as usual; a held 0200 is lost if
	// the simulator closes first.
	ApproveAfterReversal float64
	// DuplicateTransmission: the message reaches the host twice (a switch
	// or the link repeated it), as real hosts see it: the first copy is
	// processed, its answer lost, and the copy is answered 94 (duplicate
	// transmission). A message that is itself a repeat (a 0200 already
	// answered, a 0401) is processed as a repeat, changing nothing, and
	// answered 94 too.
	DuplicateTransmission float64
	// ExtraFields makes every answer carry fields Rebound does not use:
	// DE15 (settlement date), DE32 (acquiring institution), DE44 and DE63,
	// DE90 not echoed and a secondary bitmap with no field in it.
	ExtraFields bool
}

// DefaultDelayBy is how late a delayed answer comes when DelayBy is unset.
const DefaultDelayBy = 15 * time.Second

// probabilities are the faults' probabilities by their admin API names,
// in the order they are drawn.
func (f *Faults) probabilities() []struct {
	name  string
	p     *float64
	fault fault
} {
	return []struct {
		name  string
		p     *float64
		fault fault
	}{
		{"drop", &f.Drop, faultDrop},
		{"close", &f.Close, faultClose},
		{"delay", &f.Delay, faultDelay},
		{"duplicate", &f.Duplicate, faultDuplicate},
		{"approve_then_lose", &f.ApproveThenLose, faultLose},
		{"issuer_unavailable", &f.IssuerUnavailable, faultIssuer},
		{"system_malfunction", &f.SystemMalfunction, faultMalfunction},
		{"late_response", &f.LateResponse, faultLate},
		{"approve_after_reversal", &f.ApproveAfterReversal, faultHold},
		{"duplicate_transmission", &f.DuplicateTransmission, faultDupTransmission},
	}
}

func (f Faults) validate() error {
	sum := 0.0
	for _, p := range f.probabilities() {
		if !(*p.p >= 0 && *p.p <= 1) {
			return fmt.Errorf("%s must be a probability between 0 and 1", p.name)
		}
		sum += *p.p
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("the probabilities add up to %.3f, more than 1", sum)
	}
	if f.DelayBy < 0 {
		return fmt.Errorf("delay_by must not be negative")
	}
	return nil
}

// Stats count what the simulator received and did. Requests and Reversals
// count every message received (repeats and faulted ones included);
// Approved and Declined count answers decided for the first time (repeats
// are answered from memory and counted in Repeats; reversals are not
// counted there); the rest count injected faults (ExtraFields: answers
// that carried the extra fields; Stranded and StrandedReversals: see
// StrandNext).
type Stats struct {
	Requests              int `json:"requests"`
	Reversals             int `json:"reversals"`
	Approved              int `json:"approved"`
	Declined              int `json:"declined"`
	Repeats               int `json:"repeats"`
	Dropped               int `json:"dropped"`
	Delayed               int `json:"delayed"`
	Duplicated            int `json:"duplicated"`
	Closed                int `json:"closed"`
	ApprovedThenLost      int `json:"approved_then_lost"`
	IssuerUnavailable     int `json:"issuer_unavailable"`
	SystemMalfunction     int `json:"system_malfunction"`
	LateResponses         int `json:"late_responses"`
	ApprovedAfterReversal int `json:"approved_after_reversal"` // 0200s held back
	DuplicateTransmission int `json:"duplicate_transmission"`  // answered 94 as a repeat
	ExtraFields           int `json:"extra_fields"`
	Stranded              int `json:"stranded"`           // 0200s whose answer was lost for StrandNext
	StrandedReversals     int `json:"stranded_reversals"` // their reversals, dropped
}

type fault int

const (
	faultNone fault = iota
	faultDrop
	faultClose
	faultDelay
	faultDuplicate
	faultLose
	faultIssuer
	faultMalfunction
	faultLate
	faultHold
	faultDupTransmission
	faultStrandFirst // a 0200 StrandNext picked: processed, answer lost
	faultStrand      // a reversal of it: dropped
)

func (f fault) String() string {
	return [...]string{"none", "drop", "close", "delay", "duplicate", "approve_then_lose",
		"issuer_unavailable", "system_malfunction", "late_response", "approve_after_reversal", "duplicate_transmission",
		"stranded", "stranded_reversal"}[f]
}

// SetFaults switches faults at run time. Invalid probabilities are clamped
// into 0..1.
func (a *Acquirer) SetFaults(f Faults) {
	for _, p := range f.probabilities() {
		if !(*p.p >= 0) {
			*p.p = 0
		}
		if *p.p > 1 {
			*p.p = 1
		}
	}
	if f.DelayBy < 0 {
		f.DelayBy = 0
	}
	a.mu.Lock()
	a.faults = f
	a.mu.Unlock()
	attrs := []any{"delay_by", f.DelayBy, "extra_fields", f.ExtraFields}
	for _, p := range f.probabilities() {
		attrs = append(attrs, p.name, *p.p)
	}
	a.log.Info("acquirer simulator faults set", attrs...)
}

// Faults are the faults in force.
func (a *Acquirer) Faults() Faults {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.faults
}

// Stats are the counts so far.
func (a *Acquirer) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// Force queues faults, by their admin API names, to be served before any
// drawn one, whatever the probabilities in force (SetFaults leaves the
// queue alone): each goes to the first message it can apply to
// (approve_after_reversal to a 0200 only), one per message, in order. A
// test arms a fault this way to be sure it is served; Stats count it as if
// drawn.
func (a *Acquirer) Force(names ...string) error {
	var queue []fault
	for _, name := range names {
		var found fault
		for _, p := range (&Faults{}).probabilities() {
			if p.name == name {
				found = p.fault
			}
		}
		if found == faultNone {
			return fmt.Errorf("no fault named %q", name)
		}
		queue = append(queue, found)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.forced = append(a.forced, queue...)
	return nil
}

// Forced are the names of the faults queued by Force and not served yet.
func (a *Acquirer) Forced() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	names := make([]string, len(a.forced))
	for i, f := range a.forced {
		names[i] = f.String()
	}
	return names
}

// StrandNext makes the next fresh 0200 an outcome its sender cannot learn:
// it is processed and its answer lost, and every reversal of it from then
// on is dropped unanswered (counted in Stats.Stranded and
// StrandedReversals). Its sender can only give up reversing and ask a human,
// who finds in the ledger what happened to it.
func (a *Acquirer) StrandNext() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.strandNext = true
}

// drawFault picks the fault for one message; a.mu is held. A reversal
// never draws ApproveAfterReversal (its share goes to no fault).
func (a *Acquirer) drawFault(reversal bool) fault {
	for i, f := range a.forced {
		if reversal && f == faultHold {
			continue
		}
		a.forced = append(a.forced[:i:i], a.forced[i+1:]...)
		return f
	}
	f := a.faults
	probs := f.probabilities()
	total := 0.0
	for _, p := range probs {
		total += *p.p
	}
	if total <= 0 {
		return faultNone
	}
	u := a.rng.Float64()
	for _, p := range probs {
		if u < *p.p {
			if reversal && p.fault == faultHold {
				return faultNone
			}
			return p.fault
		}
		u -= *p.p
	}
	return faultNone
}
