package backoffice

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/macau-dsi/kiosk/kiosk"
)

// OneAccounts is the kiosk's One Account and eID port over the contract
// (/v1/otp-challenges, /v1/one-accounts, /v1/eid-bindings): the problems the back
// office answers with become the kiosk's errors, so the session can say what happened.
type OneAccounts struct{ c *Client }

var _ kiosk.OneAccounts = (*OneAccounts)(nil)

// NewOneAccounts is the port over c.
func NewOneAccounts(c *Client) *OneAccounts { return &OneAccounts{c: c} }

// SendOTP implements kiosk.OneAccounts.
func (o *OneAccounts) SendOTP(ctx context.Context, key string, r kiosk.OTPRequest) (kiosk.OTPChallenge, error) {
	ch, err := o.c.SendOTP(ctx, key, OTPRequest{Subject: r.Subject, Phone: r.Phone, Purpose: OTPPurposeOneAccount, Language: r.Language})
	if err != nil {
		return kiosk.OTPChallenge{}, oneAccountError(err)
	}
	return kiosk.OTPChallenge{ID: ch.ChallengeID, ExpiresAt: ch.ExpiresAt, CodeLength: ch.CodeLength}, nil
}

// VerifyOTP implements kiosk.OneAccounts.
func (o *OneAccounts) VerifyOTP(ctx context.Context, key, challengeID, code string) error {
	_, err := o.c.VerifyOTP(ctx, key, challengeID, code)
	return oneAccountError(err)
}

// OpenAccount implements kiosk.OneAccounts. The sealed password goes as base64.
func (o *OneAccounts) OpenAccount(ctx context.Context, key string, r kiosk.AccountRequest) (kiosk.AccountOpened, error) {
	req := OneAccountRequest{Subject: r.Subject, Phone: r.Phone, OTPChallengeID: r.ChallengeID, Language: r.Language, Email: r.Email}
	if len(r.SealedPassword) > 0 {
		req.SealedServicePassword = base64.StdEncoding.EncodeToString(r.SealedPassword)
	}
	a, err := o.c.CreateOneAccount(ctx, key, req)
	if err != nil {
		return kiosk.AccountOpened{}, oneAccountError(err)
	}
	return kiosk.AccountOpened{PasswordSet: a.ServicePasswordSet}, nil
}

// StartBinding implements kiosk.OneAccounts.
func (o *OneAccounts) StartBinding(ctx context.Context, key, subject string) (kiosk.Binding, error) {
	b, err := o.c.StartEIDBinding(ctx, key, subject)
	if err != nil {
		return kiosk.Binding{}, oneAccountError(err)
	}
	return binding(b), nil
}

// Binding implements kiosk.OneAccounts.
func (o *OneAccounts) Binding(ctx context.Context, id string) (kiosk.Binding, error) {
	b, err := o.c.EIDBinding(ctx, id)
	if err != nil {
		return kiosk.Binding{}, oneAccountError(err)
	}
	return binding(b), nil
}

func binding(b EIDBinding) kiosk.Binding {
	return kiosk.Binding{ID: b.BindingID, Status: kiosk.BindingStatus(b.Status), QR: b.QRPayload, ExpiresAt: b.ExpiresAt}
}

// oneAccountCodes maps the contract's problem codes to the kiosk's errors.
var oneAccountCodes = map[string]error{
	CodeOTPExpired:     kiosk.ErrOTPExpired,
	CodeOTPLocked:      kiosk.ErrOTPLocked,
	CodeRateLimited:    kiosk.ErrOTPRateLimited,
	CodeOTPNotVerified: kiosk.ErrOTPNotVerified,
	CodeAccountExists:  kiosk.ErrAccountExists,
	CodeAccountMissing: kiosk.ErrAccountMissing,
	CodeAlreadyBound:   kiosk.ErrAlreadyBound,
}

// oneAccountError keeps the client's error (its kind: unavailable, TLS...) and adds
// the kiosk's meaning of the problem code.
func oneAccountError(err error) error {
	var e *Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	if e.Code() == CodeOTPWrong {
		left := 0
		if e.Problem.AttemptsLeft != nil {
			left = *e.Problem.AttemptsLeft
		}
		return fmt.Errorf("%w: %w", &kiosk.OTPWrongError{AttemptsLeft: left}, err)
	}
	if k, ok := oneAccountCodes[e.Code()]; ok {
		return fmt.Errorf("%w: %w", k, err)
	}
	return err
}
