package printer

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// The bundled CJK font (Droid Sans Fallback) has no Latin letters at all: on screen
// Fyne falls back to its own font for them, but a PDF has no fallback. So every line
// is cut into runs, each drawn with a font that has its glyphs: the Go fonts (BSD,
// compiled into the binary by golang.org/x/image) for Latin, digits and Portuguese
// accents, Droid Sans Fallback for Chinese and full-width punctuation.
const (
	fontCJK       = "cjk"
	fontLatin     = "latin"
	fontLatinBold = "latinb"
	fontMono      = "mono"
)

func addFonts(pdf *fpdf.Fpdf, cjk []byte) {
	pdf.AddUTF8FontFromBytes(fontCJK, "", cjk)
	pdf.AddUTF8FontFromBytes(fontLatin, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(fontLatinBold, "", gobold.TTF)
	pdf.AddUTF8FontFromBytes(fontMono, "", gomonobold.TTF)
}

// latinCoverage holds the runes the Go fonts draw (they share one character set).
var latinCoverage = sync.OnceValue(func() map[rune]bool {
	f, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		panic("printer: the Go font does not parse: " + err.Error()) // compiled-in data
	}
	var buf sfnt.Buffer
	has := map[rune]bool{}
	for r := rune(0x20); r < 0x3000; r++ {
		if g, err := f.GlyphIndex(&buf, r); err == nil && g != 0 {
			has[r] = true
		}
	}
	return has
})

// noBreakBefore are characters that must not start a line: the character before them
// moves down with them, as CJK typesetting (kinsoku) and Latin punctuation both want.
const noBreakBefore = "，。、；：！？）」』》〉,.;:!?)"

// writer draws (or, when draw is false, only measures) wrapped mixed-script text.
type writer struct {
	pdf  *fpdf.Fpdf
	draw bool
}

type run struct {
	font string
	s    string
}

// runs cuts s into runs of one font: latin for what the Go fonts cover, CJK for the rest.
func runs(s, latin string) []run {
	var out []run
	cover := latinCoverage()
	for _, r := range s {
		f := fontCJK
		if cover[r] {
			f = latin
		}
		if n := len(out); n > 0 && out[n-1].font == f {
			out[n-1].s += string(r)
		} else {
			out = append(out, run{f, string(r)})
		}
	}
	return out
}

func (w writer) width(s, latin string, pt float64) float64 {
	total := 0.0
	for _, r := range runs(s, latin) {
		w.pdf.SetFont(r.font, "", pt)
		total += w.pdf.GetStringWidth(r.s)
	}
	return total
}

// tokens splits text into the units a line may break between: Latin words, spaces,
// and single CJK characters (Chinese breaks between any two characters).
func tokens(s string) []string {
	var out []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			out = append(out, word.String())
			word.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			flush()
			out = append(out, " ")
		case r >= 0x2E80: // CJK and full-width forms
			flush()
			out = append(out, string(r))
		default:
			word.WriteRune(r)
		}
	}
	flush()
	return out
}

// wrap breaks s into lines no wider than width (a word longer than a line is cut).
func (w writer) wrap(s, latin string, pt, width float64) []string {
	var lines []string
	var line []string // tokens of the current line
	lineW := 0.0
	push := func() {
		lines = append(lines, strings.TrimRight(strings.Join(line, ""), " "))
		line, lineW = nil, 0
	}
	for _, tok := range tokens(s) {
		tw := w.width(tok, latin, pt)
		switch {
		case tok == " " && len(line) == 0:
			continue
		case lineW+tw <= width:
		case tok == " ":
			push()
			continue
		case strings.Contains(noBreakBefore, tok) && len(line) > 1 && line[len(line)-1] != " ":
			// Take the last character down with the punctuation.
			last := line[len(line)-1]
			line = line[:len(line)-1]
			push()
			line, lineW = []string{last}, w.width(last, latin, pt)
		default:
			if len(line) > 0 {
				push()
			}
			for tw > width { // a single word wider than the line
				cut := ""
				for _, r := range tok {
					if cut != "" && w.width(cut+string(r), latin, pt) > width {
						break
					}
					cut += string(r)
				}
				lines = append(lines, cut)
				tok = tok[len(cut):]
				tw = w.width(tok, latin, pt)
			}
		}
		line = append(line, tok)
		lineW += tw
	}
	if strings.TrimSpace(strings.Join(line, "")) != "" || len(lines) == 0 {
		push()
	}
	return lines
}

// text writes s in the column [x, x+width] from top, centred or left-aligned, and
// returns the height it took. latin names the font for the Latin runs.
func (w writer) text(s, latin string, pt, x, width float64, centre bool, top float64) float64 {
	h := lineHeight(pt)
	lines := w.wrap(s, latin, pt, width)
	if w.draw {
		for i, line := range lines {
			lx := x
			if centre {
				lx += (width - w.width(line, latin, pt)) / 2
			}
			// One baseline for all runs, whatever each font's ascent.
			base := top + float64(i)*h + pt*mmPerPt*1.0
			for _, r := range runs(line, latin) {
				w.pdf.SetFont(r.font, "", pt)
				w.pdf.Text(lx, base, r.s)
				lx += w.pdf.GetStringWidth(r.s)
			}
		}
	}
	return float64(len(lines)) * h
}

// checkCJKFont refuses a replacement font fpdf cannot embed (it takes TrueType
// outlines only, not CFF .otf or .ttc collections) or that lacks Chinese, before fpdf
// sees it: fpdf only prints its parse errors to stdout.
func checkCJKFont(b []byte) error {
	if len(b) < 4 || !bytes.Equal(b[:4], []byte{0, 1, 0, 0}) && !bytes.Equal(b[:4], []byte("true")) {
		return errors.New("not a TrueType font (.ttf with TrueType outlines is needed)")
	}
	f, err := sfnt.Parse(b)
	if err != nil {
		return err
	}
	var buf sfnt.Buffer
	for _, r := range "身份證明局澳門" {
		if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
			return fmt.Errorf("font has no glyph for %q", r)
		}
	}
	return nil
}
