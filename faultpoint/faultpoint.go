// Package faultpoint stops a process at a named point of its work, so that
// a test can prove what a crash exactly there does: a worker killed between
// a card message leaving and its answer being recorded, a refund's
// workflow failing right after its attempt was approved. Points are armed
// only by tests, in a process they start (REBOUND_FAULTPOINTS, read by
// Parse) or in their own (Arm); a nil *Points, as in production, does
// nothing.
package faultpoint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Action is what an armed point does when it is hit: return an error for
// the caller to fail with, block, or never return at all.
type Action func(ctx context.Context) error

// Kill ends the process at once with SIGKILL, as a crash would.
func Kill(context.Context) error {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}

// ErrInjected is the error of Fail.
var ErrInjected = errors.New("faultpoint: injected failure")

// Fail makes the caller fail.
func Fail(context.Context) error { return ErrInjected }

// Block waits until the caller's context ends.
func Block(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// Points are the armed fault points of a process.
type Points struct {
	mu    sync.Mutex
	traps map[string]*trap
}

type trap struct {
	every  int // act on every every-th hit (1: each)
	hits   int
	action Action
}

// Arm makes the every-th hit of name (every 1: each hit) run action.
func (p *Points) Arm(name string, every int, action Action) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.traps == nil {
		p.traps = map[string]*trap{}
	}
	p.traps[name] = &trap{every: max(every, 1), action: action}
}

// Disarm makes name do nothing again.
func (p *Points) Disarm(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.traps, name)
}

// Hit passes the point name: nothing, unless it is armed.
func (p *Points) Hit(ctx context.Context, name string) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	t := p.traps[name]
	var act Action
	if t != nil {
		t.hits++
		if t.hits%t.every == 0 {
			act = t.action
		}
	}
	p.mu.Unlock()
	if act == nil {
		return nil
	}
	return act(ctx)
}

// Parse reads armed points: "name=action[@every],..." where action is kill,
// fail or block and every (default 1) is which hits act ("kill@3": every
// third hit kills). An empty spec arms nothing (nil).
func Parse(spec string) (*Points, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, nil
	}
	p := &Points{}
	for _, item := range strings.Split(spec, ",") {
		name, what, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("faultpoint %q: want name=action[@every]", item)
		}
		every := 1
		if a, n, ok := strings.Cut(what, "@"); ok {
			var err error
			if every, err = strconv.Atoi(n); err != nil || every < 1 {
				return nil, fmt.Errorf("faultpoint %q: @%s is not a positive count", item, n)
			}
			what = a
		}
		var act Action
		switch what {
		case "kill":
			act = Kill
		case "fail":
			act = Fail
		case "block":
			act = Block
		default:
			return nil, fmt.Errorf("faultpoint %q: action must be kill, fail or block", item)
		}
		p.Arm(name, every, act)
	}
	return p, nil
}
