package backoffice

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// TestEIDError: each refusal of the back office reaches the kiosk as its reason.
func TestEIDError(t *testing.T) {
	op := "POST /v1/eid-logins"
	prob := func(status int, code string) error {
		p := NewProblem(status, code, "")
		return &Error{Op: op, Status: status, Problem: &p, kind: kindOf(status)}
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"replayed", prob(http.StatusConflict, CodeQRReplayed), kiosk.ErrEIDReplayed},
		{"expired", prob(http.StatusGone, CodeQRExpired), kiosk.ErrEIDExpired},
		{"forged", prob(http.StatusUnprocessableEntity, CodeQRInvalid), kiosk.ErrEIDInvalid},
		{"no photo on file", prob(http.StatusConflict, CodeConflict), ErrConflict},
		{"down", &Error{Op: op, kind: ErrUnavailable}, kiosk.ErrBackOfficeUnavailable},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := eidError(c.err)
			if !errors.Is(got, c.want) {
				t.Errorf("%v does not unwrap to %v", got, c.want)
			}
			for _, other := range []error{kiosk.ErrEIDReplayed, kiosk.ErrEIDExpired, kiosk.ErrEIDInvalid} {
				if other != c.want && errors.Is(got, other) {
					t.Errorf("%v also unwraps to %v", got, other)
				}
			}
		})
	}
}

// TestEIDIdentity: a complete answer becomes the session's holder; one the kiosk
// cannot use is refused whole.
func TestEIDIdentity(t *testing.T) {
	good := EIDLogin{Subject: "0123456789abcdef0123456789abcdef", VerifiedAt: time.Now(),
		Holder: EIDHolder{Names: EIDNames{Chinese: "何嘉敏", Primary: "HO", Secondary: "KA MAN"}, Sex: "F", BirthDate: "1979-04-18",
			Residency: Permanent, Nationality: "CHN", CardIssue: "2022-08-10"},
		Photo: ReferencePhoto{Format: "jpeg", Data: []byte{0xff, 0xd8, 0xff, 0xd9}}}
	id, err := good.Identity()
	if err != nil {
		t.Fatal(err)
	}
	h := id.Holder
	if id.Subject != good.Subject || h.Names.Chinese != "何嘉敏" || kiosk.DateOf(h.BirthDate) != (kiosk.Date{Year: 1979, Month: 4, Day: 18}) ||
		!h.ExpiryDate.IsZero() || h.Residency != kiosk.ResidencyPermanent || h.DocumentNumber != "" || len(h.Photo.Data) != 4 {
		t.Errorf("identity %+v", id)
	}
	for name, mod := range map[string]func(*EIDLogin){
		"bad birth date":    func(l *EIDLogin) { l.Holder.BirthDate = "18/04/1979" },
		"bad expiry":        func(l *EIDLogin) { l.Holder.CardExpiry = "2032-13-01" },
		"no photo":          func(l *EIDLogin) { l.Photo.Data = nil },
		"huge photo":        func(l *EIDLogin) { l.Photo.Data = make([]byte, MaxReferencePhoto+1) },
		"photo format":      func(l *EIDLogin) { l.Photo.Format = "gif" },
		"unknown residency": func(l *EIDLogin) { l.Holder.Residency = "" },
	} {
		l := good
		mod(&l)
		if _, err := l.Identity(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
