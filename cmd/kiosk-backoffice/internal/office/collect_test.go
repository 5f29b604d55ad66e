package office

import (
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// TestCollectFrom: 10 working days after the day the application arrived in Macau
// (a weekend day counts from the Monday after), none for One Account.
func TestCollectFrom(t *testing.T) {
	macau := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, kiosk.MacauTime) }
	for _, tc := range []struct {
		name     string
		service  kiosk.ServiceID
		received time.Time
		want     string
	}{
		{"Monday", kiosk.ServicePassport, macau(2026, 11, 30, 10), "2026-12-14"},
		{"Friday evening", kiosk.ServiceIDRenewal, macau(2026, 11, 27, 23), "2026-12-11"},
		{"Saturday in Macau, still Friday in UTC", kiosk.ServiceTravelPermit, time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC), "2026-12-11"},
		{"Sunday", kiosk.ServicePassport, macau(2026, 11, 29, 9), "2026-12-11"},
		{"across the new year", kiosk.ServicePassport, macau(2026, 12, 24, 9), "2027-01-07"},
		{"One Account: nothing to collect", kiosk.ServiceOneAccount, macau(2026, 11, 30, 10), ""},
	} {
		if got := collectFrom(tc.service, tc.received); got != tc.want {
			t.Errorf("%s: collectFrom(%s, %v) = %q, want %q", tc.name, tc.service, tc.received, got, tc.want)
		}
	}
}
