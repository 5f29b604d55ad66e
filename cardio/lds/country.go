package lds

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// issuingStateAlpha2 maps the three-letter codes of issuing states in an MRZ (Doc
// 9303 Part 3 §5: ISO 3166-1 alpha-3, plus ICAO's own codes such as D for Germany)
// to the ISO 3166-1 alpha-2 code that certificates carry in countryName (Doc 9303
// Part 12 §7.1: "C" of a CSCA or document signer is alpha-2). Only the states whose
// documents this kiosk is meant to read, or its tests make, are listed: the Macao
// BIR (MAC), and the states that issue other documents its residents hold.
var issuingStateAlpha2 = map[string]string{
	"MAC": "MO", // Macao SAR, China: the BIR
	"CHN": "CN", // China
	"HKG": "HK", // Hong Kong SAR, China
	"TWN": "TW", // Taiwan
	"PRT": "PT", // Portugal
	"D":   "DE", // Germany: ICAO's one-letter code in the MRZ
	"DEU": "DE",
	"GBR": "GB",
	"USA": "US",
	"PHL": "PH",
	"IDN": "ID",
	"VNM": "VN",
	"THA": "TH",
	"MYS": "MY",
	"SGP": "SG",
	"JPN": "JP",
	"KOR": "KR",
	"IND": "IN",
	"NPL": "NP",
	"MMR": "MM",
	"AUS": "AU",
	"CAN": "CA",
	"BRA": "BR",
}

// IssuingStateAlpha2 is the ISO 3166-1 alpha-2 code of an MRZ issuing state ("MAC"
// gives "MO"); ok is false for a state not in the table.
func IssuingStateAlpha2(state string) (code string, ok bool) {
	code, ok = issuingStateAlpha2[strings.TrimRight(state, "<")]
	return code, ok
}

// checkSignerCountry applies Doc 9303 Part 12 (§5, §7.1.1): a document is signed by a
// document signer of its issuing state, under that state's CSCA, so the countryName
// of the DS's subject and issuer and of the CSCA's subject must all be the issuing
// state's. A reader that accepted a DS of another state would let any state's
// signer vouch for a Macao card.
func checkSignerCountry(ds, csca *x509.Certificate, dg1 []byte) error {
	if dg1 == nil {
		return errors.New("issuing state unknown: DG1 was not read")
	}
	mrz, err := ParseDG1(dg1)
	if err != nil {
		return fmt.Errorf("issuing state unknown: %w", err)
	}
	want, ok := IssuingStateAlpha2(mrz.IssuingState)
	if !ok {
		return fmt.Errorf("issuing state %s has no ISO 3166 country code known to this reader", mrz.IssuingState)
	}
	for _, c := range []struct {
		what    string
		country []string
	}{
		{"document signer", ds.Subject.Country},
		{"document signer's issuer", ds.Issuer.Country},
		{"CSCA", csca.Subject.Country},
	} {
		got := strings.Join(c.country, ",")
		if !strings.EqualFold(got, want) {
			if got == "" {
				got = "none"
			}
			return fmt.Errorf("%s country %s is not the issuing state %s (%s): Doc 9303 Part 12 wants the issuing state's own signer and CSCA", c.what, got, mrz.IssuingState, want)
		}
	}
	return nil
}
