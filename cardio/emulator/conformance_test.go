package emulator

import (
	"bytes"
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/lds"
)

// foreignReader protects commands the way Doc 9303 Part 11 §9.8 writes them, built
// here by hand from the primitives (Pad, RetailMAC, CMAC) and not with cardio/icao's
// WrapCommand, as another implementation would send them: the card must take them.
type foreignReader struct {
	t    *testing.T
	card *Card
	alg  icao.KeyAlg
	key  []byte // KSenc = KSmac
	ssc  []byte
}

// newForeignReader gives the card (its application already selected in plain) a
// secure messaging session with known keys, as BAC or PACE would have left it.
func newForeignReader(t *testing.T, card *Card, alg icao.KeyAlg) *foreignReader {
	t.Helper()
	f := &foreignReader{t: t, card: card, alg: alg, key: bytes.Repeat([]byte{0x5A}, 16), ssc: make([]byte, 8)}
	if alg != icao.TDES {
		f.ssc = make([]byte, 16)
	}
	s, err := icao.NewSession(alg, f.key, f.key, f.ssc)
	if err != nil {
		t.Fatal(err)
	}
	card.mu.Lock()
	card.sm = s
	card.mu.Unlock()
	return f
}

func (f *foreignReader) name() string {
	if f.alg == icao.TDES {
		return "3DES"
	}
	return "AES"
}

func (f *foreignReader) blockSize() int {
	if f.alg == icao.TDES {
		return 8
	}
	return 16
}

func (f *foreignReader) incSSC() {
	for i := len(f.ssc) - 1; i >= 0; i-- {
		if f.ssc[i]++; f.ssc[i] != 0 {
			return
		}
	}
}

func (f *foreignReader) mac(n []byte) []byte {
	f.t.Helper()
	if f.alg == icao.TDES {
		m, err := icao.RetailMAC(f.key, n)
		if err != nil {
			f.t.Fatal(err)
		}
		return m
	}
	m, err := icao.CMAC(f.key, n)
	if err != nil {
		f.t.Fatal(err)
	}
	return m[:8]
}

// send protects a command without data: header, DO97 when le is not nil (1 byte:
// 00 means 256), DO8E, outer Le 00. It returns the response unwrapped and the
// size of the protected response data field.
func (f *foreignReader) send(ins, p1, p2 byte, le []byte) (apdu.Response, int) {
	f.t.Helper()
	f.incSSC()
	bs := f.blockSize()
	var do97 []byte
	if le != nil {
		do97 = append([]byte{0x97, byte(len(le))}, le...)
	}
	// N = pad(SSC || pad(header) || DO97).
	n := append(append([]byte(nil), f.ssc...), icao.Pad([]byte{0x0C, ins, p1, p2}, bs)...)
	n = icao.Pad(append(n, do97...), bs)
	body := append(append([]byte(nil), do97...), 0x8E, 0x08)
	body = append(body, f.mac(n)...)
	raw := append([]byte{0x0C, ins, p1, p2, byte(len(body))}, body...)
	raw = append(raw, 0x00)
	out, err := f.card.Process(raw)
	if err != nil || len(out) < 2 {
		f.t.Fatalf("% X: % X, %v", raw, out, err)
	}
	resp := apdu.Response{Data: out[:len(out)-2], SW: uint16(out[len(out)-2])<<8 | uint16(out[len(out)-1])}
	if len(resp.Data) == 0 {
		return resp, 0 // a plain error status: the card ended the session
	}
	// The response's SSC is the command's plus one: a terminal session started at
	// the command's SSC increments it once in UnwrapResponse.
	term, err := icao.NewSession(f.alg, f.key, f.key, f.ssc)
	if err != nil {
		f.t.Fatal(err)
	}
	f.incSSC()
	plain, err := term.UnwrapResponse(ins, resp)
	if err != nil {
		f.t.Fatalf("%X: unwrap: %v", raw, err)
	}
	return plain, len(resp.Data)
}

// checkShortLe reads every byte of file fid (in the selected application) with
// short READ BINARY commands whose DO97 is 00 (Le 256) and outer Le 00, and fails
// when a protected answer is longer than the 256 bytes a short Le allows.
func checkShortLe(t *testing.T, f *foreignReader, fid uint16, sfi byte, want []byte) {
	t.Helper()
	var got []byte
	for off := 0; off < len(want) && off <= 0x7FFF; {
		p1, p2 := byte(off>>8), byte(off)
		if off == 0 {
			p1, p2 = 0x80|sfi, 0 // by short EF identifier: selects the file
		}
		resp, size := f.send(apdu.InsReadBinary, p1, p2, []byte{0x00})
		if size > apdu.MaxShortNe {
			t.Fatalf("%s, file %04X at %d: protected answer of %d bytes to Le 256", f.name(), fid, off, size)
		}
		if resp.SW != 0x9000 && resp.SW != 0x6282 || len(resp.Data) == 0 {
			t.Fatalf("%s, file %04X at %d: %04X with %d bytes", f.name(), fid, off, resp.SW, len(resp.Data))
		}
		got = append(got, resp.Data...)
		off += len(resp.Data)
	}
	if n := min(len(want), 0x8000); !bytes.Equal(got[:min(len(got), n)], want[:n]) {
		t.Fatalf("%s, file %04X: read data differs", f.name(), fid)
	}
}

// TestShortLeUnderSM: a READ BINARY with Le 256 (DO97 00, outer Le 00) gets a
// protected answer of at most 256 bytes with AES as with 3DES: the card limits the
// plain data with the session's own cipher block (16 for AES, 8 for 3DES).
func TestShortLeUnderSM(t *testing.T) {
	for _, alg := range []icao.KeyAlg{icao.TDES, icao.AES128} {
		card, _, l := newProfileCard(t, "pace.yaml")
		r := &reader{t: t, card: card}
		if resp := selectLDS(r); !resp.OK() {
			t.Fatalf("select: %04X", resp.SW)
		}
		f := newForeignReader(t, card, alg)
		checkShortLe(t, f, FIDDG2, 2, l.DG[2])
	}
}

// TestEveryProfileConforms checks, for every profile shipped (profiles/ and
// testdata/), the three rules a strict independent reader enforces:
//   - the document signer and its CSCA carry the issuing state of DG1 (MAC: MO) as
//     country (Doc 9303 Part 12), and passive authentication's chain step passes;
//   - with 3DES and AES secure messaging, no protected answer to a short READ
//     BINARY with Le 256 is longer than 256 bytes, over every byte of every file;
//   - a protected command with neither DO87 nor DO97, its MAC over
//     pad(SSC || pad(header)) (Part 11 §9.8.4), is accepted.
func TestEveryProfileConforms(t *testing.T) {
	var files []string
	for _, dir := range []string{"profiles", "testdata"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 12 {
		t.Fatalf("only %d profiles found", len(files))
	}
	pki := testPKI(t)
	trust := &lds.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			p, err := LoadProfile(file)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			card, err := NewCardFromProfile(p, pki, now)
			if err != nil {
				t.Fatal(err)
			}
			card.PowerOn()

			// Signer country = issuing state.
			mrz, err := lds.ParseDG1(card.files[FIDDG1].data)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := lds.IssuingStateAlpha2(mrz.IssuingState)
			if !ok {
				t.Fatalf("issuing state %q has no alpha-2 code", mrz.IssuingState)
			}
			signer := pki.Valid.Cert
			if p.Faults.Signer == SignerExpired {
				signer = pki.Expired.Cert
			}
			if f := card.files[FIDSOD]; f != nil && len(f.data) > 0 {
				sod, err := lds.ParseSOD(f.data)
				if err != nil {
					t.Fatal(err)
				}
				signer = sod.Signer
				dgs := map[int][]byte{}
				for n, fid := range dgFID {
					dgs[n] = card.files[fid].data
				}
				checks, _ := lds.PassiveAuth(f.data, dgs, trust, now)
				for _, c := range checks {
					if c.Name == lds.CheckChain && !c.OK {
						t.Errorf("csca_chain: %s", c.Detail)
					}
				}
			}
			for what, c := range map[string][]string{
				"document signer": signer.Subject.Country, "its issuer": signer.Issuer.Country, "CSCA": pki.CSCA.Subject.Country,
			} {
				if len(c) != 1 || c[0] != want {
					t.Errorf("%s country %v, issuing state %s (%s)", what, c, mrz.IssuingState, want)
				}
			}

			for _, alg := range []icao.KeyAlg{icao.TDES, icao.AES128} {
				card.PowerOn()
				r := &reader{t: t, card: card}
				if resp := selectLDS(r); !resp.OK() {
					t.Fatalf("select: %04X", resp.SW)
				}
				f := newForeignReader(t, card, alg)
				// Response length within Le, every file, every offset.
				for fid, sfi := range map[uint16]byte{FIDCOM: 0x1E, FIDDG1: 1, FIDDG2: 2, FIDDG11: 11, FIDDG12: 12, FIDSOD: 0x1D} {
					if ef := card.files[fid]; ef != nil && len(ef.data) > 0 {
						checkShortLe(t, f, fid, sfi, ef.data)
					}
				}
				// The padded header in the MAC: SELECT MF, 0C A4 00 0C, no DO87/DO97.
				if resp, _ := f.send(apdu.InsSelect, 0x00, 0x0C, nil); resp.SW != 0x9000 {
					t.Errorf("%s: protected SELECT MF without DO87/DO97: %04X", f.name(), resp.SW)
				}
			}
		})
	}
}
