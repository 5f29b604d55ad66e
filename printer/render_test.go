package printer

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/boombuler/barcode/code128"

	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/printer/cupstest"
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

const (
	ref        = "260514-7KQ2M4PT-X"
	verifyBase = "https://www.dsi.gov.mo/verify/"
)

// receipt is what the session prints for service s: paid by card when there is a fee,
// collected at the Areia Preta office from 20 May 2026 when there is a document.
func receipt(l kiosk.Language, s kiosk.ServiceID) kiosk.Receipt {
	r := kiosk.Receipt{Reference: ref, Service: s, Fee: kiosk.DefaultFees[s],
		At: at, Language: l, KioskID: "kiosk-dev-01", VerifyURL: kiosk.VerifyURL(verifyBase, ref)}
	if r.Fee > 0 {
		r.Paid, r.Method, r.PaymentRef = true, kiosk.PaymentCard, "TX-0001"
	}
	for _, f := range kiosk.FormFor(s) {
		if f.Name == kiosk.FieldCollectionOffice {
			r.Office, r.CollectFrom = "office_areia_preta", kiosk.Date{Year: 2026, Month: time.May, Day: 20}
		}
	}
	return r
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
				want := []string{
					tr.T(l, "receipt.bureau", nil), tr.T(l, "receipt.reference", nil),
					tr.T(l, serviceNameKey(s), nil), tr.T(l, "receipt.at", nil),
					r.Reference, map[kiosk.Language]string{kiosk.LangEN: "14 May 2026 10:32",
						kiosk.LangPT: "14/05/2026 10:32", kiosk.LangZhHant: "2026年5月14日 10:32"}[l],
					"kiosk-dev-01",
				}
				if r.Office != "" {
					want = append(want, tr.T(l, "receipt.office", nil), tr.T(l, "option.collection_office.office_areia_preta", nil),
						tr.T(l, "receipt.collect_from", nil), map[kiosk.Language]string{kiosk.LangEN: "20 May 2026",
							kiosk.LangPT: "20/05/2026", kiosk.LangZhHant: "2026年5月20日"}[l])
				}
				if r.Fee > 0 {
					want = append(want, tr.T(l, "receipt.payment", nil), tr.T(l, "receipt.paid.card", nil), tr.Money(l, r.Fee))
				} else {
					want = append(want, tr.T(l, "receipt.free", nil))
				}
				for _, w := range want {
					if !strings.Contains(text, squash(w)) {
						t.Errorf("receipt text lacks %q:\n%s", w, text)
					}
				}
				// Not a demo: no demo mark; no payment reference (staff look it up by
				// the application's reference).
				for _, not := range []string{squash(tr.T(l, "receipt.demo", nil)), "TX-0001"} {
					if strings.Contains(text, not) {
						t.Errorf("receipt text has %q:\n%s", not, text)
					}
				}
			})
		}
	}
}

// squash drops white space: pdftotext breaks wrapped lines where the layout did.
// (-raw keeps the drawing order, so a wrapped label is not interleaved with its value.)
func squash(s string) string { return strings.Join(strings.Fields(s), "") }

// The amount, and for a fee how it was paid: "paid" with the method, "not paid" if
// the session did not say it was paid, nothing about payment when it is free.
func TestRenderFeeAndPayment(t *testing.T) {
	tr := translator(t)
	for _, tc := range []struct {
		lang   kiosk.Language
		avos   int
		paid   bool
		method kiosk.PaymentMethod
		want   []string
		not    []string
	}{
		{kiosk.LangEN, 400_00, true, kiosk.PaymentCard, []string{"MOP 400.00", "Payment", "Paid (card terminal)"}, []string{"Not paid", "QR"}},
		{kiosk.LangPT, 120_50, true, kiosk.PaymentQR, []string{"120,50 patacas", "Pagamento", "Pago (código QR, carteira electrónica)"}, []string{"Não pago", "terminal"}},
		{kiosk.LangZhHant, 150_00, true, kiosk.PaymentQR, []string{"澳門元 150.00", "付款", "已付款（二維碼，電子錢包）"}, []string{"未付款", "刷卡"}},
		{kiosk.LangZhHant, 150_00, true, kiosk.PaymentCard, []string{"澳門元 150.00", "已付款（刷卡）"}, []string{"二維碼，"}},
		{kiosk.LangEN, 90_00, false, "", []string{"MOP 90.00", "Payment", "Not paid"}, []string{"Paid ("}},
		{kiosk.LangEN, 0, false, "", []string{"Free of charge"}, []string{"Payment", "paid"}},
		{kiosk.LangZhHant, 0, true, kiosk.PaymentCard, []string{"免費"}, []string{"付款"}},
	} {
		l := layout{r: kiosk.Receipt{Language: tc.lang}, words: tr}
		if got := l.money(tc.avos); got != tc.want[0] {
			t.Errorf("money(%s, %d) = %q, want %q", tc.lang, tc.avos, got, tc.want[0])
		}
		r := receipt(tc.lang, kiosk.ServicePassport)
		r.Fee, r.Paid, r.Method = tc.avos, tc.paid, tc.method
		pdf, err := Renderer{Words: tr}.Render(r)
		if err != nil {
			t.Fatal(err)
		}
		text := squash(pdftotext(t, pdf))
		for _, w := range tc.want {
			if !strings.Contains(text, squash(w)) {
				t.Errorf("%s fee %d paid %v %s: receipt lacks %q:\n%s", tc.lang, tc.avos, tc.paid, tc.method, w, text)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(text, squash(n)) {
				t.Errorf("%s fee %d paid %v %s: receipt has %q:\n%s", tc.lang, tc.avos, tc.paid, tc.method, n, text)
			}
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
	r.VerifyURL = kiosk.VerifyURL(verifyBase, r.Reference)
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
		{"reference too long", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Reference = strings.Repeat("A", maxReference+1) }, "printable ASCII"},
		{"reference with a name", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Reference = "陳大文" }, "printable ASCII"},
		{"reference with spaces", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Reference = "CHAN TAI MAN" }, "printable ASCII"},
		{"plain http", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.VerifyURL = "http://www.dsi.gov.mo/verify/" + ref }, "https://"},
		{"URL with spaces", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.VerifyURL = "https://x/" + ref + " y" }, "https://"},
		{"URL too long", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.VerifyURL = "https://x/" + strings.Repeat("a", 200) + ref }, "https://"},
		{"URL of another application", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.VerifyURL = verifyBase + "260514-AAAAAAAA-B" }, "does not hold the reference"},
		{"negative fee", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Fee = -1 }, "negative fee"},
		{"no payment method", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Method = "" }, "payment method"},
		{"cash", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Method = "cash" }, "payment method"},
		{"office", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Office = "office_mars" }, "collection office"},
		{"date without office", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.Office = "" }, "without a collection office"},
		{"31 June", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.CollectFrom = kiosk.Date{Year: 2026, Month: 6, Day: 31} }, "not a date"},
		{"year 26", Renderer{Words: tr}, func(r *kiosk.Receipt) { r.CollectFrom = kiosk.Date{Year: 26, Month: 6, Day: 1} }, "not a date"},
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
	render := func(r kiosk.Receipt) {
		t.Helper()
		if _, err := (Renderer{Words: rec}).Render(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range kiosk.Services {
		for _, fee := range []int{0, 120_00} {
			for _, m := range paymentMethods {
				r := receipt(kiosk.LangEN, s)
				r.Fee, r.Paid, r.Method = fee, true, m
				render(r)
			}
		}
	}
	unpaid := receipt(kiosk.LangEN, kiosk.ServicePassport)
	unpaid.Paid, unpaid.Method = false, ""
	render(unpaid)
	for _, o := range kiosk.CollectionOffices {
		r := receipt(kiosk.LangEN, kiosk.ServicePassport)
		r.Office, r.CollectFrom = o, kiosk.Date{} // the date is not known yet: "by SMS"
		render(r)
	}
	demo := receipt(kiosk.LangEN, kiosk.ServiceOneAccount)
	demo.Demo = true
	render(demo)
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
	want := "Reference,Service,Fee,At,Language,KioskID,VerifyURL,Office,CollectFrom,Paid,Method,PaymentRef,Demo"
	if got := strings.Join(fields, ","); got != want {
		t.Errorf("kiosk.Receipt fields are %s, the printer was reviewed for %s: check that nothing personal is printed, then update this test", got, want)
	}
}

// The printed codes, read back from a 300 dpi raster: the QR code opens the
// verification URL (or, with no base configured, holds the reference) and the
// barcode is the reference. Bars are whole printer dots wide.
func TestRasterCodesRead(t *testing.T) {
	tr := translator(t)
	const dpi = 300
	for _, l := range kiosk.Languages {
		for _, tc := range []struct {
			name   string
			edit   func(*kiosk.Receipt)
			wantQR string
		}{
			{"verify URL", func(*kiosk.Receipt) {}, verifyBase + ref},
			{"no verify base", func(r *kiosk.Receipt) { r.VerifyURL = "" }, ref},
			{"demo", func(r *kiosk.Receipt) { r.Demo = true }, verifyBase + ref},
			{"longest reference", func(r *kiosk.Receipt) {
				r.Reference = "7kq~" + strings.Repeat("X", maxReference-4) // code set B only: the widest
				r.VerifyURL = kiosk.VerifyURL(verifyBase, r.Reference)
			}, verifyBase + "7kq~" + strings.Repeat("X", maxReference-4)},
		} {
			t.Run(string(l)+"/"+tc.name, func(t *testing.T) {
				r := receipt(l, kiosk.ServicePassport)
				tc.edit(&r)
				pdf, err := Renderer{Words: tr}.Render(r)
				if err != nil {
					t.Fatal(err)
				}
				img := cupstest.Rasterise(t, pdf, dpi)
				if got, want := img.Bounds().Dx(), int(math.Round(pageWidth/25.4*dpi)); got < want-2 || got > want+2 {
					t.Errorf("raster is %d px wide, want %d (80 mm at %d dpi)", got, want, dpi)
				}
				gotQR, gotBars := cupstest.Decode(t, img)
				if gotQR != tc.wantQR {
					t.Errorf("QR code reads %q, want %q", gotQR, tc.wantQR)
				}
				if gotBars != r.Reference {
					t.Errorf("barcode reads %q, want %q", gotBars, r.Reference)
				}
			})
		}
	}
}

// The done screen's codes hold what the paper's do.
func TestCodesForTheScreen(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*kiosk.Receipt)
		wantQR string
	}{
		{"verify URL", func(*kiosk.Receipt) {}, verifyBase + ref},
		{"no verify base", func(r *kiosk.Receipt) { r.VerifyURL = "" }, ref},
	} {
		r := receipt(kiosk.LangEN, kiosk.ServicePassport)
		tc.edit(&r)
		qrImg, barsImg, err := Codes(r, 200, 60)
		if err != nil {
			t.Fatal(err)
		}
		if b := qrImg.Bounds(); b.Dx() > 200 || b.Dx() < 150 || b.Dx() != b.Dy() {
			t.Errorf("%s: QR image %v, want square, 150-200 px", tc.name, b)
		}
		// Decoders want a quiet zone: put each on a white page.
		page := image.NewGray(image.Rect(0, 0, 700, 400))
		for i := range page.Pix {
			page.Pix[i] = 0xff
		}
		draw.Draw(page, qrImg.Bounds().Add(image.Pt(40, 40)), qrImg, image.Point{}, draw.Src)
		draw.Draw(page, barsImg.Bounds().Add(image.Pt(40, 300)), barsImg, image.Point{}, draw.Src)
		gotQR, gotBars := cupstest.Decode(t, page)
		if gotQR != tc.wantQR || gotBars != r.Reference {
			t.Errorf("%s: screen codes read %q and %q, want %q and %q", tc.name, gotQR, gotBars, tc.wantQR, r.Reference)
		}
	}
	bad := receipt(kiosk.LangEN, kiosk.ServicePassport)
	bad.Reference = "陳大文"
	if _, _, err := Codes(bad, 200, 60); err == nil {
		t.Error("Codes took a reference that is not printable ASCII")
	}
	if _, _, err := Codes(receipt(kiosk.LangEN, kiosk.ServicePassport), 10, 60); err == nil {
		t.Error("Codes made a QR code smaller than one pixel per module")
	}
}

// Where and from when to collect: the date in the receipt's language, or "by SMS"
// when the back office has not said; nothing of either when nothing is collected.
func TestRenderCollection(t *testing.T) {
	tr := translator(t)
	for _, tc := range []struct {
		lang      kiosk.Language
		service   kiosk.ServiceID
		office    string
		from      kiosk.Date
		want, not []string
	}{
		{kiosk.LangEN, kiosk.ServicePassport, "office_islands", kiosk.Date{Year: 2026, Month: time.June, Day: 3},
			[]string{"Collection office", "Islands office", "Collect from", "3 June 2026"}, []string{"SMS"}},
		{kiosk.LangPT, kiosk.ServiceTravelPermit, "office_central", kiosk.Date{},
			[]string{tr.T(kiosk.LangPT, "option.collection_office.office_central", nil), "Será informado por SMS"}, []string{"20/05/2026"}},
		{kiosk.LangZhHant, kiosk.ServiceIDRenewal, "office_areia_preta", kiosk.Date{Year: 2027, Month: time.January, Day: 9},
			[]string{"領取地點", "黑沙環", "2027年1月9日"}, []string{"短訊"}},
		{kiosk.LangEN, kiosk.ServiceOneAccount, "", kiosk.Date{}, nil, []string{"Collection office", "Collect from", "SMS"}},
	} {
		r := receipt(tc.lang, tc.service)
		r.Office, r.CollectFrom = tc.office, tc.from
		pdf, err := Renderer{Words: tr}.Render(r)
		if err != nil {
			t.Fatal(err)
		}
		text := squash(pdftotext(t, pdf))
		for _, w := range tc.want {
			if !strings.Contains(text, squash(w)) {
				t.Errorf("%s %s: receipt lacks %q:\n%s", tc.lang, tc.service, w, text)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(text, squash(n)) {
				t.Errorf("%s %s: receipt has %q:\n%s", tc.lang, tc.service, n, text)
			}
		}
	}
}

func TestBarsAreWholeDots(t *testing.T) {
	for _, n := range []int{1, 17, maxReference} {
		code, err := code128.Encode(strings.Repeat("a~", n)[:n]) // code set B: the widest
		if err != nil {
			t.Fatal(err)
		}
		w, m := barsWidth(code)
		dots := m / dot
		if math.Abs(dots-math.Round(dots)) > 1e-9 || dots < 2 || dots > 3 {
			t.Errorf("%d characters: module %.3f mm is %.2f dots, want 2 or 3 whole dots", n, m, dots)
		}
		if w+20*m > textWidth {
			t.Errorf("%d characters: %.1f mm with quiet zones, wider than %.0f mm", n, w+20*m, textWidth)
		}
	}
	// A short reference gets the widest bars.
	code, _ := code128.Encode("2605")
	if _, m := barsWidth(code); math.Abs(m-3*dot) > 1e-9 {
		t.Errorf("a short reference has %.3f mm modules, want 3 dots (%.3f mm)", m, 3*dot)
	}
}

// A demo receipt says so in a black band at both ends, in the receipt's language; a
// real one has neither.
func TestDemoMark(t *testing.T) {
	tr := translator(t)
	const dpi = 150
	for _, l := range kiosk.Languages {
		for _, demo := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/demo=%v", l, demo), func(t *testing.T) {
				r := receipt(l, kiosk.ServiceIDRenewal)
				r.Demo = demo
				pdf, err := Renderer{Words: tr}.Render(r)
				if err != nil {
					t.Fatal(err)
				}
				mark := squash(tr.T(l, "receipt.demo", nil))
				if got := strings.Count(squash(pdftotext(t, pdf)), mark); demo && got != 2 || !demo && got != 0 {
					t.Errorf("demo mark %q appears %d times", mark, got)
				}
				img := cupstest.Rasterise(t, pdf, dpi)
				px := func(mm float64) int { return int(mm / 25.4 * dpi) }
				// A band is a row just inside the margin that is dark across nearly
				// all of the printable width.
				band := func(y int) bool {
					dark := 0
					for x := px(margin); x < px(pageWidth-margin); x++ {
						if cupstest.DarkAt(img, x, y) {
							dark++
						}
					}
					return dark > px(textWidth)*9/10
				}
				h := img.Bounds().Dy()
				top, bottom := band(px(margin+0.7)), band(h-px(margin+0.7))
				if top != demo || bottom != demo {
					t.Errorf("black band at top %v, bottom %v; want %v", top, bottom, demo)
				}
			})
		}
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
