package office_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/office"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/pki"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/seed"
	"github.com/macau-dsi/kiosk/sealbox"
)

// contractFile is the document both sides are checked against: read from the
// repository, not the server's embedded copy, so the test checks the file itself.
const contractFile = "../../../../api/backoffice.yaml"

const testKiosk = "kiosk-test-01"

// Card numbers of the emulator profiles the tests use.
const (
	cardDemo     = "12345678" // permanent, passport in 4 months, My Photo
	cardMinor    = "17654321"
	cardNonPerm  = "18642097" // non-permanent, travel permit in 3 months
	cardPending  = "13579246" // pending ID renewal
	cardBound    = "51234567" // One Account, eID bound
	cardUnbound  = "11223344" // One Account, eID not bound
	cardUnknown  = "99999999"
	testRef      = "261128-7KQ2M4PT-X" // format only: the back office does not check the MOD 37-36 character
	testRef2     = "261128-ABCDEFGH-1"
	testRef3     = "261128-23456789-Z"
	passportFee  = 30000
	testPhone    = "66123456"
	zeroMAC      = "0000000000000000000000000000000000000000000000000000000000000000"
	replayHeader = "Idempotent-Replayed"
)

// clock is the back office's injected time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// exchange is one request and answer seen on the wire.
type exchange struct {
	op          string // operationId
	status      int
	header      http.Header
	body        []byte
	requestErr  error // the request against the contract
	responseErr error // the answer against the contract
}

// harness is a reference back office on 127.0.0.1:0 over real mutual TLS, behind a
// recorder that checks every request and answer against the contract file.
type harness struct {
	t      *testing.T
	dir    string
	office *office.Office
	clock  *clock
	hasher *seed.Hasher
	addr   string

	doc    *openapi3.T
	router routers.Router

	mu        sync.Mutex
	exchanges []exchange
	fault     func(w http.ResponseWriter, r *http.Request, next http.Handler) // in place of the back office, which it may call
	// badRequestsOK: the test sends requests the contract forbids on purpose.
	badRequestsOK bool

	srv *http.Server
	ln  net.Listener
}

func loadContract(t testing.TB) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(contractFile)
	if err != nil {
		t.Fatalf("loading %s: %v", contractFile, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("%s is not valid OpenAPI: %v", contractFile, err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("contract is OpenAPI %s, want 3.1.0", doc.OpenAPI)
	}
	doc.Servers = nil
	return doc
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	if _, err := pki.Ensure(dir, testKiosk, time.Now()); err != nil {
		t.Fatal(err)
	}
	key, err := office.LoadOrCreateSigningKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := office.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keyFile := filepath.Join(dir, "subject.key")
	k := make([]byte, 32)
	rand.Read(k)
	if err := os.WriteFile(keyFile, k, 0o600); err != nil {
		t.Fatal(err)
	}
	hasher, err := seed.LoadHasher(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := seed.LoadProfiles([]string{"../../../../cardio/emulator/profiles/*.yaml", "../../../../cardio/emulator/testdata/*.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)}
	sealKey, err := office.LoadOrCreateSealKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := &office.Office{DB: db, Key: key, SealKey: sealKey, Now: clk.Now}
	if _, err := o.Seed(context.Background(), seed.Build(profiles, hasher, clk.Now())); err != nil {
		t.Fatal(err)
	}
	doc := loadContract(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, office: o, clock: clk, hasher: hasher, doc: doc, router: router}
	h.start("127.0.0.1:0")
	t.Cleanup(func() {
		h.stop()
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, e := range h.exchanges {
			if e.responseErr != nil {
				t.Errorf("%s answered %d outside the contract: %v\n%s", e.op, e.status, e.responseErr, e.body)
			}
			if e.requestErr != nil && !h.badRequestsOK {
				t.Errorf("the client sent a %s request outside the contract: %v", e.op, e.requestErr)
			}
		}
	})
	return h
}

// start serves on addr (127.0.0.1:0 the first time, the same address on a restart).
func (h *harness) start(addr string) {
	h.t.Helper()
	handler, err := h.office.Handler()
	if err != nil {
		h.t.Fatal(err)
	}
	tlsConf, err := pki.ServerTLS(h.dir)
	if err != nil {
		h.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		h.t.Fatal(err)
	}
	h.ln, h.addr = ln, ln.Addr().String()
	h.srv = office.NewHTTPServer(h.recorder(handler), tlsConf, log.New(io.Discard, "", 0))
	go h.srv.ServeTLS(ln, "", "")
}

func (h *harness) stop() {
	if h.srv != nil {
		h.srv.Close()
		h.srv = nil
	}
}

// recorder validates each request and answer against the contract and keeps them.
func (h *harness) recorder(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		ex := exchange{op: r.Method + " " + r.URL.Path}
		route, params, rerr := h.router.FindRoute(r)
		var in *openapi3filter.RequestValidationInput
		if rerr != nil {
			ex.requestErr = rerr
		} else {
			ex.op = route.Operation.OperationID
			in = &openapi3filter.RequestValidationInput{
				Request: r.Clone(r.Context()), PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: func(_ context.Context, ai *openapi3filter.AuthenticationInput) error {
					if ai.SecurityScheme.Type != "mutualTLS" || r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
						return errors.New("no client certificate")
					}
					return nil
				}},
			}
			in.Request.Body = io.NopCloser(bytes.NewReader(body))
			ex.requestErr = openapi3filter.ValidateRequest(context.Background(), in)
		}
		rec := httptest.NewRecorder()
		h.mu.Lock()
		fault := h.fault
		h.mu.Unlock()
		if fault != nil {
			fault(rec, r, next)
		} else {
			next.ServeHTTP(rec, r)
		}
		ex.status, ex.header, ex.body = rec.Code, rec.Header(), rec.Body.Bytes()
		if in != nil {
			out := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
				Options: &openapi3filter.Options{IncludeResponseStatus: true},
			}
			out.SetBodyBytes(rec.Body.Bytes())
			ex.responseErr = openapi3filter.ValidateResponse(context.Background(), out)
		}
		h.mu.Lock()
		h.exchanges = append(h.exchanges, ex)
		h.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

func (h *harness) setFault(f func(w http.ResponseWriter, r *http.Request, next http.Handler)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fault = f
}

func (h *harness) last() exchange {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.exchanges) == 0 {
		h.t.Fatal("no exchange recorded")
	}
	return h.exchanges[len(h.exchanges)-1]
}

// ops returns the operations answered, with their statuses.
func (h *harness) ops() map[string][]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]int{}
	for _, e := range h.exchanges {
		out[e.op] = append(out[e.op], e.status)
	}
	return out
}

func (h *harness) path(name string) string { return filepath.Join(h.dir, name) }

// clientOptions are the kiosk's options for this back office.
func (h *harness) clientOptions() backoffice.Options {
	return backoffice.Options{
		BaseURL:  "https://" + h.addr,
		CertFile: h.path(pki.KioskCert), KeyFile: h.path(pki.KioskKey), CAFile: h.path(pki.CACert),
		KioskID: testKiosk,
		Timeout: 3 * time.Second,
		AuditHead: func(context.Context) (backoffice.AuditAnchor, error) {
			return backoffice.AuditAnchor{Seq: 7, MAC: strings.Repeat("ab", 32)}, nil
		},
	}
}

func (h *harness) client(mod ...func(*backoffice.Options)) *backoffice.Client {
	h.t.Helper()
	o := h.clientOptions()
	for _, m := range mod {
		m(&o)
	}
	c, err := backoffice.New(o)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(c.Close)
	return c
}

func (h *harness) count(table string) int {
	h.t.Helper()
	var n int
	if err := h.office.DB.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func mustPool(t *testing.T, pemBytes []byte) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pemBytes) {
		t.Fatal("no certificate in PEM")
	}
	return p
}

// seal seals a service password to the back office's key for a challenge, as the
// kiosk does (base64, as the contract carries it).
func (h *harness) seal(pw, challengeID string) string {
	h.t.Helper()
	sealer, err := sealbox.LoadSealer(filepath.Join(h.dir, office.SealPubKeyFile))
	if err != nil {
		h.t.Fatal(err)
	}
	ct, err := sealer.Seal([]byte(pw), challengeID)
	if err != nil {
		h.t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(ct)
}
