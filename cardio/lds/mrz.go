package lds

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// MRZ is the machine readable zone of DG1 (Doc 9303 Parts 4, 5).
type MRZ struct {
	Format         string // "TD1" or "TD3"
	DocumentCode   string // "ID", "P<", "I<"...
	IssuingState   string
	DocumentNumber string // without fillers; a TD1 long number includes its continuation
	BirthDate      string // YYMMDD as in the MRZ
	Sex            string // M, F or X ('<' is read as X)
	ExpiryDate     string // YYMMDD
	Nationality    string
	Primary        string // surname(s), fillers turned into spaces
	Secondary      string // given names
	OptionalData   string
	Raw            string
}

// ErrMRZ is wrapped by every DG1/MRZ parsing error.
var ErrMRZ = errors.New("bad MRZ")

// ParseDG1 parses DG1 (61 { 5F1F MRZ }).
func ParseDG1(dg1 []byte) (*MRZ, error) {
	o, err := tlv.ParseOne(dg1)
	if err != nil {
		return nil, fmt.Errorf("DG1: %w", err)
	}
	if o.Tag != DG1.Tag {
		return nil, fmt.Errorf("DG1: tag %s, want 61", o.Tag)
	}
	m, err := o.Find(0x5F1F)
	if err != nil {
		return nil, fmt.Errorf("DG1: %w", err)
	}
	return ParseMRZ(string(m.Value))
}

// ParseMRZ parses a TD1 (90 characters) or TD3 (88 characters) MRZ and checks every
// check digit, including the composite one. Line breaks are ignored.
func ParseMRZ(s string) (*MRZ, error) {
	s = strings.NewReplacer("\n", "", "\r", "").Replace(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '<') {
			return nil, fmt.Errorf("%w: character %q at %d", ErrMRZ, c, i)
		}
	}
	switch len(s) {
	case 90:
		return parseTD1(s)
	case 88:
		return parseTD3(s)
	default:
		return nil, fmt.Errorf("%w: %d characters (TD1 has 90, TD3 88)", ErrMRZ, len(s))
	}
}

func check(field, value string, digit byte) error {
	cd, err := icao.CheckDigit(value)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMRZ, field, err)
	}
	// Doc 9303 Part 3 allows '<' as the check digit of an all-filler optional field.
	if digit == '<' && strings.Trim(value, "<") == "" {
		return nil
	}
	if cd != digit {
		return fmt.Errorf("%w: %s check digit is %c, computed %c", ErrMRZ, field, digit, cd)
	}
	return nil
}

func unfill(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "<", " ")), " ")
}

func names(s string) (primary, secondary string) {
	p, g, _ := strings.Cut(strings.TrimRight(s, "<"), "<<")
	return unfill(p), unfill(g)
}

func sex(c byte) string {
	switch c {
	case 'M', 'F':
		return string(c)
	default:
		return "X"
	}
}

func checkDate(field, d string) error {
	if _, err := time.Parse("060102", d); err != nil {
		return fmt.Errorf("%w: %s %q is not a date", ErrMRZ, field, d)
	}
	return nil
}

// parseTD1: Doc 9303 Part 5 §4.2.2.
func parseTD1(s string) (*MRZ, error) {
	l1, l2, l3 := s[0:30], s[30:60], s[60:90]
	m := &MRZ{Format: "TD1", Raw: s,
		DocumentCode: strings.TrimRight(l1[0:2], "<"), IssuingState: strings.TrimRight(l1[2:5], "<"),
		BirthDate: l2[0:6], Sex: sex(l2[7]), ExpiryDate: l2[8:14], Nationality: strings.TrimRight(l2[15:18], "<"),
	}
	docNo, opt1 := l1[5:14], l1[15:30]
	if l1[14] == '<' && opt1[0] != '<' {
		// Long document number: the rest of it and its check digit start the optional
		// data, ended by a filler (Part 5 §4.2.2 note j).
		end := strings.IndexByte(opt1, '<')
		if end < 2 {
			return nil, fmt.Errorf("%w: long document number without its check digit", ErrMRZ)
		}
		full := docNo + opt1[:end-1]
		if err := check("document number", full, opt1[end-1]); err != nil {
			return nil, err
		}
		m.DocumentNumber = strings.TrimRight(full, "<")
		m.OptionalData = unfill(opt1[end:])
	} else {
		if err := check("document number", docNo, l1[14]); err != nil {
			return nil, err
		}
		m.DocumentNumber = strings.TrimRight(docNo, "<")
		m.OptionalData = unfill(opt1)
	}
	if err := check("date of birth", l2[0:6], l2[6]); err != nil {
		return nil, err
	}
	if err := check("date of expiry", l2[8:14], l2[14]); err != nil {
		return nil, err
	}
	composite := l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
	if err := check("composite", composite, l2[29]); err != nil {
		return nil, err
	}
	if err := checkDate("date of birth", m.BirthDate); err != nil {
		return nil, err
	}
	if err := checkDate("date of expiry", m.ExpiryDate); err != nil {
		return nil, err
	}
	if m.DocumentNumber == "" {
		return nil, fmt.Errorf("%w: empty document number", ErrMRZ)
	}
	m.Primary, m.Secondary = names(l3)
	return m, nil
}

// parseTD3: Doc 9303 Part 4 §4.2.2.
func parseTD3(s string) (*MRZ, error) {
	l1, l2 := s[0:44], s[44:88]
	m := &MRZ{Format: "TD3", Raw: s,
		DocumentCode: strings.TrimRight(l1[0:2], "<"), IssuingState: strings.TrimRight(l1[2:5], "<"),
		DocumentNumber: strings.TrimRight(l2[0:9], "<"), Nationality: strings.TrimRight(l2[10:13], "<"),
		BirthDate: l2[13:19], Sex: sex(l2[20]), ExpiryDate: l2[21:27], OptionalData: unfill(l2[28:42]),
	}
	m.Primary, m.Secondary = names(l1[5:44])
	for _, c := range []struct {
		name, v string
		d       byte
	}{
		{"document number", l2[0:9], l2[9]},
		{"date of birth", l2[13:19], l2[19]},
		{"date of expiry", l2[21:27], l2[27]},
		{"personal number", l2[28:42], l2[42]},
		{"composite", l2[0:10] + l2[13:20] + l2[21:43], l2[43]},
	} {
		if err := check(c.name, c.v, c.d); err != nil {
			return nil, err
		}
	}
	if err := checkDate("date of birth", m.BirthDate); err != nil {
		return nil, err
	}
	if err := checkDate("date of expiry", m.ExpiryDate); err != nil {
		return nil, err
	}
	if m.DocumentNumber == "" {
		return nil, fmt.Errorf("%w: empty document number", ErrMRZ)
	}
	return m, nil
}

// BACKey returns the access key this MRZ gives.
func (m *MRZ) BACKey() icao.BACKey {
	return icao.BACKey{DocumentNumber: m.DocumentNumber, BirthDate: m.BirthDate, ExpiryDate: m.ExpiryDate}
}

// BirthTime resolves the YYMMDD date of birth: a two-digit year is in the past
// relative to now (nobody is born in the future).
func (m *MRZ) BirthTime(now time.Time) (time.Time, error) {
	t, err := time.Parse("060102", m.BirthDate)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: date of birth", ErrMRZ)
	}
	return pastCentury(t, now), nil
}

// ExpiryTime resolves the YYMMDD expiry: within 50 years before or after now.
func (m *MRZ) ExpiryTime(now time.Time) (time.Time, error) {
	t, err := time.Parse("060102", m.ExpiryDate)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: date of expiry", ErrMRZ)
	}
	y := now.Year()/100*100 + t.Year()%100
	for y > now.Year()+50 {
		y -= 100
	}
	for y <= now.Year()-50 {
		y += 100
	}
	return time.Date(y, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
}

func pastCentury(t, now time.Time) time.Time {
	y := now.Year()/100*100 + t.Year()%100
	d := time.Date(y, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if d.After(now) {
		d = d.AddDate(-100, 0, 0)
	}
	return d
}
