package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/pki"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/seed"
	"github.com/macau-dsi/kiosk/kiosk"
)

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:8443", false, true},
		{"127.0.0.1:0", false, true},
		{"[::1]:8443", false, true},
		{"localhost:8443", false, true},
		{":8443", false, false},
		{"0.0.0.0:8443", false, false},
		{"192.168.1.10:8443", false, false},
		{"backoffice.example:8443", false, false},
		{"0.0.0.0:8443", true, true},
		{"127.0.0.1", false, false},
	} {
		if err := checkListen(tc.addr, tc.remote); (err == nil) != tc.ok {
			t.Errorf("checkListen(%q, remote=%v) = %v, want ok=%v", tc.addr, tc.remote, err, tc.ok)
		}
	}
}

// syncBuffer lets the test read what serve prints while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot(&out, &errb)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// TestCommands: serve on 127.0.0.1:0 with certificates made on first run and the
// demo cards seeded, then the testers' commands on the other side of each flow.
func TestCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bo")
	keyFile := filepath.Join(t.TempDir(), "subject.key")
	k := make([]byte, 32)
	rand.Read(k)
	os.WriteFile(keyFile, k, 0o600)
	hasher, _ := seed.LoadHasher(keyFile)

	if _, err := run(t, "serve", "--dir", dir, "--listen", "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Fatalf("non-loopback listen: %v", err)
	}
	if _, err := run(t, "list", "--dir", dir); err == nil || !strings.Contains(err.Error(), "serve") {
		t.Fatalf("list before serve: %v", err)
	}

	out := &syncBuffer{}
	root := newRoot(out, &bytes.Buffer{})
	root.SetArgs([]string{"serve", "--dir", dir, "--listen", "127.0.0.1:0", "--kiosk-id", "kiosk-cli-01", "--subject-key", keyFile,
		"--profiles", "../../cardio/emulator/profiles/*.yaml,../../cardio/emulator/testdata/*.yaml"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	re := regexp.MustCompile(`listening on https://(127\.0\.0\.1:\d+)`)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("serve did not start:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "made "+filepath.Join(dir, pki.KioskKey)) || !strings.Contains(out.String(), "seeded") {
		t.Fatalf("serve output:\n%s", out.String())
	}
	for _, f := range []string{pki.CAKey, pki.ServerKey, pki.KioskKey} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi.Mode(), err)
		}
	}
	c, err := backoffice.New(backoffice.Options{
		BaseURL: "https://" + addr, CertFile: filepath.Join(dir, pki.KioskCert), KeyFile: filepath.Join(dir, pki.KioskKey),
		CAFile: filepath.Join(dir, pki.CACert), KioskID: "kiosk-cli-01",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bg := context.Background()

	// The simulated wallet.
	const ref = "261128-7KQ2M4PT-X"
	if _, err := c.CreatePaymentOrder(bg, "order-"+ref, ref, backoffice.PaymentOrderRequest{Service: kiosk.ServicePassport, Amount: 30000}); err != nil {
		t.Fatal(err)
	}
	if got, err := run(t, "pay", "approve", strings.ToLower(ref), "--dir", dir); err != nil || !strings.Contains(got, "paid (MOP 300.00)") {
		t.Fatalf("pay approve: %q, %v", got, err)
	}
	if _, err := run(t, "pay", "decline", ref, "--dir", dir); err == nil {
		t.Fatal("declined a paid order")
	}
	if o, err := c.PaymentOrder(bg, ref); err != nil || o.Status != backoffice.OrderPaid || o.ProviderRef == "" {
		t.Fatalf("order after approval: %+v, %v", o, err)
	}
	const ref2 = "261128-ABCDEFGH-1"
	if _, err := c.CreatePaymentOrder(bg, "order-"+ref2, ref2, backoffice.PaymentOrderRequest{Service: kiosk.ServicePassport, Amount: 30000}); err != nil {
		t.Fatal(err)
	}
	if got, err := run(t, "pay", "expire", "latest", "--dir", dir); err != nil || !strings.Contains(got, ref2+": expired") {
		t.Fatalf("pay expire: %q, %v", got, err)
	}
	if _, err := run(t, "pay", "approve", ref2, "--dir", dir); err == nil {
		t.Fatal("the wallet paid an order after expire")
	}
	if _, err := run(t, "pay", "approve", "latest", "--dir", dir); err == nil {
		t.Fatal("pay approve latest found an order when none waits")
	}
	if o, err := c.PaymentOrder(bg, ref2); err != nil || o.Status != backoffice.OrderExpired {
		t.Fatalf("order after expire: %+v, %v", o, err)
	}

	// The SMS gateway and the One Account app.
	subject := hasher.Hash("17654321")
	ch, err := c.SendOTP(bg, "otp-cli-0001", backoffice.OTPRequest{Subject: subject, Phone: "66123456", Purpose: backoffice.OTPPurposeOneAccount, Language: kiosk.LangEN})
	if err != nil {
		t.Fatal(err)
	}
	got, err := run(t, "sms", "last", "--dir", dir)
	m := regexp.MustCompile(`code (\d{6}) to ••••••56,`).FindStringSubmatch(got)
	if err != nil || m == nil {
		t.Fatalf("sms last: %q, %v", got, err)
	}
	if _, err := c.VerifyOTP(bg, "otp-cli-0002", ch.ChallengeID, m[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateOneAccount(bg, "acct-cli-0001", backoffice.OneAccountRequest{Subject: subject, Phone: "66123456", OTPChallengeID: ch.ChallengeID, Language: kiosk.LangEN}); err != nil {
		t.Fatal(err)
	}
	b, err := c.StartEIDBinding(bg, "bind-cli-0001", subject)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := run(t, "app", "scan", b.QRPayload, "--dir", dir); err != nil || !strings.Contains(got, "bound") {
		t.Fatalf("app scan: %q, %v", got, err)
	}
	if _, err := run(t, "app", "scan", b.QRPayload, "--dir", dir); err == nil {
		t.Fatal("the same binding QR scanned twice")
	}
	qr, err := run(t, "app", "eid", subject, "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := c.VerifyEIDLogin(bg, "login-cli-0001", strings.TrimSpace(qr)); err != nil || l.Subject != subject {
		t.Fatalf("eID login with the app's code: %+v, %v", l, err)
	}
	// The seeded eID resident by card number, with the code as a PNG for a camera.
	if _, err := run(t, "app", "eid-qr", "--resident", "52468013", "--dir", dir); err == nil || !strings.Contains(err.Error(), "--subject-key") {
		t.Fatalf("eid-qr by card number without the key: %v", err)
	}
	pngPath := filepath.Join(t.TempDir(), "eid.png")
	qr, err = run(t, "app", "eid-qr", "--resident", "52468013", "--subject-key", keyFile, "--png", pngPath, "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(pngPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("eID PNG: %v %v", fi, err)
	}
	if got := decodeQRFile(t, pngPath); got != strings.TrimSpace(qr) {
		t.Fatalf("the PNG says %q, the command printed %q", got, qr)
	}
	if l, err := c.VerifyEIDLogin(bg, "login-cli-0002", strings.TrimSpace(qr)); err != nil || l.Subject != hasher.Hash("52468013") ||
		l.Holder.Names.Primary != "HO" || l.Photo.Format != "jpeg" || len(l.Photo.Data) == 0 {
		t.Fatalf("eID login with the PNG's code: %+v, %v", l.Holder, err)
	}

	list, err := run(t, "list", "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{ref, "paid", "kiosk-cli-01", "minor.yaml", "bound"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "66123456") || strings.Contains(list, subject) {
		t.Errorf("list shows a full phone number or subject:\n%s", list)
	}
}

// decodeQRFile reads the QR code in a PNG, as a camera-side decoder would.
func decodeQRFile(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code in %s: %v", path, err)
	}
	return res.GetText()
}
