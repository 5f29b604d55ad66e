package cardio

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// These tests go through the real stack: ebfe/scard → pcscd → vpcd → the card
// emulator (cardio/vpcdtest). They skip only when pcscd or vpcd is not installed.

const profiles = "emulator/testdata"

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func startCard(t testing.TB, profile string) (*vpcdtest.Env, *lds.TrustStore) {
	t.Helper()
	env := vpcdtest.StartT(t, vpcdtest.Options{Profile: filepath.Join(profiles, profile), Timeout: 5 * time.Minute})
	if env == nil {
		return nil, nil
	}
	ts, err := lds.LoadTrustStore(env.TrustStore)
	if err != nil {
		t.Fatal(err)
	}
	return env, ts
}

func newReader(env *vpcdtest.Env, ts *lds.TrustStore) *PCSCReader {
	return NewPCSCReader(PCSCConfig{Reader: env.ReaderName, AllowVirtual: true, Trust: ts, PollInterval: 200 * time.Millisecond})
}

func TestPCSCReadProfiles(t *testing.T) {
	if err := vpcdtest.Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(profiles, "*.yaml"))
	if len(files) < 6 {
		t.Fatalf("only %d profiles shipped", len(files))
	}
	sort.Strings(files)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			env, ts := startCard(t, name)
			p := env.Profile
			r := newReader(env, ts)
			read, err := r.Read(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer read.Wipe()
			wantFail := map[string]string{}
			if p.Faults.TamperDG != 0 {
				wantFail[lds.HashCheckName(p.Faults.TamperDG)] = "tampered"
			}
			if p.Faults.Signer == "expired" {
				wantFail[lds.CheckDSValidity] = "expired signer"
			}
			if p.Faults.SOD != "" {
				// No EF.SOD, or an empty one: sod_parsed fails, nothing else is checked.
				for _, c := range read.PassiveAuth {
					wantFail[c.Name] = "no EF.SOD"
				}
			}
			for _, c := range read.PassiveAuth {
				if c.OK == (wantFail[c.Name] != "") {
					t.Errorf("check %s ok=%v (%s)", c.Name, c.OK, c.Detail)
				}
			}
			if read.Verified != (len(wantFail) == 0) {
				t.Errorf("verified = %v", read.Verified)
			}
			h := read.Holder
			if h.DocumentNumber != p.DocumentNumber || h.Names.Chinese != p.Names.Chinese || h.Names.Primary != strings.ToUpper(p.Names.Surname) || h.Sex != p.Sex || h.Nationality != p.Nationality {
				t.Errorf("holder %q %q %q %q %q", h.DocumentNumber, h.Names.Chinese, h.Names.Primary, h.Sex, h.Nationality)
			}
			if string(h.Residency) != p.Residency {
				t.Errorf("residency %q, want %q", h.Residency, p.Residency)
			}
			if p.Faults.TamperDG != 11 && h.Names.Portuguese != p.Names.Portuguese {
				t.Errorf("Portuguese name %q", h.Names.Portuguese)
			}
			if h.BirthDate.Format(time.DateOnly) != p.BirthDate || h.ExpiryDate.Format(time.DateOnly) != p.ExpiryDate || h.IssueDate.Format(time.DateOnly) != p.IssueDate {
				t.Errorf("dates %v %v %v", h.BirthDate, h.ExpiryDate, h.IssueDate)
			}
			wantFormat := "jpeg"
			if strings.HasSuffix(p.Photo, ".jp2") {
				wantFormat = "jp2"
			}
			if h.Photo.Format != wantFormat || len(h.Photo.Data) < 1000 {
				t.Errorf("photo %s of %d bytes", h.Photo.Format, len(h.Photo.Data))
			}
			if !r.LastStats.Extended {
				t.Errorf("extended length not used")
			}
			t.Logf("%s: %d APDUs", name, r.LastStats.APDUs)
		})
	}
}

// TestPCSCDemoResidency reads the demo card (`kiosk run --demo`'s) through pcscd and
// vpcd: it is a permanent resident's, verified, so the demo can offer the passport.
func TestPCSCDemoResidency(t *testing.T) {
	if err := vpcdtest.Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	env := vpcdtest.StartT(t, vpcdtest.Options{Timeout: 5 * time.Minute}) // no profile: the demo's
	if env == nil {
		return
	}
	ts, err := lds.LoadTrustStore(env.TrustStore)
	if err != nil {
		t.Fatal(err)
	}
	read, err := newReader(env, ts).Read(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer read.Wipe()
	if !read.Verified || read.Holder.Residency != kiosk.ResidencyPermanent {
		t.Fatalf("demo card: verified %v, residency %q; want verified and permanent", read.Verified, read.Holder.Residency)
	}
}

func TestPCSCShortAPDUs(t *testing.T) {
	env, ts := startCard(t, "bench-20k.yaml")
	if env == nil {
		return
	}
	r := NewPCSCReader(PCSCConfig{Reader: env.ReaderName, AllowVirtual: true, Trust: ts, ShortAPDUs: true})
	read, err := r.Read(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !read.Verified || r.LastStats.Extended || r.LastStats.APDUs < 90 {
		t.Fatalf("verified %v, extended %v, %d APDUs", read.Verified, r.LastStats.Extended, r.LastStats.APDUs)
	}
}

func TestPCSCPulledMidDG2(t *testing.T) {
	env, ts := startCard(t, "adult.yaml")
	if env == nil {
		return
	}
	for _, short := range []bool{true, false} {
		// Short APDUs: pull at the second READ BINARY of DG2, inside the photo.
		// Extended: DG2 comes in one READ BINARY, so pull at that one.
		n := 2
		if !short {
			n = 1
		}
		// The emulator counts READ BINARY per file since power-on: start fresh.
		if err := env.Pull(); err != nil {
			t.Fatal(err)
		}
		if err := env.Insert(); err != nil {
			t.Fatal(err)
		}
		env.PullOnRead(lds.DG2.FID, n)
		r := NewPCSCReader(PCSCConfig{Reader: env.ReaderName, AllowVirtual: true, Trust: ts, ShortAPDUs: short})
		var sawDG2 bool
		_, err := r.Read(context.Background(), func(p kiosk.ReadProgress) { sawDG2 = sawDG2 || p.Step == "DG2" })
		if !errors.Is(err, kiosk.ErrCardRemoved) {
			t.Fatalf("short=%v: err = %v, want ErrCardRemoved", short, err)
		}
		if short && !sawDG2 {
			t.Errorf("pulled before DG2")
		}
		if err := env.WaitRemoved(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(context.Background(), nil); !errors.Is(err, kiosk.ErrNoCard) && !errors.Is(err, kiosk.ErrCardRemoved) {
			t.Fatalf("read with no card: %v", err)
		}
		if err := env.Insert(); err != nil {
			t.Fatal(err)
		}
		read, err := r.Read(context.Background(), nil)
		if err != nil || !read.Verified {
			t.Fatalf("after re-insert: %v", err)
		}
	}
}

func TestPCSCPIN(t *testing.T) {
	env, ts := startCard(t, "adult.yaml")
	if env == nil {
		return
	}
	ctx := context.Background()
	r := newReader(env, ts)
	if n, err := r.PINTriesLeft(ctx); err != nil || n != 3 {
		t.Fatalf("tries %d %v", n, err)
	}
	var wp *kiosk.WrongPINError
	if err := r.VerifyPIN(ctx, []byte("000000")); !errors.As(err, &wp) || wp.TriesLeft != 2 {
		t.Fatalf("wrong PIN: %v", err)
	}
	if err := r.VerifyPIN(ctx, []byte(env.Profile.PIN)); err != nil {
		t.Fatalf("right PIN: %v", err)
	}
	if n, err := r.PINTriesLeft(ctx); err != nil || n != 3 {
		t.Fatalf("after right PIN: %d %v", n, err)
	}
	// Two wrong tries, then the last one is refused until the caller has been told.
	env.Pull()
	env.Insert()
	r = newReader(env, ts)
	r.VerifyPIN(ctx, []byte("000000"))
	if err := r.VerifyPIN(ctx, []byte("000000")); !errors.As(err, &wp) || wp.TriesLeft != 1 {
		t.Fatalf("second wrong: %v", err)
	}
	r2 := newReader(env, ts) // a reader that never told anyone "1 try left"
	if err := r2.VerifyPIN(ctx, []byte("000000")); !errors.Is(err, ErrPINNotWarned) {
		t.Fatalf("unwarned: %v", err)
	}
	if err := r.VerifyPIN(ctx, []byte(env.Profile.PIN)); err != nil {
		t.Fatalf("right PIN on the last try: %v", err)
	}
}

func TestPCSCBlockedPIN(t *testing.T) {
	env, ts := startCard(t, "blocked-pin.yaml")
	if env == nil {
		return
	}
	ctx := context.Background()
	r := newReader(env, ts)
	if _, err := r.PINTriesLeft(ctx); !errors.Is(err, kiosk.ErrCardBlocked) {
		t.Fatalf("tries: %v", err)
	}
	if err := r.VerifyPIN(ctx, []byte(env.Profile.PIN)); !errors.Is(err, kiosk.ErrCardBlocked) {
		t.Fatalf("verify: %v", err)
	}
	// Reading the card still works: only the PIN zone is blocked.
	if read, err := r.Read(ctx, nil); err != nil || !read.Verified {
		t.Fatalf("read: %v", err)
	}
}

func TestPCSCVirtualRefused(t *testing.T) {
	env, ts := startCard(t, "adult.yaml")
	if env == nil {
		return
	}
	r := NewPCSCReader(PCSCConfig{Trust: ts})
	if _, err := r.Read(context.Background(), nil); !errors.Is(err, ErrVirtualReader) {
		t.Fatalf("read: %v", err)
	}
	if _, err := r.Watch(context.Background()); !errors.Is(err, ErrVirtualReader) {
		t.Fatalf("watch: %v", err)
	}
	r = NewPCSCReader(PCSCConfig{Reader: env.ReaderName, Trust: ts})
	if _, err := r.Read(context.Background(), nil); !errors.Is(err, ErrVirtualReader) {
		t.Fatalf("read named: %v", err)
	}
}

func TestPCSCWatch(t *testing.T) {
	env, ts := startCard(t, "adult.yaml")
	if env == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newReader(env, ts)
	ch, err := r.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := func(want kiosk.CardEventKind) {
		t.Helper()
		select {
		case ev, ok := <-ch:
			if !ok || ev.Kind != want || ev.Reader != env.ReaderName {
				t.Fatalf("event %+v (open %v), want kind %d", ev, ok, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no event, want kind %d", want)
		}
	}
	next(kiosk.CardInserted) // already present
	if err := env.Pull(); err != nil {
		t.Fatal(err)
	}
	next(kiosk.CardRemoved)
	if err := env.Insert(); err != nil {
		t.Fatal(err)
	}
	next(kiosk.CardInserted)
	cancel()
	select {
	case _, ok := <-ch:
		for ok {
			_, ok = <-ch
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not stop on cancel")
	}
}

// BenchmarkReadVerify20K is the full read and verification of a card with a ~20 KB
// photo through pcscd + vpcd: it reports APDUs per read and the median time.
func BenchmarkReadVerify20K(b *testing.B) {
	env, ts := startCard(b, "bench-20k.yaml")
	if env == nil {
		return
	}
	for _, short := range []bool{false, true} {
		name := "extended"
		if short {
			name = "short"
		}
		b.Run(name, func(b *testing.B) {
			r := NewPCSCReader(PCSCConfig{Reader: env.ReaderName, AllowVirtual: true, Trust: ts, ShortAPDUs: short})
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				read, err := r.Read(context.Background(), nil)
				if err != nil || !read.Verified {
					b.Fatalf("read: %v", err)
				}
				times = append(times, time.Since(start))
				read.Wipe()
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(r.LastStats.APDUs), "apdus/read")
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(r.LastStats.Files["DG2"]), "dg2-bytes")
		})
	}
}

// TestFrozenCardRead freezes the card mid-operation (it keeps its connection to vpcd
// and never answers, as an emulator under SIGSTOP or a hung card would): every
// operation must give up within its deadline with ErrCardNotAnswering, a second one
// started while the first is still stuck in pcscd too, and once the card answers
// again the next read must work.
func TestFrozenCardRead(t *testing.T) {
	env, ts := startCard(t, "adult.yaml")
	if env == nil {
		return
	}
	const limit = 2 * time.Second
	const margin = 750 * time.Millisecond
	r := NewPCSCReader(PCSCConfig{Reader: env.ReaderName, AllowVirtual: true, Trust: ts, ReadTimeout: limit, ShortAPDUs: true})
	// within runs op and fails the test if it does not return within the limit plus
	// a margin; a blocked op is left to end when the card thaws (cleanup).
	within := func(t *testing.T, name string, op func() error) (error, time.Duration) {
		t.Helper()
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- op() }()
		select {
		case err := <-done:
			return err, time.Since(start)
		case <-time.After(limit + 10*time.Second):
			t.Fatalf("%s: still blocked %v after the card froze (limit %v)", name, time.Since(start), limit)
			return nil, 0
		}
	}
	for _, tc := range []struct {
		name   string
		freeze int // the card holds this APDU of the operation
		op     func(ctx context.Context) error
	}{
		{"read mid-transfer", 40, func(ctx context.Context) error {
			files := 0
			_, err := r.Read(ctx, func(p kiosk.ReadProgress) { files++ })
			if files == 0 {
				t.Errorf("froze before any file was read")
			}
			return err
		}},
		{"PIN counter", 2, func(ctx context.Context) error { _, err := r.PINTriesLeft(ctx); return err }},
		{"VERIFY", 3, func(ctx context.Context) error { return r.VerifyPIN(ctx, []byte(env.Profile.PIN)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			held := env.FreezeAfter(tc.freeze)
			defer env.Thaw()
			err, took := within(t, tc.name, func() error { return tc.op(context.Background()) })
			select {
			case <-held:
			default:
				t.Fatalf("the card never froze (err %v)", err)
			}
			if !errors.Is(err, ErrCardNotAnswering) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want ErrCardNotAnswering and DeadlineExceeded", err)
			}
			if took < limit-100*time.Millisecond || took > limit+margin {
				t.Errorf("gave up after %v, want the limit %v (+%v)", took, limit, margin)
			}
			t.Logf("frozen %s gave up after %v: %v", tc.name, took.Round(time.Millisecond), err)
			// The abandoned call is still in pcscd: the next operation must not hang either.
			err, took = within(t, "read behind a stuck one", func() error { _, err := r.Read(context.Background(), nil); return err })
			if !errors.Is(err, ErrCardNotAnswering) || took > limit+margin {
				t.Fatalf("read behind a stuck one: %v after %v", err, took)
			}
			env.Thaw()
			read, err := r.Read(context.Background(), nil)
			if err != nil || !read.Verified {
				t.Fatalf("read after the card answers again: %v", err)
			}
			read.Wipe()
		})
	}
}

// TestKioskFollowsPcscd runs a kiosk (the session machine fed by the real Watch over
// PC/SC) through pcscd's absence: started while pcscd is down it must say "out of
// service" (reader lost), log it, and go to the attract screen by itself once pcscd
// starts; pcscd killed and restarted while it runs, the same again. Never restarted.
func TestKioskFollowsPcscd(t *testing.T) {
	env := vpcdtest.StartT(t, vpcdtest.Options{Profile: filepath.Join(profiles, "adult.yaml"), WithoutPcscd: true, Timeout: 2 * time.Minute})
	if env == nil {
		return
	}
	env.Slot.Pull() // no card: only the reader's coming and going matters here
	ts, err := lds.LoadTrustStore(env.TrustStore)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	r := NewPCSCReader(PCSCConfig{Reader: env.ReaderName, AllowVirtual: true, Trust: ts, PollInterval: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	m, waitState := runKiosk(t, r)
	// The backoff while pcscd is away reaches 5 s; the margin covers one of those.
	const back = 15 * time.Second

	if s := waitState(kiosk.StateOutOfService, 5*time.Second); s.Message != kiosk.ReasonReaderLost {
		t.Errorf("out of service for %q, want %q", s.Message, kiosk.ReasonReaderLost)
	}
	time.Sleep(time.Second) // it stays so while pcscd is away
	if s := m.Snapshot(); s.State != kiosk.StateOutOfService {
		t.Fatalf("without pcscd the kiosk went to %s", s.State)
	}
	t0 := time.Now()
	if err := env.StartPcscd(); err != nil {
		t.Fatal(err)
	}
	waitState(kiosk.StateAttract, back)
	t.Logf("pcscd started: attract %v later", time.Since(t0).Round(time.Millisecond))

	// pcscd crashes and comes back while the kiosk runs (issue 8.4).
	t0 = time.Now()
	if err := env.KillPcscd(); err != nil {
		t.Fatal(err)
	}
	s := waitState(kiosk.StateOutOfService, 5*time.Second)
	t.Logf("pcscd killed: out of service %v later", time.Since(t0).Round(time.Millisecond))
	if s.Message != kiosk.ReasonReaderLost {
		t.Errorf("out of service for %q, want %q", s.Message, kiosk.ReasonReaderLost)
	}
	t0 = time.Now()
	if err := env.StartPcscd(); err != nil {
		t.Fatal(err)
	}
	waitState(kiosk.StateAttract, back)
	t.Logf("pcscd restarted: attract %v later", time.Since(t0).Round(time.Millisecond))

	// And the reader works: a card inserted now is read.
	if err := env.Insert(); err != nil {
		t.Fatal(err)
	}
	waitState(kiosk.StateReading, 10*time.Second)
	for _, want := range []string{"card reader unavailable", "card reader lost", "card reader back"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the watcher's goroutine and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestKioskFrozenCard: the kiosk (session machine over the real PCSCReader) reading a
// card that freezes mid-transfer must leave "Reading your card" for the card-problem
// screen within card.read_timeout, and read the card once it is taken out and put
// back (the reader is not left held by the stuck read).
func TestKioskFrozenCard(t *testing.T) {
	env, ts := startCard(t, "adult.yaml")
	if env == nil {
		return
	}
	const limit = 2 * time.Second
	r := NewPCSCReader(PCSCConfig{Reader: env.ReaderName, AllowVirtual: true, Trust: ts, ReadTimeout: limit, ShortAPDUs: true, PollInterval: 200 * time.Millisecond})
	env.FreezeAfter(30) // the first read hangs in the middle
	m, wait := runKiosk(t, r)
	wait(kiosk.StateReading, 10*time.Second)
	start := time.Now()
	s := wait(kiosk.StateCardProblem, limit+5*time.Second)
	took := time.Since(start)
	// "Your card stopped answering: take it out and put it back", not "unreadable".
	if s.Message != kiosk.ReasonCardNotAnswering {
		t.Errorf("card problem %q, want %q", s.Message, kiosk.ReasonCardNotAnswering)
	}
	if took > limit+time.Second {
		t.Errorf("the kiosk said so after %v, limit %v", took, limit)
	}
	t.Logf("frozen card: card-problem screen %v after reading began", took.Round(time.Millisecond))
	// The resident takes the card and puts it back (a card that answers again).
	env.Thaw()
	m.Post(kiosk.Event{Kind: kiosk.EvContinue})
	wait(kiosk.StateTakeCard, 5*time.Second)
	if err := env.Pull(); err != nil {
		t.Fatal(err)
	}
	wait(kiosk.StateAttract, 5*time.Second)
	if err := env.Insert(); err != nil {
		t.Fatal(err)
	}
	wait(kiosk.StateReading, 10*time.Second)
	wait(kiosk.StateFace, 2*limit) // read and verified
}

// runKiosk runs the session machine over card (other devices are fakes) until the
// test ends, and returns it with a function that waits for a state.
func runKiosk(t *testing.T, card kiosk.CardReader) (*kiosk.Machine, func(kiosk.State, time.Duration) kiosk.Snapshot) {
	t.Helper()
	sealer, _ := kiosktest.NewSealer(t)
	m, err := kiosk.NewMachine(kiosk.MachineConfig{KioskID: "pcsc-test", TickEvery: -1}, kiosk.Deps{
		Card: card, Face: kiosktest.NewFace(), Store: kiosktest.NewStore(), BackOffice: kiosktest.NewBackOffice(),
		Clock: kiosk.SystemClock{}, Rand: kiosktest.Rand(1), Subjects: kiosktest.Subjects{}, Sealer: sealer,
	})
	if err != nil {
		t.Fatal(err)
	}
	snaps := make(chan kiosk.Snapshot, 1024)
	m.Subscribe(func(s kiosk.Snapshot) {
		select {
		case snaps <- s:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	go func() {
		runErr = m.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	var cur kiosk.Snapshot
	return m, func(want kiosk.State, within time.Duration) kiosk.Snapshot {
		t.Helper()
		timeout := time.After(within)
		for cur.State != want {
			select {
			case cur = <-snaps:
			case <-done:
				t.Fatalf("the kiosk stopped (%v) in %s, waiting for %s", runErr, cur.State, want)
			case <-timeout:
				t.Fatalf("still %s after %v, want %s", cur.State, within, want)
			}
		}
		return cur
	}
}

// TestHungPcscd: pcscd stopped (SIGSTOP) accepts connections and answers nothing.
// Card operations and the doctor's reader list must still give up on time, and
// work again once pcscd goes on.
func TestHungPcscd(t *testing.T) {
	env, ts := startCard(t, "adult.yaml")
	if env == nil {
		return
	}
	const limit = 2 * time.Second
	r := NewPCSCReader(PCSCConfig{Reader: env.ReaderName, AllowVirtual: true, Trust: ts, ReadTimeout: limit})
	defer func(d time.Duration) { listTimeout = d }(listTimeout)
	listTimeout = time.Second
	// The card watcher too: a hung pcscd is a lost reader (out of service), not a
	// watcher stuck for good with the kiosk looking in service.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newReader(env, ts)
	w.hungAfter = time.Second
	events, err := w.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := func(want kiosk.CardEventKind, within time.Duration) {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("the watcher stopped, want event %d", want)
				}
				if ev.Kind == want {
					return
				}
			case <-time.After(within):
				t.Fatalf("no event %d within %v", want, within)
			}
		}
	}
	next(kiosk.CardInserted, 10*time.Second)
	if err := env.PausePcscd(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	defer env.ResumePcscd()
	lostAt := time.Now()
	next(kiosk.ReaderLost, 5*time.Second)
	t.Logf("hung pcscd: watcher reported the reader lost after %v", time.Since(lostAt).Round(time.Millisecond))
	for _, tc := range []struct {
		name  string
		limit time.Duration
		op    func() error
		want  error
	}{
		{"read", limit, func() error { _, err := r.Read(context.Background(), nil); return err }, ErrCardNotAnswering},
		{"PIN counter", limit, func() error { _, err := r.PINTriesLeft(context.Background()); return err }, ErrCardNotAnswering},
		{"doctor's reader list", listTimeout, func() error { _, err := ListReaders(); return err }, kiosk.ErrReaderGone},
	} {
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- tc.op() }()
		select {
		case err := <-done:
			took := time.Since(start)
			if !errors.Is(err, tc.want) || took > tc.limit+750*time.Millisecond {
				t.Errorf("%s: %v after %v, want %v within %v", tc.name, err, took, tc.want, tc.limit)
			}
			t.Logf("hung pcscd: %s gave up after %v", tc.name, took.Round(time.Millisecond))
		case <-time.After(tc.limit + 10*time.Second):
			t.Fatalf("%s: still blocked with pcscd stopped (limit %v)", tc.name, tc.limit)
		}
	}
	if err := env.ResumePcscd(); err != nil {
		t.Fatal(err)
	}
	next(kiosk.ReaderReturned, 15*time.Second)
	read, err := r.Read(context.Background(), nil)
	if err != nil || !read.Verified {
		t.Fatalf("read once pcscd goes on: %v", err)
	}
	read.Wipe()
}
