package i18n_test

import (
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
)

func TestDate(t *testing.T) {
	tr, err := i18n.NewTranslator(assets.Translations())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang kiosk.Language
		d    kiosk.Date
		want string
	}{
		{kiosk.LangZhHant, kiosk.Date{Year: 2026, Month: time.May, Day: 20}, "2026年5月20日"},
		{kiosk.LangPT, kiosk.Date{Year: 2026, Month: time.May, Day: 20}, "20/05/2026"},
		{kiosk.LangEN, kiosk.Date{Year: 2026, Month: time.May, Day: 20}, "20 May 2026"},
		{kiosk.LangZhHant, kiosk.Date{Year: 2027, Month: time.January, Day: 3}, "2027年1月3日"},
		{kiosk.LangPT, kiosk.Date{Year: 2027, Month: time.January, Day: 3}, "03/01/2027"},
		{kiosk.LangEN, kiosk.Date{Year: 2027, Month: time.January, Day: 3}, "3 January 2027"},
	} {
		if got := tr.Date(tc.lang, tc.d); got != tc.want {
			t.Errorf("Date(%s, %v) = %q, want %q", tc.lang, tc.d, got, tc.want)
		}
	}
}
