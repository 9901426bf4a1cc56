package faultpoint_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/faultpoint"
)

func TestUnarmedPointsDoNothing(t *testing.T) {
	var none *faultpoint.Points
	if err := none.Hit(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	p, err := faultpoint.Parse("")
	if err != nil || p != nil {
		t.Fatalf("empty spec: %v, %v", p, err)
	}
	armed := &faultpoint.Points{}
	armed.Arm("a", 1, faultpoint.Fail)
	if err := armed.Hit(context.Background(), "b"); err != nil {
		t.Fatalf("another point: %v", err)
	}
}

func TestEveryNthHitActs(t *testing.T) {
	p, err := faultpoint.Parse("send=fail@3, finish=fail")
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for range 7 {
		got = append(got, errors.Is(p.Hit(context.Background(), "send"), faultpoint.ErrInjected))
	}
	want := []bool{false, false, true, false, false, true, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("hits acted %v; want %v", got, want)
		}
	}
	if !errors.Is(p.Hit(context.Background(), "finish"), faultpoint.ErrInjected) {
		t.Fatal("finish=fail did not fail")
	}
	p.Disarm("finish")
	if p.Hit(context.Background(), "finish") != nil {
		t.Fatal("a disarmed point acted")
	}
}

func TestBlockWaitsForTheContext(t *testing.T) {
	p := &faultpoint.Points{}
	p.Arm("x", 1, faultpoint.Block)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Hit(ctx, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("block ended with %v", err)
	}
}

func TestBadSpecsAreRefused(t *testing.T) {
	for _, spec := range []string{"x", "=kill", "x=explode", "x=kill@0", "x=kill@two"} {
		if _, err := faultpoint.Parse(spec); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
}
