package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/returns"
)

// maxBody bounds ordinary JSON bodies.
const maxBody = 1 << 20

// readBody reads the request body, at most maxBody bytes. The raw bytes are
// kept on the context for the idempotency check.
func readBody(c *gin.Context) ([]byte, error) {
	if b, ok := c.Get(rawBodyKey); ok {
		return b.([]byte), nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, NewProblem(http.StatusRequestEntityTooLarge, "too-large", "the body is larger than 1 MiB")
		}
		return nil, NewProblem(http.StatusBadRequest, "unreadable", "the body could not be read")
	}
	c.Set(rawBodyKey, body)
	return body, nil
}

const rawBodyKey = "raw_body"

// bind decodes a JSON body strictly into v: one object, no unknown fields,
// the right types, and nothing that looks like a card number anywhere. Its
// problems name the field.
func bind(c *gin.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if ct := c.ContentType(); ct != "application/json" {
		return NewProblem(http.StatusUnsupportedMediaType, "media-type", "send application/json")
	}
	if field := findCardNumber(body); field != "" {
		return Invalid(FieldError{Field: field, Message: "looks like a full card number; Rebound never accepts one"})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	if dec.More() {
		return Invalid(FieldError{Field: "body", Message: "must hold exactly one JSON object"})
	}
	return nil
}

func decodeProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return Invalid(FieldError{Field: field, Message: "must be " + jsonType(typeErr.Type.Kind().String())})
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return NewProblem(http.StatusBadRequest, "malformed-json", "the body is not valid JSON")
	case errors.Is(err, io.EOF):
		return Invalid(FieldError{Field: "body", Message: "is empty"})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Invalid(FieldError{Field: name, Message: "is not a known field"})
	}
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return Invalid(FieldError{Field: "body", Message: err.Error()})
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int64", "int32", "uint", "uint64":
		return "a whole number"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "of another type"
}

// fieldErrors turns the domain's field errors into the API's.
func fieldErrors(errs []returns.FieldError, prefix string) []FieldError {
	out := make([]FieldError, len(errs))
	for i, e := range errs {
		out[i] = FieldError{Field: prefix + e.Field, Message: e.Message}
	}
	return out
}

// findCardNumber returns the JSON path of the first string or number in
// body that looks like a full card number (13 to 19 digits, spaces or
// dashes allowed between them, passing the Luhn check), or "".
func findCardNumber(body []byte) string {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return ""
	}
	return walkForCard(doc, "")
}

func walkForCard(v any, path string) string {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if f := walkForCard(val, p); f != "" {
				return f
			}
		}
	case []any:
		for i, val := range x {
			if f := walkForCard(val, fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f
			}
		}
	case string:
		if LooksLikeCardNumber(x) {
			return path
		}
	case json.Number:
		if LooksLikeCardNumber(x.String()) {
			return path
		}
	}
	return ""
}

// LooksLikeCardNumber tells whether s holds a card number: 13 to 19
// digits that start like a card scheme's numbers (2 to 6) and pass the Luhn
// check, written either as one run of digits or in groups the way cards are
// printed (groups of 3 to 6 digits between single spaces, dashes or dots,
// as in 4111 1111 1111 1111 or 3782-822463-10005). Whole groups are tried,
// so a card followed by its CVV or expiry is caught too, while an id such
// as a UUID (a group of 8 or 12 digits) is not mistaken for one.
func LooksLikeCardNumber(s string) bool {
	var groups []string
	cur := make([]byte, 0, 32)
	glued := false // cur touches a letter: part of a word or an id, not a card group
	endGroup := func() {
		if len(cur) > 0 && !glued {
			groups = append(groups, string(cur))
		}
		cur, glued = cur[:0], false
	}
	check := func() bool {
		endGroup()
		defer func() { groups = groups[:0] }()
		for i := range groups {
			digits := ""
			for j := i; j < len(groups); j++ {
				g := groups[j]
				if j > i && (len(groups[i]) > 6 || len(g) > 6) {
					break
				}
				digits += g
				if len(digits) > 19 {
					break
				}
				if len(digits) >= 13 && digits[0] >= '2' && digits[0] <= '6' && luhn([]byte(digits)) {
					return true
				}
			}
		}
		return false
	}
	isLetter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	sep := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			if len(cur) == 0 && i > 0 && isLetter(s[i-1]) {
				glued = true
			}
			cur = append(cur, ch)
			sep = false
		case (ch == ' ' || ch == '-' || ch == '.') && len(cur) > 0 && !sep:
			endGroup()
			sep = true
		default:
			if isLetter(ch) && len(cur) > 0 {
				glued = true
			}
			if check() {
				return true
			}
			sep = false
		}
	}
	return check()
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}
