package kiosktest

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/sealbox"
)

// Day is a calendar date at midnight UTC, as card dates are parsed.
func Day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Resident returns a verified card read for the holder born on birth, card issued on
// issue and expiring on expiry, with a small fake photo.
func Resident(doc string, birth, issue, expiry time.Time) *kiosk.CardRead {
	return &kiosk.CardRead{
		Holder: kiosk.CardHolder{
			DocumentNumber: doc,
			Names:          kiosk.Names{Chinese: "陳大文", Portuguese: "CHAN TAI MAN", Primary: "CHAN", Secondary: "TAI MAN"},
			Sex:            "M", BirthDate: birth, IssueDate: issue, ExpiryDate: expiry, Nationality: "CHN",
			Residency: kiosk.ResidencyPermanent,
			Photo:     kiosk.FacePhoto{Format: "jpeg", Data: []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8, 0xFF, 0xD9}},
		},
		Access:      "BAC",
		PassiveAuth: []kiosk.Check{{Name: "sod_signature", OK: true}},
		Verified:    true,
	}
}

// Start is the fake clock's default start: 14 May 2026, 10:00 in Macau.
var Start = time.Date(2026, 5, 14, 10, 0, 0, 0, kiosk.MacauTime)

// Harness runs a real kiosk.Machine on fakes and records every snapshot.
type Harness struct {
	T     testing.TB
	Clock *Clock
	Card  *Card
	Face  *Face
	Photo *Photos // nil: no photo step (set before Start)
	// PhotoPort, if set before Start, is the photo camera instead of Photo (a real one).
	PhotoPort  kiosk.PortraitCamera
	Store      *Store
	BackOffice *BackOffice
	Printer    *Printer
	Payments   *Payments
	Staff      *StaffDesk
	// EID and QR, if set before Start, give the kiosk the eID start.
	EID *EID
	QR  *QR
	// OneAccounts is the back office's One Account side; nil before Start: none.
	OneAccounts *OneAccountOffice
	// StorePort, if set before Start, replaces the fake Store (a real database).
	StorePort kiosk.Store
	// Outbox, if set before Start, delivers each saved application at once.
	Outbox kiosk.Outbox
	// SealKey is the back office's private key that the machine seals passwords to.
	SealKey *ecdh.PrivateKey
	Config  kiosk.MachineConfig
	M       *kiosk.Machine

	mu     sync.Mutex
	snaps  []kiosk.Snapshot
	cursor int
	wake   chan struct{}
	errs   []error
	cancel context.CancelFunc
	done   chan error
}

// DefaultStaffID and DefaultStaffPIN are the fake staff member behind the gesture.
const DefaultStaffID, DefaultStaffPIN = "S1234", "975310"

// DefaultPIN is the fake card's PIN: 6 digits, as kiosk.DefaultPINPolicy and the BIR.
const DefaultPIN = "246813"

// NewHarness builds the fakes with one adult permanent resident (born 1990-05-10, card
// issued 2020-01-15, valid until 2026-09-30 so due for renewal, PIN DefaultPIN with 3
// tries) whose face matches.
// Change the fakes or Config before Start.
func NewHarness(t testing.TB) *Harness {
	t.Helper()
	read := Resident("1234567(8)", Day(1990, 5, 10), Day(2020, 1, 15), Day(2026, 9, 30))
	clock := NewClock(Start)
	return &Harness{
		T:           t,
		Clock:       clock,
		OneAccounts: NewOneAccountOffice(clock),
		Card:        NewCard(read, DefaultPIN, 3),
		Face:        NewFace(Match),
		Store:       NewStore(),
		BackOffice:  NewBackOffice(),
		Printer:     &Printer{},
		Payments:    NewPayments(),
		Staff:       NewStaffDesk(),
		Config: kiosk.MachineConfig{KioskID: "test-kiosk", ScreenTimeout: 60 * time.Second, MoreTimeGrace: 20 * time.Second, TickEvery: -1,
			PaymentPoll: 5 * time.Millisecond, BindingPoll: 5 * time.Millisecond},
		wake: make(chan struct{}, 1),
	}
}

// Subject is the hashed subject of a card number, as the machine computes it.
func (h *Harness) Subject(doc string) string { return Subjects{}.Hash(doc) }

// Start builds and runs the machine; the test's cleanup stops it.
func (h *Harness) Start() *Harness {
	h.T.Helper()
	var store kiosk.Store = h.Store
	if h.StorePort != nil {
		store = h.StorePort
	}
	sealer, priv := NewSealer(h.T)
	h.SealKey = priv
	var staff kiosk.StaffDesk
	if h.Staff != nil {
		staff = h.Staff
	}
	deps := kiosk.Deps{
		Card: h.Card, Face: h.Face, Store: store, BackOffice: h.BackOffice,
		Printer: h.Printer, Clock: h.Clock, Rand: Rand(1), Subjects: Subjects{}, Sealer: sealer, Payments: h.Payments, Outbox: h.Outbox,
		Staff: staff, StaffAuth: StaffPIN{ID: DefaultStaffID, PIN: DefaultStaffPIN}, Photo: h.photoPort(),
		OnError: func(err error) {
			h.mu.Lock()
			h.errs = append(h.errs, err)
			h.mu.Unlock()
		},
	}
	if h.EID != nil && h.QR != nil {
		deps.EID, deps.QR = h.EID, h.QR
	}
	if h.OneAccounts != nil {
		deps.OneAccounts = h.OneAccounts
	}
	m, err := kiosk.NewMachine(h.Config, deps)
	if err != nil {
		h.T.Fatalf("NewMachine: %v", err)
	}
	h.M = m
	m.Subscribe(func(s kiosk.Snapshot) {
		h.mu.Lock()
		h.snaps = append(h.snaps, s)
		h.mu.Unlock()
		select {
		case h.wake <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- m.Run(ctx) }()
	h.T.Cleanup(h.Stop)
	h.WaitState(kiosk.StateAttract)
	return h
}

// photoPort is the photo camera the machine gets: none unless Photo is set.
func (h *Harness) photoPort() kiosk.PortraitCamera {
	if h.PhotoPort != nil {
		return h.PhotoPort
	}
	if h.Photo == nil {
		return nil
	}
	return h.Photo
}

// NewSealer makes a back-office key pair and a real sealer to its public key.
func NewSealer(t testing.TB) (*sealbox.Sealer, *ecdh.PrivateKey) {
	t.Helper()
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := sealbox.NewSealer(priv.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return sealer, priv
}

// Stop ends the machine and waits for it.
func (h *Harness) Stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	<-h.done
	h.cancel = nil
}

// Errors returns what the machine reported through OnError.
func (h *Harness) Errors() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.errs...)
}

// Post sends an event as the UI would.
func (h *Harness) Post(ev kiosk.Event) { h.M.Post(ev) }

// Press posts an event of kind k without data.
func (h *Harness) Press(k kiosk.EventKind) { h.M.Post(kiosk.Event{Kind: k}) }

// WaitTimeout bounds every wait; it guards against a hung machine, it is not a speed
// requirement.
var WaitTimeout = 10 * time.Second

// Wait returns the first snapshot published after the previous Wait's match (or
// since Start) for which ok holds.
func (h *Harness) Wait(what string, ok func(kiosk.Snapshot) bool) kiosk.Snapshot {
	h.T.Helper()
	return h.wait(what, ok, false)
}

// wait finds the first unconsumed snapshot for which ok holds and consumes the ones
// before it, and it too unless keep.
func (h *Harness) wait(what string, ok func(kiosk.Snapshot) bool, keep bool) kiosk.Snapshot {
	h.T.Helper()
	deadline := time.After(WaitTimeout)
	for {
		h.mu.Lock()
		for i := h.cursor; i < len(h.snaps); i++ {
			if ok(h.snaps[i]) {
				s := h.snaps[i]
				// Drop what has been consumed so long runs do not grow the history.
				if !keep {
					i++
				}
				h.snaps = append(h.snaps[:0], h.snaps[i:]...)
				h.cursor = 0
				h.mu.Unlock()
				return s
			}
		}
		last := kiosk.Snapshot{}
		if n := len(h.snaps); n > 0 {
			last = h.snaps[n-1]
		}
		h.mu.Unlock()
		select {
		case <-h.wake:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			h.T.Fatalf("waiting for %s: last snapshot state=%s busy=%t message=%q", what, last.State, last.Busy, last.Message)
			return kiosk.Snapshot{}
		}
	}
}

// WaitState waits for state s.
func (h *Harness) WaitState(s kiosk.State) kiosk.Snapshot {
	h.T.Helper()
	return h.Wait("state "+string(s), func(x kiosk.Snapshot) bool { return x.State == s })
}

// WaitIdle waits for state s with no work in progress.
func (h *Harness) WaitIdle(s kiosk.State) kiosk.Snapshot {
	h.T.Helper()
	return h.Wait("idle state "+string(s), func(x kiosk.Snapshot) bool { return x.State == s && !x.Busy })
}

// Sync waits until the machine has handled every event posted so far from this
// goroutine (a real barrier through the machine's queue, see Machine.Sync) and
// returns the snapshot then. The snapshots before it are consumed; the current one is
// not, so a following WaitState for the current state returns at once. Device events
// go through the card watcher's goroutine and are not ordered by Sync: wait for
// their visible effect instead.
func (h *Harness) Sync() kiosk.Snapshot {
	h.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
	defer cancel()
	if err := h.M.Sync(ctx); err != nil {
		h.T.Fatalf("sync: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.snaps); n > 1 {
		h.snaps = append(h.snaps[:0], h.snaps[n-1:]...)
	}
	return h.M.Snapshot()
}

// Tick advances the clock by d and lets the screen timer see it.
func (h *Harness) Tick(d time.Duration) kiosk.Snapshot {
	h.T.Helper()
	h.Clock.Advance(d)
	h.Press(kiosk.EvTick)
	return h.Sync()
}

// Last is the latest snapshot.
func (h *Harness) Last() kiosk.Snapshot { return h.M.Snapshot() }

// ToMenu walks the happy path from the attract screen to the service menu (face
// matched at the first attempt) and returns the menu snapshot.
func (h *Harness) ToMenu() kiosk.Snapshot {
	h.T.Helper()
	h.Post(kiosk.Event{Kind: kiosk.EvStart, Language: kiosk.LangEN})
	h.WaitState(kiosk.StateInsertCard)
	h.Card.Insert()
	h.WaitState(kiosk.StateFace)
	h.WaitState(kiosk.StateFaceResult)
	h.Press(kiosk.EvContinue)
	return h.WaitIdle(kiosk.StateServiceMenu)
}

// Fill posts form values in order (field, value, field, value ...).
func (h *Harness) Fill(kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		h.Post(kiosk.Event{Kind: kiosk.EvFormInput, Field: kv[i], Value: kv[i+1]})
	}
}

// Choose picks a service on the menu and, where the card's data is shown first,
// confirms it; it returns the service's form.
func (h *Harness) Choose(svc kiosk.ServiceID) kiosk.Snapshot {
	h.T.Helper()
	h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: svc})
	if kiosk.ChecksData(svc) {
		h.WaitState(kiosk.StateCheckData)
		h.Press(kiosk.EvContinue)
	}
	return h.WaitState(kiosk.StateServiceForm)
}

// Pay pays on the payment screen with method: chooses it (when there is a choice),
// waits for the order and approves it in the fake wallet or terminal.
func (h *Harness) Pay(method kiosk.PaymentMethod) {
	h.T.Helper()
	s := h.M.Snapshot()
	if s.State != kiosk.StatePayment {
		s = h.WaitState(kiosk.StatePayment)
	}
	if s.Payment == nil || s.Payment.Method == "" {
		h.Post(kiosk.Event{Kind: kiosk.EvChoosePayment, Value: string(method)})
	}
	h.Wait("order pending", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StatePayment && s.Payment != nil && s.Payment.Status == kiosk.PayPending
	})
	h.Payments.Approve(h.Payments.Pending())
}

// TypePIN presses the digits of pin on the keypad.
func (h *Harness) TypePIN(pin string) {
	for _, r := range pin {
		h.Post(kiosk.Event{Kind: kiosk.EvPINDigit, Value: string(r)})
	}
}

// OnlyApplication decodes the one application the session saved (the test fails if
// there is not exactly one) and returns it with its raw payload.
func (h *Harness) OnlyApplication() (kiosk.ApplicationMessage, string) {
	h.T.Helper()
	apps := h.Store.Applications()
	if len(apps) != 1 {
		h.T.Fatalf("%d applications, want 1", len(apps))
	}
	var msg kiosk.ApplicationMessage
	if err := json.Unmarshal(apps[0].Payload, &msg); err != nil {
		h.T.Fatal(err)
	}
	return msg, string(apps[0].Payload)
}
