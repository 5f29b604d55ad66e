package kiosktest

import (
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// SampleBindingQR is a binding QR payload as the reference back office signs it
// (version, kind, claims, signature), for the bind screen's golden.
const SampleBindingQR = "DSIQR1.B.eyJiaWQiOiJ3Vm5QcTFoR2hYc0tQM0Fzb3Y3cDRNc2YiLCJleHAiOjE3Nzg3MjU3MjB9." +
	"mX2dJ8rY0Qf3u1Tn6oVb5sZk9HcLwEa7GpR4yIeN2vDqUjF0tKhB8lCzW3xSgOi_YAnMr5ZpTe1uQd6cVsLbHw"

// oneAccountSamples are the One Account steps' samples, each showing what its screen
// can show at most (an error, a countdown) so the goldens and the layout test see it.
func oneAccountSamples(with func(kiosk.State, func(*kiosk.Snapshot)) kiosk.Snapshot) map[kiosk.State]kiosk.Snapshot {
	view := func(f func(v *kiosk.OneAccountView)) *kiosk.OneAccountView {
		v := &kiosk.OneAccountView{PhoneMax: 8, CodeDigits: kiosk.OTPDigits, CodeTriesLeft: -1, EmailMax: kiosk.EmailMaxLen,
			TermsPage: 1, TermsPages: kiosk.OneAccountTermsPages, PasswordDigits: 4, PasswordLock: kiosk.ServicePasswordLock}
		f(v)
		return v
	}
	oa := func(st kiosk.State, f func(s *kiosk.Snapshot, v *kiosk.OneAccountView)) kiosk.Snapshot {
		return with(st, func(s *kiosk.Snapshot) {
			s.Service = kiosk.ServiceOneAccount
			s.OneAccount = view(func(v *kiosk.OneAccountView) { f(s, v) })
		})
	}
	return map[kiosk.State]kiosk.Snapshot{
		kiosk.StateOAPhone: oa(kiosk.StateOAPhone, func(_ *kiosk.Snapshot, v *kiosk.OneAccountView) {
			v.Phone, v.PhoneError = "6222333", kiosk.FormPhoneInvalid
		}),
		kiosk.StateOACode: oa(kiosk.StateOACode, func(_ *kiosk.Snapshot, v *kiosk.OneAccountView) {
			v.Phone, v.CodeLength, v.CodeError, v.CodeTriesLeft = "62223333", 3, kiosk.MsgOACodeWrong, 2
			v.ResendIn, v.CodeExpiresIn = 35*time.Second, 4*time.Minute+10*time.Second
		}),
		kiosk.StateOAEmail: oa(kiosk.StateOAEmail, func(_ *kiosk.Snapshot, v *kiosk.OneAccountView) {
			v.Phone, v.Email, v.EmailError = "62223333", "chan.tai.man@example", kiosk.MsgOAEmailInvalid
		}),
		kiosk.StateOATerms: oa(kiosk.StateOATerms, func(s *kiosk.Snapshot, v *kiosk.OneAccountView) {
			s.Notice = kiosk.MsgOATermsNotAccepted
			v.TermsPage = kiosk.OneAccountTermsPages
		}),
		kiosk.StateOAPassword: oa(kiosk.StateOAPassword, func(_ *kiosk.Snapshot, v *kiosk.OneAccountView) {
			v.PasswordLength, v.ConfirmLength, v.ConfirmError = 4, 2, kiosk.FormPasswordMismatch
		}),
		kiosk.StateOAOpening: oa(kiosk.StateOAOpening, func(s *kiosk.Snapshot, _ *kiosk.OneAccountView) {
			s.TimerOn, s.Countdown, s.Busy = false, 0, true
		}),
		kiosk.StateOABind: oa(kiosk.StateOABind, func(_ *kiosk.Snapshot, v *kiosk.OneAccountView) {
			v.PasswordSet, v.QR, v.QRExpiresIn, v.QRNumber = true, SampleBindingQR, 102*time.Second, 1
		}),
		kiosk.StateOADone: oa(kiosk.StateOADone, func(_ *kiosk.Snapshot, v *kiosk.OneAccountView) {
			v.PasswordSet, v.Bound = true, true
		}),
	}
}
