package kiosk_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
	"github.com/macau-dsi/kiosk/sealbox"
)

const (
	oaPhone    = "62223333"
	oaEmail    = "chan.tai.man@example.mo"
	oaPassword = "3971"
)

// oaHarness is a started harness whose resident has no One Account.
func oaHarness(t *testing.T, setup func(h *kiosktest.Harness)) *kiosktest.Harness {
	t.Helper()
	h := kiosktest.NewHarness(t)
	h.BackOffice.Set(h.Subject("1234567(8)"), kiosk.ResidentRecord{Nationality: kiosk.ChineseNationality})
	if setup != nil {
		setup(h)
	}
	return h.Start()
}

func oaView(t *testing.T, s kiosk.Snapshot) *kiosk.OneAccountView {
	t.Helper()
	if s.OneAccount == nil {
		t.Fatalf("state %s: no One Account view", s.State)
	}
	return s.OneAccount
}

// toCodeStep goes from the attract screen to the code screen with phone.
func toCodeStep(t *testing.T, h *kiosktest.Harness) kiosk.Snapshot {
	t.Helper()
	h.ToMenu()
	h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceOneAccount})
	h.WaitIdle(kiosk.StateOAPhone)
	h.Fill(kiosk.FieldPhoneNumber, oaPhone)
	h.Press(kiosk.EvContinue)
	return h.WaitIdle(kiosk.StateOACode)
}

func typeCode(h *kiosktest.Harness, code string) {
	h.Fill(kiosk.FieldOTPCode, code)
	h.Press(kiosk.EvContinue)
}

// toPasswordStep verifies the code, skips the e-mail and accepts the terms.
func toPasswordStep(t *testing.T, h *kiosktest.Harness) kiosk.Snapshot {
	t.Helper()
	toCodeStep(t, h)
	_, code := h.OneAccounts.LastCode()
	typeCode(h, code)
	h.WaitIdle(kiosk.StateOAEmail)
	h.Press(kiosk.EvContinue)
	h.WaitIdle(kiosk.StateOATerms)
	for i := 1; i < kiosk.OneAccountTermsPages; i++ {
		h.Post(kiosk.Event{Kind: kiosk.EvTermsPage, Value: "next"})
	}
	h.Post(kiosk.Event{Kind: kiosk.EvAcceptTerms, Value: "yes"})
	h.Press(kiosk.EvContinue)
	return h.WaitIdle(kiosk.StateOAPassword)
}

// TestOneAccountOpenAndBind walks the whole service: every step's checks on the way,
// the password sealed to the back office's key, the QR scanned, the audit rows.
func TestOneAccountOpenAndBind(t *testing.T) {
	h := oaHarness(t, nil)
	subject := h.Subject("1234567(8)")
	h.ToMenu()
	h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceOneAccount})
	h.WaitIdle(kiosk.StateOAPhone)

	// Phone: not a Macau mobile, then one.
	h.Fill(kiosk.FieldPhoneNumber, "28123456")
	h.Press(kiosk.EvContinue)
	if s := h.Sync(); s.State != kiosk.StateOAPhone || oaView(t, s).PhoneError != kiosk.FormPhoneInvalid || h.OneAccounts.Sent() != 0 {
		t.Fatalf("fixed-line number: state %s view %+v sent %d", s.State, s.OneAccount, h.OneAccounts.Sent())
	}
	h.Fill(kiosk.FieldPhoneNumber, oaPhone)
	h.Press(kiosk.EvContinue)
	s := h.WaitIdle(kiosk.StateOACode)
	v := oaView(t, s)
	if s.Notice != kiosk.MsgOACodeSent || v.CodeDigits != 6 || v.ResendIn != kiosk.OTPResendAfter || v.CodeExpiresIn != kiosktest.FakeOTPTTL {
		t.Fatalf("code screen: notice %q view %+v", s.Notice, v)
	}

	// Code: short, wrong, right.
	_, code := h.OneAccounts.LastCode()
	typeCode(h, code[:3])
	if s := h.Sync(); oaView(t, s).CodeError != kiosk.MsgOACodeShort {
		t.Fatalf("short code: %+v", s.OneAccount)
	}
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1000000)
	typeCode(h, wrong)
	s = h.Wait("wrong code answered", func(s kiosk.Snapshot) bool {
		return s.OneAccount != nil && s.OneAccount.CodeError == kiosk.MsgOACodeWrong && !s.Busy
	})
	if v := oaView(t, s); v.CodeTriesLeft != kiosktest.FakeOTPAttempts-1 || v.CodeLength != 0 {
		t.Fatalf("wrong code: %+v", v)
	}
	typeCode(h, code)
	h.WaitIdle(kiosk.StateOAEmail)

	// E-mail: a slip, then a good one (typed in capitals: kept in lower case).
	h.Fill(kiosk.FieldEmail, "chan@example")
	h.Press(kiosk.EvContinue)
	if s := h.Sync(); s.State != kiosk.StateOAEmail || oaView(t, s).EmailError != kiosk.MsgOAEmailInvalid {
		t.Fatalf("bad e-mail: state %s %+v", s.State, s.OneAccount)
	}
	h.Fill(kiosk.FieldEmail, strings.ToUpper(oaEmail))
	h.Press(kiosk.EvContinue)
	s = h.WaitIdle(kiosk.StateOATerms)

	// Terms: paged; cannot go on without accepting; accepting only on the last page.
	if v := oaView(t, s); v.TermsPage != 1 || v.TermsPages != kiosk.OneAccountTermsPages || v.TermsAccepted {
		t.Fatalf("terms: %+v", v)
	}
	h.Press(kiosk.EvContinue)
	h.Post(kiosk.Event{Kind: kiosk.EvAcceptTerms, Value: "yes"})
	if s := h.Sync(); s.State != kiosk.StateOATerms || s.Notice != kiosk.MsgOATermsNotAccepted || oaView(t, s).TermsAccepted {
		t.Fatalf("terms not read: state %s notice %q %+v", s.State, s.Notice, s.OneAccount)
	}
	for i := 1; i < kiosk.OneAccountTermsPages+2; i++ {
		h.Post(kiosk.Event{Kind: kiosk.EvTermsPage, Value: "next"})
	}
	h.Post(kiosk.Event{Kind: kiosk.EvAcceptTerms, Value: "yes"})
	if s := h.Sync(); oaView(t, s).TermsPage != kiosk.OneAccountTermsPages || !oaView(t, s).TermsAccepted {
		t.Fatalf("last page: %+v", s.OneAccount)
	}
	h.Press(kiosk.EvContinue)
	s = h.WaitIdle(kiosk.StateOAPassword)
	if v := oaView(t, s); v.PasswordLock != 60*time.Minute || v.PasswordDigits != 4 {
		t.Fatalf("password step: %+v", v)
	}

	// Password: weak, mismatched, good.
	h.Fill(kiosk.FieldServicePassword, "1234", kiosk.FieldPasswordConfirm, "1234")
	h.Press(kiosk.EvContinue)
	if s := h.Sync(); oaView(t, s).PasswordError != kiosk.FormPasswordWeak {
		t.Fatalf("weak password: %+v", s.OneAccount)
	}
	h.Fill(kiosk.FieldServicePassword, oaPassword, kiosk.FieldPasswordConfirm, "3972")
	h.Press(kiosk.EvContinue)
	if s := h.Sync(); oaView(t, s).ConfirmError != kiosk.FormPasswordMismatch {
		t.Fatalf("mismatch: %+v", s.OneAccount)
	}
	h.Fill(kiosk.FieldPasswordConfirm, oaPassword)
	h.Press(kiosk.EvContinue)

	// Opened; the binding QR is shown and scanned.
	s = h.Wait("binding QR", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StateOABind && s.OneAccount != nil && s.OneAccount.QR != ""
	})
	if v := oaView(t, s); v.QRExpiresIn != kiosktest.FakeBindingTTL || v.QRNumber != 1 || !v.PasswordSet || v.Existing {
		t.Fatalf("bind screen: %+v", v)
	}
	a := h.OneAccounts.Account(subject)
	if a == nil || a.Phone != oaPhone || a.Email != oaEmail || a.Bound {
		t.Fatalf("account: %+v", a)
	}
	pw, err := sealbox.Open(h.SealKey, a.SealedPassword, a.ChallengeID)
	if err != nil || string(pw) != oaPassword {
		t.Fatalf("sealed password opens to %q, %v", pw, err)
	}
	if strings.Contains(string(a.SealedPassword), oaPassword) {
		t.Fatal("the password travels in clear")
	}
	if err := h.OneAccounts.Scan(oaView(t, s).QR); err != nil {
		t.Fatal(err)
	}
	s = h.WaitState(kiosk.StateOADone)
	if v := oaView(t, s); !v.Bound {
		t.Fatalf("done: %+v", v)
	}

	// Every write had its own idempotency key.
	keys := h.OneAccounts.WriteKeys()
	if len(keys) != 5 || len(slices.Compact(slices.Sorted(slices.Values(keys)))) != len(keys) {
		t.Errorf("idempotency keys: %q", keys)
	}
	// Audited without anything the resident typed.
	var actions []string
	for _, e := range h.Store.Events() {
		for _, secret := range []string{oaPhone, oaEmail, oaPassword, code, wrong} {
			if strings.Contains(e.Detail, secret) {
				t.Errorf("audit row %s %q carries %q", e.Action, e.Detail, secret)
			}
		}
		if strings.HasPrefix(e.Action, "oneaccount.") || e.Action == "eid.bind" {
			actions = append(actions, e.Action+" "+e.Detail)
		}
	}
	for _, want := range []string{"oneaccount.open ok password=true", "eid.bind bound"} {
		if !slices.Contains(actions, want) {
			t.Errorf("no audit row %q in %q", want, actions)
		}
	}
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateTakeCard)
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func TestOneAccountWithoutPassword(t *testing.T) {
	h := oaHarness(t, nil)
	toPasswordStep(t, h)
	h.Press(kiosk.EvContinue)
	s := h.Wait("binding QR", func(s kiosk.Snapshot) bool { return s.OneAccount != nil && s.OneAccount.QR != "" })
	if oaView(t, s).PasswordSet {
		t.Error("no password typed but the account has one")
	}
	if a := h.OneAccounts.Account(h.Subject("1234567(8)")); a == nil || a.SealedPassword != nil || a.Email != "" {
		t.Errorf("account: %+v", a)
	}
}

// TestOneAccountCodeProblems: each way a code fails has its message, and what the
// resident can do next.
func TestOneAccountCodeProblems(t *testing.T) {
	cases := []struct {
		name       string
		do         func(h *kiosktest.Harness, code string)
		want       kiosk.MsgKey
		resendOpen bool // a new code may be asked for at once
	}{
		{"expired", func(h *kiosktest.Harness, code string) {
			h.Clock.Advance(kiosktest.FakeOTPTTL)
			typeCode(h, code)
		}, kiosk.MsgOACodeExpired, true},
		{"too many tries", func(h *kiosktest.Harness, code string) {
			for i := 1; i < kiosktest.FakeOTPAttempts; i++ {
				typeCode(h, "000000")
				h.Wait("answer", func(s kiosk.Snapshot) bool { return !s.Busy && s.OneAccount != nil && s.OneAccount.CodeError != "" })
			}
			typeCode(h, "000000") // the last try
		}, kiosk.MsgOACodeLocked, true},
		{"back office unreachable", func(h *kiosktest.Harness, code string) {
			h.OneAccounts.Fault(func(o *kiosktest.OneAccountOffice) {
				o.VerifyErr = fmt.Errorf("dial: %w", kiosk.ErrBackOfficeUnavailable)
			})
			typeCode(h, code)
		}, kiosk.MsgOAUnavailable, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := oaHarness(t, nil)
			toCodeStep(t, h)
			_, code := h.OneAccounts.LastCode()
			c.do(h, code)
			s := h.Wait(string(c.want), func(s kiosk.Snapshot) bool {
				return !s.Busy && s.OneAccount != nil && s.OneAccount.CodeError == c.want
			})
			if s.State != kiosk.StateOACode {
				t.Fatalf("state %s", s.State)
			}
			if open := oaView(t, s).ResendIn == 0; open != c.resendOpen {
				t.Errorf("resend open %t, want %t", open, c.resendOpen)
			}
			if c.resendOpen {
				h.OneAccounts.Fault(func(o *kiosktest.OneAccountOffice) { o.VerifyErr = nil })
				h.Press(kiosk.EvResendCode)
				h.Wait("new code", func(s kiosk.Snapshot) bool { return s.Notice == kiosk.MsgOACodeResent && !s.Busy })
				_, code = h.OneAccounts.LastCode()
				typeCode(h, code)
				h.WaitIdle(kiosk.StateOAEmail)
			}
		})
	}
}

func TestOneAccountResendCooldown(t *testing.T) {
	h := oaHarness(t, nil)
	toCodeStep(t, h)
	h.Tick(kiosk.OTPResendAfter - time.Second)
	h.Press(kiosk.EvResendCode)
	if s := h.Sync(); h.OneAccounts.Sent() != 1 || oaView(t, s).ResendIn != time.Second {
		t.Fatalf("resend during the cooldown: sent %d, view %+v", h.OneAccounts.Sent(), s.OneAccount)
	}
	h.Tick(time.Second)
	h.Press(kiosk.EvResendCode)
	s := h.Wait("resent", func(s kiosk.Snapshot) bool { return s.Notice == kiosk.MsgOACodeResent && !s.Busy })
	if h.OneAccounts.Sent() != 2 || oaView(t, s).ResendIn != kiosk.OTPResendAfter {
		t.Fatalf("after the cooldown: sent %d, view %+v", h.OneAccounts.Sent(), s.OneAccount)
	}
	// The first code is no longer the one asked for.
	first := "ch-1"
	if id, _ := h.OneAccounts.LastCode(); id == first {
		t.Fatal("no new challenge")
	}
}

// TestOneAccountSendFails: the code could not be sent: the phone step says why, and
// a retry goes with the same idempotency key (one SMS, however many retries).
func TestOneAccountSendFails(t *testing.T) {
	cases := []struct {
		err  error
		want kiosk.MsgKey
	}{
		{fmt.Errorf("timeout: %w", kiosk.ErrBackOfficeUnavailable), kiosk.MsgOAUnavailable},
		{fmt.Errorf("429: %w", kiosk.ErrOTPRateLimited), kiosk.MsgOARateLimited},
	}
	for _, c := range cases {
		t.Run(string(c.want), func(t *testing.T) {
			h := oaHarness(t, func(h *kiosktest.Harness) {
				h.OneAccounts.Fault(func(o *kiosktest.OneAccountOffice) { o.SendErr = c.err })
			})
			h.ToMenu()
			h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceOneAccount})
			h.WaitIdle(kiosk.StateOAPhone)
			h.Fill(kiosk.FieldPhoneNumber, oaPhone)
			h.Press(kiosk.EvContinue)
			s := h.Wait("send failed", func(s kiosk.Snapshot) bool { return s.Notice == c.want && !s.Busy })
			if s.State != kiosk.StateOAPhone {
				t.Fatalf("state %s", s.State)
			}
			h.OneAccounts.Fault(func(o *kiosktest.OneAccountOffice) { o.SendErr = nil })
			h.Press(kiosk.EvContinue)
			h.WaitIdle(kiosk.StateOACode)
			if ks := h.OneAccounts.WriteKeys(); len(ks) != 2 || ks[0] != ks[1] {
				t.Fatalf("keys %q: want the failed send and its retry under one key", ks)
			}
		})
	}
}

// TestOneAccountOpenFails: the account could not be opened: nothing is shown as done,
// the password step says so, and the next try opens it.
func TestOneAccountOpenFails(t *testing.T) {
	h := oaHarness(t, nil)
	subject := h.Subject("1234567(8)")
	toPasswordStep(t, h)
	h.OneAccounts.Fault(func(o *kiosktest.OneAccountOffice) { o.OpenErr = fmt.Errorf("503: %w", kiosk.ErrBackOfficeUnavailable) })
	h.Fill(kiosk.FieldServicePassword, oaPassword, kiosk.FieldPasswordConfirm, oaPassword)
	h.Press(kiosk.EvContinue)
	s := h.Wait("not opened", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateOAPassword && s.Message != "" })
	if s.Message != kiosk.MsgOAAccountNotOpened || oaView(t, s).PasswordLength != 0 || h.OneAccounts.Account(subject) != nil {
		t.Fatalf("message %q view %+v", s.Message, s.OneAccount)
	}
	h.OneAccounts.Fault(func(o *kiosktest.OneAccountOffice) { o.OpenErr = nil })
	h.Fill(kiosk.FieldServicePassword, oaPassword, kiosk.FieldPasswordConfirm, oaPassword)
	h.Press(kiosk.EvContinue)
	h.Wait("binding QR", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateOABind && s.OneAccount.QR != "" })
	if h.OneAccounts.Account(subject) == nil {
		t.Fatal("no account after the retry")
	}
}

// TestOneAccountOpenAnswers: what the back office may answer to "open" besides yes.
func TestOneAccountOpenAnswers(t *testing.T) {
	cases := []struct {
		name    string
		err     error
		state   kiosk.State
		message kiosk.MsgKey
		notice  kiosk.MsgKey
	}{
		{"exists: bind it", kiosk.ErrAccountExists, kiosk.StateOABind, "", kiosk.MsgOAAccountExists},
		{"code no longer good", kiosk.ErrOTPNotVerified, kiosk.StateOAPhone, kiosk.MsgOACodeAgain, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := oaHarness(t, nil)
			toPasswordStep(t, h)
			if c.err == kiosk.ErrAccountExists {
				h.OneAccounts.SetAccount(h.Subject("1234567(8)"), false)
			} else {
				h.OneAccounts.Fault(func(o *kiosktest.OneAccountOffice) { o.OpenErr = c.err })
			}
			h.Press(kiosk.EvContinue)
			s := h.Wait(string(c.state), func(s kiosk.Snapshot) bool { return s.State == c.state })
			if s.Message != c.message || s.Notice != c.notice {
				t.Fatalf("message %q notice %q", s.Message, s.Notice)
			}
		})
	}
}

// TestOneAccountMenu: the lookup's One Account status decides the way in.
func TestOneAccountMenu(t *testing.T) {
	later := kiosktest.Start.Add(30 * time.Minute)
	cases := []struct {
		name    string
		account kiosk.OneAccountStatus
		noPort  bool
		reason  kiosk.MsgKey
		to      kiosk.State
	}{
		{"none: open one", kiosk.OneAccountStatus{}, false, "", kiosk.StateOAPhone},
		{"exists, not bound: bind only", kiosk.OneAccountStatus{Exists: true}, false, "", kiosk.StateOABind},
		{"bound", kiosk.OneAccountStatus{Exists: true, DeviceBound: true}, false, kiosk.ReasonOneAccountBound, ""},
		{"password locked", kiosk.OneAccountStatus{Exists: true, PasswordLockedUntil: later}, false, kiosk.ReasonPasswordLocked, ""},
		{"no One Account service here", kiosk.OneAccountStatus{}, true, kiosk.ReasonOneAccountOffline, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := oaHarness(t, func(h *kiosktest.Harness) {
				h.BackOffice.Set(h.Subject("1234567(8)"), kiosk.ResidentRecord{Nationality: kiosk.ChineseNationality, OneAccount: c.account})
				if c.account.Exists {
					h.OneAccounts.SetAccount(h.Subject("1234567(8)"), c.account.DeviceBound)
				}
				if c.noPort {
					h.OneAccounts = nil
				}
			})
			menu := h.ToMenu()
			i := slices.IndexFunc(menu.Services, func(v kiosk.ServiceView) bool { return v.ID == kiosk.ServiceOneAccount })
			if v := menu.Services[i]; v.Reason != c.reason || v.Eligible != (c.reason == "") {
				t.Fatalf("menu: %+v", v)
			}
			h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceOneAccount})
			s := h.Sync()
			if c.to == "" {
				if s.State != kiosk.StateServiceMenu {
					t.Fatalf("ineligible service opened %s", s.State)
				}
				return
			}
			if c.to != kiosk.StateOABind {
				h.WaitState(c.to)
			} else {
				s = h.Wait("QR", func(s kiosk.Snapshot) bool { return s.State == c.to && s.OneAccount != nil && s.OneAccount.QR != "" })
				if !oaView(t, s).Existing || s.Notice != kiosk.MsgOAAccountExists {
					t.Fatalf("bind only: notice %q %+v", s.Notice, s.OneAccount)
				}
			}
		})
	}
}

// TestOneAccountBinding: the binding's ways to end besides a scan.
func TestOneAccountBinding(t *testing.T) {
	subject := kiosktest.Subjects{}.Hash("1234567(8)")
	cases := []struct {
		name  string
		setup func(h *kiosktest.Harness)
		act   func(t *testing.T, h *kiosktest.Harness)
		want  kiosk.MsgKey
		retry bool
	}{
		{"bound elsewhere meanwhile", func(h *kiosktest.Harness) {
			h.OneAccounts.SetAccount(subject, true)
		}, nil, kiosk.MsgOABindAlreadyBound, false},
		{"QRs lapse unscanned, each renewed", nil, func(t *testing.T, h *kiosktest.Harness) {
			seen := map[string]bool{}
			for n := 1; n <= kiosk.BindingQRs; n++ {
				s := h.Wait(fmt.Sprintf("QR %d", n), func(s kiosk.Snapshot) bool {
					return s.OneAccount != nil && s.OneAccount.QRNumber == n && s.OneAccount.QR != ""
				})
				if seen[s.OneAccount.QR] {
					t.Fatalf("QR %d is an old one", n)
				}
				seen[s.OneAccount.QR] = true
				h.Clock.Advance(kiosktest.FakeBindingTTL)
			}
		}, kiosk.MsgOABindNotScanned, true},
		{"back office stops answering", nil, func(t *testing.T, h *kiosktest.Harness) {
			h.Wait("QR", func(s kiosk.Snapshot) bool { return s.OneAccount != nil && s.OneAccount.QR != "" })
			h.OneAccounts.Fault(func(o *kiosktest.OneAccountOffice) { o.PollErr = fmt.Errorf("eof: %w", kiosk.ErrBackOfficeUnavailable) })
		}, kiosk.MsgOABindUnavailable, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := oaHarness(t, func(h *kiosktest.Harness) {
				h.BackOffice.Set(subject, kiosk.ResidentRecord{Nationality: kiosk.ChineseNationality, OneAccount: kiosk.OneAccountStatus{Exists: true}})
				h.OneAccounts.SetAccount(subject, false)
			})
			h.ToMenu()
			if c.setup != nil {
				c.setup(h)
			}
			h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceOneAccount})
			h.WaitState(kiosk.StateOABind)
			if c.act != nil {
				c.act(t, h)
			}
			s := h.Wait(string(c.want), func(s kiosk.Snapshot) bool { return s.OneAccount != nil && s.OneAccount.Failure != "" })
			if v := oaView(t, s); v.Failure != c.want || v.QR != "" || v.Bound || s.State != kiosk.StateOABind {
				t.Fatalf("state %s view %+v", s.State, v)
			}
			h.OneAccounts.Fault(func(o *kiosktest.OneAccountOffice) { o.PollErr = nil })
			h.Press(kiosk.EvContinue)
			if c.retry {
				h.Wait("a new QR", func(s kiosk.Snapshot) bool {
					return s.State == kiosk.StateOABind && s.OneAccount != nil && s.OneAccount.QR != "" && s.OneAccount.Failure == ""
				})
				return
			}
			h.WaitState(kiosk.StateTakeCard)
		})
	}
}

// TestOneAccountCardPulled: taking the card mid-way ends it all: nothing opened, the
// typed values gone with the session.
func TestOneAccountCardPulled(t *testing.T) {
	h := oaHarness(t, nil)
	toPasswordStep(t, h)
	h.Fill(kiosk.FieldServicePassword, oaPassword)
	h.Sync()
	h.Card.Remove()
	s := h.WaitState(kiosk.StateAttract)
	if s.OneAccount != nil || h.OneAccounts.Account(h.Subject("1234567(8)")) != nil {
		t.Fatalf("after the card was pulled: %+v", s.OneAccount)
	}
}

// TestOneAccountForgedAnswers: a back-office answer posted from outside the machine
// (the UI, a bug) moves nothing.
func TestOneAccountForgedAnswers(t *testing.T) {
	h := oaHarness(t, nil)
	toCodeStep(t, h)
	h.Press(kiosk.EvOTPVerified)
	if s := h.Sync(); s.State != kiosk.StateOACode {
		t.Fatalf("a forged verification moved to %s", s.State)
	}
}

func TestValidEmail(t *testing.T) {
	cases := []struct {
		in string
		ok bool
	}{
		{"chan@example.mo", true}, {"a.b+c@mail.gov.mo", true}, {"chan@example", false}, {"@example.mo", false},
		{"chan@@example.mo", false}, {"chan@.mo", false}, {"chan@example.", false}, {"chan example@x.mo", false},
		{"Chan@Example.mo", false}, {".chan@example.mo", false}, {"chan@ex..mo", false},
		{strings.Repeat("a", 96) + "@x.mo", false},
	}
	for _, c := range cases {
		if got := kiosk.ValidEmail(c.in); got != c.ok {
			t.Errorf("ValidEmail(%q) = %t, want %t", c.in, got, c.ok)
		}
	}
}

func TestServicePasswordProblems(t *testing.T) {
	cases := []struct {
		pw, confirm   string
		pwErr, cnfErr kiosk.MsgKey
	}{
		{"", "", "", ""},
		{"3971", "3971", "", ""},
		{"3971", "3972", "", kiosk.FormPasswordMismatch},
		{"3971", "", "", kiosk.FormPasswordMismatch},
		{"397", "397", kiosk.FormPasswordLength, ""},
		{"", "3971", kiosk.FormPasswordLength, ""},
		{"0000", "0000", kiosk.FormPasswordWeak, ""},
		{"1234", "1234", kiosk.FormPasswordWeak, ""},
		{"6543", "6543", kiosk.FormPasswordWeak, ""},
	}
	for _, c := range cases {
		a, b := kiosk.ServicePasswordProblems([]byte(c.pw), []byte(c.confirm))
		if a != c.pwErr || b != c.cnfErr {
			t.Errorf("%q/%q: %q %q, want %q %q", c.pw, c.confirm, a, b, c.pwErr, c.cnfErr)
		}
	}
}
