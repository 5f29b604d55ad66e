package kiosk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

const doc = "1234567(8)"

// personal lists what must never appear in the audit log, payloads or receipts.
var personal = []string{doc, "1234567", "陳大文", "CHAN", "TAI MAN", "1990-05-10", "19900510", "900510"}

func noPersonalData(t *testing.T, where, s string) {
	t.Helper()
	for _, p := range personal {
		if strings.Contains(s, p) {
			t.Errorf("%s holds personal data %q: %s", where, p, s)
		}
	}
}

func TestHappyPathPerService(t *testing.T) {
	cases := []struct {
		service kiosk.ServiceID
		record  kiosk.ResidentRecord
		form    []string
	}{
		{kiosk.ServiceIDRenewal, kiosk.ResidentRecord{}, []string{kiosk.FieldCollectionOffice, "office_central", kiosk.FieldPhoneNumber, "66123456"}},
		{kiosk.ServicePassport, kiosk.ResidentRecord{Nationality: "CHN", Passport: &kiosk.TravelDocument{Expiry: kiosk.Date{Year: 2026, Month: 12, Day: 1}}},
			[]string{kiosk.FieldCollectionOffice, "office_islands", kiosk.FieldPhoneNumber, "6612 3456"}},
		{kiosk.ServiceTravelPermit, kiosk.ResidentRecord{Nationality: "CHN"}, []string{kiosk.FieldCollectionOffice, "office_areia_preta", kiosk.FieldPhoneNumber, "68889999"}},
	}
	for _, c := range cases {
		t.Run(string(c.service), func(t *testing.T) {
			h := kiosktest.NewHarness(t)
			if c.service == kiosk.ServiceTravelPermit {
				// The travel permit is for non-permanent residents.
				read := kiosktest.Resident(doc, kiosktest.Day(1990, 5, 10), kiosktest.Day(2020, 1, 15), kiosktest.Day(2026, 9, 30))
				read.Holder.Residency = kiosk.ResidencyNonPermanent
				h.Card.SetRead(read, nil)
			}
			subject := h.Subject(doc)
			h.BackOffice.Set(subject, c.record)
			h.Start()

			h.Post(kiosk.Event{Kind: kiosk.EvStart, Language: kiosk.LangPT})
			s := h.WaitState(kiosk.StateInsertCard)
			if s.Language != kiosk.LangPT || !s.TimerOn {
				t.Fatalf("insert card: %+v", s)
			}
			h.Card.Insert()
			h.Wait("reading progress", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateReading && s.Progress > 0 })
			h.Wait("face guidance", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateFace && s.Face.Guidance != "" })
			s = h.WaitState(kiosk.StateFaceResult)
			if !s.Face.Matched || s.Face.Attempt != 1 || s.Holder != nil {
				t.Fatalf("face result: %+v", s)
			}
			h.Press(kiosk.EvContinue)
			menu := h.WaitIdle(kiosk.StateServiceMenu)
			if menu.Holder == nil || menu.Holder.NameChinese != "陳大文" {
				t.Fatalf("menu does not greet the resident: %+v", menu.Holder)
			}
			var view kiosk.ServiceView
			for _, v := range menu.Services {
				if v.ID == c.service {
					view = v
				}
			}
			if !view.Eligible {
				t.Fatalf("%s not eligible: %+v", c.service, menu.Services)
			}
			form := h.Choose(c.service)
			if len(form.Form) != len(kiosk.FormFor(c.service)) {
				t.Fatalf("form fields %+v", form.Form)
			}
			// Each field's length limit travels to the screen from its one home.
			for i, spec := range kiosk.FormFor(c.service) {
				if form.Form[i].MaxLen != spec.MaxLen {
					t.Errorf("field %s: MaxLen %d in the snapshot, %d in FormFor", spec.Name, form.Form[i].MaxLen, spec.MaxLen)
				}
			}
			// Continue on an empty form shows what is missing and stays.
			h.Press(kiosk.EvContinue)
			s = h.Wait("form errors", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateServiceForm && s.Form[0].Error != "" })
			if s.Form[0].Error != kiosk.FormRequired {
				t.Fatalf("empty form: %+v", s.Form)
			}
			h.Fill(c.form...)
			h.Press(kiosk.EvContinue)
			sum := h.WaitState(kiosk.StateSummary)
			if sum.Summary == nil || sum.Summary.Fee != kiosk.DefaultFees[c.service] || sum.Summary.Service != c.service {
				t.Fatalf("summary %+v", sum.Summary)
			}
			for _, l := range sum.Summary.Lines {
				if strings.Contains(l.Value, "3971") {
					t.Fatalf("summary shows the service password: %+v", l)
				}
			}
			h.Press(kiosk.EvConfirm)
			paid := kiosk.DefaultFees[c.service] > 0
			if paid {
				// Nothing is submitted before the order is paid.
				h.WaitState(kiosk.StatePayment)
				if n := len(h.Store.Applications()); n != 0 {
					t.Fatalf("%d applications queued before payment", n)
				}
				h.Pay(kiosk.PaymentQR)
			}
			done := h.WaitState(kiosk.StateDone)
			if done.Receipt == nil || done.Receipt.Paid != paid || (paid && (done.Receipt.Method != kiosk.PaymentQR || done.Receipt.PaymentRef == "")) {
				t.Errorf("receipt on screen %+v", done.Receipt)
			}
			ref, err := kiosk.CheckReference(done.Reference)
			if err != nil || ref != done.Reference || !strings.HasPrefix(ref, "260514-") {
				t.Fatalf("reference %q: %v", done.Reference, err)
			}

			apps := h.Store.Applications()
			if len(apps) != 1 {
				t.Fatalf("%d applications", len(apps))
			}
			a := apps[0]
			if a.Reference != ref || a.Service != string(c.service) || a.Subject != subject || a.Fee != kiosk.DefaultFees[c.service] {
				t.Errorf("application %+v", a)
			}
			var msg kiosk.ApplicationMessage
			if err := json.Unmarshal(a.Payload, &msg); err != nil {
				t.Fatal(err)
			}
			if msg.Verified != "face" || msg.Language != kiosk.LangPT || msg.KioskID != "test-kiosk" || msg.Form[kiosk.FieldPhoneNumber] == "" {
				t.Errorf("payload %+v", msg)
			}
			if _, ok := msg.Form[kiosk.FieldPasswordConfirm]; ok {
				t.Error("payload carries the password confirmation")
			}
			// The service password is never in the payload in clear: only sealed to the
			// back office's key, and bound to this application's reference.
			if strings.Contains(string(a.Payload), "3971") {
				t.Errorf("payload holds the password in clear: %s", a.Payload)
			}
			if _, ok := msg.Form[kiosk.FieldServicePassword]; ok {
				t.Error("payload's form carries the service password")
			}
			if len(msg.Sealed) != 0 {
				t.Errorf("sealed fields for %s: %v", c.service, msg.Sealed)
			}
			noPersonalData(t, "payload", string(a.Payload))
			ob := h.Store.Outbox()
			if len(ob) != 1 || ob[0].Key != ref || ob[0].Kind != kiosk.OutboxKindApplication || string(ob[0].Payload) != string(a.Payload) {
				t.Errorf("outbox %+v", ob)
			}
			rc := h.Printer.Receipts()
			if len(rc) != 1 || rc[0].Reference != ref || rc[0].Fee != a.Fee || rc[0].Language != kiosk.LangPT {
				t.Errorf("receipts %+v", rc)
			}

			h.Press(kiosk.EvContinue)
			s = h.WaitState(kiosk.StateTakeCard)
			if s.Holder != nil || s.Reference != "" {
				t.Errorf("take card screen shows resident data: %+v", s)
			}
			h.Card.Remove()
			s = h.WaitState(kiosk.StateAttract)
			if s.Language != kiosk.LangZhHant {
				t.Errorf("next resident inherits language %s", s.Language)
			}

			var actions []string
			for _, e := range h.Store.Events() {
				actions = append(actions, e.Action)
				noPersonalData(t, "audit "+e.Action, fmt.Sprintf("%+v", e))
				// The subject is known from the card read until the session ends.
				if e.Action != "session.start" && e.Action != "session.end" && e.Subject != subject {
					t.Errorf("audit %s: subject %q, want the hash", e.Action, e.Subject)
				}
			}
			want := []string{"session.start", "card.read", "face.verify", "services.menu", "service.choose", "application.submit", "session.end"}
			if paid {
				want = slices.Insert(want, 5, "application.hold", "payment.paid")
			}
			if !slices.Equal(actions, want) {
				t.Errorf("audit trail %v, want %v", actions, want)
			}
			if errs := h.Errors(); len(errs) > 0 {
				t.Errorf("machine errors: %v", errs)
			}
		})
	}
}

func TestFaceMismatchThenPIN(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.Face.Script(nil, kiosktest.NoMatch, kiosktest.NotLive, kiosktest.NoMatch)
	h.Start()
	h.Card.Insert()
	for attempt := 1; attempt <= 3; attempt++ {
		s := h.Wait(fmt.Sprintf("face attempt %d", attempt), func(s kiosk.Snapshot) bool {
			return s.State == kiosk.StateFace && s.Face.Attempt == attempt
		})
		if s.Face.MaxAttempts != 3 {
			t.Fatalf("max attempts %d", s.Face.MaxAttempts)
		}
		s = h.WaitState(kiosk.StateFaceResult)
		if s.Face.Matched || s.Face.AttemptsLeft != 3-attempt || s.Face.Frame != nil {
			t.Fatalf("attempt %d result %+v", attempt, s.Face)
		}
		h.Press(kiosk.EvContinue)
	}
	s := h.WaitIdle(kiosk.StatePIN)
	if s.PINTriesLeft != 3 || s.PINLastTry {
		t.Fatalf("PIN screen %+v", s)
	}
	if h.Face.Calls() != 3 {
		t.Errorf("%d face attempts", h.Face.Calls())
	}
	for _, ch := range h.Face.Challenges() {
		if !slices.Contains([]kiosk.Challenge{kiosk.ChallengeBlink, kiosk.ChallengeTurnLeft, kiosk.ChallengeTurnRight}, ch) {
			t.Errorf("challenge %q", ch)
		}
	}
	// Too short, then backspace, then the right PIN.
	// Too short (5 of 6 digits: a real BIR refuses it and would count a try), then
	// backspace, then the right PIN. Digits past the policy's length are dropped.
	h.TypePIN("24681")
	h.Press(kiosk.EvPINSubmit)
	h.Wait("too short", func(s kiosk.Snapshot) bool {
		return s.Notice == kiosk.MsgPINTooShort && s.PINLength == 5 && s.PINDigits == 6
	})
	if h.Card.Verifies() != 0 {
		t.Fatalf("a short PIN reached the card")
	}
	h.TypePIN("9")
	h.Press(kiosk.EvPINBackspace)
	s = h.Wait("5 digits", func(s kiosk.Snapshot) bool { return s.PINLength == 5 })
	if s.Notice != "" {
		t.Errorf("notice stays after typing: %q", s.Notice)
	}
	h.TypePIN("37")
	s = h.Wait("6 digits, the 7th dropped", func(s kiosk.Snapshot) bool { return s.PINLength == 6 })
	h.Press(kiosk.EvPINSubmit)
	menu := h.WaitIdle(kiosk.StateServiceMenu)
	if menu.Holder == nil {
		t.Error("no greeting after PIN")
	}
	var faceRows, pinRows int
	for _, e := range h.Store.Events() {
		switch e.Action {
		case "face.verify":
			faceRows++
		case "pin.verify":
			pinRows++
			if e.Detail != "ok" {
				t.Errorf("pin audit %q", e.Detail)
			}
		}
	}
	if faceRows != 3 || pinRows != 1 {
		t.Errorf("audit: %d face rows, %d pin rows", faceRows, pinRows)
	}
}

// toPIN drives a fresh harness to the PIN screen through three face mismatches.
func toPIN(t *testing.T, h *kiosktest.Harness) kiosk.Snapshot {
	t.Helper()
	h.Face.Script(nil, kiosktest.NoMatch)
	h.Card.Insert()
	for i := 0; i < 3; i++ {
		h.WaitState(kiosk.StateFaceResult)
		h.Press(kiosk.EvContinue)
	}
	return h.WaitState(kiosk.StatePIN)
}

func TestWrongPIN(t *testing.T) {
	cases := []struct {
		name   string
		pins   []string
		tries  []int // tries left shown after each wrong PIN
		last   []bool
		end    kiosk.State
		reason kiosk.MsgKey
	}{
		{"right at once", []string{kiosktest.DefaultPIN}, nil, nil, kiosk.StateServiceMenu, ""},
		{"wrong then right", []string{"111111", kiosktest.DefaultPIN}, []int{2}, []bool{false}, kiosk.StateServiceMenu, ""},
		{"wrong twice then right", []string{"111111", "222222", kiosktest.DefaultPIN}, []int{2, 1}, []bool{false, true}, kiosk.StateServiceMenu, ""},
		{"wrong three times blocks", []string{"111111", "222222", "333333"}, []int{2, 1}, []bool{false, true}, kiosk.StateCounter, kiosk.ReasonPINBlocked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := kiosktest.NewHarness(t).Start()
			h.Wait("idle pin", func(s kiosk.Snapshot) bool { return true })
			toPIN(t, h)
			h.WaitIdle(kiosk.StatePIN)
			for i, pin := range c.pins {
				h.TypePIN(pin)
				h.Press(kiosk.EvPINSubmit)
				if i < len(c.tries) {
					s := h.Wait("wrong PIN shown", func(s kiosk.Snapshot) bool {
						return s.State == kiosk.StatePIN && !s.Busy && s.Notice == kiosk.MsgPINWrong
					})
					if s.PINTriesLeft != c.tries[i] || s.PINLastTry != c.last[i] || s.PINLength != 0 {
						t.Fatalf("after wrong PIN %d: tries %d last %t length %d", i+1, s.PINTriesLeft, s.PINLastTry, s.PINLength)
					}
				}
			}
			s := h.WaitState(c.end)
			if s.Message != c.reason {
				t.Errorf("message %q, want %q", s.Message, c.reason)
			}
			if c.end == kiosk.StateCounter && s.Holder != nil {
				t.Error("counter screen shows the resident")
			}
			if h.Card.Verifies() != len(c.pins) {
				t.Errorf("%d verifies for %d PINs", h.Card.Verifies(), len(c.pins))
			}
		})
	}
}

func TestBlockedCard(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.Card.SetPIN(kiosktest.DefaultPIN, 0)
	h.Start()
	h.Face.Script(nil, kiosktest.NoMatch)
	h.Card.Insert()
	for i := 0; i < 3; i++ {
		h.WaitState(kiosk.StateFaceResult)
		h.Press(kiosk.EvContinue)
	}
	s := h.WaitState(kiosk.StateCounter)
	if s.Message != kiosk.ReasonPINBlocked {
		t.Fatalf("message %q", s.Message)
	}
	if h.Card.Verifies() != 0 {
		t.Error("a blocked card was asked to verify a PIN")
	}
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateTakeCard)

	// The card cannot answer at all: counter too.
	h2 := kiosktest.NewHarness(t)
	h2.Card.SetPINErrors(errors.New("6F00"), nil)
	h2.Start()
	toPIN(t, h2)
	if s := h2.WaitState(kiosk.StateCounter); s.Message != kiosk.ReasonPINUnavailable {
		t.Fatalf("message %q", s.Message)
	}
}

func TestCardProblems(t *testing.T) {
	forged := kiosktest.Resident(doc, kiosktest.Day(1990, 5, 10), kiosktest.Day(2020, 1, 15), kiosktest.Day(2030, 1, 15))
	forged.Verified = false
	expired := kiosktest.Resident(doc, kiosktest.Day(1990, 5, 10), kiosktest.Day(2016, 1, 15), kiosktest.Day(2026, 5, 13))
	lastDay := kiosktest.Resident(doc, kiosktest.Day(1990, 5, 10), kiosktest.Day(2016, 1, 15), kiosktest.Day(2026, 5, 14))
	cases := []struct {
		name   string
		read   *kiosk.CardRead
		err    error
		state  kiosk.State
		reason kiosk.MsgKey
	}{
		{"passive auth failed", forged, nil, kiosk.StateCardProblem, kiosk.ReasonCardNotGenuine},
		{"expired yesterday: read, for renewal", expired, nil, kiosk.StateFace, ""},
		{"expires today is still valid", lastDay, nil, kiosk.StateFace, ""},
		{"unreadable", nil, errors.New("6A82 file not found"), kiosk.StateCardProblem, kiosk.ReasonCardUnreadable},
		{"stopped answering", nil, fmt.Errorf("reading DG2: %w", context.DeadlineExceeded), kiosk.StateCardProblem, kiosk.ReasonCardNotAnswering},
		{"pulled while reading", nil, kiosk.ErrCardRemoved, kiosk.StateCardProblem, kiosk.ReasonCardUnreadable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := kiosktest.NewHarness(t)
			h.Card.SetRead(c.read, c.err)
			h.Start()
			h.Card.Insert()
			s := h.WaitState(c.state)
			if s.Message != c.reason {
				t.Errorf("message %q, want %q", s.Message, c.reason)
			}
			if c.state == kiosk.StateCardProblem {
				for _, p := range h.Card.HandedPhotos() {
					if slices.ContainsFunc(p, func(b byte) bool { return b != 0 }) {
						t.Error("rejected card's photo not zeroed")
					}
				}
				h.Press(kiosk.EvContinue)
				h.WaitState(kiosk.StateTakeCard)
			}
		})
	}
}

// driveTo brings a started harness with a card inserted... to state s and returns the
// snapshot there. Devices that must be busy in s are held by their gates.
func driveTo(t *testing.T, h *kiosktest.Harness, s kiosk.State) kiosk.Snapshot {
	t.Helper()
	toMenu := func() {
		h.Card.Insert()
		h.WaitState(kiosk.StateFaceResult)
		h.Press(kiosk.EvContinue)
		h.WaitIdle(kiosk.StateServiceMenu)
	}
	toSummary := func() {
		toMenu()
		h.Choose(kiosk.ServiceIDRenewal)
		h.Fill(kiosk.FieldCollectionOffice, "office_central", kiosk.FieldPhoneNumber, "66123456")
		h.Press(kiosk.EvContinue)
		h.WaitState(kiosk.StateSummary)
	}
	switch s {
	case kiosk.StateReading:
		h.Card.ReadGate.Hold()
		h.Card.Insert()
		return h.Wait("reading in progress", func(x kiosk.Snapshot) bool { return x.State == s && x.Progress > 0 })
	case kiosk.StateCardProblem:
		h.Card.SetRead(nil, errors.New("6A82 file not found"))
		h.Card.Insert()
	case kiosk.StateFace:
		h.Face.Gate.Hold()
		h.Card.Insert()
		return h.Wait("face challenge", func(x kiosk.Snapshot) bool { return x.State == s && x.Face.Challenge != "" })
	case kiosk.StateFaceResult:
		h.Face.Script(nil, kiosktest.NoMatch)
		h.Card.Insert()
	case kiosk.StatePIN:
		toPIN(t, h)
		h.WaitIdle(s)
		h.TypePIN("246")
		return h.Wait("PIN typed", func(x kiosk.Snapshot) bool { return x.State == s && x.PINLength == 3 })
	case kiosk.StateServiceMenu:
		toMenu()
		return h.Last()
	case kiosk.StateServiceForm:
		toMenu()
		h.Choose(kiosk.ServiceIDRenewal)
		h.Fill(kiosk.FieldPhoneNumber, "66123456")
		return h.Wait("form filled", func(x kiosk.Snapshot) bool { return x.State == s && x.Form[1].Value != "" })
	case kiosk.StateSummary:
		toSummary()
		return h.Last()
	case kiosk.StateSubmitting:
		h.Printer.Gate.Hold()
		toSummary()
		h.Press(kiosk.EvConfirm)
		h.Pay(kiosk.PaymentQR)
	case kiosk.StateDone:
		toSummary()
		h.Press(kiosk.EvConfirm)
		h.Pay(kiosk.PaymentQR)
	case kiosk.StateTakeCard:
		toMenu()
		h.Press(kiosk.EvCancel)
	case kiosk.StateCounter:
		h.Card.SetPIN(kiosktest.DefaultPIN, 0)
		toPIN(t, h)
	default:
		t.Fatalf("driveTo %s: no way there with a card in", s)
	}
	return h.WaitState(s)
}

// cardStates are the states in which the resident's card is in the reader.
var cardStates = []kiosk.State{
	kiosk.StateReading, kiosk.StateCardProblem, kiosk.StateFace, kiosk.StateFaceResult, kiosk.StatePIN,
	kiosk.StateServiceMenu, kiosk.StateServiceForm, kiosk.StateSummary, kiosk.StateSubmitting,
	kiosk.StateDone, kiosk.StateTakeCard, kiosk.StateCounter,
}

// assertBlank fails if the snapshot holds anything of a resident.
func assertBlank(t *testing.T, s kiosk.Snapshot) {
	t.Helper()
	if s.Holder != nil || s.Services != nil || s.Form != nil || s.Summary != nil || s.Reference != "" ||
		s.Service != "" || s.Face != (kiosk.FaceView{}) || s.PINLength != 0 || s.PINTriesLeft != -1 ||
		s.Progress != 0 || s.ProgressStep != "" || s.Busy || s.OneAccount != nil {
		t.Errorf("snapshot after the session holds data: %+v", s)
	}
	if s.Language != kiosk.LangZhHant || s.LargeText || s.HighContrast {
		t.Errorf("next resident inherits display settings: %+v", s)
	}
	noPersonalData(t, "snapshot", fmt.Sprintf("%+v", s))
}

func TestCardPulledAtEveryState(t *testing.T) {
	for _, st := range cardStates {
		t.Run(string(st), func(t *testing.T) {
			h := kiosktest.NewHarness(t).Start()
			h.Post(kiosk.Event{Kind: kiosk.EvSetLanguage, Language: kiosk.LangEN})
			h.Press(kiosk.EvToggleLargeText)
			h.Press(kiosk.EvToggleContrast)
			at := driveTo(t, h, st)
			if st == kiosk.StateServiceMenu && at.Holder == nil {
				t.Fatal("menu without the resident's name: the test would prove nothing")
			}
			h.Card.Remove()
			s := h.WaitState(kiosk.StateAttract)
			if s.Message != kiosk.MsgSessionEnded {
				t.Errorf("message %q", s.Message)
			}
			assertBlank(t, s)
			// Late results of held devices must not bring anything back.
			h.Card.ReadGate.Release()
			h.Face.Gate.Release()
			h.Printer.Gate.Release()
			s = h.Sync()
			if s.State != kiosk.StateAttract {
				t.Fatalf("state after late results: %s", s.State)
			}
			assertBlank(t, s)
			// Checked while the machine still runs: stopping it wipes too.
			for i, p := range h.Card.HandedPhotos() {
				if slices.ContainsFunc(p, func(b byte) bool { return b != 0 }) {
					t.Errorf("photo %d not zeroed: % x", i, p)
				}
			}
			for i, r := range h.Card.Handed() {
				if r.Holder.DocumentNumber != "" || r.Holder.Names != (kiosk.Names{}) || !r.Holder.BirthDate.IsZero() {
					t.Errorf("card read %d not wiped: %+v", i, r.Holder)
				}
			}
			h.Stop()
			evs := h.Store.Events()
			if !slices.ContainsFunc(evs, func(e kiosk.AuditEvent) bool {
				return e.Action == "session.end" && e.Detail == "event=card_removed state="+string(st)
			}) {
				t.Errorf("no session.end audit: %+v", evs)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	const screen, grace = 60 * time.Second, 20 * time.Second
	cases := []struct {
		at   kiosk.State
		want kiosk.State
	}{
		{kiosk.StateInsertCard, kiosk.StateAttract},
		{kiosk.StateCardProblem, kiosk.StateTakeCard},
		{kiosk.StateFaceResult, kiosk.StateTakeCard},
		{kiosk.StatePIN, kiosk.StateTakeCard},
		{kiosk.StateServiceMenu, kiosk.StateTakeCard},
		{kiosk.StateServiceForm, kiosk.StateTakeCard},
		{kiosk.StateSummary, kiosk.StateTakeCard},
		{kiosk.StateDone, kiosk.StateTakeCard},
		{kiosk.StateCounter, kiosk.StateTakeCard},
		{kiosk.StateTakeCard, kiosk.StateTakeCard},
	}
	for _, c := range cases {
		t.Run(string(c.at), func(t *testing.T) {
			h := kiosktest.NewHarness(t).Start()
			if c.at == kiosk.StateInsertCard {
				h.Press(kiosk.EvStart)
				h.WaitState(c.at)
			} else {
				driveTo(t, h, c.at)
			}
			s := h.Tick(screen - time.Second)
			if !s.TimerOn || s.AskMoreTime || s.Countdown != time.Second {
				t.Fatalf("before the timeout: on=%t ask=%t countdown=%v", s.TimerOn, s.AskMoreTime, s.Countdown)
			}
			s = h.Tick(time.Second)
			if !s.AskMoreTime || s.Countdown != grace || s.State != c.at {
				t.Fatalf("at the timeout: ask=%t countdown=%v state=%s", s.AskMoreTime, s.Countdown, s.State)
			}
			// "Yes, more time": a full screen timeout again.
			h.Press(kiosk.EvMoreTime)
			s = h.Wait("more time", func(s kiosk.Snapshot) bool { return !s.AskMoreTime })
			if s.Countdown != screen || s.State != c.at {
				t.Fatalf("after more time: countdown=%v state=%s", s.Countdown, s.State)
			}
			h.Tick(screen)
			s = h.Tick(grace - time.Second)
			if !s.AskMoreTime || s.State != c.at || s.Countdown != time.Second {
				t.Fatalf("still asking: %+v", s)
			}
			s = h.Tick(time.Second)
			s = h.WaitState(c.want)
			if s.AskMoreTime || s.TimerOn != kiosk.Timed(c.want) {
				t.Errorf("after timing out: ask=%t on=%t", s.AskMoreTime, s.TimerOn)
			}
			if c.want == kiosk.StateTakeCard {
				if s.Holder != nil || s.Services != nil || s.Summary != nil {
					t.Errorf("take card after timeout shows data: %+v", s)
				}
				for i, p := range h.Card.HandedPhotos() {
					if slices.ContainsFunc(p, func(b byte) bool { return b != 0 }) {
						t.Errorf("photo %d not zeroed after timeout", i)
					}
				}
			}
		})
	}
}

func TestActivityRestartsTimer(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	driveTo(t, h, kiosk.StateServiceForm)
	h.Tick(70 * time.Second)
	if s := h.Last(); !s.AskMoreTime {
		t.Fatal("not asking")
	}
	h.Fill(kiosk.FieldPhoneNumber, "6")
	s := h.Wait("typing answers the question", func(s kiosk.Snapshot) bool { return !s.AskMoreTime })
	if s.Countdown != 60*time.Second {
		t.Errorf("countdown %v", s.Countdown)
	}
}

func TestNoTimerOnAttractAndBusyScreens(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	s := h.Tick(time.Hour)
	if s.State != kiosk.StateAttract || s.TimerOn {
		t.Fatalf("attract: %+v", s)
	}
	driveTo(t, h, kiosk.StateReading)
	s = h.Tick(time.Hour)
	if s.State != kiosk.StateReading || s.TimerOn || s.AskMoreTime {
		t.Fatalf("reading: %+v", s)
	}
	h.Card.ReadGate.Release()
	h.WaitState(kiosk.StateFace)
}

func TestIneligibleServices(t *testing.T) {
	type want struct {
		svc kiosk.ServiceID
		ok  bool
		why kiosk.MsgKey
	}
	cases := []struct {
		name      string
		birth     time.Time
		issue     time.Time
		residency kiosk.Residency
		record    kiosk.ResidentRecord
		boErr     error
		want      []want
	}{
		{"17 today, passport far from expiry", kiosktest.Day(2008, 5, 15), kiosktest.Day(2020, 1, 15), kiosk.ResidencyPermanent,
			kiosk.ResidentRecord{Nationality: "CHN", Passport: &kiosk.TravelDocument{Expiry: kiosk.Date{Year: 2031, Month: 1, Day: 1}}}, nil,
			[]want{{kiosk.ServiceIDRenewal, true, ""}, {kiosk.ServicePassport, false, kiosk.ReasonPassportMinor}, {kiosk.ServiceTravelPermit, false, kiosk.ReasonTravelPermitUnder18}, {kiosk.ServiceOneAccount, true, ""}}},
		{"18 today, passport expires in exactly 9 months", kiosktest.Day(2008, 5, 14), kiosktest.Day(2020, 1, 15), kiosk.ResidencyPermanent,
			kiosk.ResidentRecord{Nationality: "CHN", Passport: &kiosk.TravelDocument{Expiry: kiosk.Date{Year: 2027, Month: 2, Day: 14}}}, nil,
			[]want{{kiosk.ServicePassport, true, ""}, {kiosk.ServiceTravelPermit, false, kiosk.ReasonTravelPermitPermanent}}},
		{"non-permanent, 18 today", kiosktest.Day(2008, 5, 14), kiosktest.Day(2020, 1, 15), kiosk.ResidencyNonPermanent,
			kiosk.ResidentRecord{Nationality: "CHN"}, nil,
			[]want{{kiosk.ServiceIDRenewal, false, kiosk.ReasonRenewalNotPermanent}, {kiosk.ServicePassport, false, kiosk.ReasonPassportNotPermanent}, {kiosk.ServiceTravelPermit, true, ""}}},
		{"card issued at 4", kiosktest.Day(2001, 1, 16), kiosktest.Day(2006, 1, 15), kiosk.ResidencyPermanent,
			kiosk.ResidentRecord{Nationality: "CHN", Passport: &kiosk.TravelDocument{Expiry: kiosk.Date{Year: 2026, Month: 6, Day: 1}}}, nil,
			[]want{{kiosk.ServicePassport, false, kiosk.ReasonPassportUnder5AtIssue}, {kiosk.ServiceIDRenewal, false, kiosk.ReasonRenewalUnder5AtIssue}}},
		{"card issued on the 5th birthday", kiosktest.Day(2001, 1, 15), kiosktest.Day(2006, 1, 15), kiosk.ResidencyPermanent,
			kiosk.ResidentRecord{Nationality: "CHN", Passport: &kiosk.TravelDocument{Expiry: kiosk.Date{Year: 2026, Month: 6, Day: 1}}}, nil,
			[]want{{kiosk.ServicePassport, true, ""}}},
		{"back office down", kiosktest.Day(1990, 5, 10), kiosktest.Day(2020, 1, 15), kiosk.ResidencyPermanent, kiosk.ResidentRecord{}, kiosk.ErrBackOfficeUnavailable,
			[]want{{kiosk.ServiceIDRenewal, true, ""}, {kiosk.ServicePassport, false, kiosk.ReasonBackOfficeUnavailable}, {kiosk.ServiceOneAccount, false, kiosk.ReasonBackOfficeUnavailable}}},
		{"service password locked", kiosktest.Day(1990, 5, 10), kiosktest.Day(2020, 1, 15), kiosk.ResidencyPermanent,
			kiosk.ResidentRecord{OneAccount: kiosk.OneAccountStatus{Exists: true, PasswordLockedUntil: kiosktest.Start.Add(30 * time.Minute)}}, nil,
			[]want{{kiosk.ServiceOneAccount, false, kiosk.ReasonPasswordLocked}}},
		{"renewal pending", kiosktest.Day(1990, 5, 10), kiosktest.Day(2020, 1, 15), kiosk.ResidencyPermanent,
			kiosk.ResidentRecord{Pending: []kiosk.ServiceID{kiosk.ServiceIDRenewal}}, nil,
			[]want{{kiosk.ServiceIDRenewal, false, kiosk.ReasonApplicationPending}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := kiosktest.NewHarness(t)
			read := kiosktest.Resident(doc, c.birth, c.issue, kiosktest.Day(2026, 9, 30))
			read.Holder.Residency = c.residency
			h.Card.SetRead(read, nil)
			h.BackOffice.Set(h.Subject(doc), c.record)
			h.BackOffice.LookupErr = c.boErr
			h.Start()
			menu := h.ToMenu()
			if len(menu.Services) != len(kiosk.Services) {
				t.Fatalf("menu %+v", menu.Services)
			}
			for _, w := range c.want {
				i := slices.IndexFunc(menu.Services, func(v kiosk.ServiceView) bool { return v.ID == w.svc })
				v := menu.Services[i]
				if v.Eligible != w.ok || v.Reason != w.why {
					t.Errorf("%s: got (%t, %q), want (%t, %q)", w.svc, v.Eligible, v.Reason, w.ok, w.why)
				}
				if !w.ok {
					// Choosing a greyed-out service does nothing.
					h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: w.svc})
					if s := h.Sync(); s.State != kiosk.StateServiceMenu {
						t.Errorf("ineligible %s opened %s", w.svc, s.State)
					}
				}
			}
		})
	}
}

func TestAnotherServiceAndFailures(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.BackOffice.Set(h.Subject(doc), kiosk.ResidentRecord{Nationality: kiosk.ChineseNationality,
		Passport: &kiosk.TravelDocument{Expiry: kiosk.Date{Year: 2026, Month: 12, Day: 1}}})
	h.Printer.Err = kiosk.ErrNoPrinter
	h.Start()
	done := driveTo(t, h, kiosk.StateDone)
	if done.Notice != kiosk.MsgPrinterUnavailable || done.Reference == "" {
		t.Fatalf("done without printer: %+v", done)
	}
	h.Press(kiosk.EvAnotherService)
	menu := h.WaitIdle(kiosk.StateServiceMenu)
	i := slices.IndexFunc(menu.Services, func(v kiosk.ServiceView) bool { return v.ID == kiosk.ServiceIDRenewal })
	if menu.Services[i].Eligible || menu.Services[i].Reason != kiosk.ReasonApplicationPending {
		t.Errorf("the service just applied for is offered again: %+v", menu.Services[i])
	}
	// A store failure sends the resident to the counter, with nothing queued.
	h.Store.SaveErr = errors.New("disk full")
	h.Choose(kiosk.ServicePassport)
	h.Fill(kiosk.FieldCollectionOffice, "office_central", kiosk.FieldPhoneNumber, "66123456")
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateSummary)
	h.Press(kiosk.EvBack)
	s := h.WaitState(kiosk.StateServiceForm)
	if s.Form[0].Value != "office_central" {
		t.Errorf("back from summary lost the form: %+v", s.Form)
	}
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateSummary)
	h.Press(kiosk.EvConfirm)
	h.WaitState(kiosk.StatePayment)
	h.Post(kiosk.Event{Kind: kiosk.EvChoosePayment, Value: string(kiosk.PaymentCard)})
	s = h.WaitState(kiosk.StateCounter)
	if s.Message != kiosk.ReasonSubmitFailed {
		t.Errorf("message %q", s.Message)
	}
	if n := len(h.Store.Outbox()); n != 1 {
		t.Errorf("%d outbox messages, want only the first application", n)
	}
}

func TestReaderAndMaintenance(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	driveTo(t, h, kiosk.StateServiceMenu)
	h.Card.LoseReader()
	s := h.WaitState(kiosk.StateOutOfService)
	if s.Message != kiosk.ReasonReaderLost || s.TimerOn {
		t.Errorf("out of service %+v", s)
	}
	if s.Holder != nil || s.Services != nil {
		t.Error("out of service shows resident data")
	}
	// Events that change nothing visible are posted directly, not through the card
	// watcher's goroutine, so that Sync orders them.
	h.Press(kiosk.EvMaintenanceOn)
	h.Press(kiosk.EvReaderReturned)
	if s := h.Sync(); s.State != kiosk.StateOutOfService {
		t.Fatalf("back in service during maintenance: %s", s.State)
	}
	h.Press(kiosk.EvCardInserted) // ignored while out of service
	if s := h.Sync(); s.State != kiosk.StateOutOfService {
		t.Fatalf("card accepted out of service: %s", s.State)
	}
	h.Press(kiosk.EvMaintenanceOff)
	h.WaitState(kiosk.StateAttract)
	h.Press(kiosk.EvMaintenanceOn)
	h.WaitState(kiosk.StateOutOfService)
	h.Press(kiosk.EvReaderLost)
	h.Press(kiosk.EvMaintenanceOff)
	if s := h.Sync(); s.State != kiosk.StateOutOfService {
		t.Fatalf("back in service without a reader: %s", s.State)
	}
	h.Card.ReturnReader()
	h.WaitState(kiosk.StateAttract)
}

func TestLanguageOnEveryScreen(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	driveTo(t, h, kiosk.StateSummary)
	for _, l := range kiosk.Languages {
		h.Post(kiosk.Event{Kind: kiosk.EvSetLanguage, Language: l})
		s := h.Wait("language "+string(l), func(s kiosk.Snapshot) bool { return s.Language == l })
		if s.State != kiosk.StateSummary || s.Summary == nil {
			t.Fatalf("switching language changed the screen: %+v", s)
		}
	}
	h.Post(kiosk.Event{Kind: kiosk.EvSetLanguage, Language: "fr"})
	if s := h.Sync(); s.Language != kiosk.LangEN {
		t.Errorf("unknown language accepted: %s", s.Language)
	}
	h.Press(kiosk.EvToggleLargeText)
	if s := h.Sync(); !s.LargeText {
		t.Error("large text not on")
	}
}

// A hundred sessions in a row leave no goroutine behind.
func TestManySessionsNoLeak(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	runtime.GC()
	before := runtime.NumGoroutine()
	for i := 0; i < 100; i++ {
		h.ToMenu()
		h.Card.Remove()
		h.WaitState(kiosk.StateAttract)
	}
	h.Sync()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("goroutines %d before, %d after 100 sessions", before, after)
	}
}

func TestNewMachineChecksPorts(t *testing.T) {
	h := kiosktest.NewHarness(t)
	sealer, _ := kiosktest.NewSealer(t)
	full := kiosk.Deps{Card: h.Card, Face: h.Face, Store: h.Store, BackOffice: h.BackOffice,
		Clock: h.Clock, Rand: kiosktest.Rand(1), Subjects: kiosktest.Subjects{}, Sealer: sealer}
	if _, err := kiosk.NewMachine(kiosk.MachineConfig{}, full); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, drop := range []func(*kiosk.Deps){
		func(d *kiosk.Deps) { d.Card = nil }, func(d *kiosk.Deps) { d.Face = nil },
		func(d *kiosk.Deps) { d.Store = nil },
		func(d *kiosk.Deps) { d.BackOffice = nil }, func(d *kiosk.Deps) { d.Clock = nil },
		func(d *kiosk.Deps) { d.Rand = nil }, func(d *kiosk.Deps) { d.Subjects = nil },
		func(d *kiosk.Deps) { d.Sealer = nil },
	} {
		d := full
		drop(&d)
		if _, err := kiosk.NewMachine(kiosk.MachineConfig{}, d); err == nil {
			t.Error("missing port accepted")
		}
	}
	for _, cfg := range []kiosk.MachineConfig{
		{DefaultLanguage: "fr"},
		{PIN: kiosk.PINPolicy{Length: 3, Tries: 3}},
		{PIN: kiosk.PINPolicy{Length: 6, Tries: 0}},
		{Fees: kiosk.Fees{kiosk.ServicePassport: 1}},
	} {
		if _, err := kiosk.NewMachine(cfg, full); err == nil {
			t.Errorf("bad config accepted: %+v", cfg)
		}
	}
}

// BenchmarkCardToMenu: card in to service menu on fakes (machine time only).
func BenchmarkCardToMenu(b *testing.B) {
	h := kiosktest.NewHarness(b).Start()
	for b.Loop() {
		h.Card.Insert()
		h.WaitState(kiosk.StateFaceResult)
		h.Press(kiosk.EvContinue)
		h.WaitIdle(kiosk.StateServiceMenu)
		h.Card.Remove()
		h.WaitState(kiosk.StateAttract)
	}
}

// BenchmarkHundredSessionsMemory reports the live heap after 100 sessions in a row
// against the heap at rest (after one session): it must not grow with sessions.
func BenchmarkHundredSessionsMemory(b *testing.B) {
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for b.Loop() {
		h := kiosktest.NewHarness(b).Start()
		session := func() {
			h.ToMenu()
			h.Card.Remove()
			h.WaitState(kiosk.StateAttract)
			// The fakes remember every call; a kiosk's store is on disk.
			h.Card.Forget()
			h.Face.Forget()
			h.Store.Forget()
		}
		session()
		rest := heap()
		for i := 0; i < 100; i++ {
			session()
		}
		after := heap()
		b.ReportMetric(float64(rest)/1024, "KiB-at-rest")
		b.ReportMetric((float64(after)-float64(rest))/1024, "KiB-growth/100sessions")
		h.Stop()
	}
}

// Confirmed is confirmed: pulling the card while the receipt prints still leaves the
// application saved, queued and audited under the right resident.
func TestCardPulledWhileSubmitting(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	driveTo(t, h, kiosk.StateSubmitting)
	h.Card.Remove()
	assertBlank(t, h.WaitState(kiosk.StateAttract))
	deadline := time.Now().Add(kiosktest.WaitTimeout)
	var row, receipt *kiosk.AuditEvent
	for (row == nil || receipt == nil) && time.Now().Before(deadline) {
		for _, e := range h.Store.Events() {
			switch e.Action {
			case "application.submit":
				row = &e
			case "application.receipt":
				receipt = &e
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if row == nil || receipt == nil {
		t.Fatalf("audit rows for the application %+v and its receipt %+v: want both", row, receipt)
	}
	if row.Subject != h.Subject(doc) || !strings.Contains(row.Detail, "service=id-renewal") {
		t.Errorf("audit row %+v", row)
	}
	if receipt.Subject != h.Subject(doc) || !strings.Contains(receipt.Detail, "receipt=not_shown") {
		t.Errorf("receipt audit row %+v", receipt)
	}
	if len(h.Store.Applications()) != 1 || len(h.Store.Outbox()) != 1 {
		t.Errorf("%d applications, %d queued", len(h.Store.Applications()), len(h.Store.Outbox()))
	}
	if s := h.Sync(); s.State != kiosk.StateAttract || s.Reference != "" {
		t.Errorf("late result shown: %+v", s)
	}
}

// A resident who never completes the challenge uses up an attempt; the camera is not
// declared broken.
func TestFaceTimeoutIsAFailedAttempt(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.Config.FaceTimeout = 50 * time.Millisecond // a real-time limit inside the verifier call
	h.Face.Gate.Hold()
	h.Start()
	h.Card.Insert()
	s := h.WaitState(kiosk.StateFaceResult)
	if s.Face.Matched || s.Face.AttemptsLeft != 2 || s.Message != "" {
		t.Fatalf("after a face timeout: %+v", s)
	}
	h.Face.Gate.Release()
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateFace)
	h.WaitState(kiosk.StateFaceResult)
	h.Press(kiosk.EvContinue)
	h.WaitIdle(kiosk.StateServiceMenu)
}

// A broken camera (or an unusable card photo) goes straight to the PIN.
func TestFaceErrorGoesToPIN(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.Face.Script([]error{errors.New("camera: device gone")}, kiosktest.Match)
	h.Start()
	h.Card.Insert()
	s := h.WaitIdle(kiosk.StatePIN)
	if s.Message != kiosk.ReasonFaceUnavailable || s.PINTriesLeft != 3 {
		t.Fatalf("PIN after face error: %+v", s)
	}
}

// The machine's own ticker drives the screen timer: the test only moves the clock.
func TestOwnTicker(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.Config.TickEvery = 2 * time.Millisecond
	h.Start()
	h.Press(kiosk.EvStart)
	h.WaitState(kiosk.StateInsertCard)
	h.Clock.Advance(60 * time.Second)
	h.Wait("asked by the ticker", func(s kiosk.Snapshot) bool { return s.AskMoreTime })
	h.Clock.Advance(20 * time.Second)
	h.WaitState(kiosk.StateAttract)
}

func TestSyncAfterStop(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	h.Press(kiosk.EvStart)
	if s := h.Sync(); s.State != kiosk.StateInsertCard {
		t.Fatalf("Sync returned before the event was handled: %s", s.State)
	}
	h.Stop()
	if err := h.M.Sync(context.Background()); err == nil {
		t.Error("Sync on a stopped machine succeeded")
	}
	if err := h.M.Run(context.Background()); err == nil {
		t.Error("Run twice succeeded")
	}
	h.Press(kiosk.EvStart) // must not block after Run ended
}
