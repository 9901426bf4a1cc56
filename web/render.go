package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// page is what every template gets.
type page struct {
	Title string
	// Area picks the navigation: portal, console or finance.
	Area string
	CSRF string
	// Staff is the logged-in staff member on console pages.
	Staff *staffInfo
	// Shop is the merchant's name on portal pages.
	Shop string
	// Freezes are the refund freezes in force at the member's merchant.
	Freezes []freezeInfo
	// Notice is a confirmation at the top of the page; Problem an error
	// that belongs to no single field.
	Notice  string
	Problem string
	// Fields holds what is wrong with each field of the form that came
	// back; Form the values it held, to show them again.
	Fields map[string]string
	Form   map[string]string
	Dev    bool
	Data   any
}

// Err is the message for a field, if any.
func (p *page) Err(field string) string { return p.Fields[field] }

// Val is the value a field held when its form came back.
func (p *page) Val(field string) string { return p.Form[field] }

type pageTemplate struct{ t *template.Template }

var funcs = template.FuncMap{
	"money": money,
	// amount is an amount as a form field holds it: "50.00", "5000" for
	// JPY, "50.000" for KWD.
	"amount": returns.FormatAmount,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"day":  func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"dur":  humanDuration,
	"pct":  percentText,
	"join": strings.Join,
	"bp":   func(bp int64) string { return fmt.Sprintf("%d.%02d %%", bp/100, bp%100) },
	"newKey": func() string {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	},
	"label": label,
	// shopper is a status in the words shown to shoppers (the portal's
	// pages); staff pages say label.
	"shopper": shopperStatus,
	// refusal is why policy refused a return (or one of its lines), in
	// words.
	"refusal": refusal,
	"deref": func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	},
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"sub":   func(a, b int) int { return a - b },
	"list3": func(a, b, c string) []string { return []string{a, b, c} },
	"seq": func(n int) []int {
		out := make([]int, n+1)
		for i := range out {
			out[i] = i
		}
		return out
	},
}

func mustParsePages() map[string]*pageTemplate {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*pageTemplate{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" {
			continue
		}
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
		pages[strings.TrimSuffix(base, ".html")] = &pageTemplate{t: t}
	}
	return pages
}

// render writes a page; the whole page is rendered before a byte is sent,
// so a template error becomes an error page, not half a page.
func (s *site) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	pt, ok := s.pages[name]
	if !ok {
		panic("web: no template " + name)
	}
	p.Dev = s.deps.Dev
	if p.Fields == nil {
		p.Fields = map[string]string{}
	}
	if p.Form == nil {
		p.Form = map[string]string{}
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		_ = s.pages["error"].t.ExecuteTemplate(&buf, "layout.html", &page{Title: "Error", Area: p.Area,
			Data: errorData{Status: status, Message: "This page could not be shown. Please try again."}})
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorData struct {
	Status  int
	Message string
}

func (s *site) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	area := "console"
	if strings.HasPrefix(r.URL.Path, "/r/") {
		area = "portal"
	}
	s.render(w, r, status, "error", &page{Title: http.StatusText(status), Area: area, Data: errorData{Status: status, Message: msg}})
}

// money shows minor units as an amount with its currency's decimal places
// (ISO 4217: none for JPY, three for KWD), thousands grouped, and the code.
func money(amount int64, currency string) string {
	text := returns.FormatAmount(amount, currency)
	sign := ""
	if t, ok := strings.CutPrefix(text, "-"); ok {
		sign, text = "−", t
	}
	whole, frac, dotted := strings.Cut(text, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if dotted {
		b.WriteString("." + frac)
	}
	return sign + b.String() + " " + currency
}

// label turns a code such as awaiting_review into "Awaiting review".
func label(v any) string {
	code := text(v)
	if code == "" {
		return ""
	}
	s := strings.ReplaceAll(code, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// humanDuration reads a Go duration ("336h0m0s") as people say it.
func humanDuration(v string) string {
	d, err := time.ParseDuration(v)
	if err != nil {
		return v
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return plural(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return d.String()
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// text is a value of a string kind (a status, a method, …) as its string;
// anything else as fmt prints it.
func text(v any) string {
	if r := reflect.ValueOf(v); r.Kind() == reflect.String {
		return r.String()
	}
	return fmt.Sprint(v)
}

// refusals are the policy's refusal codes in the words a page shows.
var refusals = map[string]string{
	returns.RefusedWindow:      "The return window of this order has passed.",
	returns.RefusedCategory:    "This item's category cannot be returned.",
	returns.RefusedQuantity:    "More of this item would come back than was bought.",
	returns.RefusedNothingLeft: "Nothing of this order is left to refund.",
}

func refusal(r returns.Refusal) string {
	if s, ok := refusals[r.Code]; ok {
		return s
	}
	return label(r.Code)
}
