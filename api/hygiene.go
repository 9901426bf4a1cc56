package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Input hygiene at the edge: every path parameter, query parameter and
// stored header, and every string of a JSON body (keys and values, nested),
// is valid UTF-8 without NUL and holds no card number, before any handler
// sees it. Bad text would otherwise reach SQL (PostgreSQL refuses NUL and
// invalid UTF-8 with an error that used to become a 500), logs or workflow
// input.

// storedHeaders are the request headers Rebound keeps: in the database
// (Idempotency-Key), the access log and the audit log (X-Request-ID).
var storedHeaders = []string{"Idempotency-Key", requestIDHeader}

// inputHygiene refuses a request whose path, query or stored headers hold
// bad text or a card number, with a 422 naming the parameter. The answer
// never echoes the value.
func inputHygiene() gin.HandlerFunc {
	return func(c *gin.Context) {
		if fe := checkRequestText(c); fe != nil {
			writeProblem(c, Invalid(*fe))
			return
		}
		c.Next()
	}
}

func checkRequestText(c *gin.Context) *FieldError {
	for _, p := range c.Params {
		if fe := checkText(p.Key, p.Value); fe != nil {
			return fe
		}
	}
	if !utf8.ValidString(c.Request.URL.RawQuery) && c.Request.URL.RawQuery != "" {
		// Percent-decoding happens below; a raw query is ASCII unless
		// the client sent bytes that no browser would.
		return &FieldError{Field: "query", Message: "must be valid UTF-8"}
	}
	for key, values := range c.Request.URL.Query() {
		if fe := checkKey("query", key); fe != nil {
			return fe
		}
		for _, v := range values {
			if fe := checkText(key, v); fe != nil {
				return fe
			}
		}
	}
	for _, h := range storedHeaders {
		for _, v := range c.Request.Header.Values(h) {
			if fe := checkText(h, v); fe != nil {
				return fe
			}
		}
	}
	return nil
}

// checkText is the rule for one named value: valid UTF-8, no NUL, no card
// number.
func checkText(field, v string) *FieldError {
	switch {
	case !utf8.ValidString(v):
		return &FieldError{Field: field, Message: "must be valid UTF-8"}
	case strings.IndexByte(v, 0) >= 0:
		return &FieldError{Field: field, Message: "must not contain a NUL character"}
	case LooksLikeCardNumber(v):
		return &FieldError{Field: field, Message: "looks like a full card number; Rebound never accepts one"}
	}
	return nil
}

// checkKey is checkText for a name the client chose (a JSON key, a query
// parameter's name): the problem names where the key is, never the key,
// which might be the card number.
func checkKey(where, key string) *FieldError {
	switch {
	case !utf8.ValidString(key):
		return &FieldError{Field: where, Message: "has a key that is not valid UTF-8"}
	case strings.IndexByte(key, 0) >= 0:
		return &FieldError{Field: where, Message: "has a key with a NUL character"}
	case LooksLikeCardNumber(key):
		return &FieldError{Field: where, Message: "has a key that looks like a full card number; Rebound never accepts one"}
	}
	return nil
}

// checkJSONText walks every string of a JSON body, keys and values at any
// depth (and every number, for card numbers), and returns the first that
// breaks checkText, named by its path ("lines[1].name"). A body that is not
// valid JSON passes: the strict decoder reports it.
func checkJSONText(body []byte) *FieldError {
	type frame struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	// where names the object that holds a key, for problems about the key.
	where := func() string {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p := path()
		stack = append(stack, top)
		return p
	}
	afterValue := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var prev int64
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		off := dec.InputOffset()
		// raw is the token as sent (with the delimiters before it): the
		// decoder turns invalid UTF-8 into U+FFFD, so validity is checked
		// on the bytes themselves.
		raw := body[prev:off]
		prev = off
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				if !utf8.Valid(raw) {
					return &FieldError{Field: where(), Message: "has a key that is not valid UTF-8"}
				}
				if fe := checkKey(where(), t); fe != nil {
					return fe
				}
				stack[n-1].key, stack[n-1].wantKey = t, false
				continue
			}
			if !utf8.Valid(raw) {
				return &FieldError{Field: path(), Message: "must be valid UTF-8"}
			}
			if fe := checkText(path(), t); fe != nil {
				return fe
			}
			afterValue()
		case json.Number:
			if LooksLikeCardNumber(t.String()) {
				return &FieldError{Field: path(), Message: "looks like a full card number; Rebound never accepts one"}
			}
			afterValue()
		default:
			afterValue()
		}
	}
}
