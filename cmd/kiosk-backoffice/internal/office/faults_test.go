package office_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/office"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/pki"
	"github.com/macau-dsi/kiosk/kiosk"
)

// TestFault4xx: refusals decode into typed errors, none of them "unavailable".
func TestFault4xx(t *testing.T) {
	h := newHarness(t)
	h.badRequestsOK = true // some cases send what the contract forbids, on purpose
	c := h.client()
	ctx := context.Background()
	withPassword := app(h, testRef, kiosk.ServiceOneAccount, cardMinor, 0)
	withPassword.Form = map[string]string{kiosk.FieldPhoneNumber: testPhone, kiosk.FieldServicePassword: "3971"}
	otherKiosk := app(h, testRef2, kiosk.ServiceOneAccount, cardMinor, 0)
	otherKiosk.KioskID = "kiosk-other-02"
	for _, tc := range []struct {
		name   string
		call   func() error
		want   error
		status int
		code   string
	}{
		{"unknown resident", func() error { _, err := c.Lookup(ctx, h.hasher.Hash(cardUnknown)); return err }, backoffice.ErrNotFound, 404, backoffice.CodeNotFound},
		{"malformed subject", func() error { _, err := c.Resident(ctx, "NOT-A-SUBJECT"); return err }, backoffice.ErrInvalid, 400, backoffice.CodeInvalidRequest},
		{"password in the form", func() error { _, err := c.Submit(ctx, testRef, withPassword); return err }, backoffice.ErrInvalid, 400, backoffice.CodeInvalidRequest},
		{"another kiosk's id", func() error { _, err := c.Submit(ctx, testRef2, otherKiosk); return err }, backoffice.ErrForbidden, 403, backoffice.CodeForbidden},
		{"unknown order", func() error { _, err := c.PaymentOrder(ctx, testRef3); return err }, backoffice.ErrNotFound, 404, backoffice.CodeNotFound},
		{"unknown binding", func() error { _, err := c.EIDBinding(ctx, "AAAAAAAAAAAAAAAAAAAAAAAA"); return err }, backoffice.ErrNotFound, 404, backoffice.CodeNotFound},
		{"garbage eID code", func() error { _, err := c.VerifyEIDLogin(ctx, "login-garbage", "DSI1.L.e30.AAAA"); return err }, backoffice.ErrInvalid, 422, backoffice.CodeQRInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var e *backoffice.Error
			if !errors.As(err, &e) || !errors.Is(err, tc.want) || e.Status != tc.status || e.Code() != tc.code {
				t.Fatalf("err = %v, want %v (%d %s)", err, tc.want, tc.status, tc.code)
			}
			if errors.Is(err, kiosk.ErrBackOfficeUnavailable) {
				t.Fatalf("a %d is reported as unavailable: %v", tc.status, err)
			}
		})
	}
	if n := h.count("applications"); n != 0 {
		t.Fatalf("%d applications stored from refused submissions", n)
	}
}

// TestFault5xx: server faults are "unavailable", to the client and to the kiosk's
// rules, with or without a problem body.
func TestFault5xx(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request, next http.Handler)
	}{
		{"503 problem", func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
			w.Header().Set("Content-Type", backoffice.ProblemContentType)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"type":"about:blank","title":"Service Unavailable","status":503,"code":"unavailable"}`)
		}},
		{"502 from a proxy, no problem body", func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html>bad gateway</html>")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.setFault(tc.fault)
			_, err := c.Lookup(ctx, h.hasher.Hash(cardDemo))
			if !errors.Is(err, backoffice.ErrUnavailable) || !errors.Is(err, kiosk.ErrBackOfficeUnavailable) {
				t.Fatalf("err = %v, want unavailable", err)
			}
			_, err = c.Submit(ctx, testRef, app(h, testRef, kiosk.ServiceOneAccount, cardMinor, 0))
			if !errors.Is(err, backoffice.ErrUnavailable) {
				t.Fatalf("submit err = %v, want unavailable", err)
			}
			// Back to normal: the same delivery goes through, once.
			h.setFault(nil)
			if _, err := c.Submit(ctx, testRef, app(h, testRef, kiosk.ServiceOneAccount, cardMinor, 0)); err != nil {
				t.Fatal(err)
			}
			if n := h.count("applications"); n != 1 {
				t.Fatalf("%d applications, want 1", n)
			}
		})
	}
	h.mu.Lock()
	h.exchanges = nil // the 502 page is outside the contract by design
	h.mu.Unlock()
}

// TestSlowAnswer: an answer later than the timeout is "unavailable" within the
// timeout; when the write did happen and only the answer was lost, the retry with
// the same key gets the same answer and the back office keeps one record.
func TestSlowAnswer(t *testing.T) {
	h := newHarness(t)
	const timeout = 800 * time.Millisecond
	c := h.client(func(o *backoffice.Options) { o.Timeout = timeout })
	ctx := context.Background()
	h.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		next.ServeHTTP(w, r) // the back office does the work...
		select {             // ...and the answer is late
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	msg := app(h, testRef, kiosk.ServiceOneAccount, cardMinor, 0)
	start := time.Now()
	_, err := c.Submit(ctx, testRef, msg)
	took := time.Since(start)
	if !errors.Is(err, backoffice.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want unavailable after the deadline", err)
	}
	if took > timeout+time.Second {
		t.Fatalf("gave up after %v, timeout %v", took, timeout)
	}
	h.setFault(nil)
	// On a loaded machine the first write may still be finishing when the kiosk has
	// given up: the retry is meant to come after it (the outbox waits its backoff).
	for deadline := time.Now().Add(5 * time.Second); h.count("applications") == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := c.Submit(ctx, testRef, msg); err != nil {
		t.Fatal(err)
	}
	if got := h.last().header.Get(replayHeader); got != "true" {
		t.Fatalf("retry after the lost answer: %s = %q, want the stored answer", replayHeader, got)
	}
	if n := h.count("applications"); n != 1 {
		t.Fatalf("%d applications, want 1", n)
	}
}

// TestIdempotency: same key and body → same answer, one record, also when the
// duplicates race; same key, other body → conflict.
func TestIdempotency(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	ctx := context.Background()
	a := backoffice.ApplicationSubmission{ApplicationMessage: app(h, testRef, kiosk.ServiceOneAccount, cardMinor, 0), AuditAnchor: backoffice.AuditAnchor{Seq: 1, MAC: zeroMAC}}
	r1, err := c.SubmitApplication(ctx, testRef, a)
	if err != nil {
		t.Fatal(err)
	}
	first := h.last()
	r2, err := c.SubmitApplication(ctx, testRef, a)
	if err != nil {
		t.Fatal(err)
	}
	second := h.last()
	if r1 != r2 || !bytes.Equal(first.body, second.body) || first.status != second.status {
		t.Fatalf("duplicate answered differently: %+v / %+v", r1, r2)
	}
	if first.header.Get(replayHeader) != "" || second.header.Get(replayHeader) != "true" {
		t.Fatalf("replay header: first %q, second %q", first.header.Get(replayHeader), second.header.Get(replayHeader))
	}
	b := a
	b.Fee = 1
	if _, err := c.SubmitApplication(ctx, testRef, b); !errors.Is(err, backoffice.ErrConflict) || problemCode(err) != backoffice.CodeIdempotencyKeyReused {
		t.Fatalf("same key, other body: %v", err)
	}
	// Another key for the same reference is a second delivery of a different message.
	if _, err := c.SubmitApplication(ctx, "other-key-"+testRef, a); problemCode(err) != backoffice.CodeConflict {
		t.Fatalf("same reference under another key: %v", err)
	}

	// Racing duplicates of a payment order.
	var wg sync.WaitGroup
	orders := make([]backoffice.PaymentOrder, 6)
	errs := make([]error, len(orders))
	for i := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			orders[i], errs[i] = c.CreatePaymentOrder(ctx, "order-"+testRef2, testRef2, backoffice.PaymentOrderRequest{Service: kiosk.ServiceIDRenewal, Amount: 9000})
		}()
	}
	wg.Wait()
	for i := range orders {
		if errs[i] != nil || orders[i] != orders[0] {
			t.Fatalf("racing duplicate %d: %+v, %v (first %+v)", i, orders[i], errs[i], orders[0])
		}
	}
	if n := h.count("applications"); n != 1 {
		t.Fatalf("%d applications, want 1", n)
	}
	if n := h.count("orders"); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}

// writePair writes a certificate and key into dir and returns their paths.
func writePair(t *testing.T, dir, name string, p pki.Pair) (string, string) {
	t.Helper()
	cert, key := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(cert, p.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, p.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// TestTLSRefused: every TLS fault is a clear error, and nothing ever goes over
// plain HTTP.
func TestTLSRefused(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	now := time.Now()
	tmp := t.TempDir()
	otherCA, err := pki.NewCA("some other CA", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	otherCAFile := filepath.Join(tmp, "other-ca.crt")
	os.WriteFile(otherCAFile, otherCA.CertPEM, 0o644)
	foreign, _ := otherCA.IssueClient(testKiosk, now.Add(-time.Hour), now.Add(time.Hour))
	foreignCert, foreignKey := writePair(t, tmp, "foreign", foreign)
	caPEM, _ := os.ReadFile(h.path(pki.CACert))
	caKey, _ := os.ReadFile(h.path(pki.CAKey))
	ourCA, err := pki.LoadCA(caPEM, caKey)
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := ourCA.IssueClient(testKiosk, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	expiredCert, expiredKey := writePair(t, tmp, "expired", expired)

	// A plain HTTP server that counts what it receives: nothing must reach it.
	var plainHits atomic.Int32
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	plain := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { plainHits.Add(1) })}
	go plain.Serve(plainLn)
	defer plain.Close()

	for _, tc := range []struct {
		name    string
		mod     func(o *backoffice.Options)
		newErr  error  // from New
		callErr error  // from the call
		mention string // in the message
	}{
		{"wrong CA for the server", func(o *backoffice.Options) { o.CAFile = otherCAFile }, nil, backoffice.ErrTLS, "certificate"},
		{"client certificate of another CA", func(o *backoffice.Options) { o.CertFile, o.KeyFile = foreignCert, foreignKey }, nil, backoffice.ErrTLS, "tls"},
		{"expired client certificate", func(o *backoffice.Options) { o.CertFile, o.KeyFile = expiredCert, expiredKey }, backoffice.ErrConfig, nil, "expired"},
		{"expired client certificate, local check fooled by the clock", func(o *backoffice.Options) {
			o.CertFile, o.KeyFile = expiredCert, expiredKey
			o.Now = func() time.Time { return now.Add(-36 * time.Hour) }
		}, nil, backoffice.ErrTLS, "tls"},
		{"http:// base URL", func(o *backoffice.Options) { o.BaseURL = "http://" + h.addr }, backoffice.ErrConfig, nil, "only https://"},
		{"plain HTTP server behind an https:// URL", func(o *backoffice.Options) { o.BaseURL = "https://" + plainLn.Addr().String() }, nil, backoffice.ErrTLS, "HTTP response to HTTPS client"},
		{"certificate of another kiosk", func(o *backoffice.Options) { o.KioskID = "kiosk-other-02" }, backoffice.ErrConfig, nil, "is for kiosk"},
		{"CA file without a certificate", func(o *backoffice.Options) { o.CAFile = h.path(pki.KioskKey) }, backoffice.ErrConfig, nil, "no PEM certificate"},
		{"missing key", func(o *backoffice.Options) { o.KeyFile = filepath.Join(tmp, "none.key") }, backoffice.ErrConfig, nil, "none.key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := h.clientOptions()
			tc.mod(&o)
			c, err := backoffice.New(o)
			if tc.newErr != nil {
				t.Logf("%v", err)
				if !errors.Is(err, tc.newErr) || !strings.Contains(err.Error(), tc.mention) {
					t.Fatalf("New: %v, want %v mentioning %q", err, tc.newErr, tc.mention)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.Lookup(ctx, h.hasher.Hash(cardDemo))
			if !errors.Is(err, tc.callErr) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("call: %v, want %v mentioning %q", err, tc.callErr, tc.mention)
			}
			if !errors.Is(err, kiosk.ErrBackOfficeUnavailable) {
				t.Fatalf("a TLS refusal must make services unavailable to the kiosk: %v", err)
			}
			t.Logf("%v", err)
			if strings.Contains(err.Error(), h.hasher.Hash(cardDemo)) {
				t.Fatalf("the error names the subject: %v", err)
			}
		})
	}
	if n := plainHits.Load(); n != 0 {
		t.Fatalf("%d requests reached the plain HTTP server", n)
	}
	// Without a client certificate the back office answers nothing.
	conn, err := tls.Dial("tcp", h.addr, &tls.Config{RootCAs: mustPool(t, caPEM)})
	if err == nil {
		fmt.Fprintf(conn, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
		buf := make([]byte, 64)
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err = conn.Read(buf)
		conn.Close()
	}
	if err == nil {
		t.Fatal("the back office answered a client without a certificate")
	}
	if len(h.ops()) != 0 {
		t.Fatalf("requests reached the handler through refused TLS: %v", h.ops())
	}
}

// TestDownThenBack: a back office that is down is "unavailable" at once (not after
// the timeout); when it is back on the same address the same client works again.
func TestDownThenBack(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	ctx := context.Background()
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	addr := h.addr
	h.stop()
	start := time.Now()
	_, err := c.Lookup(ctx, h.hasher.Hash(cardDemo))
	if !errors.Is(err, backoffice.ErrUnavailable) || !errors.Is(err, kiosk.ErrBackOfficeUnavailable) || errors.Is(err, backoffice.ErrTLS) {
		t.Fatalf("back office down: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %v to notice a refused connection", took)
	}
	msg := app(h, testRef, kiosk.ServiceOneAccount, cardMinor, 0)
	if _, err := c.Submit(ctx, testRef, msg); !errors.Is(err, backoffice.ErrUnavailable) {
		t.Fatalf("submit while down: %v", err)
	}
	if strings.Contains(err.Error(), testRef) {
		t.Fatalf("the error names the reference: %v", err)
	}
	h.start(addr)
	if _, err := c.Lookup(ctx, h.hasher.Hash(cardDemo)); err != nil {
		t.Fatalf("back office back: %v", err)
	}
	if _, err := c.Submit(ctx, testRef, msg); err != nil {
		t.Fatal(err)
	}
	if n := h.count("applications"); n != 1 {
		t.Fatalf("%d applications, want 1", n)
	}
}

// TestNoPersonalDataInLogs: neither side logs a subject, reference, phone number,
// password or code.
func TestNoPersonalDataInLogs(t *testing.T) {
	h := newHarness(t)
	var clientLog, serverLog bytes.Buffer
	var mu sync.Mutex
	h.office.Log = slog.New(slog.NewTextHandler(&lockedWriter{w: &serverLog, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := h.client(func(o *backoffice.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: &clientLog, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx := context.Background()
	subject := h.hasher.Hash(cardMinor)
	c.Lookup(ctx, h.hasher.Hash(cardUnknown))
	c.Lookup(ctx, subject)
	c.Submit(ctx, testRef, app(h, testRef, kiosk.ServiceOneAccount, cardMinor, 0))
	ch, err := c.SendOTP(ctx, "otp-log-1", backoffice.OTPRequest{Subject: subject, Phone: testPhone, Purpose: backoffice.OTPPurposeOneAccount, Language: kiosk.LangEN})
	if err != nil {
		t.Fatal(err)
	}
	sms, _ := h.office.LastOTP(ctx)
	c.VerifyOTP(ctx, "otp-log-2", ch.ChallengeID, sms.Code)
	c.CreateOneAccount(ctx, "acct-log-1", backoffice.OneAccountRequest{Subject: subject, Phone: testPhone, OTPChallengeID: ch.ChallengeID, Language: kiosk.LangEN, SealedServicePassword: h.seal("3971", ch.ChallengeID)})
	mu.Lock()
	defer mu.Unlock()
	if clientLog.Len() == 0 || serverLog.Len() == 0 {
		t.Fatal("nothing logged: the test would prove nothing")
	}
	for _, secret := range []string{subject, h.hasher.Hash(cardUnknown), testRef, testPhone, "3971", sms.Code, ch.ChallengeID} {
		for side, log := range map[string]string{"client": clientLog.String(), "server": serverLog.String()} {
			if strings.Contains(log, secret) {
				t.Errorf("%s log holds %q:\n%s", side, secret, log)
			}
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestOTPLockAndExpiry: three wrong codes lock a challenge; a code is gone after its
// time.
func TestOTPLockAndExpiry(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	ctx := context.Background()
	req := backoffice.OTPRequest{Subject: h.hasher.Hash(cardMinor), Phone: testPhone, Purpose: backoffice.OTPPurposeOneAccount, Language: kiosk.LangZhHant}
	ch, err := c.SendOTP(ctx, "otp-lock-1", req)
	if err != nil {
		t.Fatal(err)
	}
	sms, _ := h.office.LastOTP(ctx)
	wrong := "000000"
	if sms.Code == wrong {
		wrong = "111111"
	}
	for i, want := range []int{2, 1, 0} {
		_, err := c.VerifyOTP(ctx, fmt.Sprintf("otp-lock-v%d", i), ch.ChallengeID, wrong)
		var e *backoffice.Error
		if !errors.As(err, &e) || e.Code() != backoffice.CodeOTPWrong || *e.Problem.AttemptsLeft != want {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	if _, err := c.VerifyOTP(ctx, "otp-lock-v9", ch.ChallengeID, sms.Code); !errors.Is(err, backoffice.ErrRateLimited) || problemCode(err) != backoffice.CodeOTPLocked {
		t.Fatalf("right code after the lock: %v", err)
	}
	ch2, err := c.SendOTP(ctx, "otp-lock-2", req)
	if err != nil {
		t.Fatal(err)
	}
	sms2, _ := h.office.LastOTP(ctx)
	h.clock.Add(office.OTPTTL)
	if _, err := c.VerifyOTP(ctx, "otp-lock-v10", ch2.ChallengeID, sms2.Code); !errors.Is(err, backoffice.ErrGone) {
		t.Fatalf("expired code: %v", err)
	}
	for i := 3; i <= office.OTPPerHour; i++ {
		if _, err := c.SendOTP(ctx, fmt.Sprintf("otp-lock-%d", i), req); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SendOTP(ctx, "otp-lock-99", req); !errors.Is(err, backoffice.ErrRateLimited) {
		t.Fatalf("SMS beyond %d an hour: %v", office.OTPPerHour, err)
	}
}

// TestAuditAnchorPerKiosk: the back office keeps each head; a head that goes back
// (rows deleted on the kiosk) is flagged.
func TestAuditAnchorPerKiosk(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	seq := int64(10)
	c := h.client(func(o *backoffice.Options) {
		o.AuditHead = func(context.Context) (backoffice.AuditAnchor, error) {
			return backoffice.AuditAnchor{Seq: seq, MAC: strings.Repeat("cd", 32)}, nil
		}
	})
	if _, err := c.Submit(ctx, testRef, app(h, testRef, kiosk.ServiceOneAccount, cardMinor, 0)); err != nil {
		t.Fatal(err)
	}
	seq = 4
	if _, err := c.Submit(ctx, testRef2, app(h, testRef2, kiosk.ServiceOneAccount, cardDemo, 0)); err != nil {
		t.Fatal(err)
	}
	rows, err := h.office.DB.Query(`SELECT seq, regressed FROM audit_anchors WHERE kiosk_id = ? ORDER BY id`, testKiosk)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s, r int
		rows.Scan(&s, &r)
		got = append(got, fmt.Sprintf("%d/%d", s, r))
	}
	if strings.Join(got, " ") != "10/0 4/1" {
		t.Fatalf("anchors = %v, want 10 kept and 4 flagged", got)
	}
	var out bytes.Buffer
	if err := h.office.List(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "YES: rows missing on the kiosk") {
		t.Fatalf("list does not show the regressed anchor:\n%s", out.String())
	}
	// And Submit without an audit head source is refused before any request.
	c2 := h.client(func(o *backoffice.Options) { o.AuditHead = nil })
	if _, err := c2.Submit(ctx, testRef3, app(h, testRef3, kiosk.ServiceOneAccount, cardMinor, 0)); !errors.Is(err, backoffice.ErrConfig) {
		t.Fatalf("submit without audit head: %v", err)
	}
}

// TestRecorderCatchesOutOfContract: the contract check can fail (an answer the
// document does not allow is reported).
func TestRecorderCatchesOutOfContract(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	h.setFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"subject":"x","residency":"tourist"}`)
	})
	c.Resident(context.Background(), h.hasher.Hash(cardDemo))
	if h.last().responseErr == nil {
		t.Fatal("an answer outside the contract passed the check")
	}
	h.mu.Lock()
	h.exchanges = nil
	h.mu.Unlock()
}

// TestFileModes: the database and every private key are 0600.
func TestFileModes(t *testing.T) {
	h := newHarness(t)
	for _, f := range []string{office.DBFile, office.DBFile + "-wal", office.DBFile + "-shm", pki.CAKey, pki.ServerKey, pki.KioskKey, office.SigningKey} {
		fi, err := os.Stat(h.path(f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
}

// TestServerFaultNotKept: a write that failed inside the back office (500) is not
// stored under its key: the same delivery succeeds once the fault is gone.
func TestServerFaultNotKept(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	ctx := context.Background()
	if _, err := h.office.DB.Exec(`CREATE TRIGGER fail_insert BEFORE INSERT ON applications BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`); err != nil {
		t.Fatal(err)
	}
	msg := app(h, testRef, kiosk.ServiceOneAccount, cardMinor, 0)
	_, err := c.Submit(ctx, testRef, msg)
	var e *backoffice.Error
	if !errors.As(err, &e) || e.Status != http.StatusInternalServerError || e.Code() != backoffice.CodeInternal || !errors.Is(err, backoffice.ErrUnavailable) {
		t.Fatalf("submit during the fault: %v", err)
	}
	if strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("the problem leaks the internal cause: %v", err)
	}
	if _, err := h.office.DB.Exec(`DROP TRIGGER fail_insert`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, testRef, msg); err != nil {
		t.Fatalf("retry after the fault: %v", err)
	}
	if h.last().header.Get(replayHeader) != "" {
		t.Fatal("the retry replayed the failed answer")
	}
	if n := h.count("applications"); n != 1 {
		t.Fatalf("%d applications, want 1", n)
	}
}

// TestCollectFromNotADate: an answer whose collection date is not a date still means
// the application was received (a failed delivery would be resent for ever and get the
// same answer): the kiosk takes it without a date, and the resident is told by SMS.
func TestCollectFromNotADate(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	h.setFault(func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"reference":%q,"status":"received","received_at":"2026-11-28T02:00:00Z","collect_from":"2026-02-30"}`, testRef)
	})
	ans, err := c.Submit(context.Background(), testRef, app(h, testRef, kiosk.ServicePassport, cardDemo, passportFee))
	if err != nil || !ans.CollectFrom.IsZero() {
		t.Fatalf("Submit = %+v, %v; want received, with no date", ans, err)
	}
	h.mu.Lock()
	h.exchanges = nil // the answer is out of contract on purpose
	h.mu.Unlock()
}
