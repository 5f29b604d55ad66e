package backoffice

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/macau-dsi/kiosk/kiosk"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// ProblemTypeBase prefixes each problem's type URI (the code follows).
const ProblemTypeBase = "https://backoffice.dsi.example/problems/"

// Problem codes (the contract's Problem.code enum).
const (
	CodeInvalidRequest       = "invalid-request"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not-found"
	CodeConflict             = "conflict"
	CodeIdempotencyKeyReused = "idempotency-key-reused"
	CodePaymentRequired      = "payment-required"
	CodeOrderPaid            = "order-paid"
	CodeOrderNotPaid         = "order-not-paid"
	CodeOrderClosed          = "order-closed"
	CodeOTPWrong             = "otp-wrong"
	CodeOTPExpired           = "otp-expired"
	CodeOTPLocked            = "otp-locked"
	CodeOTPNotVerified       = "otp-not-verified"
	CodeAccountExists        = "account-exists"
	CodeAccountMissing       = "account-missing"
	CodeAlreadyBound         = "already-bound"
	CodeQRInvalid            = "qr-invalid"
	CodeQRExpired            = "qr-expired"
	CodeQRReplayed           = "qr-replayed"
	CodeRateLimited          = "rate-limited"
	CodeUnavailable          = "unavailable"
	CodeInternal             = "internal"
)

// Problem is an RFC 9457 problem as the contract defines it.
type Problem struct {
	Type         string `json:"type"`
	Title        string `json:"title"`
	Status       int    `json:"status"`
	Detail       string `json:"detail,omitempty"`
	Instance     string `json:"instance,omitempty"`
	Code         string `json:"code"`
	AttemptsLeft *int   `json:"attempts_left,omitempty"`
}

// NewProblem builds a problem from its status and code. detail must hold no personal data.
func NewProblem(status int, code, detail string) Problem {
	return Problem{Type: ProblemTypeBase + code, Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// Sentinels the client's errors unwrap to, by what the caller can do about them.
var (
	// ErrUnavailable: no answer (down, refused, timed out) or a 5xx: try later.
	// It wraps kiosk.ErrBackOfficeUnavailable, so the kiosk's rules see it as such.
	ErrUnavailable = fmt.Errorf("backoffice: %w", kiosk.ErrBackOfficeUnavailable)
	// ErrTLS: the TLS handshake failed (wrong CA, expired or unknown certificate, not
	// a TLS server). A configuration fault, never retried over plain HTTP.
	ErrTLS = errors.New("backoffice: TLS handshake failed")
	// ErrConfig: the client's options are unusable (http:// URL, missing or expired
	// certificate, CA file with no certificate).
	ErrConfig = errors.New("backoffice: bad client configuration")
	// ErrNotFound: 404, the resident, order, challenge or binding is not known.
	ErrNotFound = errors.New("backoffice: not found")
	// ErrConflict: 409, the request contradicts the back office's state (an order
	// already paid, an idempotency key reused for another body, a replayed QR).
	ErrConflict = errors.New("backoffice: conflict")
	// ErrInvalid: 400/422, the request is malformed or refused as such (a wrong OTP code).
	ErrInvalid = errors.New("backoffice: invalid request")
	// ErrForbidden: 401/403, this kiosk may not do this.
	ErrForbidden = errors.New("backoffice: forbidden")
	// ErrGone: 410, an OTP challenge, binding or QR expired.
	ErrGone = errors.New("backoffice: expired")
	// ErrRateLimited: 429, too many tries (an OTP challenge locked).
	ErrRateLimited = errors.New("backoffice: too many requests")
)

// Error is a failed call. Op names the route (never its parameters: the subject and
// references stay out of error text that may reach a log).
type Error struct {
	Op      string   // e.g. "GET /v1/residents/{subject}"
	Status  int      // HTTP status, 0 when there was no answer
	Problem *Problem // the decoded problem, when the back office sent one
	Err     error    // underlying cause (network, TLS, decoding), if any
	kind    error    // one of the sentinels
}

func (e *Error) Error() string {
	msg := "backoffice: " + e.Op
	switch {
	case e.kind == ErrTLS:
		msg += ": TLS handshake failed (check the kiosk's client certificate and key, and the back office CA)"
	case e.kind == ErrUnavailable && e.Status == 0:
		msg += ": back office unavailable"
	}
	if e.Status != 0 {
		msg += fmt.Sprintf(": %d", e.Status)
	}
	if e.Problem != nil {
		msg += " " + e.Problem.Code
		if e.Problem.Detail != "" {
			msg += ": " + e.Problem.Detail
		}
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap gives errors.Is/As the sentinel (and through ErrUnavailable the kiosk's),
// and the cause.
func (e *Error) Unwrap() []error {
	out := []error{e.kind}
	if e.kind == ErrTLS {
		// To the kiosk a back office it cannot talk to is unavailable, whatever the
		// reason; ErrTLS still tells staff it is the certificates.
		out = append(out, kiosk.ErrBackOfficeUnavailable)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Code is the problem code, "" when there was none.
func (e *Error) Code() string {
	if e.Problem == nil {
		return ""
	}
	return e.Problem.Code
}

// kindOf maps an HTTP status to a sentinel.
func kindOf(status int) error {
	switch {
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return ErrInvalid
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusGone:
		return ErrGone
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status >= 500:
		return ErrUnavailable
	}
	return ErrInvalid
}
