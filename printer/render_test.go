package printer

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/boombuler/barcode/qr"

	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
)

func translator(t testing.TB) *i18n.Translator {
	t.Helper()
	tr, err := i18n.NewTranslator(assets.Translations())
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// at is 2026-05-14 10:32 in Macau (02:32 UTC): the receipt must show Macau time.
var at = time.Date(2026, 5, 14, 2, 32, 7, 0, time.UTC)

func receipt(l kiosk.Language, s kiosk.ServiceID) kiosk.Receipt {
	return kiosk.Receipt{Reference: "260514-7KQ2M4PT-X", Service: s, Fee: kiosk.DefaultFees[s],
		At: at, Language: l, KioskID: "kiosk-dev-01"}
}

// pdftotext returns the text of a PDF as poppler reads it, or skips if poppler-utils
// is not installed (packaging/setup-debian.sh installs it on dev and CI machines).
func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils): text check skipped")
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-raw", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

var mediaBox = regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`)

func TestRenderEveryLanguageAndService(t *testing.T) {
	tr := translator(t)
	rd := Renderer{Words: tr}
	for _, l := range kiosk.Languages {
		for _, s := range kiosk.Services {
			t.Run(string(l)+"/"+string(s), func(t *testing.T) {
				r := receipt(l, s)
				pdf, err := rd.Render(r)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(pdf, []byte("%PDF-1.")) || !bytes.Contains(pdf[len(pdf)-16:], []byte("%%EOF")) {
					t.Fatalf("not a PDF: starts %q", pdf[:min(16, len(pdf))])
				}
				// The CJK font is embedded (as a subset), so any printer renders it.
				for _, want := range []string{"/FontFile2", "/Type0", "/ToUnicode"} {
					if !bytes.Contains(pdf, []byte(want)) {
						t.Errorf("PDF lacks %s: font not embedded", want)
					}
				}
				// One page, 80 mm (226.77 pt) wide, as long as its content.
				m := mediaBox.FindAllSubmatch(pdf, -1)
				if len(m) != 1 {
					t.Fatalf("want 1 page, MediaBoxes %q", m)
				}
				var w, h float64
				fmt.Sscan(string(m[0][1]), &w)
				fmt.Sscan(string(m[0][2]), &h)
				if w < 226 || w > 227.5 || h < 250 || h > 600 {
					t.Errorf("page %.1f x %.1f pt, want 226.8 wide and 90-210 mm long", w, h)
				}
				if len(pdf) > 200_000 {
					t.Errorf("PDF is %d bytes: the font subset is not working", len(pdf))
				}

				text := squash(pdftotext(t, pdf))
				for _, want := range []string{
					tr.T(l, "receipt.bureau", nil), tr.T(l, "receipt.reference", nil),
					tr.T(l, serviceNameKey(s), nil), tr.T(l, "receipt.at", nil),
					r.Reference, "2026-05-14 10:32", "kiosk-dev-01",
				} {
					if !strings.Contains(text, squash(want)) {
						t.Errorf("receipt text lacks %q:\n%s", want, text)
					}
				}
			})
		}
	}
}

// squash drops white space: pdftotext breaks wrapped lines where the layout did.
// (-raw keeps the drawing order, so a wrapped label is not interleaved with its value.)
func squash(s string) string { return strings.Join(strings.Fields(s), "") }

func TestRenderFee(t *testing.T) {
	tr := translator(t)
	for _, tc := range []struct {
		lang kiosk.Language
		avos int
		want string
	}{
		{kiosk.LangEN, 400_00, "MOP 400.00"},
		{kiosk.LangPT, 120_50, "120,50 patacas"},
		{kiosk.LangZhHant, 150_00, "澳門元 150.00"},
		{kiosk.LangEN, 0, "Free of charge"},
		{kiosk.LangZhHant, 0, "免費"},
	} {
		l := layout{r: kiosk.Receipt{Language: tc.lang}, words: tr}
		if got := l.money(tc.avos); got != tc.want {
			t.Errorf("money(%s, %d) = %q, want %q", tc.lang, tc.avos, got, tc.want)
		}
		r := receipt(tc.lang, kiosk.ServicePassport)
		r.Fee = tc.avos
		pdf, err := Renderer{Words: tr}.Render(r)
		if err != nil {
			t.Fatal(err)
		}
		if text := squash(pdftotext(t, pdf)); !strings.Contains(text, squash(tc.want)) {
			t.Errorf("%s fee %d: receipt lacks %q:\n%s", tc.lang, tc.avos, tc.want, text)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	rd := Renderer{Words: translator(t)}
	r := receipt(kiosk.LangZhHant, kiosk.ServiceIDRenewal)
	a, err := rd.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rd.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the same receipt rendered to different bytes")
	}
	r.Reference = "260514-7KQ2M4PU-A"
	c, err := rd.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Error("a different reference rendered to the same bytes")
	}
}

func TestRenderRefusesBadReceipts(t *testing.T) {
	tr := translator(t)
	good := receipt(kiosk.LangEN, kiosk.ServicePassport)
	for _, tc := range []struct {
		name string
		rd   Renderer
		edit func(*kiosk.Receipt)
		want string
	}{
		{"no translator", Renderer{}, func(*kiosk.Receipt) {}, "no translator"},
		{"no reference", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Reference = "" }, "empty reference"},
		{"language", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Language = "fr" }, "unknown language"},
		{"service", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Service = "visa" }, "unknown service"},
		{"time", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.At = time.Time{} }, "no time"},
		{"font", Renderer{Words: tr, Font: []byte("not a font")}, func(*kiosk.Receipt) {}, "font"},
		{"reference too long", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Reference = strings.Repeat("A", 41) }, "printable ASCII"},
		{"reference with a name", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Reference = "陳大文" }, "printable ASCII"},
		{"reference with spaces", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Reference = "CHAN TAI MAN" }, "printable ASCII"},
	} {
		r := good
		tc.edit(&r)
		pdf, err := tc.rd.Render(r)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v (%d bytes), want error with %q", tc.name, err, len(pdf), tc.want)
		}
	}
}

// recorder notes every key the receipt asks for.
type recorder struct {
	*i18n.Translator
	asked map[string]bool
}

func (r recorder) T(l kiosk.Language, key string, data map[string]any) string {
	r.asked[key] = true
	return r.Translator.T(l, key, data)
}

// Keys() is what app's translation test requires: it must be exactly what Render asks
// for, or a key could be missing from a language (or left unused) unnoticed.
func TestKeysAreExactlyWhatRenderAsks(t *testing.T) {
	rec := recorder{translator(t), map[string]bool{}}
	for _, s := range kiosk.Services {
		for _, fee := range []int{0, 120_00} {
			r := receipt(kiosk.LangEN, s)
			r.Fee = fee
			if _, err := (Renderer{Words: rec}).Render(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	var asked []string
	for k := range rec.asked {
		asked = append(asked, k)
	}
	keys := Keys()
	sort.Strings(asked)
	sort.Strings(keys)
	if !reflect.DeepEqual(asked, keys) {
		t.Errorf("Render asks for\n%v\nKeys() lists\n%v", asked, keys)
	}
}

// The receipt carries no personal data because kiosk.Receipt has none. If a field is
// added there, this test makes someone decide whether it may be printed.
func TestReceiptHasNoPersonalData(t *testing.T) {
	var fields []string
	rt := reflect.TypeOf(kiosk.Receipt{})
	for i := 0; i < rt.NumField(); i++ {
		fields = append(fields, rt.Field(i).Name)
	}
	want := "Reference,Service,Fee,At,Language,KioskID"
	if got := strings.Join(fields, ","); got != want {
		t.Errorf("kiosk.Receipt fields are %s, the printer was reviewed for %s: check that nothing personal is printed, then update this test", got, want)
	}
}

// rasterise renders page 1 of a PDF to a PNG at dpi with pdftoppm.
func rasterise(t *testing.T, pdf []byte, dpi int) image.Image {
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

func darkAt(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return (r+g+b)/3 < 0x8000
}

// The printed QR code, read back from the raster module by module, is the reference.
// This is what a phone or the counter's scanner sees.
func TestRasterQRIsTheReference(t *testing.T) {
	tr := translator(t)
	const dpi = 300
	px := func(mm float64) int { return int(mm / 25.4 * dpi) }
	for _, l := range kiosk.Languages {
		t.Run(string(l), func(t *testing.T) {
			r := receipt(l, kiosk.ServicePassport)
			pdf, err := Renderer{Words: tr}.Render(r)
			if err != nil {
				t.Fatal(err)
			}
			img := rasterise(t, pdf, dpi)
			if got, want := img.Bounds().Dx(), px(pageWidth); got < want-2 || got > want+2 {
				t.Errorf("raster is %d px wide, want %d (80 mm at %d dpi)", got, want, dpi)
			}
			code, err := qr.Encode(r.Reference, qr.M, qr.AlphaNumeric)
			if err != nil {
				t.Fatal(err)
			}
			n := code.Bounds().Dx()
			module := qrSize / float64(n)
			// The finder pattern's left edge is a dark run 7 modules tall; glyph strokes
			// above it are far shorter. Its top is the top of the code.
			x0 := (pageWidth - qrSize) / 2
			col := px(x0 + module/2)
			top, run := -1, 0
			for y := 0; y < img.Bounds().Dy(); y++ {
				if darkAt(img, col, y) {
					run++
					if run >= px(6.5*module) {
						top = y - run + 1
						break
					}
				} else {
					run = 0
				}
			}
			if top < 0 {
				t.Fatal("no QR finder pattern found")
			}
			wrong := 0
			for j := 0; j < n; j++ {
				for i := 0; i < n; i++ {
					x := px(x0 + (float64(i)+0.5)*module)
					y := top + px((float64(j)+0.5)*module)
					cr, _, _, _ := code.At(i, j).RGBA()
					if darkAt(img, x, y) != (cr < 0x8000) {
						wrong++
					}
				}
			}
			if wrong > 0 {
				t.Errorf("%d of %d QR modules differ from the reference's code", wrong, n*n)
			}
			// Nothing but white around the code (its quiet zone, 2 modules here).
			for _, y := range []int{top - px(1.5*module), top + px((float64(n)+1.5)*module)} {
				for x := px(x0 - 2*module); x < px(x0+qrSize+2*module); x++ {
					if darkAt(img, x, y) {
						t.Fatalf("ink in the QR quiet zone at (%d, %d)", x, y)
					}
				}
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	rd := Renderer{Words: translator(b)}
	for _, l := range kiosk.Languages {
		b.Run(string(l), func(b *testing.B) {
			r := receipt(l, kiosk.ServiceTravelPermit)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rd.Render(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
