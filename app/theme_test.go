package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"golang.org/x/image/font/sfnt"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// fontHas reports which of runes the font resource has glyphs for.
func fontHas(t *testing.T, r fyne.Resource, runes string) map[rune]bool {
	t.Helper()
	f, err := sfnt.Parse(r.Content())
	if err != nil {
		t.Fatalf("%s: %v", r.Name(), err)
	}
	var buf sfnt.Buffer
	out := map[rune]bool{}
	for _, c := range runes {
		g, err := f.GlyphIndex(&buf, c)
		out[c] = err == nil && g != 0
	}
	return out
}

// TestChineseDigitsFromTheChineseFace: text with Chinese in it is drawn in one face
// that has the Chinese and the digits, in every style the screens use, so "18 歲" and
// "剩餘45秒" are one weight (Fyne takes a glyph from its own Noto only when the theme's
// font lacks it). Text without Chinese keeps the CJK font without Latin first, so that
// its words and digits get Noto's regular or bold.
func TestChineseDigitsFromTheChineseFace(t *testing.T) {
	th := newTheme(false, false, nil)
	cases := []struct {
		text       string
		wantDigits bool // the theme's font for the text's style has 0-9 and Latin
	}{
		{"剩餘45秒", true},
		{"年滿18 歲", true},
		{"45 s left", false},
		{"Faltam 45 s", false},
	}
	for _, c := range cases {
		for _, st := range []fyne.TextStyle{{}, {Bold: true}} {
			has := fontHas(t, th.Font(hanStyle(c.text, st)), "歲秒0123456789Aaç")
			if !has['歲'] || !has['秒'] {
				t.Errorf("%q %+v: the font has no Chinese", c.text, st)
			}
			for _, r := range "0123456789Aaç" {
				if has[r] != c.wantDigits {
					t.Errorf("%q %+v: %q in the text's font = %t, want %t", c.text, st, r, has[r], c.wantDigits)
				}
			}
		}
	}
}

// TestChineseLabelsUseTheChineseFace: on rendered Chinese screens every text with
// Chinese and digits in it, bold or not, is drawn in a style whose font has both.
func TestChineseLabelsUseTheChineseFace(t *testing.T) {
	snap := kiosktest.Samples(kiosk.LangZhHant)[kiosk.StatePIN]
	flow := kiosktest.NewFlow(snap)
	u, w := newTestUI(t, flow)
	u.Render(snap)
	th := newTheme(false, false, nil)
	n := 0
	walkShown(w.Canvas().Content(), func(o fyne.CanvasObject) {
		txt, ok := o.(*canvas.Text)
		if !ok || !hasHan(txt.Text) || !strings.ContainsAny(txt.Text, "0123456789") {
			return
		}
		n++
		if has := fontHas(t, th.Font(txt.TextStyle), "0123456789"); !has['0'] || !has['9'] {
			t.Errorf("%q (%+v) is drawn in a font without digits", txt.Text, txt.TextStyle)
		}
	})
	if n < 3 {
		t.Errorf("only %d Chinese texts with digits on the PIN screen", n)
	}
}
