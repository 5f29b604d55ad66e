package app

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/macau-dsi/kiosk/kiosk"
)

// The One Account screens (kiosk/oneaccount.go): mobile number, SMS code, e-mail,
// terms, service password, opening, the eID binding QR, done. Digits are typed on our
// own keypad, the e-mail on our own keyboard; the code and the password reach the
// screen only as how many digits were typed.

// oneAccountScreen draws the One Account states; nil for other states.
func (u *UI) oneAccountScreen(s kiosk.Snapshot) fyne.CanvasObject {
	if !isOneAccountScreen(s.State) {
		return nil
	}
	v := s.OneAccount
	if v == nil {
		return u.busyScreen(s)
	}
	switch s.State {
	case kiosk.StateOAPhone:
		return u.oaPhone(s, v)
	case kiosk.StateOACode:
		return u.oaCode(s, v)
	case kiosk.StateOAEmail:
		return u.oaEmail(s, v)
	case kiosk.StateOATerms:
		return u.oaTerms(s, v)
	case kiosk.StateOAPassword:
		return u.oaPassword(s, v)
	case kiosk.StateOAOpening:
		return u.busyScreen(s)
	case kiosk.StateOABind:
		return u.oaBind(s, v)
	}
	return u.oaDone(s, v)
}

// isOneAccountScreen: the One Account states.
func isOneAccountScreen(st kiosk.State) bool {
	switch st {
	case kiosk.StateOAPhone, kiosk.StateOACode, kiosk.StateOAEmail, kiosk.StateOATerms, kiosk.StateOAPassword,
		kiosk.StateOAOpening, kiosk.StateOABind, kiosk.StateOADone:
		return true
	}
	return false
}

// oneAccountEnds: the One Account screens with "end" (all but the busy one).
func oneAccountEnds(st kiosk.State) bool {
	return isOneAccountScreen(st) && st != kiosk.StateOAOpening
}

// oneAccountStructural drops the countdowns (resend, code, QR) from the structural
// snapshot: they update their labels every second without rebuilding the screen.
func oneAccountStructural(v *kiosk.OneAccountView) *kiosk.OneAccountView {
	if v == nil {
		return nil
	}
	c := *v
	c.ResendIn, c.CodeExpiresIn, c.QRExpiresIn = 0, 0, 0
	return &c
}

// step is a step's title across the top and its body under it: a title wrapped in a
// narrow column would take the height the body needs.
func (u *UI) step(s kiosk.Snapshot, body fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(heading(u.t(s, string(kiosk.ScreenKey(s.State)))), nil, nil, nil, body)
}

// withKeypad is a step's words on the left and its keypad (or keyboard) on the
// right, both hanging from the top so nothing moves under a finger. The keypad keeps
// its own width; the words take the rest (a 1280 panel too).
func (u *UI) withKeypad(s kiosk.Snapshot, left []fyne.CanvasObject, pad fyne.CanvasObject) fyne.CanvasObject {
	return u.step(s, container.NewBorder(nil, nil, nil, container.New(topAligned{}, pad),
		container.New(topAligned{760}, container.NewVBox(left...))))
}

// problems adds the screen's message and notice as warnings (a notice that only says
// what happened, like "code sent", as plain words).
func (u *UI) problems(s kiosk.Snapshot, items []fyne.CanvasObject) []fyne.CanvasObject {
	if s.Message != "" {
		items = append(items, warning(u.t(s, string(s.Message))))
	}
	switch s.Notice {
	case "":
	case kiosk.MsgOACodeSent, kiosk.MsgOACodeResent, kiosk.MsgOAAccountExists:
		items = append(items, subheading(u.t(s, string(s.Notice))))
	default:
		items = append(items, warning(u.t(s, string(s.Notice))))
	}
	if s.Busy {
		items = append(items, subheading(u.t(s, "chrome.busy")))
	}
	return items
}

func (u *UI) oaPhone(s kiosk.Snapshot, v *kiosk.OneAccountView) fyne.CanvasObject {
	f := kiosk.FieldView{Name: kiosk.FieldPhoneNumber, Kind: kiosk.FieldPhone, Value: v.Phone, Length: len(v.Phone), MaxLen: v.PhoneMax}
	left := []fyne.CanvasObject{body(u.t(s, "one_account.phone_hint")), typedValue(v.Phone)}
	if v.PhoneError != "" {
		left = append(left, warning(u.t(s, string(v.PhoneError))))
	}
	left = u.problems(s, left)
	u.backAction(s)
	u.continueAction(s, "one_account.send_code")
	return u.withKeypad(s, left, u.fieldKeypad(s, f))
}

// typedValue shows digits or an address as typed, large.
func typedValue(text string) fyne.CanvasObject {
	t := widget.NewLabel(text)
	t.SizeName = theme.SizeNameSubHeadingText
	t.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
	t.Alignment = fyne.TextAlignCenter
	t.Truncation = fyne.TextTruncateEllipsis
	return container.New(minSize{0, minTouch}, t)
}

func (u *UI) oaCode(s kiosk.Snapshot, v *kiosk.OneAccountView) fyne.CanvasObject {
	// The code is kept by the keypad as a password is: the snapshot has only its length.
	f := kiosk.FieldView{Name: kiosk.FieldOTPCode, Kind: kiosk.FieldPassword, Length: v.CodeLength, MaxLen: v.CodeDigits}
	// Where the code went and how long it lasts: one label, its time kept live.
	hint := u.tf(s, "one_account.code_hint", map[string]any{"Phone": v.Phone})
	expires := body(hint)
	left := []fyne.CanvasObject{expires, dots(v.CodeLength, max(v.CodeDigits, v.CodeLength))}
	if v.CodeError != "" {
		msg := u.t(s, string(v.CodeError))
		if v.CodeError == kiosk.MsgOACodeWrong && v.CodeTriesLeft > 0 {
			msg += " " + u.tr.N(s.Language, "one_account.tries_left", v.CodeTriesLeft, nil)
		}
		left = append(left, warning(msg))
	}
	left = u.problems(s, left)
	resend := touchButton("", widget.MediumImportance, func() { u.post(kiosk.Event{Kind: kiosk.EvResendCode}) })
	left = append(left, touch(resend))
	u.onLive(func(s kiosk.Snapshot) {
		v := s.OneAccount
		if v == nil {
			return
		}
		if v.CodeExpiresIn > 0 {
			expires.SetText(hint + " " + u.tf(s, "one_account.code_expires", map[string]any{"Time": minutesSeconds(v.CodeExpiresIn)}))
		} else {
			expires.SetText(hint)
		}
		if v.ResendIn > 0 || s.Busy {
			resend.SetText(u.tf(s, "one_account.resend_in", map[string]any{"Seconds": int((v.ResendIn + time.Second - 1) / time.Second)}))
			resend.Disable()
		} else {
			resend.SetText(u.t(s, "one_account.resend"))
			resend.Enable()
		}
	})
	u.action(u.t(s, "one_account.change_number"), widget.MediumImportance, 320, kiosk.Event{Kind: kiosk.EvBack})
	u.continueAction(s, "one_account.verify")
	return u.withKeypad(s, left, u.fieldKeypad(s, f))
}

// minutesSeconds is a countdown as m:ss.
func minutesSeconds(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

func (u *UI) oaEmail(s kiosk.Snapshot, v *kiosk.OneAccountView) fyne.CanvasObject {
	f := kiosk.FieldView{Name: kiosk.FieldEmail, Kind: kiosk.FieldText, Value: v.Email, Length: len(v.Email), MaxLen: v.EmailMax}
	// The address, what it is for (or what is wrong with it) and its delete and clear
	// keys on one row, the letters under it: the keyboard then fits every panel.
	var about fyne.CanvasObject = body(u.t(s, "one_account.email_hint"))
	if v.EmailError != "" {
		about = warning(u.t(s, string(v.EmailError)))
	}
	edit := container.NewGridWithColumns(2, u.editButtons(s, f)...)
	top := container.NewBorder(nil, nil, container.New(minSize{420, 0}, typedValue(v.Email)),
		container.New(minSize{2*minTouch + 80, 0}, edit), about)
	items := u.problems(s, []fyne.CanvasObject{top})
	u.continueAction(s, "chrome.continue")
	// Lower case, the characters addresses use (no space), in alphabetical order on
	// ten columns of touch-size keys.
	kb := u.keyboard(s, f, editNone, fyne.NewSize(minTouch, minTouch), [][]string{
		{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
		{"k", "l", "m", "n", "o", "p", "q", "r", "s", "t"},
		{"u", "v", "w", "x", "y", "z", "@", ".", "-", "_"},
		{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0"},
	})
	items = append(items, container.NewCenter(kb))
	return u.step(s, container.New(topAligned{1400}, container.NewVBox(items...)))
}

func (u *UI) oaTerms(s kiosk.Snapshot, v *kiosk.OneAccountView) fyne.CanvasObject {
	page := body(u.t(s, string(kiosk.TermsPageKey(v.TermsPage))))
	page.Alignment = fyne.TextAlignLeading
	prev := touchButton(u.t(s, "one_account.terms_prev"), widget.MediumImportance, func() {
		u.post(kiosk.Event{Kind: kiosk.EvTermsPage, Value: "prev"})
	})
	if v.TermsPage <= 1 {
		prev.Disable()
	}
	next := touchButton(u.t(s, "one_account.terms_next"), widget.MediumImportance, func() {
		u.post(kiosk.Event{Kind: kiosk.EvTermsPage, Value: "next"})
	})
	var accept fyne.CanvasObject
	if v.TermsPage < v.TermsPages {
		next.Importance = widget.HighImportance
		accept = subheading(u.t(s, "one_account.terms_read_all"))
	} else {
		next.Disable()
		answer, icon := "yes", theme.CheckButtonIcon()
		if v.TermsAccepted {
			answer, icon = "no", theme.CheckButtonCheckedIcon()
		}
		b := touchButton(u.t(s, "one_account.terms_accept"), widget.HighImportance, func() {
			u.post(kiosk.Event{Kind: kiosk.EvAcceptTerms, Value: answer})
		})
		b.Icon = icon
		accept = container.New(minSize{0, minTouch}, b)
	}
	// The way through the pages on the left, the page beside it, then accepting.
	nav := container.New(minSize{380, 0}, container.NewVBox(
		subheading(u.tf(s, "one_account.terms_page", map[string]any{"Page": v.TermsPage, "Pages": v.TermsPages})),
		touch(next), touch(prev)))
	// What is missing beside the accept button, not under it: the small panel has no
	// height to spare at large text.
	if s.Notice != "" {
		accept = container.NewBorder(nil, nil, accept, nil, warning(u.t(s, string(s.Notice))))
		s.Notice = ""
	}
	items := []fyne.CanvasObject{container.NewBorder(nil, nil, container.New(topAligned{}, nav), nil, container.New(topAligned{1100}, page)), accept}
	items = u.problems(s, items)
	u.backAction(s)
	u.continueAction(s, "chrome.continue")
	return u.step(s, container.NewVBox(items...))
}

func (u *UI) oaPassword(s kiosk.Snapshot, v *kiosk.OneAccountView) fyne.CanvasObject {
	lock := int(v.PasswordLock / time.Minute)
	// What it protects, the lock, that the kiosk does not keep it: one paragraph
	// across the screen, the fields and the keypad under it.
	explain := []fyne.CanvasObject{body(u.t(s, "one_account.password_what")),
		body(u.tf(s, "one_account.password_lock", map[string]any{"Minutes": lock})), body(u.t(s, "one_account.password_kept"))}
	fields := []kiosk.FieldView{
		{Name: kiosk.FieldServicePassword, Kind: kiosk.FieldPassword, Length: v.PasswordLength, MaxLen: v.PasswordDigits, Error: v.PasswordError},
		{Name: kiosk.FieldPasswordConfirm, Kind: kiosk.FieldPassword, Length: v.ConfirmLength, MaxLen: v.PasswordDigits, Error: v.ConfirmError},
	}
	// The keypad types the first password field not yet complete, or the one touched.
	focus := fields[0]
	if u.focusSet {
		for _, f := range fields {
			if f.Name == u.focus {
				focus = f
			}
		}
	} else if v.PasswordLength >= v.PasswordDigits && v.PasswordError == "" {
		focus = fields[1]
	}
	// Each field with its error is one item; the explanation and "no password" are
	// items too. At large text on the small panel they go on pages (the pager), the
	// keypad showing only while the field it types is on screen, as on the forms.
	items := append([]fyne.CanvasObject{}, explain...)
	focusAt := -1
	for _, f := range fields {
		f := f
		label := widget.NewLabel(u.t(s, string(kiosk.FieldKey(f.Name))))
		label.TextStyle = fyne.TextStyle{Bold: true}
		label.Wrapping = fyne.TextWrapWord
		imp := widget.LowImportance
		if f.Name == focus.Name {
			imp = widget.MediumImportance
			focusAt = len(items)
		}
		tap := touchButton("", imp, func() { u.focus, u.focusSet = f.Name, true; u.rerender() })
		box := container.NewStack(touch(tap), container.NewPadded(dots(f.Length, max(f.MaxLen, f.Length))))
		block := []fyne.CanvasObject{container.NewBorder(nil, nil, nil, container.New(minSize{260, 0}, box), label)}
		if f.Error != "" {
			block = append(block, warning(u.t(s, string(f.Error))))
		}
		items = append(items, container.NewVBox(block...))
	}
	none := touchButton(u.t(s, "one_account.no_password"), widget.MediumImportance, func() {
		u.post(kiosk.Event{Kind: kiosk.EvContinue, Value: kiosk.NoPassword})
	})
	items = append(u.problems(s, items), touch(none))
	u.backAction(s)
	u.continueAction(s, "one_account.open")
	var padBox *fyne.Container
	onPage := func(from, to int) {
		if padBox == nil {
			return
		}
		if focusAt >= from && focusAt < to {
			padBox.Objects[0].Show()
		} else {
			padBox.Objects[0].Hide()
		}
	}
	// Nothing typed yet: the first page, with the explanation; else the field typed.
	want := focusAt
	if v.PasswordLength == 0 && v.ConfirmLength == 0 {
		want = 0
	}
	left := u.pagedAt(s, "oa_password", 1100, want, onPage, true,
		[]fyne.CanvasObject{heading(u.t(s, string(kiosk.ScreenKey(s.State))))}, items...)
	pad := u.fieldKeypad(s, focus)
	padBox = container.New(minSize{pad.MinSize().Width, 0}, container.New(topAligned{}, pad))
	return container.NewBorder(nil, nil, nil, padBox, left)
}

func (u *UI) oaBind(s kiosk.Snapshot, v *kiosk.OneAccountView) fyne.CanvasObject {
	var left []fyne.CanvasObject
	if v.Failure != "" {
		left = append(left, warning(u.t(s, string(v.Failure))))
		if v.Failure == kiosk.MsgOABindNotScanned || v.Failure == kiosk.MsgOABindUnavailable {
			u.action(u.t(s, "one_account.bind_retry"), widget.MediumImportance, 320, kiosk.Event{Kind: kiosk.EvContinue})
		} else {
			u.continueAction(s, "done.finish")
		}
		return u.step(s, column(1200, u.problems(s, left)...))
	}
	left = append(left, body(u.t(s, "one_account.bind_hint")))
	left = u.problems(s, left)
	if v.QR == "" {
		left = append(left, subheading(u.t(s, "chrome.busy")))
		return u.step(s, column(1200, left...))
	}
	countdown := subheading("")
	left = append(left, countdown, body(u.t(s, "one_account.bind_waiting")))
	u.onLive(func(s kiosk.Snapshot) {
		if v := s.OneAccount; v != nil {
			countdown.SetText(u.tf(s, "one_account.qr_expires", map[string]any{"Time": minutesSeconds(v.QRExpiresIn)}))
		}
	})
	return u.step(s, container.NewBorder(nil, nil, nil, container.NewCenter(qrCode(v.QR, 420)), column(800, left...)))
}

func (u *UI) oaDone(s kiosk.Snapshot, v *kiosk.OneAccountView) fyne.CanvasObject {
	items := []fyne.CanvasObject{bigIcon(iconOK.in(success()), 64), heading(u.t(s, string(kiosk.ScreenKey(s.State))))}
	more := u.t(s, "one_account.done_app")
	if v.Existing {
		items = append(items, subheading(u.t(s, "one_account.done_bound_existing")))
	} else {
		items = append(items, subheading(u.t(s, "one_account.done_bound")))
		pw := "one_account.done_no_password"
		if v.PasswordSet {
			pw = "one_account.done_password"
		}
		more = u.t(s, pw) + " " + more
	}
	items = append(items, body(more))
	u.action(u.t(s, "done.another"), widget.MediumImportance, 380, kiosk.Event{Kind: kiosk.EvAnotherService})
	u.continueAction(s, "done.finish")
	return column(1200, items...)
}

// DemoOneAccountApp is the resident's phone in the demo, on the DEMO banner when the
// demo controls also implement it: the simulated SMS gateway's newest code (what the
// phone would show) and the One Account app scanning the binding QR on screen. The
// code is shown on the banner only, for the tester; the kiosk's log never has it.
type DemoOneAccountApp interface {
	LastSMS() (string, error)
	AppScan(qr string)
}

// withDemoOneAccount adds the phone's buttons to the DEMO banner as a second row
// while the code or the binding QR is on screen.
func (u *UI) withDemoOneAccount(s kiosk.Snapshot, banner fyne.CanvasObject) fyne.CanvasObject {
	app, ok := u.demo.(DemoOneAccountApp)
	if !ok || s.OneAccount == nil {
		return banner
	}
	row := []fyne.CanvasObject{layout.NewSpacer()}
	switch {
	case s.State == kiosk.StateOACode:
		if u.demoSMS != "" {
			row = append(row, subheading(u.tf(s, "demo.sms_code", map[string]any{"Code": u.demoSMS})))
		}
		row = append(row, touch(touchButton(u.t(s, "demo.sms_read"), widget.MediumImportance, func() {
			code, err := app.LastSMS()
			if err != nil {
				code = "?"
			}
			u.demoSMS = code
			u.rerender()
		})))
	case s.State == kiosk.StateOABind && s.OneAccount.QR != "":
		qr := s.OneAccount.QR
		row = append(row, touch(touchButton(u.t(s, "demo.app_scan"), widget.MediumImportance, func() { app.AppScan(qr) })))
	default:
		return banner
	}
	return container.NewVBox(banner, container.NewPadded(container.NewHBox(row...)))
}
