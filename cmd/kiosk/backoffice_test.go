package main

// The kiosk against the reference back office (cmd/kiosk-backoffice) run as a child
// process on 127.0.0.1 with mutual TLS, wired from configuration as `kiosk run` wires
// it: the resident's record decides what is offered, the fee is paid through the
// back office's wallet order, the application reaches the back office once, paid.

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
	"github.com/macau-dsi/kiosk/printer"
	"github.com/macau-dsi/kiosk/sealbox"
	"github.com/macau-dsi/kiosk/store"
)

const testKioskID = "kiosk-test-01"

// stateCheckData is the screen where the resident confirms the card's data before a
// service's form (kiosk.StateCheckData, spelled out so these tests build with and
// without that screen).
const stateCheckData kiosk.State = "check_data"

var (
	boBinOnce sync.Once
	boBin     string
	boBinErr  error
)

// useBackOfficeBinary builds cmd/kiosk-backoffice once per test binary (into the
// user cache, replaced on every run, so runs leave one binary per checkout, not one
// each) and points findBackOfficeBinary at it. The folder is per checkout: tests of
// two worktrees running at once each run their own tree's back office, not whichever
// was built last.
func useBackOfficeBinary(tb testing.TB) {
	tb.Helper()
	if os.Getenv("KIOSK_TEST_CRASH_CHILD") != "" {
		return // the crash child inherits its parent's
	}
	boBinOnce.Do(func() {
		wd, _ := os.Getwd()
		root, ok := moduleRoot(wd)
		if !ok {
			boBinErr = fmt.Errorf("no module root above %s", wd)
			return
		}
		dir := filepath.Join(os.TempDir(), "dsi-kiosk-test-bin")
		if cache, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(cache, "dsi-kiosk", "test-bin")
		}
		sum := sha256.Sum256([]byte(root))
		boBin = filepath.Join(dir, hex.EncodeToString(sum[:6]), "kiosk-backoffice")
		cmd := exec.Command("go", "build", "-o", boBin, "./cmd/kiosk-backoffice")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			boBinErr = fmt.Errorf("go build ./cmd/kiosk-backoffice: %v\n%s", err, out)
		}
	})
	if boBinErr != nil {
		tb.Fatal(boBinErr)
	}
	tb.Setenv(backOfficeBinEnv, boBin)
}

// refBackOffice starts the reference back office for a kiosk whose subject key is
// made here, and returns it with the key file.
func refBackOffice(tb testing.TB) (*demoBackOffice, string) {
	tb.Helper()
	useBackOfficeBinary(tb)
	dir := tb.TempDir()
	keyFile := filepath.Join(dir, "subject.key")
	if _, err := store.LoadOrCreateSubjectKey(keyFile); err != nil {
		tb.Fatal(err)
	}
	d, err := startDemoBackOffice(context.Background(), filepath.Join(dir, "backoffice"), keyFile, testKioskID)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(d.close)
	return d, keyFile
}

// productionConfig is a production kiosk's configuration pointing at bo: its
// address and the certificates it made, as an installer writes them.
func productionConfig(tb testing.TB, bo *demoBackOffice, keyFile, dbDir string) config.Config {
	tb.Helper()
	cfg := config.Default()
	cfg.Kiosk.Mode = config.ModeProduction
	cfg.Kiosk.ID = testKioskID
	cfg.Store.Path = filepath.Join(dbDir, "kiosk.db")
	cfg.Store.SubjectKeyFile = keyFile
	cfg.Store.AuditKeyFile = filepath.Join(dbDir, "audit.key")
	cfg.BackOffice.URL = "https://" + bo.addr
	cfg.BackOffice.CertFile = filepath.Join(bo.dir, "kiosk.crt")
	cfg.BackOffice.KeyFile = filepath.Join(bo.dir, "kiosk.key")
	cfg.BackOffice.CAFile = filepath.Join(bo.dir, "ca.crt")
	cfg.BackOffice.SealKeyFile = filepath.Join(bo.dir, "seal.pub")
	cfg.BackOffice.Timeout = 5 * time.Second
	for _, p := range cfg.Validate() {
		if strings.HasPrefix(p.Key, "backoffice.") || strings.HasPrefix(p.Key, "payment.") || strings.HasPrefix(p.Key, "kiosk.") {
			tb.Fatalf("configuration problem: %+v", p)
		}
	}
	return cfg
}

// paySession is a kiosk session over fakes for the card and the face and the real
// store, back-office client and payments, wired from cfg.
type paySession struct {
	tb     testing.TB
	m      *kiosk.Machine
	db     *store.DB
	link   backOfficeLink
	card   *kiosktest.Card
	snaps  *snapRecorder
	cancel context.CancelFunc
	runErr chan error
}

func startPaySession(tb testing.TB, cfg config.Config, doc string, wrap func(kiosk.Store) kiosk.Store) *paySession {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, cfg.Store.Path, storeOptions(cfg))
	if err != nil {
		tb.Fatal(err)
	}
	subjects, err := store.LoadOrCreateSubjectKey(cfg.Store.SubjectKeyFile)
	if err != nil {
		tb.Fatal(err)
	}
	link, err := wireBackOffice(cfg, func(err error) { tb.Logf("background: %v", err) })
	if err != nil {
		tb.Fatal(err)
	}
	// Passwords are sealed to the back office's own key, as the kiosk is configured.
	sealer, err := sealbox.LoadSealer(cfg.BackOffice.SealKeyFile)
	if err != nil {
		tb.Fatal(err)
	}
	var oneAccounts kiosk.OneAccounts
	if link.client != nil {
		oneAccounts = backoffice.NewOneAccounts(link.client)
	}
	// The receipt printer as configured (a CUPS queue: the real adapter), else a fake.
	var receipts kiosk.Printer = &kiosktest.Printer{}
	if cfg.Printer.Queue != "" {
		words, err := i18n.NewTranslator(assets.Translations())
		if err != nil {
			tb.Fatal(err)
		}
		receipts = printer.New(printerOptions(cfg.Printer), words)
	}
	s := &paySession{tb: tb, db: db, link: link, snaps: newSnapRecorder(), cancel: cancel, runErr: make(chan error, 1),
		card: kiosktest.NewCard(kiosktest.Resident(doc, kiosktest.Day(1985, 3, 2), kiosktest.Day(2022, 1, 10), kiosktest.Day(2032, 1, 10)), kiosktest.DefaultPIN, 3)}
	var st kiosk.Store = db
	if wrap != nil {
		st = wrap(db)
	}
	s.m, err = kiosk.NewMachine(kiosk.MachineConfig{KioskID: cfg.Kiosk.ID, TickEvery: -1, PaymentPoll: 20 * time.Millisecond, PaymentTimeout: paymentTimeout},
		kiosk.Deps{Card: s.card, Face: kiosktest.NewFace(kiosktest.Match), Store: st, BackOffice: link.bo, Payments: link.pay,
			Printer: receipts, Clock: kiosk.SystemClock{}, Rand: rand.Reader, Subjects: subjects, Sealer: sealer,
			OneAccounts: oneAccounts, OnError: func(err error) { tb.Logf("session: %v", err) }})
	if err != nil {
		tb.Fatal(err)
	}
	s.m.Subscribe(s.snaps.add)
	go func() { s.runErr <- s.m.Run(ctx) }()
	tb.Cleanup(s.stop)
	return s
}

func (s *paySession) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.runErr
	s.link.close()
	s.db.Close()
	s.cancel = nil
}

func (s *paySession) wait(what string, ok func(kiosk.Snapshot) bool) kiosk.Snapshot {
	s.tb.Helper()
	snap, err := s.snaps.wait(waitScreen, ok, func(x kiosk.Snapshot) bool { return offPath[x.State] })
	if err != nil {
		s.tb.Fatalf("waiting for %s: %v", what, err)
	}
	return snap
}

func (s *paySession) idle(st kiosk.State) kiosk.Snapshot {
	s.tb.Helper()
	return s.wait(string(st), func(x kiosk.Snapshot) bool { return x.State == st && !x.Busy })
}

func (s *paySession) toMenu() kiosk.Snapshot {
	s.tb.Helper()
	s.idle(kiosk.StateAttract)
	s.m.Post(kiosk.Event{Kind: kiosk.EvStart, Language: kiosk.LangEN})
	s.idle(kiosk.StateInsertCard)
	s.card.Insert()
	s.idle(kiosk.StateFaceResult)
	s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
	return s.wait("the service menu", func(x kiosk.Snapshot) bool {
		return x.State == kiosk.StateServiceMenu && !x.Busy && len(x.Services) > 0
	})
}

// toPayment applies for service and confirms: the payment screen with the wallet
// order pending.
func (s *paySession) toPayment(service kiosk.ServiceID) kiosk.Snapshot {
	s.tb.Helper()
	form := s.chooseService(service)
	fillForm(s.m.Post, form.Form)
	s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
	s.idle(kiosk.StateSummary)
	s.m.Post(kiosk.Event{Kind: kiosk.EvConfirm})
	return s.wait("the wallet order", func(x kiosk.Snapshot) bool {
		return x.State == kiosk.StatePayment && x.Payment != nil && x.Payment.Status == kiosk.PayPending && x.Payment.QR != ""
	})
}

// chooseService picks service on the menu and returns its form, confirming the
// card's data on the way when the session asks for it.
func (s *paySession) chooseService(service kiosk.ServiceID) kiosk.Snapshot {
	s.tb.Helper()
	s.m.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: service})
	next := s.wait("the form", func(x kiosk.Snapshot) bool {
		return (x.State == stateCheckData || x.State == kiosk.StateServiceForm) && !x.Busy
	})
	if next.State == stateCheckData {
		s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
		next = s.wait("the photo step or the form", func(x kiosk.Snapshot) bool {
			return (x.State == kiosk.StatePhoto || x.State == kiosk.StateServiceForm) && !x.Busy
		})
	}
	if next.State == kiosk.StatePhoto {
		usePhotoOnFile(s.tb, next, s.m.Post)
		next = s.idle(kiosk.StateServiceForm)
	}
	return next
}

// usePhotoOnFile answers the photo step with the My Photo on file: the recorded
// camera shows the portrait on its original flag backdrop, which the portrait checks
// rightly refuse (facematch's tests take real photos from plain-background images).
func usePhotoOnFile(tb testing.TB, photo kiosk.Snapshot, post func(kiosk.Event)) {
	tb.Helper()
	if photo.Photo == nil || !photo.Photo.MyPhoto {
		tb.Fatalf("photo step without a My Photo on file: %+v", photo.Photo)
	}
	post(kiosk.Event{Kind: kiosk.EvUseMyPhoto})
}

// fillForm answers a form's fields: the first option, a Macau mobile number, a
// password that is not a run or a repeat.
func fillForm(post func(kiosk.Event), form []kiosk.FieldView) {
	for _, f := range form {
		v := ""
		switch f.Kind {
		case kiosk.FieldChoice:
			v = f.Options[0]
		case kiosk.FieldPhone:
			v = "66123456"
		case kiosk.FieldPassword:
			v = "2580"
		}
		post(kiosk.Event{Kind: kiosk.EvFormInput, Field: f.Name, Value: v})
	}
}

// backOfficeCounts reads what the back office holds: applications received, and
// payment orders by status (read-only, beside the running server).
func backOfficeCounts(tb testing.TB, bo *demoBackOffice) (apps int, orders map[string]int) {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(bo.dir, "backoffice.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT count(*) FROM applications`).Scan(&apps); err != nil {
		tb.Fatal(err)
	}
	rows, err := db.Query(`SELECT status, count(*) FROM orders GROUP BY status`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	orders = map[string]int{}
	for rows.Next() {
		var st string
		var n int
		rows.Scan(&st, &n)
		orders[st] = n
	}
	return apps, orders
}

func eligibleOn(menu kiosk.Snapshot, id kiosk.ServiceID) bool {
	for _, v := range menu.Services {
		if v.ID == id {
			return v.Eligible
		}
	}
	return false
}

// TestProductionBackOffice: a production kiosk configured with the back office's
// address and certificates offers the passport renewal to the seeded permanent
// resident whose passport expires in 4 months, and not to the one whose passport
// has 30 months left; the first pays through the wallet and the back office ends
// with exactly one application, paid.
func TestProductionBackOffice(t *testing.T) {
	bo, keyFile := refBackOffice(t)
	for _, tc := range []struct {
		card     string
		passport bool
	}{
		{"17654321", false}, // passport not due (30 months)
		{"12345678", true},  // passport expires in 4 months
	} {
		cfg := productionConfig(t, bo, keyFile, t.TempDir())
		s := startPaySession(t, cfg, tc.card, nil)
		if got := s.link.pay.Methods(); len(got) != 1 || got[0] != kiosk.PaymentQR {
			t.Fatalf("a production kiosk with no terminal offers %v, want the wallet QR only", got)
		}
		menu := s.toMenu()
		if got := eligibleOn(menu, kiosk.ServicePassport); got != tc.passport {
			t.Fatalf("card %s: passport offered %t, want %t (menu %+v)", tc.card, got, tc.passport, menu.Services)
		}
		if !tc.passport {
			s.stop()
			continue
		}
		s.toPayment(kiosk.ServicePassport)
		if apps, _ := backOfficeCounts(t, bo); apps != 0 {
			t.Fatalf("the back office holds %d applications before payment", apps)
		}
		if out, err := bo.tool(context.Background(), "pay", "approve", "latest"); err != nil {
			t.Fatal(err)
		} else {
			t.Logf("wallet: %s", strings.TrimSpace(out))
		}
		done := s.wait("the done screen", func(x kiosk.Snapshot) bool { return x.State == kiosk.StateDone && x.Reference != "" })
		if done.Receipt == nil || !done.Receipt.Paid || done.Receipt.Method != kiosk.PaymentQR || done.Receipt.PaymentRef == "" {
			t.Errorf("receipt %+v: want paid by wallet with the wallet's reference", done.Receipt)
		}
		n, err := (&kiosk.Deliverer{Queue: s.db, BackOffice: s.link.bo, OnError: func(err error) { t.Log(err) }}).DeliverDue(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("delivered %d, %v; want 1", n, err)
		}
		apps, orders := backOfficeCounts(t, bo)
		if apps != 1 || orders["paid"] != 1 || len(orders) != 1 {
			t.Fatalf("back office holds %d applications and orders %v; want 1 and one paid", apps, orders)
		}
		c, err := bo.client()
		if err != nil {
			t.Fatal(err)
		}
		if a, err := c.Application(context.Background(), done.Reference); err != nil || a.Status != "received" {
			t.Fatalf("application %s at the back office: %+v, %v", done.Reference, a, err)
		}
		c.Close()
		s.stop()
	}
}

// crashStore is the kiosk child's store: it says when the paid application is about
// to be released and then never returns, so the parent kills the process in exactly
// that gap (paid, not yet submitted).
type crashStore struct{ kiosk.Store }

func (c crashStore) ReleaseApplication(ctx context.Context, ref string, e kiosk.AuditEvent) error {
	fmt.Printf("RELEASING %s\n", ref)
	select {}
}

// TestCrashChild is the kiosk process of TestSIGKILLBetweenPaymentAndSubmission; it
// runs only when that test starts it.
func TestCrashChild(t *testing.T) {
	if os.Getenv("KIOSK_TEST_CRASH_CHILD") == "" {
		t.Skip("the kiosk process of TestSIGKILLBetweenPaymentAndSubmission")
	}
	bo := &demoBackOffice{addr: os.Getenv("KIOSK_TEST_BO_ADDR"), dir: os.Getenv("KIOSK_TEST_BO_DIR"), kioskID: testKioskID}
	cfg := productionConfig(t, bo, os.Getenv("KIOSK_TEST_SUBJECT_KEY"), os.Getenv("KIOSK_TEST_DB_DIR"))
	s := startPaySession(t, cfg, "12345678", func(st kiosk.Store) kiosk.Store { return crashStore{st} })
	s.toMenu()
	s.toPayment(kiosk.ServicePassport)
	fmt.Println("PENDING")
	select {} // killed by the parent
}

// TestSIGKILLBetweenPaymentAndSubmission: the kiosk process is killed (SIGKILL) after
// the resident's wallet paid and before the application was released to the outbox.
// The restarted kiosk's SettleHeld finds the application held, its order paid, and
// sends it: the back office ends with exactly one application and one paid order,
// and settling again changes nothing.
func TestSIGKILLBetweenPaymentAndSubmission(t *testing.T) {
	bo, keyFile := refBackOffice(t)
	dbDir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KIOSK_TEST_CRASH_CHILD=1", "KIOSK_TEST_BO_ADDR="+bo.addr, "KIOSK_TEST_BO_DIR="+bo.dir,
		"KIOSK_TEST_SUBJECT_KEY="+keyFile, "KIOSK_TEST_DB_DIR="+dbDir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(prefix string) string {
		t.Helper()
		timeout := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					cmd.Wait()
					t.Fatalf("the kiosk child ended before %s: %s", prefix, stderr.String())
				}
				if strings.HasPrefix(l, prefix) {
					return strings.TrimSpace(strings.TrimPrefix(l, prefix))
				}
			case <-timeout:
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("no %s from the kiosk child: %s", prefix, stderr.String())
			}
		}
	}
	expect("PENDING")
	if _, err := bo.tool(context.Background(), "pay", "approve", "latest"); err != nil {
		t.Fatal(err)
	}
	ref := expect("RELEASING")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if apps, orders := backOfficeCounts(t, bo); apps != 0 || orders["paid"] != 1 {
		t.Fatalf("after the kill the back office holds %d applications, orders %v; want 0 and one paid", apps, orders)
	}

	// The kiosk starts again: the same configuration, a new process's wiring.
	ctx := context.Background()
	cfg := productionConfig(t, bo, keyFile, dbDir)
	db, err := store.Open(ctx, cfg.Store.Path, storeOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	link, err := wireBackOffice(cfg, func(err error) { t.Log(err) })
	if err != nil {
		t.Fatal(err)
	}
	defer link.close()
	held, err := db.HeldApplications(ctx, time.Now().Add(time.Minute))
	if err != nil || len(held) != 1 || held[0].Reference != ref {
		t.Fatalf("held after the kill: %+v, %v; want %s", held, err, ref)
	}
	// A live payment try is never settled: the cut-off is older than any.
	if n, err := kiosk.SettleHeld(ctx, db, link.pay, kiosk.SystemClock{}, time.Now().Add(-(paymentTimeout + settleMargin))); err != nil || n != 0 {
		t.Fatalf("settled %d, %v with the start-up cut-off on a fresh hold; want 0", n, err)
	}
	// Later (a clock past the cut-off), the settling decides it.
	if n, err := kiosk.SettleHeld(ctx, db, link.pay, kiosk.SystemClock{}, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("settled %d, %v; want 1", n, err)
	}
	deliver := &kiosk.Deliverer{Queue: db, BackOffice: link.bo, OnError: func(err error) { t.Log(err) }}
	if n, err := deliver.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("delivered %d, %v; want 1", n, err)
	}
	if n, err := kiosk.SettleHeld(ctx, db, link.pay, kiosk.SystemClock{}, time.Now().Add(time.Minute)); err != nil || n != 0 {
		t.Fatalf("settling again: %d, %v", n, err)
	}
	if n, _ := deliver.DeliverDue(ctx); n != 0 {
		t.Fatalf("delivered %d more", n)
	}
	apps, orders := backOfficeCounts(t, bo)
	if apps != 1 || orders["paid"] != 1 || len(orders) != 1 {
		t.Fatalf("back office holds %d applications and orders %v; want exactly 1 and one paid", apps, orders)
	}
	a, err := db.Application(ctx, ref)
	if err != nil || a.Reference != ref {
		t.Fatalf("the kiosk's application: %+v, %v", a, err)
	}
}

// TestWireBackOffice: what the configuration gives the session: offline without a
// back office (no money taken), the wallet QR with one, the card terminal only where
// a simulated one is allowed, and a clear refusal of certificates that do not fit.
func TestWireBackOffice(t *testing.T) {
	bo, keyFile := refBackOffice(t)
	for _, tc := range []struct {
		name    string
		mod     func(*config.Config)
		methods []kiosk.PaymentMethod
		online  bool
		err     string
	}{
		{"no back office", func(c *config.Config) { c.BackOffice.URL = "" }, nil, false, ""},
		{"back office", func(*config.Config) {}, []kiosk.PaymentMethod{kiosk.PaymentQR}, true, ""},
		{"back office, wallet off", func(c *config.Config) { c.Payment.QR = false }, nil, true, ""},
		{"demo with the simulated terminal", func(c *config.Config) {
			c.Kiosk.Mode = config.ModeDemo
			c.Payment.Terminal = config.TerminalSimulated
		}, []kiosk.PaymentMethod{kiosk.PaymentQR, kiosk.PaymentCard}, true, ""},
		{"simulated terminal in production", func(c *config.Config) { c.Payment.Terminal = config.TerminalSimulated }, nil, false, "refused in production"},
		{"terminal without a back office", func(c *config.Config) {
			c.Kiosk.Mode = config.ModeDemo
			c.BackOffice.URL = ""
			c.Payment.Terminal = config.TerminalSimulated
		}, nil, false, "needs backoffice.url"},
		{"certificate of another kiosk", func(c *config.Config) { c.Kiosk.ID = "kiosk-other-02" }, nil, false, "kiosk-other-02"},
		{"plain http", func(c *config.Config) { c.BackOffice.URL = "http://" + bo.addr }, nil, false, "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := productionConfig(t, bo, keyFile, t.TempDir())
			tc.mod(&cfg)
			link, err := wireBackOffice(cfg, func(error) {})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer link.close()
			if got := link.pay.Methods(); !slices.Equal(got, tc.methods) {
				t.Errorf("methods %v, want %v", got, tc.methods)
			}
			// Held applications are settled only by a kiosk that can ask about their
			// orders: kiosk.NoPayments knows of none and would drop them, paid or not.
			if settles := link.payments != nil; settles != (len(tc.methods) > 0) {
				t.Errorf("settles held applications: %t with methods %v", settles, tc.methods)
			}
			_, lerr := link.bo.Lookup(context.Background(), strings.Repeat("0", 32))
			if online := !errors.Is(lerr, kiosk.ErrBackOfficeUnavailable); online != tc.online {
				t.Errorf("lookup: %v; want online=%t", lerr, tc.online)
			}
		})
	}
}

// TestDemoBackOfficeDiesWithKiosk: the demo's back office never outlives the kiosk,
// even one killed with SIGKILL (no chance to stop it).
func TestDemoBackOfficeDiesWithKiosk(t *testing.T) {
	if os.Getenv("KIOSK_TEST_BO_CHILD") != "" {
		d, err := startDemoBackOffice(context.Background(), os.Getenv("KIOSK_TEST_BO_DIR"), os.Getenv("KIOSK_TEST_SUBJECT_KEY"), testKioskID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("BACKOFFICE %d\n", d.cmd.Process.Pid)
		select {}
	}
	useBackOfficeBinary(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "subject.key")
	if _, err := store.LoadOrCreateSubjectKey(keyFile); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDemoBackOfficeDiesWithKiosk$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KIOSK_TEST_BO_CHILD=1", "KIOSK_TEST_BO_DIR="+filepath.Join(dir, "bo"), "KIOSK_TEST_SUBJECT_KEY="+keyFile)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "BACKOFFICE %d", &pid); err == nil {
			break
		}
	}
	if pid == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the kiosk child never started its back office")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		// Signal 0 on our own grandchild: gone (ESRCH) once reaped by init.
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(b), ") Z ") {
			return // killed, a zombie waiting for init to reap it
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL) // do not leave it behind
			t.Fatalf("the back office (pid %d) outlived the SIGKILLed kiosk", pid)
		}
	}
}
