package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBackOfficeAndPayment: what the kiosk needs to reach the back office and take
// money, and the combinations refused (a simulated terminal in production, a
// terminal with no back office to report to, plain HTTP).
func TestBackOfficeAndPayment(t *testing.T) {
	bo := []string{"KIOSK_BACKOFFICE_URL=https://backoffice.dsi.example:8443", "KIOSK_BACKOFFICE_CERT_FILE=/etc/k/kiosk.crt",
		"KIOSK_BACKOFFICE_KEY_FILE=/etc/k/kiosk.key", "KIOSK_BACKOFFICE_CA_FILE=/etc/k/ca.crt"}
	with := func(base []string, more ...string) []string { return append(append([]string(nil), base...), more...) }
	for _, tc := range []struct {
		name string
		env  []string
		want string // "" valid, else the key of the problem
	}{
		{"defaults: no back office, no terminal", nil, ""},
		{"back office", bo, ""},
		{"back office with a simulated terminal in a demo", with(bo, "KIOSK_KIOSK_MODE=demo", "KIOSK_PAYMENT_TERMINAL=simulated"), ""},
		{"plain http", with(bo, "KIOSK_BACKOFFICE_URL=http://backoffice.dsi.example"), "backoffice.url"},
		{"no client certificate", with(bo, "KIOSK_BACKOFFICE_CERT_FILE="), "backoffice.cert_file"},
		{"relative CA", with(bo, "KIOSK_BACKOFFICE_CA_FILE=ca.crt"), "backoffice.ca_file"},
		{"timeout too long", with(bo, "KIOSK_BACKOFFICE_TIMEOUT=5m"), "backoffice.timeout"},
		{"simulated terminal in production", with(bo, "KIOSK_KIOSK_MODE=production", "KIOSK_PAYMENT_TERMINAL=simulated"), "payment.terminal"},
		{"terminal without a back office", []string{"KIOSK_KIOSK_MODE=demo", "KIOSK_PAYMENT_TERMINAL=simulated"}, "payment.terminal"},
		{"unknown terminal", with(bo, "KIOSK_PAYMENT_TERMINAL=ingenico"), "payment.terminal"},
		{"terminal id", with(bo, "KIOSK_PAYMENT_TERMINAL_ID=till 1"), "payment.terminal_id"},
		{"terminal timeout", with(bo, "KIOSK_PAYMENT_TERMINAL_TIMEOUT=1s"), "payment.terminal_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := load("", filepath.Join(t.TempDir(), "absent.yaml"), tc.env)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !cfg.Payment.QR {
					t.Error("the wallet QR is not offered by default")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want a problem with %s", err, tc.want)
			}
		})
	}
}
