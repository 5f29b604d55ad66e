package lds

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/cardio/internal/testcard"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// One fuzz target per file the chip hands the kiosk, each seeded with a genuine file
// of the test card, so the mutations stay close to what a forged or damaged card
// sends. FuzzParsers (fuzz_test.go) feeds every parser the same bytes; these go deeper
// into each one. A hostile chip must get an error, never a panic or a hang.

var fuzzHolder = testcard.Holder{DocNo: "1234567", Birth: "850314", Expiry: "340603", Sex: "M", Nationality: "CHN",
	Surname: "CHAN", Given: "TAI MAN", Portuguese: "CHAN TAI MAN", Chinese: "陳大文", IssueDate: "20240603",
	Photo: testcard.JPEG(64), Observations: "BIRP"}

func FuzzCOM(f *testing.F) {
	f.Add(tlv.Constructed(0x60, tlv.Encode(0x5F01, []byte("0107")), tlv.Encode(0x5F36, []byte("040000")),
		tlv.Encode(0x5C, []byte{0x61, 0x75, 0x6B, 0x6C})))
	f.Add([]byte{0x60, 0x03, 0x5C, 0x01, 0x61})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCOM(b)
		if err == nil && c == nil {
			t.Fatal("nil EF.COM without an error")
		}
	})
}

func FuzzDG1(f *testing.F) {
	files := testcard.Files(fuzzHolder)
	f.Add(files[1])
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseDG1(b)
		if err != nil {
			return
		}
		now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
		m.BirthTime(now)
		m.ExpiryTime(now)
	})
}

func FuzzDG2(f *testing.F) {
	f.Add(testcard.DG2(testcard.JPEG(64), 0))
	f.Add(testcard.DG2([]byte("\x00\x00\x00\x0cjP  \r\n\x87\n"), 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		face, err := ParseDG2(b)
		if err == nil && face == nil {
			t.Fatal("nil face without an error")
		}
	})
}

func FuzzDG11(f *testing.F) {
	f.Add(testcard.Files(fuzzHolder)[11])
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseDG11(b)
	})
}

func FuzzDG12(f *testing.F) {
	f.Add(testcard.DG12(fuzzHolder))
	h := fuzzHolder
	h.Observations = ""
	f.Add(testcard.DG12(h))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := ParseDG12(b); err == nil {
			d.IssueTime()
		}
	})
}

// FuzzSOD mutates a genuine EF.SOD (CMS SignedData) and runs passive authentication
// over it against the test card's real CSCA and data groups. Whatever the bytes, a
// passing result must have every check passing: no forged SOD may pass with a failed
// or missing check.
func FuzzSOD(f *testing.F) {
	now := time.Now()
	pki, err := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	if err != nil {
		f.Fatal(err)
	}
	files := testcard.Files(fuzzHolder)
	sod, err := pki.SOD(files)
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "csca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pki.CSCA.Raw}), 0o644); err != nil {
		f.Fatal(err)
	}
	ts, err := LoadTrustStore(dir)
	if err != nil {
		f.Fatal(err)
	}
	if _, ok := PassiveAuth(sod, files, ts, now); !ok {
		f.Fatal("the genuine SOD does not pass: the target would test nothing")
	}
	f.Add(sod)
	f.Add(sod[:len(sod)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := ParseSOD(b); err == nil && s == nil {
			t.Fatal("nil SOD without an error")
		}
		checks, ok := PassiveAuth(b, files, ts, now)
		if !ok {
			return
		}
		if len(checks) == 0 {
			t.Fatal("passed with no checks")
		}
		for _, c := range checks {
			if !c.OK {
				t.Fatalf("passed although %s failed: %s", c.Name, c.Detail)
			}
		}
	})
}

// FuzzATR covers the two places the kiosk reads a card's capabilities: the ATR's
// historical bytes and EF.ATR/INFO.
func FuzzATR(f *testing.F) {
	f.Add([]byte{0x3B, 0x85, 0x01, 0x80, 0x73, 0x94, 0x01, 0x40, 0xA2}) // the emulator's ATR
	f.Add([]byte{0x3B, 0x8A, 0x80, 0x01, 0x00, 0x31, 0xC1, 0x73, 0xC8, 0x40, 0x00, 0x00, 0x90, 0x00, 0x00})
	f.Add(append(tlv.Encode(0x47, []byte{0x00, 0x00, 0x40}), tlv.Constructed(0x7F66,
		tlv.Encode(0x02, []byte{0x01, 0x00}), tlv.Encode(0x02, []byte{0x10, 0x00}))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if ext, known := ATRSupportsExtended(b); ext && !known {
			t.Fatal("extended length claimed by an ATR that does not say")
		}
		info := ParseATRInfo(b)
		if info.MaxCommand < 0 || info.MaxResponse < 0 {
			t.Fatalf("negative maxima %+v", info)
		}
		if info.Extended && !info.Known {
			t.Fatal("extended length claimed by an EF.ATR/INFO that does not say")
		}
	})
}
