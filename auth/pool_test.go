package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPoolTurnsAwayWhoWaitsTooLong(t *testing.T) {
	t.Parallel()
	p := NewPool(1, 20*time.Millisecond)
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_ = p.run(context.Background(), func() { close(started); <-release })
	}()
	<-started
	if _, err := p.Check(context.Background(), dummyHash, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("a full pool: %v, want ErrBusy", err)
	}
	close(release)
	if ok, err := p.Check(context.Background(), dummyHash, "no such user"); err != nil || !ok {
		t.Fatalf("a free pool: %v %v", ok, err)
	}
	if p.Hashes() != 2 {
		t.Fatalf("%d hashes counted, want 2", p.Hashes())
	}
}
