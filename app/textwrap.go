package app

import (
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// textLabel is the kiosk's label. With Chinese in it, it is drawn in the Chinese face
// (hanStyle, theme.go) so that its digits match the Chinese, and, when it wraps, it
// breaks as a Chinese reader expects. Fyne wraps at the last space that fits, and
// where there is none (Chinese has none) at whatever character reaches the edge: a
// line could begin with "。" or "，", or split "18 歲" into "18" and "歲". textLabel
// puts the line breaks in itself, at the places breakLines allows, for the width it
// is given; Fyne then finds every line fits. Text without Chinese is left to Fyne.
// Words holds the text as given (Text has the line breaks).
type textLabel struct {
	widget.Label
	Words   string
	brokeAt float32 // the width Text was broken for
	brokeAs string  // the text it was broken from
}

func newTextLabel(text string) *textLabel {
	l := &textLabel{Words: text}
	l.Text = text
	l.ExtendBaseWidget(l)
	return l
}

// SetText replaces the words (and drops the old line breaks).
func (l *textLabel) SetText(text string) {
	l.Words, l.Text = text, text
	l.Refresh()
}

// CreateRenderer marks the style for the Chinese face first (callers set TextStyle
// after newTextLabel).
func (l *textLabel) CreateRenderer() fyne.WidgetRenderer {
	l.TextStyle = hanStyle(l.Words, l.TextStyle)
	return l.Label.CreateRenderer()
}

// Refresh keeps the style's mark in step with the words.
func (l *textLabel) Refresh() {
	l.TextStyle = hanStyle(l.Words, l.TextStyle)
	l.Label.Refresh()
}

// Resize breaks the words for the new width, then lays the label out.
func (l *textLabel) Resize(s fyne.Size) {
	l.TextStyle = hanStyle(l.Words, l.TextStyle)
	if l.Wrapping == fyne.TextWrapWord && hasHan(l.Words) && (s.Width != l.brokeAt || l.Words != l.brokeAs) {
		l.brokeAt, l.brokeAs = s.Width, l.Words
		size := theme.Size(theme.SizeNameText)
		if l.SizeName != "" {
			size = theme.Size(l.SizeName)
		}
		style := l.TextStyle
		// A hair under what Fyne measures with, so that it never breaks a line again.
		width := s.Width - 2*theme.InnerPadding() - 2
		text := breakLines(l.Words, width, func(t string) float32 { return fyne.MeasureText(t, size, style).Width })
		if text != l.Text {
			l.Text = text
			l.Label.Refresh()
		}
	}
	l.Label.Resize(s)
}

// hasHan: the text has Chinese in it.
func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// noLineStart are the marks a line must not begin with: they close what came before
// (full stop, commas, colon, closing brackets and quotes, percent).
const noLineStart = "。，、；：！？）」』》〉】…％,.;:!?)%"

// noLineEnd are the marks a line must not end with: they open what comes next.
const noLineEnd = "（「『《〈【("

// isCJK: one Chinese character or full-width mark, a unit of its own when breaking.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef) || r == '…'
}

// breakUnits cuts a paragraph into the pieces a line may break between: each Chinese
// character, each run of other non-space characters (a Latin word, a number). Marks
// that may not start a line join the piece before; opening marks join the one after;
// a number joins the Chinese unit after it ("18 歲", "45秒"). space says whether a
// space stood before a piece (kept inside a line, dropped at a break).
func breakUnits(p string) (units []string, space []bool) {
	rs := []rune(p)
	sp := false
	glue := false // the next piece joins the last one
	for i := 0; i < len(rs); {
		if rs[i] == ' ' {
			sp = true
			i++
			continue
		}
		j := i + 1
		if !isCJK(rs[i]) {
			for j < len(rs) && rs[j] != ' ' && !isCJK(rs[j]) {
				j++
			}
		}
		piece := string(rs[i:j])
		n := len(units)
		join := n > 0 && (glue || strings.ContainsRune(noLineStart, rs[i]) ||
			unicode.IsDigit(lastRune(units[n-1])) && unicode.Is(unicode.Han, rs[i]))
		switch {
		case join && sp:
			units[n-1] += " " + piece
		case join:
			units[n-1] += piece
		default:
			units, space = append(units, piece), append(space, sp)
		}
		glue = strings.ContainsRune(noLineEnd, rs[j-1])
		sp = false
		i = j
	}
	return units, space
}

func lastRune(s string) rune {
	rs := []rune(s)
	if len(rs) == 0 {
		return 0
	}
	return rs[len(rs)-1]
}

// breakLines puts line breaks into s so that each line fits width by measure, breaking
// only between breakUnits' pieces. A piece wider than a line gets a line of its own.
func breakLines(s string, width float32, measure func(string) float32) string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		units, space := breakUnits(para)
		line := ""
		for i, u := range units {
			next := u
			if line != "" {
				if space[i] {
					next = line + " " + u
				} else {
					next = line + u
				}
			}
			if line != "" && measure(next) > width {
				out = append(out, line)
				line = u
				continue
			}
			line = next
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
