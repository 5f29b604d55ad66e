package lds

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"encoding/asn1"
	"encoding/pem"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/internal/testcard"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func holder(photo []byte) testcard.Holder {
	return testcard.Holder{DocNo: "1234567", Birth: "850314", Expiry: "340603", Sex: "M", Nationality: "CHN",
		Surname: "CHAN", Given: "TAI MAN", Portuguese: "CHAN TAI MAN", Chinese: "陳大文", IssueDate: "20240603", Photo: photo}
}

func newCard(t *testing.T, photo []byte, o testcard.Options) (*testcard.Card, *testcard.PKI) {
	t.Helper()
	p, err := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	c, err := testcard.New(holder(photo), p, "123456", o)
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

func openBAC(t *testing.T, c *testcard.Card) *icao.SecureChannel {
	t.Helper()
	ctx := context.Background()
	if err := SelectApplication(ctx, c, AIDLDS); err != nil {
		t.Fatal(err)
	}
	s, err := icao.BAC(ctx, c, c.Key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &icao.SecureChannel{T: c, S: s}
}

func TestReadFiles(t *testing.T) {
	photo := testcard.JPEG(20000)
	for _, tc := range []struct {
		name       string
		extended   bool
		bySFI      bool
		noExtended bool
		maxAPDUs   int // for DG2
		wantErr    error
	}{
		{"extended by SFI", true, true, false, 2, nil},
		{"extended by FID", true, false, false, 3, nil},
		{"short by SFI", false, true, false, 92, nil},
		{"short by FID", false, false, false, 93, nil},
		{"extended refused", true, true, true, 0, ErrExtendedRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newCard(t, photo, testcard.Options{})
			c.NoExtended = tc.noExtended
			r := &Reader{T: openBAC(t, c), Extended: tc.extended, SM: true}
			got, err := r.ReadFile(context.Background(), DG2, tc.bySFI)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, c.LDS[DG2.FID]) {
				t.Fatalf("DG2 differs (%d vs %d bytes)", len(got), len(c.LDS[DG2.FID]))
			}
			if r.APDUs > tc.maxAPDUs {
				t.Errorf("%d APDUs for DG2, want at most %d", r.APDUs, tc.maxAPDUs)
			}
			// A small file: its 8-byte header, then exactly the rest; never a
			// READ BINARY past the end of a file.
			if c.PastEnd != 0 {
				t.Errorf("%d READ BINARY past the end of DG2", c.PastEnd)
			}
			r.APDUs = 0
			dg1, err := r.ReadFile(context.Background(), DG1, tc.bySFI)
			if err != nil || !bytes.Equal(dg1, c.LDS[DG1.FID]) {
				t.Fatalf("DG1: %v", err)
			}
			if c.PastEnd != 0 {
				t.Errorf("%d READ BINARY past the end of DG1", c.PastEnd)
			}
			if want := map[bool]int{true: 2, false: 3}[tc.bySFI]; r.APDUs != want {
				t.Errorf("%d APDUs for DG1, want %d", r.APDUs, want)
			}
		})
	}
}

// TestReadBeyond32K reads a file larger than the 15-bit offset of READ BINARY (B0)
// with short APDUs, which needs READ BINARY (B1) with an offset object.
func TestReadBeyond32K(t *testing.T) {
	c, _ := newCard(t, testcard.JPEG(70000), testcard.Options{})
	r := &Reader{T: openBAC(t, c), SM: true}
	got, err := r.ReadFile(context.Background(), DG2, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, c.LDS[DG2.FID]) {
		t.Fatal("DG2 differs")
	}
	if !bytes.Contains(c.Log, []byte{apdu.InsReadBinaryOdd}) {
		t.Fatal("B1 not used")
	}
	// DO54 holds the offset in as few bytes as it takes (ISO 7816-4 §11.3.3: no
	// leading zero byte): two up to 65535, three beyond.
	var two, three int
	for _, o := range c.OddOffsets {
		off := 0
		for _, b := range o {
			off = off<<8 | int(b)
		}
		switch {
		case off <= 0xFFFF && len(o) == 2:
			two++
		case off > 0xFFFF && len(o) == 3 && o[0] != 0:
			three++
		default:
			t.Errorf("offset %d encoded as % X", off, o)
		}
	}
	if two == 0 || three == 0 {
		t.Errorf("offsets seen: %d of 2 bytes, %d of 3", two, three)
	}
}

func TestReadErrors(t *testing.T) {
	ctx := context.Background()
	c, _ := newCard(t, testcard.JPEG(100), testcard.Options{})
	// Without BAC the LDS files are protected.
	if err := SelectApplication(ctx, c, AIDLDS); err != nil {
		t.Fatal(err)
	}
	r := &Reader{T: c}
	if _, err := r.ReadFile(ctx, DG1, false); !errors.Is(err, apdu.ErrSecurityStatus) {
		t.Fatalf("plain read: %v", err)
	}
	// A missing file is "not found".
	r = &Reader{T: openBAC(t, c), SM: true}
	if _, err := r.ReadFile(ctx, EFCardAccess, false); !errors.Is(err, apdu.ErrFileNotFound) {
		t.Fatalf("EF.CardAccess: %v", err)
	}
	// A file with no byte at all is "empty" (the test card answers 6282 without
	// data at offset 0; the emulator 6B00), not a malformed header.
	c.LDS[EFSOD.FID] = []byte{}
	if _, err := r.ReadFile(ctx, EFSOD, true); !errors.Is(err, ErrFileEmpty) {
		t.Fatalf("empty EF.SOD: %v", err)
	}
	// A file announcing an absurd size is refused before any allocation.
	c.LDS[DG11.FID] = []byte{0x6B, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x00}
	if _, err := r.ReadFile(ctx, DG11, true); err == nil {
		t.Fatal("absurd size accepted")
	}
	// A card pulled mid-read gives the transport error.
	c2, _ := newCard(t, testcard.JPEG(20000), testcard.Options{})
	ch := openBAC(t, c2)
	c2.PullAfter = c2.Commands + 3
	r = &Reader{T: ch, SM: true}
	if _, err := r.ReadFile(ctx, DG2, true); !errors.Is(err, testcard.ErrPulled) {
		t.Fatalf("pulled: %v", err)
	}
	// Cancellation stops between APDUs.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.ReadFile(cctx, DG1, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestParseMRZ(t *testing.T) {
	tests := []struct {
		name    string
		mrz     string
		want    MRZ
		wantErr bool
	}{
		{name: "TD1 Doc 9303 Part 5 example",
			mrz:  "I<UTOD231458907<<<<<<<<<<<<<<<" + "7408122F1204159UTO<<<<<<<<<<<6" + "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
			want: MRZ{Format: "TD1", DocumentCode: "I", IssuingState: "UTO", DocumentNumber: "D23145890", BirthDate: "740812", Sex: "F", ExpiryDate: "120415", Nationality: "UTO", Primary: "ERIKSSON", Secondary: "ANNA MARIA"}},
		{name: "TD3 Doc 9303 Part 4 example",
			mrz:  "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<" + "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
			want: MRZ{Format: "TD3", DocumentCode: "P", IssuingState: "UTO", DocumentNumber: "L898902C3", BirthDate: "740812", Sex: "F", ExpiryDate: "120415", Nationality: "UTO", Primary: "ERIKSSON", Secondary: "ANNA MARIA", OptionalData: "ZE184226B"}},
		{name: "TD1 long document number",
			mrz:  "I<UTOD23145890<7349<<<<<<<<<<<" + "3407127M9507122UTO<<<<<<<<<<<2" + "STEVENSON<<PETER<JOHN<<<<<<<<<",
			want: MRZ{Format: "TD1", DocumentCode: "I", IssuingState: "UTO", DocumentNumber: "D23145890734", BirthDate: "340712", Sex: "M", ExpiryDate: "950712", Nationality: "UTO", Primary: "STEVENSON", Secondary: "PETER JOHN"}},
		{name: "BIR", mrz: testcard.TD1(holder(nil)),
			want: MRZ{Format: "TD1", DocumentCode: "ID", IssuingState: "MAC", DocumentNumber: "1234567", BirthDate: "850314", Sex: "M", ExpiryDate: "340603", Nationality: "CHN", Primary: "CHAN", Secondary: "TAI MAN"}},
		{name: "TD1 bad document check digit", mrz: "I<UTOD231458908<<<<<<<<<<<<<<<" + "7408122F1204159UTO<<<<<<<<<<<6" + "ERIKSSON<<ANNA<MARIA<<<<<<<<<<", wantErr: true},
		{name: "TD1 bad composite", mrz: "I<UTOD231458907<<<<<<<<<<<<<<<" + "7408122F1204159UTO<<<<<<<<<<<7" + "ERIKSSON<<ANNA<MARIA<<<<<<<<<<", wantErr: true},
		{name: "TD3 bad birth check digit", mrz: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<" + "L898902C36UTO7408123F1204159ZE184226B<<<<<10", wantErr: true},
		{name: "wrong length", mrz: "P<UTO", wantErr: true},
		{name: "bad character", mrz: strings.Repeat("a", 90), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMRZ(tc.mrz)
			if tc.wantErr {
				if !errors.Is(err, ErrMRZ) {
					t.Fatalf("err = %v, want ErrMRZ", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m.Raw = ""
			if *m != tc.want {
				t.Fatalf("got  %+v\nwant %+v", *m, tc.want)
			}
		})
	}
	m, _ := ParseMRZ(testcard.TD1(holder(nil)))
	if b, _ := m.BirthTime(now); b.Year() != 1985 {
		t.Errorf("birth year %d", b.Year())
	}
	if e, _ := m.ExpiryTime(now); e.Year() != 2034 {
		t.Errorf("expiry year %d", e.Year())
	}
}

func TestParseDataGroups(t *testing.T) {
	files := testcard.Files(holder(testcard.JPEG(500)))
	face, err := ParseDG2(files[2])
	if err != nil || face.Format != "jpeg" || len(face.Image) != 500 || face.Width != 100 {
		t.Fatalf("DG2: %+v %v", face, err)
	}
	jp2 := append([]byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}, make([]byte, 50)...)
	if f, err := ParseDG2(testcard.DG2(jp2, 1)); err != nil || f.Format != "jp2" {
		t.Fatalf("DG2 jp2: %+v %v", f, err)
	}
	if _, err := ParseDG2(testcard.DG2([]byte("GIF89a"), 0)); !errors.Is(err, ErrNoFace) {
		t.Fatalf("DG2 gif: %v", err)
	}
	// A facial record whose lengths lie is refused, not read out of bounds.
	bad := testcard.DG2(testcard.JPEG(50), 0)
	i := bytes.Index(bad, []byte("FAC\x00"))
	bad[i+8], bad[i+9] = 0x7F, 0xFF
	if _, err := ParseDG2(bad); !errors.Is(err, ErrNoFace) {
		t.Fatalf("DG2 lying length: %v", err)
	}
	// Only the 2005 edition's record (version "010") is read; the 2011 edition's
	// ("030") is reported as unsupported.
	for v, wantVersionErr := range map[string]bool{"010": false, "030": true, "020": true} {
		rec := testcard.DG2(testcard.JPEG(50), 0)
		i := bytes.Index(rec, []byte("FAC\x00"))
		copy(rec[i+4:], v)
		_, err := ParseDG2(rec)
		if wantVersionErr != (errors.Is(err, ErrFaceVersion) && errors.Is(err, ErrNoFace)) {
			t.Errorf("facial record version %s: %v", v, err)
		}
	}
	d11, err := ParseDG11(files[11])
	if err != nil || d11.FullName != "CHAN TAI MAN" || len(d11.OtherNames) != 1 || d11.OtherNames[0] != "陳大文" || d11.PersonalNumber != "1234567" {
		t.Fatalf("DG11: %+v %v", d11, err)
	}
	d12, err := ParseDG12(files[12])
	if err != nil || d12.IssuingAuthority != "DSI MACAU" {
		t.Fatalf("DG12: %+v %v", d12, err)
	}
	if it, err := d12.IssueTime(); err != nil || !it.Equal(time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("issue: %v %v", it, err)
	}
	com, err := ParseCOM(tlv.Constructed(0x60, tlv.Encode(0x5F01, []byte("0107")), tlv.Encode(0x5C, []byte{0x61, 0x75, 0x6B, 0x6E})))
	if err != nil || len(com.DataGroups) != 3 || !com.Has(11) || com.Has(12) {
		t.Fatalf("COM: %+v %v", com, err)
	}
	if _, err := ParseDG11([]byte{0x6B, 0x03, 0x5F, 0x0E, 0x05}); err == nil {
		t.Fatal("truncated DG11 accepted")
	}
	if _, err := ParseDG1(files[11]); err == nil {
		t.Fatal("DG11 accepted as DG1")
	}
}

func writeStore(t *testing.T, certs ...[]byte) *TrustStore {
	t.Helper()
	dir := t.TempDir()
	for i, c := range certs {
		os.WriteFile(filepath.Join(dir, "csca"+string(rune('a'+i))+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c}), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a certificate"), 0o644)
	ts, err := LoadTrustStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestPassiveAuth(t *testing.T) {
	good, _ := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	expired, _ := testcard.NewPKI(now, now.AddDate(-3, 0, 0), now.AddDate(0, 0, -1))
	other, _ := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	dgs := testcard.Files(holder(testcard.JPEG(300)))
	sign := func(p *testcard.PKI) []byte {
		s, err := p.SOD(dgs)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tampered := map[int][]byte{}
	for k, v := range dgs {
		tampered[k] = v
	}
	tampered[11] = append(append([]byte(nil), dgs[11][:len(dgs[11])-1]...), dgs[11][len(dgs[11])-1]^1)
	sodGood := sign(good)
	badSig := append([]byte(nil), sodGood...)
	// Flip a bit inside the security object: the message digest no longer matches.
	j := bytes.Index(badSig, dgs11Hash(t, good, dgs))
	badSig[j] ^= 1
	tests := []struct {
		name   string
		sod    []byte
		dgs    map[int][]byte
		store  *TrustStore
		failed []string
	}{
		{"genuine", sodGood, dgs, writeStore(t, good.CSCA.Raw), nil},
		{"genuine, store with other CSCAs too", sodGood, dgs, writeStore(t, other.CSCA.Raw, good.CSCA.Raw), nil},
		{"tampered DG11", sodGood, tampered, writeStore(t, good.CSCA.Raw), []string{"dg11_hash"}},
		{"expired signer", sign(expired), dgs, writeStore(t, expired.CSCA.Raw), []string{CheckDSValidity}},
		{"unknown CSCA", sodGood, dgs, writeStore(t, other.CSCA.Raw), []string{CheckChain, CheckCSCAValidity}},
		{"signature broken", badSig, dgs, writeStore(t, good.CSCA.Raw), []string{CheckSignature, "dg11_hash"}},
		{"not a SOD", []byte{0x77, 0x02, 0x30, 0x00}, dgs, writeStore(t, good.CSCA.Raw), []string{CheckSOD, CheckSignature, CheckChain, CheckDSValidity, CheckCSCAValidity, "dg1_hash", "dg2_hash", "dg11_hash", "dg12_hash"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checks, ok := PassiveAuth(tc.sod, tc.dgs, tc.store, now)
			var failed []string
			for _, c := range checks {
				if !c.OK {
					failed = append(failed, c.Name)
					if c.Detail == "" {
						t.Errorf("%s failed without a reason", c.Name)
					}
				}
			}
			if ok != (len(tc.failed) == 0) || strings.Join(failed, ",") != strings.Join(tc.failed, ",") {
				t.Fatalf("ok=%v failed=%v, want %v\n%+v", ok, failed, tc.failed, checks)
			}
			if len(checks) != 9 {
				t.Fatalf("%d checks, want 9", len(checks))
			}
		})
	}
	// Doc 9303 Part 12: the DS and its CSCA belong to the issuing state of DG1
	// (MAC, alpha-2 MO). A chain that verifies but names another country fails
	// csca_chain with the reason.
	for _, tc := range []struct {
		name, csca, ds, reason string
	}{
		{"DS and CSCA of China", "CN", "CN", "document signer country CN is not the issuing state MAC (MO)"},
		{"DS of China under Macao's CSCA name", "MO", "CN", "document signer country CN is not the issuing state MAC (MO)"},
		{"Macao DS under a CSCA of China", "CN", "MO", "document signer's issuer country CN is not the issuing state MAC (MO)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := testcard.NewPKIOf(tc.csca, tc.ds, now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			checks, ok := PassiveAuth(sign(p), dgs, writeStore(t, p.CSCA.Raw), now)
			if ok {
				t.Fatal("a signer of another state verified")
			}
			for _, c := range checks {
				if c.OK == (c.Name == CheckChain) {
					t.Errorf("%s ok=%v %s", c.Name, c.OK, c.Detail)
				}
				if c.Name == CheckChain && !strings.Contains(c.Detail, tc.reason) {
					t.Errorf("csca_chain: %q, want %q", c.Detail, tc.reason)
				}
			}
		})
	}
	// Without DG1 the issuing state is unknown; an issuing state without a known
	// alpha-2 code is refused rather than guessed.
	noDG1 := map[int][]byte{2: dgs[2]}
	if checks, _ := PassiveAuth(sodGood, noDG1, writeStore(t, good.CSCA.Raw), now); checks[2].OK || !strings.Contains(checks[2].Detail, "DG1 was not read") {
		t.Errorf("no DG1: %+v", checks[2])
	}
	if got, ok := IssuingStateAlpha2("MAC"); !ok || got != "MO" {
		t.Errorf("MAC -> %q %v", got, ok)
	}
	for in, want := range map[string]string{"CHN": "CN", "PRT": "PT", "HKG": "HK", "D<<": "DE"} {
		if got, ok := IssuingStateAlpha2(in); !ok || got != want {
			t.Errorf("%s -> %q %v, want %s", in, got, ok, want)
		}
	}
	if _, ok := IssuingStateAlpha2("UTO"); ok {
		t.Error("Utopia has an alpha-2 code")
	}
	// No EF.SOD (nil) and an empty one are told apart in sod_parsed; every other
	// step says it was not checked, and why.
	for _, tc := range []struct {
		sod  []byte
		want string
	}{{nil, "EF.SOD not found"}, {[]byte{}, "EF.SOD empty"}} {
		checks, ok := PassiveAuth(tc.sod, dgs, writeStore(t, good.CSCA.Raw), now)
		if ok || len(checks) != 9 || checks[0].Name != CheckSOD || checks[0].OK || checks[0].Detail != tc.want {
			t.Fatalf("sod %v: ok=%v %+v", tc.sod, ok, checks)
		}
		for _, c := range checks[1:] {
			if c.OK || c.Detail != "not checked: "+tc.want {
				t.Errorf("sod %v: %+v", tc.sod, c)
			}
		}
	}
	// A DG the SOD does not list is not verified.
	extra := map[int][]byte{1: dgs[1], 3: {0x63, 0}}
	if _, ok := PassiveAuth(sodGood, extra, writeStore(t, good.CSCA.Raw), now); ok {
		t.Fatal("unlisted DG3 verified")
	}
	if _, err := LoadTrustStore(t.TempDir()); !errors.Is(err, ErrEmptyTrustStore) {
		t.Fatalf("empty store: %v", err)
	}
}

func dgs11Hash(t *testing.T, p *testcard.PKI, dgs map[int][]byte) []byte {
	s, err := ParseSOD(mustSOD(t, p, dgs))
	if err != nil {
		t.Fatal(err)
	}
	return s.Hashes[11]
}

func mustSOD(t *testing.T, p *testcard.PKI, dgs map[int][]byte) []byte {
	b, err := p.SOD(dgs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestATRSupportsExtended(t *testing.T) {
	for _, tc := range []struct {
		atr        string
		sup, known bool
	}{
		// T=0 and T=1 (TD1 80, TD2 01), historical bytes 80 73 94 01 40: card
		// capabilities, third software function table b7 (extended Lc and Le) set.
		{"3B85800180739401" + "40" + "22", true, true},
		{"3B85800180739401" + "00" + "62", false, true},
		// The emulator's ATR: T=1 only (TD1 01), the same historical bytes.
		{"3B850180739401" + "40" + "A2", true, true},
		// TA1 TB1 TC1 present (T0 high nibble 7), no TD1: historical bytes right after.
		{"3B75130000" + "8073C82140", true, true},
		// Category 00: compact-TLV then a 3-byte status indicator outside it.
		{"3B88800180" + "0073C82140" + "009000" + "00", true, true},
		// A status indicator that looks like capabilities is not read as such.
		{"3B868001" + "80" + "0031C0" + "009000" + "00", false, false},
		// Compact-TLV without card capabilities; a truncated ATR.
		{"3B8380018031C073", false, false},
		{"3B8880018073C82140" + "00", false, false},
		{"3B80800101", false, false},
		{"3B", false, false},
	} {
		sup, known := ATRSupportsExtended(hexb(tc.atr))
		if sup != tc.sup || known != tc.known {
			t.Errorf("%s: %v %v", tc.atr, sup, known)
		}
	}
}

func TestParseATRInfo(t *testing.T) {
	for _, tc := range []struct {
		info string
		want ATRInfo
	}{
		{"4703940140", ATRInfo{Extended: true, Known: true}},
		{"4703940100", ATRInfo{Known: true}},
		{"7F6608020204000202080" + "0", ATRInfo{Extended: true, Known: true, MaxCommand: 0x400, MaxResponse: 0x800}},
		{"7F66080202010502020102", ATRInfo{Known: true, MaxCommand: 0x105, MaxResponse: 0x102}},
		{"43019F", ATRInfo{}},
		{"", ATRInfo{}},
		{"47", ATRInfo{}},
	} {
		if got := ParseATRInfo(hexb(tc.info)); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.info, got, tc.want)
		}
	}
}

// editSOD re-encodes a good EF.SOD after edit changed its SignedData; the edits
// below touch unsigned fields or make the checks fail before the signature.
func editSOD(t *testing.T, sod []byte, edit func(sd *signedData)) []byte {
	t.Helper()
	o, err := tlv.ParseOne(sod)
	if err != nil {
		t.Fatal(err)
	}
	var ci contentInfo
	if _, err := asn1.Unmarshal(o.Value, &ci); err != nil {
		t.Fatal(err)
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		t.Fatal(err)
	}
	edit(&sd)
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		t.Fatal(err)
	}
	ci.Content = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}
	der, err := asn1.Marshal(ci)
	if err != nil {
		t.Fatal(err)
	}
	return tlv.Encode(0x77, der)
}

// TestSODVersionsAndAttributes: SignedData v3, SignerInfo v1 (issuerAndSerialNumber)
// or v3 (subjectKeyIdentifier), LDSSecurityObject v0 without LDSVersionInfo or v1
// with it (RFC 5652 §5.1, §5.3; Doc 9303 Part 10 §4.6.2); signed attributes with
// both the content type (equal to eContentType) and the message digest.
func TestSODVersionsAndAttributes(t *testing.T) {
	p, _ := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	good := mustSOD(t, p, testcard.Files(holder(testcard.JPEG(300))))
	if s, err := ParseSOD(good); err != nil || s.VerifySignature() != nil {
		t.Fatalf("good SOD: %v", err)
	}
	dropAttr := func(oid asn1.ObjectIdentifier) func(sd *signedData) {
		return func(sd *signedData) {
			set := append([]byte{0x31}, sd.SignerInfos[0].SignedAttrs.FullBytes[1:]...)
			var attrs []attribute
			if _, err := asn1.UnmarshalWithParams(set, &attrs, "set"); err != nil {
				t.Fatal(err)
			}
			var body []byte
			for _, a := range attrs {
				if !a.Type.Equal(oid) {
					b, _ := asn1.Marshal(a)
					body = append(body, b...)
				}
			}
			sd.SignerInfos[0].SignedAttrs = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: body}
		}
	}
	for _, tc := range []struct {
		name      string
		edit      func(sd *signedData)
		parseErr  string
		verifyErr string
	}{
		{"SignedData version 1", func(sd *signedData) { sd.Version = 1 }, "SignedData version 1", ""},
		{"SignerInfo version 3 with issuerAndSerialNumber", func(sd *signedData) { sd.SignerInfos[0].Version = 3 }, "SignerInfo version 3", ""},
		{"LDSSecurityObject version 1 without LDSVersionInfo", func(sd *signedData) {
			var so ldsSecurityObject
			asn1.Unmarshal(sd.EncapContentInfo.EContent, &so)
			so.Version = 1
			sd.EncapContentInfo.EContent, _ = asn1.Marshal(so)
		}, "LDSSecurityObject version 1 without", ""},
		{"LDSSecurityObject version 0 with LDSVersionInfo", func(sd *signedData) {
			var so ldsSecurityObject
			asn1.Unmarshal(sd.EncapContentInfo.EContent, &so)
			vi, _ := asn1.Marshal(struct{ LDS, Unicode string }{"0108", "040000"})
			so.VersionInfo = asn1.RawValue{FullBytes: vi}
			sd.EncapContentInfo.EContent, _ = asn1.Marshal(so)
		}, "LDSSecurityObject version 0 with", ""},
		{"no content type attribute", dropAttr(oidContentType), "", "no content type"},
		{"no message digest attribute", dropAttr(oidMessageDigest), "", "no message digest"},
		{"no signed attributes", func(sd *signedData) { sd.SignerInfos[0].SignedAttrs = asn1.RawValue{} }, "", "no signed attributes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSOD(editSOD(t, good, tc.edit))
			if tc.parseErr != "" {
				if !errors.Is(err, ErrSOD) || !strings.Contains(err.Error(), tc.parseErr) {
					t.Fatalf("parse: %v, want %q", err, tc.parseErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.VerifySignature(); err == nil || !strings.Contains(err.Error(), tc.verifyErr) {
				t.Fatalf("verify: %v, want %q", err, tc.verifyErr)
			}
		})
	}
}

// TestSODSeveralSignerInfos: with more than one SignerInfo the reader uses the one
// whose signer identifier names a certificate in EF.SOD.
func TestSODSeveralSignerInfos(t *testing.T) {
	p, _ := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	good := mustSOD(t, p, testcard.Files(holder(testcard.JPEG(300))))
	stranger := func(si signerInfo) signerInfo {
		var ias issuerAndSerial
		if _, err := asn1.Unmarshal(si.SID.FullBytes, &ias); err != nil {
			t.Fatal(err)
		}
		ias.Serial = big.NewInt(999) // a signer whose certificate is not included
		sid, _ := asn1.Marshal(ias)
		si.SID = asn1.RawValue{FullBytes: sid}
		si.Signature = []byte{0x30, 0x00}
		return si
	}
	for _, tc := range []struct {
		name string
		edit func(sd *signedData)
		ok   bool
	}{
		{"stranger first", func(sd *signedData) {
			sd.SignerInfos = []signerInfo{stranger(sd.SignerInfos[0]), sd.SignerInfos[0]}
		}, true},
		{"stranger last", func(sd *signedData) {
			sd.SignerInfos = append(sd.SignerInfos, stranger(sd.SignerInfos[0]))
		}, true},
		{"strangers only", func(sd *signedData) {
			sd.SignerInfos = []signerInfo{stranger(sd.SignerInfos[0]), stranger(sd.SignerInfos[0])}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSOD(editSOD(t, good, tc.edit))
			if !tc.ok {
				if !errors.Is(err, ErrSOD) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.VerifySignature(); err != nil {
				t.Fatal(err)
			}
			if s.Signer.SerialNumber.Cmp(p.DS.SerialNumber) != 0 {
				t.Fatalf("signer %v", s.Signer.SerialNumber)
			}
		})
	}
}

// TestParseDG12Observations decodes DG12 byte by byte as the BIR profile writes it
// (docs/card-profile.md): 5F1B, endorsements and observations, is where the card
// states the residency; DG12 without it (older cards, other documents) still parses.
func TestParseDG12Observations(t *testing.T) {
	for _, tc := range []struct {
		name, hex string
		want      DocumentDetails
		wantErr   bool
	}{
		{"non-permanent BIR",
			"6C275C065F195F265F1B5F1909445349204D414341555F260832303234303630335F1B054249524E50",
			DocumentDetails{IssuingAuthority: "DSI MACAU", IssueDate: "20240603", Observations: "BIRNP"}, false},
		{"no 5F1B",
			"6C1D5C045F195F265F1909445349204D414341555F26083230323430363033",
			DocumentDetails{IssuingAuthority: "DSI MACAU", IssueDate: "20240603"}, false},
		{"5F1B not UTF-8", "6C055F1B02C328", DocumentDetails{}, true},
		{"5F1B longer than DG12", "6C055F1B0542", DocumentDetails{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDG12(hexb(tc.hex))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("accepted: %+v", d)
				}
				return
			}
			if err != nil || *d != tc.want {
				t.Fatalf("DG12 = %+v, %v; want %+v", d, err, tc.want)
			}
		})
	}
}
