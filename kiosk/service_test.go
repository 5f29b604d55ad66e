package kiosk

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func d(y int, m time.Month, day int) Date { return Date{y, m, day} }

func TestAddMonths(t *testing.T) {
	cases := []struct {
		in   Date
		n    int
		want Date
	}{
		{d(2026, 5, 14), 9, d(2027, 2, 14)},
		{d(2026, 5, 31), 9, d(2027, 2, 28)}, // clamped, not rolled into March
		{d(2027, 5, 31), 9, d(2028, 2, 29)}, // leap year
		{d(2026, 1, 31), 1, d(2026, 2, 28)},
		{d(2026, 12, 15), 1, d(2027, 1, 15)},
		{d(2026, 3, 31), -1, d(2026, 2, 28)},
		{d(2026, 1, 10), -13, d(2024, 12, 10)},
		{d(2026, 4, 30), 0, d(2026, 4, 30)},
	}
	for _, c := range cases {
		if got := c.in.AddMonths(c.n); got != c.want {
			t.Errorf("%s + %d months = %s, want %s", c.in, c.n, got, c.want)
		}
	}
}

func TestAgeOn(t *testing.T) {
	cases := []struct {
		birth, on Date
		want      int
	}{
		{d(2000, 6, 15), d(2005, 6, 14), 4},
		{d(2000, 6, 15), d(2005, 6, 15), 5},
		{d(2000, 6, 15), d(2018, 6, 14), 17},
		{d(2000, 6, 15), d(2018, 6, 15), 18},
		{d(2000, 2, 29), d(2018, 2, 28), 17}, // leap-day birthday: the year completes on 1 March
		{d(2000, 2, 29), d(2018, 3, 1), 18},
		{d(2000, 2, 29), d(2020, 2, 29), 20},
		{d(2000, 12, 31), d(2001, 1, 1), 0},
	}
	for _, c := range cases {
		if got := AgeOn(c.birth, c.on); got != c.want {
			t.Errorf("AgeOn(%s, %s) = %d, want %d", c.birth, c.on, got, c.want)
		}
	}
}

func TestEligibility(t *testing.T) {
	today := d(2026, 5, 14) // a Thursday
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, MacauTime)
	// A permanent resident, Chinese national, card issued at 29 and due for renewal.
	adult := Eligibility{BirthDate: d(1990, 5, 10), IssueDate: d(2020, 1, 15), CardExpiry: d(2026, 10, 1),
		Residency: ResidencyPermanent, Today: today, Now: now, OfficeOpen: true,
		Record: ResidentRecord{Nationality: ChineseNationality}}
	// A non-permanent resident, Chinese national, with no travel document yet.
	nonPerm := adult
	nonPerm.Residency = ResidencyNonPermanent
	with := func(e Eligibility, f func(*Eligibility)) Eligibility { f(&e); return e }
	night := func(e *Eligibility) { e.OfficeOpen = false }
	passport := func(exp Date) func(*Eligibility) {
		return func(e *Eligibility) { e.Record.Passport = &TravelDocument{Expiry: exp} }
	}
	permit := func(exp Date) func(*Eligibility) {
		return func(e *Eligibility) { e.Record.TravelPermit = &TravelDocument{Expiry: exp} }
	}
	both := func(fs ...func(*Eligibility)) func(*Eligibility) {
		return func(e *Eligibility) {
			for _, f := range fs {
				f(e)
			}
		}
	}
	born := func(b, issue Date) func(*Eligibility) {
		return func(e *Eligibility) { e.BirthDate, e.IssueDate = b, issue }
	}
	cases := []struct {
		name string
		el   Eligibility
		svc  ServiceID
		why  MsgKey // "" = eligible
	}{
		// ID card renewal.
		{"renewal adult", adult, ServiceIDRenewal, ""},
		{"renewal non-permanent card", nonPerm, ServiceIDRenewal, ReasonRenewalNotPermanent},
		{"renewal card states no residency", with(adult, func(e *Eligibility) { e.Residency = "" }), ServiceIDRenewal, ReasonRenewalNotPermanent},
		{"renewal card without expiry (issued at 65+)", with(adult, func(e *Eligibility) { e.CardExpiry = Date{} }), ServiceIDRenewal, ReasonRenewalNoExpiry},
		{"renewal window opens today (expiry in exactly 6 months)", with(adult, func(e *Eligibility) { e.CardExpiry = d(2026, 11, 14) }), ServiceIDRenewal, ""},
		{"renewal window opens tomorrow", with(adult, func(e *Eligibility) { e.CardExpiry = d(2026, 11, 15) }), ServiceIDRenewal, ReasonRenewalNotDue},
		{"renewal expires today", with(adult, func(e *Eligibility) { e.CardExpiry = today }), ServiceIDRenewal, ""},
		{"renewal after expiry", with(adult, func(e *Eligibility) { e.CardExpiry = d(2025, 1, 1) }), ServiceIDRenewal, ""},
		{"renewal 25 on the issue date, at night", with(adult, both(night, born(d(1995, 1, 15), d(2020, 1, 15)))), ServiceIDRenewal, ""},
		{"renewal 24 on the issue date, at night", with(adult, both(night, born(d(1995, 1, 16), d(2020, 1, 15)))), ServiceIDRenewal, ReasonRenewalUnder25AtIssue},
		{"renewal 24 on the issue date, office hours", with(adult, born(d(1995, 1, 16), d(2020, 1, 15))), ServiceIDRenewal, ""},
		{"renewal 5 on the issue date, office hours", with(adult, born(d(2015, 1, 15), d(2020, 1, 15))), ServiceIDRenewal, ""},
		{"renewal 4 on the issue date, office hours", with(adult, born(d(2015, 1, 16), d(2020, 1, 15))), ServiceIDRenewal, ReasonRenewalUnder5AtIssue},
		// Born on 29 February: 25 only on 1 March of a common year.
		{"renewal born 29 Feb, issued 28 Feb at 24, night", with(adult, both(night, born(d(2000, 2, 29), d(2025, 2, 28)))), ServiceIDRenewal, ReasonRenewalUnder25AtIssue},
		{"renewal born 29 Feb, issued 1 Mar at 25, night", with(adult, both(night, born(d(2000, 2, 29), d(2025, 3, 1)))), ServiceIDRenewal, ""},
		{"renewal pending", with(adult, func(e *Eligibility) { e.Record.Pending = []ServiceID{ServiceIDRenewal} }), ServiceIDRenewal, ReasonApplicationPending},
		{"renewal counter case", with(adult, func(e *Eligibility) { e.Record.CounterOnly = true }), ServiceIDRenewal, ReasonCounterCase},
		{"renewal offline still works", with(adult, func(e *Eligibility) { e.RecordErr = ErrBackOfficeUnavailable }), ServiceIDRenewal, ""},

		// Passport: expiry exactly 9 months ahead is "within 9 months"; one day later is not.
		{"passport expires in exactly 9 months", with(adult, passport(d(2027, 2, 14))), ServicePassport, ""},
		{"passport expires 9 months + 1 day", with(adult, passport(d(2027, 2, 15))), ServicePassport, ReasonPassportNotDue},
		{"passport expires 9 months - 1 day", with(adult, passport(d(2027, 2, 13))), ServicePassport, ""},
		{"passport expires today", with(adult, passport(today)), ServicePassport, ""},
		{"passport expired", with(adult, passport(d(2019, 1, 1))), ServicePassport, ""},
		{"passport far from expiry", with(adult, passport(d(2031, 1, 1))), ServicePassport, ReasonPassportNotDue},
		// 31 May + 9 months is 28 February (a month has no 31st day to land on).
		{"passport 31 May: window ends 28 Feb", with(adult, both(passport(d(2027, 2, 28)), func(e *Eligibility) { e.Today = d(2026, 5, 31) })), ServicePassport, ""},
		{"passport 31 May: 1 Mar is outside", with(adult, both(passport(d(2027, 3, 1)), func(e *Eligibility) { e.Today = d(2026, 5, 31) })), ServicePassport, ReasonPassportNotDue},
		{"passport none on record", adult, ServicePassport, ReasonPassportNone},
		{"passport not a Chinese national", with(adult, both(passport(d(2026, 8, 1)), func(e *Eligibility) { e.Record.Nationality = "PRT" })), ServicePassport, ReasonNotChineseNational},
		{"passport non-permanent card", with(nonPerm, passport(d(2026, 8, 1))), ServicePassport, ReasonPassportNotPermanent},
		{"passport card expired yesterday", with(adult, both(passport(d(2026, 8, 1)), func(e *Eligibility) { e.CardExpiry = d(2026, 5, 13) })), ServicePassport, ReasonCardExpiredForService},
		{"passport card expires today", with(adult, both(passport(d(2026, 8, 1)), func(e *Eligibility) { e.CardExpiry = today })), ServicePassport, ""},
		{"passport back office down", with(adult, func(e *Eligibility) { e.RecordErr = ErrBackOfficeUnavailable }), ServicePassport, ReasonBackOfficeUnavailable},
		{"passport pending", with(adult, both(passport(d(2026, 6, 1)), func(e *Eligibility) { e.Record.Pending = []ServiceID{ServicePassport} })), ServicePassport, ReasonApplicationPending},
		// 5 on the card's issue date: boundary on the birthday.
		{"passport 5th birthday is the issue date", with(adult, both(passport(d(2026, 8, 1)), born(d(2005, 3, 1), d(2010, 3, 1)))), ServicePassport, ""},
		{"passport issued the day before the 5th birthday", with(adult, both(passport(d(2026, 8, 1)), born(d(2005, 3, 1), d(2010, 2, 28)))), ServicePassport, ReasonPassportUnder5AtIssue},
		// The card rules come first: no back office answer helps a card issued at 4.
		{"passport under 5 at issue, back office down", with(adult, both(born(d(2005, 3, 1), d(2010, 2, 28)), func(e *Eligibility) { e.RecordErr = errors.New("x") })), ServicePassport, ReasonPassportUnder5AtIssue},
		// Under 18: parents or guardian in person, so the counter.
		{"passport 18 today", with(adult, both(passport(d(2026, 8, 1)), born(d(2008, 5, 14), d(2020, 1, 15)))), ServicePassport, ""},
		{"passport 18 tomorrow", with(adult, both(passport(d(2026, 8, 1)), born(d(2008, 5, 15), d(2020, 1, 15)))), ServicePassport, ReasonPassportMinor},

		// Travel permit: 18 or over, non-permanent card, Chinese national, no other document.
		{"permit first application", nonPerm, ServiceTravelPermit, ""},
		{"permit 18 today", with(nonPerm, born(d(2008, 5, 14), d(2020, 1, 1))), ServiceTravelPermit, ""},
		{"permit 18 tomorrow", with(nonPerm, born(d(2008, 5, 15), d(2020, 1, 1))), ServiceTravelPermit, ReasonTravelPermitUnder18},
		{"permit permanent card", adult, ServiceTravelPermit, ReasonTravelPermitPermanent},
		{"permit not a Chinese national", with(nonPerm, func(e *Eligibility) { e.Record.Nationality = "PHL" }), ServiceTravelPermit, ReasonNotChineseNational},
		{"permit holds another travel document", with(nonPerm, func(e *Eligibility) { e.Record.OtherTravelDocument = true }), ServiceTravelPermit, ReasonTravelPermitOtherDoc},
		{"permit window opens today", with(nonPerm, permit(d(2027, 2, 14))), ServiceTravelPermit, ""},
		{"permit window opens tomorrow", with(nonPerm, permit(d(2027, 2, 15))), ServiceTravelPermit, ReasonTravelPermitNotDue},
		{"permit window closes today", with(nonPerm, permit(d(2025, 8, 14))), ServiceTravelPermit, ""},
		{"permit window closed yesterday", with(nonPerm, permit(d(2025, 8, 13))), ServiceTravelPermit, ReasonTravelPermitLapsed},
		{"permit card expired", with(nonPerm, func(e *Eligibility) { e.CardExpiry = d(2026, 1, 1) }), ServiceTravelPermit, ReasonCardExpiredForService},
		{"permit back office down", with(nonPerm, func(e *Eligibility) { e.RecordErr = ErrBackOfficeUnavailable }), ServiceTravelPermit, ReasonBackOfficeUnavailable},

		// One Account.
		{"one account new", adult, ServiceOneAccount, ""},
		{"one account password locked", with(adult, func(e *Eligibility) {
			e.Record.OneAccount = OneAccountStatus{Exists: true, PasswordLockedUntil: now.Add(time.Minute)}
		}), ServiceOneAccount, ReasonPasswordLocked},
		{"one account lock just ended", with(adult, func(e *Eligibility) {
			e.Record.OneAccount = OneAccountStatus{Exists: true, PasswordLockedUntil: now}
		}), ServiceOneAccount, ""},
		{"one account already bound", with(adult, func(e *Eligibility) {
			e.Record.OneAccount = OneAccountStatus{Exists: true, DeviceBound: true}
		}), ServiceOneAccount, ReasonOneAccountBound},
		{"one account back office down", with(adult, func(e *Eligibility) { e.RecordErr = ErrBackOfficeUnavailable }), ServiceOneAccount, ReasonBackOfficeUnavailable},
		{"unknown service", adult, "visa", ReasonUnknownService},
	}
	for _, c := range cases {
		ok, why := c.el.Check(c.svc)
		if ok != (c.why == "") || why != c.why {
			t.Errorf("%s: got (%t, %q), want %q", c.name, ok, why, c.why)
		}
	}
	// Every reason a case expects is one the translations cover.
	for _, c := range cases {
		if c.why != "" && !slices.Contains(EligibilityReasons, c.why) {
			t.Errorf("%s: reason %q missing from EligibilityReasons", c.name, c.why)
		}
	}
}

func TestParseOfficeHours(t *testing.T) {
	h, err := ParseOfficeHours("Mon-Fri 09:00-17:45")
	if err != nil || h != DefaultOfficeHours {
		t.Fatalf("default hours parse as %+v, %v", h, err)
	}
	if h, err := ParseOfficeHours("none"); err != nil || h.At(time.Date(2026, 5, 14, 10, 0, 0, 0, MacauTime)) {
		t.Fatalf("none: %+v, %v", h, err)
	}
	h, err = ParseOfficeHours("mon,WED,Fri-Sat 08:30-12:00")
	if err != nil || !h.Days[time.Monday] || h.Days[time.Tuesday] || !h.Days[time.Wednesday] || !h.Days[time.Saturday] || h.Open != 8*time.Hour+30*time.Minute {
		t.Fatalf("list: %+v, %v", h, err)
	}
	for _, bad := range []string{"", "Mon-Fri", "Fri-Mon 09:00-17:00", "Mon-Fri 17:00-09:00", "Mon-Fri 9-17", "Xyz 09:00-10:00", "Mon-Fri 09:00-25:00"} {
		if _, err := ParseOfficeHours(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseMOP(t *testing.T) {
	for in, want := range map[string]int{"300": 300_00, "300.00": 300_00, "90.5": -1, "0": 0, "360.10": 360_10,
		"-1": -1, "1e3": -1, "": -1, "NaN": -1, "3000000": -1, "1.234": -1, ".50": -1} {
		got, err := ParseMOP(in)
		if (err != nil) != (want < 0) || (want >= 0 && got != want) {
			t.Errorf("ParseMOP(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestOfficeHours(t *testing.T) {
	at := func(day, h, m int) time.Time { return time.Date(2026, 5, day, h, m, 0, 0, MacauTime) }
	for _, c := range []struct {
		t    time.Time
		open bool
	}{
		{at(14, 8, 59), false}, {at(14, 9, 0), true}, {at(14, 17, 44), true}, {at(14, 17, 45), false},
		{at(16, 10, 0), false}, // Saturday
		{at(17, 10, 0), false}, // Sunday
		{at(18, 10, 0), true},  // Monday
	} {
		if got := DefaultOfficeHours.At(c.t); got != c.open {
			t.Errorf("%s: open %t, want %t", c.t.Format("Mon 15:04"), got, c.open)
		}
	}
}

func TestFees(t *testing.T) {
	if err := DefaultFees.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Fees{ServiceIDRenewal: 1}).Validate(); err == nil {
		t.Error("missing fees accepted")
	}
	bad := Fees{ServiceIDRenewal: 1, ServicePassport: -1, ServiceTravelPermit: 1, ServiceOneAccount: 0}
	if err := bad.Validate(); err == nil {
		t.Error("negative fee accepted")
	}
}

func TestValidateForm(t *testing.T) {
	ok := map[string]string{FieldCollectionOffice: "office_central", FieldPhoneNumber: "66123456"}
	cases := []struct {
		name string
		svc  ServiceID
		vals map[string]string
		want map[string]MsgKey
	}{
		{"renewal ok", ServiceIDRenewal, ok, nil},
		{"passport empty", ServicePassport, map[string]string{}, map[string]MsgKey{FieldCollectionOffice: FormRequired, FieldPhoneNumber: FormRequired}},
		{"permit bad phone", ServiceTravelPermit, map[string]string{FieldCollectionOffice: "office_islands", FieldPhoneNumber: "28123456"}, map[string]MsgKey{FieldPhoneNumber: FormPhoneInvalid}},
		{"short phone", ServiceIDRenewal, map[string]string{FieldCollectionOffice: "office_central", FieldPhoneNumber: "6612345"}, map[string]MsgKey{FieldPhoneNumber: FormPhoneInvalid}},
		{"unknown office", ServiceIDRenewal, map[string]string{FieldCollectionOffice: "moon", FieldPhoneNumber: "66123456"}, map[string]MsgKey{FieldCollectionOffice: FormChoiceInvalid}},
	}
	for _, c := range cases {
		got := ValidateForm(c.svc, c.vals)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %s: got %q, want %q", c.name, k, got[k], v)
			}
		}
	}
}

func TestNormalizeInput(t *testing.T) {
	phone := FieldSpec{Name: FieldPhoneNumber, Kind: FieldPhone, MaxLen: 8}
	pw := FieldSpec{Name: FieldServicePassword, Kind: FieldPassword, MaxLen: 4}
	office := FormFor(ServicePassport)[0]
	cases := []struct {
		spec FieldSpec
		in   string
		want string
		ok   bool
	}{
		{phone, "6612 3456", "66123456", true},
		{phone, "661234567890", "66123456", true},
		{phone, "+853 6612", "8536612", true},
		{pw, "12a345", "1234", true},
		{office, "office_islands", "office_islands", true},
		{office, "nowhere", "", false},
		{office, "", "", true},
		{FieldSpec{Kind: "unknown"}, "x", "", false},
	}
	for _, c := range cases {
		got, ok := NormalizeInput(c.spec, c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("%s %q: got (%q, %t), want (%q, %t)", c.spec.Name, c.in, got, ok, c.want, c.ok)
		}
	}
}
