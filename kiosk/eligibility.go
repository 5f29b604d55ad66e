package kiosk

import (
	"fmt"
	"strings"
	"time"
)

// The public rules for applications at a DSI self-service kiosk (gov.mo / DSI pages),
// one home each; the menu, the tests and the back office's reference server all decide
// with Eligibility.Check.
const (
	// RenewalMinAgeAtIssue24h: at a 24-hour kiosk an ID card is renewed only if the
	// resident was 25 or older on the card's latest issue date; RenewalMinAgeAtIssue
	// (5) applies during office hours, when staff are at hand.
	RenewalMinAgeAtIssue24h = 25
	RenewalMinAgeAtIssue    = 5
	// RenewalWindowMonths: renewal from 6 months before the card's expiry (or after).
	RenewalWindowMonths = 6
	// PassportMinAgeAtIssue: the resident was at least 5 on the card's issue date.
	PassportMinAgeAtIssue = 5
	// PassportRenewWithinMonths: the current passport expires within 9 months or has expired.
	PassportRenewWithinMonths = 9
	// AdultAge: under 18 a passport needs both parents or the guardian in person, and
	// the travel permit is requested at the kiosk from 18.
	AdultAge = 18
	// TravelPermitWindowMonths: a travel permit is renewed from 9 months before to 9
	// months after its expiry (later than that it is a new application at the counter).
	TravelPermitWindowMonths = 9
	// ServicePasswordLock: the eID service password locks this long after too many
	// wrong tries (the back office keeps the count; the menu shows the lock).
	ServicePasswordLock = 60 * time.Minute
	// ChineseNationality is the ISO 3166 alpha-3 code of Chinese nationals, who alone
	// may hold the SAR passport and the SAR travel permit.
	ChineseNationality = "CHN"
)

// Residency is the status the resident card states: permanent (BIRP) or not (BIRNP).
type Residency string

const (
	ResidencyPermanent    Residency = "permanent"
	ResidencyNonPermanent Residency = "non-permanent"
)

// Reason keys on the service menu for services the resident cannot use here.
const (
	ReasonBackOfficeUnavailable MsgKey = "reason.backoffice_unavailable"
	ReasonApplicationPending    MsgKey = "reason.application_pending"
	ReasonCounterCase           MsgKey = "reason.counter_case"
	ReasonRenewalNotPermanent   MsgKey = "reason.renewal_not_permanent"
	ReasonRenewalUnder25AtIssue MsgKey = "reason.renewal_under_25_at_issue"
	ReasonRenewalUnder5AtIssue  MsgKey = "reason.renewal_under_5_at_issue"
	ReasonRenewalNotDue         MsgKey = "reason.renewal_not_due"
	ReasonRenewalNoExpiry       MsgKey = "reason.renewal_no_expiry"
	ReasonCardExpiredForService MsgKey = "reason.card_expired_for_service"
	ReasonNotChineseNational    MsgKey = "reason.not_chinese_national"
	ReasonPassportNotPermanent  MsgKey = "reason.passport_not_permanent"
	ReasonPassportUnder5AtIssue MsgKey = "reason.passport_under_5_at_issue"
	ReasonPassportNone          MsgKey = "reason.passport_none_on_record"
	ReasonPassportNotDue        MsgKey = "reason.passport_not_due"
	ReasonPassportMinor         MsgKey = "reason.passport_minor"
	ReasonTravelPermitUnder18   MsgKey = "reason.travel_permit_under_18"
	ReasonTravelPermitPermanent MsgKey = "reason.travel_permit_permanent"
	ReasonTravelPermitNotDue    MsgKey = "reason.travel_permit_not_due"
	ReasonTravelPermitLapsed    MsgKey = "reason.travel_permit_lapsed"
	ReasonTravelPermitOtherDoc  MsgKey = "reason.travel_permit_other_document"
	ReasonPasswordLocked        MsgKey = "reason.service_password_locked"
	ReasonOneAccountBound       MsgKey = "reason.one_account_already_bound"
	ReasonUnknownService        MsgKey = "reason.unknown_service"
)

// EligibilityReasons lists every reason Check can give (translation tests use it).
var EligibilityReasons = []MsgKey{
	ReasonBackOfficeUnavailable, ReasonApplicationPending, ReasonCounterCase,
	ReasonRenewalNotPermanent, ReasonRenewalUnder25AtIssue, ReasonRenewalUnder5AtIssue,
	ReasonRenewalNotDue, ReasonRenewalNoExpiry, ReasonCardExpiredForService,
	ReasonNotChineseNational, ReasonPassportNotPermanent, ReasonPassportUnder5AtIssue,
	ReasonPassportNone, ReasonPassportNotDue, ReasonPassportMinor,
	ReasonTravelPermitUnder18, ReasonTravelPermitPermanent, ReasonTravelPermitNotDue,
	ReasonTravelPermitLapsed, ReasonTravelPermitOtherDoc,
	ReasonPasswordLocked, ReasonOneAccountBound, ReasonUnknownService,
}

// TravelDocument is a document the back office holds for the resident. Only what the
// rules need: no number, no name.
type TravelDocument struct {
	Expiry Date
}

// OneAccountStatus is the resident's One Account as the back office knows it.
type OneAccountStatus struct {
	Exists      bool
	DeviceBound bool // eID already bound to a phone; rebinding is a counter task
	// PasswordLockedUntil is set while the optional service password is locked after
	// too many wrong tries (zero when not locked).
	PasswordLockedUntil time.Time
}

// ResidentRecord is the back office's answer about a resident (by hashed subject).
type ResidentRecord struct {
	// Nationality is ISO 3166 alpha-3 ("CHN"); the card does not prove it.
	Nationality  string
	Passport     *TravelDocument // current Macau SAR passport, nil if none
	TravelPermit *TravelDocument // current SAR travel permit, nil if none
	// OtherTravelDocument: the resident holds (or may hold) another travel document
	// (a foreign passport, a Home Return Permit...): the travel permit is for those
	// who have none.
	OtherTravelDocument bool
	// CounterOnly: the back office knows something only staff can handle (the card was
	// reported lost, an interdicted person, a data change pending): every service
	// sends the resident to the counter, without saying why on a public screen.
	CounterOnly bool
	OneAccount  OneAccountStatus
	Pending     []ServiceID // applications the back office is still processing
	// MyPhoto: a "My Photo" portrait is on file with One Account.
	MyPhoto bool
}

// OfficeHours are the hours when DSI's counters are open beside the kiosk (local time):
// some rules are wider then, since staff can help.
type OfficeHours struct {
	Days        [7]bool       // by time.Weekday
	Open, Close time.Duration // since local midnight; Open <= t < Close
}

// DefaultOfficeHours: Monday to Friday, 09:00 to 17:45 (DSI's public opening hours;
// public holidays are not modelled and count as office days — configure if needed).
var DefaultOfficeHours = OfficeHours{
	Days: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
	Open: 9 * time.Hour, Close: 17*time.Hour + 45*time.Minute,
}

// ParseOfficeHours reads office hours as configuration writes them: "none" (no
// counter at hand: the 24-hour rules always apply), or days and a time range, e.g.
// "Mon-Fri 09:00-17:45" or "Mon,Wed,Fri 09:00-13:00".
func ParseOfficeHours(s string) (OfficeHours, error) {
	var h OfficeHours
	s = strings.TrimSpace(s)
	if s == "none" {
		return h, nil
	}
	bad := func(why string) (OfficeHours, error) {
		return OfficeHours{}, fmt.Errorf("office hours %q: %s (e.g. \"Mon-Fri 09:00-17:45\" or \"none\")", s, why)
	}
	days, span, ok := strings.Cut(s, " ")
	if !ok {
		return bad("days and hours are separated by a space")
	}
	names := map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
		"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
	for _, part := range strings.Split(days, ",") {
		from, to, isRange := strings.Cut(strings.ToLower(part), "-")
		a, okA := names[from]
		b, okB := names[to]
		if !isRange {
			b, okB = a, okA
		}
		if !okA || !okB || b < a {
			return bad("days are Mon..Sun, a range runs forward (Mon-Fri)")
		}
		for d := a; d <= b; d++ {
			h.Days[d] = true
		}
	}
	from, to, ok := strings.Cut(strings.TrimSpace(span), "-")
	clock := func(v string) (time.Duration, bool) {
		t, err := time.Parse("15:04", v)
		if err != nil {
			return 0, false
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true
	}
	var okO, okC bool
	h.Open, okO = clock(from)
	h.Close, okC = clock(to)
	if !ok || !okO || !okC || h.Close <= h.Open {
		return bad("hours are HH:MM-HH:MM, opening before closing")
	}
	return h, nil
}

// At reports whether t (in its own location, which should be Macau's) is within hours.
func (h OfficeHours) At(t time.Time) bool {
	if !h.Days[t.Weekday()] {
		return false
	}
	y, m, d := t.Date()
	since := t.Sub(time.Date(y, m, d, 0, 0, 0, 0, t.Location()))
	return since >= h.Open && since < h.Close
}

// Eligibility is what the menu needs to decide: the card's data, today in Macau, whether
// staff are at hand, and the back office record (RecordErr set when the back office
// could not answer).
type Eligibility struct {
	BirthDate  Date
	IssueDate  Date
	CardExpiry Date // zero: the card has no expiry (issued at 65 or older)
	Residency  Residency
	Today      Date
	Now        time.Time
	OfficeOpen bool // OfficeHours.At(Now)
	Record     ResidentRecord
	RecordErr  error
}

// Check decides one service: eligible, or not with a reason key. Card rules come
// first, so a resident who cannot use a service at the kiosk anyway is told so even
// while the back office is down.
func (e Eligibility) Check(s ServiceID) (bool, MsgKey) {
	var why MsgKey
	switch s {
	case ServiceIDRenewal:
		why = e.renewal()
	case ServicePassport:
		why = e.passport()
	case ServiceTravelPermit:
		why = e.travelPermit()
	case ServiceOneAccount:
		why = e.oneAccount()
	default:
		why = ReasonUnknownService
	}
	return why == "", why
}

// record gives the back office's reasons that apply to every service.
func (e Eligibility) record(s ServiceID) MsgKey {
	if e.RecordErr != nil {
		return ReasonBackOfficeUnavailable
	}
	if e.Record.CounterOnly {
		return ReasonCounterCase
	}
	for _, p := range e.Record.Pending {
		if p == s {
			return ReasonApplicationPending
		}
	}
	return ""
}

func (e Eligibility) cardExpired() bool {
	return !e.CardExpiry.IsZero() && e.CardExpiry.Before(e.Today)
}

// renewal: a permanent resident card, 25 or older on its issue date (5 during office
// hours), from 6 months before its expiry or after it. A card without expiry (issued at
// 65 or older) is renewed only when damaged, lost or the name changes: counter.
func (e Eligibility) renewal() MsgKey {
	switch {
	case e.Residency != ResidencyPermanent:
		return ReasonRenewalNotPermanent
	case e.CardExpiry.IsZero():
		return ReasonRenewalNoExpiry
	case AgeOn(e.BirthDate, e.IssueDate) < RenewalMinAgeAtIssue:
		return ReasonRenewalUnder5AtIssue
	case !e.OfficeOpen && AgeOn(e.BirthDate, e.IssueDate) < RenewalMinAgeAtIssue24h:
		return ReasonRenewalUnder25AtIssue
	case e.Today.Before(e.CardExpiry.AddMonths(-RenewalWindowMonths)):
		return ReasonRenewalNotDue
	}
	// The renewal itself works offline (the outbox sends it later); only what the
	// back office says can stop it.
	if e.RecordErr != nil {
		return ""
	}
	return e.record(ServiceIDRenewal)
}

// passport: a Chinese national with a valid permanent card, 5 or older on its issue
// date, whose passport expires within 9 months or has expired. Under 18 both parents or
// the guardian must be present with their documents: the kiosk cannot check them, so a
// minor is sent to the counter rather than asked to tap "my parents are here".
func (e Eligibility) passport() MsgKey {
	switch {
	case e.Residency != ResidencyPermanent:
		return ReasonPassportNotPermanent
	case e.cardExpired():
		return ReasonCardExpiredForService
	case AgeOn(e.BirthDate, e.IssueDate) < PassportMinAgeAtIssue:
		return ReasonPassportUnder5AtIssue
	case AgeOn(e.BirthDate, e.Today) < AdultAge:
		return ReasonPassportMinor
	}
	if why := e.record(ServicePassport); why != "" {
		return why
	}
	switch {
	case e.Record.Nationality != ChineseNationality:
		return ReasonNotChineseNational
	case e.Record.Passport == nil:
		return ReasonPassportNone
	case e.Today.AddMonths(PassportRenewWithinMonths).Before(e.Record.Passport.Expiry):
		// Within 9 months: expiry on or before today + 9 months (an expired passport
		// is before today, so it qualifies too).
		return ReasonPassportNotDue
	}
	return ""
}

// travelPermit: 18 or over, a non-permanent card, a Chinese national with no other
// travel document; a first application, or a renewal from 9 months before to 9 months
// after the current permit's expiry.
func (e Eligibility) travelPermit() MsgKey {
	switch {
	case AgeOn(e.BirthDate, e.Today) < AdultAge:
		return ReasonTravelPermitUnder18
	case e.Residency != ResidencyNonPermanent:
		return ReasonTravelPermitPermanent
	case e.cardExpired():
		return ReasonCardExpiredForService
	}
	if why := e.record(ServiceTravelPermit); why != "" {
		return why
	}
	switch {
	case e.Record.Nationality != ChineseNationality:
		return ReasonNotChineseNational
	case e.Record.OtherTravelDocument || e.Record.Passport != nil:
		return ReasonTravelPermitOtherDoc
	case e.Record.TravelPermit == nil:
		return "" // first application
	case e.Today.Before(e.Record.TravelPermit.Expiry.AddMonths(-TravelPermitWindowMonths)):
		return ReasonTravelPermitNotDue
	case e.Record.TravelPermit.Expiry.AddMonths(TravelPermitWindowMonths).Before(e.Today):
		return ReasonTravelPermitLapsed
	}
	return ""
}

func (e Eligibility) oneAccount() MsgKey {
	if why := e.record(ServiceOneAccount); why != "" {
		return why
	}
	switch {
	case e.Now.Before(e.Record.OneAccount.PasswordLockedUntil):
		return ReasonPasswordLocked
	case e.Record.OneAccount.DeviceBound:
		return ReasonOneAccountBound
	}
	return ""
}
