package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/cardio"
	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

func TestCardReadUsage(t *testing.T) {
	env := map[string]string{"KIOSK_KIOSK_MODE": "development"}
	for _, args := range [][]string{
		{"card", "read", "--bac", "123"},
		{"card", "read", "--bac", "1234567,851314,340603"},
		{"card", "read", "--bac", "1234567,850314,340603", "--can", "123456"},
		{"card", "read", "--can", "12ab"},
		{"card", "read", "extra-arg"},
	} {
		if _, stderr, code := run(t, env, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, stderr)
		}
	}
	// Production refuses virtual readers before touching PC/SC.
	if _, stderr, code := run(t, map[string]string{"KIOSK_KIOSK_MODE": "production"}, "card", "read", "--allow-virtual"); code != exitUsage || !strings.Contains(stderr, "production") {
		t.Errorf("production --allow-virtual: exit %d, %s", code, stderr)
	}
}

func TestCardReadThroughPCSC(t *testing.T) {
	profiles := filepath.Join("..", "..", "cardio", "emulator", "testdata")
	for _, tc := range []struct {
		profile  string
		bac      string
		can      string
		verified bool
		exit     int
		access   string
		stderr   string // expected in the error output when the read fails
		noReader bool   // no --reader: the command picks the reader with the card
	}{
		{"adult.yaml", "", "", true, exitOK, "BAC", "", true},
		{"adult.yaml", "", "", true, exitOK, "BAC", "", false},
		{"adult.yaml", "12345678,850314,340603", "", true, exitOK, "BAC", "", false},
		{"tampered-dg.yaml", "", "", false, exitFailure, "BAC", "", false},
		{"expired-signer.yaml", "", "", false, exitFailure, "BAC", "", false},
		{"pace.yaml", "", "314159", true, exitOK, "PACE", "", false},
		{"pace.yaml", "", "", true, exitOK, "BAC", "", false}, // the kiosk's own flow: BAC via EF.CardInfo
		{"pace.yaml", "", "314158", false, exitFailure, "", "card access number", false},
		{"adult.yaml", "", "314159", false, exitFailure, "", "does not offer PACE", false},
		{"../profiles/staff.yaml", "", "", true, exitOK, "BAC", "", false}, // the demo's staff card
	} {
		t.Run(fmt.Sprintf("%s%s%s/pick-reader=%v", tc.profile, tc.bac, tc.can, tc.noReader), func(t *testing.T) {
			env := vpcdtest.StartT(t, vpcdtest.Options{Profile: filepath.Join(profiles, tc.profile), Timeout: 5 * time.Minute})
			if env == nil {
				return
			}
			photo := filepath.Join(t.TempDir(), "face.jpg")
			args := []string{"card", "read", "--allow-virtual", "--json", "--photo", photo}
			if !tc.noReader {
				args = append(args, "--reader", env.ReaderName)
			}
			if tc.bac != "" {
				args = append(args, "--bac", tc.bac)
			}
			if tc.can != "" {
				args = append(args, "--can", tc.can)
			}
			stdout, stderr, code := run(t, map[string]string{"KIOSK_KIOSK_MODE": "development", "KIOSK_CARD_TRUST_STORE": env.TrustStore}, args...)
			if code != tc.exit {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.exit, stdout, stderr)
			}
			if tc.stderr != "" {
				if !strings.Contains(stderr, tc.stderr) || stdout != "" || strings.Contains(stderr, "panic") {
					t.Fatalf("stderr %q, stdout %q", stderr, stdout)
				}
				return
			}
			var out map[string]any
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("JSON: %v\n%s", err, stdout)
			}
			for _, k := range []string{"document_number", "names", "birth_date", "expiry_date", "access", "passive_auth", "verified"} {
				if _, ok := out[k]; !ok {
					t.Errorf("no %q in the JSON", k)
				}
			}
			if out["verified"] != tc.verified || out["document_number"] != env.Profile.DocumentNumber || out["access"] != tc.access || out["birth_date"] != env.Profile.BirthDate ||
				out["residency"] != env.Profile.Residency {
				t.Errorf("JSON %v", out)
			}
			// The staff id a staff card states; a resident's card has no staff_id at all.
			if id, ok := out["staff_id"]; ok != (env.Profile.StaffID != "") || ok && id != env.Profile.StaffID {
				t.Errorf("staff_id %v (present %v), profile %q", id, ok, env.Profile.StaffID)
			}
			// The reader actually used, also when the command chose it.
			if out["reader"] != env.ReaderName {
				t.Errorf("reader %q, want %q", out["reader"], env.ReaderName)
			}
			steps := out["passive_auth"].([]any)
			if len(steps) < 9 {
				t.Errorf("%d passive authentication steps", len(steps))
			}
			if b, err := os.ReadFile(photo); err != nil || len(b) < 1000 {
				t.Errorf("photo file: %v (%d bytes)", err, len(b))
			}
		})
	}
}

// TestCardReadWithoutSOD: a card with no EF.SOD, or an empty one, whose DG1 and DG2
// read fine. `card read` prints the data marked UNVERIFIED with sod_parsed failed
// and the reason, exit 1; the kiosk's flow, given what the PC/SC reader returns,
// refuses the card as not genuine.
func TestCardReadWithoutSOD(t *testing.T) {
	profiles := filepath.Join("..", "..", "cardio", "emulator", "testdata")
	env := vpcdtest.StartT(t, vpcdtest.Options{Profile: filepath.Join(profiles, "no-sod.yaml"), Timeout: 5 * time.Minute})
	if env == nil {
		return
	}
	trust, err := lds.LoadTrustStore(env.TrustStore)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"KIOSK_KIOSK_MODE": "development", "KIOSK_CARD_TRUST_STORE": env.TrustStore}
	for _, tc := range []struct{ profile, reason string }{
		{"no-sod.yaml", "EF.SOD not found"},
		{"empty-sod.yaml", "EF.SOD empty"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			if err := env.Replace(filepath.Join(profiles, tc.profile)); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := run(t, vars, "card", "read", "--reader", env.ReaderName, "--allow-virtual", "--json")
			if code != exitFailure {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFailure, stdout, stderr)
			}
			var out cardReadOutput
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("JSON: %v\n%s", err, stdout)
			}
			if out.Verified || out.DocumentNumber != env.Profile.DocumentNumber || out.Photo.Bytes < 1000 || len(out.PassiveAuth) == 0 {
				t.Fatalf("JSON %+v", out)
			}
			if c := out.PassiveAuth[0]; c.Name != lds.CheckSOD || c.OK || c.Detail != tc.reason {
				t.Errorf("first step %+v, want %s failed with %q", c, lds.CheckSOD, tc.reason)
			}
			stdout, _, code = run(t, vars, "card", "read", "--reader", env.ReaderName, "--allow-virtual")
			for _, want := range []string{"UNVERIFIED", env.Profile.DocumentNumber, "FAIL " + lds.CheckSOD, tc.reason, "Verified: NO"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("text output lacks %q:\n%s", want, stdout)
				}
			}
			if code != exitFailure {
				t.Errorf("text: exit %d", code)
			}

			// The kiosk's flow with what the PC/SC reader returns for this card.
			r := cardio.NewPCSCReader(cardio.PCSCConfig{Reader: env.ReaderName, AllowVirtual: true, Trust: trust})
			read, err := r.Read(context.Background(), nil)
			if err != nil || read == nil || read.Verified {
				t.Fatalf("PCSCReader.Read: %v, %+v", err, read)
			}
			h := kiosktest.NewHarness(t)
			h.Card.SetRead(read, err)
			h.Start()
			h.Card.Insert()
			if s := h.WaitState(kiosk.StateCardProblem); s.Message != kiosk.ReasonCardNotGenuine {
				t.Errorf("kiosk: %q, want %q", s.Message, kiosk.ReasonCardNotGenuine)
			}
		})
	}
}

// TestPrintCardReadResidency: the text form says the residency, and says it when the
// card does not state one.
func TestPrintCardReadResidency(t *testing.T) {
	for _, tc := range []struct {
		residency kiosk.Residency
		want      string
	}{
		{kiosk.ResidencyPermanent, "Residency        permanent\n"},
		{kiosk.ResidencyNonPermanent, "Residency        non-permanent\n"},
		{"", "Residency        not stated on the card\n"},
	} {
		var b strings.Builder
		printCardRead(&b, cardReadOutput{Residency: tc.residency, Verified: true})
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("residency %q: output lacks %q:\n%s", tc.residency, tc.want, b.String())
		}
	}
}

// TestPrintCardReadStaff: the text form names the staff id of a staff card, and says
// nothing of staff on a resident's card.
func TestPrintCardReadStaff(t *testing.T) {
	var b strings.Builder
	printCardRead(&b, cardReadOutput{StaffID: "S7001", Verified: true})
	if want := "Staff ID         S7001 "; !strings.Contains(b.String(), want) {
		t.Errorf("staff card: output lacks %q:\n%s", want, b.String())
	}
	b.Reset()
	printCardRead(&b, cardReadOutput{Residency: kiosk.ResidencyPermanent, Verified: true})
	if strings.Contains(b.String(), "Staff") {
		t.Errorf("resident card: output mentions staff:\n%s", b.String())
	}
}
