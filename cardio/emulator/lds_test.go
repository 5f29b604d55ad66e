package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/macau-dsi/kiosk/cardio/emulator/profiles"
	"github.com/macau-dsi/kiosk/cardio/testpki"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

func TestCheckDigitICAOExample(t *testing.T) {
	// Doc 9303 Part 5 TD1 specimen: I<UTOD231458907... / 7408122F1204159UTO...6
	for s, want := range map[string]byte{
		"D23145890": '7',
		"740812":    '2',
		"120415":    '9',
		"D231458907<<<<<<<<<<<<<<<74081221204159<<<<<<<<<<<": '6',
		"L898902C<": '3',
	} {
		if got := CheckDigit(s); got != want {
			t.Errorf("CheckDigit(%q) = %c, want %c", s, got, want)
		}
	}
}

func loadTestProfile(t testing.TB, name string) *Profile {
	t.Helper()
	p, err := LoadProfile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTD1(t *testing.T) {
	p := loadTestProfile(t, "adult.yaml")
	mrz, err := TD1(p)
	if err != nil {
		t.Fatal(err)
	}
	// Check digits worked by hand: 12345678< → 8, 850314 → 9, 340603 → 8.
	want := "IDMAC12345678<8<<<<<<<<<<<<<<<" +
		"8503149M3406038CHN<<<<<<<<<<<" + "?" +
		"CHAN<<TAI<MAN<<<<<<<<<<<<<<<<<"
	if len(mrz) != 90 {
		t.Fatalf("MRZ length %d", len(mrz))
	}
	l1, l2, l3 := mrz[:30], mrz[30:60], mrz[60:]
	if l1 != want[:30] {
		t.Errorf("line 1 = %q, want %q", l1, want[:30])
	}
	if l2[:29] != want[30:59] {
		t.Errorf("line 2 = %q, want %q", l2[:29], want[30:59])
	}
	if got := CheckDigit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]); l2[29] != got {
		t.Errorf("composite check digit %c, want %c", l2[29], got)
	}
	if l3 != want[60:] {
		t.Errorf("line 3 = %q, want %q", l3, want[60:])
	}
}

func TestLoadShippedProfiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	if len(files) < 7 {
		t.Fatalf("only %d profiles in testdata", len(files))
	}
	var loaded []*Profile
	for _, f := range files {
		p, err := LoadProfile(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		loaded = append(loaded, p)
	}
	demo, err := LoadProfileFS(profiles.FS, profiles.Demo)
	if err != nil {
		t.Fatalf("embedded demo profile: %v", err)
	}
	// Every shipped resident card states its residency: one left out would make every
	// kiosk service refuse that card, which no shipped profile is meant to show.
	for _, p := range append(loaded, demo) {
		if p.Residency == "" {
			t.Errorf("%s: no residency", p.name)
		}
	}
	if demo.Residency != ResidencyPermanent {
		t.Errorf("demo card: residency %q, want permanent (the demo offers the passport)", demo.Residency)
	}
	// The demo's staff card: a staff id and no residency (5F1B holds one or the other).
	staff, err := LoadProfileFS(profiles.FS, profiles.Staff)
	if err != nil {
		t.Fatalf("embedded staff profile: %v", err)
	}
	if staff.StaffID != "S7001" || staff.Residency != "" || staff.PIN == demo.PIN {
		t.Errorf("staff card: staff id %q, residency %q, PIN the demo's: %v", staff.StaffID, staff.Residency, staff.PIN == demo.PIN)
	}
	for _, p := range append(loaded, demo) {
		if p.StaffID != "" {
			t.Errorf("%s: a resident card with staff_id", p.name)
		}
	}
}

func TestProfileValidation(t *testing.T) {
	base, err := os.ReadFile("testdata/adult.yaml")
	if err != nil {
		t.Fatal(err)
	}
	photo, _ := os.ReadFile("testdata/photos/salley.jpg")
	for _, tc := range []struct{ name, from, to string }{
		{"doc number with lower case", `"12345678"`, `"1234a678"`},
		{"doc number too long", `"12345678"`, `"1234567890"`},
		{"bad sex", "sex: M", "sex: Q"},
		{"bad date", "1985-03-14", "1985-13-14"},
		{"expiry before issue", "2034-06-03", "2020-06-03"},
		{"bad nationality", "CHN", "Chn"},
		{"short pin", `"123456"`, `"12345"`},
		{"tries out of range", "access:", "pin_tries_left: 4\naccess:"},
		{"unknown key", "access:", "acess: x\naccess:"},
		{"no bac", "bac: true", "bac: false"},
		{"bad tamper", "access:", "faults:\n  tamper_dg: 3\naccess:"},
		{"bad signer", "access:", "faults:\n  signer: other\naccess:"},
		{"bad residency", "residency: permanent", "residency: BIRP"},
		{"residency in another case", "residency: permanent", "residency: Permanent"},
		{"bad forged residency", "access:", "faults:\n  forged_residency: yes\naccess:"},
		{"forged residency unchanged", "access:", "faults:\n  forged_residency: permanent\naccess:"},
		{"forged residency and tampered DG12", "access:", "faults:\n  forged_residency: non-permanent\n  tamper_dg: 12\naccess:"},
		{"staff id too short", "residency: permanent", "staff_id: S"},
		{"staff id with a space", "residency: permanent", "staff_id: S 7001"},
		{"staff id with a colon", "residency: permanent", "staff_id: \"S:7001\""},
		{"staff card with a residency", "residency: permanent", "residency: permanent\nstaff_id: S7001"},
		{"bad forged staff id", "access:", "faults:\n  forged_staff_id: \"S 1\"\naccess:"},
		{"forged staff id unchanged", "residency: permanent", "staff_id: S7001\nfaults:\n  forged_staff_id: S7001"},
		{"forged staff id and residency", "access:", "faults:\n  forged_staff_id: S7001\n  forged_residency: non-permanent\naccess:"},
		{"mrz surname with accents", "surname: CHAN", "surname: CHÂN"},
		{"photo missing", "photos/salley.jpg", "photos/none.jpg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := strings.Replace(string(base), tc.from, tc.to, 1)
			if y == string(base) {
				t.Fatalf("replacement %q not in the profile", tc.from)
			}
			fsys := fstest.MapFS{"p.yaml": {Data: []byte(y)}, "photos/salley.jpg": {Data: photo}}
			_, err := LoadProfileFS(fsys, "p.yaml")
			if !errors.Is(err, ErrBadProfile) {
				t.Errorf("err = %v, want ErrBadProfile", err)
			}
		})
	}
	fsys := fstest.MapFS{"p.yaml": {Data: base}, "photos/salley.jpg": {Data: []byte("GIF89a not a face")}}
	if _, err := LoadProfileFS(fsys, "p.yaml"); !errors.Is(err, ErrBadProfile) {
		t.Errorf("GIF photo: err = %v, want ErrBadProfile", err)
	}
}

func TestFacialRecordGenderX(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	pki, err := testpki.Generate(now)
	if err != nil {
		t.Fatal(err)
	}
	for sex, want := range map[string]byte{"M": 0x01, "F": 0x02, "X": 0xFF} {
		p := loadTestProfile(t, "adult.yaml")
		p.Sex = sex
		l, err := BuildLDS(p, pki.Valid.Key, pki.Valid.Cert, now)
		if err != nil {
			t.Fatal(err)
		}
		dg2, _ := tlv.ParseOne(l.DG[2])
		rec, err := dg2.Path(0x7F61, 0x7F60, 0x5F2E)
		if err != nil {
			t.Fatal(err)
		}
		if g := rec.Value[14+6]; g != want {
			t.Errorf("sex %s: gender %02X, want %02X", sex, g, want)
		}
	}
}

func TestBuildLDS(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	pki, err := testpki.Generate(now)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"adult.yaml", "portuguese-jp2.yaml", "tampered-dg.yaml", "blocked-pin.yaml"} {
		t.Run(name, func(t *testing.T) {
			p := loadTestProfile(t, name)
			l, err := BuildLDS(p, pki.Valid.Key, pki.Valid.Cert, now)
			if err != nil {
				t.Fatal(err)
			}
			// Every file is one well-formed TLV with its template tag.
			for tag, f := range map[tlv.Tag][]byte{0x60: l.COM, 0x77: l.SOD, 0x61: l.DG[1], 0x75: l.DG[2], 0x6B: l.DG[11], 0x6C: l.DG[12], 0x70: l.CardInfo} {
				o, err := tlv.ParseOne(f)
				if err != nil || o.Tag != tag {
					t.Errorf("file %s: tag %s, %v", tag, o.Tag, err)
				}
			}
			dg11, _ := tlv.ParseOne(l.DG[11])
			if o, err := dg11.Find(0x5F0E); err != nil || string(o.Value) != p.Names.Portuguese {
				t.Errorf("DG11 5F0E = %q, %v", o.Value, err)
			}
			if o, err := dg11.Path(0xA0, 0x5F0F); err != nil || string(o.Value) != p.Names.Chinese {
				t.Errorf("DG11 A0/5F0F = %q, %v", o.Value, err)
			}
			// DG12 states the residency in 5F1B, listed in its tag list.
			dg12, _ := tlv.ParseOne(l.DG[12])
			if o, err := dg12.Find(0x5F1B); err != nil || string(o.Value) != map[string]string{"permanent": "BIRP", "non-permanent": "BIRNP"}[p.Residency] {
				t.Errorf("DG12 5F1B = %q, %v for residency %q", o.Value, err, p.Residency)
			}
			if o, err := dg12.Find(0x5C); err != nil || !bytes.Equal(o.Value, []byte{0x5F, 0x19, 0x5F, 0x26, 0x5F, 0x1B}) {
				t.Errorf("DG12 tag list % X, %v", o.Value, err)
			}
			dg2, _ := tlv.ParseOne(l.DG[2])
			rec, err := dg2.Path(0x7F61, 0x7F60, 0x5F2E)
			if err != nil {
				t.Fatalf("DG2 5F2E: %v", err)
			}
			// Gender (first byte after the facial block's length and feature point
			// count): 01 male, 02 female, FF unknown for X (19794-5:2005 §5.5.3).
			if g, want := rec.Value[14+6], map[string]byte{"M": 0x01, "F": 0x02}[p.Sex]; g != want {
				t.Errorf("gender %02X for sex %s, want %02X", g, p.Sex, want)
			}
			img, format := p.PhotoData()
			if !bytes.HasPrefix(rec.Value, []byte("FAC\x00010\x00")) || !bytes.HasSuffix(rec.Value, img) || len(rec.Value) != 46+len(img) {
				t.Errorf("DG2 facial record malformed (%d bytes for a %d byte %s image)", len(rec.Value), len(img), format)
			}

			// EF.SOD is CMS an independent parser accepts, signed by the document signer.
			sod, _ := tlv.ParseOne(l.SOD)
			p7, err := pkcs7.Parse(sod.Value)
			if err != nil {
				t.Fatalf("pkcs7.Parse: %v", err)
			}
			if err := p7.Verify(); err != nil {
				t.Errorf("signature: %v", err)
			}
			if len(p7.Certificates) != 1 || !p7.Certificates[0].Equal(pki.Valid.Cert) {
				t.Error("EF.SOD does not carry the document signer certificate")
			}
			var so ldsSecurityObject
			if _, err := asn1.Unmarshal(p7.Content, &so); err != nil {
				t.Fatalf("LDSSecurityObject: %v", err)
			}
			tampered := 0
			for _, h := range so.Hashes {
				sum := sha256.Sum256(l.DG[h.Number])
				if !bytes.Equal(sum[:], h.Hash) {
					tampered = h.Number
				}
			}
			if tampered != p.Faults.TamperDG {
				t.Errorf("hash mismatch on DG%d, want on DG%d", tampered, p.Faults.TamperDG)
			}
		})
	}
}

// TestBuildLDSForgedResidency: a card altered after signing to claim another
// residency states the forged one in DG12, and only DG12's hash gives it away.
func TestBuildLDSForgedResidency(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	pki, err := testpki.Generate(now)
	if err != nil {
		t.Fatal(err)
	}
	p := loadTestProfile(t, "blocked-pin.yaml")
	genuine, err := BuildLDS(p, pki.Valid.Key, pki.Valid.Cert, now)
	if err != nil {
		t.Fatal(err)
	}
	p.Faults.ForgedResidency = ResidencyPermanent
	if err := p.validate(); err != nil {
		t.Fatal(err)
	}
	forged, err := BuildLDS(p, pki.Valid.Key, pki.Valid.Cert, now)
	if err != nil {
		t.Fatal(err)
	}
	dg12, _ := tlv.ParseOne(forged.DG[12])
	if o, err := dg12.Find(0x5F1B); err != nil || string(o.Value) != "BIRP" {
		t.Fatalf("forged DG12 5F1B = %q, %v", o.Value, err)
	}
	sod, _ := tlv.ParseOne(forged.SOD)
	p7, err := pkcs7.Parse(sod.Value)
	if err != nil {
		t.Fatal(err)
	}
	var so ldsSecurityObject
	if _, err := asn1.Unmarshal(p7.Content, &so); err != nil {
		t.Fatal(err)
	}
	for _, h := range so.Hashes {
		sum := sha256.Sum256(forged.DG[h.Number])
		if bytes.Equal(sum[:], h.Hash) == (h.Number == 12) {
			t.Errorf("DG%d hash matches = %v", h.Number, h.Number != 12)
		}
		if want := sha256.Sum256(genuine.DG[h.Number]); !bytes.Equal(want[:], h.Hash) {
			t.Errorf("DG%d: EF.SOD does not hash the genuine card's data group", h.Number)
		}
	}
}

// TestBuildLDSStaff: a staff profile writes "DSI-STAFF:<id>" in DG12's 5F1B (and no
// residency), listed in DG12's tag list and hashed in EF.SOD; forged_staff_id rewrites
// it after signing so that only DG12's hash no longer matches.
func TestBuildLDSStaff(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	pki, err := testpki.Generate(now)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadProfileFS(profiles.FS, profiles.Staff)
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := BuildLDS(p, pki.Valid.Key, pki.Valid.Cert, now)
	if err != nil {
		t.Fatal(err)
	}
	wantDG12 := tlv.Constructed(0x6C,
		tlv.Encode(0x5C, []byte{0x5F, 0x19, 0x5F, 0x26, 0x5F, 0x1B}),
		tlv.Encode(0x5F19, []byte("DSI MACAU")),
		tlv.Encode(0x5F26, []byte("20250115")),
		tlv.Encode(0x5F1B, []byte("DSI-STAFF:S7001")))
	if !bytes.Equal(genuine.DG[12], wantDG12) {
		t.Fatalf("staff DG12 = % X\nwant % X", genuine.DG[12], wantDG12)
	}
	p.Faults.ForgedStaffID = "S0001"
	if err := p.validate(); err != nil {
		t.Fatal(err)
	}
	forged, err := BuildLDS(p, pki.Valid.Key, pki.Valid.Cert, now)
	if err != nil {
		t.Fatal(err)
	}
	dg12, _ := tlv.ParseOne(forged.DG[12])
	if o, err := dg12.Find(0x5F1B); err != nil || string(o.Value) != "DSI-STAFF:S0001" {
		t.Fatalf("forged DG12 5F1B = %q, %v", o.Value, err)
	}
	sod, _ := tlv.ParseOne(forged.SOD)
	p7, err := pkcs7.Parse(sod.Value)
	if err != nil {
		t.Fatal(err)
	}
	var so ldsSecurityObject
	if _, err := asn1.Unmarshal(p7.Content, &so); err != nil {
		t.Fatal(err)
	}
	for _, h := range so.Hashes {
		sum := sha256.Sum256(forged.DG[h.Number])
		if bytes.Equal(sum[:], h.Hash) == (h.Number == 12) {
			t.Errorf("DG%d hash matches = %v", h.Number, h.Number != 12)
		}
		if want := sha256.Sum256(genuine.DG[h.Number]); !bytes.Equal(want[:], h.Hash) {
			t.Errorf("DG%d: EF.SOD does not hash the genuine card's data group", h.Number)
		}
	}
}
