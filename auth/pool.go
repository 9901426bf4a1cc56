package auth

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrBusy means every password-hashing slot stayed taken for longer than a
// caller may wait: the caller should come back shortly.
var ErrBusy = errors.New("password hashing is busy")

// Pool bounds the argon2id work of a process: each hash takes 64 MiB and
// two threads for a while, so at most size of them run at once, and a
// caller waits at most wait for a slot before it is turned away with
// ErrBusy. Every hash the API computes — log-in, the counter's supervisor
// check, a password change, the time an unknown user name burns — goes
// through one Pool.
type Pool struct {
	slots chan struct{}
	wait  time.Duration
	// checks counts the hashes run, for tests and metrics.
	checks atomic.Int64
}

// NewPool lets size hashes run at once, callers waiting up to wait.
func NewPool(size int, wait time.Duration) *Pool {
	if size < 1 {
		size = 1
	}
	return &Pool{slots: make(chan struct{}, size), wait: wait}
}

// Wait is how long a caller waits for a slot.
func (p *Pool) Wait() time.Duration { return p.wait }

// Hashes is the number of hashes the pool has run.
func (p *Pool) Hashes() int64 { return p.checks.Load() }

// Slot is a held place in the pool: its holder may hash until Release.
type Slot struct {
	p        *Pool
	released bool
}

// Hold waits up to the pool's wait for a slot; ErrBusy when none frees up.
func (p *Pool) Hold(ctx context.Context) (*Slot, error) {
	t := time.NewTimer(p.wait)
	defer t.Stop()
	select {
	case p.slots <- struct{}{}:
		return &Slot{p: p}, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Release gives the slot back; releasing twice is harmless.
func (s *Slot) Release() {
	if !s.released {
		s.released = true
		<-s.p.slots
	}
}

// Check is CheckPassword in the held slot.
func (s *Slot) Check(stored, password string) (bool, error) {
	s.p.checks.Add(1)
	return CheckPassword(stored, password)
}

func (p *Pool) run(ctx context.Context, fn func()) error {
	s, err := p.Hold(ctx)
	if err != nil {
		return err
	}
	defer s.Release()
	p.checks.Add(1)
	fn()
	return nil
}

// Check is CheckPassword in a slot of the pool.
func (p *Pool) Check(ctx context.Context, stored, password string) (ok bool, err error) {
	if perr := p.run(ctx, func() { ok, err = CheckPassword(stored, password) }); perr != nil {
		return false, perr
	}
	return ok, err
}

// Hash is HashPassword in a slot of the pool.
func (p *Pool) Hash(ctx context.Context, password string) (hash string, err error) {
	if perr := p.run(ctx, func() { hash, err = HashPassword(password) }); perr != nil {
		return "", perr
	}
	return hash, err
}

// Burn spends the time of one password check in a slot of the pool, so that
// an unknown user name costs what a known one does.
func (p *Pool) Burn(ctx context.Context, password string) error {
	return p.run(ctx, func() { BurnTime(password) })
}
