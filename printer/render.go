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
	"image"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
	"github.com/go-pdf/fpdf"

	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/kiosk"
)

// Translator gives the words of the receipt in its language; *i18n.Translator is one,
// the same the screens use, so an amount or a date reads the same on screen and on
// paper.
type Translator interface {
	T(l kiosk.Language, key string, data map[string]any) string
	Money(l kiosk.Language, avos int) string
	Date(l kiosk.Language, d kiosk.Date) string
}

// Translation keys the receipt uses. app's translation test requires Keys() in every
// language and refuses receipt keys nobody asks for.
const (
	keyBureau      = "receipt.bureau"
	keyHeading     = "receipt.heading"
	keyService     = "receipt.service"
	keyOffice      = "receipt.office"
	keyCollectFrom = "receipt.collect_from"
	keyCollectSMS  = "receipt.collect_sms"
	keyFee         = "receipt.fee"
	keyFree        = "receipt.free"
	keyPayment     = "receipt.payment"
	keyUnpaid      = "receipt.unpaid"
	keyAt          = "receipt.at"
	keyKiosk       = "receipt.kiosk"
	keyReference   = "receipt.reference"
	keyKeep        = "receipt.keep"
	keyDemo        = "receipt.demo"
)

// serviceNameKey names a service as a receipt states it ("Identity card renewal"),
// not as the menu offers it ("Renew my identity card").
func serviceNameKey(s kiosk.ServiceID) string { return "receipt.service_name." + string(s) }

// paidKey says "paid" and how: "Paid (card terminal)".
func paidKey(m kiosk.PaymentMethod) string { return "receipt.paid." + string(m) }

var paymentMethods = []kiosk.PaymentMethod{kiosk.PaymentQR, kiosk.PaymentCard}

// officeKey names a collection office with the form's own option key, so the office
// reads the same on the form, the summary and the receipt.
func officeKey(id string) string {
	return string(kiosk.OptionKey(kiosk.FieldCollectionOffice, id))
}

// Keys lists every translation key the receipt asks for itself (amounts and dates come
// from Translator.Money and Date, whose keys are i18n.FormatKeys).
func Keys() []string {
	keys := []string{keyBureau, keyHeading, keyService, keyOffice, keyCollectFrom, keyCollectSMS,
		keyFee, keyFree, keyPayment, keyUnpaid, keyAt, keyKiosk, keyReference, keyKeep, keyDemo}
	for _, s := range kiosk.Services {
		keys = append(keys, serviceNameKey(s))
	}
	for _, m := range paymentMethods {
		keys = append(keys, paidKey(m))
	}
	for _, o := range kiosk.CollectionOffices {
		keys = append(keys, officeKey(o))
	}
	return keys
}

// Page geometry in millimetres.
const (
	pageWidth    = 80.0
	margin       = 4.0 // 72 mm printable on 80 mm thermal paper
	textWidth    = pageWidth - 2*margin
	maxReference = 20   // characters: Code 128 bars 2 dots wide still fit (17 are used)
	maxVerifyURL = 200  // bytes; a QR code of this stays version 10 or less
	qrSize       = 34.0 // QR side; modules ≥1 mm up to version 6 (a 90-byte URL)
	barHeight    = 12.0 // Code 128 bars
	// dot is one dot of a 203 dpi thermal head: bars a whole number of dots wide
	// print with every module the same width, which is what scanners need.
	dot = 25.4 / 203
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
	if err := check(r); err != nil {
		return nil, err
	}
	l := layout{r: r, words: rd.Words}
	if l.qr, l.bars, err = encode(r); err != nil {
		return nil, err
	}
	font := rd.Font
	if font == nil {
		font = assets.CJKFont()
	} else if err := checkCJKFont(font); err != nil {
		return nil, fmt.Errorf("receipt: font: %w", err)
	}

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

// encode makes the receipt's two codes, for paper and screen alike. The QR code opens
// the verification page; without a configured base it holds the reference alone,
// which the counter's scanner reads just as well. The Code 128 barcode is the
// reference, for the counter's hand scanner.
func encode(r kiosk.Receipt) (qrCode, bars barcode.Barcode, err error) {
	content := r.VerifyURL
	if content == "" {
		content = r.Reference
	}
	if qrCode, err = qr.Encode(content, qr.M, qr.Auto); err != nil {
		return nil, nil, fmt.Errorf("receipt: QR code: %w", err)
	}
	if bars, err = code128.Encode(r.Reference); err != nil {
		return nil, nil, fmt.Errorf("receipt: barcode: %w", err)
	}
	return qrCode, bars, nil
}

// Codes returns the receipt's QR code and Code 128 barcode as images for the done
// screen, holding exactly what the paper does. The QR code is qrSide pixels square
// and the barcode barHeight pixels tall, both with whole pixels per module (as
// large as fits qrSide; the barcode 2 pixels per module) and no quiet zone: the
// screen leaves white around them. Show them unsmoothed (canvas.ImageScalePixels).
func Codes(r kiosk.Receipt, qrSide, barHeight int) (qrImg, barsImg image.Image, err error) {
	if err := check(r); err != nil {
		return nil, nil, err
	}
	qrCode, bars, err := encode(r)
	if err != nil {
		return nil, nil, err
	}
	n := qrCode.Bounds().Dx()
	if qrSide < n || barHeight < 1 {
		return nil, nil, fmt.Errorf("receipt: QR code needs at least %d pixels, barcode 1", n)
	}
	if qrImg, err = barcode.Scale(qrCode, qrSide/n*n, qrSide/n*n); err != nil {
		return nil, nil, fmt.Errorf("receipt: QR code: %w", err)
	}
	if barsImg, err = barcode.Scale(bars, 2*bars.Bounds().Dx(), barHeight); err != nil {
		return nil, nil, fmt.Errorf("receipt: barcode: %w", err)
	}
	return qrImg, barsImg, nil
}

// check refuses a receipt that would print something false or unreadable: each of
// these is a bug upstream, and printing it anyway would mislead the resident or staff.
func check(r kiosk.Receipt) error {
	if r.Reference == "" {
		return fmt.Errorf("receipt: empty reference")
	}
	// References are short ASCII ("260514-7KQ2M4PT-X"); anything else is a bug
	// upstream, and refusing it keeps free text (possibly personal) off the paper.
	if !printableASCII(r.Reference, maxReference) {
		return fmt.Errorf("receipt: reference is not up to %d printable ASCII characters", maxReference)
	}
	if r.VerifyURL != "" {
		if !printableASCII(r.VerifyURL, maxVerifyURL) || !strings.HasPrefix(r.VerifyURL, "https://") {
			return fmt.Errorf("receipt: verification URL is not an https:// URL of up to %d printable ASCII characters", maxVerifyURL)
		}
		// The code must lead to this application, not to some other page.
		if !strings.Contains(r.VerifyURL, r.Reference) {
			return fmt.Errorf("receipt: verification URL does not hold the reference")
		}
	}
	if !r.Language.Valid() {
		return fmt.Errorf("receipt: unknown language %q", r.Language)
	}
	if !knownService(r.Service) {
		return fmt.Errorf("receipt: unknown service %q", r.Service)
	}
	if r.At.IsZero() {
		return fmt.Errorf("receipt: no time")
	}
	if r.Fee < 0 {
		return fmt.Errorf("receipt: negative fee")
	}
	// A paid fee is printed with how it was paid: "paid" without a known method is a
	// bug upstream. (An unpaid fee prints as "not paid", never as paid.)
	if r.Paid && r.Fee > 0 && !slices.Contains(paymentMethods, r.Method) {
		return fmt.Errorf("receipt: unknown payment method %q", r.Method)
	}
	if r.Office != "" && !slices.Contains(kiosk.CollectionOffices, r.Office) {
		return fmt.Errorf("receipt: unknown collection office %q", r.Office)
	}
	if !r.CollectFrom.IsZero() {
		if r.Office == "" {
			return fmt.Errorf("receipt: a collection date without a collection office")
		}
		d := r.CollectFrom
		if t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC); kiosk.DateOf(t) != d || d.Year < 2000 {
			return fmt.Errorf("receipt: collection date %d-%02d-%02d is not a date", d.Year, d.Month, d.Day)
		}
	}
	return nil
}

func printableASCII(s string, maxLen int) bool {
	return len(s) <= maxLen && strings.IndexFunc(s, func(c rune) bool { return c < '!' || c > '~' }) < 0
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
	bars  barcode.Barcode
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

	if l.r.Demo {
		y += l.demoBanner(w, y) + 3
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
	// Nothing to collect (One Account): no office and no date.
	if l.r.Office != "" {
		row(l.t(keyOffice), l.t(officeKey(l.r.Office)))
		when := l.t(keyCollectSMS)
		if !l.r.CollectFrom.IsZero() {
			when = l.words.Date(l.r.Language, l.r.CollectFrom)
		}
		row(l.t(keyCollectFrom), when)
	}
	row(l.t(keyFee), l.money(l.r.Fee))
	switch {
	case l.r.Fee > 0 && l.r.Paid:
		row(l.t(keyPayment), l.t(paidKey(l.r.Method)))
	case l.r.Fee > 0:
		row(l.t(keyPayment), l.t(keyUnpaid))
	}
	at := l.r.At.In(kiosk.MacauTime)
	row(l.t(keyAt), l.words.Date(l.r.Language, kiosk.DateOf(at))+" "+at.Format("15:04"))
	row(l.t(keyKiosk), l.r.KioskID)
	rule(1.5)

	y += w.text(l.t(keyReference), fontLatin, 9, margin, textWidth, true, y) + 0.5
	// The reference in a bold monospace, as large as fits on one line: staff type it
	// at the counter, and a monospace keeps every character distinct and countable.
	pt := 18.0
	for pt > 8 && w.width(l.r.Reference, fontMono, pt) > textWidth {
		pt -= 0.5
	}
	y += w.text(l.r.Reference, fontMono, pt, margin, textWidth, true, y) + 1.5

	// The counter's hand scanner reads the Code 128 barcode; a phone reads the QR code.
	bw, module := barsWidth(l.bars)
	if draw {
		drawBars(pdf, l.bars, (pageWidth-bw)/2, y, module, barHeight)
	}
	y += barHeight + 3
	if draw {
		drawQR(pdf, l.qr, (pageWidth-qrSize)/2, y, qrSize)
	}
	y += qrSize + 3
	y += w.text(l.t(keyKeep), fontLatin, 8, margin, textWidth, true, y)
	if l.r.Demo {
		y += 3
		y += l.demoBanner(w, y)
	}
	return y
}

// demoBanner is a black band with the "DEMO — not valid" mark in white, top and
// bottom of a demo receipt: nobody can take it, or a photo of either end, for a real
// one. Returns its height.
func (l layout) demoBanner(w writer, y float64) float64 {
	const pt, pad = 14.0, 2.0
	text := l.t(keyDemo)
	h := len(w.wrap(text, fontLatinBold, pt, textWidth-2*pad))
	height := float64(h)*lineHeight(pt) + 2*pad
	if w.draw {
		w.pdf.SetFillColor(0, 0, 0)
		w.pdf.Rect(margin, y, textWidth, height, "F")
		w.pdf.SetTextColor(255, 255, 255)
		w.text(text, fontLatinBold, pt, margin+pad, textWidth-2*pad, true, y+pad)
		w.pdf.SetTextColor(0, 0, 0)
	}
	return height
}

// barsWidth gives the barcode's width and module size: the widest whole number of
// printer dots per module (3 or 2; one dot is too thin for hand scanners) that fits
// the printable width with the quiet zones of 10 modules either side that Code 128
// asks for. maxReference keeps every reference within 2 dots.
func barsWidth(code barcode.Barcode) (width, module float64) {
	n := float64(code.Bounds().Dx())
	dots := 3.0
	if (n+20)*dots*dot > textWidth {
		dots = 2
	}
	module = dots * dot
	return n * module, module
}

// drawBars draws a 1-D barcode's dark modules as filled rectangles, one per bar.
func drawBars(pdf *fpdf.Fpdf, code barcode.Barcode, x, y, module, height float64) {
	b := code.Bounds()
	pdf.SetFillColor(0, 0, 0)
	dark := func(i int) bool {
		r, _, _, _ := code.At(b.Min.X+i, b.Min.Y).RGBA()
		return r < 0x8000
	}
	for i := 0; i < b.Dx(); {
		if !dark(i) {
			i++
			continue
		}
		start := i
		for i < b.Dx() && dark(i) {
			i++
		}
		pdf.Rect(x+float64(start)*module, y, float64(i-start)*module, height, "F")
	}
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
