package cardio

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"encoding/pem"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/emulator"
	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/internal/testcard"
	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/kiosk"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func holder() testcard.Holder {
	return testcard.Holder{DocNo: "1234567", Birth: "850314", Expiry: "340603", Sex: "F", Nationality: "PRT",
		Surname: "DA SILVA", Given: "MARIA", Portuguese: "MARIA DA SILVA", Chinese: "施美娜", IssueDate: "20240603", Observations: ResidencyCodeNonPermanent, Photo: testcard.JPEG(20000)}
}

func setup(t *testing.T, o testcard.Options, dsFrom, dsTo time.Time) (*testcard.Card, *lds.TrustStore) {
	t.Helper()
	p, err := testcard.NewPKI(now, dsFrom, dsTo)
	if err != nil {
		t.Fatal(err)
	}
	c, err := testcard.New(holder(), p, "246810", o)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "csca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CSCA.Raw}), 0o644)
	ts, err := lds.LoadTrustStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c, ts
}

func TestReadCard(t *testing.T) {
	valid := [2]time.Time{now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0)}
	expired := [2]time.Time{now.AddDate(-4, 0, 0), now.AddDate(0, -1, 0)}
	tests := []struct {
		name       string
		opts       testcard.Options
		ds         [2]time.Time
		noExtended bool // the card answers 6700 to extended APDUs
		transport  bool // the reader's transport fails extended APDUs
		atr        []byte
		atrInfo    []byte
		wantShort  bool // read with short APDUs only
		key        *icao.BACKey
		wantOK     bool
		wantFailed string
		maxAPDUs   int
		wantErr    error
	}{
		{name: "genuine, key from EF.CardInfo", ds: valid, wantOK: true, maxAPDUs: 19},
		{name: "genuine, key given", ds: valid, key: &icao.BACKey{DocumentNumber: "1234567", BirthDate: "850314", ExpiryDate: "340603"}, wantOK: true, maxAPDUs: 15},
		{name: "no extended length", ds: valid, noExtended: true, wantShort: true, wantOK: true, maxAPDUs: 130},
		{name: "short-only transport", ds: valid, transport: true, wantShort: true, wantOK: true, maxAPDUs: 130},
		{name: "ATR without extended length", ds: valid, atr: testcard.ATRShort, wantShort: true, wantOK: true, maxAPDUs: 130},
		{name: "silent ATR, no EF.ATR/INFO", ds: valid, atr: testcard.ATRSilent, wantShort: true, wantOK: true, maxAPDUs: 130},
		{name: "silent ATR, EF.ATR/INFO card capabilities", ds: valid, atr: testcard.ATRSilent, atrInfo: []byte{0x47, 0x03, 0x94, 0x01, 0x40}, wantOK: true, maxAPDUs: 30},
		{name: "silent ATR, EF.ATR/INFO extended length information", ds: valid, atr: testcard.ATRSilent,
			atrInfo: []byte{0x7F, 0x66, 0x08, 0x02, 0x02, 0x04, 0x00, 0x02, 0x02, 0x08, 0x00}, wantOK: true, maxAPDUs: 60},
		{name: "silent ATR, EF.ATR/INFO says short", ds: valid, atr: testcard.ATRSilent, atrInfo: []byte{0x47, 0x03, 0x94, 0x01, 0x00}, wantShort: true, wantOK: true, maxAPDUs: 130},
		{name: "tampered DG1", opts: testcard.Options{TamperDG: 1}, ds: valid, wantFailed: "dg1_hash", maxAPDUs: 19},
		{name: "tampered DG2", opts: testcard.Options{TamperDG: 2}, ds: valid, wantFailed: "dg2_hash", maxAPDUs: 19},
		// A non-permanent resident's card altered to claim permanent residency: the
		// data read say so, but the DG12 hash gives it away.
		{name: "residency altered", opts: testcard.Options{ForgeObservations: ResidencyCodePermanent}, ds: valid, wantFailed: "dg12_hash", maxAPDUs: 19},
		{name: "expired signer", ds: expired, wantFailed: lds.CheckDSValidity, maxAPDUs: 19},
		{name: "wrong BAC key", ds: valid, key: &icao.BACKey{DocumentNumber: "1234568", BirthDate: "850314", ExpiryDate: "340603"}, wantErr: icao.ErrBACFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, ts := setup(t, tc.opts, tc.ds[0], tc.ds[1])
			c.NoExtended, c.TransportNoExtended, c.ATRInfo = tc.noExtended, tc.transport, tc.atrInfo
			atr := testcard.ATR
			if tc.atr != nil {
				atr = tc.atr
			}
			var steps []string
			read, st, err := ReadCard(context.Background(), c, ReadOptions{Key: tc.key, Trust: ts, Now: now, ATR: atr, Progress: func(p kiosk.ReadProgress) {
				if len(steps) == 0 || steps[len(steps)-1] != p.Step {
					steps = append(steps, p.Step)
				}
			}})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if read.Verified != tc.wantOK {
				t.Fatalf("verified = %v: %+v", read.Verified, read.PassiveAuth)
			}
			for _, ch := range read.PassiveAuth {
				if !ch.OK && ch.Name != tc.wantFailed {
					t.Errorf("unexpected failed check %+v", ch)
				}
				if ch.Name == tc.wantFailed && ch.OK {
					t.Errorf("%s passed", ch.Name)
				}
			}
			h := read.Holder
			if tc.opts.TamperDG == 1 {
				h.Names.Secondary = strings.TrimSuffix(h.Names.Secondary, " X") // the tampered MRZ filler
			}
			if h.DocumentNumber != "1234567" || h.Names.Primary != "DA SILVA" || h.Names.Secondary != "MARIA" ||
				h.Names.Chinese != "施美娜" || h.Names.Portuguese != "MARIA DA SILVA" || h.Sex != "F" || h.Nationality != "PRT" ||
				!h.BirthDate.Equal(time.Date(1985, 3, 14, 0, 0, 0, 0, time.UTC)) || !h.ExpiryDate.Equal(time.Date(2034, 6, 3, 0, 0, 0, 0, time.UTC)) ||
				!h.IssueDate.Equal(time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)) {
				h.Photo.Data = nil
				t.Fatalf("holder = %+v", h)
			}
			wantResidency := kiosk.ResidencyNonPermanent
			if tc.opts.ForgeObservations != "" {
				wantResidency = ResidencyOf(tc.opts.ForgeObservations)
			}
			if h.Residency != wantResidency {
				t.Errorf("residency %q, want %q", h.Residency, wantResidency)
			}
			if h.Photo.Format != "jpeg" || !bytes.Equal(h.Photo.Data, testcard.JPEG(20000)) && tc.opts.TamperDG != 2 {
				t.Fatalf("photo %s %d bytes", h.Photo.Format, len(h.Photo.Data))
			}
			if read.Access != AccessBAC {
				t.Errorf("access %q", read.Access)
			}
			if st.APDUs > tc.maxAPDUs {
				t.Errorf("%d APDUs, want at most %d", st.APDUs, tc.maxAPDUs)
			}
			if c.PastEnd > 0 {
				t.Errorf("%d READ BINARY asked past the end of a file", c.PastEnd)
			}
			if st.Extended == tc.wantShort {
				t.Errorf("extended = %v", st.Extended)
			}
			if tc.atr != nil && tc.wantShort && c.ExtendedSeen > 0 {
				t.Errorf("%d extended APDUs sent to a card that did not advertise extended length", c.ExtendedSeen)
			}
			if len(steps) < 5 || steps[len(steps)-1] != "EF.SOD" {
				t.Errorf("progress steps %v", steps)
			}
		})
	}
}

func TestReadCardPulled(t *testing.T) {
	c, ts := setup(t, testcard.Options{}, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	c.NoExtended = true // many APDUs for DG2, so the pull lands inside it
	var inDG2 bool
	_, _, err := ReadCard(context.Background(), c, ReadOptions{Trust: ts, Now: now, ATR: testcard.ATR, Progress: func(p kiosk.ReadProgress) {
		if p.Step == "DG2" && p.Done > 0 && !inDG2 {
			inDG2 = true
			c.PullAfter = c.Commands + 2
		}
	}})
	if !errors.Is(err, testcard.ErrPulled) || !inDG2 {
		t.Fatalf("err = %v (in DG2 %v)", err, inDG2)
	}
}

func TestReadCardPACE(t *testing.T) {
	c, ts := setup(t, testcard.Options{}, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	if _, _, err := ReadCard(context.Background(), c, ReadOptions{CAN: "123456", Trust: ts, Now: now}); !errors.Is(err, ErrPACENotOffered) {
		t.Fatalf("err = %v", err)
	}
}

func TestPIN(t *testing.T) {
	ctx := context.Background()
	c, _ := setup(t, testcard.Options{}, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	left := func() int {
		n, err := PINTriesLeft(ctx, c)
		if err != nil && !errors.Is(err, kiosk.ErrCardBlocked) {
			t.Fatal(err)
		}
		return n
	}
	if n := left(); n != 3 {
		t.Fatalf("tries %d", n)
	}
	if err := VerifyPIN(ctx, c, []byte("12345"), 0, false); !errors.Is(err, ErrBadPIN) {
		t.Fatalf("short PIN: %v", err)
	}
	if err := VerifyPIN(ctx, c, []byte("12a456"), 0, false); !errors.Is(err, ErrBadPIN) {
		t.Fatalf("letters: %v", err)
	}
	var wp *kiosk.WrongPINError
	if err := VerifyPIN(ctx, c, []byte("000000"), 0, false); !errors.As(err, &wp) || wp.TriesLeft != 2 || !errors.Is(err, kiosk.ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if err := VerifyPIN(ctx, c, []byte("246810"), 0, false); err != nil {
		t.Fatalf("right PIN: %v", err)
	}
	if n := left(); n != 3 {
		t.Fatalf("after right PIN: %d", n)
	}
	c.Reset()
	VerifyPIN(ctx, c, []byte("000000"), 0, false)
	if err := VerifyPIN(ctx, c, []byte("000000"), 0, false); !errors.As(err, &wp) || wp.TriesLeft != 1 {
		t.Fatalf("second wrong: %v", err)
	}
	// One try left: no VERIFY unless the resident was warned.
	before := c.Commands
	if err := VerifyPIN(ctx, c, []byte("000000"), 0, false); !errors.Is(err, ErrPINNotWarned) {
		t.Fatalf("unwarned last try: %v", err)
	}
	if n := left(); n != 1 {
		t.Fatalf("counter spent without warning: %d", n)
	}
	_ = before
	err := VerifyPIN(ctx, c, []byte("000000"), 0, true)
	if !errors.Is(err, kiosk.ErrCardBlocked) || !errors.As(err, &wp) || wp.TriesLeft != 0 {
		t.Fatalf("blocking try: %v", err)
	}
	if _, err := PINTriesLeft(ctx, c); !errors.Is(err, kiosk.ErrCardBlocked) {
		t.Fatalf("blocked status: %v", err)
	}
	// A blocked card gets no further VERIFY with data.
	c.Log = nil
	if err := VerifyPIN(ctx, c, []byte("246810"), 0, true); !errors.Is(err, kiosk.ErrCardBlocked) {
		t.Fatalf("right PIN on blocked card: %v", err)
	}
	verifies := 0
	for _, ins := range c.Log {
		if ins == apdu.InsVerify {
			verifies++
		}
	}
	if verifies != 1 {
		t.Fatalf("%d VERIFY sent to a blocked card, want only the status query", verifies)
	}
}

// TestPINLength: the PIN length is the caller's (the kiosk's PIN policy), not a
// constant of cardio: a card with an 8-digit PIN takes it when told 8, and an entry
// of any other length or with a non-digit is refused before anything is sent.
func TestPINLength(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		cardPIN string
		length  int // 0: DefaultPINLength
		entry   string
		want    error // nil: accepted
	}{
		{"6 by default", "246810", 0, "246810", nil},
		{"5 of 6", "246810", 0, "24681", ErrBadPIN},
		{"7 of 6", "246810", 6, "2468101", ErrBadPIN},
		{"letter", "246810", 6, "24681a", ErrBadPIN},
		{"8-digit PIN", "24681357", 8, "24681357", nil},
		{"6 of 8", "24681357", 8, "246813", ErrBadPIN},
		{"4-digit PIN", "2468", 4, "2468", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			c, err := testcard.New(holder(), p, tc.cardPIN, testcard.Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = VerifyPIN(ctx, c, []byte(tc.entry), tc.length, false)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want != nil && c.Commands != 0 {
				t.Errorf("%d APDUs sent for a refused entry", c.Commands)
			}
		})
	}
}

func TestParseCardInfo(t *testing.T) {
	c, _ := setup(t, testcard.Options{}, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	k, err := ParseCardInfo(c.Info)
	if err != nil || k != c.Key {
		t.Fatalf("%+v %v", k, err)
	}
	for _, bad := range [][]byte{{0x70, 0x00}, {0x71, 0x00}, {0x70, 0x03, 0x5A, 0x01, 0x41}, nil} {
		if _, err := ParseCardInfo(bad); !errors.Is(err, ErrBadCardInfo) {
			t.Errorf("%X: %v", bad, err)
		}
	}
}

func TestResidencyOf(t *testing.T) {
	for _, tc := range []struct {
		observations string
		want         kiosk.Residency
	}{
		{"BIRP", kiosk.ResidencyPermanent},
		{"BIRNP", kiosk.ResidencyNonPermanent},
		{"", ""},           // DG12 without 5F1B: the card does not say
		{"birp", ""},       // the code is exact: no guessing from a near miss
		{"BIRP ", ""},      // nor from padding
		{"BIRPX", ""},      // nor from a prefix
		{"RESIDENTE", ""},  // another observation
		{"BIRNP BIRP", ""}, // two statements are none
	} {
		if got := ResidencyOf(tc.observations); got != tc.want {
			t.Errorf("ResidencyOf(%q) = %q, want %q", tc.observations, got, tc.want)
		}
	}
}

// TestReadResidencyEmulator: the emulator's profiles round trip through the reader:
// the residency the profile states is what the kiosk gets, and a card altered to
// claim permanent residency reads as permanent but fails passive authentication on
// DG12 alone.
func TestReadResidencyEmulator(t *testing.T) {
	for _, tc := range []struct {
		name, profile string
		alter         func(*emulator.Profile)
		want          kiosk.Residency
		wantFailed    string
	}{
		{"permanent", "adult.yaml", nil, kiosk.ResidencyPermanent, ""},
		{"non-permanent", "blocked-pin.yaml", nil, kiosk.ResidencyNonPermanent, ""},
		{"card does not say", "adult.yaml", func(p *emulator.Profile) { p.Residency = "" }, "", ""},
		{"non-permanent altered to permanent", "blocked-pin.yaml",
			func(p *emulator.Profile) { p.Faults.ForgedResidency = emulator.ResidencyPermanent }, kiosk.ResidencyPermanent, "dg12_hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ts := emulatorCardWith(t, tc.profile, tc.alter)
			read, _, err := ReadCard(context.Background(), c, ReadOptions{Trust: ts, Now: now, ATR: emulator.ATR})
			if err != nil {
				t.Fatal(err)
			}
			if read.Holder.Residency != tc.want {
				t.Errorf("residency %q, want %q", read.Holder.Residency, tc.want)
			}
			if read.Verified != (tc.wantFailed == "") {
				t.Errorf("verified = %v: %+v", read.Verified, read.PassiveAuth)
			}
			for _, ch := range read.PassiveAuth {
				if ch.OK == (ch.Name == tc.wantFailed) {
					t.Errorf("check %s ok=%v %s", ch.Name, ch.OK, ch.Detail)
				}
			}
		})
	}
}
