package icao

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/internal/ecgeneric"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

func hs(s string) []byte { return hx(strings.Join(strings.Fields(s), "")) }

// Doc 9303 Part 11 Appendix G.1, PACE with the generic mapping on brainpoolP256r1,
// id-PACE-ECDH-GM-AES-CBC-CMAC-128, password the MRZ of T22000129 / 640812 / 101031.
// (The values were checked against two independent public implementations' tests
// of the same appendix.)
var g1 = struct {
	key                            BACKey
	kpi, s, tMapSK, cMapSK         []byte
	tEphSK, cEphSK                 []byte
	h, gMapped, k, ksEnc, ksMac    []byte
	mse, ga1, ga2, ga3, ga4        []byte
	rga1, rga2, rga3, rga4         []byte
	tokenPCD, tokenIC, cardAccess  []byte
	ga1Cmd, ga2Cmd, ga3Cmd, ga4Cmd []byte
}{
	key:    BACKey{DocumentNumber: "T22000129", BirthDate: "640812", ExpiryDate: "101031"},
	kpi:    hs("89DED1B2 6624EC1E 634C1989 302849DD"),
	s:      hs("3F00C4D3 9D153F2B 2A214A07 8D899B22"),
	tMapSK: hs("7F4EF07B 9EA82FD7 8AD689B3 8D0BC78C F21F249D 953BC46F 4C6E1925 9C010F99"),
	cMapSK: hs("498FF497 56F2DC15 87840041 839A8598 2BE7761D 14715FB0 91EFA7BC E9058560"),
	tEphSK: hs("A73FB703 AC1436A1 8E0CFA5A BB3F7BEC 7A070E7A 6788486B EE230C4A 22762595"),
	cEphSK: hs("107CF586 96EF6155 053340FD 633392BA 81909DF7 B9706F22 6F32086C 7AFF974A"),
	h: hs(`04 60332EF2 450B5D24 7EF6D386 8397D398 852ED6E8 CAF6FFEE F6BF85CA 57057FD5
		0840CA74 15BAF3E4 3BD414D3 5AA4608B 93A2CAF3 A4E3EA4E 82C9C13D 03EB7181`),
	gMapped: hs(`04 8CED63C9 1426D4F0 EB1435E7 CB1D74A4 6723A0AF 21C89634 F65A9AE8 7A9265E2
		8C879506 743F8611 AC33645C 5B985C80 B5F09A0B 83407C1B 6A4D857A E76FE522`),
	k:     hs("28768D20 701247DA E81804C9 E780EDE5 82A9996D B4A31502 0B273319 7DB84925"),
	ksEnc: hs("F5F0E35C 0D7161EE 6724EE51 3A0D9A7F"),
	ksMac: hs("FE251C78 58B356B2 4514B3BD 5F4297D1"),
	// Command APDUs: MSE:Set AT (80 OID, 83 01 = MRZ) and General Authenticate ×4
	// (CLA 10 = chaining on the first three).
	mse: hs("00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 01"),
	ga1: hs("10 86 00 00 02 7C 00 00"),
	ga2: hs(`10 86 00 00 45 7C 43 81 41 04 7A CF 3E FC 98 2E C4 55 65 A4 B1 55 12 9E FB C7
		46 50 DC BF A6 36 2D 89 6F C7 02 62 E0 C2 CC 5E 54 45 52 DC B6 72 52 18 79 91 15 B5
		5C 9B AA 6D 9F 6B C3 A9 61 8E 70 C2 5A F7 17 77 A9 C4 92 2D 00`),
	ga3: hs(`10 86 00 00 45 7C 43 83 41 04 2D B7 A6 4C 03 55 04 4E C9 DF 19 05 14 C6 25 CB
		A2 CE A4 87 54 88 71 22 F3 A5 EF 0D 5E DD 30 1C 35 56 F3 B3 B1 86 DF 10 B8 57 B5 8F
		6A 7E B8 0F 20 BA 5D C7 BE 1D 43 D9 BF 85 01 49 FB B3 64 62 00`),
	ga4:  hs("00 86 00 00 0C 7C 0A 85 08 C2 B0 BD 78 D9 4B A8 66 00"),
	rga1: hs("7C 12 80 10 95 A3 A0 16 52 2E E9 8D 01 E7 6C B6 B9 8B 42 C3"),
	rga2: hs(`7C 43 82 41 04 82 4F BA 91 C9 CB E2 6B EF 53 A0 EB E7 34 2A 3B F1 78 CE A9 F4
		5D E0 B7 0A A6 01 65 1F BA 3F 57 30 D8 C8 79 AA A9 C9 F7 39 91 E6 1B 58 F4 D5 2E B8
		7A 0A 0C 70 9A 49 DC 63 71 93 63 CC D1 3C 54`),
	rga3: hs(`7C 43 84 41 04 9E 88 0F 84 29 05 B8 B3 18 1F 7A F7 CA A9 F0 EF B7 43 84 7F 44
		A3 06 D2 D2 8C 1D 9E C6 5D F6 DB 77 64 B2 22 77 A2 ED DC 3C 26 5A 9F 01 8F 9C B8 52
		E1 11 B7 68 B3 26 90 4B 59 A0 19 37 76 F0 94`),
	rga4:     hs("7C 0A 86 08 3A BB 96 74 BC E9 3C 08"),
	tokenPCD: hs("C2B0BD78 D94BA866"),
	tokenIC:  hs("3ABB9674 BCE93C08"),
}

func brainpoolParams() PACEParams {
	return PACEParams{Protocol: OIDPACEECDHGMAES128, Curve: ecgeneric.BrainpoolP256r1}
}

// chipCard answers MSE:Set AT and General Authenticate with a PACEChip, the way the
// emulator does, and keeps the transcript.
type chipCard struct {
	p     PACEParams
	pw    PACEPassword
	rand  []byte
	chip  *PACEChip
	sess  *Session
	cmds  [][]byte
	resps [][]byte
}

func (c *chipCard) Transmit(_ context.Context, raw []byte) ([]byte, error) {
	c.cmds = append(c.cmds, append([]byte(nil), raw...))
	cmd, err := apdu.ParseCommand(raw)
	if err != nil {
		return nil, err
	}
	var data []byte
	switch {
	case cmd.INS == apdu.InsMSESetAT:
		c.chip = NewPACEChip(c.p, c.pw, bytes.NewReader(c.rand))
	case cmd.INS == apdu.InsGeneralAuthenticate && c.chip != nil:
		switch c.chip.Step() {
		case 0:
			data, err = c.chip.EncryptedNonce(cmd.Data)
		case 1:
			data, err = c.chip.Map(cmd.Data)
		case 2:
			data, err = c.chip.Agree(cmd.Data)
		case 3:
			data, c.sess, err = c.chip.Authenticate(cmd.Data)
		}
		if errors.Is(err, ErrPACEFailed) {
			return []byte{0x63, 0x00}, nil
		}
		if err != nil {
			return []byte{0x6A, 0x80}, nil
		}
	default:
		return []byte{0x6D, 0x00}, nil
	}
	c.resps = append(c.resps, data)
	return append(data, 0x90, 0x00), nil
}

func TestPACEWorkedExampleG1(t *testing.T) {
	pw, err := PasswordMRZ(g1.key)
	if err != nil {
		t.Fatal(err)
	}
	if got := pw.Key(); !bytes.Equal(got, g1.kpi) {
		t.Fatalf("K_pi = %X", got)
	}
	p := brainpoolParams()
	card := &chipCard{p: p, pw: pw, rand: bytes.Join([][]byte{g1.s, g1.cMapSK, g1.cEphSK}, nil)}
	term := bytes.NewReader(append(append([]byte(nil), g1.tMapSK...), g1.tEphSK...))
	sess, err := PACE(context.Background(), card, p, pw, term)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]byte{g1.mse, g1.ga1, g1.ga2, g1.ga3, g1.ga4} {
		if i >= len(card.cmds) || !bytes.Equal(card.cmds[i], want) {
			t.Errorf("command %d\n got %X\nwant %X", i, card.cmds[min(i, len(card.cmds)-1)], want)
		}
	}
	for i, want := range [][]byte{nil, g1.rga1, g1.rga2, g1.rga3, g1.rga4} {
		if i >= len(card.resps) || !bytes.Equal(card.resps[i], want) {
			t.Errorf("response %d\n got %X\nwant %X", i, card.resps[min(i, len(card.resps)-1)], want)
		}
	}
	// The intermediate values, on the chip's side.
	c := card.chip
	if !bytes.Equal(c.s, g1.s) {
		t.Errorf("s = %X", c.s)
	}
	if got := p.encode(c.g); !bytes.Equal(got, g1.gMapped) {
		t.Errorf("G' = %X", got)
	}
	tpk, err := p.decode(g1.ga2[9:74])
	if err != nil {
		t.Fatal(err)
	}
	h, _ := p.mult(tpk, c.mapSK)
	if got := p.encode(h); !bytes.Equal(got, g1.h) {
		t.Errorf("H = %X", got)
	}
	if !bytes.Equal(c.ksEnc, g1.ksEnc) || !bytes.Equal(c.ksMac, g1.ksMac) {
		t.Errorf("KS_enc %X KS_mac %X", c.ksEnc, c.ksMac)
	}
	pcd, _ := p.decode(c.pcdPK)
	shared, _ := p.mult(pcd, c.ephSK)
	if got := shared.x.FillBytes(make([]byte, 32)); !bytes.Equal(got, g1.k) {
		t.Errorf("K = %X", got)
	}
	if tok, _ := p.token(g1.ksMac, c.ephPK); !bytes.Equal(tok, g1.tokenPCD) {
		t.Errorf("T_PCD = %X", tok)
	}
	if tok, _ := p.token(g1.ksMac, c.pcdPK); !bytes.Equal(tok, g1.tokenIC) {
		t.Errorf("T_IC = %X", tok)
	}
	// Both sides hold the same session: SSC zero, AES-128 with KS_enc/KS_mac.
	if sess.Alg() != AES128 || !bytes.Equal(sess.SSC(), make([]byte, 16)) || card.sess == nil {
		t.Fatalf("session %v %X", sess.Alg(), sess.SSC())
	}
	roundTrip(t, sess, card.sess)
}

// roundTrip protects a READ BINARY on the terminal and answers it on the chip.
func roundTrip(t *testing.T, term, chip *Session) {
	t.Helper()
	w, err := term.WrapCommand(apdu.Command{INS: apdu.InsReadBinary, P1: 0x9E, Ne: 4})
	if err != nil {
		t.Fatal(err)
	}
	in, err := chip.UnwrapCommand(w)
	if err != nil || in.INS != apdu.InsReadBinary || in.P1 != 0x9E || in.Ne != 4 {
		t.Fatalf("chip unwrap: %+v %v", in, err)
	}
	r, err := chip.WrapResponse(apdu.InsReadBinary, apdu.Response{Data: []byte{0x60, 0x02, 0x5F, 0x01}, SW: 0x9000})
	if err != nil {
		t.Fatal(err)
	}
	out, err := term.UnwrapResponse(apdu.InsReadBinary, r)
	if err != nil || !bytes.Equal(out.Data, []byte{0x60, 0x02, 0x5F, 0x01}) {
		t.Fatalf("terminal unwrap: %X %v", out.Data, err)
	}
}

func TestPACEP256CANRoundTrip(t *testing.T) {
	p := P256Params()
	card := &chipCard{p: p, pw: PasswordCAN("123456")}
	card.rand = make([]byte, 16+32+32)
	if _, err := rand.Read(card.rand); err != nil {
		t.Fatal(err)
	}
	sess, err := PACE(context.Background(), card, p, PasswordCAN("123456"), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(card.cmds[0], hs("00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 02")) {
		t.Errorf("MSE:Set AT %X", card.cmds[0])
	}
	// P-256: 65-byte points, so GA 2 and 3 carry 7C 43 81/83 41 04...
	if len(card.cmds[2]) != 5+69+1 || card.cmds[2][7] != 0x81 || card.cmds[4][0] != 0x00 {
		t.Errorf("GA commands %X / %X", card.cmds[2], card.cmds[4])
	}
	roundTrip(t, sess, card.sess)
}

func TestPACEWrongPassword(t *testing.T) {
	p := P256Params()
	card := &chipCard{p: p, pw: PasswordCAN("123456"), rand: bytes.Repeat([]byte{7}, 80)}
	_, err := PACE(context.Background(), card, p, PasswordCAN("654321"), rand.Reader)
	if !errors.Is(err, ErrPACEFailed) {
		t.Fatalf("err = %v", err)
	}
	var se *apdu.StatusError
	if !errors.As(err, &se) || se.SW != 0x6300 {
		t.Fatalf("no 6300 in %v", err)
	}
	if len(card.cmds) != 5 {
		t.Fatalf("%d commands", len(card.cmds))
	}
}

func TestPACETerminalRejects(t *testing.T) {
	p := P256Params()
	pw := PasswordCAN("123456")
	offCurve := append([]byte{0x04}, bytes.Repeat([]byte{1}, 64)...)
	g := p.encode(point{p.Curve.Params().Gx, p.Curve.Params().Gy})
	for _, tc := range []struct {
		name string
		run  func(*PACETerminal) error
	}{
		{"not 7C", func(t *PACETerminal) error { _, err := t.Nonce(hs("7D 02 80 00")); return err }},
		{"nonce length", func(t *PACETerminal) error { _, err := t.Nonce(hs("7C 03 80 01 00")); return err }},
		{"no nonce", func(t *PACETerminal) error { _, err := t.Nonce(hs("7C 00")); return err }},
		{"off-curve mapping key", func(t *PACETerminal) error {
			if _, err := t.Nonce(dynAuth(tlv.Encode(0x80, make([]byte, 16)))); err != nil {
				return nil
			}
			_, err := t.Map(dynAuth(tlv.Encode(0x82, offCurve)))
			return err
		}},
		{"compressed key", func(t *PACETerminal) error {
			t.Nonce(dynAuth(tlv.Encode(0x80, make([]byte, 16))))
			_, err := t.Map(dynAuth(tlv.Encode(0x82, append([]byte{0x02}, g[1:33]...))))
			return err
		}},
		{"out of order", func(t *PACETerminal) error { _, err := t.Agree(hs("7C 00")); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(NewPACETerminal(p, pw, rand.Reader))
			if err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestPACEChipRejectsReflectedKey(t *testing.T) {
	p := P256Params()
	pw := PasswordCAN("123456")
	chip := NewPACEChip(p, pw, bytes.NewReader(bytes.Repeat([]byte{9}, 80)))
	term := NewPACETerminal(p, pw, bytes.NewReader(bytes.Repeat([]byte{9}, 64)))
	r, _ := chip.EncryptedNonce(hs("7C 00"))
	c, _ := term.Nonce(r)
	r, _ = chip.Map(c)
	c, err := term.Map(r)
	if err != nil {
		t.Fatal(err)
	}
	// Same ephemeral private key on both sides: the chip must refuse its own key.
	if _, err := chip.Agree(c); !errors.Is(err, ErrPACEFailed) {
		t.Fatalf("err = %v", err)
	}
}

func TestCardAccess(t *testing.T) {
	ca := EncodeCardAccess(PACEInfo{Protocol: OIDPACEECDHGMAES128, Version: 2, ParameterID: ParamP256})
	want := hs("31 14 30 12 06 0A 04 00 7F 00 07 02 02 04 02 02 02 01 02 02 01 0C")
	if !bytes.Equal(ca, want) {
		t.Fatalf("EF.CardAccess %X", ca)
	}
	infos, err := ParseCardAccess(ca)
	if err != nil || len(infos) != 1 || !infos[0].Supported() {
		t.Fatalf("%+v %v", infos, err)
	}
	// A card with chip authentication info and a PACE domain parameter info besides
	// PACE with brainpool (13): PACE is found, and is not the one supported.
	other := hs(`31 2D
		30 12 06 0A 04 00 7F 00 07 02 02 04 02 02 02 01 02 02 01 0D
		30 0D 06 08 04 00 7F 00 07 02 02 03 02 01 01
		30 08 06 03 2B 06 01 02 01 01`)
	infos, err = ParseCardAccess(other)
	if err != nil || len(infos) != 1 || infos[0].ParameterID != 13 || infos[0].Supported() {
		t.Fatalf("%+v %v", infos, err)
	}
	if _, err := ParamsFor(infos[0]); !errors.Is(err, ErrPACEUnsupported) {
		t.Fatalf("brainpool: %v", err)
	}
	for _, bad := range []string{"", "30 00", "31 02 04 00", "31 04 30 02 02 00", "31 0F 30 0D 06 0A 04 00 7F 00 07 02 02 04 02 02 05 00"} {
		if _, err := ParseCardAccess(hs(bad)); !errors.Is(err, ErrBadCardAccess) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestKDFPACE(t *testing.T) {
	// K_pi from the CAN: SHA-1("123456" || 00000003) cut to 16 bytes.
	got := PasswordCAN("123456").Key()
	if hex.EncodeToString(got) != "591468cda83d65219cccb8560233600f" {
		t.Fatalf("K_pi(CAN 123456) = %X", got)
	}
}
