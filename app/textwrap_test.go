package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// rows are the lines a label shows once laid out at width: the texts Fyne draws.
func rows(o fyne.CanvasObject) []string {
	var out []string
	walkShown(o, func(o fyne.CanvasObject) {
		if t, ok := o.(*canvas.Text); ok && t.Text != "" {
			out = append(out, t.Text)
		}
	})
	return out
}

// TestChineseLineBreaks: wrapped Chinese never starts a line with "。" or "，" (or
// another closing mark), never parts a number from its unit ("18 歲"), and loses or
// adds nothing but the spaces at the breaks; at every width from 5 to 20 characters (a unit wider than the line is broken by Fyne),
// in body text and in a bold heading, in the Chinese session's theme.
func TestChineseLineBreaks(t *testing.T) {
	snap := kiosktest.Samples(kiosk.LangZhHant)[kiosk.StateAttract]
	flow := kiosktest.NewFlow(snap)
	u, w := newTestUI(t, flow)
	u.Render(snap) // the kiosk's theme and fonts
	texts := []string{
		"您的操作已結束，資料已清除。請取回身份證。",
		"申請人須年滿 18 歲，並持有有效的澳門居民身份證。",
		"尚餘1次機會。注意：再輸入錯誤一次，身份證密碼將被鎖定，只可由身份證明局職員解鎖。",
		"剩餘45秒，請於30秒內完成（否則會結束）。",
	}
	makers := map[string]func(string) *textLabel{"body": body, "heading": heading}
	for _, text := range texts {
		for name, make := range makers {
			l := make(text)
			c := container.NewWithoutLayout(l)
			w.SetContent(c)
			charW := fyne.MeasureText("歲", l.Theme().Size(l.SizeName), l.TextStyle).Width
			if l.SizeName == "" {
				charW = fyne.MeasureText("歲", 28, l.TextStyle).Width
			}
			for n := 5; n <= 20; n++ {
				width := float32(n)*charW + 40 // the label's inner padding
				l.Resize(fyne.NewSize(width, 2000))
				lines := rows(l)
				if strings.Join(lines, "") != strings.ReplaceAll(text, " ", "") &&
					strings.ReplaceAll(strings.Join(lines, ""), " ", "") != strings.ReplaceAll(text, " ", "") {
					t.Errorf("%s %q at %d chars: lines %q do not make the text", name, text, n, lines)
				}
				for i, line := range lines {
					if r := []rune(line); i > 0 && strings.ContainsRune(noLineStart, r[0]) {
						t.Errorf("%s at %d chars: line %d starts with %q: %q", name, n, i+1, r[0], lines)
					}
					if strings.HasSuffix(line, "18") || strings.HasPrefix(line, "歲") {
						t.Errorf("%s at %d chars: \"18 歲\" parted: %q", name, n, lines)
					}
				}
			}
		}
	}
}

// TestBreakUnits: the pieces a line may break between, table by table.
func TestBreakUnits(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"已結束，資料。", []string{"已", "結", "束，", "資", "料。"}},
		{"年滿 18 歲", []string{"年", "滿", "18 歲"}},
		{"剩餘45秒", []string{"剩", "餘", "45秒"}},
		{"（否則）結束", []string{"（否", "則）", "結", "束"}},
		{"Olá, 陳大文", []string{"Olá,", "陳", "大", "文"}},
	}
	for _, c := range cases {
		got, _ := breakUnits(c.in)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("breakUnits(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
