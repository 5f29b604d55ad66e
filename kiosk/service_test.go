package kiosk

import (
	"errors"
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
	today := d(2026, 5, 14)
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, MacauTime)
	adult := Eligibility{BirthDate: d(1990, 5, 10), IssueDate: d(2020, 1, 15), Today: today, Now: now}
	passport := func(exp Date) ResidentRecord { return ResidentRecord{Passport: &TravelDocument{Expiry: exp}} }
	with := func(e Eligibility, f func(*Eligibility)) Eligibility { f(&e); return e }
	cases := []struct {
		name string
		el   Eligibility
		svc  ServiceID
		ok   bool
		why  MsgKey
	}{
		{"renewal adult", adult, ServiceIDRenewal, true, ""},
		{"renewal pending", with(adult, func(e *Eligibility) { e.Record.Pending = []ServiceID{ServiceIDRenewal} }), ServiceIDRenewal, false, ReasonApplicationPending},
		{"renewal offline", with(adult, func(e *Eligibility) { e.RecordErr = ErrBackOfficeUnavailable }), ServiceIDRenewal, true, ""},

		// Passport: expiry exactly 9 months ahead is "within 9 months"; one day later is not.
		{"passport expires in exactly 9 months", with(adult, func(e *Eligibility) { e.Record = passport(d(2027, 2, 14)) }), ServicePassport, true, ""},
		{"passport expires 9 months + 1 day", with(adult, func(e *Eligibility) { e.Record = passport(d(2027, 2, 15)) }), ServicePassport, false, ReasonPassportNotDue},
		{"passport expires 9 months - 1 day", with(adult, func(e *Eligibility) { e.Record = passport(d(2027, 2, 13)) }), ServicePassport, true, ""},
		{"passport expires today", with(adult, func(e *Eligibility) { e.Record = passport(today) }), ServicePassport, true, ""},
		{"passport expired", with(adult, func(e *Eligibility) { e.Record = passport(d(2019, 1, 1)) }), ServicePassport, true, ""},
		{"passport far from expiry", with(adult, func(e *Eligibility) { e.Record = passport(d(2031, 1, 1)) }), ServicePassport, false, ReasonPassportNotDue},
		{"passport none on record", adult, ServicePassport, false, ReasonPassportNone},
		{"passport back office down", with(adult, func(e *Eligibility) { e.RecordErr = ErrBackOfficeUnavailable }), ServicePassport, false, ReasonBackOfficeUnavailable},
		{"passport pending", with(adult, func(e *Eligibility) {
			e.Record = passport(d(2026, 6, 1))
			e.Record.Pending = []ServiceID{ServicePassport}
		}), ServicePassport, false, ReasonApplicationPending},
		// 5 on the card's issue date: boundary on the birthday.
		{"passport 5th birthday is the issue date", Eligibility{BirthDate: d(2015, 3, 1), IssueDate: d(2020, 3, 1), Today: today, Now: now, Record: passport(d(2026, 8, 1))}, ServicePassport, true, ""},
		{"passport issued the day before the 5th birthday", Eligibility{BirthDate: d(2015, 3, 1), IssueDate: d(2020, 2, 29), Today: today, Now: now, Record: passport(d(2026, 8, 1))}, ServicePassport, false, ReasonPassportUnder5AtIssue},
		// The age rule is checked first: no back office call helps a card issued at 4.
		{"passport under 5 at issue, back office down", Eligibility{BirthDate: d(2016, 1, 1), IssueDate: d(2020, 1, 1), Today: today, Now: now, RecordErr: errors.New("x")}, ServicePassport, false, ReasonPassportUnder5AtIssue},

		// Travel permit: 18 or over today.
		{"permit 18 today", Eligibility{BirthDate: d(2008, 5, 14), IssueDate: d(2020, 1, 1), Today: today, Now: now}, ServiceTravelPermit, true, ""},
		{"permit 18 tomorrow", Eligibility{BirthDate: d(2008, 5, 15), IssueDate: d(2020, 1, 1), Today: today, Now: now}, ServiceTravelPermit, false, ReasonTravelPermitUnder18},
		{"permit adult", adult, ServiceTravelPermit, true, ""},

		// One Account.
		{"one account new", adult, ServiceOneAccount, true, ""},
		{"one account password locked", with(adult, func(e *Eligibility) {
			e.Record.OneAccount = OneAccountStatus{Exists: true, PasswordLockedUntil: now.Add(time.Minute)}
		}), ServiceOneAccount, false, ReasonPasswordLocked},
		{"one account lock just ended", with(adult, func(e *Eligibility) {
			e.Record.OneAccount = OneAccountStatus{Exists: true, PasswordLockedUntil: now}
		}), ServiceOneAccount, true, ""},
		{"one account already bound", with(adult, func(e *Eligibility) {
			e.Record.OneAccount = OneAccountStatus{Exists: true, DeviceBound: true}
		}), ServiceOneAccount, false, ReasonOneAccountBound},
		{"one account back office down", with(adult, func(e *Eligibility) { e.RecordErr = ErrBackOfficeUnavailable }), ServiceOneAccount, false, ReasonBackOfficeUnavailable},
		{"unknown service", adult, "visa", false, ReasonUnknownService},
	}
	for _, c := range cases {
		ok, why := c.el.Check(c.svc)
		if ok != c.ok || why != c.why {
			t.Errorf("%s: got (%t, %q), want (%t, %q)", c.name, ok, why, c.ok, c.why)
		}
	}
}

func TestFees(t *testing.T) {
	if err := PlaceholderFees.Validate(); err != nil {
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
		{"one account without password", ServiceOneAccount, map[string]string{FieldPhoneNumber: "66123456"}, nil},
		{"one account with password", ServiceOneAccount, map[string]string{FieldPhoneNumber: "66123456", FieldServicePassword: "3971", FieldPasswordConfirm: "3971"}, nil},
		{"one account mismatch", ServiceOneAccount, map[string]string{FieldPhoneNumber: "66123456", FieldServicePassword: "3971", FieldPasswordConfirm: "3972"}, map[string]MsgKey{FieldPasswordConfirm: FormPasswordMismatch}},
		{"one account short password", ServiceOneAccount, map[string]string{FieldPhoneNumber: "66123456", FieldServicePassword: "397", FieldPasswordConfirm: "397"}, map[string]MsgKey{FieldServicePassword: FormPasswordLength}},
		{"one account weak 0000", ServiceOneAccount, map[string]string{FieldPhoneNumber: "66123456", FieldServicePassword: "0000", FieldPasswordConfirm: "0000"}, map[string]MsgKey{FieldServicePassword: FormPasswordWeak}},
		{"one account weak 1234", ServiceOneAccount, map[string]string{FieldPhoneNumber: "66123456", FieldServicePassword: "1234", FieldPasswordConfirm: "1234"}, map[string]MsgKey{FieldServicePassword: FormPasswordWeak}},
		{"one account weak 6543", ServiceOneAccount, map[string]string{FieldPhoneNumber: "66123456", FieldServicePassword: "6543", FieldPasswordConfirm: "6543"}, map[string]MsgKey{FieldServicePassword: FormPasswordWeak}},
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
