package kiosk

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The One Account service as it really works: the resident's mobile number confirmed
// with an SMS code the back office sends, an optional e-mail, the terms accepted, an
// optional 4-digit service password (sealed to the back office's key, never kept on
// the kiosk), then the eID bound to the phone by scanning the kiosk's binding QR with
// the One Account app. Every step is a state in Transitions; this file holds the
// steps' rules, the port to the back office and the machine's side of them.

// OneAccounts is the port to the back office's One Account and eID services. Every
// write takes an idempotency key: a retry after a timeout is the same request.
type OneAccounts interface {
	// SendOTP has the back office send an SMS code to the phone.
	SendOTP(ctx context.Context, key string, r OTPRequest) (OTPChallenge, error)
	// VerifyOTP checks the code typed. A wrong code is an *OTPWrongError; an expired
	// challenge ErrOTPExpired; one with no tries left ErrOTPLocked.
	VerifyOTP(ctx context.Context, key, challengeID, code string) error
	// OpenAccount opens the account on a verified challenge. ErrAccountExists when
	// the resident has one already.
	OpenAccount(ctx context.Context, key string, r AccountRequest) (AccountOpened, error)
	// StartBinding starts an eID binding session: a signed, short-lived QR payload.
	// ErrAlreadyBound, ErrAccountMissing.
	StartBinding(ctx context.Context, key, subject string) (Binding, error)
	// Binding polls a binding session.
	Binding(ctx context.Context, id string) (Binding, error)
}

// OTPRequest asks for an SMS code to a phone, in the resident's language.
type OTPRequest struct {
	Subject  string
	Phone    string
	Language Language
}

// OTPChallenge is a sent code, verified by its id.
type OTPChallenge struct {
	ID         string
	ExpiresAt  time.Time
	CodeLength int
}

// AccountRequest opens a One Account. SealedPassword is the service password sealed
// to the back office's key with the challenge id as context (nil: no password).
type AccountRequest struct {
	Subject        string
	Phone          string
	Email          string // "" when the resident gave none
	ChallengeID    string
	Language       Language
	SealedPassword []byte
}

// AccountOpened is the back office's answer to an opened account.
type AccountOpened struct {
	PasswordSet bool
}

// BindingStatus is where an eID binding session stands.
type BindingStatus string

const (
	BindingPending BindingStatus = "pending"
	BindingBound   BindingStatus = "bound"
	BindingExpired BindingStatus = "expired"
)

// Binding is one eID binding session; QR is set while it is pending.
type Binding struct {
	ID        string
	Status    BindingStatus
	QR        string
	ExpiresAt time.Time
}

// Errors of the One Account port (adapters wrap them; ErrBackOfficeUnavailable is
// the one for "no answer").
var (
	ErrOTPExpired      = errors.New("one account: the code expired")
	ErrOTPLocked       = errors.New("one account: too many wrong codes")
	ErrOTPRateLimited  = errors.New("one account: too many codes sent")
	ErrOTPNotVerified  = errors.New("one account: no verified code for this phone")
	ErrAccountExists   = errors.New("one account: the resident has an account already")
	ErrAccountMissing  = errors.New("one account: the resident has no account")
	ErrAlreadyBound    = errors.New("one account: the eID is bound to a phone already")
	ErrBindingNotReady = errors.New("one account: the binding QR was not scanned in time")
)

// OTPWrongError is a wrong code with the tries left on the challenge.
type OTPWrongError struct{ AttemptsLeft int }

func (e *OTPWrongError) Error() string {
	return fmt.Sprintf("one account: wrong code (%d tries left)", e.AttemptsLeft)
}

// The rules of the steps, one home each.
const (
	// OTPResendAfter: a code can be sent again this long after the last one (an SMS
	// can take a while; the back office also limits codes per hour).
	OTPResendAfter = 60 * time.Second
	// OTPDigits is the SMS code's length when the back office does not say.
	OTPDigits = 6
	// EmailMaxLen is the longest e-mail address the kiosk takes.
	EmailMaxLen = 100
	// OneAccountTermsPages: the terms are paged (no scrolling on a kiosk); the text
	// is "one_account.terms.page<N>" in each language.
	OneAccountTermsPages = 6
	// BindingQRs: how many binding QRs are shown (each lives as long as the back
	// office says, 2 min for the reference one) before the kiosk gives up.
	BindingQRs = 4
	// bindingPollFailures: polls in a row that got no answer before the binding is
	// given up as unreachable.
	bindingPollFailures = 5
)

// Messages of the One Account screens.
const (
	MsgOACodeSent           MsgKey = "msg.oa_code_sent"
	MsgOACodeResent         MsgKey = "msg.oa_code_resent"
	MsgOACodeWrong          MsgKey = "msg.oa_code_wrong"
	MsgOACodeExpired        MsgKey = "msg.oa_code_expired"
	MsgOACodeLocked         MsgKey = "msg.oa_code_locked"
	MsgOACodeShort          MsgKey = "msg.oa_code_short"
	MsgOACodeAgain          MsgKey = "msg.oa_code_again"
	MsgOARateLimited        MsgKey = "msg.oa_rate_limited"
	MsgOAUnavailable        MsgKey = "msg.oa_backoffice_unavailable"
	MsgOAEmailInvalid       MsgKey = "msg.oa_email_invalid"
	MsgOATermsNotAccepted   MsgKey = "msg.oa_terms_not_accepted"
	MsgOAAccountExists      MsgKey = "msg.oa_account_exists"
	MsgOAAccountNotOpened   MsgKey = "msg.oa_account_not_opened"
	MsgOABindAlreadyBound   MsgKey = "msg.oa_bind_already_bound"
	MsgOABindNotScanned     MsgKey = "msg.oa_bind_not_scanned"
	MsgOABindUnavailable    MsgKey = "msg.oa_bind_unavailable"
	MsgOABindNoAccount      MsgKey = "msg.oa_bind_no_account"
	ReasonOneAccountOffline MsgKey = "reason.one_account_unavailable"
)

// OneAccountMsgKeys lists the keys above and the terms' pages (translation tests).
func OneAccountMsgKeys() []MsgKey {
	ks := []MsgKey{MsgOACodeSent, MsgOACodeResent, MsgOACodeWrong, MsgOACodeExpired, MsgOACodeLocked, MsgOACodeShort,
		MsgOACodeAgain, MsgOARateLimited, MsgOAUnavailable, MsgOAEmailInvalid, MsgOATermsNotAccepted, MsgOAAccountExists,
		MsgOAAccountNotOpened, MsgOABindAlreadyBound, MsgOABindNotScanned, MsgOABindUnavailable, MsgOABindNoAccount,
		ReasonOneAccountOffline, FormPhoneInvalid, FormPasswordLength, FormPasswordWeak, FormPasswordMismatch,
		FieldKey(FieldServicePassword), FieldKey(FieldPasswordConfirm)}
	for i := 1; i <= OneAccountTermsPages; i++ {
		ks = append(ks, TermsPageKey(i))
	}
	return ks
}

// TermsPageKey is the text key of page n (1-based) of the One Account terms.
func TermsPageKey(n int) MsgKey { return MsgKey(fmt.Sprintf("one_account.terms.page%d", n)) }

// NoPassword is EvContinue's Value for "continue without a service password".
const NoPassword = "no_password"

// Field names of the One Account steps (EvFormInput.Field).
const (
	FieldOTPCode = "otp_code"
	FieldEmail   = "email"
)

// OneAccountView is what the One Account screens show. Secrets never travel: the
// code and the password only as how many digits were typed.
type OneAccountView struct {
	Phone      string // the mobile number typed (the resident's own, on their screen)
	PhoneMax   int
	PhoneError MsgKey

	CodeLength    int           // digits typed
	CodeDigits    int           // digits the code has
	CodeError     MsgKey        // wrong, expired, locked, unreachable
	CodeTriesLeft int           // -1 until a wrong code was answered
	ResendIn      time.Duration // 0: "send again" may be touched
	CodeExpiresIn time.Duration

	Email      string
	EmailMax   int
	EmailError MsgKey

	TermsPage     int // 1-based
	TermsPages    int
	TermsAccepted bool

	PasswordLength, ConfirmLength, PasswordDigits int
	PasswordError, ConfirmError                   MsgKey
	// PasswordLock is how long the service password locks after too many wrong tries
	// (ServicePasswordLock), for the explanation.
	PasswordLock time.Duration

	// Existing: the resident had an account already; only the binding is done here.
	Existing    bool
	PasswordSet bool
	QR          string        // the binding QR payload, while pending
	QRExpiresIn time.Duration // its countdown
	QRNumber    int           // 1 for the first QR, 2 after one lapsed...
	Bound       bool
	// Failure says why the binding did not happen ("" while it may still).
	Failure MsgKey
}

// oaResults are the events only the machine's own work posts (with Event.oa).
var oaResults = map[EventKind]bool{
	EvOTPSent: true, EvOTPSendFailed: true, EvOTPVerified: true, EvOTPFailed: true,
	EvAccountOpened: true, EvAccountFailed: true, EvBindingUpdate: true, EvBindingFailed: true,
}

// oaSession is the machine's One Account state for the session; wiped with it.
type oaSession struct {
	existing bool
	phone    string
	phoneErr MsgKey

	sendKey     string // the idempotency key of the send in progress (kept for its retry)
	challenge   OTPChallenge
	sentAt      time.Time
	code        []byte
	codeErr     MsgKey
	triesLeft   int
	verifyKey   string
	verifyPhone string // the phone the verified challenge is for

	email    string
	emailErr MsgKey

	termsPage int
	accepted  bool

	pw, confirm       []byte
	pwErr, confirmErr MsgKey
	passwordSet       bool
	binding           Binding
	qrs               int
	bound             bool
	failure           MsgKey
}

// oaResult is what the back office answered, travelling in an Event.
type oaResult struct {
	account   OneAccountStatus // with the menu's services: what the lookup said
	challenge OTPChallenge
	opened    AccountOpened
	binding   Binding
	qrs       int
}

func (o *oaSession) wipe() {
	if o == nil {
		return
	}
	clear(o.code)
	clear(o.pw)
	clear(o.confirm)
	*o = oaSession{}
}

// ValidEmail is a light check of an e-mail address: one @, something before it, a
// domain with a dot after it, nothing but the characters addresses are written with.
// The code the back office sends later proves it; this only catches typing slips.
func ValidEmail(v string) bool {
	local, domain, ok := strings.Cut(v, "@")
	if !ok || local == "" || strings.Contains(domain, "@") || len(v) > EmailMaxLen {
		return false
	}
	dot := strings.LastIndexByte(domain, '.')
	if dot <= 0 || dot == len(domain)-1 || strings.Contains(domain, "..") || strings.HasPrefix(local, ".") {
		return false
	}
	return normalizeEmail(v) == v
}

// normalizeEmail keeps what an address is typed with, lower case, cut at EmailMaxLen.
func normalizeEmail(v string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(v) {
		if b.Len() >= EmailMaxLen {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || strings.ContainsRune("@._+-", r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// digitsUpTo keeps the digits of v, at most n.
func digitsUpTo(v string, n int) []byte {
	out := make([]byte, 0, n)
	for i := 0; i < len(v) && len(out) < n; i++ {
		if v[i] >= '0' && v[i] <= '9' {
			out = append(out, v[i])
		}
	}
	return out
}

// ServicePasswordProblems checks the optional service password and its confirmation:
// empty is no password; otherwise 4 digits, not a guess tried first, typed twice alike.
func ServicePasswordProblems(pw, confirm []byte) (pwErr, confirmErr MsgKey) {
	if len(pw) == 0 && len(confirm) == 0 {
		return "", ""
	}
	switch {
	case len(pw) != servicePasswordSize || !allDigits(string(pw)):
		return FormPasswordLength, ""
	case weakPassword(string(pw)):
		return FormPasswordWeak, ""
	case string(confirm) != string(pw):
		return "", FormPasswordMismatch
	}
	return "", ""
}

// newKey is a fresh idempotency key from the machine's randomness.
func newKey(r io.Reader) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("idempotency key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// --- the machine's side -------------------------------------------------------

// oneAccountGuard answers the One Account guards; known is false for other guards.
func (m *Machine) oneAccountGuard(g Guard, ev Event) (ok, known bool) {
	switch g {
	case GuardOneAccountOpen:
		return ev.Service == ServiceOneAccount && m.guard(GuardEligible, ev) && m.deps.OneAccounts != nil, true
	case GuardOneAccountBind:
		return ev.Service == ServiceOneAccount && m.guard(GuardEligible, ev) && m.deps.OneAccounts != nil &&
			m.oaStatus.Exists && !m.oaStatus.DeviceBound, true
	case GuardPhoneValid:
		return m.oa != nil && validMacauMobile(m.oa.phone) && !m.busy, true
	case GuardCodeComplete:
		return m.oa != nil && m.oa.challenge.ID != "" && len(m.oa.code) == m.codeDigits() && !m.busy, true
	case GuardResendAllowed:
		return m.oa != nil && !m.busy && !m.deps.Clock.Now().Before(m.oa.sentAt.Add(OTPResendAfter)), true
	case GuardEmailValid:
		return m.oa != nil && (m.oa.email == "" || ValidEmail(m.oa.email)), true
	case GuardTermsAccepted:
		return m.oa != nil && m.oa.accepted, true
	case GuardPasswordValid:
		if m.oa == nil {
			return false, true
		}
		a, b := ServicePasswordProblems(m.oa.pw, m.oa.confirm)
		return a == "" && b == "", true
	case GuardNoPassword:
		return ev.Value == NoPassword && m.oa != nil, true
	case GuardAccountExists:
		return errors.Is(ev.Err, ErrAccountExists), true
	case GuardCodeAgain:
		return errors.Is(ev.Err, ErrOTPNotVerified), true
	case GuardBindRetry:
		return m.oa != nil && (m.oa.failure == MsgOABindNotScanned || m.oa.failure == MsgOABindUnavailable), true
	case GuardBound:
		return ev.oa != nil && ev.oa.binding.Status == BindingBound, true
	}
	return false, false
}

func (m *Machine) codeDigits() int {
	if m.oa != nil && m.oa.challenge.CodeLength > 0 {
		return m.oa.challenge.CodeLength
	}
	return OTPDigits
}

// doOneAccount runs the One Account actions; false for other actions.
func (m *Machine) doOneAccount(now time.Time, a Action, ev Event) bool {
	switch a {
	case ActOAStart:
		m.oa.wipe()
		m.oa = &oaSession{triesLeft: -1, termsPage: 1}
		m.audit(now, "resident", "oneaccount.start", "")
	case ActOABindOnly:
		m.oa.wipe()
		m.oa = &oaSession{triesLeft: -1, termsPage: 1, existing: true}
		m.notice = MsgOAAccountExists
		m.audit(now, "resident", "oneaccount.start", "existing=true")
	case ActOAInput:
		m.oaInput(ev)
	case ActOAPhoneError:
		if m.oa != nil && !m.busy {
			m.oa.phoneErr = FormPhoneInvalid
		}
	case ActOASendCode:
		m.oaSendCode(now)
	case ActOACodeSent:
		m.busy = false
		resend := m.oa.challenge.ID != ""
		m.oa.challenge, m.oa.sentAt, m.oa.sendKey = ev.oa.challenge, now, ""
		clear(m.oa.code)
		m.oa.code, m.oa.codeErr, m.oa.triesLeft = nil, "", -1
		m.notice = MsgOACodeSent
		if resend {
			m.notice = MsgOACodeResent
		}
		m.audit(now, "system", "oneaccount.otp", fmt.Sprintf("sent resend=%t", resend))
	case ActOASendFailed:
		m.busy = false
		m.notice = oaErrorMessage(ev.Err)
		m.audit(now, "system", "oneaccount.otp", "send_failed error="+oaErrorCode(ev.Err))
	case ActOACodeShort:
		if m.oa != nil && !m.busy {
			m.oa.codeErr = MsgOACodeShort
		}
	case ActOAVerify:
		m.oaVerify()
	case ActOAVerified:
		m.busy = false
		m.oa.verifyPhone = m.oa.phone
		clear(m.oa.code)
		m.oa.code, m.oa.codeErr = nil, ""
		m.audit(now, "resident", "oneaccount.otp", "verified")
	case ActOAVerifyFailed:
		m.busy = false
		clear(m.oa.code)
		m.oa.code = nil
		var wrong *OTPWrongError
		switch {
		case errors.As(ev.Err, &wrong):
			m.oa.codeErr, m.oa.triesLeft = MsgOACodeWrong, wrong.AttemptsLeft
			if wrong.AttemptsLeft <= 0 {
				m.oa.codeErr = MsgOACodeLocked
			}
		case errors.Is(ev.Err, ErrOTPExpired):
			m.oa.codeErr = MsgOACodeExpired
		case errors.Is(ev.Err, ErrOTPLocked):
			m.oa.codeErr = MsgOACodeLocked
		default:
			m.oa.codeErr = MsgOAUnavailable
		}
		if m.oa.codeErr == MsgOACodeExpired || m.oa.codeErr == MsgOACodeLocked {
			m.oa.sentAt = time.Time{} // a new code is the only way on: no cooldown
		}
		m.audit(now, "resident", "oneaccount.otp", "verify_failed error="+oaErrorCode(ev.Err))
	case ActOAEmailError:
		if m.oa != nil {
			m.oa.emailErr = MsgOAEmailInvalid
		}
	case ActOATermsPage:
		switch {
		case ev.Value == "next" && m.oa.termsPage < OneAccountTermsPages:
			m.oa.termsPage++
		case ev.Value == "prev" && m.oa.termsPage > 1:
			m.oa.termsPage--
		}
	case ActOAAcceptTerms:
		// Accepting is on the last page: the resident has had every page in front of them.
		if m.oa.termsPage == OneAccountTermsPages || ev.Value != "yes" {
			m.oa.accepted = ev.Value == "yes"
			m.notice = ""
		}
	case ActOATermsNotice:
		m.notice = MsgOATermsNotAccepted
	case ActOANoPassword:
		clear(m.oa.pw)
		clear(m.oa.confirm)
		m.oa.pw, m.oa.confirm, m.oa.pwErr, m.oa.confirmErr = nil, nil, "", ""
	case ActOAPasswordErrors:
		m.oa.pwErr, m.oa.confirmErr = ServicePasswordProblems(m.oa.pw, m.oa.confirm)
	case ActOAOpen:
		m.oaOpen(now)
	case ActOAOpened:
		m.oa.passwordSet = ev.oa.opened.PasswordSet
		m.audit(now, "resident", "oneaccount.open", fmt.Sprintf("ok password=%t", ev.oa.opened.PasswordSet))
	case ActOAOpenFailed:
		// Nothing half-done is shown as done: the password step says the account was
		// not opened; a challenge no longer good sends the resident back for a code.
		switch {
		case errors.Is(ev.Err, ErrAccountExists):
			m.oa.existing = true
			m.notice = MsgOAAccountExists
		case errors.Is(ev.Err, ErrOTPNotVerified):
			m.message = MsgOACodeAgain
			m.oa.challenge, m.oa.sentAt = OTPChallenge{}, time.Time{}
		default:
			m.message = MsgOAAccountNotOpened
		}
		m.audit(now, "system", "oneaccount.open", "failed error="+oaErrorCode(ev.Err))
	case ActOABindStart:
		m.oaBind(now)
	case ActOABindUpdate:
		m.oa.binding, m.oa.qrs = ev.oa.binding, ev.oa.qrs
		if ev.oa.binding.Status == BindingBound {
			m.oa.bound = true
			m.audit(now, "resident", "eid.bind", "bound")
		}
	case ActOABindFailed:
		m.oa.failure = bindFailure(ev.Err)
		m.oa.binding = Binding{}
		m.audit(now, "system", "eid.bind", "failed error="+oaErrorCode(ev.Err))
	default:
		return false
	}
	return true
}

// oaInput takes what the resident typed on the current step's field.
func (m *Machine) oaInput(ev Event) {
	o := m.oa
	if o == nil || m.busy {
		return
	}
	switch {
	case m.state == StateOAPhone && ev.Field == FieldPhoneNumber:
		o.phone, o.phoneErr = string(digitsUpTo(ev.Value, macauMobileDigits)), ""
		m.notice = ""
	case m.state == StateOACode && ev.Field == FieldOTPCode:
		clear(o.code)
		o.code, o.codeErr = digitsUpTo(ev.Value, m.codeDigits()), ""
	case m.state == StateOAEmail && ev.Field == FieldEmail:
		o.email, o.emailErr = normalizeEmail(ev.Value), ""
	case m.state == StateOAPassword && ev.Field == FieldServicePassword:
		clear(o.pw)
		o.pw, o.pwErr = digitsUpTo(ev.Value, servicePasswordSize), ""
	case m.state == StateOAPassword && ev.Field == FieldPasswordConfirm:
		clear(o.confirm)
		o.confirm, o.confirmErr = digitsUpTo(ev.Value, servicePasswordSize), ""
	}
}

func (m *Machine) oaSendCode(now time.Time) {
	if m.busy || m.oa == nil {
		return
	}
	if m.oa.sendKey == "" {
		k, err := newKey(m.deps.Rand)
		if err != nil {
			m.report(err)
			m.notice = MsgOAUnavailable
			return
		}
		m.oa.sendKey = k
	}
	m.busy, m.notice = true, ""
	req := OTPRequest{Subject: m.subject, Phone: m.oa.phone, Language: m.lang}
	key, port := m.oa.sendKey, m.deps.OneAccounts
	m.goOp(m.cfg.LookupTimeout, func(ctx context.Context, post func(Event)) {
		ch, err := port.SendOTP(ctx, key, req)
		if err != nil {
			post(Event{Kind: EvOTPSendFailed, Err: err, oa: &oaResult{}})
			return
		}
		post(Event{Kind: EvOTPSent, oa: &oaResult{challenge: ch}})
	})
}

func (m *Machine) oaVerify() {
	if m.busy || m.oa == nil {
		return
	}
	key, err := newKey(m.deps.Rand) // a new code is a new request
	if err != nil {
		m.report(err)
		m.oa.codeErr = MsgOAUnavailable
		return
	}
	m.busy, m.notice = true, ""
	code := string(m.oa.code)
	id, port := m.oa.challenge.ID, m.deps.OneAccounts
	m.goOp(m.cfg.LookupTimeout, func(ctx context.Context, post func(Event)) {
		if err := port.VerifyOTP(ctx, key, id, code); err != nil {
			post(Event{Kind: EvOTPFailed, Err: err, oa: &oaResult{}})
			return
		}
		post(Event{Kind: EvOTPVerified, oa: &oaResult{}})
	})
}

// oaOpen seals the service password to the back office's key (bound to the
// challenge), wipes the digits, and opens the account. A failed try is not retried
// with the same key: the resident types the password again and a new request goes;
// if the first one did open the account after all, the answer is "exists" and the
// binding follows.
func (m *Machine) oaOpen(now time.Time) {
	m.busy = true
	o := m.oa
	req := AccountRequest{Subject: m.subject, Phone: o.verifyPhone, Email: o.email, ChallengeID: o.challenge.ID, Language: m.lang}
	fail := func(err error) {
		m.goOp(time.Second, func(_ context.Context, post func(Event)) {
			post(Event{Kind: EvAccountFailed, Err: err, oa: &oaResult{}})
		})
	}
	sealed, err := m.sealPassword(o)
	if err != nil {
		fail(err)
		return
	}
	req.SealedPassword = sealed
	key, err := newKey(m.deps.Rand)
	if err != nil {
		fail(err)
		return
	}
	port := m.deps.OneAccounts
	m.goOp(m.cfg.SubmitTimeout, func(ctx context.Context, post func(Event)) {
		opened, err := port.OpenAccount(ctx, key, req)
		if err != nil {
			post(Event{Kind: EvAccountFailed, Err: err, oa: &oaResult{}})
			return
		}
		post(Event{Kind: EvAccountOpened, oa: &oaResult{opened: opened}})
	})
}

// sealPassword seals the typed service password (nil when none was typed) and wipes
// the digits either way.
func (m *Machine) sealPassword(o *oaSession) ([]byte, error) {
	defer func() {
		clear(o.pw)
		clear(o.confirm)
		o.pw, o.confirm = nil, nil
	}()
	if len(o.pw) == 0 {
		return nil, nil
	}
	sealed, err := m.deps.Sealer.Seal(o.pw, o.challenge.ID)
	if err != nil {
		return nil, fmt.Errorf("sealing the service password: %w", err)
	}
	return sealed, nil
}

// oaBind starts the binding and follows it: polls the session, starts a new one
// (a new QR) when it lapses, up to BindingQRs, and reports each change.
func (m *Machine) oaBind(now time.Time) {
	m.oa.binding, m.oa.failure, m.oa.qrs, m.oa.bound = Binding{}, "", 0, false
	keys := make([]string, BindingQRs)
	for i := range keys {
		k, err := newKey(m.deps.Rand)
		if err != nil {
			m.report(err)
			m.oa.failure = MsgOABindUnavailable
			return
		}
		keys[i] = k
	}
	port, subject, poll, clock := m.deps.OneAccounts, m.subject, m.cfg.BindingPoll, m.deps.Clock
	// The whole binding: every QR's life plus polling slack.
	m.goOp(BindingQRs*10*time.Minute, func(ctx context.Context, post func(Event)) {
		for n := 1; n <= BindingQRs; n++ {
			b, err := port.StartBinding(ctx, keys[n-1], subject)
			if err != nil {
				post(Event{Kind: EvBindingFailed, Err: err, oa: &oaResult{}})
				return
			}
			post(Event{Kind: EvBindingUpdate, oa: &oaResult{binding: b, qrs: n}})
			b, err = followBinding(ctx, port, b, poll, clock)
			switch {
			case err != nil:
				post(Event{Kind: EvBindingFailed, Err: err, oa: &oaResult{}})
				return
			case b.Status == BindingBound:
				post(Event{Kind: EvBindingUpdate, oa: &oaResult{binding: b, qrs: n}})
				return
			}
			// Lapsed unscanned: the next round shows a new QR.
		}
		post(Event{Kind: EvBindingFailed, Err: ErrBindingNotReady, oa: &oaResult{}})
	})
}

// followBinding polls b until it is bound or lapsed (by its status or its expiry).
// A few polls without an answer in a row are given up as unreachable.
func followBinding(ctx context.Context, port OneAccounts, b Binding, every time.Duration, clock Clock) (Binding, error) {
	failures := 0
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return b, ctx.Err()
		case <-t.C:
		}
		cur, err := port.Binding(ctx, b.ID)
		switch {
		case err != nil && ctx.Err() != nil:
			return b, ctx.Err()
		case err != nil:
			failures++
			if failures >= bindingPollFailures {
				return b, err
			}
			continue
		}
		failures = 0
		switch {
		case cur.Status == BindingBound:
			return cur, nil
		case cur.Status == BindingExpired, !clock.Now().Before(b.ExpiresAt):
			cur.Status = BindingExpired
			return cur, nil
		}
	}
}

// oaErrorMessage is the message for a code that could not be sent.
func oaErrorMessage(err error) MsgKey {
	if errors.Is(err, ErrOTPRateLimited) {
		return MsgOARateLimited
	}
	return MsgOAUnavailable
}

// bindFailure is the bind screen's reason when the binding did not happen.
func bindFailure(err error) MsgKey {
	switch {
	case errors.Is(err, ErrAlreadyBound):
		return MsgOABindAlreadyBound
	case errors.Is(err, ErrAccountMissing):
		return MsgOABindNoAccount
	case errors.Is(err, ErrBindingNotReady):
		return MsgOABindNotScanned
	}
	return MsgOABindUnavailable
}

// oaErrorCode names an error in an audit row: a code, never a message that could
// carry what the resident typed.
func oaErrorCode(err error) string {
	var wrong *OTPWrongError
	switch {
	case errors.As(err, &wrong):
		return fmt.Sprintf("wrong tries_left=%d", wrong.AttemptsLeft)
	case errors.Is(err, ErrOTPExpired):
		return "expired"
	case errors.Is(err, ErrOTPLocked):
		return "locked"
	case errors.Is(err, ErrOTPRateLimited):
		return "rate_limited"
	case errors.Is(err, ErrOTPNotVerified):
		return "not_verified"
	case errors.Is(err, ErrAccountExists):
		return "account_exists"
	case errors.Is(err, ErrAccountMissing):
		return "account_missing"
	case errors.Is(err, ErrAlreadyBound):
		return "already_bound"
	case errors.Is(err, ErrBindingNotReady):
		return "not_scanned"
	case errors.Is(err, ErrBackOfficeUnavailable), errors.Is(err, context.DeadlineExceeded):
		return "unavailable"
	}
	return "other"
}

// oneAccountView is the snapshot's view of the One Account steps.
func (m *Machine) oneAccountView(now time.Time) *OneAccountView {
	o := m.oa
	if o == nil {
		return nil
	}
	v := &OneAccountView{
		Phone: o.phone, PhoneMax: macauMobileDigits, PhoneError: o.phoneErr,
		CodeLength: len(o.code), CodeDigits: m.codeDigits(), CodeError: o.codeErr, CodeTriesLeft: o.triesLeft,
		Email: o.email, EmailMax: EmailMaxLen, EmailError: o.emailErr,
		TermsPage: o.termsPage, TermsPages: OneAccountTermsPages, TermsAccepted: o.accepted,
		PasswordLength: len(o.pw), ConfirmLength: len(o.confirm), PasswordDigits: servicePasswordSize,
		PasswordError: o.pwErr, ConfirmError: o.confirmErr, PasswordLock: ServicePasswordLock,
		Existing: o.existing, PasswordSet: o.passwordSet, QRNumber: o.qrs, Bound: o.bound, Failure: o.failure,
	}
	if !o.sentAt.IsZero() {
		v.ResendIn = max(o.sentAt.Add(OTPResendAfter).Sub(now), 0)
	}
	if !o.challenge.ExpiresAt.IsZero() {
		v.CodeExpiresIn = max(o.challenge.ExpiresAt.Sub(now), 0)
	}
	if o.binding.Status == BindingPending && o.failure == "" {
		v.QR = o.binding.QR
		v.QRExpiresIn = max(o.binding.ExpiresAt.Sub(now), 0)
	}
	return v
}
