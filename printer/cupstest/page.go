package cupstest

// Reading a printed page back, as a scanner and an eye see it: cups-pdf makes its PDF
// again from PostScript, which keeps the glyphs but not their Unicode text, so tests
// rasterise the page, read its codes and compare its ink with the receipt they meant
// to print (printer's own tests and the kiosk's end-to-end tests share these).

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Rasterise renders page 1 of a PDF to a PNG at dpi with pdftoppm.
func Rasterise(t testing.TB, pdf []byte, dpi int) image.Image {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed (poppler-utils): raster check skipped")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", fmt.Sprint(dpi), "-singlefile", in, filepath.Join(dir, "r")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "r.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if d := os.Getenv("PRINTER_SAMPLES_DIR"); d != "" {
		name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + ".png"
		if err := os.WriteFile(filepath.Join(d, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// DarkAt says whether the pixel at x, y is ink (darker than mid-grey).
func DarkAt(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return (r+g+b)/3 < 0x8000
}

// Decode reads the page's QR code and Code 128 barcode as a phone and the counter's
// scanner would: from the raster, with a barcode decoder that knows nothing of how
// they were drawn.
func Decode(t testing.TB, img image.Image) (qrText, barText string) {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	if res, err := qrcode.NewQRCodeReader().Decode(bmp, hints); err != nil {
		t.Errorf("no QR code read: %v", err)
	} else {
		qrText = res.GetText()
	}
	if res, err := oned.NewCode128Reader().Decode(bmp, hints); err != nil {
		t.Errorf("no Code 128 barcode read: %v", err)
	} else {
		barText = res.GetText()
	}
	return qrText, barText
}

// InkDiff compares two pages by their ink: each is cropped to its dark pixels' bounding
// box (the printed page is the receipt placed on a larger sheet), and the result is
// the share of dark pixels in either with no dark pixel within one pixel in the other
// (so that two rasterisers' anti-aliasing is no difference), or 1 if the boxes differ
// in size.
func InkDiff(a, b image.Image) float64 {
	ba, bb := inkBox(a), inkBox(b)
	if ba.Empty() || bb.Empty() || abs(ba.Dx()-bb.Dx()) > 3 || abs(ba.Dy()-bb.Dy()) > 3 {
		return 1
	}
	w, h := min(ba.Dx(), bb.Dx()), min(ba.Dy(), bb.Dy())
	near := func(img image.Image, o image.Point, x, y int) bool {
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if DarkAt(img, o.X+x+dx, o.Y+y+dy) {
					return true
				}
			}
		}
		return false
	}
	differ, ink := 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			da, db := DarkAt(a, ba.Min.X+x, ba.Min.Y+y), DarkAt(b, bb.Min.X+x, bb.Min.Y+y)
			if da || db {
				ink++
			}
			if da && !near(b, bb.Min, x, y) || db && !near(a, ba.Min, x, y) {
				differ++
			}
		}
	}
	return float64(differ) / float64(ink)
}

func inkBox(img image.Image) image.Rectangle {
	r := image.Rectangle{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if DarkAt(img, x, y) {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
