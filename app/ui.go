// Package app is the kiosk's Fyne front end: the theme, the bundled CJK font, the
// translations, our own keypad and keyboard, and one screen per kiosk.State drawn from
// the session's read-only kiosk.Snapshot. The screens post kiosk.Events and hold no
// flow state: what the resident sees is a function of the latest snapshot.
package app

import (
	"reflect"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
)

// DemoControls stand in for the hands of a tester in demo mode: the DEMO banner shows
// buttons that insert and pull the emulated card. nil outside demo mode.
type DemoControls interface {
	InsertCard()
	RemoveCard()
}

// UI draws a kiosk.Flow into a window.
type UI struct {
	app  fyne.App
	win  fyne.Window
	tr   *i18n.Translator
	flow kiosk.Flow
	demo DemoControls

	font      fyne.Resource // nil: the bundled CJK font
	cancel    func()
	themeSet  bool
	themeKey  [2]bool
	shown     kiosk.Snapshot // structural part of the snapshot on screen
	haveShown bool
	force     bool      // rebuild the same screen (presentation-only change): keeps focus and typed digits
	builtFor  fyne.Size // the window's size when the screen on show was built (bottomBar's rows)
	lastSeq   uint64
	live      []func(kiosk.Snapshot)
	actions   []fyne.CanvasObject // bottom-bar buttons of the screen being built

	// Presentation-only state, dropped whenever the screen changes: which form field
	// has the keypad, and the digits of a service password being typed (the snapshot
	// masks passwords, so the keypad keeps them until the field is complete).
	focus    string
	focusSet bool // the resident touched the field in focus: it keeps the keypad
	password map[string][]byte
	// pages: the page each pager of the screen shows (paged, widgets.go's pager).
	pages map[string]*int
	// confirmEnd: the resident touched End and is being asked to confirm.
	confirmEnd bool
	// demoSMS is the demo's simulated SMS code on the banner (oneaccount.go).
	demoSMS string
	// speaker plays the spoken prompts and the timer's warning (sound.go); nil: silent.
	speaker Speaker

	facePics *facePictures // the face screen's preview and oval, reused (facepictures.go)
	// gestureTaps are the recent taps on the title (the hidden staff gesture, staff.go).
	gestureTaps []time.Time
	do          func(func()) // runs drawing on Fyne's goroutine; nil: fyne.Do (tests stall it)
}

// New makes the UI; call Start to follow the flow.
func New(a fyne.App, w fyne.Window, tr *i18n.Translator, flow kiosk.Flow, demo DemoControls) *UI {
	return &UI{app: a, win: w, tr: tr, flow: flow, demo: demo}
}

// SetFont replaces the bundled CJK font (nil keeps it). Call before Start.
func (u *UI) SetFont(f fyne.Resource) { u.font = f }

// Start subscribes to the flow's snapshots. Snapshots arrive on the machine's
// goroutine; drawing happens on Fyne's through fyne.Do, with at most one snapshot
// waiting per screen (drawQueue: camera frames must not pile up).
func (u *UI) Start() {
	do := u.do
	if do == nil {
		do = fyne.Do
	}
	q := &drawQueue{do: do, draw: u.Render}
	u.cancel = u.flow.Subscribe(q.push)
}

// Stop ends the subscription and clears the window.
func (u *UI) Stop() {
	if u.cancel != nil {
		u.cancel()
		u.cancel = nil
	}
	u.wipeLocal()
}

// Render draws s. It must run on Fyne's goroutine (tests call it directly).
func (u *UI) Render(s kiosk.Snapshot) {
	if s.Seq != 0 && s.Seq < u.lastSeq {
		return // an older snapshot that fyne.Do delivered late
	}
	u.lastSeq = s.Seq
	force := u.force
	u.force = false
	if k := [2]bool{s.LargeText, s.HighContrast}; !u.themeSet || k != u.themeKey {
		// Setting a theme makes Fyne drop its font faces and parse the fonts again
		// (some 40 MB each, and its shaper keeps the old ones for a while): a theme
		// equal to the one in force is not set again (a new UI in the same app).
		th := newTheme(s.LargeText, s.HighContrast, u.font)
		if cur, ok := u.app.Settings().Theme().(*kioskTheme); !ok || *cur != *th {
			u.app.Settings().SetTheme(th)
		}
		u.themeKey, u.themeSet = k, true
		force = true // sizes changed: rebuild so layouts pick them up
	}
	st := structural(s)
	// The bottom bar chose one row or two for the window's width: a window that
	// changed size since (the kiosk's going full screen after its first frame, or
	// another panel) gets the screen built again at the next snapshot.
	if size := u.win.Canvas().Size(); size != u.builtFor {
		u.builtFor, force = size, true
	}
	if u.haveShown && !force && reflect.DeepEqual(st, u.shown) {
		for _, f := range u.live {
			f(s)
		}
		return
	}
	if !u.haveShown || u.shown.State != s.State {
		u.wipeLocal()
	}
	u.shown, u.haveShown = st, true
	u.live = nil
	content := u.frame(s)
	// Live fields first, so that the first layout already has their text.
	for _, f := range u.live {
		f(s)
	}
	u.win.SetContent(content)
}

// wipeLocal forgets presentation state that could hold something of a resident.
func (u *UI) wipeLocal() {
	for k, b := range u.password {
		for i := range b {
			b[i] = 0
		}
		delete(u.password, k)
	}
	u.focus, u.focusSet, u.confirmEnd, u.demoSMS = "", false, false, ""
	u.pages = nil
	u.facePics.clear()
}

// structural is s without the fields that change many times a second (timers, camera
// frames, read progress): those update the widgets on screen, the rest rebuild it.
func structural(s kiosk.Snapshot) kiosk.Snapshot {
	s.Seq = 0
	s.Countdown = 0
	s.Progress, s.ProgressStep = 0, ""
	s.Face.Frame = nil
	s.Face.ChallengeRemaining = 0
	s.EID = nil // only the eID scan's camera frame
	s.OneAccount = oneAccountStructural(s.OneAccount)
	return s
}

func (u *UI) post(ev kiosk.Event) { u.flow.Post(ev) }

func (u *UI) t(s kiosk.Snapshot, key string) string { return u.tr.T(s.Language, key, nil) }

func (u *UI) tf(s kiosk.Snapshot, key string, data map[string]any) string {
	return u.tr.T(s.Language, key, data)
}

// onLive registers an updater for the fast-changing fields.
func (u *UI) onLive(f func(kiosk.Snapshot)) { u.live = append(u.live, f) }

// frame is the chrome around every screen: the bar with the language switch and the
// display modes, the DEMO banner, the screen, and the bar with the timer and the
// screen's buttons (always in the same place, bottom right).
func (u *UI) frame(s kiosk.Snapshot) fyne.CanvasObject {
	var top []fyne.CanvasObject
	top = append(top, u.topBar(s))
	if s.Demo {
		top = append(top, u.demoBanner(s))
	}
	u.actions = nil
	var screen fyne.CanvasObject
	switch {
	case s.AskMoreTime && s.State != kiosk.StateTakeCard:
		screen = u.moreTime(s)
	case u.confirmEnd && confirmsEnd(s.State):
		screen = u.confirmEndScreen(s)
	default:
		screen = u.screen(s)
	}
	// The screen scrolls only if it cannot fit (large text on a small panel); at normal
	// size every screen fits 1920×1080 without scrolling.
	return container.NewBorder(container.NewVBox(top...), u.bottomBar(s), nil, nil,
		container.NewVScroll(container.NewPadded(screen)))
}

// action adds a button to the bottom bar of the screen being built.
func (u *UI) action(text string, imp widget.Importance, width float32, ev kiosk.Event) {
	b := barButton(text, imp, func() { u.post(ev) })
	u.actions = append(u.actions, container.New(minSize{width, minTouch}, b))
}

// fitsOneRow: the bottom bar's groups fit the window's width side by side; if not
// (a 1280 panel, a wide button), the timer gets a row of its own above the buttons.
func (u *UI) fitsOneRow(groups ...[]fyne.CanvasObject) bool {
	w := u.win.Canvas().Size().Width
	if w <= 0 {
		return true
	}
	pad := theme.Padding()
	need := 4 * pad // the bar's own padding and the gaps between the groups
	for _, g := range groups {
		for _, o := range g {
			need += o.MinSize().Width + pad
		}
	}
	return need <= w
}

func (u *UI) topBar(s kiosk.Snapshot) fyne.CanvasObject {
	title := newTextLabel(u.t(s, "app.title"))
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.Truncation = fyne.TextTruncateEllipsis
	items := []fyne.CanvasObject{}
	// The out-of-service screen takes no input: no switches there.
	if s.State != kiosk.StateOutOfService {
		for _, l := range kiosk.Languages {
			l := l
			imp := widget.LowImportance
			if l == s.Language {
				imp = widget.HighImportance
			}
			items = append(items, chromeButton(u.t(s, i18n.LangKey(l)), nil, imp, 110, func() {
				u.post(kiosk.Event{Kind: kiosk.EvSetLanguage, Language: l})
			}))
		}
		largeKey := "chrome.large_text"
		if s.LargeText {
			largeKey = "chrome.normal_text"
		}
		contrastKey := "chrome.high_contrast"
		if s.HighContrast {
			contrastKey = "chrome.normal_contrast"
		}
		items = append(items,
			chromeButton(u.t(s, largeKey), iconLarge.in(fg()), widget.LowImportance, minTouch, func() { u.post(kiosk.Event{Kind: kiosk.EvToggleLargeText}) }),
			chromeButton(u.t(s, contrastKey), iconContr.in(fg()), widget.LowImportance, minTouch, func() { u.post(kiosk.Event{Kind: kiosk.EvToggleContrast}) }))
	}
	// The speaker reads the screen's instruction aloud, on every resident's screen.
	if spoken(s.State) {
		speak := chromeButton(u.t(s, "chrome.speak"), theme.VolumeUpIcon(), widget.LowImportance, minTouch, func() { u.say(s, string(s.State)) })
		items = append([]fyne.CanvasObject{speak}, items...)
	}
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(items...), u.withStaffGesture(s, title))
	return container.NewVBox(container.NewPadded(bar), widget.NewSeparator())
}

func (u *UI) demoBanner(s kiosk.Snapshot) fyne.CanvasObject {
	txt := canvas.NewText(u.t(s, "chrome.demo"), white)
	txt.TextStyle = fyne.TextStyle{Bold: true}
	txt.TextSize = 26
	if s.LargeText {
		txt.TextSize = 34
	}
	txt.Alignment = fyne.TextAlignCenter
	row := []fyne.CanvasObject{layout.NewSpacer(), txt, layout.NewSpacer()}
	if u.demo != nil {
		// Tester's hands: these stand for putting a card in and taking it out.
		in := touchButton(u.t(s, "demo.insert_card"), widget.MediumImportance, u.demo.InsertCard)
		out := touchButton(u.t(s, "demo.remove_card"), widget.MediumImportance, u.demo.RemoveCard)
		row = append(append(row, touch(in), touch(out)), u.demoEIDButton(s)...)
	}
	return coloured(demoOrange, u.withDemoOneAccount(s, u.withDemoPayments(s, container.NewPadded(container.NewHBox(row...)))))
}

// warnBefore is how long before the "need more time?" question the bar warns, on
// screen and aloud: the question itself gives only the grace period to answer.
const warnBefore = 20 * time.Second

// bottomBar shows the way out (far left, away from Back and Continue on the right),
// the screen timer with its early warning, and the screen's own buttons.
func (u *UI) bottomBar(s kiosk.Snapshot) fyne.CanvasObject {
	var left, right []fyne.CanvasObject
	if hasCancel(s.State) && !s.AskMoreTime && !(u.confirmEnd && confirmsEnd(s.State)) {
		b := barButton(u.t(s, "chrome.cancel"), widget.DangerImportance, func() {
			if !confirmsEnd(s.State) {
				u.post(kiosk.Event{Kind: kiosk.EvCancel})
				return
			}
			u.confirmEnd = true
			u.rerender()
		})
		left = append(left, container.New(minSize{200, minTouch}, b))
	}
	var timer []fyne.CanvasObject
	// The take-card screen waits for the card, not for the resident: no countdown.
	if s.TimerOn && s.State != kiosk.StateTakeCard {
		lbl := newTextLabel("")
		lbl.TextStyle = fyne.TextStyle{Bold: true}
		lbl.Wrapping = fyne.TextWrapWord
		bar := newMeter(200, 16)
		more := touchButton(u.t(s, "chrome.more_time_short"), widget.HighImportance, func() { u.post(kiosk.Event{Kind: kiosk.EvMoreTime}) })
		// The button appears over the bar, in a slot of its own size: nothing moves.
		slot := container.New(minSize{220, minTouch}, bar.box, more)
		total := s.Countdown
		warned := false
		u.onLive(func(s kiosk.Snapshot) {
			secs := int((s.Countdown + time.Second - 1) / time.Second)
			warn := s.Countdown <= warnBefore && !s.AskMoreTime
			if warn {
				lbl.Importance = widget.DangerImportance
				lbl.SetText(u.tf(s, "chrome.time_warning", map[string]any{"Seconds": secs}))
			} else {
				lbl.Importance = widget.MediumImportance
				lbl.SetText(u.tf(s, "chrome.time_left", map[string]any{"Seconds": secs}))
			}
			// Shown or not, the button keeps its place (see the transparent slot).
			if warn {
				more.Show()
			} else {
				more.Hide()
			}
			if warn && !warned {
				u.sayWarning(s) // once per countdown
			}
			warned = warn
			if total < s.Countdown {
				total = s.Countdown // the timer was restarted ("more time")
			}
			if total > 0 {
				bar.Set(float64(s.Countdown) / float64(total))
			}
		})
		icon := widget.NewIcon(theme.HistoryIcon())
		// Fixed widths: the seconds change every second and must not move the bar.
		timer = append(timer, container.New(minSize{48, 48}, icon), container.New(minSize{260, 0}, lbl), slot)
	}
	right = append(right, u.actions...)
	if len(timer) > 0 && len(left)+len(right) > 0 && !u.fitsOneRow(left, timer, right) {
		rows := container.NewVBox(
			container.NewHBox(append([]fyne.CanvasObject{layout.NewSpacer()}, timer...)...),
			container.NewBorder(nil, nil, container.NewHBox(left...), container.NewHBox(right...)))
		return container.NewVBox(widget.NewSeparator(), container.NewPadded(rows))
	}
	left = append(left, timer...)
	if len(left) == 0 && len(right) == 0 {
		return layout.NewSpacer()
	}
	bar := container.NewBorder(nil, nil, container.NewHBox(left...), container.NewHBox(right...))
	return container.NewVBox(widget.NewSeparator(), container.NewPadded(bar))
}

// hasCancel: the screens where the resident may end the session (the flow table's
// cancel rules, plus insert card which goes back to the attract screen).
func hasCancel(st kiosk.State) bool {
	switch st {
	case kiosk.StateInsertCard, kiosk.StateFace, kiosk.StateFaceResult, kiosk.StatePIN,
		kiosk.StateServiceMenu, kiosk.StateCheckData, kiosk.StatePhoto, kiosk.StatePhotoReview,
		kiosk.StateServiceForm, kiosk.StateSummary:
		return true
	}
	return oneAccountEnds(st)
}

// confirmsEnd: where End asks first. On the insert-card screen nothing has started
// (no card, nothing typed): End there just goes back.
func confirmsEnd(st kiosk.State) bool { return hasCancel(st) && st != kiosk.StateInsertCard }

// confirmEndScreen asks before ending: "keep going" is the big, safe choice on top.
func (u *UI) confirmEndScreen(s kiosk.Snapshot) fyne.CanvasObject {
	no := bigButton(u.t(s, "confirm_end.no"), widget.HighImportance, func() {
		u.confirmEnd = false
		u.rerender()
	})
	yes := bigButton(u.t(s, "confirm_end.yes"), widget.DangerImportance, func() {
		u.confirmEnd = false
		u.post(kiosk.Event{Kind: kiosk.EvCancel})
	})
	items := []fyne.CanvasObject{
		bigIcon(iconCardOut.in(fg()), 160),
		heading(u.t(s, "confirm_end.question")),
		subheading(u.endDetail(s)),
		container.NewCenter(container.New(minSize{700, 140}, no)),
		container.New(minSize{0, 48}, layout.NewSpacer()),
		container.NewCenter(container.New(minSize{500, minTouch}, yes)),
	}
	return column(1200, items...)
}

// endDetail says what End does to the applications: nothing is submitted, or, after
// an earlier one in this session, that one is kept and only what came after is dropped.
func (u *UI) endDetail(s kiosk.Snapshot) string {
	if s.Submitted > 0 {
		return u.tr.N(s.Language, "confirm_end.detail_kept", s.Submitted, nil)
	}
	return u.t(s, "confirm_end.detail")
}

// moreTime replaces the screen while the flow asks "need more time?".
func (u *UI) moreTime(s kiosk.Snapshot) fyne.CanvasObject {
	big := canvas.NewText("", theme.Color(theme.ColorNamePrimary))
	big.TextSize = 160
	big.TextStyle = fyne.TextStyle{Bold: true}
	big.Alignment = fyne.TextAlignCenter
	u.onLive(func(s kiosk.Snapshot) {
		big.Text = strconv.Itoa(int((s.Countdown + time.Second - 1) / time.Second))
		big.Refresh()
	})
	yes := bigButton(u.t(s, "chrome.more_time_yes"), widget.HighImportance, func() { u.post(kiosk.Event{Kind: kiosk.EvMoreTime}) })
	items := []fyne.CanvasObject{heading(u.t(s, "chrome.more_time_question")), big,
		container.NewCenter(container.New(minSize{700, 140}, yes))}
	if hasCancel(s.State) || s.State == kiosk.StateCardProblem || s.State == kiosk.StateCounter || s.State == kiosk.StateDone {
		end := bigButton(u.t(s, "chrome.cancel"), widget.DangerImportance, func() { u.post(kiosk.Event{Kind: kiosk.EvCancel}) })
		items = append(items, container.NewCenter(container.New(minSize{700, minTouch}, end)))
	}
	return container.NewCenter(container.NewVBox(items...))
}
