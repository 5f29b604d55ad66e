package kiosk

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar date without a time zone. Card dates (birth, issue, expiry) and
// back-office dates are calendar dates; comparing them as instants across zones gives
// off-by-one-day errors at the age and expiry boundaries the rules depend on.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// Compare returns -1, 0 or 1.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// AddMonths adds n calendar months, clamping to the last day of a shorter month
// (31 May + 9 months = 28/29 Feb), where time.AddDate would roll into March and move
// the "expires within 9 months" boundary by up to three days.
func (d Date) AddMonths(n int) Date {
	total := int(d.Month) - 1 + n
	y := d.Year + floorDiv(total, 12)
	m := time.Month(total - floorDiv(total, 12)*12 + 1)
	day := d.Day
	if last := daysIn(y, m); day > last {
		day = last
	}
	return Date{y, m, day}
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// AgeOn is the age in completed years on day on of someone born on birth. A person
// born on 29 February completes a year on 1 March in common years (the day after
// 28 February), the reading that never grants an age early.
func AgeOn(birth, on Date) int {
	age := on.Year - birth.Year
	if on.Month < birth.Month || (on.Month == birth.Month && on.Day < birth.Day) {
		age--
	}
	return age
}

// Fees maps each service to its fee in avos (1/100 MOP).
type Fees map[ServiceID]int

// DefaultFees are the fees as publicly reported (DSI's fee table: ID card MOP 90,
// passport MOP 300, SAR travel permit MOP 360; One Account is free). They are the
// configuration's defaults (services.fees), so a change of the official table is a
// configuration change, confirmed with DSI, not a new build.
var DefaultFees = Fees{
	ServiceIDRenewal:    90_00,
	ServicePassport:     300_00,
	ServiceTravelPermit: 360_00,
	ServiceOneAccount:   0,
}

// ParseMOP reads an amount in patacas as written in configuration ("300", "300.00")
// into avos. It refuses signs, exponents, more than two decimals and absurd amounts,
// so no float (and no NaN) ever carries money.
func ParseMOP(s string) (int, error) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 6 || !allDigits(whole) || (hasFrac && (len(frac) != 2 || !allDigits(frac))) {
		return 0, fmt.Errorf("amount %q: patacas as digits with optional 2 decimals, e.g. 300 or 300.00", s)
	}
	avos, _ := strconv.Atoi(whole + frac + strings.Repeat("0", 2-len(frac)))
	return avos, nil
}

// Validate checks that every service has a fee and none is negative.
func (f Fees) Validate() error {
	for _, s := range Services {
		v, ok := f[s]
		if !ok {
			return fmt.Errorf("fees: no fee for %s", s)
		}
		if v < 0 {
			return fmt.Errorf("fees: negative fee %d for %s", v, s)
		}
	}
	return nil
}

// Errors of the eID service password.
var (
	ErrWrongPassword  = errors.New("wrong service password")
	ErrPasswordLocked = errors.New("service password locked")
)
