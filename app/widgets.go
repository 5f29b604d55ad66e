package app

import (
	"image/color"
	"math"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// minSize is a layout that gives its objects at least a fixed size: it keeps every
// touch target at 15 mm or more whatever the text inside it.
type minSize struct{ w, h float32 }

func (m minSize) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(m.w, m.h)
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		s = s.Max(o.MinSize())
	}
	return s
}

func (m minSize) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// touchButton is a button at least minTouch high and wide. Buttons never rely on
// hover: pressed and disabled states are drawn by colour and by the words.
func touchButton(text string, imp widget.Importance, tapped func()) *widget.Button {
	b := widget.NewButton(text, tapped)
	b.Importance = imp
	return b
}

func touch(o fyne.CanvasObject) fyne.CanvasObject { return touchW(o, minTouch) }

func touchW(o fyne.CanvasObject, w float32) fyne.CanvasObject {
	return container.New(minSize{w, minTouch}, o)
}

// heading is a large wrapped title.
func heading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameHeadingText
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.Alignment = fyne.TextAlignCenter
	l.Wrapping = fyne.TextWrapWord
	return l
}

func subheading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameSubHeadingText
	l.Alignment = fyne.TextAlignCenter
	l.Wrapping = fyne.TextWrapWord
	return l
}

func body(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Alignment = fyne.TextAlignCenter
	l.Wrapping = fyne.TextWrapWord
	return l
}

// dots shows how many of n characters are typed, as filled and hollow circles: the
// digits themselves never reach the screen (and never reach the UI for the PIN).
func dots(typed, n int) fyne.CanvasObject {
	fg := theme.Color(theme.ColorNameForeground)
	var objs []fyne.CanvasObject
	for i := 0; i < n; i++ {
		c := canvas.NewCircle(color.Transparent)
		c.StrokeColor = fg
		c.StrokeWidth = 4
		if i < typed {
			c.FillColor = fg
		}
		objs = append(objs, container.New(minSize{44, 44}, c))
	}
	return container.NewCenter(container.NewHBox(objs...))
}

// keypadLabels are the translated words on a keypad.
type keypadLabels struct{ Delete, Clear, OK string }

// keypad is our own numeric keypad. The system's on-screen keyboard draws under a
// full-screen window, so every digit entry on the kiosk uses this. It holds nothing:
// each key calls back and the flow keeps the count (and, for the PIN, the digits).
type keypad struct {
	OnDigit  func(d string)
	OnDelete func()
	OnClear  func() // nil hides the key
	OnOK     func() // nil hides the key
	OKOn     bool   // OK is enabled
	Extra    string // an extra key left of 0 (e.g. "+" for phone numbers); "" for none
}

const keypadKey float32 = 120 // keys are wider than the minimum: digits are typed fast

func (k keypad) build(l keypadLabels) fyne.CanvasObject {
	key := func(text string, imp widget.Importance, fn func()) fyne.CanvasObject {
		b := touchButton(text, imp, fn)
		return container.New(minSize{keypadKey, keypadKey * 0.8}, b)
	}
	var keys []fyne.CanvasObject
	for d := 1; d <= 9; d++ {
		s := strconv.Itoa(d)
		keys = append(keys, key(s, widget.MediumImportance, func() { k.OnDigit(s) }))
	}
	switch {
	case k.Extra != "":
		e := k.Extra
		keys = append(keys, key(e, widget.MediumImportance, func() { k.OnDigit(e) }))
	case k.OnClear != nil:
		keys = append(keys, key(l.Clear, widget.MediumImportance, k.OnClear))
	default:
		keys = append(keys, layout.NewSpacer())
	}
	keys = append(keys, key("0", widget.MediumImportance, func() { k.OnDigit("0") }))
	keys = append(keys, key(l.Delete, widget.MediumImportance, k.OnDelete))
	grid := container.NewGridWithColumns(3, keys...)
	if k.OnOK == nil {
		return grid
	}
	ok := touchButton(l.OK, widget.HighImportance, k.OnOK)
	if !k.OKOn {
		ok.Disable()
	}
	return container.NewVBox(grid, touch(ok))
}

// coloured is a rectangle behind an object (banners, panels).
func coloured(c color.Color, o fyne.CanvasObject) fyne.CanvasObject {
	bg := canvas.NewRectangle(c)
	return container.NewStack(bg, o)
}

// bigButton is a button whose words are drawn at sub-heading size: the main choices
// of a screen (languages, continue, confirm) must read from a step back.
func bigButton(text string, imp widget.Importance, tapped func()) fyne.CanvasObject {
	return bigButtonOpt(text, imp, tapped, false)
}

// bigButtonOpt is bigButton, greyed out and inert when disabled.
func bigButtonOpt(text string, imp widget.Importance, tapped func(), disabled bool) fyne.CanvasObject {
	b := widget.NewButton("", tapped)
	b.Importance = imp
	col := buttonTextColour(imp)
	if disabled {
		b.Disable()
		col = theme.Color(theme.ColorNameDisabled)
	}
	txt := canvas.NewText(text, col)
	txt.TextSize = theme.Size(theme.SizeNameSubHeadingText)
	txt.TextStyle = fyne.TextStyle{Bold: true}
	txt.Alignment = fyne.TextAlignCenter
	return container.NewStack(b, container.NewCenter(container.NewPadded(txt)))
}

func buttonTextColour(imp widget.Importance) color.Color {
	switch imp {
	case widget.HighImportance:
		return theme.Color(theme.ColorNameForegroundOnPrimary)
	case widget.DangerImportance:
		return theme.Color(theme.ColorNameForegroundOnError)
	}
	return theme.Color(theme.ColorNameForeground)
}

func fg() color.Color      { return theme.Color(theme.ColorNameForeground) }
func primary() color.Color { return theme.Color(theme.ColorNamePrimary) }
func success() color.Color { return theme.Color(theme.ColorNameSuccess) }
func danger() color.Color  { return theme.Color(theme.ColorNameError) }

// meter is a thin progress bar (Fyne's progress bar is as tall as a line of text,
// too heavy beside a countdown).
type meter struct {
	value  float64
	bg, fg *canvas.Rectangle
	box    *fyne.Container
}

func newMeter(w, h float32) *meter {
	m := &meter{bg: canvas.NewRectangle(theme.Color(theme.ColorNameSeparator)), fg: canvas.NewRectangle(primary())}
	m.bg.CornerRadius, m.fg.CornerRadius = h/2, h/2
	m.box = container.New(&meterLayout{m: m, w: w, h: h}, m.bg, m.fg)
	return m
}

// Set shows v in 0..1.
func (m *meter) Set(v float64) {
	m.value = math.Max(0, math.Min(1, v))
	m.box.Refresh()
}

type meterLayout struct {
	m    *meter
	w, h float32
}

func (l *meterLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(l.w, l.h) }

func (l *meterLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	y := (size.Height - l.h) / 2
	l.m.bg.Move(fyne.NewPos(0, y))
	l.m.bg.Resize(fyne.NewSize(size.Width, l.h))
	l.m.fg.Move(fyne.NewPos(0, y))
	l.m.fg.Resize(fyne.NewSize(size.Width*float32(l.m.value), l.h))
}

// maxWidth lays its objects out as one centred column: as wide as the screen allows
// up to w, as high as the objects need at that width, centred vertically. Unlike a
// fixed minimum width it never pushes anything past the edge of a narrower panel.
type maxWidth struct{ w float32 }

func (m maxWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		if o.Visible() {
			s = s.Max(o.MinSize())
		}
	}
	return s
}

func (m maxWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, m.w)
	if w < minTouch {
		return // not laid out yet: wrapping text at a sliver of a width takes ages
	}
	for _, o := range objs {
		// Wrapped text knows its height only once it knows its width.
		o.Resize(fyne.NewSize(w, size.Height))
		h := min(o.MinSize().Height, size.Height)
		o.Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
		o.Resize(fyne.NewSize(w, h))
	}
}

// column is a screen's content as a centred column at most w wide.
func column(w float32, items ...fyne.CanvasObject) fyne.CanvasObject {
	return container.New(maxWidth{w}, container.NewVBox(items...))
}

// topAligned lays its objects out from the top, centred across: a keypad and the
// fields it types into must not move when a line (an error, a warning) appears above
// or below them, which a vertically centred layout would do. w > 0 caps the width
// as maxWidth does; w == 0 keeps the object's own width.
type topAligned struct{ w float32 }

func (t topAligned) MinSize(objs []fyne.CanvasObject) fyne.Size { return maxWidth{}.MinSize(objs) }

func (t topAligned) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		w := min(size.Width, o.MinSize().Width)
		if t.w > 0 {
			w = min(size.Width, t.w)
		}
		if w < minTouch {
			return // see maxWidth.Layout
		}
		o.Resize(fyne.NewSize(w, size.Height))
		h := min(o.MinSize().Height, size.Height)
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
		o.Resize(fyne.NewSize(w, h))
	}
}

// chromeText is the size of the words on the bars' buttons. It does not grow with
// large text: the bars must fit a 1280-wide panel in every language, and the switch
// that turns large text off must stay where the finger found it.
const chromeText float32 = 24

// chromeButton is a top-bar button: at least minTouch high and w wide, with an
// optional icon, its words at chromeText whatever the text size.
func chromeButton(text string, icon fyne.Resource, imp widget.Importance, w float32, tapped func()) fyne.CanvasObject {
	b := widget.NewButton("", tapped)
	b.Importance = imp
	txt := canvas.NewText(text, buttonTextColour(imp))
	txt.TextSize = chromeText
	txt.TextStyle = fyne.TextStyle{Bold: imp == widget.HighImportance}
	row := []fyne.CanvasObject{txt}
	if icon != nil {
		img := canvas.NewImageFromResource(icon)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(30, 30))
		row = append([]fyne.CanvasObject{img}, row...)
	}
	inner := container.New(layout.NewCustomPaddedLayout(0, 0, 14, 14), container.NewHBox(row...))
	return container.New(minSize{w, minTouch}, container.NewStack(b, container.NewCenter(inner)))
}

// barButton is a bottom-bar button: its words at a fixed 32 px, bold, so that the
// bar keeps its size and place whatever the text size (see chromeText).
func barButton(text string, imp widget.Importance, tapped func()) fyne.CanvasObject {
	b := widget.NewButton("", tapped)
	b.Importance = imp
	txt := canvas.NewText(text, buttonTextColour(imp))
	txt.TextSize = 32
	txt.TextStyle = fyne.TextStyle{Bold: true}
	txt.Alignment = fyne.TextAlignCenter
	return container.NewStack(b, container.NewCenter(container.New(layout.NewCustomPaddedLayout(0, 0, 20, 20), txt)))
}
