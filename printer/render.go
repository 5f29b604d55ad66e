// Package printer prints the resident's receipt: it renders a kiosk.Receipt as a small
// PDF and hands it to CUPS (lp), or writes it to a folder for the demo and testers.
//
// The page is an 80 mm roll, not A6: self-service kiosks carry thermal roll printers
// (80 mm paper, 72 mm printable), and CUPS drivers for them cut the roll at the end of
// each page. A page exactly as long as its content wastes no paper and never splits
// the QR code across a cut; on an A4/A6 office printer the same PDF still prints, just
// with white space around it.
package printer

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/go-pdf/fpdf"

	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/kiosk"
)

// Translator gives the words of the receipt in its language; *i18n.Translator is one,
// the same the screens use, so an amount reads the same on screen and on paper.
type Translator interface {
	T(l kiosk.Language, key string, data map[string]any) string
	Money(l kiosk.Language, avos int) string
}

// Translation keys the receipt uses. app's translation test requires Keys() in every
// language and refuses receipt keys nobody asks for.
const (
	keyBureau    = "receipt.bureau"
	keyHeading   = "receipt.heading"
	keyService   = "receipt.service"
	keyFee       = "receipt.fee"
	keyFree      = "receipt.free"
	keyAt        = "receipt.at"
	keyKiosk     = "receipt.kiosk"
	keyReference = "receipt.reference"
	keyKeep      = "receipt.keep"
)

// serviceNameKey names a service as a receipt states it ("Identity card renewal"),
// not as the menu offers it ("Renew my identity card").
func serviceNameKey(s kiosk.ServiceID) string { return "receipt.service_name." + string(s) }

// Keys lists every translation key the receipt asks for itself (amounts come from
// Translator.Money, whose keys are i18n.FormatKeys).
func Keys() []string {
	keys := []string{keyBureau, keyHeading, keyService, keyFee, keyFree, keyAt, keyKiosk, keyReference, keyKeep}
	for _, s := range kiosk.Services {
		keys = append(keys, serviceNameKey(s))
	}
	return keys
}

// Page geometry in millimetres.
const (
	pageWidth    = 80.0
	margin       = 4.0 // 72 mm printable on 80 mm thermal paper
	textWidth    = pageWidth - 2*margin
	maxReference = 40   // characters; the QR stays version 2-3 and the text fits one line
	qrSize       = 34.0 // QR side; modules ≈1.4 mm at 25 modules, easy for any phone
)

// Renderer lays out a receipt. Words is required; Font defaults to the bundled CJK
// font, which has the Latin, Portuguese and Traditional Chinese glyphs of all three
// languages.
type Renderer struct {
	Words Translator
	Font  []byte
}

// Render returns the receipt as a one-page PDF. The same receipt always gives the
// same bytes (the PDF's dates are the receipt's time), so output can be compared.
func (rd Renderer) Render(r kiosk.Receipt) (_ []byte, err error) {
	// fpdf panics on some malformed input instead of returning an error; a receipt
	// must never take the kiosk down with it.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("receipt: PDF library failed: %v", p)
		}
	}()
	if rd.Words == nil {
		return nil, fmt.Errorf("receipt: no translator")
	}
	if r.Reference == "" {
		return nil, fmt.Errorf("receipt: empty reference")
	}
	// References are short ASCII ("260514-7KQ2M4PT-X"); anything else is a bug
	// upstream, and refusing it keeps free text (possibly personal) off the paper.
	if len(r.Reference) > maxReference || strings.IndexFunc(r.Reference, func(c rune) bool { return c < '!' || c > '~' }) >= 0 {
		return nil, fmt.Errorf("receipt: reference is not up to %d printable ASCII characters", maxReference)
	}
	if !r.Language.Valid() {
		return nil, fmt.Errorf("receipt: unknown language %q", r.Language)
	}
	if !knownService(r.Service) {
		return nil, fmt.Errorf("receipt: unknown service %q", r.Service)
	}
	if r.At.IsZero() {
		return nil, fmt.Errorf("receipt: no time")
	}
	code, qerr := qr.Encode(r.Reference, qr.M, qr.AlphaNumeric)
	if err != nil {
		return nil, fmt.Errorf("receipt: QR code: %w", qerr)
	}
	font := rd.Font
	if font == nil {
		font = assets.CJKFont()
	} else if err := checkCJKFont(font); err != nil {
		return nil, fmt.Errorf("receipt: font: %w", err)
	}
	l := layout{r: r, words: rd.Words, qr: code}

	// Measure first on a scratch document, then draw on a page exactly that long.
	height, err := measureHeight(l, font, rd.Font == nil)
	if err != nil {
		return nil, err
	}
	pdf := newDoc(font, height)
	pdf.SetCreationDate(r.At)
	pdf.SetModificationDate(r.At)
	pdf.SetTitle(l.t(keyHeading)+" "+r.Reference, true)
	pdf.SetCreator("DSI kiosk", true)
	pdf.SetProducer("DSI kiosk", true)
	pdf.AddPage()
	l.run(pdf, true)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("receipt: writing PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// bundledMeasure is a measuring document with the bundled fonts already parsed:
// parsing the 4 MB CJK font is most of a render's time and memory, and measuring
// needs no page, so one document serves every receipt (one at a time).
var bundledMeasure struct {
	sync.Mutex
	pdf *fpdf.Fpdf
}

func measureHeight(l layout, font []byte, bundled bool) (float64, error) {
	var pdf *fpdf.Fpdf
	if bundled {
		bundledMeasure.Lock()
		defer bundledMeasure.Unlock()
		if bundledMeasure.pdf == nil {
			bundledMeasure.pdf = newDoc(font, 400)
		}
		pdf = bundledMeasure.pdf
	} else {
		pdf = newDoc(font, 400)
	}
	height := l.run(pdf, false) + margin
	if err := pdf.Error(); err != nil {
		if bundled {
			bundledMeasure.pdf = nil // do not keep a broken document
		}
		return 0, fmt.Errorf("receipt: font: %w", err)
	}
	return height, nil
}

func newDoc(font []byte, height float64) *fpdf.Fpdf {
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: pageWidth, Ht: height}})
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCatalogSort(true)
	addFonts(pdf, font)
	pdf.SetFont(fontLatin, "", 10)
	return pdf
}

// layout draws (or only measures, when draw is false) the receipt top to bottom and
// returns where it ended. One code path for both keeps the page length honest.
type layout struct {
	r     kiosk.Receipt
	words Translator
	qr    barcode.Barcode
}

func (l layout) t(key string) string { return l.words.T(l.r.Language, key, nil) }

// money is the fee as the screens write it; a free service says so in words.
func (l layout) money(avos int) string {
	if avos == 0 {
		return l.t(keyFree)
	}
	return l.words.Money(l.r.Language, avos)
}

// lineHeight is the advance of one line of text at size pt, in mm.
func lineHeight(pt float64) float64 { return pt * mmPerPt * 1.3 }

const mmPerPt = 25.4 / 72

func (l layout) run(pdf *fpdf.Fpdf, draw bool) float64 {
	w := writer{pdf: pdf, draw: draw}
	y := margin
	rule := func(gap float64) {
		y += gap
		if draw {
			pdf.SetLineWidth(0.3)
			pdf.Line(margin, y, pageWidth-margin, y)
		}
		y += gap
	}

	y += w.text(l.t(keyBureau), fontLatinBold, 13, margin, textWidth, true, y)
	y += 0.5
	y += w.text(l.t(keyHeading), fontLatin, 9, margin, textWidth, true, y)
	rule(2.5)

	// Label and value side by side; either may wrap (Portuguese labels are long).
	const labelWidth = 25.0
	row := func(label, value string) {
		hl := w.text(label, fontLatin, 8, margin, labelWidth-1.5, false, y+0.4)
		hv := w.text(value, fontLatin, 10, margin+labelWidth, textWidth-labelWidth, false, y)
		y += max(hl+0.4, hv) + 1.2
	}
	row(l.t(keyService), l.t(serviceNameKey(l.r.Service)))
	row(l.t(keyFee), l.money(l.r.Fee))
	row(l.t(keyAt), l.r.At.In(kiosk.MacauTime).Format("2006-01-02 15:04"))
	row(l.t(keyKiosk), l.r.KioskID)
	rule(1.5)

	y += w.text(l.t(keyReference), fontLatin, 9, margin, textWidth, true, y) + 0.5
	// The reference in a bold monospace, as large as fits on one line: staff type it
	// at the counter, and a monospace keeps every character distinct and countable.
	pt := 18.0
	for pt > 8 && w.width(l.r.Reference, fontMono, pt) > textWidth {
		pt -= 0.5
	}
	y += w.text(l.r.Reference, fontMono, pt, margin, textWidth, true, y) + 2

	if draw {
		drawQR(pdf, l.qr, (pageWidth-qrSize)/2, y, qrSize)
	}
	y += qrSize + 3
	y += w.text(l.t(keyKeep), fontLatin, 8, margin, textWidth, true, y)
	return y
}

// drawQR draws the code's dark modules as filled rectangles (vector, so it stays sharp
// at any printer resolution), one rectangle per horizontal run.
func drawQR(pdf *fpdf.Fpdf, code barcode.Barcode, x, y, size float64) {
	b := code.Bounds()
	n := b.Dx()
	m := size / float64(n)
	pdf.SetFillColor(0, 0, 0)
	dark := func(i, j int) bool {
		r, _, _, _ := code.At(b.Min.X+i, b.Min.Y+j).RGBA()
		return r < 0x8000
	}
	for j := 0; j < b.Dy(); j++ {
		for i := 0; i < n; {
			if !dark(i, j) {
				i++
				continue
			}
			start := i
			for i < n && dark(i, j) {
				i++
			}
			// A hair of overlap hides the seams some rasterisers leave between rows.
			pdf.Rect(x+float64(start)*m, y+float64(j)*m, float64(i-start)*m, m+0.02, "F")
		}
	}
}

func knownService(s kiosk.ServiceID) bool {
	for _, x := range kiosk.Services {
		if x == s {
			return true
		}
	}
	return false
}
