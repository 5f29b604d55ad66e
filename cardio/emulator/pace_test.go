package emulator

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/icao"
)

// The card's side of PACE at the APDU level: EF.CardAccess, MSE:Set AT, the
// General Authenticate chain and its rules (Doc 9303 Part 11 §4.4.4).
func TestPACECardRules(t *testing.T) {
	c, p, _ := newProfileCard(t, "pace.yaml")
	if !p.Access.PACE || p.Access.CAN != "314159" {
		t.Fatalf("profile access %+v", p.Access)
	}
	ca := "31 14 30 12 06 0A 04 00 7F 00 07 02 02 04 02 02 02 01 02 02 01 0C"
	// EF.CardAccess in the MF: by SFI 1C and by FID, no security.
	exchange(t, c, "00 B0 9C 00 00", ca+" 6282")
	exchange(t, c, "00 A4 02 0C 02 01 1C", "9000")
	exchange(t, c, "00 B0 00 00 16", ca+" 9000")
	// It belongs to the MF, not to the LDS application.
	exchange(t, c, "00 A4 04 0C 07 A0 00 00 02 47 10 01", "9000")
	exchange(t, c, "00 A4 02 0C 02 01 1C", "6A82")
	exchange(t, c, "00 A4 00 0C 02 3F 00", "9000")

	mse := "00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 02"
	for _, tc := range []struct{ name, cmd, want string }{
		{"GA before MSE", "10 86 00 00 02 7C 00 00", "6985"},
		{"chaining on another INS", "10 B0 9C 00 00", "6884"},
		{"MSE wrong P1P2", "00 22 81 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 02", "6A86"},
		{"MSE other protocol", "00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 04 83 01 02", "6A80"},
		{"MSE PIN reference", "00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 03", "6A88"},
		{"MSE brainpool", "00 22 C1 A4 12 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 02 84 01 0D", "6A88"},
		{"MSE P-256 named", "00 22 C1 A4 12 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 02 84 01 0C", "9000"},
	} {
		t.Run(tc.name, func(t *testing.T) { exchange(t, c, tc.cmd, tc.want) })
	}
	// The first General Authenticate must be chained, and the chain restarts after any error.
	exchange(t, c, mse, "9000")
	exchange(t, c, "00 86 00 00 02 7C 00 00", "6985")
	exchange(t, c, "10 86 00 00 02 7C 00 00", "6985")
	exchange(t, c, mse, "9000")
	exchange(t, c, "10 86 00 00 02 7C 00", "6700") // no Le
	exchange(t, c, mse, "9000")
	exchange(t, c, "10 86 00 00 03 7C 01 00 00", "6A80")
	// Another command in the middle of the chain ends it.
	exchange(t, c, mse, "9000")
	got, _ := c.Process(unhex(t, "10 86 00 00 02 7C 00 00"))
	if len(got) != 22 || !bytes.Equal(got[:4], unhex(t, "7C 12 80 10")) || !bytes.Equal(got[20:], []byte{0x90, 0}) {
		t.Fatalf("encrypted nonce % X", got)
	}
	exchange(t, c, "00 B0 9C 00 00", ca+" 6282")
	exchange(t, c, "10 86 00 00 02 7C 00 00", "6985")
}

// A full PACE run at the APDU level with the terminal role, then a protected read;
// the last General Authenticate sent with chaining is refused with 6883.
func TestPACECardSession(t *testing.T) {
	c, _, l := newProfileCard(t, "pace.yaml")
	r := &reader{t: t, card: c}
	mse := apdu.Command{INS: apdu.InsMSESetAT, P1: 0xC1, P2: 0xA4, Data: icao.MSESetATData(icao.P256Params(), icao.PasswordRefCAN)}
	term := icao.NewPACETerminal(icao.P256Params(), icao.PasswordCAN("314159"), rand.Reader)
	if resp := r.send(mse); resp.SW != 0x9000 {
		t.Fatalf("MSE %04X", resp.SW)
	}
	data := []byte{0x7C, 0x00}
	for _, step := range []func([]byte) ([]byte, error){term.Nonce, term.Map, term.Agree} {
		resp := r.send(apdu.Command{CLA: 0x10, INS: apdu.InsGeneralAuthenticate, Data: data, Ne: 256})
		if resp.SW != 0x9000 {
			t.Fatalf("GA %04X", resp.SW)
		}
		var err error
		if data, err = step(resp.Data); err != nil {
			t.Fatal(err)
		}
	}
	if resp := r.send(apdu.Command{CLA: 0x10, INS: apdu.InsGeneralAuthenticate, Data: data, Ne: 256}); resp.SW != 0x6883 {
		t.Fatalf("chained last step: %04X", resp.SW)
	}
	// The refusal ended the run; PACE from the start with the last step unchained.
	sess, err := icao.PACE(t.Context(), r, icao.P256Params(), icao.PasswordCAN("314159"), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sc := &icao.SecureChannel{T: r, S: sess}
	resp, err := apdu.Exchange(t.Context(), sc, apdu.Command{INS: apdu.InsSelect, P1: 0x04, P2: 0x0C, Data: AIDLDS})
	if err != nil || resp.SW != 0x9000 {
		t.Fatalf("SELECT under PACE SM: %04X %v", resp.SW, err)
	}
	resp, err = apdu.Exchange(t.Context(), sc, apdu.Command{INS: apdu.InsReadBinary, P1: 0x9E, Ne: 256})
	if err != nil || !bytes.Equal(resp.Data, l.COM) {
		t.Fatalf("EF.COM under PACE SM: % X %v", resp.Data, err)
	}
	// A plain LDS read after that is refused: the files need secure messaging. The
	// first ends the session and says SM objects are missing (6987); after that
	// there is no session: security status not satisfied (6982).
	if resp := r.send(apdu.Command{INS: apdu.InsReadBinary, P1: 0x9E, Ne: 256}); resp.SW != 0x6987 {
		t.Fatalf("plain read in the session: %04X, want 6987", resp.SW)
	}
	if resp := r.send(apdu.Command{INS: apdu.InsReadBinary, P1: 0x9E, Ne: 256}); resp.SW != 0x6982 {
		t.Fatalf("plain read: %04X, want 6982", resp.SW)
	}
	if _, err := icao.PACE(t.Context(), r, icao.P256Params(), icao.PasswordCAN("111111"), rand.Reader); !errors.Is(err, icao.ErrPACEFailed) {
		t.Fatalf("wrong CAN: %v", err)
	}
	// The MRZ is a PACE password too (Doc 9303 requires it of every PACE chip).
	if _, err := icao.PACE(t.Context(), r, icao.P256Params(), mustMRZ(t, keyOf(loadTestProfile(t, "pace.yaml"))), rand.Reader); err != nil {
		t.Fatalf("PACE-MRZ: %v", err)
	}
}

func mustMRZ(t *testing.T, k icao.BACKey) icao.PACEPassword {
	pw, err := icao.PasswordMRZ(k)
	if err != nil {
		t.Fatal(err)
	}
	return pw
}

func TestBACOnlyCardHasNoPACE(t *testing.T) {
	c, _, _ := newProfileCard(t, "adult.yaml")
	exchange(t, c, "00 B0 9C 00 00", "6A82")
	exchange(t, c, "00 A4 02 0C 02 01 1C", "6A82")
	exchange(t, c, "00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 02", "6D00")
	exchange(t, c, "10 86 00 00 02 7C 00 00", "6884")
}

func TestProfilePACEValidation(t *testing.T) {
	base, err := os.ReadFile("testdata/pace.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to string }{
		{"no CAN", `  can: "314159"` + "\n", ""},
		{"short CAN", `can: "314159"`, `can: "3141"`},
		{"CAN without PACE", "  pace: true\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Symlink(filepath.Join(mustAbs(t, "testdata"), "photos"), filepath.Join(dir, "photos"))
			y := strings.Replace(string(base), tc.from, tc.to, 1)
			if y == string(base) {
				t.Fatal("replacement did nothing")
			}
			os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(y), 0o644)
			if _, err := LoadProfile(filepath.Join(dir, "p.yaml")); !errors.Is(err, ErrBadProfile) || !strings.Contains(err.Error(), "access.can") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
