package icao

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// The worked example of ICAO Doc 9303 Part 11 Appendix D (BAC and secure messaging).
var docKey = BACKey{DocumentNumber: "L898902C<", BirthDate: "690806", ExpiryDate: "940623"}

const (
	exRndIC  = "4608F91988702212"
	exRndIFD = "781723860C06C226"
	exKIFD   = "0B795240CB7049B01C19B33E32804F0B"
	exKIC    = "0B4F80323EB3191CB04970CB4052790B"
	exKSenc  = "979EC13B1CBFE9DCD01AB0FED307EAE5"
	exKSmac  = "F1CB1F1FB5ADF208806B89DC579DC1F8"
	exSSC    = "887022120C06C226"
)

func TestCheckDigit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want byte
	}{{"L898902C<", '3'}, {"690806", '1'}, {"940623", '6'}, {"D23145890", '7'}, {"520727", '3'}, {"", '0'}} {
		got, err := CheckDigit(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("CheckDigit(%q) = %c, %v; want %c", tc.in, got, err, tc.want)
		}
	}
	if _, err := CheckDigit("ab"); err == nil {
		t.Error("lower case accepted")
	}
}

func TestBACKeys(t *testing.T) {
	mi, err := docKey.MRZInformation()
	if err != nil || mi != "L898902C<369080619406236" {
		t.Fatalf("MRZ information = %q, %v", mi, err)
	}
	// A short document number is padded with '<' exactly as in the MRZ.
	if mi2, _ := (BACKey{"L898902C", "690806", "940623"}).MRZInformation(); mi2 != mi {
		t.Fatalf("unpadded number gives %q", mi2)
	}
	seed, _ := docKey.Seed()
	if !bytes.Equal(seed, hx("239AB9CB282DAF66231DC5A4DF6BFBAE")) {
		t.Fatalf("Kseed = %X", seed)
	}
	kenc, kmac, _ := docKey.Keys()
	if !bytes.Equal(kenc, hx("AB94FDECF2674FDFB9B391F85D7F76F2")) {
		t.Errorf("Kenc = %X", kenc)
	}
	if !bytes.Equal(kmac, hx("7962D9ECE03D1ACD4C76089DCE131543")) {
		t.Errorf("Kmac = %X", kmac)
	}
	for _, bad := range []BACKey{{"", "690806", "940623"}, {"L898902C", "69086", "940623"}, {"L898902C", "690806", "9406AB"}, {"l8-98", "690806", "940623"}} {
		if _, _, err := bad.Keys(); !errors.Is(err, ErrBadBACKey) {
			t.Errorf("%+v: err = %v", bad, err)
		}
	}
}

func TestAdjustParity(t *testing.T) {
	got := AdjustParity(hx("AB94FCEDF2664EDFB9B291F85D7F77F2"))
	if !bytes.Equal(got, hx("AB94FDECF2674FDFB9B391F85D7F76F2")) {
		t.Fatalf("parity = %X", got)
	}
}

func TestPad(t *testing.T) {
	tests := []struct{ in, out string }{
		{"", "8000000000000000"},
		{"011E", "011E800000000000"},
		{"0102030405060708", "01020304050607088000000000000000"},
	}
	for _, tc := range tests {
		p := Pad(hx(tc.in), 8)
		if !bytes.Equal(p, hx(tc.out)) {
			t.Errorf("Pad(%s) = %X", tc.in, p)
		}
		u, err := Unpad(p)
		if err != nil || !bytes.Equal(u, hx(tc.in)) {
			t.Errorf("Unpad(%X) = %X, %v", p, u, err)
		}
	}
	for _, bad := range []string{"", "0000", "0180000001"} {
		if _, err := Unpad(hx(bad)); !errors.Is(err, ErrPadding) {
			t.Errorf("Unpad(%s) err = %v", bad, err)
		}
	}
}

// TestBACMutualAuthentication follows Appendix D.3 on both sides.
func TestBACMutualAuthentication(t *testing.T) {
	term, err := NewBACTerminal(docKey, bytes.NewReader(hx(exRndIFD+exKIFD)))
	if err != nil {
		t.Fatal(err)
	}
	cmdData, err := term.ExternalAuthenticateData(hx(exRndIC))
	if err != nil {
		t.Fatal(err)
	}
	wantCmd := hx("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2" + "5F1448EEA8AD90A7")
	if !bytes.Equal(cmdData, wantCmd) {
		t.Fatalf("cmd_data = %X", cmdData)
	}
	chip, _ := NewBACChip(docKey, bytes.NewReader(hx(exRndIC+exKIC)))
	if ch, _ := chip.Challenge(); !bytes.Equal(ch, hx(exRndIC)) {
		t.Fatalf("challenge %X", ch)
	}
	resp, chipSess, err := chip.Authenticate(cmdData)
	if err != nil {
		t.Fatal(err)
	}
	wantResp := hx("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F" + "2F2D235D074D7449")
	if !bytes.Equal(resp, wantResp) {
		t.Fatalf("resp_data = %X", resp)
	}
	termSess, err := term.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Session{"terminal": termSess, "chip": chipSess} {
		ts := s.s.(tdesSuite)
		if !bytes.Equal(ts.kenc, hx(exKSenc)) || !bytes.Equal(ts.kmac, hx(exKSmac)) || !bytes.Equal(s.SSC(), hx(exSSC)) {
			t.Errorf("%s session: KSenc %X KSmac %X SSC %X", name, ts.kenc, ts.kmac, s.SSC())
		}
	}

	// A chip's answer with a flipped bit is refused.
	term2, _ := NewBACTerminal(docKey, bytes.NewReader(hx(exRndIFD+exKIFD)))
	term2.ExternalAuthenticateData(hx(exRndIC))
	bad := append([]byte(nil), wantResp...)
	bad[3] ^= 1
	if _, err := term2.Finish(bad); !errors.Is(err, ErrBACFailed) {
		t.Errorf("tampered answer: %v", err)
	}
	// A chip with other keys refuses the terminal.
	other, _ := NewBACChip(BACKey{"L898902C", "690806", "940624"}, bytes.NewReader(hx(exRndIC+exKIC)))
	other.Challenge()
	if _, _, err := other.Authenticate(cmdData); !errors.Is(err, ErrBACFailed) {
		t.Errorf("wrong keys: %v", err)
	}
	// Replaying the authentication without a fresh challenge is refused.
	if _, _, err := chip.Authenticate(cmdData); !errors.Is(err, ErrBACFailed) {
		t.Errorf("replay: %v", err)
	}
}

func exampleSessions(t *testing.T) (term, chip *Session) {
	t.Helper()
	a, err := NewSession(TDES, hx(exKSenc), hx(exKSmac), hx(exSSC))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSession(TDES, hx(exKSenc), hx(exKSmac), hx(exSSC))
	return a, b
}

// TestSecureMessagingExample follows Appendix D.4: SELECT EF.COM, READ BINARY of 4
// bytes, READ BINARY of the remaining 18, on the terminal and the chip side.
func TestSecureMessagingExample(t *testing.T) {
	term, chip := exampleSessions(t)
	steps := []struct {
		name      string
		plain     apdu.Command
		protected string
		plainResp apdu.Response
		protResp  string
	}{
		{
			name:      "SELECT EF.COM",
			plain:     apdu.Command{CLA: 0x00, INS: 0xA4, P1: 0x02, P2: 0x0C, Data: hx("011E")},
			protected: "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
			plainResp: apdu.Response{SW: 0x9000},
			protResp:  "990290008E08FA855A5D4C50A8ED9000",
		},
		{
			name:      "READ BINARY 4",
			plain:     apdu.Command{CLA: 0x00, INS: 0xB0, P1: 0x00, P2: 0x00, Ne: 4},
			protected: "0CB000000D9701048E08ED6705417E96BA5500",
			plainResp: apdu.Response{Data: hx("60145F01"), SW: 0x9000},
			protResp:  "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000",
		},
		{
			name:      "READ BINARY 18",
			plain:     apdu.Command{CLA: 0x00, INS: 0xB0, P1: 0x00, P2: 0x04, Ne: 0x12},
			protected: "0CB000040D9701128E082EA28A70F3C7B53500",
			plainResp: apdu.Response{Data: hx("04303130365F36063034303030305C026175"), SW: 0x9000},
			protResp:  "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
		},
	}
	for _, st := range steps {
		// Terminal wraps the command.
		w, err := term.WrapCommand(st.plain)
		if err != nil {
			t.Fatalf("%s: wrap: %v", st.name, err)
		}
		wb, _ := w.Bytes()
		if !bytes.Equal(wb, hx(st.protected)) {
			t.Fatalf("%s: protected command\n got %X\nwant %s", st.name, wb, st.protected)
		}
		// Chip unwraps it back to the plain command.
		pc, err := chip.UnwrapCommand(mustParseCommand(t, wb))
		if err != nil {
			t.Fatalf("%s: chip unwrap: %v", st.name, err)
		}
		if pc.CLA != st.plain.CLA || pc.INS != st.plain.INS || pc.P1 != st.plain.P1 || pc.P2 != st.plain.P2 || !bytes.Equal(pc.Data, st.plain.Data) || pc.Ne != st.plain.Ne {
			t.Fatalf("%s: chip got %+v", st.name, pc)
		}
		// Chip wraps the response.
		pr, err := chip.WrapResponse(st.plain.INS, st.plainResp)
		if err != nil {
			t.Fatalf("%s: chip wrap: %v", st.name, err)
		}
		if !bytes.Equal(pr.Bytes(), hx(st.protResp)) {
			t.Fatalf("%s: protected response\n got %X\nwant %s", st.name, pr.Bytes(), st.protResp)
		}
		// Terminal unwraps it.
		rr, _ := apdu.ParseResponse(hx(st.protResp))
		ur, err := term.UnwrapResponse(st.plain.INS, rr)
		if err != nil {
			t.Fatalf("%s: unwrap: %v", st.name, err)
		}
		if ur.SW != st.plainResp.SW || !bytes.Equal(ur.Data, st.plainResp.Data) {
			t.Fatalf("%s: unwrapped %X %04X", st.name, ur.Data, ur.SW)
		}
	}
	if !bytes.Equal(term.SSC(), hx("887022120C06C22C")) || !bytes.Equal(chip.SSC(), term.SSC()) {
		t.Fatalf("SSC after example: %X / %X", term.SSC(), chip.SSC())
	}
}

func mustParseCommand(t *testing.T, b []byte) apdu.Command {
	t.Helper()
	c, err := apdu.ParseCommand(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSecureMessagingRejects(t *testing.T) {
	protResp := hx("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")
	tests := []struct {
		name string
		mod  func([]byte) []byte
		want error
	}{
		{"MAC flipped", func(b []byte) []byte { b[len(b)-3] ^= 1; return b }, ErrSMMAC},
		{"cryptogram flipped", func(b []byte) []byte { b[4] ^= 1; return b }, ErrSMMAC},
		{"DO8E missing", func(b []byte) []byte { return append(b[:15:15], 0x90, 0x00) }, ErrSMObjects},
		{"truncated TLV", func(b []byte) []byte { return append(b[:20:20], 0x90, 0x00) }, ErrSMObjects},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := NewSession(TDES, hx(exKSenc), hx(exKSmac), hx("887022120C06C229"))
			r, _ := apdu.ParseResponse(tc.mod(append([]byte(nil), protResp...)))
			if _, err := s.UnwrapResponse(0xB0, r); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			// After an SM error the session is finished on the terminal side too.
			if _, err := s.WrapCommand(apdu.Command{INS: 0xB0, Ne: 4}); !errors.Is(err, ErrSMFinished) {
				t.Fatalf("session still open: %v", err)
			}
		})
	}
	// The cryptogram's tag must match the INS parity: DO87 answering READ BINARY B1
	// (which wants DO85), and DO85 answering B0, are refused.
	for _, ins := range [][2]byte{{0xB0, 0xB1}, {0xB1, 0xB0}} {
		term, chip := exampleSessions(t)
		w, _ := term.WrapCommand(apdu.Command{INS: ins[1], Data: hx("540100"), Ne: 4})
		if _, err := chip.UnwrapCommand(w); err != nil {
			t.Fatal(err)
		}
		pr, err := chip.WrapResponse(ins[0], apdu.Response{Data: hx("53020102"), SW: 0x9000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := term.UnwrapResponse(ins[1], pr); !errors.Is(err, ErrSMObjects) {
			t.Fatalf("response for INS %02X unwrapped as INS %02X: %v", ins[0], ins[1], err)
		}
	}
	// A replayed command (stale SSC) fails the chip's MAC check.
	term, chip := exampleSessions(t)
	w, _ := term.WrapCommand(apdu.Command{INS: 0xB0, Ne: 4})
	wb, _ := w.Bytes()
	if _, err := chip.UnwrapCommand(mustParseCommand(t, wb)); err != nil {
		t.Fatal(err)
	}
	chip.WrapResponse(0xB0, apdu.Response{SW: 0x9000})
	if _, err := chip.UnwrapCommand(mustParseCommand(t, wb)); !errors.Is(err, ErrSMMAC) {
		t.Fatalf("replay: %v", err)
	}
	// A plain command inside an SM session is refused by the chip.
	_, chip2 := exampleSessions(t)
	if _, err := chip2.UnwrapCommand(apdu.Command{INS: 0xB0, Ne: 4}); !errors.Is(err, ErrNotSM) {
		t.Fatalf("plain: %v", err)
	}
}

// TestSecureMessagingRoundTrip covers extended length, odd INS and AES on both sides.
func TestSecureMessagingRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte{0xA5}, 3000)
	cases := []struct {
		name string
		alg  KeyAlg
		key  []byte
		ssc  []byte
		cmd  apdu.Command
		resp apdu.Response
	}{
		{"3DES extended read", TDES, hx(exKSenc), hx(exSSC), apdu.Command{INS: 0xB0, P1: 0x81, Ne: 0xFFFF}, apdu.Response{Data: big, SW: 0x9000}},
		{"3DES 256 short", TDES, hx(exKSenc), hx(exSSC), apdu.Command{INS: 0xB0, Ne: 231}, apdu.Response{Data: big[:231], SW: 0x9000}},
		{"3DES 65536", TDES, hx(exKSenc), hx(exSSC), apdu.Command{INS: 0xB0, Ne: 65536}, apdu.Response{Data: big[:7], SW: 0x6282}},
		{"3DES odd INS", TDES, hx(exKSenc), hx(exSSC), apdu.Command{INS: 0xB1, Data: hx("54020010"), Ne: 200}, apdu.Response{Data: hx("53020102"), SW: 0x9000}},
		{"3DES VERIFY", TDES, hx(exKSenc), hx(exSSC), apdu.Command{INS: 0x20, P2: 0x81, Data: []byte("123456")}, apdu.Response{SW: 0x63C2}},
		{"AES-128", AES128, hx(exKSenc), make([]byte, 16), apdu.Command{INS: 0xB0, Ne: 0x20}, apdu.Response{Data: big[:0x20], SW: 0x9000}},
		{"AES-256 extended", AES256, bytes.Repeat([]byte{7}, 32), make([]byte, 16), apdu.Command{INS: 0xB0, Ne: 4000}, apdu.Response{Data: big, SW: 0x9000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			term, err := NewSession(tc.alg, tc.key, tc.key, tc.ssc)
			if err != nil {
				t.Fatal(err)
			}
			chip, _ := NewSession(tc.alg, tc.key, tc.key, tc.ssc)
			w, err := term.WrapCommand(tc.cmd)
			if err != nil {
				t.Fatal(err)
			}
			wb, err := w.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			pc, err := chip.UnwrapCommand(mustParseCommand(t, wb))
			if err != nil {
				t.Fatal(err)
			}
			if pc.INS != tc.cmd.INS || pc.Ne != tc.cmd.Ne || !bytes.Equal(pc.Data, tc.cmd.Data) {
				t.Fatalf("chip got %+v", pc)
			}
			pr, err := chip.WrapResponse(tc.cmd.INS, tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.resp.Data) > 0 {
				// Odd INS: DO85 without a padding-content indicator; even INS: DO87.
				want := byte(0x87)
				if tc.cmd.INS&1 == 1 {
					want = 0x85
				}
				if pr.Data[0] != want {
					t.Fatalf("response cryptogram tag %02X, want %02X", pr.Data[0], want)
				}
				if want == 0x85 && len(tc.resp.Data) < 8 && pr.Data[1] != 8 {
					t.Fatalf("DO85 of %d bytes, want one 3DES block", pr.Data[1])
				}
			}
			rr, _ := apdu.ParseResponse(pr.Bytes())
			ur, err := term.UnwrapResponse(tc.cmd.INS, rr)
			if err != nil {
				t.Fatal(err)
			}
			if ur.SW != tc.resp.SW || !bytes.Equal(ur.Data, tc.resp.Data) {
				t.Fatalf("terminal got %d bytes %04X", len(ur.Data), ur.SW)
			}
		})
	}
}

// TestCMAC uses the NIST SP 800-38B AES-128 examples.
func TestCMAC(t *testing.T) {
	key := hx("2b7e151628aed2a6abf7158809cf4f3c")
	msg := hx("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411")
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "bb1d6929e95937287fa37d129b756746"}, {16, "070a16b46b4d4144f79bdd9dd04a287c"}, {40, "dfa66747de9ae63030ca32611497c827"}} {
		got, err := CMAC(key, msg[:tc.n])
		if err != nil || !bytes.Equal(got, hx(tc.want)) {
			t.Errorf("CMAC(%d) = %x, %v", tc.n, got, err)
		}
	}
}

func TestRetailMACRejects(t *testing.T) {
	if _, err := RetailMAC(make([]byte, 8), make([]byte, 8)); err == nil {
		t.Error("short key accepted")
	}
	if _, err := RetailMAC(make([]byte, 16), make([]byte, 7)); err == nil {
		t.Error("unaligned data accepted")
	}
}

// TestResponseWithoutDO99: DO99 may be absent (Doc 9303 Part 11 §9.8.4); the status
// word is then the outer one. A DO99 of the wrong size, or a bad MAC, is refused.
func TestResponseWithoutDO99(t *testing.T) {
	build := func(chip *Session, data []byte, do99 []byte, flip bool) apdu.Response {
		chip.incSSC()
		do87, err := chip.cryptogram(0xB0, data)
		if err != nil {
			t.Fatal(err)
		}
		body := append(append([]byte(nil), do87...), do99...)
		cc, err := chip.s.mac(chip.macInput(body))
		if err != nil {
			t.Fatal(err)
		}
		if flip {
			cc[0] ^= 1
		}
		return apdu.Response{Data: append(body, tlv.Encode(TagDO8E, cc)...), SW: 0x9000}
	}
	for _, tc := range []struct {
		name string
		do99 []byte
		flip bool
		want error
	}{
		{"no DO99", nil, false, nil},
		{"no DO99, bad MAC", nil, true, ErrSMMAC},
		{"DO99 of 1 byte", []byte{0x99, 0x01, 0x90}, false, ErrSMObjects},
		{"DO99 of 3 bytes", []byte{0x99, 0x03, 0x90, 0x00, 0x00}, false, ErrSMObjects},
	} {
		t.Run(tc.name, func(t *testing.T) {
			term, chip := exampleSessions(t)
			w, _ := term.WrapCommand(apdu.Command{INS: 0xB0, Ne: 4})
			if _, err := chip.UnwrapCommand(w); err != nil {
				t.Fatal(err)
			}
			r := build(chip, hx("60145F01"), tc.do99, tc.flip)
			got, err := term.UnwrapResponse(0xB0, r)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil || got.SW != 0x9000 || !bytes.Equal(got.Data, hx("60145F01")) {
				t.Fatalf("%X %04X %v", got.Data, got.SW, err)
			}
		})
	}
}

// TestMACOfCommandWithoutDataObjects: a protected command with neither DO87/DO85
// nor DO97 (SELECT MF, 00 A4 00 0C, no data, no Le). Doc 9303 Part 11 §9.8.4 builds
// the MAC input as N = pad(SSC || M) with M = pad(CmdHeader) || DO87 || DO97, so
// the header is padded on its own even when nothing follows it, and N gets a block
// of padding of its own. The expected MACs were computed outside this code with
// OpenSSL (3DES-CBC and DES for the retail MAC, "openssl mac ... CMAC" for AES).
func TestMACOfCommandWithoutDataObjects(t *testing.T) {
	cases := []struct {
		name      string
		alg       KeyAlg
		key, ssc  string // KSenc = KSmac = key; ssc before the command
		n         string // the MAC input, written out
		mac       string
		protected string
	}{
		{
			// The Appendix D session (KSmac F1CB1F1FB5ADF208 806B89DC579DC1F8).
			name: "3DES, Appendix D keys",
			alg:  TDES, key: exKSmac, ssc: exSSC,
			n: "887022120C06C227" + // SSC + 1
				"0CA4000C80000000" + // pad(CmdHeader): CLA with SM bits, INS, P1, P2, 80 00 00 00
				"8000000000000000", // pad(SSC || M): M is block-aligned, so a whole padding block
			// Retail MAC (ISO 9797-1 algorithm 3): DES-CBC with Ka over the three
			// blocks, then decrypt with Kb and encrypt with Ka.
			mac: "7A957374235D8B5B",
			// 0C A4 00 0C, Lc 0A, DO8E 08 MAC, Le 00.
			protected: "0CA4000C0A8E087A957374235D8B5B00",
		},
		{
			name: "AES-128",
			alg:  AES128, key: "000102030405060708090A0B0C0D0E0F", ssc: "00000000000000000000000000000000",
			n: "00000000000000000000000000000001" + // SSC + 1
				"0CA4000C800000000000000000000000" + // pad(CmdHeader) to the AES block
				"80000000000000000000000000000000", // pad(SSC || M)
			// AES-CMAC over N, first 8 bytes (Part 11 §9.8.6.2).
			mac:       "FC61D793D571F5FC",
			protected: "0CA4000C0A8E08FC61D793D571F5FC00",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The written-out N is the session's MAC input.
			s, _ := NewSession(tc.alg, hx(tc.key), hx(tc.key), hx(tc.ssc))
			s.incSSC()
			if got := s.macInput(Pad([]byte{0x0C, 0xA4, 0x00, 0x0C}, s.s.blockSize()), nil, nil); !bytes.Equal(got, hx(tc.n)) {
				t.Fatalf("N = %X\nwant %s", got, tc.n)
			}
			if m, _ := s.s.mac(hx(tc.n)); !bytes.Equal(m, hx(tc.mac)) {
				t.Fatalf("MAC(N) = %X, want %s", m, tc.mac)
			}
			// Terminal side.
			term, _ := NewSession(tc.alg, hx(tc.key), hx(tc.key), hx(tc.ssc))
			w, err := term.WrapCommand(apdu.Command{CLA: 0x00, INS: 0xA4, P1: 0x00, P2: 0x0C})
			if err != nil {
				t.Fatal(err)
			}
			wb, _ := w.Bytes()
			if !bytes.Equal(wb, hx(tc.protected)) {
				t.Fatalf("protected command %X\nwant %s", wb, tc.protected)
			}
			// Chip side: another implementation's bytes are accepted.
			chip, _ := NewSession(tc.alg, hx(tc.key), hx(tc.key), hx(tc.ssc))
			pc, err := chip.UnwrapCommand(mustParseCommand(t, hx(tc.protected)))
			if err != nil {
				t.Fatalf("chip refuses the standard MAC: %v", err)
			}
			if pc.CLA != 0 || pc.INS != 0xA4 || pc.P1 != 0 || pc.P2 != 0x0C || len(pc.Data) != 0 || pc.Ne != 0 {
				t.Fatalf("chip got %+v", pc)
			}
		})
	}
}

// TestMaxResponseData: the plain data a protected response can carry within a
// response data field of room bytes is the largest whose DO85/DO87 + DO99 + DO8E fit.
func TestMaxResponseData(t *testing.T) {
	protected := func(bs int, ins byte, n int) int {
		padded := (n/bs + 1) * bs // at least one padding byte
		ind := 1
		if ins&1 == 1 {
			ind = 0
		}
		return len(tlv.Encode(TagDO87, make([]byte, ind+padded))) + 4 + 10
	}
	for _, tc := range []struct {
		bs   int
		ins  byte
		room int
		want int
	}{
		// Short Le 00 (256): AES 223 (240-byte cryptogram: 87 81 F1 01 + 240 + 14 = 258
		// for 224 or more), 3DES 231.
		{16, 0xB0, 256, 223},
		{8, 0xB0, 256, 231},
		{16, 0xB1, 256, 223},
		{8, 0xB1, 256, 231},
		{16, 0xB0, 100, 79},
		{8, 0xB0, 100, 79},
		{16, 0xB0, 65533, 65503},
		{8, 0xB0, 65533, 65511},
		{16, 0xB0, 30, 0}, // not even one block fits
	} {
		n := MaxResponseData(tc.bs, tc.ins, tc.room)
		if n != tc.want {
			t.Errorf("MaxResponseData(%d, %02X, %d) = %d, want %d", tc.bs, tc.ins, tc.room, n, tc.want)
		}
		if n > 0 && protected(tc.bs, tc.ins, n) > tc.room {
			t.Errorf("MaxResponseData(%d, %02X, %d) = %d: protected answer of %d bytes", tc.bs, tc.ins, tc.room, n, protected(tc.bs, tc.ins, n))
		}
		if protected(tc.bs, tc.ins, n+1) <= tc.room {
			t.Errorf("MaxResponseData(%d, %02X, %d) = %d is not the largest", tc.bs, tc.ins, tc.room, n)
		}
	}
}

// TestShortLeFitsAfterWrapping: a short READ BINARY with Le 00 (256) is protected
// with a DO97 the chip can honour within a 256-byte response, and the chip's
// protected answer of that much data is at most 256 bytes, for 3DES and AES.
func TestShortLeFitsAfterWrapping(t *testing.T) {
	for _, tc := range []struct {
		alg    KeyAlg
		ssc    []byte
		wantLe byte
	}{{TDES, hx(exSSC), 231}, {AES128, make([]byte, 16), 223}} {
		term, _ := NewSession(tc.alg, hx(exKSenc), hx(exKSmac), tc.ssc)
		chip, _ := NewSession(tc.alg, hx(exKSenc), hx(exKSmac), tc.ssc)
		w, err := term.WrapCommand(apdu.Command{INS: 0xB0, Ne: 256})
		if err != nil {
			t.Fatal(err)
		}
		if w.Data[0] != 0x97 || w.Data[2] != tc.wantLe || w.IsExtended() {
			t.Fatalf("%v: protected command % X: DO97 should ask for %d", tc.alg, w.Data, tc.wantLe)
		}
		pc, err := chip.UnwrapCommand(w)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := chip.WrapResponse(0xB0, apdu.Response{Data: bytes.Repeat([]byte{1}, pc.Ne), SW: 0x9000})
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.Data) > apdu.MaxShortNe {
			t.Fatalf("%v: %d plain bytes give a protected answer of %d bytes", tc.alg, pc.Ne, len(pr.Data))
		}
	}
}
