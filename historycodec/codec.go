// Package historycodec keeps personal and payment data unreadable in
// Temporal's store: every payload a Rebound client writes (workflow and
// activity inputs and results, signals, updates, failure messages) is
// sealed with AES-256-GCM under the current key, and the key's ID travels
// in the payload's metadata so that older keys still open older history
// after a rotation.
package historycodec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of a sealed payload.
const (
	// Encoding marks a sealed payload.
	Encoding = "binary/encrypted"
	// KeyIDKey names the key that sealed it.
	KeyIDKey = "encryption-key-id"
)

// Key is one AES-256 key and its ID.
type Key struct {
	ID     string
	Secret []byte // 32 bytes
}

// ParseKeys reads keys written as "id:base64,id:base64": the first seals,
// all open. IDs are unique, letters, digits, '-' and '_'; each secret is
// 32 bytes in standard or URL base64. The error never repeats a secret.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	seen := map[string]bool{}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		id, secret, ok := strings.Cut(part, ":")
		if !ok || id == "" || secret == "" {
			return nil, fmt.Errorf("key %d: want id:base64-of-32-bytes", i+1)
		}
		for _, c := range id {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return nil, fmt.Errorf("key %d: the id may hold letters, digits, '-' and '_'", i+1)
			}
		}
		if seen[id] {
			return nil, fmt.Errorf("key %d: id %q twice", i+1, id)
		}
		seen[id] = true
		raw, err := base64.StdEncoding.DecodeString(secret)
		if err != nil {
			raw, err = base64.URLEncoding.DecodeString(secret)
		}
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("key %d (%s): the secret must be 32 bytes in base64", i+1, id)
		}
		keys = append(keys, Key{ID: id, Secret: raw})
	}
	return keys, nil
}

// Codec seals and opens payloads.
type Codec struct {
	current string
	aeads   map[string]cipher.AEAD
}

// New makes a codec that seals with keys[0] and opens with any of keys.
func New(keys []Key) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("historycodec: no key")
	}
	c := &Codec{current: keys[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, k := range keys {
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("historycodec: key %s: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("historycodec: key %s: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
	}
	return c, nil
}

// Encode implements converter.PayloadCodec: each payload, whole (its
// metadata too), becomes the sealed data of a new one. The key ID is
// bound to the ciphertext as associated data.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("historycodec: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("historycodec: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(Encoding), KeyIDKey: []byte(c.current)},
			Data:     aead.Seal(nonce, nonce, plain, []byte(c.current)),
		}
	}
	return out, nil
}

// Decode implements converter.PayloadCodec: sealed payloads are opened
// with the key they name; others (history written before encryption was
// switched on) pass as they are.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[KeyIDKey])
		aead, ok := c.aeads[id]
		if !ok {
			return nil, fmt.Errorf("historycodec: sealed with key %q, which is not configured", id)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, errors.New("historycodec: a sealed payload too short to open")
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("historycodec: a payload sealed with key %q does not open: altered, or another key of that id", id)
		}
		var orig commonpb.Payload
		if err := proto.Unmarshal(plain, &orig); err != nil {
			return nil, fmt.Errorf("historycodec: %w", err)
		}
		out[i] = &orig
	}
	return out, nil
}

// DataConverter is Temporal's default converter with payloads sealed by c.
func DataConverter(c *Codec) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// FailureConverter keeps failure messages and stack traces in sealed
// payloads too: an error may name what a payload holds.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}
