package shipping

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// LabelData is what a return label shows.
type LabelData struct {
	ReturnID string
	Shipment Shipment
	From     Address // the shopper
	To       Address // the merchant's return address, printed large
}

// The label is a 4x6 inch page, the usual size of thermal label printers. Every block has a fixed
// place and a bounded number of one-line fields, so no address can push the barcode off the page:
// a field too wide for its line is set smaller, then cut short with an ellipsis.
const (
	pageWidth    = 101.6 // mm
	pageHeight   = 152.4 // mm
	margin       = 5.0   // mm
	contentWidth = pageWidth - 2*margin

	barcodeWidth  = 80.0 // mm; leaves a quiet zone of more than ten modules either side
	barcodeHeight = 24.0 // mm

	minFontSize = 6.0 // pt
)

// labelDate is written as the PDF's creation and modification date, so that the same label data
// always gives the same bytes.
var labelDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Label renders the return label as a one-page PDF: the carrier, the return address (To) in large
// type, the sender (From), "Return " and the return id, the tracking number as text and as a Code 128
// barcode, and a line telling the shopper what to do with it. The same data gives the same bytes.
// Page streams are not compressed, so the label's text can be found in the PDF as it is.
func Label(d LabelData) ([]byte, error) {
	returnID := strings.TrimSpace(d.ReturnID)
	carrier := strings.TrimSpace(d.Shipment.Carrier)
	tracking := strings.TrimSpace(d.Shipment.TrackingNumber)
	to := addressLines(d.To)
	switch {
	case returnID == "":
		return nil, errors.New("render label: return id is empty")
	case carrier == "":
		return nil, fmt.Errorf("render label for return %s: carrier is empty", returnID)
	case tracking == "":
		return nil, fmt.Errorf("render label for return %s: tracking number is empty", returnID)
	case len(to) == 0:
		return nil, fmt.Errorf("render label for return %s: return address is empty", returnID)
	}
	barcodeImage, err := barcodePNG(tracking)
	if err != nil {
		return nil, fmt.Errorf("render label for return %s: %w", returnID, err)
	}

	pdf := fpdf.NewCustom(&fpdf.InitType{
		OrientationStr: "P",
		UnitStr:        "mm",
		Size:           fpdf.SizeType{Wd: pageWidth, Ht: pageHeight},
	})
	pdf.SetCompression(false)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(labelDate)
	pdf.SetModificationDate(labelDate)
	pdf.SetTitle("Return label "+returnID, true)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetLineWidth(0.4)
	pdf.AddPage()
	l := &labelPage{pdf: pdf, tr: pdf.UnicodeTranslatorFromDescriptor("")}

	// Carrier, and what kind of parcel this is.
	l.at(margin)
	l.textInWidth(contentWidth-25, carrier, "Helvetica", "B", 16, 8, "L")
	l.pdf.SetXY(pageWidth-margin-25, margin)
	l.textInWidth(25, "RETURN", "Helvetica", "B", 12, 8, "R")
	l.rule(15)

	// Where the parcel goes, large enough to read from across a counter.
	l.at(17)
	l.text("SHIP TO", "B", 7, 3.5)
	for i, s := range to {
		if i == 0 {
			l.text(s, "B", 16, 7)
		} else {
			l.text(s, "", 13, 5.5)
		}
	}
	l.rule(52)

	// Who sends it; the shopper may have given no more than a name.
	if from := addressLines(d.From); len(from) > 0 {
		l.at(54)
		l.text("FROM", "B", 7, 3.5)
		for _, s := range from {
			l.text(s, "", 9, 4)
		}
	}
	l.rule(80)

	l.at(82)
	l.text("Return "+returnID, "", 10, 5)

	// The tracking number, for the scanner and for people.
	l.pdf.RegisterImageOptionsReader("barcode", fpdf.ImageOptions{ImageType: "png"}, bytes.NewReader(barcodeImage))
	l.pdf.ImageOptions("barcode", (pageWidth-barcodeWidth)/2, 95, barcodeWidth, barcodeHeight, false, fpdf.ImageOptions{ImageType: "png"}, 0, "")
	l.at(95 + barcodeHeight + 1)
	l.textInWidth(contentWidth, tracking, "Courier", "B", 14, 7, "C")

	l.at(134)
	l.textAligned("Stick this label on the parcel and hand it in at a drop-off point.", "", 8, 4, "C")

	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("render label for return %s: %w", returnID, err)
	}
	return out.Bytes(), nil
}

// addressLines are the lines of a as printed on a label, in postal order, empty ones left out.
func addressLines(a Address) []string {
	var lines []string
	add := func(s string) {
		if s = strings.Join(strings.Fields(s), " "); s != "" {
			lines = append(lines, s)
		}
	}
	add(a.Name)
	add(a.Line1)
	add(a.Line2)
	add(a.PostalCode + " " + a.City)
	add(strings.ToUpper(a.Country))
	return lines
}

// labelPage draws one-line fields on the label, top to bottom.
type labelPage struct {
	pdf *fpdf.Fpdf
	tr  func(string) string // UTF-8 to Windows-1252, fpdf's own
}

func (l *labelPage) cp1252(s string) string { return cp1252Text(l.tr, s) }

// at moves to the left margin at y mm from the top.
func (l *labelPage) at(y float64) { l.pdf.SetXY(margin, y) }

// rule draws a line across the page at y mm from the top.
func (l *labelPage) rule(y float64) { l.pdf.Line(margin, y, pageWidth-margin, y) }

// text writes s on a line of its own, h mm high, left-aligned.
func (l *labelPage) text(s, style string, size, h float64) {
	l.textAligned(s, style, size, h, "L")
}

func (l *labelPage) textAligned(s, style string, size, h float64, align string) {
	l.pdf.SetX(margin)
	l.textInWidth(contentWidth, s, "Helvetica", style, size, h, align)
	l.pdf.Ln(-1)
}

// textInWidth writes s at the current position, in a cell w mm wide and h mm high, at size pt or
// smaller so that it fits; if it does not fit even at minFontSize, it is cut short.
func (l *labelPage) textInWidth(w float64, s, family, style string, size, h float64, align string) {
	s = l.cp1252(s)
	l.pdf.SetFont(family, style, size)
	for size > minFontSize && l.pdf.GetStringWidth(s) > w {
		size = max(size-0.5, minFontSize)
		l.pdf.SetFontSize(size)
	}
	if l.pdf.GetStringWidth(s) > w {
		const ellipsis = "\x85" // "…" in Windows-1252
		for len(s) > 0 && l.pdf.GetStringWidth(s+ellipsis) > w {
			s = s[:len(s)-1] // one byte is one character in Windows-1252
		}
		s += ellipsis
	}
	l.pdf.CellFormat(w, h, s, "", 0, align, false, 0, "")
}
