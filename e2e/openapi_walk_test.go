package e2e_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file walks api/openapi.yaml for the generated negative test: the
// operations it lists, their parameters and body schemas, a plausible body
// for each and, from that, the bad ones.

// specOp is one operation of the spec.
type specOp struct {
	Method   string
	Path     string
	Params   []specParam
	Body     map[string]any // the JSON body's schema, $refs resolved; nil when none
	BodyKind string         // "json", "multipart" or "" (no body documented)
	Required bool           // the body is required
	Security []string       // the security schemes (any of them), empty when public
	// Responses are the statuses the spec documents.
	Responses []string
}

// specParam is a path, query or header parameter.
type specParam struct {
	Name     string
	In       string
	Required bool
	Schema   map[string]any
}

func (o specOp) String() string { return o.Method + " " + o.Path }

// loadSpec parses the spec and lists its operations, sorted by path and
// method.
func loadSpec(doc []byte) ([]specOp, error) {
	var root map[string]any
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	r := refResolver{root: root}
	paths, _ := root["paths"].(map[string]any)
	var ops []specOp
	for path, item := range paths {
		pi, _ := item.(map[string]any)
		shared := r.params(pi["parameters"])
		for method, raw := range pi {
			m := strings.ToUpper(method)
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m) {
				continue
			}
			op, _ := raw.(map[string]any)
			o := specOp{Method: m, Path: path, Params: append(append([]specParam{}, shared...), r.params(op["parameters"])...)}
			if sec, ok := op["security"].([]any); ok {
				for _, req := range sec {
					for name := range asMap(req) {
						o.Security = append(o.Security, name)
					}
				}
				sort.Strings(o.Security)
			}
			for code := range asMap(op["responses"]) {
				o.Responses = append(o.Responses, code)
			}
			if rb := asMap(r.resolve(op["requestBody"])); rb != nil {
				o.Required, _ = rb["required"].(bool)
				content := asMap(rb["content"])
				switch {
				case content["application/json"] != nil:
					o.BodyKind = "json"
					o.Body = asMap(r.deep(asMap(content["application/json"])["schema"], 0))
				case content["multipart/form-data"] != nil:
					o.BodyKind = "multipart"
					o.Body = asMap(r.deep(asMap(content["multipart/form-data"])["schema"], 0))
				}
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return ops, nil
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

// refResolver follows local $refs (#/components/...).
type refResolver struct{ root map[string]any }

func (r refResolver) resolve(v any) any {
	m := asMap(v)
	ref, ok := m["$ref"].(string)
	if !ok {
		return v
	}
	var cur any = r.root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		cur = asMap(cur)[part]
	}
	return r.resolve(cur)
}

// deep resolves every $ref below v (schemas here do not recurse).
func (r refResolver) deep(v any, depth int) any {
	if depth > 20 {
		return v
	}
	v = r.resolve(v)
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = r.deep(e, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.deep(e, depth+1)
		}
		return out
	}
	return v
}

func (r refResolver) params(v any) []specParam {
	var out []specParam
	list, _ := v.([]any)
	for _, p := range list {
		m := asMap(r.deep(p, 0))
		req, _ := m["required"].(bool)
		out = append(out, specParam{Name: fmt.Sprint(m["name"]), In: fmt.Sprint(m["in"]), Required: req, Schema: asMap(m["schema"])})
	}
	return out
}

// schemaType is a schema's main type ("object" when it has properties).
func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		for _, e := range t {
			if e != "null" {
				return fmt.Sprint(e)
			}
		}
	}
	if s["properties"] != nil {
		return "object"
	}
	return ""
}

// sampleCandidates are tried in turn against a string's pattern.
var sampleCandidates = []string{"neg", "NEG-1", "123456", "EUR", "NEG00001", "x"}

// sample is a plausible value for the schema: enums take their first value,
// objects all their properties.
func sample(s map[string]any) any {
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	switch schemaType(s) {
	case "object":
		out := map[string]any{}
		for k, p := range asMap(s["properties"]) {
			out[k] = sample(asMap(p))
		}
		return out
	case "array":
		return []any{sample(asMap(s["items"]))}
	case "integer", "number":
		if m, ok := s["minimum"].(int); ok && m > 0 {
			return m
		}
		return 1
	case "boolean":
		return false
	case "string":
		switch s["format"] {
		case "uuid":
			return "00000000-0000-4000-8000-000000000001"
		case "date-time":
			return time.Now().UTC().Format(time.RFC3339)
		case "date":
			return time.Now().UTC().Format("2006-01-02")
		case "email":
			return "neg@example.com"
		case "uri":
			return "https://example.com/neg"
		case "binary":
			return "neg"
		}
		v := "neg"
		if p, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err == nil {
				for _, c := range sampleCandidates {
					if re.MatchString(c) {
						v = c
						break
					}
				}
			}
		}
		if n, ok := s["minLength"].(int); ok && len(v) < n {
			v += strings.Repeat("n", n-len(v))
		}
		return v
	}
	return "neg"
}

// rawMark marks where raw bytes (invalid UTF-8, oversize numbers) replace a
// JSON string once the body is marshalled.
const rawMark = "\x01neg-raw-"

// bodyVariant is a JSON body to send, and what is wrong with it.
type bodyVariant struct {
	Label string
	Body  []byte
}

// encode marshals v and puts raws in place of their marks.
func encode(v any, raws map[string]string) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	for mark, raw := range raws {
		q, _ := json.Marshal(mark)
		b = []byte(strings.ReplaceAll(string(b), string(q), raw))
	}
	return b
}

// clone copies a JSON-like value.
func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = clone(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = clone(e)
		}
		return out
	}
	return v
}

// step is one step of a path into a JSON value: a key or an index.
type step struct {
	key   string
	index int
}

func (s step) String() string {
	if s.key == "" {
		return "[" + strconv.Itoa(s.index) + "]"
	}
	return "." + s.key
}

func pathString(p []step) string {
	var b strings.Builder
	for _, s := range p {
		b.WriteString(s.String())
	}
	return strings.TrimPrefix(b.String(), ".")
}

// set replaces (or, with del, removes) the value at path p of doc.
func set(doc any, p []step, v any, del bool) any {
	if len(p) == 0 {
		return v
	}
	switch x := doc.(type) {
	case map[string]any:
		if len(p) == 1 && del {
			delete(x, p[0].key)
			return x
		}
		x[p[0].key] = set(x[p[0].key], p[1:], v, del)
	case []any:
		x[p[0].index] = set(x[p[0].index], p[1:], v, del)
	}
	return doc
}

// oddStrings are the string values every string field is tried with; each
// maps to raw JSON where it cannot be marshalled.
func oddStrings() []struct{ label, raw string } {
	return []struct{ label, raw string }{
		{"empty", `""`},
		{"NUL", `"a\u0000b"`},
		{"invalid UTF-8", "\"a\xff\xfeb\""},
		{"lone surrogate", `"a\ud800b"`},
		{"oversize 100k", `"` + strings.Repeat("A", 100_000) + `"`},
		{"card number", `"4111 1111 1111 1111"`},
		{"non-canonical uuid", `"urn:uuid:00000000-0000-4000-8000-000000000001"`},
		{"markup", `"<script>alert(1)</script>' OR 1=1 --"`},
	}
}

// bodyVariants lists the bad bodies for schema s, built around a plausible
// body: for every field, left out (when required), each wrong type and, for
// strings, each odd value; for every object, odd keys; and bodies wrong as a
// whole; base, when not nil, is that body.
func bodyVariants(s map[string]any, base any) []bodyVariant {
	if base == nil {
		base = sample(s)
	}
	// As plain JSON values ([]any, map[string]any), whatever Go types
	// built it.
	if err := json.Unmarshal(encode(base, nil), &base); err != nil {
		panic(err)
	}
	var out []bodyVariant
	add := func(label string, doc any, raws map[string]string) {
		out = append(out, bodyVariant{Label: label, Body: encode(doc, raws)})
	}
	// Whole-body.
	for _, w := range []struct{ label, raw string }{
		{"no body", ""}, {"null", "null"}, {"array", "[]"}, {"string", `"x"`}, {"number", "1"},
		{"truncated", `{"a":`}, {"two objects", "{}{}"}, {"empty object", "{}"},
		{"deep nesting", strings.Repeat("[", 10000) + strings.Repeat("]", 10000)},
		{"oversize 1.1 MiB", `{"x":"` + strings.Repeat("A", 1_150_000) + `"}`},
		{"invalid UTF-8 outside strings", "\xff\xfe{}"},
		{"NUL byte outside strings", "{\x00}"},
	} {
		out = append(out, bodyVariant{Label: "body " + w.label, Body: []byte(w.raw)})
	}
	var walk func(sch map[string]any, p []step, required bool)
	walk = func(sch map[string]any, p []step, required bool) {
		name := pathString(p)
		if len(p) > 0 {
			if required {
				add(name+": missing", set(clone(base), p, nil, true), nil)
			}
			add(name+": null", set(clone(base), p, nil, false), nil)
			typ := schemaType(sch)
			var wrong []namedValue
			switch typ {
			case "string":
				wrong = append(wrong, namedValue{"number", 12345}, namedValue{"bool", true}, namedValue{"object", map[string]any{}}, namedValue{"array", []any{"x"}})
				if _, ok := sch["enum"]; ok {
					wrong = append(wrong, struct {
						label string
						v     any
					}{"not in enum", "bogus"})
				}
				for i, odd := range oddStrings() {
					mark := rawMark + strconv.Itoa(i)
					add(name+": "+odd.label, set(clone(base), p, mark, false), map[string]string{mark: odd.raw})
				}
			case "integer", "number":
				for _, w := range []struct{ label, raw string }{
					{"string", `"12"`}, {"fraction", "1.5"}, {"negative", "-1"}, {"huge", "1e300"},
					{"past int64", "9223372036854775808"}, {"bool", "true"}, {"zero", "0"},
				} {
					mark := rawMark + "n"
					add(name+": "+w.label, set(clone(base), p, mark, false), map[string]string{mark: w.raw})
				}
			case "boolean":
				wrong = append(wrong, namedValue{"string", "true"}, namedValue{"number", 1})
			case "array":
				wrong = append(wrong, namedValue{"object", map[string]any{}}, namedValue{"string", "x"}, namedValue{"empty", []any{}}, namedValue{"null item", []any{nil}})
				many := make([]any, 3000)
				for i := range many {
					many[i] = sample(asMap(sch["items"]))
				}
				add(name+": 3000 items", set(clone(base), p, many, false), nil)
			case "object":
				wrong = append(wrong, namedValue{"array", []any{}}, namedValue{"string", "x"})
			}
			for _, w := range wrong {
				add(name+": "+w.label, set(clone(base), p, w.v, false), nil)
			}
		}
		switch schemaType(sch) {
		case "object":
			props := asMap(sch["properties"])
			req := map[string]bool{}
			if list, ok := sch["required"].([]any); ok {
				for _, r := range list {
					req[fmt.Sprint(r)] = true
				}
			}
			keys := make([]string, 0, len(props))
			for k := range props {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(asMap(props[k]), append(append([]step{}, p...), step{key: k}), req[k])
			}
			// Odd keys in this object.
			for i, k := range []struct{ label, raw string }{
				{"NUL", `"a\u0000b"`}, {"invalid UTF-8", "\"k\xff\xfe\""}, {"oversize", `"` + strings.Repeat("k", 10_000) + `"`},
				{"card number", `"4111111111111111"`}, {"empty", `""`},
			} {
				doc := clone(base)
				obj := asMap(get(doc, p))
				if obj == nil {
					continue
				}
				mark := rawMark + "key" + strconv.Itoa(i)
				obj[mark] = "v"
				add(pathString(append(append([]step{}, p...), step{key: "{key}"}))+": "+k.label+" key", doc, map[string]string{mark: k.raw})
			}
		case "array":
			walk(asMap(sch["items"]), append(append([]step{}, p...), step{index: 0}), false)
		}
	}
	walk(s, nil, false)
	return out
}

// namedValue is a wrong value and what it is.
type namedValue struct {
	label string
	v     any
}

// get is the value at path p of doc.
func get(doc any, p []step) any {
	for _, s := range p {
		switch x := doc.(type) {
		case map[string]any:
			doc = x[s.key]
		case []any:
			if s.index >= len(x) {
				return nil
			}
			doc = x[s.index]
		default:
			return nil
		}
	}
	return doc
}

// paramValues are the odd values every path or query parameter is tried
// with, already escaped for a URL.
func paramValues(p specParam, valid string) []struct{ label, value string } {
	out := []struct{ label, value string }{
		{"empty", ""},
		{"NUL", "a%00b"},
		{"NUL alone", "%00"},
		{"invalid UTF-8", "%ff%fe"},
		{"oversize 10k", strings.Repeat("A", 10_000)},
		{"dot-dot", ".."},
		{"encoded dot-dot", "%2e%2e"},
		{"card number", "4111111111111111"},
		{"markup", "%3Cscript%3E%27%20OR%201=1--"},
	}
	if p.In == "path" {
		// Not empty: that is another route.
		out = out[1:]
	}
	if valid != "" {
		out = append(out,
			struct{ label, value string }{"urn:uuid form", "urn:uuid:" + valid},
			struct{ label, value string }{"braced", "%7B" + valid + "%7D"},
			struct{ label, value string }{"upper case", strings.ToUpper(valid)},
			struct{ label, value string }{"too long", valid + "0"},
			struct{ label, value string }{"no hyphens", strings.ReplaceAll(valid, "-", "")},
			struct{ label, value string }{"trailing NUL", valid + "%00"},
			struct{ label, value string }{"trailing invalid UTF-8", valid + "%ff"},
		)
	}
	switch schemaType(p.Schema) {
	case "integer", "number":
		out = append(out, []struct{ label, value string }{{"not a number", "abc"}, {"fraction", "1.5"}, {"negative", "-1"},
			{"past int64", "9223372036854775808"}, {"zero", "0"}, {"huge", "99999999999999999999999"}}...)
	case "boolean":
		out = append(out, struct{ label, value string }{"not a boolean", "maybe"})
	}
	if _, ok := p.Schema["enum"]; ok {
		out = append(out, struct{ label, value string }{"not in enum", "bogus"})
	}
	switch p.Schema["format"] {
	case "date":
		out = append(out, []struct{ label, value string }{{"bad date", "2026-13-45"}, {"date-time", "2026-01-01T00:00:00Z"}, {"year 0", "0000-01-01"}, {"year 99999", "99999-01-01"}}...)
	case "uuid":
		out = append(out, []struct{ label, value string }{{"nil uuid", "00000000-0000-0000-0000-000000000000"}, {"not a uuid", "not-a-uuid"}}...)
	}
	return out
}
