package shipping

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
)

// barcodeModulePixels is how many image pixels one bar module takes. The PDF scales the image to
// its printed size; whole pixels per module keep the bars sharp in viewers that smooth images.
const (
	barcodeModulePixels = 4
	barcodeHeightPixels = 16
)

// barcodeFor encodes the tracking number as a Code 128 barcode, one pixel per module, in 8-bit grey
// (fpdf embeds 8-bit PNGs as they are).
func barcodeFor(tracking string) (barcode.Barcode, error) {
	bc, err := code128.EncodeWithColor(tracking, barcode.ColorScheme8)
	if err != nil {
		return nil, fmt.Errorf("encode tracking number %q as Code 128: %w", tracking, err)
	}
	return bc, nil
}

// barcodePNG is the barcode of the tracking number as the PNG image that the label embeds.
func barcodePNG(tracking string) ([]byte, error) {
	bc, err := barcodeFor(tracking)
	if err != nil {
		return nil, err
	}
	scaled, err := barcode.Scale(bc, bc.Bounds().Dx()*barcodeModulePixels, barcodeHeightPixels)
	if err != nil {
		return nil, fmt.Errorf("scale barcode of %q: %w", tracking, err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, scaled); err != nil {
		return nil, fmt.Errorf("encode barcode of %q as PNG: %w", tracking, err)
	}
	return buf.Bytes(), nil
}
