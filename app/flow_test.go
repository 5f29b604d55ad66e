package app

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// kioskRun is a real kiosk.Machine on fakes, drawn by the UI in a test window. The
// test goroutine renders each snapshot and taps the screen; the machine runs on its
// own goroutine as in the kiosk.
type kioskRun struct {
	t testing.TB
	h *kiosktest.Harness
	u *UI
	w fyne.Window
}

func newRun(t testing.TB, setup func(h *kiosktest.Harness)) *kioskRun {
	t.Helper()
	h := kiosktest.NewHarness(t)
	if setup != nil {
		setup(h)
	}
	h.Start()
	u, w := newTestUI(t, h.M)
	r := &kioskRun{t: t, h: h, u: u, w: w}
	r.sync()
	return r
}

// sync waits until the machine has handled everything posted so far and draws it.
func (r *kioskRun) sync() kiosk.Snapshot {
	r.t.Helper()
	s := r.h.Sync()
	r.u.Render(s)
	return s
}

// until waits for state st (not busy) and draws it.
func (r *kioskRun) until(st kiosk.State) kiosk.Snapshot {
	r.t.Helper()
	r.h.WaitIdle(st)
	return r.sync()
}

// untilForm waits for the service's form, confirming the card's data on the way
// where the service shows it first (the documents).
func (r *kioskRun) untilForm() kiosk.Snapshot {
	r.t.Helper()
	r.h.Wait("check data or form", func(s kiosk.Snapshot) bool {
		return (s.State == kiosk.StateCheckData || s.State == kiosk.StateServiceForm) && !s.Busy
	})
	s := r.sync()
	if s.State != kiosk.StateCheckData {
		return s
	}
	r.sees("Card number")
	r.tap("Yes, this is correct")
	return r.until(kiosk.StateServiceForm)
}

// markup is everything on screen, as text.
func (r *kioskRun) markup() string { return test.RenderToMarkup(r.w.Canvas()) }

// sees fails unless the screen shows text (in a label, a text or a button; wrapped
// labels count as one text).
func (r *kioskRun) sees(text string) {
	r.t.Helper()
	found := false
	walk(r.w.Canvas().Content(), func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *textLabel:
			found = found || strings.Contains(x.Words, text)
		case *widget.Label:
			found = found || strings.Contains(x.Text, text)
		case *canvas.Text:
			found = found || strings.Contains(x.Text, text)
		case *widget.Button:
			found = found || strings.Contains(x.Text, text)
		}
	})
	if !found {
		r.t.Fatalf("screen %s does not show %q", r.h.Last().State, text)
	}
}

// tap presses the button showing text (a plain button, or one of our big buttons).
func (r *kioskRun) tap(text string) {
	r.t.Helper()
	b := findButton(r.w.Canvas().Content(), text)
	if b == nil {
		r.t.Fatalf("screen %s has no button %q", r.h.Last().State, text)
	}
	if b.Disabled() {
		r.t.Fatalf("button %q is disabled", text)
	}
	test.Tap(b)
	r.sync()
}

// tapKey presses a keypad key.
func (r *kioskRun) tapKeys(keys ...string) {
	r.t.Helper()
	for _, k := range keys {
		r.tap(k)
	}
}

func (r *kioskRun) tr(key string) string { return r.u.tr.T(r.h.Last().Language, key, nil) }

func children(o fyne.CanvasObject) []fyne.CanvasObject {
	switch x := o.(type) {
	case *fyne.Container:
		return x.Objects
	case fyne.Widget:
		return test.WidgetRenderer(x).Objects()
	}
	return nil
}

// findButton finds the button labelled text: a widget.Button with that text, or the
// button under a big button's canvas.Text.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	if b, ok := o.(*widget.Button); ok && b.Text == text {
		return b
	}
	if c, ok := o.(*fyne.Container); ok && len(c.Objects) == 2 {
		if b, ok := c.Objects[0].(*widget.Button); ok && b.Text == "" && hasText(c.Objects[1], text) {
			return b
		}
	}
	for _, ch := range children(o) {
		if b := findButton(ch, text); b != nil {
			return b
		}
	}
	return nil
}

func hasText(o fyne.CanvasObject, text string) bool {
	if t, ok := o.(*canvas.Text); ok && t.Text == text {
		return true
	}
	for _, ch := range children(o) {
		if hasText(ch, text) {
			return true
		}
	}
	return false
}

// toMenu walks from the attract screen to the service menu with the face matched.
func (r *kioskRun) toMenu() {
	r.t.Helper()
	r.tap("English")
	r.until(kiosk.StateInsertCard)
	r.sees(r.tr("insert.hint"))
	r.h.Card.Insert()
	r.until(kiosk.StateFaceResult)
	r.sees(r.tr("face_result.matched"))
	r.tap(r.tr("chrome.continue"))
	r.until(kiosk.StateServiceMenu)
	r.sees("Hello, CHAN TAI MAN")
}

// leavesNoTrace checks that the attract screen shows nothing of the last resident.
func (r *kioskRun) leavesNoTrace(secrets ...string) {
	r.t.Helper()
	s := r.until(kiosk.StateAttract)
	if s.Holder != nil || s.Reference != "" || s.Form != nil || s.Summary != nil {
		r.t.Fatalf("attract snapshot still holds resident data: %+v", s)
	}
	m := r.markup()
	for _, x := range append(secrets, "陳大文", "CHAN TAI MAN") {
		if strings.Contains(m, x) {
			r.t.Fatalf("attract screen still shows %q", x)
		}
	}
	if len(r.u.password) != 0 || r.u.focus != "" {
		r.t.Fatalf("UI kept form state: focus %q, %d passwords", r.u.focus, len(r.u.password))
	}
}

// payWallet pays on the payment screen with the wallet QR, as a resident would: the
// QR is on screen, the fake wallet approves.
func (r *kioskRun) payWallet() {
	r.t.Helper()
	if r.h.M.Snapshot().State != kiosk.StatePayment {
		r.until(kiosk.StatePayment)
	}
	r.tap("Mobile wallet (QR code)")
	r.h.Wait("order pending", func(s kiosk.Snapshot) bool { return s.Payment != nil && s.Payment.Status == kiosk.PayPending })
	r.sync()
	r.sees("Open your wallet app and scan this code.")
	if !strings.Contains(r.markup(), "<image") {
		r.t.Fatal("no QR code on the payment screen")
	}
	r.h.Payments.Approve(r.h.Payments.Pending())
}

func passportDue(h *kiosktest.Harness) {
	h.BackOffice.Set(h.Subject("1234567(8)"), kiosk.ResidentRecord{
		Nationality: kiosk.ChineseNationality,
		Passport:    &kiosk.TravelDocument{Expiry: kiosk.Date{Year: 2026, Month: 9, Day: 1}},
	})
}

// nonPermanent makes the harness's resident a non-permanent one (the travel permit).
func nonPermanent(h *kiosktest.Harness) {
	read := kiosktest.Resident("1234567(8)", kiosktest.Day(1990, 5, 10), kiosktest.Day(2020, 1, 15), kiosktest.Day(2026, 9, 30))
	read.Holder.Residency = kiosk.ResidencyNonPermanent
	h.Card.SetRead(read, nil)
	h.BackOffice.Set(h.Subject("1234567(8)"), kiosk.ResidentRecord{Nationality: kiosk.ChineseNationality})
}

// A happy path per service: choose it, fill the form on our keypad, check the
// summary and fee, submit, see the reference and QR code, take the card.
func TestHappyPathPerService(t *testing.T) {
	for _, tc := range []struct {
		service kiosk.ServiceID
		fill    func(r *kioskRun)
		fee     string
	}{
		{kiosk.ServiceIDRenewal, fillOfficeAndPhone, "MOP 90.00"},
		{kiosk.ServicePassport, fillOfficeAndPhone, "MOP 300.00"},
		{kiosk.ServiceTravelPermit, fillOfficeAndPhone, "MOP 360.00"},
	} {
		t.Run(string(tc.service), func(t *testing.T) {
			setup := passportDue
			if tc.service == kiosk.ServiceTravelPermit {
				setup = nonPermanent
			}
			r := newRun(t, setup)
			r.toMenu()
			r.tap(r.u.tr.T(kiosk.LangEN, string(kiosk.ServiceKey(tc.service)), nil))
			r.untilForm()
			tc.fill(r)
			r.tap("Continue")
			r.until(kiosk.StateSummary)
			r.sees(tc.fee)
			r.tap("Confirm and submit")
			if tc.fee != "Free" {
				r.until(kiosk.StatePayment)
				r.sees("Amount: " + tc.fee)
				r.payWallet()
			}
			s := r.until(kiosk.StateDone)
			if s.Reference == "" {
				t.Fatal("no reference on the done screen")
			}
			r.sees(s.Reference)
			if tc.fee != "Free" {
				r.sees("Paid: " + tc.fee + " (Mobile wallet (QR code)).")
			}
			if !strings.Contains(r.markup(), "<image") {
				t.Fatal("no QR code image on the done screen")
			}
			if got := r.h.BackOffice.Submitted() + len(r.h.Store.Outbox()); got == 0 {
				t.Fatal("nothing reached the outbox or the back office")
			}
			r.tap("Finish")
			r.until(kiosk.StateTakeCard)
			r.sees("Please take your card")
			r.h.Card.Remove()
			r.leavesNoTrace(s.Reference)
		})
	}
}

func fillOfficeAndPhone(r *kioskRun) {
	r.tap("Central office")
	r.tapKeys(strings.Split("66123456", "")...)
	r.sees("66123456")
}

// The phone field validates: a wrong number shows the problem and stays on the form.
func TestFormShowsValidation(t *testing.T) {
	r := newRun(t, nil)
	r.toMenu()
	r.tap("Identity card renewal")
	r.untilForm()
	r.tapKeys("1", "2", "3")
	r.tap("Continue")
	s := r.sync()
	if s.State != kiosk.StateServiceForm {
		t.Fatalf("state %s, want the form", s.State)
	}
	// The office left empty says what to choose, not "fill this in".
	r.sees(r.tr("form.required_choice.collection_office"))
	r.sees(r.tr("form.phone_invalid"))
	r.tap("Delete")
	if got := r.sync().Form[1].Value; got != "12" {
		t.Fatalf("after Delete the phone is %q, want 12", got)
	}
	r.tap("Clear")
	if got := r.sync().Form[1].Value; got != "" {
		t.Fatalf("after Clear the phone is %q", got)
	}
	r.tap("Back")
	r.until(kiosk.StateServiceMenu)
}

// Face mismatch three times, then the PIN on our keypad opens the menu.
func TestFaceMismatchThenPIN(t *testing.T) {
	r := newRun(t, func(h *kiosktest.Harness) {
		h.Face.Script(nil, kiosktest.NoMatch, kiosktest.NoMatch, kiosktest.NoMatch)
	})
	r.tap("English")
	r.until(kiosk.StateInsertCard)
	r.h.Card.Insert()
	for attempt := 1; attempt <= 3; attempt++ {
		s := r.until(kiosk.StateFaceResult)
		// Why it failed, in words, and what comes next.
		r.sees(r.tr("face_fail.no_match"))
		if s.Face.AttemptsLeft > 0 {
			r.sees(r.u.tr.N(kiosk.LangEN, "face_result.attempts_left", s.Face.AttemptsLeft, nil))
			r.tap("Try again")
		} else {
			r.sees(r.tr("face_result.pin_next"))
			r.tap(r.tr("face_result.use_pin"))
		}
	}
	s := r.until(kiosk.StatePIN)
	r.sees("Enter your card PIN")
	r.sees("3 tries left.")
	// A wrong PIN first: the screen says so and counts down.
	r.tapKeys("1", "1", "1", "1", "1", "1", "OK")
	s = r.until(kiosk.StatePIN)
	r.sees("Wrong PIN.")
	if s.PINTriesLeft != 2 {
		t.Fatalf("tries left %d, want 2", s.PINTriesLeft)
	}
	if strings.Contains(r.markup(), "111111") {
		t.Fatal("the PIN is on screen")
	}
	r.tapKeys(strings.Split(kiosktest.DefaultPIN, "")...)
	if got := r.sync().PINLength; got != len(kiosktest.DefaultPIN) {
		t.Fatalf("PIN length %d after %d digits", got, len(kiosktest.DefaultPIN))
	}
	r.tap("OK")
	r.until(kiosk.StateServiceMenu)
	r.sees("Hello, CHAN TAI MAN")
	r.tap("End")
	r.tap(r.tr("confirm_end.yes"))
	r.until(kiosk.StateTakeCard)
	r.h.Card.Remove()
	r.leavesNoTrace()
}

// End asks first, placed away from Back; "keep going" changes nothing, "yes" ends
// with the take-card screen saying that nothing was submitted.
func TestEndAsksFirst(t *testing.T) {
	r := newRun(t, nil)
	r.toMenu()
	r.tap("Identity card renewal")
	r.untilForm()
	end, back := findButton(r.w.Content(), "End"), findButton(r.w.Content(), "Back")
	if end == nil || back == nil {
		t.Fatal("no End or no Back on the form")
	}
	ep := fyne.CurrentApp().Driver().AbsolutePositionForObject(end)
	bp := fyne.CurrentApp().Driver().AbsolutePositionForObject(back)
	// A finger (15 mm, minTouch) aimed at Back lands at most a finger's width off.
	if gap := bp.X - (ep.X + end.Size().Width); gap < 4*minTouch {
		t.Errorf("End ends %v px from Back, want at least %v", gap, 4*minTouch)
	}
	r.tap("End")
	if s := r.sync(); s.State != kiosk.StateServiceForm {
		t.Fatalf("End without confirmation went to %s", s.State)
	}
	r.sees(r.tr("confirm_end.question"))
	r.sees(r.tr("confirm_end.detail"))
	r.tap(r.tr("confirm_end.no"))
	r.sees(r.tr("field.phone"))
	if s := r.sync(); s.State != kiosk.StateServiceForm {
		t.Fatalf("keep going left the form: %s", s.State)
	}
	r.tap("End")
	r.tap(r.tr("confirm_end.yes"))
	r.until(kiosk.StateTakeCard)
	r.sees(r.tr("msg.ended_nothing_submitted"))
}

// TestEndOnEveryStepBeforeSubmitting: the steps between the menu and the summary
// (the data check, the new photo and its review) have End too, and it asks first: a
// resident who changes their mind there must not have to wait for the timer.
func TestEndOnEveryStepBeforeSubmitting(t *testing.T) {
	for _, st := range []kiosk.State{kiosk.StateCheckData, kiosk.StatePhoto, kiosk.StatePhotoReview} {
		t.Run(string(st), func(t *testing.T) {
			snap := kiosktest.Samples(kiosk.LangEN)[st]
			flow := kiosktest.NewFlow(snap)
			u, w := newTestUI(t, flow)
			u.Render(flow.Snapshot())
			end := findButton(w.Content(), "End")
			if end == nil {
				t.Fatal("no End button")
			}
			test.Tap(end)
			if n := len(flow.Posted()); n != 0 {
				t.Errorf("End posted %v at once, want it to ask first", flow.Posted())
			}
			if findButton(w.Content(), u.tr.T(kiosk.LangEN, "confirm_end.yes", nil)) == nil {
				t.Error("End did not ask whether to end")
			}
		})
	}
}

// TestEndSaysWhatIsKept: End's confirmation is true to the session: "nothing will be
// submitted" before any application, and after one that it is kept and only what
// came after is dropped, in every language.
func TestEndSaysWhatIsKept(t *testing.T) {
	cases := []struct {
		state     kiosk.State
		submitted int
		want, not string // keys; want is plural when submitted > 0
	}{
		{kiosk.StateServiceForm, 0, "confirm_end.detail", "confirm_end.detail_kept"},
		{kiosk.StateServiceMenu, 1, "confirm_end.detail_kept", "confirm_end.detail"},
		{kiosk.StateSummary, 2, "confirm_end.detail_kept", "confirm_end.detail"},
	}
	for _, lang := range kiosk.Languages {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%s/%d", lang, c.state, c.submitted), func(t *testing.T) {
				snap := kiosktest.Samples(lang)[c.state]
				snap.Submitted = c.submitted
				flow := kiosktest.NewFlow(snap)
				u, w := newTestUI(t, flow)
				u.Render(snap)
				u.confirmEnd = true
				u.rerender()
				// Either wording, whichever the case does not want: the kept one as
				// for one earlier application.
				text := func(key string) string {
					if key == "confirm_end.detail_kept" {
						return u.tr.N(lang, key, max(c.submitted, 1), nil)
					}
					return u.tr.T(lang, key, nil)
				}
				var m strings.Builder // the labels' whole texts (wrapped lines are one)
				walkShown(w.Canvas().Content(), func(o fyne.CanvasObject) {
					switch l := o.(type) {
					case *textLabel:
						m.WriteString(l.Words + "\n")
					case *widget.Label:
						m.WriteString(l.Text + "\n")
					}
				})
				if !strings.Contains(m.String(), text(c.want)+"\n") {
					t.Errorf("End's confirmation does not say %q", text(c.want))
				}
				if strings.Contains(m.String(), text(c.not)+"\n") {
					t.Errorf("End's confirmation after %d applications says %q", c.submitted, text(c.not))
				}
			})
		}
	}
}

// Pulling the card at any step ends the session and the next screen shows nothing of it.
func TestCardPulledAtEachStep(t *testing.T) {
	steps := []struct {
		name string
		to   func(r *kioskRun)
	}{
		{"reading", func(r *kioskRun) {
			r.h.Card.ReadGate.Hold()
			r.tap("English")
			r.until(kiosk.StateInsertCard)
			r.h.Card.Insert()
			r.h.WaitState(kiosk.StateReading)
			r.sync()
			r.sees(r.tr("reading.keep_card"))
		}},
		{"face", func(r *kioskRun) {
			r.h.Face.Gate.Hold()
			r.tap("English")
			r.until(kiosk.StateInsertCard)
			r.h.Card.Insert()
			r.h.Wait("challenge", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateFace && s.Face.Challenge != "" })
			r.sync()
			r.sees(r.tr(string(kiosk.ChallengeKey(r.h.Last().Face.Challenge))))
		}},
		{"face_result", func(r *kioskRun) {
			r.tap("English")
			r.until(kiosk.StateInsertCard)
			r.h.Card.Insert()
			r.until(kiosk.StateFaceResult)
		}},
		{"pin", func(r *kioskRun) {
			r.h.Face.Script([]error{errFace})
			r.tap("English")
			r.until(kiosk.StateInsertCard)
			r.h.Card.Insert()
			r.until(kiosk.StatePIN)
			r.tapKeys("2", "4")
		}},
		{"service_menu", func(r *kioskRun) { r.toMenu() }},
		{"service_form", func(r *kioskRun) {
			r.toMenu()
			r.tap("Identity card renewal")
			r.untilForm()
			r.tap("Central office")
			r.tapKeys(strings.Split("66123456", "")...)
		}},
		{"one_account_password", func(r *kioskRun) {
			r.toMenu()
			r.tap("One Account and eID")
			r.until(kiosk.StateOAPhone)
			r.tapKeys(strings.Split("66123456", "")...)
			r.tap("Send the code")
			r.until(kiosk.StateOACode)
			_, code := r.h.OneAccounts.LastCode()
			r.tapKeys(strings.Split(code, "")...)
			r.tap("Check the code")
			r.until(kiosk.StateOAEmail)
			r.tap("Continue")
			r.until(kiosk.StateOATerms)
			for i := 1; i < kiosk.OneAccountTermsPages; i++ {
				r.tap("Next page")
			}
			r.tapKeys("I have read and accept the terms", "Continue")
			r.until(kiosk.StateOAPassword)
			r.tapKeys("2", "5")
		}},
		{"summary", func(r *kioskRun) {
			r.toMenu()
			r.tap("Identity card renewal")
			r.untilForm()
			fillOfficeAndPhone(r)
			r.tap("Continue")
			r.until(kiosk.StateSummary)
		}},
		{"payment", func(r *kioskRun) {
			r.toMenu()
			r.tap("Identity card renewal")
			r.untilForm()
			fillOfficeAndPhone(r)
			r.tap("Continue")
			r.until(kiosk.StateSummary)
			r.tap("Confirm and submit")
			r.until(kiosk.StatePayment)
		}},
		{"done", func(r *kioskRun) {
			r.toMenu()
			r.tap("Identity card renewal")
			r.untilForm()
			fillOfficeAndPhone(r)
			r.tap("Continue")
			r.until(kiosk.StateSummary)
			r.tap("Confirm and submit")
			r.payWallet()
			r.until(kiosk.StateDone)
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := newRun(t, nil)
			st.to(r)
			ref := r.h.Last().Reference
			r.h.Card.Remove()
			r.h.Card.ReadGate.Release()
			r.h.Face.Gate.Release()
			r.leavesNoTrace(append([]string{"66123456"}, nonEmpty(ref)...)...)
			// In every language: the session's own was reset with it.
			for _, l := range kiosk.Languages {
				r.sees(r.u.tr.T(l, "msg.session_ended", nil))
			}
		})
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

type faceErr struct{}

func (faceErr) Error() string { return "camera gone" }

var errFace error = faceErr{}

// A screen that waits too long asks "need more time?" with its own countdown; yes
// gives the time back; no answer ends the session.
func TestTimeouts(t *testing.T) {
	r := newRun(t, nil)
	r.tap("English")
	r.until(kiosk.StateInsertCard)
	voice := &heard{}
	r.u.SetSpeaker(voice)
	r.sees("60 s left")
	r.h.Tick(30 * time.Second)
	r.sync()
	r.sees("30 s left")
	if findButton(r.w.Content(), "More time").Visible() || len(voice.said()) != 0 {
		t.Fatal("warned 30 s before the question")
	}
	// Warned early, on screen and aloud, with a way to keep going right there.
	r.h.Tick(15 * time.Second)
	r.sync()
	r.sees("Your session ends in 15 s.")
	if !findButton(r.w.Content(), "More time").Visible() {
		t.Error("no More time button with the warning")
	}
	if got := voice.said(); len(got) != 1 || got[0] != "en/"+PromptWarning {
		t.Errorf("heard %q, want the warning once", got)
	}
	r.h.Tick(16 * time.Second)
	s := r.sync()
	if !s.AskMoreTime {
		t.Fatal("no \"need more time?\" after the screen timeout")
	}
	r.sees("Need more time?")
	r.tap("Yes, I need more time")
	if r.sync().AskMoreTime {
		t.Fatal("still asking after \"yes\"")
	}
	r.sees(r.tr("insert.hint"))
	r.h.Tick(61 * time.Second)
	r.sync()
	r.sees("Need more time?")
	r.h.Tick(21 * time.Second)
	r.until(kiosk.StateAttract)

	// With a card in, a timeout on the menu ends the session: take your card.
	r.toMenu()
	r.h.Tick(61 * time.Second)
	r.sync()
	r.sees("Need more time?")
	r.h.Tick(21 * time.Second)
	r.until(kiosk.StateTakeCard)
	// Plainly what happened, and no countdown to nothing.
	r.sees(r.tr("msg.timed_out_nothing_submitted"))
	if strings.Contains(r.markup(), " s left") {
		t.Error("the take-card screen counts down")
	}
	r.h.Card.Remove()
	r.leavesNoTrace()
}

// heard records what a Speaker was asked to say.
type heard struct {
	mu  sync.Mutex
	got []string
}

func (h *heard) Say(l kiosk.Language, prompt string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, string(l)+"/"+prompt)
}

func (h *heard) said() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

// Language, large text and high contrast can be changed from every screen.
func TestSwitchesOnEveryScreen(t *testing.T) {
	// One UI re-rendered for every sample: a UI per sample sets a new theme each time
	// and Fyne keeps every theme's CJK faces (gigabytes over the samples).
	var flow *kiosktest.Flow
	var u *UI
	var w fyne.Window
	for _, lang := range kiosk.Languages {
		for st, snap := range kiosktest.Samples(lang) {
			if u == nil {
				flow = kiosktest.NewFlow(snap)
				u, w = newTestUI(t, flow)
			}
			flow.Set(snap)
			before := len(flow.Posted())
			u.Render(flow.Snapshot())
			c := w.Canvas().Content()
			want := []string{i18n.LangKey(kiosk.LangZhHant), i18n.LangKey(kiosk.LangPT), i18n.LangKey(kiosk.LangEN), "chrome.large_text", "chrome.high_contrast"}
			for _, k := range want {
				b := findButton(c, u.tr.T(lang, k, nil))
				if st == kiosk.StateOutOfService {
					if b != nil {
						t.Errorf("%s/%s: out of service shows %q", lang, st, k)
					}
					continue
				}
				if b == nil {
					t.Errorf("%s/%s: no %q button", lang, st, k)
					continue
				}
				test.Tap(b)
			}
			if st == kiosk.StateOutOfService {
				continue
			}
			got := flow.Posted()[before:]
			kinds := map[kiosk.EventKind]int{}
			for _, ev := range got {
				kinds[ev.Kind]++
			}
			// The attract screen's big language buttons start the session in that language.
			if kinds[kiosk.EvSetLanguage]+kinds[kiosk.EvStart] != 3 || kinds[kiosk.EvToggleLargeText] != 1 || kinds[kiosk.EvToggleContrast] != 1 {
				t.Errorf("%s/%s: posted %v", lang, st, got)
			}
		}
	}
}

// Every button on every screen is a touch target of at least 15 mm.
func TestTouchTargets(t *testing.T) {
	for _, large := range []bool{false, true} {
		var flow *kiosktest.Flow
		var u *UI
		var w fyne.Window
		for st, snap := range kiosktest.Samples(kiosk.LangPT) {
			snap.LargeText = large
			if u == nil {
				flow = kiosktest.NewFlow(snap)
				u, w = newTestUI(t, flow)
			}
			flow.Set(snap)
			u.Render(flow.Snapshot())
			n := 0
			walkShown(w.Canvas().Content(), func(o fyne.CanvasObject) {
				if b, ok := o.(*widget.Button); ok {
					n++
					if s := b.Size(); s.Height < minTouch || s.Width < minTouch {
						t.Errorf("%s (large=%t): button %q is %.0f×%.0f px", st, large, b.Text, s.Width, s.Height)
					}
				}
			})
			if n == 0 && st != kiosk.StateOutOfService {
				t.Errorf("%s: no buttons found", st)
			}
		}
	}
}

// walkShown is walk over what is on screen: a hidden object's children are hidden too
// (a pager's other pages, its controls on a one-page screen).
func walkShown(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if !o.Visible() {
		return
	}
	f(o)
	for _, ch := range children(o) {
		walkShown(ch, f)
	}
}

func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	f(o)
	for _, ch := range children(o) {
		walk(ch, f)
	}
}
