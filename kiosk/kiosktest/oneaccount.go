package kiosktest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

var _ kiosk.OneAccounts = (*OneAccountOffice)(nil)

// The fake's rules, as the reference back office's (cmd/kiosk-backoffice).
const (
	FakeOTPTTL      = 5 * time.Minute
	FakeOTPAttempts = 3
	FakeBindingTTL  = 2 * time.Minute
)

// OneAccountOffice is a fake of the back office's One Account side with the same
// rules as the reference one: codes that expire and lock, one account per resident,
// bindings whose QR lapses. Its SMS gateway is LastCode; its One Account app is Scan.
// Each write is recorded with its idempotency key; a repeated key returns the first
// answer, as the contract says.
type OneAccountOffice struct {
	mu         sync.Mutex
	clock      kiosk.Clock
	n          int
	last       string // the newest challenge
	challenges map[string]*fakeChallenge
	accounts   map[string]*FakeAccount
	bindings   map[string]*fakeBinding
	seen       map[string]any // idempotency key -> first answer
	// Keys lists the idempotency keys in the order the writes came ("op:key").
	Keys []string

	// Faults: returned by the next calls while set.
	SendErr, VerifyErr, OpenErr, StartErr, PollErr error
	// Gate holds OpenAccount until released.
	Gate Gate
}

type fakeChallenge struct {
	subject, phone, code string
	expires              time.Time
	left                 int
	verified, used       bool
}

// FakeAccount is an opened account as the fake holds it.
type FakeAccount struct {
	Phone, Email   string
	SealedPassword []byte
	ChallengeID    string
	Bound          bool
}

type fakeBinding struct {
	subject string
	expires time.Time
	bound   bool
}

// NewOneAccountOffice starts with no accounts.
func NewOneAccountOffice(clock kiosk.Clock) *OneAccountOffice {
	return &OneAccountOffice{clock: clock, challenges: map[string]*fakeChallenge{}, accounts: map[string]*FakeAccount{},
		bindings: map[string]*fakeBinding{}, seen: map[string]any{}}
}

// Fault changes the fault fields while the machine may be calling (under the lock).
func (o *OneAccountOffice) Fault(f func(o *OneAccountOffice)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f(o)
}

// WriteKeys returns the writes' idempotency keys so far ("op:key", in order).
func (o *OneAccountOffice) WriteKeys() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.Keys...)
}

// SetAccount gives subject an account (bound or not), as the lookup would report.
func (o *OneAccountOffice) SetAccount(subject string, bound bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.accounts[subject] = &FakeAccount{Bound: bound}
}

// Account returns subject's account, nil if none.
func (o *OneAccountOffice) Account(subject string) *FakeAccount {
	o.mu.Lock()
	defer o.mu.Unlock()
	if a := o.accounts[subject]; a != nil {
		c := *a
		return &c
	}
	return nil
}

// LastCode is the newest code sent (the simulated SMS) and its challenge id.
func (o *OneAccountOffice) LastCode() (id, code string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c := o.challenges[o.last]; c != nil {
		return o.last, c.code
	}
	return "", ""
}

// Sent counts the codes sent.
func (o *OneAccountOffice) Sent() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.challenges)
}

// Scan is the One Account app scanning a binding QR: it binds the eID.
func (o *OneAccountOffice) Scan(qr string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.bindings[qr]
	switch {
	case b == nil:
		return fmt.Errorf("fake: no binding for QR %q", qr)
	case !o.clock.Now().Before(b.expires):
		return fmt.Errorf("fake: binding QR expired")
	case b.bound:
		return fmt.Errorf("fake: binding QR replayed")
	}
	b.bound = true
	if a := o.accounts[b.subject]; a != nil {
		a.Bound = true
	}
	return nil
}

// once records the write's key, answers with fault when set, else runs f once per key.
func (o *OneAccountOffice) once(op, key string, fault error, f func() (any, error)) (any, error) {
	o.Keys = append(o.Keys, op+":"+key)
	if key == "" {
		return nil, fmt.Errorf("fake: %s without an idempotency key", op)
	}
	if fault != nil {
		return nil, fault
	}
	if v, ok := o.seen[op+":"+key]; ok {
		if err, ok := v.(error); ok {
			return nil, err
		}
		return v, nil
	}
	v, err := f()
	if err == nil {
		o.seen[op+":"+key] = v
	}
	return v, err
}

// SendOTP implements kiosk.OneAccounts.
func (o *OneAccountOffice) SendOTP(ctx context.Context, key string, r kiosk.OTPRequest) (kiosk.OTPChallenge, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, err := o.once("send", key, o.SendErr, func() (any, error) {
		o.n++
		id := fmt.Sprintf("ch-%d", o.n)
		c := &fakeChallenge{subject: r.Subject, phone: r.Phone, code: fmt.Sprintf("%06d", 100000+o.n*7919%900000),
			expires: o.clock.Now().Add(FakeOTPTTL), left: FakeOTPAttempts}
		o.challenges[id] = c
		o.last = id
		return kiosk.OTPChallenge{ID: id, ExpiresAt: c.expires, CodeLength: 6}, nil
	})
	if err != nil {
		return kiosk.OTPChallenge{}, err
	}
	return v.(kiosk.OTPChallenge), nil
}

// VerifyOTP implements kiosk.OneAccounts.
func (o *OneAccountOffice) VerifyOTP(ctx context.Context, key, id, code string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, err := o.once("verify", key, o.VerifyErr, func() (any, error) {
		c := o.challenges[id]
		switch {
		case c == nil:
			return nil, fmt.Errorf("fake: no challenge %s", id)
		case c.verified:
			return true, nil
		case !o.clock.Now().Before(c.expires):
			return nil, kiosk.ErrOTPExpired
		case c.left <= 0:
			return nil, kiosk.ErrOTPLocked
		case code != c.code:
			c.left--
			return nil, &kiosk.OTPWrongError{AttemptsLeft: c.left}
		}
		c.verified = true
		return true, nil
	})
	return err
}

// OpenAccount implements kiosk.OneAccounts.
func (o *OneAccountOffice) OpenAccount(ctx context.Context, key string, r kiosk.AccountRequest) (kiosk.AccountOpened, error) {
	if err := o.Gate.wait(ctx); err != nil {
		return kiosk.AccountOpened{}, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	v, err := o.once("open", key, o.OpenErr, func() (any, error) {
		c := o.challenges[r.ChallengeID]
		if o.accounts[r.Subject] != nil {
			return nil, kiosk.ErrAccountExists
		}
		if c == nil || !c.verified || c.used || c.subject != r.Subject || c.phone != r.Phone {
			return nil, kiosk.ErrOTPNotVerified
		}
		c.used = true
		o.accounts[r.Subject] = &FakeAccount{Phone: r.Phone, Email: r.Email, SealedPassword: r.SealedPassword, ChallengeID: r.ChallengeID}
		return kiosk.AccountOpened{PasswordSet: r.SealedPassword != nil}, nil
	})
	if err != nil {
		return kiosk.AccountOpened{}, err
	}
	return v.(kiosk.AccountOpened), nil
}

// StartBinding implements kiosk.OneAccounts. The QR payload is the binding id.
func (o *OneAccountOffice) StartBinding(ctx context.Context, key, subject string) (kiosk.Binding, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, err := o.once("bind", key, o.StartErr, func() (any, error) {
		a := o.accounts[subject]
		switch {
		case a == nil:
			return nil, kiosk.ErrAccountMissing
		case a.Bound:
			return nil, kiosk.ErrAlreadyBound
		}
		o.n++
		id := fmt.Sprintf("bind-%d", o.n)
		b := &fakeBinding{subject: subject, expires: o.clock.Now().Add(FakeBindingTTL)}
		o.bindings[id] = b
		return kiosk.Binding{ID: id, Status: kiosk.BindingPending, QR: id, ExpiresAt: b.expires}, nil
	})
	if err != nil {
		return kiosk.Binding{}, err
	}
	return v.(kiosk.Binding), nil
}

// Binding implements kiosk.OneAccounts.
func (o *OneAccountOffice) Binding(ctx context.Context, id string) (kiosk.Binding, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.PollErr != nil {
		return kiosk.Binding{}, o.PollErr
	}
	b := o.bindings[id]
	if b == nil {
		return kiosk.Binding{}, fmt.Errorf("fake: no binding %s", id)
	}
	out := kiosk.Binding{ID: id, Status: kiosk.BindingPending, QR: id, ExpiresAt: b.expires}
	switch {
	case b.bound:
		out.Status, out.QR = kiosk.BindingBound, ""
	case !o.clock.Now().Before(b.expires):
		out.Status, out.QR = kiosk.BindingExpired, ""
	}
	return out, nil
}
