package main

// End to end through the demo wiring of `kiosk run --demo`, without a window: the
// emulated demo card behind the real pcscd + vpcd, read and verified by cardio, the
// demo recording as the camera through the real facematch pipeline (quality gate,
// liveness, injected-video checks, 1:1 match with the chip photo), the session
// machine, and the SQLite store.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	kioskapp "github.com/macau-dsi/kiosk/app"
	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/store"
)

// demoSession is `kiosk run --demo` minus the window.
type demoSession struct {
	tb    testing.TB
	devs  devices
	m     *kiosk.Machine
	db    *store.DB
	card  *demoCard
	hands *demoHands
	faces *decisionLog
	snaps *snapRecorder

	cancel context.CancelFunc
	runErr chan error
}

// startDemoSession wires the demo exactly as runKiosk does (demoConfig, hardware,
// newMachine, Run, background workers) with the database in a temporary folder. It
// skips only when pcscd or the vpcd driver cannot start here.
func startDemoSession(tb testing.TB, background bool) *demoSession {
	tb.Helper()
	return startDemoSessionWith(tb, background, nil, nil)
}

// startDemoSessionWith is startDemoSession with the demo's configuration changed by
// mod first (a CUPS queue instead of the PDF folder, say), and the wired ports by
// deps before the machine is built.
func startDemoSessionWith(tb testing.TB, background bool, mod func(*config.Config), deps func(*kiosk.Deps)) *demoSession {
	tb.Helper()
	cfg := demoConfig(config.Default())
	dir := tb.TempDir()
	cfg.Store.Path = filepath.Join(dir, "kiosk.db")
	cfg.Store.SubjectKeyFile = filepath.Join(dir, "subject.key")
	if mod != nil {
		mod(&cfg)
	}

	useBackOfficeBinary(tb) // the demo's back office is the reference one, a child process
	ctx, cancel := context.WithCancel(context.Background())
	o := runOptions{demo: true, camera: -1}
	devs, err := hardware(ctx, cfg, o)
	if errors.Is(err, vpcdtest.ErrUnavailable) {
		cancel()
		tb.Skipf("skipping: the demo card needs pcscd with the vpcd driver: %v", err)
	}
	if err != nil {
		cancel()
		tb.Fatalf("wiring the demo devices: %v", err)
	}
	s := &demoSession{tb: tb, devs: devs, cancel: cancel, runErr: make(chan error, 1), snaps: newSnapRecorder()}
	tb.Cleanup(s.stop)
	var ok bool
	if s.db, ok = devs.deps.Store.(*store.DB); !ok {
		tb.Fatalf("demo store is %T, want *store.DB", devs.deps.Store)
	}
	if s.hands, ok = devs.demo.(*demoHands); !ok {
		tb.Fatalf("demo controls are %T, want *demoHands", devs.demo)
	}
	s.card = s.hands.demoCard
	if devs.backOffice == nil || devs.deps.Payments == nil {
		tb.Fatal("the demo has no back office or no payments")
	}
	if _, ok := devs.deps.Face.(anyChallenge); !ok {
		tb.Fatalf("demo face verifier is %T, want the any-challenge wrapper", devs.deps.Face)
	}
	s.faces = &decisionLog{v: devs.deps.Face}
	s.devs.deps.Face = s.faces

	if deps != nil {
		deps(&s.devs.deps)
	}
	if s.m, err = newMachine(cfg, o, s.devs); err != nil {
		tb.Fatalf("newMachine: %v", err)
	}
	s.m.Subscribe(s.snaps.add)
	go func() { s.runErr <- s.m.Run(ctx) }()
	if background && devs.background != nil {
		devs.background(ctx, s.m.Post)
	}
	return s
}

func (s *demoSession) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	if s.m != nil {
		if err := <-s.runErr; err != nil && !errors.Is(err, context.Canceled) {
			s.tb.Errorf("machine: %v", err)
		}
	}
	s.devs.close()
	s.cancel = nil
}

// Waits are bounded so that a hung device fails the test; they are not speed
// requirements (those are in the benchmarks).
const (
	waitDevice = 60 * time.Second // card read, face attempt (gate + 8 s challenge + 3 s)
	waitScreen = 10 * time.Second
)

// Screens the happy path must never reach; waiting stops at once when one shows.
var offPath = map[kiosk.State]bool{
	kiosk.StateCardProblem: true, kiosk.StateCounter: true, kiosk.StatePIN: true, kiosk.StateOutOfService: true,
}

// wait returns the first new snapshot for which ok holds, failing on a timeout or
// when the session leaves the happy path.
func (s *demoSession) wait(what string, timeout time.Duration, ok func(kiosk.Snapshot) bool) kiosk.Snapshot {
	s.tb.Helper()
	snap, err := s.snaps.wait(timeout, ok, func(x kiosk.Snapshot) bool { return offPath[x.State] })
	if err != nil {
		s.tb.Fatalf("waiting for %s: %v; face decisions: %s", what, err, s.faces.summary())
	}
	return snap
}

func (s *demoSession) waitState(st kiosk.State, timeout time.Duration) kiosk.Snapshot {
	s.tb.Helper()
	return s.wait("state "+string(st), timeout, func(x kiosk.Snapshot) bool { return x.State == st && !x.Busy })
}

// toMenu inserts the card through the demo controls and follows the session to the
// service menu, as a resident does: reading → face → result → continue → menu.
func (s *demoSession) toMenu() (menu kiosk.Snapshot, read, face time.Duration) {
	s.tb.Helper()
	var controls interface{ InsertCard() } = s.devs.demo // the DEMO banner's button
	return s.insertToMenu(controls.InsertCard)
}

// insertToMenu is toMenu with the card put in by insert (another profile's card, say).
func (s *demoSession) insertToMenu(insert func()) (menu kiosk.Snapshot, read, face time.Duration) {
	s.tb.Helper()
	start := time.Now()
	insert()
	s.wait("state reading", waitScreen, func(x kiosk.Snapshot) bool { return x.State == kiosk.StateReading })
	s.wait("state face", waitDevice, func(x kiosk.Snapshot) bool { return x.State == kiosk.StateFace })
	read = time.Since(start)
	s.faceMatched()
	face = time.Since(start) - read
	s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
	menu = s.wait("the service menu", waitScreen, func(x kiosk.Snapshot) bool {
		return x.State == kiosk.StateServiceMenu && !x.Busy && len(x.Services) > 0
	})
	return menu, read, face
}

// faceMatched waits for the face step's matched result.
func (s *demoSession) faceMatched() kiosk.Snapshot {
	s.tb.Helper()
	res := s.waitState(kiosk.StateFaceResult, waitDevice)
	// The recording plays in real time: on a busy machine the frames of its blink or
	// turn can be dropped, and the attempt fails as a resident's would. The resident
	// then tries again, as the session offers; only the last attempt failing fails.
	for !res.Face.Matched && res.Face.AttemptsLeft > 0 {
		s.tb.Logf("face attempt %d not matched, trying again; decisions: %s", res.Face.Attempt, s.faces.summary())
		s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
		prev := res.Face.Attempt
		res = s.wait("the next face result", waitDevice, func(x kiosk.Snapshot) bool {
			return x.State == kiosk.StateFaceResult && !x.Busy && x.Face.Attempt > prev
		})
	}
	if !res.Face.Matched {
		s.tb.Fatalf("face attempt %d not matched; decisions: %s", res.Face.Attempt, s.faces.summary())
	}
	return res
}

// fill answers a form's fields: the first option, a Macau mobile number, a PIN-like
// password that is not a run or a repeat.
func (s *demoSession) fill(form []kiosk.FieldView) {
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
		s.m.Post(kiosk.Event{Kind: kiosk.EvFormInput, Field: f.Name, Value: v})
	}
}

// apply chooses service on the menu, fills its form, confirms the summary, pays when
// the service has a fee, and returns the done screen.
func (s *demoSession) apply(service kiosk.ServiceID) kiosk.Snapshot {
	s.tb.Helper()
	next := s.confirm(service)
	if next.State == kiosk.StateDone {
		return next // a free service
	}
	s.pay()
	return s.wait("state done", waitDevice, func(x kiosk.Snapshot) bool { return x.State == kiosk.StateDone && x.Reference != "" })
}

// confirm chooses service on the menu, fills its form, confirms the summary and
// returns the next screen: the payment screen, or done for a free service.
func (s *demoSession) confirm(service kiosk.ServiceID) kiosk.Snapshot {
	s.tb.Helper()
	s.m.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: service})
	form := s.wait("the form", waitScreen, func(x kiosk.Snapshot) bool {
		return (x.State == stateCheckData || x.State == kiosk.StateServiceForm) && !x.Busy
	})
	if form.State == stateCheckData { // the card's data, for the resident to confirm
		s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
		form = s.wait("the photo step or the form", waitScreen, func(x kiosk.Snapshot) bool {
			return (x.State == kiosk.StatePhoto || x.State == kiosk.StateServiceForm) && !x.Busy
		})
	}
	if form.State == kiosk.StatePhoto {
		usePhotoOnFile(s.tb, form, s.m.Post)
		form = s.waitState(kiosk.StateServiceForm, waitScreen)
	}
	if form.Service != service || len(form.Form) == 0 {
		s.tb.Fatalf("form for %q with %d fields, want %q", form.Service, len(form.Form), service)
	}
	s.fill(form.Form)
	s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
	sum := s.waitState(kiosk.StateSummary, waitScreen)
	if sum.Summary == nil || sum.Summary.Service != service {
		s.tb.Fatalf("summary %+v, want one for %q", sum.Summary, service)
	}
	s.m.Post(kiosk.Event{Kind: kiosk.EvConfirm})
	return s.wait("payment or done", waitDevice, func(x kiosk.Snapshot) bool {
		return (x.State == kiosk.StatePayment && !x.Busy) || (x.State == kiosk.StateDone && x.Reference != "")
	})
}

// pay chooses the wallet QR on the payment screen and pays with the DEMO banner's
// wallet button (the reference back office's simulated wallet).
func (s *demoSession) pay() {
	s.tb.Helper()
	s.walletQR()
	// Through the controls the window has (the memory benchmark's child has no
	// demoSession.hands).
	hands, ok := s.devs.demo.(kioskapp.DemoPayments)
	if !ok {
		s.tb.Fatalf("the demo controls %T have no payment buttons", s.devs.demo)
	}
	hands.WalletApprove()
}

// walletQR chooses the wallet on the payment screen and waits for the order's QR.
func (s *demoSession) walletQR() kiosk.Snapshot {
	s.tb.Helper()
	s.m.Post(kiosk.Event{Kind: kiosk.EvChoosePayment, Value: string(kiosk.PaymentQR)})
	return s.wait("the wallet QR", waitScreen, func(x kiosk.Snapshot) bool {
		return x.State == kiosk.StatePayment && x.Payment != nil && x.Payment.Status == kiosk.PayPending && x.Payment.QR != ""
	})
}

// pull takes the card out and waits for the attract screen.
func (s *demoSession) pull() kiosk.Snapshot {
	s.tb.Helper()
	s.devs.demo.RemoveCard()
	return s.wait("the attract screen after the card was pulled", waitScreen, func(x kiosk.Snapshot) bool { return x.State == kiosk.StateAttract })
}

func firstEligible(views []kiosk.ServiceView) (kiosk.ServiceID, bool) {
	for _, v := range views {
		if v.Eligible {
			return v.ID, true
		}
	}
	return "", false
}

func TestDemoEndToEnd(t *testing.T) {
	s := startDemoSession(t, true)
	p := s.card.env.Profile

	attract := s.waitState(kiosk.StateAttract, waitScreen)
	if !attract.Demo {
		t.Error("the attract screen has no DEMO banner")
	}

	menu, readTime, faceTime := s.toMenu()
	t.Logf("card in to face screen %v, face %v", readTime.Round(time.Millisecond), faceTime.Round(time.Millisecond))
	if n := s.snaps.faceFrames(); n == 0 {
		t.Error("the face screen never showed a camera picture")
	}
	d := s.faces.last()
	if d.Challenge != kiosk.ChallengeAny || !d.Live || !d.Match || d.Score < d.Threshold {
		t.Errorf("face decision %+v: want live and matching under challenge any", d)
	}
	for _, want := range []string{"injection.repeat", "injection.still", "injection.timing", "same_person_after_challenge", "card_photo"} {
		if c, ok := findCheck(d.Checks, want); !ok || !c.OK {
			t.Errorf("face check %s: %+v (found %t)", want, c, ok)
		}
	}
	if menu.Holder == nil || menu.Holder.NameChinese != p.Names.Chinese || menu.Holder.NamePortuguese != p.Names.Portuguese {
		t.Fatalf("menu greets %+v, want %s / %s", menu.Holder, p.Names.Chinese, p.Names.Portuguese)
	}
	eligible := map[kiosk.ServiceID]bool{}
	for _, v := range menu.Services {
		eligible[v.ID] = v.Eligible
	}
	// The demo card's passport expires in 4 months at the reference back office:
	// renewal is due.
	if !eligible[kiosk.ServicePassport] {
		t.Fatalf("passport not offered on the demo menu: %+v", menu.Services)
	}
	if m := s.devs.deps.Payments.Methods(); !slices.Equal(m, []kiosk.PaymentMethod{kiosk.PaymentQR, kiosk.PaymentCard}) {
		t.Fatalf("the demo offers %v, want the wallet QR and the card terminal", m)
	}

	done := s.apply(kiosk.ServicePassport) // paid through the wallet
	ref := done.Reference
	ctx := context.Background()
	if done.Receipt == nil || !done.Receipt.Paid || done.Receipt.Method != kiosk.PaymentQR || done.Receipt.PaymentRef == "" {
		t.Errorf("receipt %+v: want paid by wallet", done.Receipt)
	}
	// The outbox delivers it (the background worker may too: the same key, once).
	if _, err := (&kiosk.Deliverer{Queue: s.db, BackOffice: s.devs.deps.BackOffice}).DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	apps, orders := backOfficeCounts(t, s.devs.backOffice)
	if apps != 1 || orders["paid"] != 1 || len(orders) != 1 {
		t.Errorf("the demo's back office holds %d applications and orders %v; want exactly one, and one paid order", apps, orders)
	}
	if c, err := s.devs.backOffice.client(); err != nil {
		t.Error(err)
	} else {
		if a, err := c.Application(ctx, ref); err != nil || a.Reference != ref {
			t.Errorf("the back office does not have %s: %+v, %v", ref, a, err)
		}
		if o, err := c.PaymentOrder(ctx, ref); err != nil || o.Status != "paid" || o.Amount != done.Receipt.Fee {
			t.Errorf("order of %s: %+v, %v", ref, o, err)
		}
		c.Close()
	}
	// The demo prints receipts as PDFs beside its database.
	if done.Notice == kiosk.MsgPrinterUnavailable {
		t.Error("the demo says the receipt could not be printed")
	}
	if fi, err := os.Stat(filepath.Join(filepath.Dir(s.db.Path()), "receipts", "receipt-"+ref+".pdf")); err != nil || fi.Size() == 0 {
		t.Errorf("no printed receipt for %s: %v", ref, err)
	}
	app, err := s.db.Application(ctx, ref)
	if err != nil {
		t.Fatalf("the application is not in the demo database: %v", err)
	}
	subject := s.devs.deps.Subjects.Hash(p.DocumentNumber)
	if app.Service != string(kiosk.ServicePassport) || app.Subject != subject || app.Fee != menuFee(menu, kiosk.ServicePassport) {
		t.Errorf("stored application %s: service %q subject %q fee %d; want passport, the keyed hash of the card number, the menu's fee",
			app.Reference, app.Service, app.Subject, app.Fee)
	}
	if strings.Contains(app.Subject, p.DocumentNumber) {
		t.Error("the application names the raw card number")
	}
	n, err := s.db.VerifyAudit(ctx)
	if err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	rows, err := s.db.AuditRows(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, r := range rows {
		actions[r.Action] = true
		for _, secret := range []string{p.DocumentNumber, p.Names.Chinese, p.Names.Portuguese} {
			if strings.Contains(r.Subject+" "+r.Detail, secret) {
				t.Errorf("audit row %d (%s) carries personal data", r.Seq, r.Action)
			}
		}
	}
	t.Logf("audit chain verified over %d rows; actions %v", n, slices.Sorted(maps.Keys(actions)))

	gone := s.pull()
	if leaks := residentLeaks(gone, p.DocumentNumber, p.Names.Chinese, p.Names.Portuguese, ref); leaks != "" {
		t.Errorf("after the card was pulled the snapshot still holds %s", leaks)
	}
	// Every screen of the session wrote its row; the chain still verifies after the end.
	if m, err := s.db.VerifyAudit(ctx); err != nil || m < n {
		t.Errorf("audit after the session: %d rows, %v", m, err)
	}
}

// residentLeaks lists what of the resident a snapshot still shows.
func residentLeaks(s kiosk.Snapshot, secrets ...string) string {
	var out []string
	if s.Holder != nil {
		out = append(out, "the holder")
	}
	if s.Services != nil || s.Service != "" || s.Form != nil || s.Summary != nil || s.Reference != "" {
		out = append(out, "service data")
	}
	if s.Face.Frame != nil || s.Face.Attempt != 0 {
		out = append(out, "the face step")
	}
	if s.PINLength != 0 {
		out = append(out, "PIN digits")
	}
	dump := fmt.Sprintf("%+v", s)
	for _, x := range secrets {
		if x != "" && strings.Contains(dump, x) {
			out = append(out, fmt.Sprintf("%q", x))
		}
	}
	return strings.Join(out, ", ")
}

func menuFee(menu kiosk.Snapshot, id kiosk.ServiceID) int {
	for _, v := range menu.Services {
		if v.ID == id {
			return v.Fee
		}
	}
	return -1
}

func findCheck(cs []kiosk.Check, name string) (kiosk.Check, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return kiosk.Check{}, false
}

// BenchmarkDemoCardToMenu: card in (the DEMO banner's button) to the service menu,
// through the emulator, pcscd, vpcd, cardio's read and passive authentication, the
// recorded camera played in real time and the whole face pipeline; the card is pulled
// between operations (not timed). Machine time, with the recording's own pace: the
// face step waits for the recording's next action (a blink or a turn every ~3 s).
func BenchmarkDemoCardToMenu(b *testing.B) {
	s := startDemoSession(b, false)
	s.waitState(kiosk.StateAttract, waitScreen)
	var read, face time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, r, f := s.toMenu()
		read, face = read+r, face+f
		b.StopTimer()
		s.pull()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(read.Milliseconds())/float64(b.N), "read-ms/op")
	b.ReportMetric(float64(face.Milliseconds())/float64(b.N), "face-ms/op")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkDemoSession: a whole resident session, card in to the attract screen after
// the card is taken: read, face, menu, the first eligible service's form, summary,
// submit (SQLite, outbox), done, pull. The background workers are not started and
// the session does not deliver at once (no Outbox), so the demo back office never
// learns of the applications and the same services stay eligible for every session.
func BenchmarkDemoSession(b *testing.B) {
	s := startDemoSessionWith(b, false, nil, func(d *kiosk.Deps) { d.Outbox = nil })
	s.waitState(kiosk.StateAttract, waitScreen)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		menu, _, _ := s.toMenu()
		id, ok := firstEligible(menu.Services)
		if !ok {
			b.Fatalf("no eligible service on the demo menu: %+v", menu.Services)
		}
		s.apply(id)
		s.pull()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// decisionLog keeps the face decisions of a session, for the test's checks and
// its failure messages (scores and check names only: no image or template).
type decisionLog struct {
	v  kiosk.FaceVerifier
	mu sync.Mutex
	ds []kiosk.FaceDecision
}

func (l *decisionLog) Verify(ctx context.Context, ref kiosk.FacePhoto, c kiosk.Challenge, progress func(kiosk.FaceProgress)) (kiosk.FaceDecision, error) {
	d, err := l.v.Verify(ctx, ref, c, progress)
	l.mu.Lock()
	l.ds = append(l.ds, d)
	l.mu.Unlock()
	return d, err
}

func (l *decisionLog) last() kiosk.FaceDecision {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ds) == 0 {
		return kiosk.FaceDecision{}
	}
	return l.ds[len(l.ds)-1]
}

func (l *decisionLog) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ds) == 0 {
		return "none"
	}
	var out []string
	for _, d := range l.ds {
		var failed []string
		for _, c := range d.Checks {
			if !c.OK {
				failed = append(failed, c.Name+": "+c.Detail)
			}
		}
		out = append(out, fmt.Sprintf("[%s live=%t match=%t score=%.3f reason=%q failed=%v]", d.Challenge, d.Live, d.Match, d.Score, d.Reason, failed))
	}
	return strings.Join(out, " ")
}

// snapRecorder keeps the machine's snapshots until a wait consumes them. Camera
// pictures are counted and dropped, so a long face step does not pile up frames.
type snapRecorder struct {
	mu        sync.Mutex
	snaps     []kiosk.Snapshot
	frames    int
	eidFrames int
	wake      chan struct{}
}

func newSnapRecorder() *snapRecorder { return &snapRecorder{wake: make(chan struct{}, 1)} }

func (r *snapRecorder) add(s kiosk.Snapshot) {
	r.mu.Lock()
	if s.Face.Frame != nil {
		r.frames++
		s.Face.Frame = nil
	}
	if s.EID != nil && s.EID.Frame != nil { // the eID scan's preview: counted, not kept
		r.eidFrames++
		s.EID = &kiosk.EIDView{}
	}
	r.snaps = append(r.snaps, s)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *snapRecorder) eidFramesSeen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.eidFrames
}

func (r *snapRecorder) faceFrames() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames
}

// wait consumes snapshots up to and including the first for which ok holds; it
// gives up at the first one for which stop holds, or after timeout.
func (r *snapRecorder) wait(timeout time.Duration, ok, stop func(kiosk.Snapshot) bool) (kiosk.Snapshot, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var last kiosk.Snapshot
	for {
		r.mu.Lock()
		for i, s := range r.snaps {
			last = s
			if ok(s) {
				r.snaps = append(r.snaps[:0], r.snaps[i+1:]...)
				r.mu.Unlock()
				return s, nil
			}
			if stop(s) {
				r.snaps = append(r.snaps[:0], r.snaps[i+1:]...)
				r.mu.Unlock()
				return s, fmt.Errorf("the session went to %s (message %q)", s.State, s.Message)
			}
		}
		r.snaps = r.snaps[:0]
		r.mu.Unlock()
		select {
		case <-r.wake:
		case <-deadline.C:
			return last, fmt.Errorf("timed out after %v; last snapshot state=%s busy=%t message=%q", timeout, last.State, last.Busy, last.Message)
		}
	}
}
