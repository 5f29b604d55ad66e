package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
)

func TestServicesDefaultsAreTheKioskDefaults(t *testing.T) {
	fees, err := Default().Services.Fees.FeeTable()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range kiosk.Services {
		if fees[s] != kiosk.DefaultFees[s] {
			t.Errorf("%s: config default %d avos, kiosk default %d", s, fees[s], kiosk.DefaultFees[s])
		}
	}
	h, err := kiosk.ParseOfficeHours(Default().Services.OfficeHours)
	if err != nil || h != kiosk.DefaultOfficeHours {
		t.Errorf("office hours default %q: %+v, %v", Default().Services.OfficeHours, h, err)
	}
}

func TestBadServicesAreProblems(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want string
	}{
		{"KIOSK_SERVICES_FEES_PASSPORT=NaN", "services.fees.passport"},
		{"KIOSK_SERVICES_FEES_ID_RENEWAL=-90", "services.fees.id_renewal"},
		{"KIOSK_SERVICES_FEES_TRAVEL_PERMIT=360.5", "services.fees.travel_permit"},
		{"KIOSK_SERVICES_OFFICE_HOURS=always", "services.office_hours"},
		{"KIOSK_SERVICES_OFFICE_HOURS=Mon-Fri 18:00-09:00", "services.office_hours"},
		{"KIOSK_SERVICES_VERIFY_URL_BASE=http://www.dsi.gov.mo/verify/", "services.verify_url_base"},
		{"KIOSK_SERVICES_VERIFY_URL_BASE=https://x/?a=1", "services.verify_url_base"},
	} {
		_, _, err := load("", filepath.Join(t.TempDir(), "absent.yaml"), []string{tc.env})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a problem with %s", tc.env, err, tc.want)
		}
	}
	cfg, _, err := load("", filepath.Join(t.TempDir(), "absent.yaml"), []string{"KIOSK_SERVICES_FEES_PASSPORT=450", "KIOSK_SERVICES_OFFICE_HOURS=none"})
	if err != nil {
		t.Fatal(err)
	}
	if fees, _ := cfg.Services.Fees.FeeTable(); fees[kiosk.ServicePassport] != 450_00 {
		t.Errorf("passport fee %d avos, want 45000", fees[kiosk.ServicePassport])
	}
}
