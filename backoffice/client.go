// Package backoffice is the kiosk's client of the DSI back office (api/backoffice.yaml):
// HTTPS with mutual TLS only, a timeout on every call, an Idempotency-Key on every
// write, RFC 9457 problems decoded into errors that unwrap to this package's sentinels.
// Logs name routes, statuses and problem codes, never a subject, reference, phone
// number or password.
package backoffice

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

var _ kiosk.BackOffice = (*Client)(nil)

// Options configure a Client. cmd/kiosk fills them from its configuration.
type Options struct {
	// BaseURL is the back office's https:// URL; http:// is refused.
	BaseURL string
	// CertFile and KeyFile are the kiosk's client certificate and key (PEM); the
	// certificate's common name is the kiosk id.
	CertFile, KeyFile string
	// CAFile holds the CA certificate(s) (PEM) that issued the back office's certificate.
	CAFile string
	// KioskID, when set, must equal the client certificate's common name.
	KioskID string
	// Timeout bounds each call, connection and TLS handshake included (default 10s).
	Timeout time.Duration
	// AuditHead returns the kiosk's audit chain head; Submit sends it with every
	// application. Required for Submit.
	AuditHead func(context.Context) (AuditAnchor, error)
	// Logger receives one line per call (route, status, code, duration). nil: silent.
	Logger *slog.Logger
	// Now is the clock for the certificate check (default time.Now).
	Now func() time.Time
}

// DefaultTimeout bounds a call when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxBody caps what the client reads of an answer.
const maxBody = 1 << 20

// Client talks to the back office. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	kioskID   string
	timeout   time.Duration
	http      *http.Client
	auditHead func(context.Context) (AuditAnchor, error)
	log       *slog.Logger
}

// New checks the options and builds a client. Every configuration fault is an error
// wrapping ErrConfig that names the option and the fix; none falls back to plain HTTP.
func New(o Options) (*Client, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: base URL %q is not an absolute URL", ErrConfig, o.BaseURL)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("%w: base URL %q: only https:// is allowed (the back office is reached over mutual TLS)", ErrConfig, o.BaseURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: base URL must have no user, query or fragment", ErrConfig)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if o.CertFile == "" || o.KeyFile == "" || o.CAFile == "" {
		return nil, fmt.Errorf("%w: client certificate, key and CA files are all required", ErrConfig)
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: client certificate %s / key %s: %v", ErrConfig, o.CertFile, o.KeyFile, err)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("%w: client certificate %s: %v", ErrConfig, o.CertFile, err)
		}
	}
	// Checked here so that an expired certificate is named at start-up, not hidden
	// behind the back office's "bad certificate" alert on every call.
	if t := now(); t.After(leaf.NotAfter) {
		return nil, fmt.Errorf("%w: client certificate %s expired on %s: install a new one", ErrConfig, o.CertFile, leaf.NotAfter.UTC().Format(time.DateOnly))
	} else if t.Before(leaf.NotBefore) {
		return nil, fmt.Errorf("%w: client certificate %s is not valid before %s (check the clock)", ErrConfig, o.CertFile, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	kioskID := leaf.Subject.CommonName
	if kioskID == "" {
		return nil, fmt.Errorf("%w: client certificate %s has no common name (the kiosk id)", ErrConfig, o.CertFile)
	}
	if o.KioskID != "" && o.KioskID != kioskID {
		return nil, fmt.Errorf("%w: client certificate %s is for kiosk %q, this kiosk is %q", ErrConfig, o.CertFile, kioskID, o.KioskID)
	}
	caPEM, err := os.ReadFile(o.CAFile)
	if err != nil {
		return nil, fmt.Errorf("%w: back office CA: %v", ErrConfig, err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%w: back office CA %s holds no PEM certificate", ErrConfig, o.CAFile)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tr := &http.Transport{
		Proxy:               nil, // the back office is reached directly, never through an environment proxy
		DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, Certificates: []tls.Certificate{cert}},
		TLSHandshakeTimeout: timeout,
		// HTTP/1.1 only: with TLS 1.3 the back office refuses a client certificate
		// after the handshake, and HTTP/2's connection set-up then reports "client
		// conn could not be established" without the alert; HTTP/1.1 reads the
		// alert itself, so the error says what is wrong.
		ForceAttemptHTTP2:     false,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxIdleConns:          4,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	hc := &http.Client{
		Transport: tr,
		// A redirect could lead off the mutually authenticated host (or to http://).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, kioskID: kioskID, timeout: timeout, http: hc, auditHead: o.AuditHead, log: o.Logger}, nil
}

// KioskID is the kiosk id of the client certificate.
func (c *Client) KioskID() string { return c.kioskID }

// Close drops idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// call is one request. route is the path template (for logs and errors), segs the
// values of its {placeholders} in order. key is the Idempotency-Key: required for
// every method but GET.
func (c *Client) call(ctx context.Context, method, route string, segs []string, key string, in, out any) error {
	op := method + " " + route
	if method != http.MethodGet && key == "" {
		return &Error{Op: op, kind: ErrConfig, Err: errors.New("a write needs an Idempotency-Key")}
	}
	path, err := expand(route, segs)
	if err != nil {
		return &Error{Op: op, kind: ErrConfig, Err: err}
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &Error{Op: op, kind: ErrConfig, Err: fmt.Errorf("encoding request: %w", err)}
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return &Error{Op: op, kind: ErrConfig, Err: err}
	}
	req.Header.Set("Accept", "application/json, "+ProblemContentType)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		e := c.transportError(op, ctx, err)
		c.logCall(ctx, op, 0, "", start, e)
		return e
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		e := c.transportError(op, ctx, err)
		c.logCall(ctx, op, resp.StatusCode, "", start, e)
		return e
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Op: op, Status: resp.StatusCode, kind: kindOf(resp.StatusCode)}
		if isProblem(resp.Header.Get("Content-Type")) {
			var p Problem
			if json.Unmarshal(raw, &p) == nil && p.Code != "" {
				e.Problem = &p
			}
		}
		if e.Problem == nil && resp.StatusCode < 500 {
			// A 4xx without a problem body is not from a back office that speaks the
			// contract (a proxy, a wrong URL).
			e.Err = fmt.Errorf("answer is %q, not a problem", resp.Header.Get("Content-Type"))
		}
		c.logCall(ctx, op, resp.StatusCode, e.Code(), start, e)
		return e
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e := &Error{Op: op, Status: resp.StatusCode, kind: ErrUnavailable, Err: fmt.Errorf("decoding answer: %w", err)}
			c.logCall(ctx, op, resp.StatusCode, "", start, e)
			return e
		}
	}
	c.logCall(ctx, op, resp.StatusCode, "", start, nil)
	return nil
}

func isProblem(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == ProblemContentType
}

// expand fills the route's {placeholders}, escaping each value.
func expand(route string, segs []string) (string, error) {
	var b strings.Builder
	rest := route
	for _, s := range segs {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			return "", fmt.Errorf("route %s: too many values", route)
		}
		if s == "" || strings.ContainsAny(s, "/?#") {
			return "", fmt.Errorf("route %s: empty or malformed %s", route, rest[i:j+1])
		}
		b.WriteString(rest[:i])
		b.WriteString(url.PathEscape(s))
		rest = rest[j+1:]
	}
	if strings.IndexByte(rest, '{') >= 0 {
		return "", fmt.Errorf("route %s: missing values", route)
	}
	b.WriteString(rest)
	return b.String(), nil
}

// transportError classifies a failure to get an answer.
func (c *Client) transportError(op string, ctx context.Context, err error) *Error {
	// *url.Error repeats the URL, which holds the subject or reference: keep only
	// its cause, the route is in Op.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if isTLSError(err) {
		return &Error{Op: op, kind: ErrTLS, Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded {
		return &Error{Op: op, kind: ErrUnavailable, Err: fmt.Errorf("no answer within %s: %w", c.timeout, context.DeadlineExceeded)}
	}
	return &Error{Op: op, kind: ErrUnavailable, Err: err}
}

func isTLSError(err error) bool {
	var (
		verr   *tls.CertificateVerificationError
		rec    tls.RecordHeaderError
		unk    x509.UnknownAuthorityError
		inval  x509.CertificateInvalidError
		host   x509.HostnameError
		opErr  *net.OpError
		alertE tls.AlertError
	)
	switch {
	case errors.As(err, &verr), errors.As(err, &rec), errors.As(err, &unk), errors.As(err, &inval),
		errors.As(err, &host), errors.As(err, &alertE):
		return true
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// A TLS alert from the back office (it refused our certificate).
		return true
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// net/http's own words (a plain string error) for a plain HTTP server.
		return true
	}
	return false
}

// logCall writes one line without any request data: the route is the template.
func (c *Client) logCall(ctx context.Context, op string, status int, code string, start time.Time, err error) {
	if c.log == nil {
		return
	}
	attrs := []slog.Attr{slog.String("op", op), slog.Int("status", status), slog.Duration("took", time.Since(start))}
	if code != "" {
		attrs = append(attrs, slog.String("code", code))
	}
	level := slog.LevelDebug
	if err != nil {
		level = slog.LevelWarn
		var e *Error
		if errors.As(err, &e) {
			attrs = append(attrs, slog.String("kind", e.kind.Error()))
		}
	}
	c.log.LogAttrs(ctx, level, "backoffice call", attrs...)
}

// Health asks whether the back office is up.
func (c *Client) Health(ctx context.Context) error {
	var h Health
	return c.call(ctx, http.MethodGet, "/v1/health", nil, "", nil, &h)
}

// Resident returns everything the back office answers about a resident.
func (c *Client) Resident(ctx context.Context, subject string) (Resident, error) {
	var r Resident
	err := c.call(ctx, http.MethodGet, "/v1/residents/{subject}", []string{subject}, "", nil, &r)
	return r, err
}

// Lookup implements kiosk.BackOffice. An unknown resident (404) is an error wrapping
// ErrNotFound: the kiosk then offers only what needs no record.
func (c *Client) Lookup(ctx context.Context, subject string) (kiosk.ResidentRecord, error) {
	r, err := c.Resident(ctx, subject)
	if err != nil {
		return kiosk.ResidentRecord{}, err
	}
	rec, err := r.Record()
	if err != nil {
		return kiosk.ResidentRecord{}, &Error{Op: "GET /v1/residents/{subject}", Status: http.StatusOK, kind: ErrUnavailable, Err: err}
	}
	return rec, nil
}

// Submit implements kiosk.BackOffice: it delivers the application with the audit
// chain head it was queued with (msg.AuditHead, "seq:mac", set by the outbox), or
// else the kiosk's current head (Options.AuditHead), and returns the collection date
// the back office answered.
func (c *Client) Submit(ctx context.Context, key string, msg kiosk.ApplicationMessage) (kiosk.SubmitAnswer, error) {
	var anchor AuditAnchor
	var err error
	switch {
	case msg.AuditHead != "":
		if anchor, err = ParseAuditHead(msg.AuditHead); err != nil {
			return kiosk.SubmitAnswer{}, &Error{Op: "POST /v1/applications", kind: ErrConfig, Err: err}
		}
	case c.auditHead == nil:
		return kiosk.SubmitAnswer{}, &Error{Op: "POST /v1/applications", kind: ErrConfig, Err: errors.New("no audit head source (Options.AuditHead)")}
	default:
		if anchor, err = c.auditHead(ctx); err != nil {
			return kiosk.SubmitAnswer{}, fmt.Errorf("backoffice: reading the audit chain head: %w", err)
		}
	}
	// Through JSON: the submission is exactly the kiosk's message (the outbox
	// payload, whatever fields it has) plus the anchor.
	b, err := json.Marshal(msg)
	if err != nil {
		return kiosk.SubmitAnswer{}, &Error{Op: "POST /v1/applications", kind: ErrConfig, Err: fmt.Errorf("encoding application: %w", err)}
	}
	var sub ApplicationSubmission
	if err := json.Unmarshal(b, &sub); err != nil {
		return kiosk.SubmitAnswer{}, &Error{Op: "POST /v1/applications", kind: ErrConfig, Err: fmt.Errorf("encoding application: %w", err)}
	}
	sub.AuditAnchor = anchor
	sub.AuditHead = "" // sent as the audit_anchor object, not as the outbox's string
	r, err := c.SubmitApplication(ctx, key, sub)
	if err != nil {
		return kiosk.SubmitAnswer{}, err
	}
	var ans kiosk.SubmitAnswer
	if r.CollectFrom != "" {
		d, derr := ParseDate(r.CollectFrom)
		if derr != nil {
			// The application was received all the same: failing the delivery would
			// resend it for ever and get the same answer. The resident is told the date
			// by SMS instead, as when the back office gives none.
			if c.log != nil {
				c.log.Warn("backoffice: submitApplication answered a collection date that is not a date", "reference", key, "error", derr)
			}
			return ans, nil
		}
		ans.CollectFrom = d
	}
	return ans, nil
}

// ParseAuditHead reads an audit chain head as the kiosk's store writes it: the row
// number, a colon, the row's chain MAC in lower-case hex.
func ParseAuditHead(s string) (AuditAnchor, error) {
	seq, mac, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 0 || len(mac) != 64 || strings.Trim(mac, "0123456789abcdef") != "" {
		return AuditAnchor{}, fmt.Errorf("audit head %q: want SEQ:64 lower-case hex digits", s)
	}
	return AuditAnchor{Seq: n, MAC: mac}, nil
}

// SubmitApplication delivers one application as given.
func (c *Client) SubmitApplication(ctx context.Context, key string, a ApplicationSubmission) (ApplicationReceipt, error) {
	if a.Form == nil {
		a.Form = map[string]string{} // the contract wants an object, never null
	}
	var r ApplicationReceipt
	err := c.call(ctx, http.MethodPost, "/v1/applications", nil, key, a, &r)
	return r, err
}

// Application returns the status of a received application.
func (c *Client) Application(ctx context.Context, reference string) (ApplicationReceipt, error) {
	var r ApplicationReceipt
	err := c.call(ctx, http.MethodGet, "/v1/applications/{reference}", []string{reference}, "", nil, &r)
	return r, err
}

// CreatePaymentOrder creates (or finds again, after a crash) the payment order of an
// application. The kiosk id is filled in from the certificate.
func (c *Client) CreatePaymentOrder(ctx context.Context, key, reference string, r PaymentOrderRequest) (PaymentOrder, error) {
	r.KioskID = c.kioskID
	var o PaymentOrder
	err := c.call(ctx, http.MethodPut, "/v1/payment-orders/{reference}", []string{reference}, key, r, &o)
	return o, err
}

// PaymentOrder returns an order's current status.
func (c *Client) PaymentOrder(ctx context.Context, reference string) (PaymentOrder, error) {
	var o PaymentOrder
	err := c.call(ctx, http.MethodGet, "/v1/payment-orders/{reference}", []string{reference}, "", nil, &o)
	return o, err
}

// CancelPaymentOrder cancels an unpaid order.
func (c *Client) CancelPaymentOrder(ctx context.Context, key, reference string) (PaymentOrder, error) {
	var o PaymentOrder
	err := c.call(ctx, http.MethodPost, "/v1/payment-orders/{reference}/cancel", []string{reference}, key, nil, &o)
	return o, err
}

// CaptureCardPayment records the card terminal's approval of a card order: the order
// is then paid.
func (c *Client) CaptureCardPayment(ctx context.Context, key, reference string, r CardCapture) (PaymentOrder, error) {
	var o PaymentOrder
	err := c.call(ctx, http.MethodPost, "/v1/payment-orders/{reference}/card-capture", []string{reference}, key, r, &o)
	return o, err
}

// RefundPaymentOrder refunds a paid order in full.
func (c *Client) RefundPaymentOrder(ctx context.Context, key, reference, reason string) (PaymentOrder, error) {
	var o PaymentOrder
	err := c.call(ctx, http.MethodPost, "/v1/payment-orders/{reference}/refund", []string{reference}, key, RefundRequest{Reason: reason}, &o)
	return o, err
}

// SendOTP sends an SMS one-time code.
func (c *Client) SendOTP(ctx context.Context, key string, r OTPRequest) (OTPChallenge, error) {
	var ch OTPChallenge
	err := c.call(ctx, http.MethodPost, "/v1/otp-challenges", nil, key, r, &ch)
	return ch, err
}

// VerifyOTP checks a code. A wrong code is an *Error wrapping ErrInvalid whose
// Problem.AttemptsLeft says how many tries remain.
func (c *Client) VerifyOTP(ctx context.Context, key, challengeID, code string) (OTPVerification, error) {
	var v OTPVerification
	err := c.call(ctx, http.MethodPost, "/v1/otp-challenges/{challenge_id}/verify", []string{challengeID}, key, OTPVerifyRequest{Code: code}, &v)
	return v, err
}

// CreateOneAccount opens a One Account; the service password, if any, goes only here.
func (c *Client) CreateOneAccount(ctx context.Context, key string, r OneAccountRequest) (OneAccount, error) {
	r.KioskID = c.kioskID
	r.TermsAccepted = true // the kiosk calls this only after the resident accepted them
	var a OneAccount
	err := c.call(ctx, http.MethodPost, "/v1/one-accounts", nil, key, r, &a)
	return a, err
}

// StartEIDBinding starts a binding session and returns its QR payload.
func (c *Client) StartEIDBinding(ctx context.Context, key, subject string) (EIDBinding, error) {
	var b EIDBinding
	err := c.call(ctx, http.MethodPost, "/v1/eid-bindings", nil, key, EIDBindingRequest{Subject: subject, KioskID: c.kioskID}, &b)
	return b, err
}

// EIDBinding polls a binding session.
func (c *Client) EIDBinding(ctx context.Context, bindingID string) (EIDBinding, error) {
	var b EIDBinding
	err := c.call(ctx, http.MethodGet, "/v1/eid-bindings/{binding_id}", []string{bindingID}, "", nil, &b)
	return b, err
}

// VerifyEIDLogin verifies an eID QR code read by the camera.
func (c *Client) VerifyEIDLogin(ctx context.Context, key, qrPayload string) (EIDLogin, error) {
	var l EIDLogin
	err := c.call(ctx, http.MethodPost, "/v1/eid-logins", nil, key, EIDLoginRequest{QRPayload: qrPayload, KioskID: c.kioskID}, &l)
	return l, err
}
