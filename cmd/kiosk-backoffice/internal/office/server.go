// Package office is the reference DSI back office: the whole of api/backoffice.yaml
// over its own SQLite file, plus what the testers' commands do on the other side
// (the simulated wallet, the One Account app, the SMS gateway).
package office

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/macau-dsi/kiosk/api"
	"github.com/macau-dsi/kiosk/backoffice"
)

// Office is the back office's state and rules.
type Office struct {
	DB  *DB
	Key ed25519.PrivateKey // signs QR payloads
	// SealKey opens the service passwords kiosks seal to the back office (its public
	// half is what kiosks are configured with); nil: a sealed password is refused.
	SealKey *ecdh.PrivateKey
	Now     func() time.Time
	// AllowUnpaid accepts a paid service's application without a paid order (for a
	// kiosk whose payment step is not wired yet).
	AllowUnpaid bool
	// Log gets one line per request: operation, status, code. Never bodies or
	// path values.
	Log *slog.Logger

	mu sync.Mutex // serializes writes: an idempotent write is check, run, store
}

func (o *Office) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

// apiError is a problem a handler answers with.
type apiError struct{ p backoffice.Problem }

func (e *apiError) Error() string { return e.p.Code + ": " + e.p.Detail }

func problem(status int, code, detail string) error {
	return &apiError{backoffice.NewProblem(status, code, detail)}
}

// request is what a handler sees.
type request struct {
	kiosk  string            // the client certificate's common name
	params map[string]string // path parameters
	body   []byte
	now    time.Time
}

func (q *request) decode(v any) error {
	if err := json.Unmarshal(q.body, v); err != nil {
		return problem(http.StatusBadRequest, backoffice.CodeInvalidRequest, "body is not valid JSON")
	}
	return nil
}

type handler func(ctx context.Context, q *request) (int, any, error)

// maxRequest caps a request body: an application with a new photo (a 420×540 JPEG,
// about 45 kB, base64 in JSON) is the largest.
const maxRequest = 256 << 10

// writeTimeout bounds one write, whether or not the kiosk still waits for it.
const writeTimeout = 20 * time.Second

// Handler is the HTTP side: every request is routed and validated against the
// embedded api/backoffice.yaml before a handler sees it, so the contract is the one
// home of field formats and lengths.
func (o *Office) Handler() (http.Handler, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.BackOfficeYAML)
	if err != nil {
		return nil, fmt.Errorf("loading the contract: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("the contract is invalid: %w", err)
	}
	doc.Servers = nil // serve on whatever host and port we listen on
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	handlers := o.handlers()
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			if _, ok := handlers[op.OperationID]; !ok {
				return nil, fmt.Errorf("contract operation %s %s (%s) has no handler", method, path, op.OperationID)
			}
		}
	}
	return &httpHandler{o: o, router: router, handlers: handlers}, nil
}

type httpHandler struct {
	o        *Office
	router   routers.Router
	handlers map[string]handler
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	op, status, code := r.Method+" ?", 0, ""
	defer func() {
		if h.o.Log != nil {
			h.o.Log.Info("request", "op", op, "status", status, "code", code, "took", time.Since(start))
		}
	}()
	send := func(st int, ct string, body []byte, replay bool) {
		status = st
		w.Header().Set("Content-Type", ct)
		if replay {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		w.WriteHeader(st)
		w.Write(body)
	}
	fail := func(err error) {
		st, ct, body, c := encodeError(err)
		code = c
		if st == http.StatusInternalServerError && h.o.Log != nil {
			h.o.Log.Error("handler failed", "op", op, "err", err)
		}
		send(st, ct, body, false)
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		// Cannot happen behind RequireAndVerifyClientCert; refuse rather than trust.
		fail(problem(http.StatusUnauthorized, backoffice.CodeForbidden, "a kiosk client certificate is required"))
		return
	}
	kioskID := r.TLS.PeerCertificates[0].Subject.CommonName
	route, params, err := h.router.FindRoute(r)
	if err != nil {
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			fail(problem(http.StatusMethodNotAllowed, backoffice.CodeInvalidRequest, "method not allowed here"))
		} else {
			fail(problem(http.StatusNotFound, backoffice.CodeNotFound, "no such endpoint"))
		}
		return
	}
	op = r.Method + " " + route.Path
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil || len(body) > maxRequest {
		fail(problem(http.StatusBadRequest, backoffice.CodeInvalidRequest, "body unreadable or too large"))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error {
			return nil // mutualTLS: already verified by the TLS layer above
		}},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		fail(problem(http.StatusBadRequest, backoffice.CodeInvalidRequest, validationDetail(err)))
		return
	}
	hf := h.handlers[route.Operation.OperationID]
	q := &request{kiosk: kioskID, params: params, body: body, now: h.o.now()}
	if r.Method == http.MethodGet {
		st, out, err := hf(r.Context(), q)
		if err != nil {
			fail(err)
			return
		}
		b, _ := json.Marshal(out)
		send(st, "application/json", b, false)
		return
	}
	// A write that has started finishes and is stored under its key even if the
	// kiosk gives up waiting: its retry then gets this answer instead of racing a
	// half-done write.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), writeTimeout)
	defer cancel()
	st, ct, b, replay, err := h.o.idempotent(wctx, kioskID, r.Header.Get("Idempotency-Key"), op+" "+r.URL.EscapedPath(), body, func() (int, any, error) {
		return hf(wctx, q)
	})
	if err != nil {
		fail(err)
		return
	}
	if ct == backoffice.ProblemContentType {
		var p backoffice.Problem
		json.Unmarshal(b, &p)
		code = p.Code
	}
	send(st, ct, b, replay)
}

// idempotent runs a write once per (kiosk, key): a repeat with the same request
// replays the stored answer, a different request under the same key is refused.
// 5xx answers and payment-required are not stored, so a retry after a fault or a
// payment runs again.
func (o *Office) idempotent(ctx context.Context, kioskID, key, target string, body []byte, run func() (int, any, error)) (int, string, []byte, bool, error) {
	sum := sha256.Sum256(append([]byte(target+"\n"), body...))
	fp := hex.EncodeToString(sum[:])
	o.mu.Lock()
	defer o.mu.Unlock()
	var (
		storedFP, ct string
		st           int
		b            []byte
	)
	err := o.DB.QueryRowContext(ctx, `SELECT fingerprint, status, content_type, body FROM idempotency WHERE kiosk_id = ? AND key = ?`, kioskID, key).Scan(&storedFP, &st, &ct, &b)
	switch {
	case err == nil && storedFP == fp:
		return st, ct, b, true, nil
	case err == nil:
		return 0, "", nil, false, problem(http.StatusConflict, backoffice.CodeIdempotencyKeyReused, "this Idempotency-Key was used for a different request")
	case !isNoRows(err):
		return 0, "", nil, false, err
	}
	st, out, herr := run()
	if herr != nil {
		var c string
		st, ct, b, c = encodeError(herr)
		// A fault, or a refusal that the resident can fix (paying), is not kept: the
		// outbox retries with the same key and must then get a fresh answer.
		if st >= 500 || c == backoffice.CodePaymentRequired {
			return 0, "", nil, false, herr
		}
	} else {
		ct = "application/json"
		if b, err = json.Marshal(out); err != nil {
			return 0, "", nil, false, err
		}
	}
	if _, err := o.DB.ExecContext(ctx, `INSERT INTO idempotency(kiosk_id, key, fingerprint, status, content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		kioskID, key, fp, st, ct, b, ts(o.now())); err != nil {
		return 0, "", nil, false, err
	}
	return st, ct, b, false, nil
}

// encodeError turns an error into a problem answer; anything but an apiError is a
// 500 whose detail says nothing about the cause (it is logged instead).
func encodeError(err error) (int, string, []byte, string) {
	var ae *apiError
	p := backoffice.NewProblem(http.StatusInternalServerError, backoffice.CodeInternal, "the back office failed; try again later")
	if errors.As(err, &ae) {
		p = ae.p
	}
	b, _ := json.Marshal(p)
	return p.Status, backoffice.ProblemContentType, b, p.Code
}

// validationDetail names what did not match without echoing the value (which may be
// a phone number or a code).
func validationDetail(err error) string {
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		if re.Parameter != nil {
			return fmt.Sprintf("%s parameter %q does not match the contract", re.Parameter.In, re.Parameter.Name)
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			if ptr := se.JSONPointer(); len(ptr) > 0 {
				return fmt.Sprintf("body field /%s does not match the contract", strings.Join(ptr, "/"))
			}
		}
		if re.RequestBody != nil {
			return "request body does not match the contract"
		}
	}
	var sr *openapi3filter.SecurityRequirementsError
	if errors.As(err, &sr) {
		return "security requirements not met"
	}
	return "request does not match the contract"
}
