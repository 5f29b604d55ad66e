package app

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// kioskPanels are the screens the kiosk runs on: the 24" 16:9 panel and the older
// 19" 5:4 one.
var kioskPanels = []fyne.Size{{Width: 1920, Height: 1080}, {Width: 1280, Height: 1024}}

// placed is an object and where it is in the window.
type placed struct {
	o    fyne.CanvasObject
	pos  fyne.Position
	path string
}

// layoutProblems walks the window's tree and reports what a resident could not see
// or touch: visible objects outside the window, labels and buttons on top of each
// other, and content that needs scrolling.
func layoutProblems(c fyne.CanvasObject, win fyne.Size) []string {
	var probs []string
	var leaves []placed
	const eps = 0.5
	var visit func(o fyne.CanvasObject, at fyne.Position, path string)
	visit = func(o fyne.CanvasObject, at fyne.Position, path string) {
		if !o.Visible() {
			return
		}
		p := at.Add(o.Position())
		s := o.Size()
		name := fmt.Sprintf("%T", o)
		path += "/" + strings.TrimPrefix(strings.TrimPrefix(name, "*widget."), "*fyne.")
		if s.Width > 0 && s.Height > 0 &&
			(p.X < -eps || p.Y < -eps || p.X+s.Width > win.Width+eps || p.Y+s.Height > win.Height+eps) {
			probs = append(probs, fmt.Sprintf("outside the window: %s %s at %v size %v", path, describe(o), p, s))
			return // its children are outside too: one report
		}
		if sc, ok := o.(*container.Scroll); ok && sc.Content != nil {
			if m := sc.Content.MinSize(); m.Height > s.Height+eps || m.Width > s.Width+eps {
				probs = append(probs, fmt.Sprintf("needs scrolling: content %v in %v", m, s))
			}
		}
		if c, ok := o.(*fyne.Container); ok {
			if _, ok := c.Layout.(*meterLayout); ok && s.Width > 0 && s.Height > 0 {
				// The timer's bar: a button over it would hide the time left.
				leaves = append(leaves, placed{o, p, path + "/meter"})
				return
			}
		}
		if t, ok := o.(*canvas.Text); ok {
			// The words of our big and bar buttons, the reference, the countdowns.
			if t.Text != "" && s.Width > 0 && s.Height > 0 {
				leaves = append(leaves, placed{o, p, path})
			}
			return
		}
		switch v := o.(type) {
		case *widget.Label, *textLabel, *widget.Button:
			// A button with no words of its own is a touch area under what it
			// shows (our big buttons, the form's field boxes, the staff gesture).
			if b, ok := v.(*widget.Button); ok && b.Text == "" && b.Icon == nil {
				return
			}
			if s.Width > 0 && s.Height > 0 {
				leaves = append(leaves, placed{o, p, path})
			}
			return
		}
		for _, ch := range children(o) {
			visit(ch, p, path)
		}
	}
	visit(c, fyne.Position{}, "")
	for i := range leaves {
		for j := i + 1; j < len(leaves); j++ {
			a, b := leaves[i], leaves[j]
			w := min(a.pos.X+a.o.Size().Width, b.pos.X+b.o.Size().Width) - max(a.pos.X, b.pos.X)
			h := min(a.pos.Y+a.o.Size().Height, b.pos.Y+b.o.Size().Height) - max(a.pos.Y, b.pos.Y)
			if w > 1 && h > 1 {
				probs = append(probs, fmt.Sprintf("overlap %.0fx%.0f: %s %s and %s", w, h, describe(a.o), a.path, describe(b.o)))
			}
		}
	}
	return probs
}

func describe(o fyne.CanvasObject) string {
	switch v := o.(type) {
	case *widget.Label:
		return fmt.Sprintf("label %q", v.Text)
	case *textLabel:
		return fmt.Sprintf("label %q", v.Words)
	case *canvas.Text:
		return fmt.Sprintf("text %q", v.Text)
	case *widget.Button:
		return fmt.Sprintf("button %q", v.Text)
	}
	return ""
}

// TestEveryScreenFits: every resident's screen sample in every language, at normal
// and large text, in normal and high contrast, on both panels: nothing outside the
// window, nothing on top of something else, nothing to scroll. (The staff screens
// are for trained staff at a desk-side panel: not checked here.)
func TestEveryScreenFits(t *testing.T) {
	present := map[string]bool{}
	// One UI per text size and contrast, re-rendered for every sample: a new UI (and
	// with it a new theme) per combination makes Fyne parse the CJK font again each
	// time and keep the old faces in its caches, gigabytes over the 500-odd renders.
	for _, large := range []bool{false, true} {
		for _, hc := range []bool{false, true} {
			var flow *kiosktest.Flow
			var u *UI
			var w fyne.Window
			for _, lang := range kiosk.Languages {
				for st, snap := range kiosktest.Samples(lang) {
					if !spoken(st) {
						continue
					}
					for _, size := range kioskPanels {
						key := fmt.Sprintf("%s/large=%t/%.0fx%.0f", st, large, size.Width, size.Height)
						present[key] = true
						name := fmt.Sprintf("%s/%s/large=%t/contrast=%t/%.0fx%.0f", lang, st, large, hc, size.Width, size.Height)
						s := snap
						s.LargeText, s.HighContrast = large, hc
						if u == nil {
							flow = kiosktest.NewFlow(s)
							u, w = newTestUI(t, flow)
						}
						t.Run(name, func(t *testing.T) {
							flow.Set(s)
							w.Resize(size)
							u.Render(s)
							probs := layoutProblems(w.Canvas().Content(), size)
							savePNG(t, w, strings.ReplaceAll(name, "/", "_"))
							for _, p := range probs {
								t.Error(p)
							}
						})
					}
				}
			}
		}
	}
	if len(present) < 60 {
		t.Errorf("only %d screen/text/panel combinations checked: the samples are missing", len(present))
	}
}
