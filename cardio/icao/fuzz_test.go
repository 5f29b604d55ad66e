package icao

import (
	"testing"

	"github.com/macau-dsi/kiosk/cardio/apdu"
)

// FuzzUnwrap feeds arbitrary protected responses and commands to both roles of a
// session: errors, never a panic. Corpus kept in testdata/fuzz/FuzzUnwrap.
func FuzzUnwrap(f *testing.F) {
	f.Add(hx("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
	f.Add(hx("0CB000000D9701048E08ED6705417E96BA5500"))
	f.Add(hx("990290008E08FA855A5D4C50A8ED9000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, _ := NewSession(TDES, hx(exKSenc), hx(exKSmac), hx(exSSC))
		if r, err := apdu.ParseResponse(b); err == nil {
			s.UnwrapResponse(apdu.InsReadBinary, r)
			s2, _ := NewSession(TDES, hx(exKSenc), hx(exKSmac), hx(exSSC))
			s2.UnwrapResponse(apdu.InsReadBinaryOdd, r)
		}
		c, _ := NewSession(AES128, hx(exKSenc), hx(exKSmac), make([]byte, 16))
		if cmd, err := apdu.ParseCommand(b); err == nil {
			c.UnwrapCommand(cmd)
		}
	})
}
