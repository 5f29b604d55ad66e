package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
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
	}{
		{"adult.yaml", "", "", true, exitOK, "BAC", ""},
		{"adult.yaml", "12345678,850314,340603", "", true, exitOK, "BAC", ""},
		{"tampered-dg.yaml", "", "", false, exitFailure, "BAC", ""},
		{"expired-signer.yaml", "", "", false, exitFailure, "BAC", ""},
		{"pace.yaml", "", "314159", true, exitOK, "PACE", ""},
		{"pace.yaml", "", "", true, exitOK, "BAC", ""}, // the kiosk's own flow: BAC via EF.CardInfo
		{"pace.yaml", "", "314158", false, exitFailure, "", "card access number"},
		{"adult.yaml", "", "314159", false, exitFailure, "", "does not offer PACE"},
	} {
		t.Run(tc.profile+tc.bac+tc.can, func(t *testing.T) {
			env := vpcdtest.StartT(t, vpcdtest.Options{Profile: filepath.Join(profiles, tc.profile), Timeout: 5 * time.Minute})
			if env == nil {
				return
			}
			photo := filepath.Join(t.TempDir(), "face.jpg")
			args := []string{"card", "read", "--reader", env.ReaderName, "--allow-virtual", "--json", "--photo", photo}
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
			if out["verified"] != tc.verified || out["document_number"] != env.Profile.DocumentNumber || out["access"] != tc.access || out["birth_date"] != env.Profile.BirthDate {
				t.Errorf("JSON %v", out)
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
