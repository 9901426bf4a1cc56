package pos

import (
	"fmt"
	"time"
)

// Faults are the simulator's misbehaviours, each a probability (0..1)
// drawn per incoming request or reversal. At most one applies to a message;
// they are tried in the order Drop, Close, Delay, Duplicate,
// ApproveThenLose, so their sum should not exceed 1.
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
	LateResponse      float64 // processed (approved if it may be), answered 68
	// ApproveAfterReversal holds a request back for DelayBy: a reversal of
	// it arriving meanwhile is answered 25 (original not found); then the
	// request is processed as if it had just arrived and its 0210 sent.
	ApproveAfterReversal float64
	// ExtraFields makes every answer carry fields Rebound does not use
	// (DE15, DE32, DE44, DE63) and a secondary bitmap.
	ExtraFields bool
}

// DefaultDelayBy is how late a delayed answer comes when DelayBy is unset.
const DefaultDelayBy = 15 * time.Second

func (f Faults) validate() error {
	probs := []struct {
		name string
		p    float64
	}{{"drop", f.Drop}, {"delay", f.Delay}, {"duplicate", f.Duplicate}, {"close", f.Close}, {"approve_then_lose", f.ApproveThenLose}}
	sum := 0.0
	for _, p := range probs {
		if !(p.p >= 0 && p.p <= 1) {
			return fmt.Errorf("%s must be a probability between 0 and 1", p.name)
		}
		sum += p.p
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
// counted there); the rest count injected faults.
type Stats struct {
	Requests         int `json:"requests"`
	Reversals        int `json:"reversals"`
	Approved         int `json:"approved"`
	Declined         int `json:"declined"`
	Repeats          int `json:"repeats"`
	Dropped          int `json:"dropped"`
	Delayed          int `json:"delayed"`
	Duplicated       int `json:"duplicated"`
	Closed           int `json:"closed"`
	ApprovedThenLost int `json:"approved_then_lost"`
}

type fault int

const (
	faultNone fault = iota
	faultDrop
	faultClose
	faultDelay
	faultDuplicate
	faultLose
)

func (f fault) String() string {
	return [...]string{"none", "drop", "close", "delay", "duplicate", "approve_then_lose"}[f]
}

// SetFaults switches faults at run time. Invalid probabilities are clamped
// into 0..1.
func (a *Acquirer) SetFaults(f Faults) {
	clamp := func(p *float64) {
		if !(*p >= 0) {
			*p = 0
		}
		if *p > 1 {
			*p = 1
		}
	}
	for _, p := range []*float64{&f.Drop, &f.Delay, &f.Duplicate, &f.Close, &f.ApproveThenLose} {
		clamp(p)
	}
	if f.DelayBy < 0 {
		f.DelayBy = 0
	}
	a.mu.Lock()
	a.faults = f
	a.mu.Unlock()
	a.log.Info("acquirer simulator faults set", "drop", f.Drop, "delay", f.Delay, "duplicate", f.Duplicate,
		"close", f.Close, "approve_then_lose", f.ApproveThenLose, "delay_by", f.DelayBy)
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

// drawFault picks the fault for one message; a.mu is held.
func (a *Acquirer) drawFault() fault {
	f := a.faults
	if f.Drop+f.Close+f.Delay+f.Duplicate+f.ApproveThenLose <= 0 {
		return faultNone
	}
	u := a.rng.Float64()
	for _, c := range []struct {
		p float64
		f fault
	}{{f.Drop, faultDrop}, {f.Close, faultClose}, {f.Delay, faultDelay}, {f.Duplicate, faultDuplicate}, {f.ApproveThenLose, faultLose}} {
		if u < c.p {
			return c.f
		}
		u -= c.p
	}
	return faultNone
}
