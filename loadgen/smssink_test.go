package loadgen

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/rebound-returns/rebound/notify"
)

// The sink takes what Rebound's own SMS sender posts, keeps it by number,
// and refuses what is not a message.
func TestSMSSinkKeepsWhatTheSenderPosts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := startSMSSink(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	sender := notify.NewSMS(notify.SMSConfig{URL: "http://" + s.addr + "/sms"})
	for i, text := range []string{"Your return code is 123456", "Your return code is 654321"} {
		if err := sender.Send(ctx, notify.Message{ID: "m" + strconv.Itoa(i), Channel: notify.SMS, To: "+15550100001", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	got := s.messages("+15550100001")
	if len(got) != 2 || got[1] != "Your return code is 654321" {
		t.Fatalf("messages %q", got)
	}
	if m := codeRe.FindStringSubmatch(got[len(got)-1]); m == nil || m[1] != "654321" {
		t.Fatalf("the newest code is not read: %v", m)
	}
	if len(s.messages("+15550100002")) != 0 {
		t.Fatal("another number has messages")
	}
	for _, body := range []string{"{", `{"body":"no number"}`} {
		res, err := http.Post("http://"+s.addr+"/sms", "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", body, res.StatusCode)
		}
	}
}
