package cardio

import (
	"context"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/macau-dsi/kiosk/cardio/emulator"
	"github.com/macau-dsi/kiosk/cardio/internal/testcard"
	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/kiosk"
)

func TestStaffIDOf(t *testing.T) {
	for _, tc := range []struct{ observations, want string }{
		{"DSI-STAFF:S7001", "S7001"},
		{"DSI-STAFF:ops_night-2", "ops_night-2"},
		{"DSI-STAFF:S", ""},          // shorter than any staff id the configuration names
		{"DSI-STAFF:", ""},           // no id
		{"dsi-staff:S7001", ""},      // the code is exact
		{" DSI-STAFF:S7001", ""},     // no padding
		{"DSI-STAFF:S7001 ", ""},     // either side
		{"DSI-STAFF:S 7001", ""},     // nor spaces inside
		{"DSI-STAFF:S7001\n", ""},    // nor a line end
		{"DSI-STAFF S7001", ""},      // the colon is part of the code
		{"BIRP", ""},                 // a resident's card
		{"BIRP DSI-STAFF:S7001", ""}, // two statements are none
		{"", ""},
		{"DSI-STAFF:" + string(make([]byte, 33)), ""},
		{"DSI-STAFF:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", ""}, // 33 characters: too long
		{"DSI-STAFF:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"}, // 32: the longest
	} {
		if got := StaffIDOf(tc.observations); got != tc.want {
			t.Errorf("StaffIDOf(%q) = %q, want %q", tc.observations, got, tc.want)
		}
	}
}

// TestDecodeStaffDG12 decodes a staff card's DG12 byte by byte as docs/card-profile.md
// writes it: the staff code is in 5F1B, where a resident card has its residency, so a
// staff card states no residency.
func TestDecodeStaffDG12(t *testing.T) {
	b, _ := hex.DecodeString("6C315C065F195F265F1B5F1909445349204D414341555F260832303235303131355F1B0F4453492D53544146463A5337303031")
	d, err := lds.ParseDG12(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.IssuingAuthority != "DSI MACAU" || d.IssueDate != "20250115" || d.Observations != "DSI-STAFF:S7001" {
		t.Fatalf("DG12 = %+v", d)
	}
	if id, res := StaffIDOf(d.Observations), ResidencyOf(d.Observations); id != "S7001" || res != "" {
		t.Fatalf("staff id %q, residency %q", id, res)
	}
}

// setupHolder is setup (bir_test.go) for another holder.
func setupHolder(t *testing.T, h testcard.Holder, o testcard.Options) (*testcard.Card, *lds.TrustStore) {
	t.Helper()
	p, err := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	c, err := testcard.New(h, p, "246810", o)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "csca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CSCA.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := lds.LoadTrustStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c, ts
}

func staffHolder() testcard.Holder {
	h := holder()
	h.Observations = StaffCodePrefix + "S7001"
	return h
}

// TestReadStaffCard: the staff id reaches kiosk.CardHolder.StaffID from a genuine
// staff card; one written on a card after EF.SOD was signed (a resident's card made a
// staff card, or a staff card given another id) is read but fails dg12_hash, so the
// read is not Verified and the session refuses the card before it looks at StaffID.
func TestReadStaffCard(t *testing.T) {
	for _, tc := range []struct {
		name      string
		h         testcard.Holder
		forge     string
		wantID    string
		wantRes   kiosk.Residency
		wantValid bool
	}{
		{"staff card", staffHolder(), "", "S7001", "", true},
		{"resident card", holder(), "", "", kiosk.ResidencyNonPermanent, true},
		{"resident card made a staff card", holder(), StaffCodePrefix + "S7001", "S7001", "", false},
		{"staff card given another id", staffHolder(), StaffCodePrefix + "S0001", "S0001", "", false},
		{"staff card made a resident card", staffHolder(), ResidencyCodePermanent, "", kiosk.ResidencyPermanent, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ts := setupHolder(t, tc.h, testcard.Options{ForgeObservations: tc.forge})
			read, _, err := ReadCard(context.Background(), c, ReadOptions{Trust: ts, Now: now, ATR: testcard.ATR})
			if err != nil {
				t.Fatal(err)
			}
			if read.Holder.StaffID != tc.wantID || read.Holder.Residency != tc.wantRes {
				t.Errorf("staff id %q, residency %q; want %q, %q", read.Holder.StaffID, read.Holder.Residency, tc.wantID, tc.wantRes)
			}
			if read.Verified != tc.wantValid {
				t.Errorf("verified = %v: %+v", read.Verified, read.PassiveAuth)
			}
			for _, ch := range read.PassiveAuth {
				if ch.OK == (!tc.wantValid && ch.Name == "dg12_hash") {
					t.Errorf("check %s ok=%v %s", ch.Name, ch.OK, ch.Detail)
				}
			}
		})
	}
}

// TestReadStaffEmulator: the emulator's staff profile round trips through the reader
// (staff_id → DG12 5F1B → CardHolder.StaffID), its PIN is the card's own, and
// faults.forged_staff_id gives a card that states the forged id and fails dg12_hash.
func TestReadStaffEmulator(t *testing.T) {
	const staffProfile = "../profiles/staff.yaml" // emulatorCardWith reads emulator/testdata/
	for _, tc := range []struct {
		name, profile string
		alter         func(*emulator.Profile)
		wantID        string
		wantValid     bool
	}{
		{"staff card", staffProfile, nil, "S7001", true},
		{"resident card", "adult.yaml", nil, "", true},
		{"staff card with a forged id", staffProfile, func(p *emulator.Profile) { p.Faults.ForgedStaffID = "S0001" }, "S0001", false},
		{"resident card forged into a staff card", "adult.yaml", func(p *emulator.Profile) { p.Faults.ForgedStaffID = "S7001" }, "S7001", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ts := emulatorCardWith(t, tc.profile, tc.alter)
			read, _, err := ReadCard(context.Background(), c, ReadOptions{Trust: ts, Now: now, ATR: emulator.ATR})
			if err != nil {
				t.Fatal(err)
			}
			if read.Holder.StaffID != tc.wantID {
				t.Errorf("staff id %q, want %q", read.Holder.StaffID, tc.wantID)
			}
			if read.Verified != tc.wantValid {
				t.Errorf("verified = %v: %+v", read.Verified, read.PassiveAuth)
			}
			if tc.wantID == "" || !tc.wantValid {
				return
			}
			if read.Holder.Residency != "" {
				t.Errorf("staff card states residency %q", read.Holder.Residency)
			}
			// The staff PIN is the card's own: a wrong one costs a try, the right one opens.
			var wp *kiosk.WrongPINError
			if err := VerifyPIN(context.Background(), c, []byte("000000"), 0, false); !errors.As(err, &wp) || wp.TriesLeft != 2 {
				t.Fatalf("wrong staff PIN: %v", err)
			}
			if err := VerifyPIN(context.Background(), c, []byte("246802"), 0, false); err != nil {
				t.Fatalf("staff PIN: %v", err)
			}
		})
	}
}
