package icao

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"strings"
)

// CheckDigit computes the Doc 9303 Part 3 §4.9 check digit (weights 7 3 1; digits as
// themselves, A-Z as 10-35, '<' as 0).
func CheckDigit(s string) (byte, error) {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		case c == '<':
			v = 0
		default:
			return 0, fmt.Errorf("icao: character %q not allowed in an MRZ field", c)
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10), nil
}

// BACKey is what a reader needs to open a BAC session: the document number, the date
// of birth and the date of expiry as printed in the MRZ (YYMMDD).
type BACKey struct {
	DocumentNumber string
	BirthDate      string
	ExpiryDate     string
}

// ErrBadBACKey is returned for a BAC key whose fields are not MRZ-shaped.
var ErrBadBACKey = errors.New("icao: bad BAC key")

// MRZInformation is document number + check digit + DOB + check digit + expiry + check
// digit (Doc 9303 Part 11 §4.3.2). A document number shorter than 9 characters is
// padded with '<'; a longer one (TD1 long numbers) is used as is, as the MRZ's
// optional-data convention puts its full value in the key (Part 11 §9.7.2 note).
func (k BACKey) MRZInformation() (string, error) {
	doc := strings.ToUpper(strings.TrimSpace(k.DocumentNumber))
	if doc == "" || len(doc) > 22 {
		return "", fmt.Errorf("%w: document number of %d characters", ErrBadBACKey, len(doc))
	}
	for len(doc) < 9 {
		doc += "<"
	}
	for _, d := range []string{k.BirthDate, k.ExpiryDate} {
		if len(d) != 6 || strings.Trim(d, "0123456789") != "" {
			return "", fmt.Errorf("%w: date %q is not YYMMDD", ErrBadBACKey, d)
		}
	}
	var b strings.Builder
	for _, f := range []string{doc, k.BirthDate, k.ExpiryDate} {
		cd, err := CheckDigit(f)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrBadBACKey, err)
		}
		b.WriteString(f)
		b.WriteByte(cd)
	}
	return b.String(), nil
}

// Seed returns Kseed: the first 16 bytes of SHA-1 of the MRZ information.
func (k BACKey) Seed() ([]byte, error) {
	mi, err := k.MRZInformation()
	if err != nil {
		return nil, err
	}
	h := sha1.Sum([]byte(mi))
	return h[:16], nil
}

// Keys returns the BAC document basic access keys Kenc and Kmac.
func (k BACKey) Keys() (kenc, kmac []byte, err error) {
	seed, err := k.Seed()
	if err != nil {
		return nil, nil, err
	}
	return DeriveKey(seed, CounterEnc, TDES), DeriveKey(seed, CounterMAC, TDES), nil
}
