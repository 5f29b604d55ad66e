package app

// Laying out a screen so that it fits every panel (TestEveryScreenFits: 1920×1080 and
// 1280×1024, normal and large text, both contrasts, all three languages, no scrolling):
//   - column(w, items...): a centred column at most w wide, for short screens.
//   - u.paged(s, key, w, head, items...): a title (head) on every page and as many
//     items as fit the height, the rest behind big Previous/Next buttons with "page 1
//     of 2" that stay at the bottom (widgets.go's pager); one page: no buttons. Give
//     it all the height of its place. u.pagedAt also opens on a given item (a wrong
//     field), reports which items are on screen (to hide a keypad) and can hang from
//     the top. The page is UI state in u.pages, reset when the state changes.
//   - withHead(w, title, body): a wrapped title on top, the body gets the rest.
//   - wideOrNarrow(wide, narrow): two builds of a screen, the wide one where it fits.
//   - newPairRows(labels, values): label/value lines that wrap instead of widening.
//   - newFlowGrid(buttons...): choices side by side while they fit, else stacked.
// Fixed sizes only for touch targets (minSize, minTouch); never a minimum width that
// a 1280 panel cannot give. Keys and fields hang from the top (topAligned) so that a
// line appearing does not move what a finger is about to touch.

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
)

// screen draws the body of the screen for s.State.
func (u *UI) screen(s kiosk.Snapshot) fyne.CanvasObject {
	if o, ok := u.eidScreen(s); ok {
		return o
	}
	switch s.State {
	case kiosk.StateAttract:
		return u.attract(s)
	case kiosk.StateInsertCard:
		u.eidOffer(s)
		return u.message(s, iconCardIn.in(fg()), "insert.hint", "")
	case kiosk.StateReading:
		return u.reading(s)
	case kiosk.StateCardProblem:
		u.continueAction(s, "chrome.continue")
		return u.message(s, theme.NewErrorThemedResource(theme.ErrorIcon()), string(s.Message), "counter.hint")
	case kiosk.StateFace:
		return u.face(s)
	case kiosk.StateFaceResult:
		return u.faceResult(s)
	case kiosk.StatePIN:
		return u.pin(s)
	case kiosk.StateServiceMenu:
		return u.menu(s)
	case kiosk.StateCheckData:
		return u.checkData(s)
	case kiosk.StatePhoto, kiosk.StatePhotoReview:
		return u.photoScreen(s)
	case kiosk.StateServiceForm:
		return u.form(s)
	case kiosk.StateSummary:
		return u.summary(s)
	case kiosk.StatePayment:
		return u.payment(s)
	case kiosk.StateStaffPIN:
		return u.staffPIN(s)
	case kiosk.StateStaff:
		return u.staffHome(s)
	case kiosk.StateSubmitting:
		return u.busyScreen(s)
	case kiosk.StateDone:
		return u.done(s)
	case kiosk.StateTakeCard:
		if s.Message != "" {
			// After End or a timeout: say first whether anything was submitted.
			return u.message(s, iconCardOut.in(fg()), string(s.Message), "take_card.hint")
		}
		return u.message(s, iconCardOut.in(fg()), "take_card.hint", "")
	case kiosk.StateOutOfService:
		return u.outOfService(s)
	case kiosk.StateCounter:
		u.continueAction(s, "chrome.continue")
		return u.message(s, iconCounter.in(fg()), string(s.Message), "counter.hint")
	}
	if o := u.oneAccountScreen(s); o != nil {
		return o
	}
	// A state this build does not know: say "go to the counter" rather than nothing.
	return u.message(s, iconCounter.in(fg()), "counter.hint", "")
}

func bigIcon(r fyne.Resource, size float32) fyne.CanvasObject {
	img := canvas.NewImageFromResource(r)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(size, size))
	return img
}

// message is the layout of the simple screens: icon, title, one or two lines, button.
func (u *UI) message(s kiosk.Snapshot, icon fyne.Resource, line1, line2 string) fyne.CanvasObject {
	items := []fyne.CanvasObject{bigIcon(icon, 220), heading(u.t(s, string(kiosk.ScreenKey(s.State))))}
	if line1 != "" {
		items = append(items, subheading(u.t(s, line1)))
	}
	if line2 != "" {
		items = append(items, body(u.t(s, line2)))
	}
	return column(1200, items...)
}

// continueAction puts the screen's "continue" button in the bottom bar.
func (u *UI) continueAction(s kiosk.Snapshot, key string) {
	u.action(u.t(s, key), widget.HighImportance, 380, kiosk.Event{Kind: kiosk.EvContinue})
}

// attract shows the invitation in all three languages at once: the resident may not
// read the kiosk's current one. Touching a language starts the session in it.
func (u *UI) attract(s kiosk.Snapshot) fyne.CanvasObject {
	var langs []fyne.CanvasObject
	for _, l := range kiosk.Languages {
		l := l
		b := bigButton(u.tr.T(l, i18n.LangKey(l), nil), widget.HighImportance, func() {
			u.post(kiosk.Event{Kind: kiosk.EvStart, Language: l})
		})
		langs = append(langs, container.New(minSize{370, 140}, b))
	}
	var invites []fyne.CanvasObject
	for _, l := range kiosk.Languages {
		invites = append(invites, subheading(u.tr.T(l, "attract.choose_language", nil)))
	}
	items := []fyne.CanvasObject{
		heading(u.t(s, string(kiosk.ScreenKey(s.State))) + " · " + u.t(s, "app.title")),
		container.NewVBox(invites...),
		container.NewCenter(container.NewHBox(langs...)),
		body(u.t(s, "attract.services")),
	}
	if s.Message != "" {
		// e.g. "your session ended": said once, to whoever looks next, with nothing of
		// it, and in every language: the session's own language is already reset.
		items = append(items, allLanguages(func(l kiosk.Language) fyne.CanvasObject {
			return body(u.tr.T(l, string(s.Message), nil))
		}))
	}
	return column(1500, items...)
}

// allLanguages stacks one line per language, the session's languages in their order.
func allLanguages(line func(l kiosk.Language) fyne.CanvasObject) fyne.CanvasObject {
	var lines []fyne.CanvasObject
	for _, l := range kiosk.Languages {
		lines = append(lines, line(l))
	}
	return container.NewVBox(lines...)
}

// outOfService says it in all three languages at once: it has no language buttons
// (it takes no input), so whoever comes must be able to read it as it is.
func (u *UI) outOfService(s kiosk.Snapshot) fyne.CanvasObject {
	items := []fyne.CanvasObject{container.NewCenter(bigIcon(iconOff.in(fg()), 120))}
	for _, l := range kiosk.Languages {
		t := subheading(u.tr.T(l, string(kiosk.ScreenKey(s.State)), nil))
		t.TextStyle = fyne.TextStyle{Bold: true}
		text := u.tr.T(l, "out_of_service.hint", nil)
		if s.Message != "" {
			sep := " "
			if l == kiosk.LangZhHant {
				sep = "" // no space between Chinese sentences
			}
			text = u.tr.T(l, string(s.Message), nil) + sep + text
		}
		items = append(items, t, body(text))
	}
	return column(1400, items...)
}

func (u *UI) reading(s kiosk.Snapshot) fyne.CanvasObject {
	bar := widget.NewProgressBar()
	bar.TextFormatter = func() string {
		return u.tf(s, "format.percent", map[string]any{"Percent": int(math.Round(bar.Value * 100))})
	}
	u.onLive(func(s kiosk.Snapshot) { bar.SetValue(s.Progress) })
	items := []fyne.CanvasObject{
		bigIcon(iconReading.in(fg()), 220),
		heading(u.t(s, string(kiosk.ScreenKey(s.State)))),
		container.New(minSize{700, 60}, bar),
		subheading(u.t(s, "reading.keep_card")),
	}
	return column(1200, items...)
}

func (u *UI) busyScreen(s kiosk.Snapshot) fyne.CanvasObject {
	act := widget.NewActivity()
	act.Start()
	items := []fyne.CanvasObject{
		container.NewCenter(container.New(minSize{160, 160}, act)),
		heading(u.t(s, string(kiosk.ScreenKey(s.State)))),
		subheading(u.t(s, "chrome.busy")),
	}
	return column(1200, items...)
}

// face: the live preview (mirrored, so that "turn left" is the resident's left as in
// a mirror) under an oval position guide, and beside it the guidance and the
// challenge with its countdown.
func (u *UI) face(s kiosk.Snapshot) fyne.CanvasObject {
	pics := u.faceObjects(guideColour(s.Face.Guidance)) // the same ones every build: see facePictures
	bg := canvas.NewRectangle(color.Black)
	u.onLive(func(s kiosk.Snapshot) {
		if s.Face.Frame == nil {
			pics.show(nil)
			return
		}
		pics.show(s.Face.Frame.Image)
	})
	left := container.NewStack(bg, pics.preview, pics.guide)

	var right []fyne.CanvasObject
	right = append(right, body(u.tf(s, "face.attempt", map[string]any{"Attempt": s.Face.Attempt, "Max": s.Face.MaxAttempts})))
	g := s.Face.Guidance
	// One instruction at a time. Before the camera's first frame there is nothing to
	// correct yet; during a challenge "good, hold still" would contradict "turn your
	// head", so only a problem with the picture replaces the challenge's words.
	problem := g != "" && g != kiosk.GuideOK && g != kiosk.GuideHoldStill
	switch {
	case g == "" && s.Face.Challenge == "":
		right = append(right, subheading(u.t(s, "face.starting")))
	case s.Face.Challenge == "" || problem:
		if icon, ok := guidanceIcons[g]; ok && s.Face.Challenge == "" {
			right = append(right, container.NewCenter(bigIcon(icon.in(guideColour(g)), 120)))
		}
		right = append(right, subheading(u.t(s, string(kiosk.GuidanceKey(g)))))
	}
	if s.Face.Challenge != "" && !problem {
		if icon, ok := challengeIcons[s.Face.Challenge]; ok {
			right = append(right, container.NewCenter(bigIcon(icon.in(primary()), 150)))
		}
		right = append(right, heading(u.t(s, string(kiosk.ChallengeKey(s.Face.Challenge)))))
		secs := canvas.NewText("", theme.Color(theme.ColorNamePrimary))
		secs.TextSize = 80
		secs.TextStyle = fyne.TextStyle{Bold: true}
		secs.Alignment = fyne.TextAlignCenter
		bar := newMeter(500, 24)
		total := s.Face.ChallengeRemaining
		u.onLive(func(s kiosk.Snapshot) {
			r := s.Face.ChallengeRemaining
			secs.Text = strconv.Itoa(int((r + 999_999_999) / 1_000_000_000))
			secs.Refresh()
			if r > total {
				total = r
			}
			if total > 0 {
				bar.Set(float64(r) / float64(total))
			}
		})
		right = append(right, secs, bar.box)
	} else if g == kiosk.GuideNoFace {
		right = append(right, body(u.t(s, "face.put_face_in_oval")))
	}
	rightBox := container.New(minSize{520, 0}, container.NewVBox(right...))
	return container.NewBorder(nil, nil, nil, container.NewCenter(rightBox), left)
}

func guideColour(g kiosk.Guidance) color.Color {
	if g == kiosk.GuideOK || g == kiosk.GuideHoldStill {
		return success()
	}
	return primary()
}

// mirror flips a camera frame left to right for the preview.
type mirror struct{ image.Image }

func (m mirror) At(x, y int) color.Color {
	b := m.Image.Bounds()
	return m.Image.At(b.Max.X-1-(x-b.Min.X), y)
}

func (u *UI) faceResult(s kiosk.Snapshot) fyne.CanvasObject {
	var icon fyne.Resource
	var line1, line2 string
	button := "chrome.continue"
	if s.Face.Matched {
		icon = iconOK.in(success())
		line1 = "face_result.matched"
	} else {
		icon = theme.NewErrorThemedResource(theme.CancelIcon())
		// Why, in plain words, then what comes next: another try or the PIN.
		line1 = "face_result.failed"
		if s.Face.Failure != "" {
			line1 = string(s.Face.Failure)
		}
		line2 = u.t(s, "face_result.pin_next")
		button = "face_result.use_pin"
		if s.Face.NoPIN { // an eID session: no card, no PIN
			line2, button = u.t(s, "face_result.counter_next"), "chrome.continue"
		}
		if s.Face.AttemptsLeft > 0 {
			line2 = u.tr.N(s.Language, "face_result.attempts_left", s.Face.AttemptsLeft, nil)
			button = "face_result.try_again"
		}
	}
	items := []fyne.CanvasObject{container.NewCenter(bigIcon(icon, 200)), heading(u.t(s, string(kiosk.ScreenKey(s.State)))), subheading(u.t(s, line1))}
	if line2 != "" {
		items = append(items, body(line2))
	}
	u.continueAction(s, button)
	return column(1200, items...)
}

func (u *UI) pin(s kiosk.Snapshot) fyne.CanvasObject {
	left := []fyne.CanvasObject{body(u.t(s, "pin.hint"))}
	if s.Message != "" {
		left = append(left, body(u.t(s, string(s.Message))))
	}
	// As many places as the PIN has digits (kiosk.PINPolicy, in the snapshot).
	left = append(left, dots(s.PINLength, max(s.PINDigits, s.PINLength)))
	if s.PINTriesLeft >= 0 {
		left = append(left, subheading(u.tr.N(s.Language, "pin.tries_left", s.PINTriesLeft, nil)))
	}
	if s.Notice != "" {
		left = append(left, warning(u.t(s, string(s.Notice))))
	}
	if s.PINLastTry {
		left = append(left, warning(u.t(s, "pin.last_try")))
	}
	if s.Busy {
		left = append(left, subheading(u.t(s, "chrome.busy")))
	}
	kp := keypad{
		OnDigit:  func(d string) { u.post(kiosk.Event{Kind: kiosk.EvPINDigit, Value: d}) },
		OnDelete: func() { u.post(kiosk.Event{Kind: kiosk.EvPINBackspace}) },
		OnOK:     func() { u.post(kiosk.Event{Kind: kiosk.EvPINSubmit}) },
		OKOn:     s.PINLength > 0 && !s.Busy,
	}
	pad := kp.build(u.keypadLabels(s))
	// Both halves hang from the top: the keypad keeps its place whatever lines
	// (wrong PIN, last try, please wait) come and go beside it.
	// The title across the whole width, the keypad at its own width on the right and
	// the words in the rest: at large text on the small panel a half-width column
	// would wrap them past the bottom.
	return withHead(1800, heading(u.t(s, string(kiosk.ScreenKey(s.State)))),
		container.NewBorder(nil, nil, nil, container.New(topAligned{}, pad),
			container.New(topAligned{1100}, container.NewVBox(left...))))
}

func (u *UI) keypadLabels(s kiosk.Snapshot) keypadLabels {
	return keypadLabels{Delete: u.t(s, "keypad.delete"), Clear: u.t(s, "keypad.clear"), OK: u.t(s, "keypad.ok")}
}

// warning is a line in the error colour with an icon, for what must not be missed.
func warning(text string) fyne.CanvasObject {
	l := newTextLabel(text)
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.TextStyle = fyne.TextStyle{Bold: true}
	icon := widget.NewIcon(theme.NewErrorThemedResource(theme.WarningIcon()))
	return container.NewBorder(nil, nil, container.New(minSize{56, 56}, icon), nil, l)
}

// menu: every service, the ones the resident cannot use greyed out with the reason.
func (u *UI) menu(s kiosk.Snapshot) fyne.CanvasObject {
	// The greeting and the title share a line: the four services need the room.
	title := u.t(s, string(kiosk.ScreenKey(s.State)))
	if s.Holder != nil {
		name := s.Holder.NamePortuguese
		if s.Language == kiosk.LangZhHant && s.Holder.NameChinese != "" {
			name = s.Holder.NameChinese
		}
		title = u.tf(s, "menu.greeting", map[string]any{"Name": name}) + " · " + title
	}
	items := []fyne.CanvasObject{heading(title)}
	if s.Busy || len(s.Services) == 0 {
		act := widget.NewActivity()
		act.Start()
		items = append(items, container.NewCenter(container.New(minSize{120, 120}, act)), body(u.t(s, "chrome.busy")))
		return column(1200, items...)
	}
	var buttons, sides []fyne.CanvasObject
	for _, sv := range s.Services {
		sv := sv
		fee := u.t(s, "menu.free")
		if sv.Fee > 0 {
			fee = u.tr.Money(s.Language, sv.Fee)
		}
		b := bigButtonOpt(u.t(s, string(kiosk.ServiceKey(sv.ID))), widget.HighImportance, func() {
			u.post(kiosk.Event{Kind: kiosk.EvChooseService, Service: sv.ID})
		}, !sv.Eligible)
		var side fyne.CanvasObject
		if sv.Eligible {
			side = subheading(fee)
		} else {
			reason := newTextLabel(u.t(s, "menu.not_available") + "\n" + u.t(s, string(sv.Reason)))
			reason.Wrapping = fyne.TextWrapWord
			reason.Importance = widget.LowImportance
			side = reason
		}
		buttons, sides = append(buttons, container.New(minSize{0, minTouch}, b)), append(sides, side)
	}
	// The buttons as wide as the widest name (up to 60%), the fee or the reason beside.
	var bw float32
	for _, b := range buttons {
		bw = max(bw, b.MinSize().Width)
	}
	rows := make([]fyne.CanvasObject, len(buttons))
	for i := range buttons {
		rows[i] = container.New(pairRow{labelW: max(bw, 600), frac: 0.6}, buttons[i], sides[i])
	}
	// At large text two services to a page on the small panel: the rest behind Next.
	return u.paged(s, "menu", 1500, items, rows...)
}

// form: choices as big buttons, phone numbers and passwords on our keypad. One keypad
// at a time, for the field in focus: the first typed field not yet complete unless the
// resident touched another.
func (u *UI) form(s kiosk.Snapshot) fyne.CanvasObject {
	// The service's name at sub-heading size: the fields need the height.
	title := subheading(u.t(s, string(kiosk.ServiceKey(s.Service))))
	title.TextStyle = fyne.TextStyle{Bold: true}
	if len(s.Form) == 0 {
		return u.formNotReady(s, title)
	}
	focus := u.formFocus(s)
	errLineH := warning("—").MinSize().Height // one line of error, in this theme
	var fields []fyne.CanvasObject
	var pad fyne.CanvasObject
	focusAt, firstErr := -1, -1
	for i, f := range s.Form {
		f := f
		if f.Name == focus {
			focusAt = i
		}
		if f.Error != "" && firstErr < 0 {
			firstErr = i
		}
		label := newTextLabel(u.t(s, string(kiosk.FieldKey(f.Name))))
		label.TextStyle = fyne.TextStyle{Bold: true}
		label.Wrapping = fyne.TextWrapWord // a long label must not widen the form past the keypad
		var input fyne.CanvasObject
		switch f.Kind {
		case kiosk.FieldChoice:
			var opts []fyne.CanvasObject
			for _, o := range f.Options {
				o := o
				b := touchButton(u.t(s, string(kiosk.OptionKey(f.Name, o))), widget.MediumImportance, func() {
					u.post(kiosk.Event{Kind: kiosk.EvFormInput, Field: f.Name, Value: o})
				})
				if f.Value == o {
					b.Importance = widget.HighImportance
					b.Icon = theme.ConfirmIcon()
				}
				opts = append(opts, touch(b))
			}
			// Side by side while they fit, else one under the other: never cut off.
			input = newFlowGrid(opts...)
		case kiosk.FieldPhone, kiosk.FieldPassword:
			var shown fyne.CanvasObject
			if f.Kind == kiosk.FieldPassword {
				shown = dots(f.Length, max(f.MaxLen, f.Length))
			} else {
				t := newTextLabel(f.Value)
				t.SizeName = theme.SizeNameSubHeadingText
				t.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
				shown = t
			}
			imp := widget.LowImportance
			if f.Name == focus {
				imp = widget.MediumImportance
				pad = u.fieldKeypad(s, f)
			}
			// The whole box is one touch target that moves the keypad to this field.
			tap := touchButton("", imp, func() { u.focus, u.focusSet = f.Name, true; u.rerender() })
			input = container.NewStack(touch(tap), container.NewPadded(shown))
		case kiosk.FieldText:
			// An address or a name: our own keyboard (checkdata.go).
			t := newTextLabel(f.Value)
			t.Truncation = fyne.TextTruncateEllipsis
			imp := widget.LowImportance
			if f.Name == focus {
				imp = widget.MediumImportance
				pad = u.textKeyboard(s, f)
			}
			tap := touchButton("", imp, func() { u.focus, u.focusSet = f.Name, true; u.rerender() })
			input = container.NewStack(touch(tap), container.NewPadded(t))
		}
		// Every field keeps a line for its error, empty or not, right under it: an
		// error appearing must not push the fields below out from under a finger.
		var errLine fyne.CanvasObject = layout.NewSpacer()
		if f.Error != "" {
			msg := string(f.Error)
			if k, ok := requiredChoice[f.Name]; ok && f.Error == kiosk.FormRequired {
				msg = k // "please choose where you will collect it", not "fill this in"
			}
			errLine = warning(u.t(s, msg))
		}
		parts := []fyne.CanvasObject{label, input, container.New(minSize{0, errLineH}, errLine)}
		fields = append(fields, container.NewVBox(parts...))
	}
	u.backAction(s)
	u.continueAction(s, "chrome.continue")
	// Fields that do not fit (large text on the small panel) go on pages, one question
	// at a time. The page first shown has the field being typed if it is wrong, else
	// the first wrong one, else the one being typed; the keypad shows only while its
	// field is on screen.
	want := firstErr
	if focusAt >= 0 && (firstErr < 0 || s.Form[focusAt].Error != "") {
		want = focusAt
	}
	var padBox *fyne.Container
	onPage := func(from, to int) {
		if padBox == nil {
			return
		}
		if focusAt+1 >= from && focusAt+1 < to { // item 0 is the title
			padBox.Objects[0].Show()
		} else {
			padBox.Objects[0].Hide()
		}
	}
	if want >= 0 {
		want++ // item 0 is the title
	}
	// The title is the first page's first item, not a head on every page: at large
	// text on the small panel the first question needs its height.
	left := u.pagedAt(s, "form", 1000, want, onPage, true, nil, append([]fyne.CanvasObject{title}, fields...)...)
	if pad == nil {
		return left
	}
	// From the top, fields and keypad alike: an error line under a field must not
	// move the keys a finger is about to touch. The keypad's place stays taken while
	// it is hidden, so the fields do not widen under the finger either.
	padBox = container.New(minSize{pad.MinSize().Width, 0}, container.New(topAligned{}, pad))
	return container.NewBorder(nil, nil, nil, padBox, left)
}

// requiredChoice says what to choose when a choice field was left empty.
var requiredChoice = map[string]string{
	kiosk.FieldCollectionOffice: "form.required_choice.collection_office",
}

func (u *UI) formNotReady(s kiosk.Snapshot, title fyne.CanvasObject) fyne.CanvasObject {
	u.backAction(s)
	return column(1200,
		container.NewCenter(bigIcon(iconCounter.in(fg()), 200)), title, subheading(u.t(s, "form.not_ready")))
}

// backAction puts "back" in the bottom bar.
func (u *UI) backAction(s kiosk.Snapshot) {
	u.action(u.t(s, "chrome.back"), widget.MediumImportance, 260, kiosk.Event{Kind: kiosk.EvBack})
}

// formFocus picks the typed field that gets the keypad: the one the resident touched;
// else the one being typed until it is complete, then the next one not complete;
// when all are complete it stays on the last one typed (it never jumps back up).
func (u *UI) formFocus(s kiosk.Snapshot) string {
	typed := func(f kiosk.FieldView) bool { return f.Kind != kiosk.FieldChoice }
	current := ""
	for _, f := range s.Form {
		if f.Name == u.focus && typed(f) {
			current = f.Name
			if u.focusSet || f.Error != "" || !fieldComplete(f) {
				return f.Name
			}
		}
	}
	for _, f := range s.Form {
		if typed(f) && (f.Error != "" || !fieldComplete(f)) {
			u.focus = f.Name
			return f.Name
		}
	}
	if current != "" {
		return current
	}
	for _, f := range s.Form {
		if typed(f) {
			u.focus = f.Name
			return f.Name
		}
	}
	return ""
}

// fieldComplete: a typed field is complete at its length (kiosk.FieldSpec.MaxLen, in
// the snapshot), so the keypad moves on to the next field.
func fieldComplete(f kiosk.FieldView) bool {
	return f.Kind == kiosk.FieldChoice || f.MaxLen == 0 || f.Length >= f.MaxLen
}

// fieldKeypad posts the whole new value of a typed field, as the flow expects. For a
// password the snapshot shows only the length, so the digits typed so far are kept
// here and dropped when the screen changes.
func (u *UI) fieldKeypad(s kiosk.Snapshot, f kiosk.FieldView) fyne.CanvasObject {
	cur := func() []byte {
		if f.Kind != kiosk.FieldPassword {
			return []byte(f.Value)
		}
		if u.password == nil {
			u.password = map[string][]byte{}
		}
		b := u.password[f.Name]
		if len(b) != f.Length {
			// The flow cleared or cut the field: follow it.
			for i := range b {
				b[i] = 0
			}
			b = nil
			u.password[f.Name] = nil
		}
		return b
	}
	set := func(v []byte) {
		if f.Kind == kiosk.FieldPassword {
			u.password[f.Name] = v
		}
		u.post(kiosk.Event{Kind: kiosk.EvFormInput, Field: f.Name, Value: string(v)})
	}
	kp := keypad{
		OnDigit: func(d string) {
			b := cur()
			if f.MaxLen > 0 && len(b) >= f.MaxLen {
				return
			}
			set(append(append([]byte(nil), b...), d...))
		},
		OnDelete: func() {
			b := cur()
			if len(b) == 0 {
				return
			}
			set(append([]byte(nil), b[:len(b)-1]...))
		},
		OnClear: func() { cur(); set(nil) },
	}
	return kp.build(u.keypadLabels(s))
}

// rerender draws the current snapshot again after a presentation-only change.
func (u *UI) rerender() {
	u.force = true
	u.Render(u.flow.Snapshot())
}

func (u *UI) summary(s kiosk.Snapshot) fyne.CanvasObject {
	head := []fyne.CanvasObject{heading(u.t(s, string(kiosk.ScreenKey(s.State))))}
	var keys, vals []*textLabel
	if s.Summary != nil {
		for _, line := range s.Summary.Lines {
			k := newTextLabel(u.t(s, string(line.Label)))
			k.TextStyle = fyne.TextStyle{Bold: true}
			v := line.Value
			if line.ValueIsKey {
				v = u.t(s, v)
			}
			keys, vals = append(keys, k), append(vals, newTextLabel(v))
		}
		fee := newTextLabel(u.t(s, "summary.fee"))
		fee.TextStyle = fyne.TextStyle{Bold: true}
		amount := u.t(s, "menu.free")
		if s.Summary.Fee > 0 {
			amount = u.tr.Money(s.Language, s.Summary.Fee)
		}
		feeV := newTextLabel(amount)
		feeV.SizeName = theme.SizeNameSubHeadingText
		feeV.TextStyle = fyne.TextStyle{Bold: true}
		keys, vals = append(keys, fee), append(vals, feeV)
	}
	u.backAction(s)
	u.action(u.t(s, "summary.confirm"), widget.HighImportance, 480, kiosk.Event{Kind: kiosk.EvConfirm})
	return u.paged(s, "summary", 1300, head, newPairRows(keys, vals)...)
}

// payment: the amount, then the ways to pay as big buttons; once one is chosen, the
// wallet QR to scan or the card terminal to tap, and a way to cancel.
func (u *UI) payment(s kiosk.Snapshot) fyne.CanvasObject {
	p := s.Payment
	if p == nil {
		return u.busyScreen(s)
	}
	left := []fyne.CanvasObject{
		heading(u.t(s, string(kiosk.ScreenKey(s.State)))),
		subheading(u.tf(s, "payment.amount", map[string]any{"Amount": u.tr.Money(s.Language, p.Amount)})),
	}
	if s.Notice != "" {
		left = append(left, warning(u.t(s, string(s.Notice))))
	}
	if p.Method == "" {
		left = append(left, body(u.t(s, "payment.choose")))
		for _, m := range p.Methods {
			m := m
			left = append(left, bigButtonOpt(u.t(s, paymentMethodKey(m)), widget.HighImportance, func() {
				u.post(kiosk.Event{Kind: kiosk.EvChoosePayment, Value: string(m)})
			}, s.Busy))
		}
		u.backAction(s)
		return column(1000, left...)
	}
	var right fyne.CanvasObject
	switch p.Method {
	case kiosk.PaymentQR:
		left = append(left, body(u.t(s, "payment.scan_qr")))
		right = qrCode(p.QR, 420)
	default:
		left = append(left, body(u.t(s, "payment.tap_card")))
		right = bigIcon(iconCardIn.in(fg()), 320)
	}
	if p.Cancelling {
		left = append(left, subheading(u.t(s, "payment.cancelling")))
	} else {
		left = append(left, subheading(u.t(s, "payment.waiting")))
		u.action(u.t(s, "payment.cancel"), widget.MediumImportance, 420, kiosk.Event{Kind: kiosk.EvCancelPayment})
	}
	return container.NewGridWithColumns(2,
		column(800, left...),
		container.NewCenter(right))
}

// paymentMethodKey names a way to pay on its button.
func paymentMethodKey(m kiosk.PaymentMethod) string {
	switch m {
	case kiosk.PaymentQR:
		return "payment.method_qr"
	case kiosk.PaymentCard:
		return "payment.method_card"
	}
	return "payment.method_other"
}

func (u *UI) done(s kiosk.Snapshot) fyne.CanvasObject {
	ref := canvas.NewText(s.Reference, theme.Color(theme.ColorNameForeground))
	ref.TextSize = 64
	if s.LargeText {
		ref.TextSize = 56 // still the largest words on the screen but the title
	}
	ref.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
	ref.Alignment = fyne.TextAlignCenter
	// The tick beside the title, not above it, and the QR code beside the words: the
	// reference, the receipt's few lines and a printer warning fit the small panel at
	// large text without a second page.
	title := container.NewBorder(nil, nil, bigIcon(iconOK.in(success()), 80), nil,
		heading(u.t(s, string(kiosk.ScreenKey(s.State)))))
	left := []fyne.CanvasObject{
		body(u.t(s, "done.reference")),
		ref,
		body(u.t(s, "done.scan")),
	}
	code := s.Reference
	var collect fyne.CanvasObject // under the QR code, where the words column has no room left at large text
	if r := s.Receipt; r != nil {
		if r.Paid {
			left = append(left, body(u.tf(s, "done.paid", map[string]any{
				"Amount": u.tr.Money(s.Language, r.Fee), "Method": u.t(s, paymentMethodKey(r.Method))})))
		}
		if r.Office != "" { // a document to collect: from when (the back office's date) and where
			office := u.t(s, "option.collection_office."+r.Office)
			if r.CollectFrom.IsZero() {
				collect = body(u.tf(s, "done.collect_sms", map[string]any{"Office": office}))
			} else {
				collect = body(u.tf(s, "done.collect_from", map[string]any{
					"Date": u.tr.Date(s.Language, r.CollectFrom), "Office": office}))
			}
		}
		if r.VerifyURL != "" {
			code = r.VerifyURL // the phone opens DSI's page for this application
		}
	}
	if s.Notice != "" {
		left = append(left, warning(u.t(s, string(s.Notice))))
	}
	// 310 wide, not 380: with the timer they fit one row on the 1280 panel, and the
	// receipt keeps the height a second row would take.
	u.action(u.t(s, "done.another"), widget.MediumImportance, 310, kiosk.Event{Kind: kiosk.EvAnotherService})
	u.action(u.t(s, "done.finish"), widget.HighImportance, 310, kiosk.Event{Kind: kiosk.EvContinue})
	qrSize := 420
	if s.LargeText {
		qrSize = 280 // the words need the room; 280 px still scans from arm's length
	}
	right := container.NewCenter(qrCode(code, qrSize))
	if collect != nil {
		right = container.NewCenter(container.NewVBox(container.NewCenter(qrCode(code, qrSize)), collect))
	}
	return withHead(1600, title, container.NewBorder(nil, nil, nil, right, column(900, left...)))
}

// qrCode draws the reference as a QR code, black on white with a quiet zone in every
// display mode (scanners need dark on light).
func qrCode(text string, size int) fyne.CanvasObject {
	if text == "" {
		return layout.NewSpacer()
	}
	c, err := qr.Encode(text, qr.M, qr.Auto)
	if err == nil {
		c, err = barcode.Scale(c, size, size)
	}
	if err != nil {
		// The reference is still on screen as text; a missing code is not worth a
		// broken screen.
		return layout.NewSpacer()
	}
	img := canvas.NewImageFromImage(c)
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	img.SetMinSize(fyne.NewSize(float32(size), float32(size)))
	return coloured(white, container.New(layout.NewCustomPaddedLayout(24, 24, 24, 24), img))
}

// paged lays out head and items with a pager (widgets.go): as many items as fit the
// panel, the rest behind big Previous/Next buttons. key names the pager's page number
// in u.pages (one per pager on a screen).
func (u *UI) paged(s kiosk.Snapshot, key string, w float32, head []fyne.CanvasObject, items ...fyne.CanvasObject) fyne.CanvasObject {
	return u.pagedAt(s, key, w, -1, nil, false, head, items...)
}

// pagedAt is paged that first shows the page with item want (-1: the page it was on)
// tells onPage which items are on screen and with top hangs from the top (newPagerAt).
func (u *UI) pagedAt(s kiosk.Snapshot, key string, w float32, want int, onPage func(from, to int), top bool,
	head []fyne.CanvasObject, items ...fyne.CanvasObject) fyne.CanvasObject {
	if u.pages == nil {
		u.pages = map[string]*int{}
	}
	p := u.pages[key]
	if p == nil {
		p = new(int)
		u.pages[key] = p
	}
	return newPagerAt(w, p, want, onPage, top, u.t(s, "chrome.previous"), u.t(s, "chrome.next"), func(page, pages int) string {
		return u.tf(s, "chrome.page", map[string]any{"Page": page, "Pages": pages})
	}, head, items)
}
