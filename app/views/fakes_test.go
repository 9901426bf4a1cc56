package views

import (
	"context"
	"errors"

	"github.com/rebound-returns/rebound/db"
)

// fakeStore holds one return by id, its timeline and latest refund; fail
// names the read that fails, and reads lists the reads made.
type fakeStore struct {
	ret    *db.ReturnShown
	events []db.TimelineEvent
	refund *db.RefundShown
	fail   string
	reads  []string
}

var errBroken = errors.New("the database went away")

func (f *fakeStore) read(name string) error {
	f.reads = append(f.reads, name)
	if f.fail == name {
		return errBroken
	}
	return nil
}

func (f *fakeStore) ReturnShown(_ context.Context, id string) (*db.ReturnShown, error) {
	if err := f.read("return"); err != nil {
		return nil, err
	}
	if f.ret == nil || f.ret.ID != id {
		return nil, db.ErrNotFound
	}
	return f.ret, nil
}

func (f *fakeStore) Timeline(context.Context, string) ([]db.TimelineEvent, error) {
	if err := f.read("timeline"); err != nil {
		return nil, err
	}
	return f.events, nil
}

func (f *fakeStore) LatestRefundShown(context.Context, string) (*db.RefundShown, error) {
	if err := f.read("refund"); err != nil {
		return nil, err
	}
	return f.refund, nil
}
