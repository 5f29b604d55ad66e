package seed

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/store"
)

// TestHasherIsTheKiosks: the seed keys records exactly as the kiosk will ask for them.
func TestHasherIsTheKiosks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subject.key")
	kioskKey, err := store.LoadOrCreateSubjectKey(path) // the kiosk makes the key
	if err != nil {
		t.Fatal(err)
	}
	h, err := LoadHasher(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, card := range []string{"12345678", "1234567(8)", "51234567", ""} {
		if got, want := h.Hash(card), kioskKey.Hash(card); got != want {
			t.Errorf("Hash(%q) = %s, kiosk has %s", card, got, want)
		}
	}
}

func TestLoadHasherErrors(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("too short"), 0o600)
	for name, path := range map[string]string{"missing": filepath.Join(dir, "none.key"), "wrong size": short} {
		if _, err := LoadHasher(path); err == nil {
			t.Errorf("%s key file accepted", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "none.key")); err == nil {
		t.Error("LoadHasher created a key: it would match no kiosk")
	}
}

// TestBuild: every emulator profile gets a record, profiles sharing a card number
// share it, and the scenarios' dates are relative to the seeding day in Macau.
func TestBuild(t *testing.T) {
	ps, err := LoadProfiles([]string{"../../../../cardio/emulator/profiles/*.yaml", "../../../../cardio/emulator/testdata/*.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "k")
	os.WriteFile(key, make([]byte, 32), 0o600)
	h, _ := LoadHasher(key)
	now := time.Date(2026, 5, 31, 20, 0, 0, 0, time.UTC) // 1 June in Macau
	rs := Build(ps, h, now)
	docs := map[string]bool{}
	for _, p := range ps {
		docs[p.DocumentNumber] = true
	}
	if len(rs) != len(docs) {
		t.Fatalf("%d records for %d card numbers", len(rs), len(docs))
	}
	by := map[string]Resident{}
	for _, r := range rs {
		by[r.Subject] = r
	}
	for _, tc := range []struct {
		card string
		want func(Resident) bool
	}{
		{"12345678", func(r Resident) bool {
			return r.Residency == backoffice.Permanent && r.PassportExpiry == "2026-10-01" && r.MyPhoto
		}},
		{"18642097", func(r Resident) bool {
			return r.Residency == backoffice.NonPermanent && r.PermitExpiry == "2026-09-01" && r.PassportExpiry == ""
		}},
		{"13579246", func(r Resident) bool {
			return len(r.Pending) == 1 && r.Pending[0] == kiosk.ServiceIDRenewal && r.PendingOn == "2026-05-22"
		}},
		{"51234567", func(r Resident) bool {
			return r.Nationality == "PRT" && r.OtherTravel && r.Account == backoffice.AccountActive && r.DeviceBound
		}},
		{"10293847", func(r Resident) bool { return r.CounterOnly && !r.OtherTravel }},
		// The demo's travel-permit card: inside the ±9-month window, nothing in the way.
		{"15263748", func(r Resident) bool {
			return r.Residency == backoffice.NonPermanent && r.Nationality == "CHN" && r.PermitExpiry == "2026-11-01" &&
				r.PassportExpiry == "" && !r.OtherTravel && !r.CounterOnly && len(r.Pending) == 0
		}},
		{"16273849", func(r Resident) bool {
			return r.Residency == backoffice.Permanent && r.PassportExpiry == "2028-12-01" && !r.CounterOnly && len(r.Pending) == 0
		}},
		{"19283746", func(r Resident) bool { return r.PasswordLockedUntil.Equal(now.Add(time.Hour)) }},
	} {
		r, ok := by[h.Hash(tc.card)]
		if !ok || !tc.want(r) {
			t.Errorf("card %s: %+v (found %v)", tc.card, r, ok)
		}
	}
	// The back office holds the residency the card states.
	for _, p := range ps {
		if r := by[h.Hash(p.DocumentNumber)]; string(r.Residency) != p.Residency {
			t.Errorf("%s (card %s): back office %q, card %q", p.File, p.DocumentNumber, r.Residency, p.Residency)
		}
	}
	if _, err := LoadProfiles([]string{filepath.Join(t.TempDir(), "*.yaml")}); err == nil {
		t.Error("no profiles matched and no error")
	}
}
