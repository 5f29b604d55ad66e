package backoffice

import (
	"errors"
	"net/http"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
)

// TestOneAccountErrors: each problem the back office answers with reaches the
// session as the kiosk's error, and the client's kind (unavailable) survives.
func TestOneAccountErrors(t *testing.T) {
	two := 2
	problemErr := func(status int, code string, kind error) error {
		p := NewProblem(status, code, "x")
		if code == CodeOTPWrong {
			p.AttemptsLeft = &two
		}
		return &Error{Op: "POST /v1/x", Status: status, Problem: &p, kind: kind}
	}
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"expired", problemErr(http.StatusGone, CodeOTPExpired, ErrGone), kiosk.ErrOTPExpired},
		{"locked", problemErr(http.StatusTooManyRequests, CodeOTPLocked, ErrConflict), kiosk.ErrOTPLocked},
		{"rate limited", problemErr(http.StatusTooManyRequests, CodeRateLimited, ErrConflict), kiosk.ErrOTPRateLimited},
		{"not verified", problemErr(http.StatusUnprocessableEntity, CodeOTPNotVerified, ErrInvalid), kiosk.ErrOTPNotVerified},
		{"account exists", problemErr(http.StatusConflict, CodeAccountExists, ErrConflict), kiosk.ErrAccountExists},
		{"account missing", problemErr(http.StatusConflict, CodeAccountMissing, ErrConflict), kiosk.ErrAccountMissing},
		{"already bound", problemErr(http.StatusConflict, CodeAlreadyBound, ErrConflict), kiosk.ErrAlreadyBound},
		{"unavailable", &Error{Op: "POST /v1/x", kind: ErrUnavailable}, kiosk.ErrBackOfficeUnavailable},
	}
	for _, c := range cases {
		if got := oneAccountError(c.err); !errors.Is(got, c.want) || !errors.Is(got, c.err) {
			t.Errorf("%s: %v is not %v (and the client's error)", c.name, got, c.want)
		}
	}
	var wrong *kiosk.OTPWrongError
	if got := oneAccountError(problemErr(http.StatusUnprocessableEntity, CodeOTPWrong, ErrInvalid)); !errors.As(got, &wrong) || wrong.AttemptsLeft != 2 {
		t.Errorf("wrong code: %v", got)
	}
	if oneAccountError(nil) != nil {
		t.Error("no error became one")
	}
}
