package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
)

// SMSConfig configures an SMSSender.
type SMSConfig struct {
	URL   string // provider endpoint that accepts a JSON POST per message
	Token string // bearer token, sent as "Authorization: Bearer <Token>" when set
	// Client makes the calls; nil means a client with a 15-second timeout.
	// Redirects are not followed unless Client sets its own CheckRedirect.
	Client *http.Client
}

// SMSSender sends SMS through an HTTP provider API. It posts
// {"to": ..., "body": ..., "reference": ID} with the message ID as
// Idempotency-Key, so a retried message is not sent twice.
type SMSSender struct {
	cfg SMSConfig
}

// NewSMS returns an SMSSender for the provider described by cfg.
func NewSMS(cfg SMSConfig) *SMSSender {
	return &SMSSender{cfg: cfg}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

type smsRequest struct {
	To        string `json:"to"`
	Body      string `json:"body"`
	Reference string `json:"reference"`
}

// Send posts m to the provider. A 2xx status is success; 4xx other than 408
// and 429 is permanent; 5xx, 408, 429 and network failures are transient.
// Errors carry the status and the provider's error code only, never the body
// (it can hold a one-time code) or the token.
func (s *SMSSender) Send(ctx context.Context, m Message) error {
	if err := checkID(m); err != nil {
		return err
	}
	if !e164.MatchString(m.To) {
		return Permanent(fmt.Errorf("sms %s: recipient is not an E.164 phone number", m.ID))
	}
	if m.Text == "" {
		return Permanent(fmt.Errorf("sms %s: empty body", m.ID))
	}
	target, err := url.Parse(s.cfg.URL)
	if err != nil || (target.Scheme != "https" && target.Scheme != "http") || target.Host == "" {
		return Permanent(fmt.Errorf("sms %s: provider URL is not an absolute http(s) URL", m.ID))
	}

	body, err := json.Marshal(smsRequest{To: m.To, Body: m.Text, Reference: m.ID})
	if err != nil {
		return Permanent(fmt.Errorf("sms %s: encode request: %w", m.ID, err))
	}
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("Idempotency-Key", m.ID)
	if s.cfg.Token != "" {
		header.Set("Authorization", "Bearer "+s.cfg.Token)
	}

	status, respBody, err := post(ctx, s.cfg.Client, target, header, body)
	if err != nil {
		return fmt.Errorf("sms %s: %w", m.ID, err)
	}
	if status/100 == 2 {
		return nil
	}
	code := providerErrorCode(respBody)
	if code != "" {
		code = "provider code " + code
	}
	return classifyStatus("sms "+m.ID, status, code)
}

// safeCode matches what an error code looks like; anything else in the
// provider's reply (messages that may echo the SMS body) is not reported.
var safeCode = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// providerErrorCode finds an error code in a JSON error reply, in the shapes
// providers commonly use: {"code": ...}, {"error_code": ...},
// {"error": "<code>"} or {"error": {"code": ...}}. It returns "" when there is
// none that looks like a code.
func providerErrorCode(body []byte) string {
	var reply map[string]json.RawMessage
	if json.Unmarshal(body, &reply) != nil {
		return ""
	}
	for _, key := range []string{"code", "error_code", "errorCode", "error"} {
		raw, ok := reply[key]
		if !ok {
			continue
		}
		if code := codeValue(raw); code != "" {
			return code
		}
		if key == "error" {
			var nested map[string]json.RawMessage
			if json.Unmarshal(raw, &nested) == nil {
				if code := codeValue(nested["code"]); code != "" {
					return code
				}
			}
		}
	}
	return ""
}

// codeValue returns raw as a code when it is a short token-like string or an
// integer.
func codeValue(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		if safeCode.MatchString(str) {
			return str
		}
		return ""
	}
	var num int64
	if json.Unmarshal(raw, &num) == nil {
		return strconv.FormatInt(num, 10)
	}
	return ""
}
