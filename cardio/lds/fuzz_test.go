package lds

import (
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/cardio/internal/testcard"
)

// FuzzParsers feeds the same bytes to every data group parser and to passive
// authentication: hostile chip data must give errors, never a panic. The corpus
// is kept in testdata/fuzz/FuzzParsers.
func FuzzParsers(f *testing.F) {
	h := testcard.Holder{DocNo: "1234567", Birth: "850314", Expiry: "340603", Sex: "M", Nationality: "CHN",
		Surname: "CHAN", Given: "TAI MAN", Portuguese: "CHAN TAI MAN", Chinese: "陳大文", IssueDate: "20240603", Photo: testcard.JPEG(64)}
	files := testcard.Files(h)
	for _, b := range files {
		f.Add(b)
	}
	if p, err := testcard.NewPKI(time.Now(), time.Now().AddDate(-1, 0, 0), time.Now().AddDate(1, 0, 0)); err == nil {
		if sod, err := p.SOD(files); err == nil {
			f.Add(sod)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseDG1(b)
		ParseDG2(b)
		ParseDG11(b)
		if d, err := ParseDG12(b); err == nil {
			d.IssueTime()
		}
		ParseCOM(b)
		PassiveAuth(b, map[int][]byte{1: b}, nil, time.Now())
		if m, err := ParseMRZ(string(b)); err == nil {
			m.BirthTime(time.Now())
			m.ExpiryTime(time.Now())
		}
	})
}
