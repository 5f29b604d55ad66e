package kiosktest

import (
	"sync"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

var _ kiosk.Flow = (*Flow)(nil)

// Flow is a kiosk.Flow whose snapshot the test sets directly: for rendering one screen
// (golden files) and for checking which events a screen posts.
type Flow struct {
	mu     sync.Mutex
	snap   kiosk.Snapshot
	subs   map[int]func(kiosk.Snapshot)
	next   int
	posted []kiosk.Event
}

// NewFlow starts with snapshot s.
func NewFlow(s kiosk.Snapshot) *Flow { return &Flow{snap: s, subs: map[int]func(kiosk.Snapshot){}} }

// Set publishes s to the subscribers (on the caller's goroutine).
func (f *Flow) Set(s kiosk.Snapshot) {
	f.mu.Lock()
	s.Seq = f.snap.Seq + 1
	f.snap = s
	fns := make([]func(kiosk.Snapshot), 0, len(f.subs))
	for _, fn := range f.subs {
		fns = append(fns, fn)
	}
	f.mu.Unlock()
	for _, fn := range fns {
		fn(s)
	}
}

// Post records ev.
func (f *Flow) Post(ev kiosk.Event) {
	f.mu.Lock()
	f.posted = append(f.posted, ev)
	f.mu.Unlock()
}

// Posted returns the events posted so far.
func (f *Flow) Posted() []kiosk.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]kiosk.Event(nil), f.posted...)
}

// Snapshot returns the current snapshot.
func (f *Flow) Snapshot() kiosk.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

// Subscribe implements kiosk.Flow.
func (f *Flow) Subscribe(fn func(kiosk.Snapshot)) (cancel func()) {
	f.mu.Lock()
	id := f.next
	f.next++
	f.subs[id] = fn
	cur := f.snap
	f.mu.Unlock()
	fn(cur)
	return func() {
		f.mu.Lock()
		delete(f.subs, id)
		f.mu.Unlock()
	}
}

// Samples returns one representative snapshot of every state in language lang, as the
// machine would publish it, for golden screens. The name is the demo resident's.
func Samples(lang kiosk.Language) map[kiosk.State]kiosk.Snapshot {
	base := kiosk.Snapshot{Language: lang, TimerOn: true, Countdown: 45 * time.Second, PINTriesLeft: -1}
	holder := &kiosk.HolderView{NameChinese: "陳大文", NamePortuguese: "CHAN TAI MAN"}
	with := func(st kiosk.State, f func(*kiosk.Snapshot)) kiosk.Snapshot {
		s := base
		s.State = st
		if f != nil {
			f(&s)
		}
		return s
	}
	views := kiosk.ServiceViews(kiosk.Eligibility{
		BirthDate: kiosk.Date{Year: 1990, Month: 5, Day: 10}, IssueDate: kiosk.Date{Year: 2020, Month: 1, Day: 15},
		CardExpiry: kiosk.Date{Year: 2026, Month: 9, Day: 30}, Residency: kiosk.ResidencyPermanent,
		Today: kiosk.Date{Year: 2026, Month: 5, Day: 14}, OfficeOpen: true,
		Record: kiosk.ResidentRecord{Nationality: kiosk.ChineseNationality, Passport: &kiosk.TravelDocument{Expiry: kiosk.Date{Year: 2029, Month: 1, Day: 1}}},
	}, kiosk.DefaultFees)
	form := []kiosk.FieldView{
		{Name: kiosk.FieldCollectionOffice, Kind: kiosk.FieldChoice, Required: true, Options: kiosk.CollectionOffices, Value: kiosk.CollectionOffices[0]},
		{Name: kiosk.FieldPhoneNumber, Kind: kiosk.FieldPhone, Required: true, Value: "6612", Length: 4, MaxLen: 8, Error: kiosk.FormPhoneInvalid},
	}
	out := map[kiosk.State]kiosk.Snapshot{
		kiosk.StateAttract:    with(kiosk.StateAttract, func(s *kiosk.Snapshot) { s.TimerOn, s.Countdown = false, 0 }),
		kiosk.StateInsertCard: with(kiosk.StateInsertCard, func(s *kiosk.Snapshot) { s.EIDOffered = true }),
		kiosk.StateEIDScan:    with(kiosk.StateEIDScan, func(s *kiosk.Snapshot) { s.EID = &kiosk.EIDView{} }),
		kiosk.StateEIDCheck:   with(kiosk.StateEIDCheck, func(s *kiosk.Snapshot) { s.TimerOn, s.Countdown, s.Busy = false, 0, true }),
		kiosk.StateEIDProblem: with(kiosk.StateEIDProblem, func(s *kiosk.Snapshot) { s.Message = kiosk.ReasonEIDReplayed }),
		kiosk.StateReading: with(kiosk.StateReading, func(s *kiosk.Snapshot) {
			s.TimerOn, s.Countdown, s.Busy, s.Progress, s.ProgressStep = false, 0, true, 0.5, "DG2"
		}),
		kiosk.StateCardProblem: with(kiosk.StateCardProblem, func(s *kiosk.Snapshot) { s.Message = kiosk.ReasonCardNotGenuine }),
		kiosk.StateFace: with(kiosk.StateFace, func(s *kiosk.Snapshot) {
			s.Face = kiosk.FaceView{Attempt: 2, MaxAttempts: 3, Guidance: kiosk.GuideOK, Challenge: kiosk.ChallengeTurnLeft, ChallengeRemaining: 4 * time.Second}
		}),
		kiosk.StateFaceResult: with(kiosk.StateFaceResult, func(s *kiosk.Snapshot) {
			s.Face = kiosk.FaceView{Attempt: 1, MaxAttempts: 3, AttemptsLeft: 2, Failure: kiosk.FaceFailNoBlink}
		}),
		kiosk.StatePIN: with(kiosk.StatePIN, func(s *kiosk.Snapshot) {
			s.PINTriesLeft, s.PINLength, s.PINDigits, s.PINLastTry, s.Notice = 1, 3, kiosk.DefaultPINPolicy.Length, true, "msg.pin_wrong"
		}),
		kiosk.StateServiceMenu: with(kiosk.StateServiceMenu, func(s *kiosk.Snapshot) { s.Holder, s.Services = holder, views }),
		kiosk.StateCheckData: with(kiosk.StateCheckData, func(s *kiosk.Snapshot) {
			s.Holder, s.Service = holder, kiosk.ServiceIDRenewal
			s.Data = &kiosk.DataView{NameChinese: "陳大文", NamePortuguese: "CHAN TAI MAN", BirthDate: kiosk.Date{Year: 1990, Month: 5, Day: 10},
				Sex: "M", CardNumber: kiosk.MaskCardNumber("1234567(8)"), IssueDate: kiosk.Date{Year: 2020, Month: 1, Day: 15},
				ExpiryDate: kiosk.Date{Year: 2026, Month: 9, Day: 30}, Residency: kiosk.ResidencyPermanent, Editable: kiosk.EditableFields(kiosk.ServiceIDRenewal)}
		}),
		kiosk.StateServiceForm: with(kiosk.StateServiceForm, func(s *kiosk.Snapshot) {
			s.Holder, s.Service, s.Form = holder, kiosk.ServicePassport, form
		}),
		kiosk.StatePhoto: with(kiosk.StatePhoto, func(s *kiosk.Snapshot) {
			s.Holder, s.Service = holder, kiosk.ServiceIDRenewal
			s.Photo = &kiosk.PhotoView{Try: 2, MaxTries: kiosk.MaxPhotoTries, Guidance: kiosk.GuidePlainBackground, MyPhoto: true, TriesLeft: kiosk.MaxPhotoTries - 2}
		}),
		kiosk.StatePhotoReview: with(kiosk.StatePhotoReview, func(s *kiosk.Snapshot) {
			s.Holder, s.Service = holder, kiosk.ServiceIDRenewal
			s.Photo = &kiosk.PhotoView{Try: 2, MaxTries: kiosk.MaxPhotoTries, Guidance: kiosk.GuideOK, MyPhoto: true, TriesLeft: kiosk.MaxPhotoTries - 2,
				JPEG: append([]byte(nil), SamplePhoto...)}
		}),
		kiosk.StateSummary: with(kiosk.StateSummary, func(s *kiosk.Snapshot) {
			s.Holder, s.Service = holder, kiosk.ServicePassport
			s.Summary = &kiosk.SummaryView{Service: kiosk.ServicePassport, Fee: kiosk.DefaultFees[kiosk.ServicePassport], Lines: []kiosk.SummaryLine{
				{Label: "summary.service", Value: "service.passport", ValueIsKey: true},
				{Label: "field.collection_office", Value: "option.collection_office.office_central", ValueIsKey: true},
				{Label: "field.phone", Value: "66123456"},
			}}
		}),
		kiosk.StatePayment: with(kiosk.StatePayment, func(s *kiosk.Snapshot) {
			s.Service = kiosk.ServicePassport
			s.Payment = &kiosk.PaymentView{Amount: kiosk.DefaultFees[kiosk.ServicePassport], Methods: []kiosk.PaymentMethod{kiosk.PaymentQR, kiosk.PaymentCard},
				Method: kiosk.PaymentQR, Status: kiosk.PayPending, QR: "govpay://order/260514-7KQ2M4PT-X"}
		}),
		kiosk.StateSubmitting: with(kiosk.StateSubmitting, func(s *kiosk.Snapshot) { s.TimerOn, s.Countdown, s.Busy = false, 0, true }),
		kiosk.StateDone: with(kiosk.StateDone, func(s *kiosk.Snapshot) {
			s.Holder, s.Service, s.Reference, s.Notice = holder, kiosk.ServicePassport, "260514-7KQ2M4PT-X", "msg.printer_unavailable"
			s.Receipt = &kiosk.Receipt{Reference: s.Reference, Service: kiosk.ServicePassport, Fee: kiosk.DefaultFees[kiosk.ServicePassport],
				Paid: true, Method: kiosk.PaymentQR, PaymentRef: "TX-1", VerifyURL: "https://www.dsi.gov.mo/verify/260514-7KQ2M4PT-X",
				Office: "office_central", CollectFrom: kiosk.Date{Year: 2026, Month: time.May, Day: 28}}
		}),
		kiosk.StateStaffPIN: with(kiosk.StateStaffPIN, func(s *kiosk.Snapshot) {
			s.PINLength, s.PINDigits, s.Notice = 2, kiosk.DefaultPINPolicy.Length, kiosk.MsgStaffPINWrong
			s.StaffPIN = &kiosk.StaffPINView{Length: 2, TriesLeft: 3}
		}),
		kiosk.StateStaff: with(kiosk.StateStaff, func(s *kiosk.Snapshot) {
			s.Staff = &kiosk.StaffView{ID: "S1234", Page: kiosk.StaffPageHealth, Result: kiosk.MsgStaffSaved,
				Overview: kiosk.StaffOverview{
					Health: []kiosk.HealthItem{{Name: "card_reader", OK: true, Detail: "ACS ACR39U"}, {Name: "camera", OK: true, Detail: "29.8 fps"},
						{Name: "printer", OK: false, Detail: "media-empty"}, {Name: "outbox", OK: true, Detail: "0 waiting"}},
					Counts: []kiosk.Count{{Name: "sessions", Value: 41}, {Name: "completed", Value: 35}, {Name: "face_failures", Value: 3}, {Name: "pin_failures", Value: 1}},
					Face:   kiosk.FaceThresholds{Match: 0.40, Detect: 0.60},
				}}
		}),
		kiosk.StateTakeCard:     with(kiosk.StateTakeCard, nil),
		kiosk.StateOutOfService: with(kiosk.StateOutOfService, func(s *kiosk.Snapshot) { s.TimerOn, s.Countdown, s.Message = false, 0, kiosk.ReasonReaderLost }),
		kiosk.StateCounter:      with(kiosk.StateCounter, func(s *kiosk.Snapshot) { s.Message, s.AskMoreTime = kiosk.ReasonPINBlocked, true }),
	}
	for st, s := range oneAccountSamples(with) {
		out[st] = s
	}
	return out
}
