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
func heading(text string) *textLabel {
	l := newTextLabel(text)
	l.SizeName = theme.SizeNameHeadingText
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.Alignment = fyne.TextAlignCenter
	l.Wrapping = fyne.TextWrapWord
	return l
}

func subheading(text string) *textLabel {
	l := newTextLabel(text)
	l.SizeName = theme.SizeNameSubHeadingText
	l.Alignment = fyne.TextAlignCenter
	l.Wrapping = fyne.TextWrapWord
	return l
}

func body(text string) *textLabel {
	l := newTextLabel(text)
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
	txt.TextStyle = hanStyle(text, fyne.TextStyle{Bold: true})
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
	txt.TextStyle = hanStyle(text, fyne.TextStyle{Bold: imp == widget.HighImportance})
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
	txt.TextStyle = hanStyle(text, fyne.TextStyle{Bold: true})
	txt.Alignment = fyne.TextAlignCenter
	return container.NewStack(b, container.NewCenter(container.New(layout.NewCustomPaddedLayout(0, 0, 20, 20), txt)))
}

// pager lays a screen out as pages that fit the panel, so that nothing ever needs
// scrolling: the head (a title) on every page, then as many of the items as fit the
// height it is given, and, only when they do not all fit, a row with big Previous and
// Next buttons and "page 1 of 2" pinned to the bottom, where they stay whatever the
// page holds. The page number lives in the UI (u.pages), so a rebuild (the timer,
// a language change) keeps it and a new screen starts on the first page again.
// Give a pager the whole height of its place (a screen, a grid cell, a border's
// centre): it cannot know how many items fit in less.
type pager struct {
	head, items []fyne.CanvasObject
	w           float32 // width cap, as maxWidth
	page        *int
	controls    fyne.CanvasObject
	prev, next  *widget.Button
	label       *textLabel
	pageText    func(page, pages int) string
	pages       int // from the last layout (tests read it)
	// want is an item to bring into view at the first layout (a field with an error,
	// the field being typed); -1 for none. onPage hears which items are on screen.
	want   int
	onPage func(from, to int)
	top    bool // one page hangs from the top (a form: nothing moves when a line grows)
}

// pagerGap keeps the items clear of the Previous/Next row.
const pagerGap float32 = 8

// newPager builds the container; pageText says "page 2 of 3" in the resident's language.
func newPager(w float32, page *int, prevText, nextText string, pageText func(page, pages int) string,
	head, items []fyne.CanvasObject) *fyne.Container {
	return newPagerAt(w, page, -1, nil, false, prevText, nextText, pageText, head, items)
}

// newPagerAt is newPager that first shows the page with item want (-1: the page it
// was on), tells onPage (nil: nobody) which items are on screen after each layout,
// and with top hangs a single page from the top instead of centring it.
func newPagerAt(w float32, page *int, want int, onPage func(from, to int), top bool, prevText, nextText string,
	pageText func(page, pages int) string, head, items []fyne.CanvasObject) *fyne.Container {
	p := &pager{head: head, items: items, w: w, page: page, pageText: pageText, want: want, onPage: onPage, top: top}
	var c *fyne.Container
	p.prev = touchButton(prevText, widget.HighImportance, func() {
		if *p.page > 0 {
			*p.page--
			c.Refresh()
		}
	})
	p.prev.Icon = theme.NavigateBackIcon()
	p.next = touchButton(nextText, widget.HighImportance, func() {
		*p.page++
		c.Refresh()
	})
	p.next.Icon = theme.NavigateNextIcon()
	p.next.IconPlacement = widget.ButtonIconTrailingText
	p.label = newTextLabel("")
	p.label.Alignment = fyne.TextAlignCenter
	p.label.TextStyle = fyne.TextStyle{Bold: true}
	// "Page 1 of 2" between the buttons; it gives way (…) before they do when a keypad
	// beside the pager leaves little width.
	p.label.Truncation = fyne.TextTruncateEllipsis
	p.controls = container.NewBorder(nil, nil,
		container.New(minSize{200, minTouch}, p.prev), container.New(minSize{200, minTouch}, p.next), p.label)
	objs := append(append(append([]fyne.CanvasObject{}, head...), items...), p.controls)
	c = container.New(p, objs...)
	return c
}

func (p *pager) MinSize([]fyne.CanvasObject) fyne.Size {
	// One item at a time must fit with the head and the controls: the rest pages.
	var s fyne.Size
	for _, o := range p.head {
		m := o.MinSize()
		s = fyne.NewSize(max(s.Width, m.Width), s.Height+m.Height)
	}
	var item fyne.Size
	for _, o := range p.items {
		item = item.Max(o.MinSize())
	}
	c := p.controls.MinSize()
	return fyne.NewSize(max(s.Width, item.Width, c.Width), s.Height+item.Height+pagerGap+c.Height)
}

// heights resizes every object to width w and returns the height each then needs
// (wrapped text knows its height only once it knows its width).
func heights(objs []fyne.CanvasObject, w, maxH float32) []float32 {
	hs := make([]float32, len(objs))
	for i, o := range objs {
		o.Resize(fyne.NewSize(w, maxH))
		hs[i] = min(o.MinSize().Height, maxH)
	}
	return hs
}

func sum(hs []float32) float32 {
	var t float32
	for _, h := range hs {
		t += h
	}
	return t
}

func (p *pager) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, p.w)
	if w < minTouch {
		return // see maxWidth.Layout
	}
	x := (size.Width - w) / 2
	headH := heights(p.head, w, size.Height)
	itemH := heights(p.items, w, size.Height)
	pad := theme.Padding()
	stack := func(objs []fyne.CanvasObject, hs []float32, y float32) float32 {
		for i, o := range objs {
			o.Move(fyne.NewPos(x, y))
			o.Resize(fyne.NewSize(w, hs[i]))
			y += hs[i] + pad
		}
		return y
	}
	total := sum(headH) + sum(itemH) + pad*float32(len(headH)+len(itemH))
	if total <= size.Height {
		// Everything fits: one page, centred like a column, no controls.
		p.pages = 1
		p.controls.Hide()
		for _, o := range p.items {
			o.Show()
		}
		y0 := (size.Height - total) / 2
		if p.top {
			y0 = 0
		}
		y := stack(p.head, headH, y0)
		stack(p.items, itemH, y)
		if p.onPage != nil {
			p.onPage(0, len(p.items))
		}
		return
	}
	ctrlH := p.controls.MinSize().Height
	room := size.Height - sum(headH) - pad*float32(len(headH)) - ctrlH - pagerGap
	// Pages from the top: each takes items while they fit (at least one).
	var starts []int
	used := room + 1
	for i, h := range itemH {
		if used+h > room && (len(starts) == 0 || i > starts[len(starts)-1]) {
			starts = append(starts, i)
			used = 0
		}
		used += h + pad
	}
	p.pages = len(starts)
	if p.want >= 0 {
		for i, st := range starts {
			if st <= p.want {
				*p.page = i
			}
		}
		p.want = -1 // once: after that Previous and Next decide
	}
	*p.page = max(0, min(*p.page, p.pages-1))
	from, to := starts[*p.page], len(p.items)
	if *p.page+1 < len(starts) {
		to = starts[*p.page+1]
	}
	y := stack(p.head, headH, 0)
	for i, o := range p.items {
		if i < from || i >= to {
			o.Hide()
			continue
		}
		o.Show()
		o.Move(fyne.NewPos(x, y))
		o.Resize(fyne.NewSize(w, itemH[i]))
		y += itemH[i] + pad
	}
	p.label.SetText(p.pageText(*p.page+1, p.pages))
	if *p.page > 0 {
		p.prev.Enable()
	} else {
		p.prev.Disable()
	}
	if *p.page+1 < p.pages {
		p.next.Enable()
	} else {
		p.next.Disable()
	}
	if p.onPage != nil {
		p.onPage(from, to)
	}
	p.controls.Show()
	p.controls.Move(fyne.NewPos(x, size.Height-ctrlH))
	p.controls.Resize(fyne.NewSize(w, ctrlH))
}

// pairRow is one "label: value" line of a data list (the data check, the summary):
// the label column as wide as the list's longest label up to 45% of the width, both
// sides wrapping, so a row never pushes past a narrow panel. Every row of a list gets
// the same labelW, so the values line up across rows and pages.
type pairRow struct {
	labelW float32
	frac   float32 // the most of the width the label column takes; 0: 45%
}

// newPairRows makes one pairRow container per pair; labels[i] goes with values[i].
func newPairRows(labels, values []*textLabel) []fyne.CanvasObject {
	var lw float32
	for _, l := range labels {
		lw = max(lw, naturalWidth(l))
	}
	rows := make([]fyne.CanvasObject, len(labels))
	for i := range labels {
		labels[i].Wrapping, values[i].Wrapping = fyne.TextWrapWord, fyne.TextWrapWord
		rows[i] = container.New(pairRow{labelW: lw}, labels[i], values[i])
	}
	return rows
}

// naturalWidth is how wide a label is on one line, in the current theme.
func naturalWidth(l *textLabel) float32 {
	size := theme.Size(theme.SizeNameText)
	if l.SizeName != "" {
		size = theme.Size(l.SizeName)
	}
	return fyne.MeasureText(l.Text, size, l.TextStyle).Width + 2*theme.InnerPadding()
}

func (r pairRow) split(w float32) (lw, vw float32) {
	frac := r.frac
	if frac == 0 {
		frac = 0.45
	}
	lw = min(r.labelW, w*frac)
	return lw, max(0, w-lw-theme.Padding())
}

func (r pairRow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	l, v := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(l.Width+v.Width+theme.Padding(), max(l.Height, v.Height))
}

func (r pairRow) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	lw, vw := r.split(size.Width)
	objs[0].Resize(fyne.NewSize(lw, size.Height))
	objs[1].Resize(fyne.NewSize(vw, size.Height))
	h := max(objs[0].MinSize().Height, objs[1].MinSize().Height)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(lw, h))
	objs[1].Move(fyne.NewPos(lw+theme.Padding(), 0))
	objs[1].Resize(fyne.NewSize(vw, h))
}

// headed lays out a head (a title, wrapped to the width) at the top and gives the
// body all the height that is left: a pager under a title must get that height.
type headed struct{ w float32 }

// withHead puts head above body, both at most w wide, centred across.
func withHead(w float32, head, body fyne.CanvasObject) fyne.CanvasObject {
	return container.New(headed{w}, head, body)
}

func (h headed) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(a.Width, b.Width), a.Height+theme.Padding()+b.Height)
}

func (h headed) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, h.w)
	if w < minTouch {
		return // see maxWidth.Layout
	}
	x := (size.Width - w) / 2
	hh := heights(objs[:1], w, size.Height)[0]
	objs[0].Move(fyne.NewPos(x, 0))
	objs[0].Resize(fyne.NewSize(w, hh))
	y := hh + theme.Padding()
	objs[1].Move(fyne.NewPos(x, y))
	objs[1].Resize(fyne.NewSize(w, max(0, size.Height-y)))
}

// flowGrid lays out choices as many to a row as fit the width, all the same width
// (the widest one's words on one line): three offices side by side on the big panel,
// one under the other at large text on the small one, never cut off.
type flowGrid struct {
	cellW float32
	lastW float32 // the width of the last layout: the height follows from it
}

func newFlowGrid(objs ...fyne.CanvasObject) *fyne.Container {
	g := &flowGrid{}
	for _, o := range objs {
		g.cellW = max(g.cellW, o.MinSize().Width)
	}
	return container.New(g, objs...)
}

func (g *flowGrid) cols(width float32, n int) int {
	if width <= 0 {
		return n // not laid out yet: one row
	}
	pad := theme.Padding()
	c := int((width + pad) / (g.cellW + pad))
	return max(1, min(c, n))
}

func (g *flowGrid) rowH(objs []fyne.CanvasObject) float32 {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return h
}

func (g *flowGrid) MinSize(objs []fyne.CanvasObject) fyne.Size {
	// As high as the rows at the width last laid out (resize, then measure).
	cols := g.cols(g.lastW, len(objs))
	rows := (len(objs) + cols - 1) / cols
	return fyne.NewSize(g.cellW, float32(rows)*g.rowH(objs)+float32(max(0, rows-1))*theme.Padding())
}

func (g *flowGrid) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	g.lastW = size.Width
	pad := theme.Padding()
	cols := g.cols(size.Width, len(objs))
	cw := (size.Width - pad*float32(cols-1)) / float32(cols)
	rh := g.rowH(objs)
	for i, o := range objs {
		r, c := i/cols, i%cols
		o.Move(fyne.NewPos(float32(c)*(cw+pad), float32(r)*(rh+pad)))
		o.Resize(fyne.NewSize(cw, rh))
	}
}

// wideOrNarrow shows wide where its width fits and narrow where it does not (e.g. two
// columns on the big panel, one paged column at large text on the small one). The
// two are built apart (an object has one parent); the choice follows the size the
// screen is given, not the window's, so it holds on any panel.
func wideOrNarrow(wide, narrow fyne.CanvasObject) fyne.CanvasObject {
	return container.New(eitherLayout{}, wide, narrow)
}

type eitherLayout struct{}

func (eitherLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[1].MinSize() }

func (eitherLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	show, hide := objs[0], objs[1]
	if objs[0].MinSize().Width > size.Width {
		show, hide = objs[1], objs[0]
	}
	hide.Hide()
	show.Show()
	show.Move(fyne.NewPos(0, 0))
	show.Resize(size)
}
