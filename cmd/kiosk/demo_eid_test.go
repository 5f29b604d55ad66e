package main

// The eID start end to end (issue 11 §4), through the demo wiring: the recorded
// camera (facematch/testdata/video/demo_hopper.mp4) with a phone held up in front of
// it showing a code from the real reference back office (`kiosk-backoffice app
// eid-qr`, its testers' side of the One Account app), the real QR scanner, the back
// office's check over mutual TLS on loopback (POST /v1/eid-logins), then the real face
// pipeline against the back office's reference photo and the menu from its record.
// The code is made while the test runs: it is signed, expires within a minute and
// verifies once, so no recording made in advance could hold a valid one.

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kioskapp "github.com/macau-dsi/kiosk/app"
	"github.com/macau-dsi/kiosk/kiosk"
)

// eidScan starts the session and opens the eID scan from the insert-card screen.
func (s *demoSession) eidScan() {
	s.tb.Helper()
	s.m.Post(kiosk.Event{Kind: kiosk.EvStart, Language: kiosk.LangEN})
	in := s.waitState(kiosk.StateInsertCard, waitScreen)
	if !in.EIDOffered {
		s.tb.Fatal("the insert-card screen does not offer the eID")
	}
	s.m.Post(kiosk.Event{Kind: kiosk.EvEIDStart})
	s.waitState(kiosk.StateEIDScan, waitScreen)
}

// showCode holds a phone with a fresh code, valid for validFor, up to the camera.
func (s *demoSession) showCode(validFor, wait time.Duration) string {
	s.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := s.hands.eidCode(ctx, validFor)
	if err != nil || !strings.HasPrefix(code, "DSI1.L.") {
		s.tb.Fatalf("eID code from the back office: %q, %v", code, err)
	}
	time.Sleep(wait)
	if err := s.hands.holdUp(code, demoHoldUp); err != nil {
		s.tb.Fatal(err)
	}
	return code
}

// TestEIDStartEndToEnd: an expired code is refused with its reason; a fresh one leads
// through the face step (matched against the back office's photo) to the menu the
// back office's record allows; the same code shown again is refused as used.
func TestEIDStartEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end through pcscd, the back office and the face models")
	}
	s := startDemoSession(t, false)
	start := time.Now()

	// Expired: valid for a second, shown after two.
	s.eidScan()
	s.showCode(time.Second, 2*time.Second)
	p := s.wait("the expired code refused", waitDevice, func(x kiosk.Snapshot) bool { return x.State == kiosk.StateEIDProblem })
	if p.Message != kiosk.ReasonEIDExpired {
		t.Fatalf("expired code refused with %q, want %q", p.Message, kiosk.ReasonEIDExpired)
	}

	// A fresh code: the resident takes the phone away, asks the app for a new code
	// and tries again.
	s.hands.heldUp.Hide()
	s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
	s.waitState(kiosk.StateEIDScan, waitScreen)
	scan := time.Now()
	code := s.showCode(time.Minute, 0)
	s.wait("the face step", waitDevice, func(x kiosk.Snapshot) bool { return x.State == kiosk.StateFace })
	read := time.Since(scan)
	s.faceMatched() // against the back office's photo
	s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
	menu := s.wait("the service menu", waitScreen, func(x kiosk.Snapshot) bool {
		return x.State == kiosk.StateServiceMenu && !x.Busy && len(x.Services) > 0
	})
	t.Logf("code shown → face step %s; whole test so far %s; %d preview frames on the scan screen",
		read.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), s.snaps.eidFramesSeen())
	if menu.Holder == nil || menu.Holder.NameChinese != "何嘉敏" {
		t.Errorf("menu greets %+v, want the back office's record", menu.Holder)
	}
	// The seeded record: permanent, Chinese national, passport expiring in 5 months.
	offered := map[kiosk.ServiceID]kiosk.ServiceView{}
	for _, v := range menu.Services {
		offered[v.ID] = v
	}
	if !offered[kiosk.ServicePassport].Eligible || offered[kiosk.ServiceOneAccount].Eligible {
		t.Errorf("menu %+v: want the passport offered, One Account not (already bound)", menu.Services)
	}

	// The audit names the back office's subject for the eID login and holds no code.
	ctx := context.Background()
	rows, err := s.db.AuditRows(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var logins []string
	for _, r := range rows {
		if r.Action == "eid.login" {
			logins = append(logins, r.Detail)
		}
		if strings.Contains(r.Detail, "DSI1.") || strings.Contains(r.Detail, "何嘉敏") || strings.Contains(r.Detail, code[7:30]) {
			t.Errorf("audit row %d (%s) carries the code or a name: %s", r.Seq, r.Action, r.Detail)
		}
	}
	if strings.Join(logins, ",") != "refused reason=reason.eid_expired,ok" {
		t.Errorf("eid.login audit rows %q", logins)
	}

	// Ending an eID session comes back to the start (no card to take), and the same
	// code shown again is refused as used.
	s.hands.heldUp.Hide()
	s.m.Post(kiosk.Event{Kind: kiosk.EvCancel})
	s.waitState(kiosk.StateAttract, waitScreen)
	s.eidScan()
	if err := s.hands.holdUp(code, demoHoldUp); err != nil {
		t.Fatal(err)
	}
	p = s.wait("the replayed code refused", waitDevice, func(x kiosk.Snapshot) bool { return x.State == kiosk.StateEIDProblem })
	if p.Message != kiosk.ReasonEIDReplayed {
		t.Fatalf("replayed code refused with %q, want %q", p.Message, kiosk.ReasonEIDReplayed)
	}
}

// eidByBannerToMenu plays the eID start in the real demo window as a tester does:
// "use my eID" on the insert-card screen, the DEMO banner's phone button (the demo
// controls' ShowEID, what the button calls), the face step, the menu.
func (s *demoSession) eidByBannerToMenu(demo kioskapp.DemoControls) {
	s.tb.Helper()
	phone, ok := demo.(kioskapp.DemoEID)
	if !ok {
		s.tb.Fatalf("the demo controls %T have no eID button", demo)
	}
	s.eidScan()
	phone.ShowEID()
	s.wait("the face step", waitDevice, func(x kiosk.Snapshot) bool { return x.State == kiosk.StateFace })
	s.faceMatched()
	s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
	menu := s.wait("the service menu", waitScreen, func(x kiosk.Snapshot) bool {
		return x.State == kiosk.StateServiceMenu && !x.Busy && len(x.Services) > 0
	})
	if menu.Holder == nil || menu.Holder.NameChinese != "何嘉敏" {
		s.tb.Fatalf("the menu greets %+v, want the eID resident", menu.Holder)
	}
}

// TestEIDInTheDemoWindow: `kiosk run --demo --windowed` (the Fyne window under Xvfb,
// the emulated card's pcscd, the reference back office as its child, the recorded
// camera) starts with the eID through the DEMO banner's phone button and reaches the
// menu of the back office's eID resident.
func TestEIDInTheDemoWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("the real demo process")
	}
	start := time.Now()
	dir, env := demoWindowEnv(t)
	k := startCrashChild(t, env, "eid", filepath.Join(dir, "kiosk.log"))
	k.expect("MENU", 10*time.Minute) // the start may wait for another test's pcscd
	k.stdin.Close()
	select {
	case <-k.exited:
	case <-time.After(time.Minute):
		t.Fatalf("the kiosk did not quit within a minute:\n%s", tailFile(k.log, 30))
	}
	if log := tailFile(k.log, 400); strings.Contains(log, "DSI1.") {
		t.Errorf("the kiosk's log holds an eID code:\n%s", log)
	}
	t.Logf("demo window: eID start to the menu in %v (with the process's start)", time.Since(start).Round(time.Millisecond))
}
