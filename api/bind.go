package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/cardnumber"
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
// the right types, every string (keys too) valid UTF-8 without NUL, and
// nothing that looks like a card number anywhere. Its problems name the
// field.
func bind(c *gin.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if ct := c.ContentType(); ct != "application/json" {
		return NewProblem(http.StatusUnsupportedMediaType, "media-type", "send application/json")
	}
	if fe := checkJSONText(body); fe != nil {
		return Invalid(*fe)
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

// LooksLikeCardNumber tells whether s holds a full card number, however
// written (see cardnumber.In).
func LooksLikeCardNumber(s string) bool { return cardnumber.In(s) }
