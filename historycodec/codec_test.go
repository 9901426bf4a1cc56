package historycodec_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/rebound-returns/rebound/historycodec"
)

func key(id string, b byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

func mustCodec(t *testing.T, spec string) *historycodec.Codec {
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

type order struct {
	Email  string `json:"email"`
	PAN    string `json:"masked_pan"`
	Amount int64  `json:"amount"`
}

// A value sealed under one key is unreadable, opens to the same value, and
// still opens after a rotation puts a new key first; a key removed too
// early, an altered payload or another secret under the same ID do not
// open it.
func TestSealOpenAndRotate(t *testing.T) {
	t.Parallel()
	v := order{Email: "pat@example.com", PAN: "411111******1111", Amount: 2700}
	old := historycodec.DataConverter(mustCodec(t, key("k1", 1)))
	p, err := old.ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{"pat@example.com", "411111", "2700", "json/plain"} {
		if bytes.Contains(p.Data, []byte(clear)) || strings.Contains(p.String(), clear) {
			t.Fatalf("%q readable in the sealed payload", clear)
		}
	}
	if string(p.Metadata[historycodec.KeyIDKey]) != "k1" || string(p.Metadata[converter.MetadataEncoding]) != historycodec.Encoding {
		t.Fatalf("metadata %v", p.Metadata)
	}
	var got order
	if err := old.FromPayload(p, &got); err != nil || got != v {
		t.Fatalf("opened %+v, %v", got, err)
	}

	rotated := historycodec.DataConverter(mustCodec(t, key("k2", 2)+", "+key("k1", 1)))
	got = order{}
	if err := rotated.FromPayload(p, &got); err != nil || got != v {
		t.Fatalf("after rotation: %+v, %v", got, err)
	}
	p2, _ := rotated.ToPayload(v)
	if string(p2.Metadata[historycodec.KeyIDKey]) != "k2" {
		t.Fatalf("rotation seals with %s", p2.Metadata[historycodec.KeyIDKey])
	}

	for name, dc := range map[string]converter.DataConverter{
		"removed key":      historycodec.DataConverter(mustCodec(t, key("k2", 2))),
		"another k1 value": historycodec.DataConverter(mustCodec(t, key("k1", 9))),
	} {
		if err := dc.FromPayload(p, &got); err == nil {
			t.Errorf("%s: opened", name)
		} else if strings.Contains(err.Error(), "pat@") {
			t.Errorf("%s: the error shows the content: %v", name, err)
		}
	}
	altered := &commonpb.Payload{Metadata: p.Metadata, Data: append([]byte(nil), p.Data...)}
	altered.Data[len(altered.Data)-1] ^= 1
	if err := old.FromPayload(altered, &got); err == nil {
		t.Error("an altered payload opened")
	}
	// Relabelled as sealed by another key it does not open either (the
	// key ID is bound to the ciphertext).
	both := historycodec.DataConverter(mustCodec(t, key("k1", 1)+","+key("k3", 1)))
	relabelled := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(historycodec.Encoding),
		historycodec.KeyIDKey: []byte("k3")}, Data: p.Data}
	if err := both.FromPayload(relabelled, &got); err == nil {
		t.Error("a payload relabelled with another key ID opened")
	}
}

// History written before encryption was switched on still reads.
func TestPlainPayloadsPassThrough(t *testing.T) {
	t.Parallel()
	plain, err := converter.GetDefaultDataConverter().ToPayload(order{Email: "a@b.c"})
	if err != nil {
		t.Fatal(err)
	}
	var got order
	if err := historycodec.DataConverter(mustCodec(t, key("k1", 1))).FromPayload(plain, &got); err != nil || got.Email != "a@b.c" {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestBadKeysAreRefusedWithoutShowingThem(t *testing.T) {
	t.Parallel()
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 16))
	for _, spec := range []string{"", "k1", ":" + secret, "k1:" + secret, "k1:not base64!", "k 1:" + key("x", 1)[2:],
		key("k1", 1) + "," + key("k1", 2)} {
		_, err := historycodec.ParseKeys(spec)
		if err == nil {
			t.Errorf("%q: accepted", spec)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "AQEB") {
			t.Errorf("%q: the error shows the secret: %v", spec, err)
		}
	}
	if _, err := historycodec.New(nil); err == nil {
		t.Error("a codec without keys")
	}
}
