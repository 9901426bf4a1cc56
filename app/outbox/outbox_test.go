package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/outbox"
	"github.com/rebound-returns/rebound/db"
)

type fakeStore struct {
	emails    []string
	emailsErr error
	queueErr  error
	queued    []*db.OutboxMessage
	sent      []db.OutboxMessage
	sentErr   error
	asked     string
	limit     int
}

func (f *fakeStore) StaffEmails(_ context.Context, merchantID string, role returns.Role) ([]string, error) {
	f.asked = merchantID + "/" + string(role)
	return f.emails, f.emailsErr
}

func (f *fakeStore) QueueOutbox(_ context.Context, m *db.OutboxMessage) error {
	if f.queueErr != nil {
		return f.queueErr
	}
	m.ID = fmt.Sprintf("ob%d", len(f.queued)+1)
	f.queued = append(f.queued, m)
	return nil
}

func (f *fakeStore) OutboxTo(_ context.Context, recipient string, limit int) ([]db.OutboxMessage, error) {
	f.asked, f.limit = recipient, limit
	return f.sent, f.sentErr
}

type fakeDelivery struct {
	ids [][]string
	err error
}

func (f *fakeDelivery) Deliver(_ context.Context, ids []string) error {
	f.ids = append(f.ids, ids)
	return f.err
}

func TestTellAdmins(t *testing.T) {
	boom := errors.New("down")
	cases := []struct {
		name      string
		st        *fakeStore
		deliverer *fakeDelivery
		queued    int
		delivered string
		logged    string
	}{
		{"each admin gets the mail, delivered at once", &fakeStore{emails: []string{"a@x.test", "b@x.test"}}, &fakeDelivery{},
			2, "ob1,ob2", ""},
		{"no admins, nothing to deliver", &fakeStore{}, &fakeDelivery{}, 0, "", ""},
		{"admins unknown", &fakeStore{emailsErr: boom}, &fakeDelivery{}, 0, "", "admins not found"},
		{"not queued", &fakeStore{emails: []string{"a@x.test"}, queueErr: boom}, &fakeDelivery{}, 0, "", "admin message not queued"},
		{"not delivered", &fakeStore{emails: []string{"a@x.test"}}, &fakeDelivery{err: boom}, 1, "ob1", "admin message not handed to delivery"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var log bytes.Buffer
			s := outbox.New(outbox.Deps{Store: c.st, Delivery: c.deliverer, Log: slog.New(slog.NewTextHandler(&log, nil))})
			s.TellAdmins(context.Background(), "m1", "Refund held", "A refund waits for you.")
			if c.st.asked != "m1/admin" {
				t.Fatalf("asked %q", c.st.asked)
			}
			if len(c.st.queued) != c.queued {
				t.Fatalf("%d queued, want %d", len(c.st.queued), c.queued)
			}
			for _, m := range c.st.queued {
				if *m.MerchantID != "m1" || m.Channel != "email" || m.Subject != "Refund held" || m.BodyText != "A refund waits for you." {
					t.Fatalf("message %+v", m)
				}
			}
			var got []string
			for _, ids := range c.deliverer.ids {
				got = append(got, strings.Join(ids, ","))
			}
			if strings.Join(got, "|") != c.delivered {
				t.Fatalf("delivered %q, want %q", got, c.delivered)
			}
			if (c.logged == "") != (log.Len() == 0) || !strings.Contains(log.String(), c.logged) {
				t.Fatalf("logged %q, want %q", log.String(), c.logged)
			}
		})
	}
}

func TestToListsTheOutbox(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	st := &fakeStore{sent: []db.OutboxMessage{{ID: "ob1", Channel: "sms", Recipient: "+4411", BodyText: "code 123456",
		Status: "sent", CreatedAt: at, SentAt: &at}}}
	msgs, err := outbox.New(outbox.Deps{Store: st}).To(context.Background(), "+4411", 50)
	if err != nil {
		t.Fatal(err)
	}
	want := outbox.Message{ID: "ob1", Channel: "sms", To: "+4411", Text: "code 123456", Status: "sent", CreatedAt: at, SentAt: &at}
	if len(msgs) != 1 || msgs[0] != want || st.asked != "+4411" || st.limit != 50 {
		t.Fatalf("messages %+v (asked %q, %d)", msgs, st.asked, st.limit)
	}
	empty, err := outbox.New(outbox.Deps{Store: &fakeStore{}}).To(context.Background(), "", 50)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("an empty outbox is an empty list: %v %v", empty, err)
	}
	boom := errors.New("down")
	if _, err := outbox.New(outbox.Deps{Store: &fakeStore{sentErr: boom}}).To(context.Background(), "", 50); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}
