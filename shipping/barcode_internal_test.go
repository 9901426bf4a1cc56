package shipping

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
)

func isBar(c color.Color) bool {
	return color.GrayModel.Convert(c).(color.Gray).Y < 128
}

// The barcode printed on the label must scan as exactly the tracking number: the image embedded in
// the PDF has, module for module, the bars of an independent Code 128 encoding of it.
func TestBarcodeEncodesExactlyTheTrackingNumber(t *testing.T) {
	t.Parallel()
	for _, tracking := range []string{"RB36528388980", "RB00000000000", "1Z999AA10123456784"} {
		bc, err := barcodeFor(tracking)
		if err != nil {
			t.Fatalf("barcodeFor(%q): %v", tracking, err)
		}
		if bc.Content() != tracking {
			t.Errorf("barcode content = %q, want %q", bc.Content(), tracking)
		}
		if kind := bc.Metadata().CodeKind; kind != barcode.TypeCode128 {
			t.Errorf("barcode kind = %q, want %q", kind, barcode.TypeCode128)
		}

		want, err := code128.Encode(tracking)
		if err != nil {
			t.Fatalf("code128.Encode(%q): %v", tracking, err)
		}
		modules := want.Bounds().Dx()

		data, err := barcodePNG(tracking)
		if err != nil {
			t.Fatalf("barcodePNG(%q): %v", tracking, err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("decode barcode PNG: %v", err)
		}
		if _, ok := img.(*image.Gray); !ok {
			t.Errorf("barcode PNG is %T, want 8-bit grey (*image.Gray)", img)
		}
		b := img.Bounds()
		if b.Dx() != modules*barcodeModulePixels {
			t.Fatalf("barcode image is %d pixels wide, want %d modules of %d pixels", b.Dx(), modules, barcodeModulePixels)
		}
		for x := 0; x < b.Dx(); x++ {
			wantBar := isBar(want.At(x/barcodeModulePixels, 0))
			for _, y := range []int{b.Min.Y, b.Max.Y - 1} {
				if got := isBar(img.At(x, y)); got != wantBar {
					t.Fatalf("%q: pixel (%d,%d) bar = %v, want %v", tracking, x, y, got, wantBar)
				}
			}
		}
	}
}
