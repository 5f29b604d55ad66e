package cardio

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/emulator"
	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/cardio/testpki"
)

// detRand is a deterministic byte stream (SHA-256 of a label and a counter), so a
// PACE run is the same every time.
type detRand struct {
	label string
	n     uint64
	buf   []byte
}

func (r *detRand) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) {
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], r.n)
		r.n++
		h := sha256.Sum256(append([]byte(r.label), c[:]...))
		r.buf = append(r.buf, h[:]...)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// emuCard is the project's emulator card, in process, counting APDUs.
type emuCard struct {
	c *emulator.Card
	n int
}

func (e *emuCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	e.n++
	return e.c.Process(cmd)
}

func emulatorCard(t *testing.T, profile string) (*emuCard, *lds.TrustStore) {
	t.Helper()
	return emulatorCardWith(t, profile, nil)
}

// emulatorCardWith is emulatorCard with the profile changed by alter before the card
// is built (nil: as shipped).
func emulatorCardWith(t *testing.T, profile string, alter func(*emulator.Profile)) (*emuCard, *lds.TrustStore) {
	t.Helper()
	p, err := emulator.LoadProfile("emulator/testdata/" + profile)
	if err != nil {
		t.Fatal(err)
	}
	if alter != nil {
		alter(p)
	}
	pki, err := testpki.Generate(now)
	if err != nil {
		t.Fatal(err)
	}
	l, err := emulator.BuildLDS(p, pki.Valid.Key, pki.Valid.Cert, now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.NewCard(emulator.CardConfig{
		LDS:    l,
		BACKey: icao.BACKey{DocumentNumber: p.DocumentNumber, BirthDate: p.BirthTime().Format("060102"), ExpiryDate: p.ExpiryTime().Format("060102")},
		PIN:    p.PIN, PINTries: 3,
		PACE: p.Access.PACE, CAN: p.Access.CAN,
		Rand: &detRand{label: "chip"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.PowerOn()
	dir := t.TempDir()
	if _, err := pki.WriteTrustStore(dir); err != nil {
		t.Fatal(err)
	}
	ts, err := lds.LoadTrustStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &emuCard{c: c}, ts
}

func TestReadCardPACEEmulator(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		can     string
		short   bool
		access  string
		want    error
	}{
		{"PACE extended", "pace.yaml", "314159", false, AccessPACE, nil},
		{"PACE short", "pace.yaml", "314159", true, AccessPACE, nil},
		{"BAC on a PACE card", "pace.yaml", "", false, AccessBAC, nil},
		{"wrong CAN", "pace.yaml", "314158", false, "", ErrWrongCAN},
		{"BAC-only card", "adult.yaml", "314159", false, "", ErrPACENotOffered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			card, ts := emulatorCard(t, tc.profile)
			read, st, err := ReadCard(context.Background(), card, ReadOptions{
				CAN: tc.can, Trust: ts, Now: now, Rand: &detRand{label: "terminal"},
				ATR: emulator.ATR, ForceShort: tc.short,
			})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if tc.want == ErrWrongCAN {
					var se *apdu.StatusError
					if !errors.Is(err, icao.ErrPACEFailed) || !errors.As(err, &se) || se.SW != 0x6300 {
						t.Fatalf("wrong CAN error %v: want PACE failed with 6300", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if read.Access != tc.access || !read.Verified || read.Holder.DocumentNumber != "12345678" || len(read.Holder.Photo.Data) == 0 {
				t.Fatalf("access %s verified %v doc %q", read.Access, read.Verified, read.Holder.DocumentNumber)
			}
			if st.APDUs != card.n || st.Extended == tc.short {
				t.Fatalf("stats %+v, card saw %d", st, card.n)
			}
		})
	}
}

// A wrong CAN leaves the card usable: the right one works next, on the same card.
func TestReadCardPACEAfterWrongCAN(t *testing.T) {
	card, ts := emulatorCard(t, "pace.yaml")
	o := ReadOptions{CAN: "000000", Trust: ts, Now: now, ATR: emulator.ATR}
	if _, _, err := ReadCard(context.Background(), card, o); !errors.Is(err, ErrWrongCAN) {
		t.Fatalf("err = %v", err)
	}
	o.CAN = "314159"
	read, _, err := ReadCard(context.Background(), card, o)
	if err != nil || !read.Verified || read.Access != AccessPACE {
		t.Fatalf("%v", err)
	}
	// Again on the same connection: the LDS application is current now, so the
	// reader selects the MF to find EF.CardAccess.
	read, _, err = ReadCard(context.Background(), card, o)
	if err != nil || !read.Verified || read.Access != AccessPACE {
		t.Fatalf("second read: %v", err)
	}
}
