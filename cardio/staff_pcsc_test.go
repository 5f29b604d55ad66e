package cardio

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// staffProfile is the demo's staff card, relative to profiles (emulator/testdata).
const staffProfile = "../profiles/staff.yaml"

// runStaffKiosk is runKiosk with staff mode: the session machine over card, fakes for
// the other devices and a staff desk; it also returns the store to read the audit.
func runStaffKiosk(t *testing.T, card kiosk.CardReader) (*kiosk.Machine, *kiosktest.Store, func(string, func(kiosk.Snapshot) bool, time.Duration) kiosk.Snapshot) {
	t.Helper()
	sealer, _ := kiosktest.NewSealer(t)
	store := kiosktest.NewStore()
	m, err := kiosk.NewMachine(kiosk.MachineConfig{KioskID: "pcsc-staff-test", TickEvery: -1}, kiosk.Deps{
		Card: card, Face: kiosktest.NewFace(), Store: store, BackOffice: kiosktest.NewBackOffice(),
		Clock: kiosk.SystemClock{}, Rand: kiosktest.Rand(1), Subjects: kiosktest.Subjects{}, Sealer: sealer,
		Staff: kiosktest.NewStaffDesk(), StaffAuth: kiosktest.StaffPIN{ID: kiosktest.DefaultStaffID, PIN: kiosktest.DefaultStaffPIN},
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
	var seen []kiosk.State
	return m, store, func(what string, ok func(kiosk.Snapshot) bool, within time.Duration) kiosk.Snapshot {
		t.Helper()
		timeout := time.After(within)
		for !ok(cur) {
			select {
			case cur = <-snaps:
				if len(seen) == 0 || seen[len(seen)-1] != cur.State {
					seen = append(seen, cur.State)
				}
			case <-done:
				t.Fatalf("the kiosk stopped (%v) in %s, waiting for %s", runErr, cur.State, what)
			case <-timeout:
				t.Fatalf("still %s after %v, want %s (states %v)", cur.State, within, what, seen)
			}
		}
		return cur
	}
}

func inState(s kiosk.State) func(kiosk.Snapshot) bool {
	return func(c kiosk.Snapshot) bool { return c.State == s }
}

func typePIN(m *kiosk.Machine, pin string) {
	for _, r := range pin {
		m.Post(kiosk.Event{Kind: kiosk.EvPINDigit, Value: string(r)})
	}
	m.Post(kiosk.Event{Kind: kiosk.EvPINSubmit})
}

// TestKioskStaffCard: issue 13 §1 through the real stack (ebfe/scard → pcscd → vpcd →
// emulator) and the real session machine: the staff card's read opens the staff PIN
// screen, a wrong PIN is refused by the card (its counter goes down), the card's own
// PIN opens staff mode with the card's staff id, and pulling the card leaves staff
// mode with staff.exit audited. A card whose staff id was written after EF.SOD was
// signed never reaches the staff PIN screen: it is not genuine.
func TestKioskStaffCard(t *testing.T) {
	env, ts := startCard(t, staffProfile)
	if env == nil {
		return
	}
	r := NewPCSCReader(PCSCConfig{Reader: env.ReaderName, AllowVirtual: true, Trust: ts, PollInterval: 200 * time.Millisecond})
	m, store, wait := runStaffKiosk(t, r)

	s := wait("staff PIN", inState(kiosk.StateStaffPIN), 15*time.Second)
	if s.StaffPIN == nil || !s.StaffPIN.ByCard || s.Holder != nil {
		t.Fatalf("staff PIN screen: %+v, holder %+v", s.StaffPIN, s.Holder)
	}
	// A wrong PIN: refused by the card, counted towards the staff lock.
	typePIN(m, "000000")
	s = wait("wrong PIN counted", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StateStaffPIN && !s.Busy && s.StaffPIN != nil && s.StaffPIN.TriesLeft == kiosk.StaffMaxTries-1
	}, 15*time.Second)
	if left := env.Card.PINTriesLeft(); left != 2 {
		t.Errorf("card counter after a wrong staff PIN: %d, want 2", left)
	}
	// The card's own PIN (the profile's), verified by the card.
	typePIN(m, env.Profile.PIN)
	s = wait("staff mode", inState(kiosk.StateStaff), 15*time.Second)
	if s.Staff == nil || s.Staff.ID != "S7001" || s.Staff.Page != kiosk.StaffPageHealth {
		t.Fatalf("staff view %+v", s.Staff)
	}
	// Pulling the staff card leaves staff mode.
	if err := env.Pull(); err != nil {
		t.Fatal(err)
	}
	wait("attract", inState(kiosk.StateAttract), 15*time.Second)
	var audit []string
	for _, e := range store.Events() {
		if strings.HasPrefix(e.Action, "staff.") {
			audit = append(audit, e.Actor+" "+e.Action+" "+e.Detail)
		}
	}
	joined := strings.Join(audit, "\n")
	for _, w := range []string{"system staff.card staff=staff:S7001", "system staff.pin wrong tries=1 by=card",
		"staff:S7001 staff.enter by=card", "staff:S7001 staff.exit why=card_removed"} {
		if !strings.Contains(joined, w) {
			t.Errorf("audit lacks %q:\n%s", w, joined)
		}
	}

	// The same card with its staff id rewritten after signing: not genuine, and the
	// kiosk never asks for a staff PIN.
	y, err := os.ReadFile(filepath.Join(profiles, staffProfile))
	if err != nil {
		t.Fatal(err)
	}
	photo, err := os.ReadFile(filepath.Join(profiles, "../profiles/staff.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	forged := filepath.Join(dir, "forged.yaml")
	if err := os.WriteFile(forged, append(y, []byte("faults:\n  forged_staff_id: S0001\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "staff.jpg"), photo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := env.Replace(forged); err != nil {
		t.Fatal(err)
	}
	s = wait("card problem", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StateCardProblem || s.State == kiosk.StateStaffPIN
	}, 15*time.Second)
	if s.State != kiosk.StateCardProblem || s.Message != kiosk.ReasonCardNotGenuine {
		t.Fatalf("forged staff card: %s %q, want %s %q", s.State, s.Message, kiosk.StateCardProblem, kiosk.ReasonCardNotGenuine)
	}
	for _, e := range store.Events() {
		if strings.Contains(e.Detail, "S0001") || strings.Contains(e.Actor, "S0001") {
			t.Errorf("the forged staff id reached the audit: %+v", e)
		}
	}
}
