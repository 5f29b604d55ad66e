package config

import (
	"fmt"
	"net/url"

	"github.com/macau-dsi/kiosk/kiosk"
)

// ServicesConfig holds the public rules that DSI may change without a new build.
type ServicesConfig struct {
	// OfficeHours: when DSI's counters are open beside the kiosk (Macau time), e.g.
	// "Mon-Fri 09:00-17:45", or "none". Within them an ID card issued at 5 or older may
	// be renewed at the kiosk; outside them only one issued at 25 or older.
	OfficeHours string `mapstructure:"office_hours" yaml:"office_hours"`
	// Fees in patacas ("300" or "300.00"), as DSI's fee table states them.
	Fees FeesConfig `mapstructure:"fees" yaml:"fees"`
	// VerifyURLBase is the public address where a receipt's QR code lets anyone check
	// an application by its reference (the reference is appended); https only.
	VerifyURLBase string `mapstructure:"verify_url_base" yaml:"verify_url_base"`
}

// FeesConfig is the fee of each service, in patacas.
type FeesConfig struct {
	IDRenewal    string `mapstructure:"id_renewal" yaml:"id_renewal"`
	Passport     string `mapstructure:"passport" yaml:"passport"`
	TravelPermit string `mapstructure:"travel_permit" yaml:"travel_permit"`
	OneAccount   string `mapstructure:"one_account" yaml:"one_account"`
}

func defaultServices() ServicesConfig {
	mop := func(s kiosk.ServiceID) string {
		a := kiosk.DefaultFees[s]
		return fmt.Sprintf("%d.%02d", a/100, a%100)
	}
	return ServicesConfig{
		OfficeHours:   "Mon-Fri 09:00-17:45",
		VerifyURLBase: "https://www.dsi.gov.mo/kiosk/verify/",
		Fees: FeesConfig{
			IDRenewal: mop(kiosk.ServiceIDRenewal), Passport: mop(kiosk.ServicePassport),
			TravelPermit: mop(kiosk.ServiceTravelPermit), OneAccount: mop(kiosk.ServiceOneAccount),
		},
	}
}

// FeeTable turns the fees into the kiosk's table (avos per service). Call it on a
// validated configuration.
func (f FeesConfig) FeeTable() (kiosk.Fees, error) {
	out := kiosk.Fees{}
	for _, e := range f.entries() {
		a, err := kiosk.ParseMOP(e.value)
		if err != nil {
			return nil, fmt.Errorf("services.fees.%s: %w", e.key, err)
		}
		out[e.service] = a
	}
	return out, out.Validate()
}

type feeEntry struct {
	service    kiosk.ServiceID
	key, value string
}

func (f FeesConfig) entries() []feeEntry {
	return []feeEntry{
		{kiosk.ServiceIDRenewal, "id_renewal", f.IDRenewal}, {kiosk.ServicePassport, "passport", f.Passport},
		{kiosk.ServiceTravelPermit, "travel_permit", f.TravelPermit}, {kiosk.ServiceOneAccount, "one_account", f.OneAccount},
	}
}

func (s ServicesConfig) validate() Problems {
	var ps Problems
	if _, err := kiosk.ParseOfficeHours(s.OfficeHours); err != nil {
		ps = append(ps, Problem{"services.office_hours", s.OfficeHours, `days and hours like "Mon-Fri 09:00-17:45", or "none"`})
	}
	if u, err := url.Parse(s.VerifyURLBase); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		ps = append(ps, Problem{"services.verify_url_base", s.VerifyURLBase, "an https:// address without query or fragment (the reference is appended)"})
	}
	for _, e := range s.Fees.entries() {
		if _, err := kiosk.ParseMOP(e.value); err != nil {
			ps = append(ps, Problem{"services.fees." + e.key, e.value, "patacas as digits with optional 2 decimals, e.g. 300 or 300.00"})
		}
	}
	return ps
}
