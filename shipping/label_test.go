package shipping_test

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/rebound-returns/rebound/shipping"
)

func labelData() shipping.LabelData {
	return shipping.LabelData{
		ReturnID: "0b6f8a52-3c1e-4d7a-9f57-2a8e6c1d4b90",
		Shipment: shipping.Shipment{Carrier: "rebound-sim", TrackingNumber: "RB36528388980"},
		From:     shipping.Address{Name: "Jana Novak", Line1: "Lindenweg 5", PostalCode: "10115", City: "Berlin", Country: "Germany"},
		To: shipping.Address{
			Name:       "Acme Returns Centre",
			Line1:      "Hafenstrasse 12",
			Line2:      "Gate 4",
			PostalCode: "20457",
			City:       "Hamburg",
			Country:    "Germany",
		},
	}
}

func renderLabel(t *testing.T, d shipping.LabelData) []byte {
	t.Helper()
	pdf, err := shipping.Label(d)
	if err != nil {
		t.Fatalf("Label: %v", err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("label does not start with %%PDF-: %q", pdf[:min(len(pdf), 16)])
	}
	if !bytes.HasSuffix(bytes.TrimRight(pdf, "\r\n"), []byte("%%EOF")) {
		t.Fatalf("label does not end with %%%%EOF: %q", pdf[max(0, len(pdf)-16):])
	}
	return pdf
}

// textCell matches a line of text as fpdf writes it in an uncompressed page stream.
var textCell = regexp.MustCompile(`BT ([0-9.]+) ([0-9.]+) Td \(((?:[^()\\]|\\.)*)\) ?Tj ET`)

// textLine is a line of text on a label, with its height above the bottom of the page in points.
type textLine struct {
	text string
	y    float64
}

// textLines are the lines of text on a label, in the order they are drawn.
func textLines(t *testing.T, pdf []byte) []textLine {
	t.Helper()
	var lines []textLine
	for _, m := range textCell.FindAllSubmatch(pdf, -1) {
		y, err := strconv.ParseFloat(string(m[2]), 64)
		if err != nil {
			t.Fatalf("text position %q: %v", m[2], err)
		}
		lines = append(lines, textLine{text: string(m[3]), y: y})
	}
	return lines
}

func lineY(t *testing.T, lines []textLine, text string) float64 {
	t.Helper()
	for _, l := range lines {
		if l.text == text {
			return l.y
		}
	}
	t.Fatalf("no line %q on the label; lines: %+v", text, lines)
	return 0
}

func TestLabelShowsTheShipment(t *testing.T) {
	t.Parallel()
	d := labelData()
	pdf := renderLabel(t, d)
	lines := textLines(t, pdf)

	for _, want := range []string{
		"rebound-sim",
		"Acme Returns Centre", "Hafenstrasse 12", "Gate 4", "20457 Hamburg", "GERMANY",
		"Jana Novak", "Lindenweg 5", "10115 Berlin",
		"Return 0b6f8a52-3c1e-4d7a-9f57-2a8e6c1d4b90",
		"RB36528388980",
	} {
		lineY(t, lines, want)
	}
	if !bytes.Contains(pdf, []byte("/Subtype /Image")) {
		t.Error("label embeds no image: the barcode is missing")
	}
	if n := bytes.Count(pdf, []byte("/Type /Page\n")); n != 1 {
		t.Errorf("label has %d pages, want 1", n)
	}

	// The return address comes first and is the largest text on the label.
	if to, from := lineY(t, lines, "Acme Returns Centre"), lineY(t, lines, "Jana Novak"); to <= from {
		t.Errorf("return address at y=%v is not above the sender at y=%v", to, from)
	}
}

func TestLabelLeavesNoBlankLineForAnEmptyField(t *testing.T) {
	t.Parallel()
	full := textLines(t, renderLabel(t, labelData()))
	gap := lineY(t, full, "Gate 4") - lineY(t, full, "20457 Hamburg")

	d := labelData()
	d.To.Line2 = ""
	d.From = shipping.Address{Name: "Jana Novak"} // the shopper gave only a name
	lines := textLines(t, renderLabel(t, d))

	if got := lineY(t, lines, "Hafenstrasse 12") - lineY(t, lines, "20457 Hamburg"); math.Abs(got-gap) > 0.01 {
		t.Errorf("without Line2 the city is %vpt below Line1, want %vpt (one line)", got, gap)
	}
	for _, l := range lines {
		if l.text == "" {
			t.Errorf("empty text line at y=%v", l.y)
		}
	}
	if len(lines) != len(full)-4 { // Line2, and the sender's street, city and country
		t.Errorf("label has %d lines of text, want %d", len(lines), len(full)-4)
	}
}

func TestLabelRendersNonASCIIAddresses(t *testing.T) {
	t.Parallel()
	d := labelData()
	d.From = shipping.Address{Name: "Zoë Dvořák", Line1: "Łąkowa 3", City: "Kraków", Country: "Polska"}
	d.To.Name = "Müller Retouren"
	d.To.Line1 = "Königstraße 7"
	d.To.Line2 = "北京路 8号"
	pdf := renderLabel(t, d)
	lines := textLines(t, pdf)

	// The core fonts speak Windows-1252: what it has is kept, other accents are dropped, and the
	// rest is marked with "?".
	for _, want := range []string{
		"M\xfcller Retouren",  // Müller
		"K\xf6nigstra\xdfe 7", // Königstraße
		"Zo\xeb Dvor\xe1k",    // Zoë Dvořák
		"Lakowa 3",            // Łąkowa
		"Krak\xf3w",           // Kraków
		"??? 8?",
	} {
		lineY(t, lines, want)
	}
}

func TestLabelIsReproducible(t *testing.T) {
	t.Parallel()
	first := renderLabel(t, labelData())
	if again := renderLabel(t, labelData()); !bytes.Equal(first, again) {
		t.Fatal("the same label data gave different PDFs")
	}
}

func TestLabelFitsLongFieldsOnTheLine(t *testing.T) {
	t.Parallel()
	d := labelData()
	long := "Returns Department, Building C, Logistics Park North, Unit 4711 (ring twice please)"
	d.To.Line1 = long
	pdf := renderLabel(t, d)
	for _, l := range textLines(t, pdf) {
		if l.text == long {
			t.Fatalf("a line of %d characters was printed whole at 13pt; it cannot fit on a 4in label", len(long))
		}
	}
	if !bytes.Contains(pdf, []byte("Returns Department")) {
		t.Error("the start of a long line is missing")
	}
	if !bytes.Contains(pdf, []byte("RB36528388980")) {
		t.Error("the tracking number is missing after a long address")
	}
}

func TestLabelRefusesIncompleteData(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*shipping.LabelData){
		"no return id":       func(d *shipping.LabelData) { d.ReturnID = "" },
		"no carrier":         func(d *shipping.LabelData) { d.Shipment.Carrier = "" },
		"no tracking number": func(d *shipping.LabelData) { d.Shipment.TrackingNumber = " " },
		"no return address":  func(d *shipping.LabelData) { d.To = shipping.Address{} },
		"tracking number not encodable": func(d *shipping.LabelData) {
			d.Shipment.TrackingNumber = "RB€1"
		},
	} {
		d := labelData()
		change(&d)
		if pdf, err := shipping.Label(d); err == nil {
			t.Errorf("%s: Label gave %d bytes, want an error", name, len(pdf))
		}
	}
}
