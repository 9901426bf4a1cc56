package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/historycodec"
	"github.com/rebound-returns/rebound/pos"
	"github.com/rebound-returns/rebound/workflows"
)

// What a return's history must not show in clear: the customer, the order's
// goods and money, and any JSON at all.
var inClear = []string{"pat@example.com", "Pat Buyer", "+46 70", "Boots", "SHIRT", "13295", `"unit_price"`, `"return_id"`,
	"541333******4111", saleRRN("W-7101"), "fp_secret_card_token_42"}

func testKey(id string, b byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

func codecOf(t *testing.T, spec string) *historycodec.Codec {
	t.Helper()
	keys, err := historycodec.ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	c, err := historycodec.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fileVerified files and verifies a return of a new online order and
// waits until the workflow has reviewed it.
func fileVerified(t *testing.T, s *stack, number string) string {
	t.Helper()
	s.must(s.call("POST", "/v1/orders", order(number, "online"), "X-API-Key", demoAPIKey), 201)
	filed := s.must(s.call("POST", "/v1/returns", map[string]any{
		"merchant": "demo", "order_number": number, "contact": "pat@example.com", "method": "ship",
		"lines": []map[string]any{{"line_id": "L2", "quantity": 1, "reason": "too_small"}},
	}), 201).json()
	id := filed["id"].(string)
	s.must(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": s.code("pat@example.com")}), 200)
	return id
}

// rawHistory reads a workflow's history as the server stores it, through a
// client that knows no key.
func rawHistory(t *testing.T, s *stack, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	plain, err := client.Dial(client.Options{HostPort: temporalSrv.HostPort(), Namespace: s.ns,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	var events []*historypb.HistoryEvent
	it := plain.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	if len(events) < 5 {
		t.Fatalf("history of %s has %d events", workflowID, len(events))
	}
	return events
}

// payloads collects every payload anywhere in the events.
func payloads(events []*historypb.HistoryEvent) []*commonpb.Payload {
	var out []*commonpb.Payload
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if p, ok := m.Interface().(*commonpb.Payload); ok {
			out = append(out, p)
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.IsMap() && fd.MapValue().Message() != nil:
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool { walk(mv.Message()); return true })
			case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	for _, e := range events {
		walk(e.ProtoReflect())
	}
	return out
}

// changeVersions are the payloads of the TemporalChangeVersion search
// attribute, which the SDK upserts in clear beside each workflow.GetVersion
// marker (the server indexes it; no codec can seal it), each checked to
// hold nothing but the workflows' own change ids and versions, such as
// ["local-steps-1"]: no customer, goods or money.
func changeVersions(t *testing.T, events []*historypb.HistoryEvent) map[*commonpb.Payload]bool {
	t.Helper()
	known := []string{workflows.VersionLocalSteps, workflows.VersionRefundFreeze, workflows.VersionRefundRules, workflows.VersionResolutions}
	out := map[*commonpb.Payload]bool{}
	for _, e := range events {
		p := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()["TemporalChangeVersion"]
		if p == nil {
			continue
		}
		var ids []string
		if err := json.Unmarshal(p.GetData(), &ids); err != nil || len(ids) == 0 {
			t.Fatalf("TemporalChangeVersion holds %q", p.GetData())
		}
		for _, id := range ids {
			at := strings.LastIndexByte(id, '-')
			if at < 0 || !slices.Contains(known, id[:at]) {
				t.Fatalf("TemporalChangeVersion holds %q, not a change id of the workflows", id)
			}
		}
		out[p] = true
	}
	return out
}

func clearIn(events []*historypb.HistoryEvent) []string {
	var found []string
	for _, e := range events {
		raw, _ := proto.Marshal(e)
		for _, c := range inClear {
			if bytes.Contains(raw, []byte(c)) && !strings.Contains(strings.Join(found, "|"), c) {
				found = append(found, c)
			}
		}
	}
	return found
}

// With history keys, a return's history holds no customer, goods, money or
// JSON in clear (read raw from the server); it opens with the key, still
// opens after a rotation, and the codec endpoint opens it for operators
// only. Without keys the same return's history shows them: the check sees.
func TestReturnHistoryIsSealed(t *testing.T) {
	t.Parallel()
	e := lastEngine(t)

	plain := newStack(t, e)
	pid := fileVerified(t, plain, "W-7001")
	if found := clearIn(rawHistory(t, plain, contract.ReturnWorkflowID(pid))); len(found) < 3 {
		t.Fatalf("unsealed history shows only %q in clear: the check would not see a leak", found)
	}

	k1 := codecOf(t, testKey("k1", 1))
	s := newStackOpts(t, e, stackOptions{codec: k1})
	id := fileVerified(t, s, "W-7002")
	events := rawHistory(t, s, contract.ReturnWorkflowID(id))
	if found := clearIn(events); len(found) > 0 {
		t.Fatalf("sealed history shows %q in clear", found)
	}
	all := payloads(events)
	versions := changeVersions(t, events)
	sealed := 0
	for _, p := range all {
		switch string(p.GetMetadata()["encoding"]) {
		case historycodec.Encoding:
			sealed++
		case "binary/null":
		default:
			if !versions[p] {
				t.Fatalf("a payload in clear (%s)", p.GetMetadata()["encoding"])
			}
		}
	}
	if sealed < 3 {
		t.Fatalf("%d sealed payloads of %d", sealed, len(all))
	}

	// It opens with k1, and with k1 behind a new k2 after a rotation.
	for name, c := range map[string]*historycodec.Codec{"k1": k1, "rotated": codecOf(t, testKey("k2", 2)+","+testKey("k1", 1))} {
		opened, err := c.Decode(all)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var text strings.Builder
		for _, p := range opened {
			text.Write(p.GetData())
		}
		if !strings.Contains(text.String(), "W-7002") || !strings.Contains(text.String(), `"unit_price"`) {
			t.Fatalf("%s: the opened history lacks the order", name)
		}
	}
	if _, err := codecOf(t, testKey("k2", 2)).Decode(all); err == nil {
		t.Fatal("opened without its key")
	}

	// The Temporal UI's codec endpoint opens it for operators only.
	req, err := protojson.Marshal(&commonpb.Payloads{Payloads: all})
	if err != nil {
		t.Fatal(err)
	}
	s.problem(s.call("POST", "/v1/admin/codec/decode", req, bearer(s.login("admin"))...), 403, "")
	dec := s.must(s.call("POST", "/v1/admin/codec/decode", req, bearer(operator(t, s))...), 200)
	var opened commonpb.Payloads
	if err := protojson.Unmarshal(dec.Body, &opened); err != nil || len(opened.Payloads) != len(all) {
		t.Fatalf("codec endpoint answered %.200s: %v", dec.Body, err)
	}
	var text strings.Builder
	for _, p := range opened.Payloads {
		text.Write(p.GetData())
	}
	if !strings.Contains(text.String(), "W-7002") {
		t.Fatal("the codec endpoint did not open the history")
	}
	// Where no key is configured there is nothing to open.
	plain.problem(plain.call("POST", "/v1/admin/codec/decode", req, bearer(operator(t, plain))...), 404, "")
}

// operator makes a platform operator and logs them in.
func operator(t *testing.T, s *stack) string {
	t.Helper()
	hash, err := auth.HashPassword("operator-pass")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Staff.CreateStaff(context.Background(), &db.StaffUser{Username: "op", Role: "operator", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	r := s.must(s.call("POST", "/v1/auth/login", map[string]string{"merchant": "", "username": "op", "password": "operator-pass"}), 200)
	return r.json()["token"].(string)
}

// A card return refunded at the counter and closed by the acquirer's
// settlement file leaves no customer, goods, card or amount in clear in the
// history of the return or of its refund.
func TestAFinishedCardReturnsHistoryIsSealed(t *testing.T) {
	t.Parallel()
	s := newStackOpts(t, lastEngine(t), stackOptions{codec: codecOf(t, testKey("k1", 1))})
	id := s.toCounter("W-7101")
	s.must(s.call("POST", "/v1/merchant/returns/"+id+"/in-store-refund", map[string]string{"terminal_id": "T0000001",
		"supervisor_username": "supervisor", "supervisor_password": demoPassword, "voucher_no": saleSTAN("W-7101"),
		"card_fingerprint": "fp_secret_card_token_42"}, bearer(s.login("clerk"))...), 200)
	s.acquirer.CutOff()
	var file bytes.Buffer
	if err := pos.WriteSettlement(&file, s.acquirer.Settlement(time.Now().UTC().Truncate(24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	finance := s.login("finance")
	up := s.must(s.upload(finance, "acquirer", "settlement.csv", file.Bytes()), 202).json()
	s.reconciled(finance, up["file"].(map[string]any)["id"].(string))
	deadline := time.Now().Add(30 * time.Second)
	for s.readStatus(id) != "closed" {
		if time.Now().After(deadline) {
			t.Fatalf("the return ended %s, not closed", s.readStatus(id))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, wf := range []string{contract.ReturnWorkflowID(id), contract.RefundWorkflowID(id, 1)} {
		if found := clearIn(rawHistory(t, s, wf)); len(found) > 0 {
			t.Errorf("the history of %s shows %q in clear", wf, found)
		}
	}
}
