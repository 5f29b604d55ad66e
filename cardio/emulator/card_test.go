package emulator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"image"
	"image/jpeg"
	"math/bits"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/cardio/testpki"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exchange sends raw hex to the card and checks the raw hex answer.
func exchange(t *testing.T, c *Card, cmd, want string) {
	t.Helper()
	got, err := c.Process(unhex(t, cmd))
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	if w := unhex(t, want); !bytes.Equal(got, w) {
		t.Fatalf("command %s\n got  % X\n want % X", cmd, got, w)
	}
}

// TestICAOWorkedExample replays Doc 9303 Part 11 Appendix D (BAC and secure
// messaging) against the card: with the example's RND.IC and K.IC, the card must
// produce the example's bytes exactly.
func TestICAOWorkedExample(t *testing.T) {
	com := unhex(t, "60145F0104303130365F36063034303030305C026175")
	card, err := NewCard(CardConfig{
		LDS:    &LDS{COM: com, DG: map[int][]byte{}},
		BACKey: icao.BACKey{DocumentNumber: "L898902C", BirthDate: "690806", ExpiryDate: "940623"},
		PIN:    "123456", PINTries: 3,
		Rand: bytes.NewReader(unhex(t, "4608F91988702212"+"0B4F80323EB3191CB04970CB4052790B")),
	})
	if err != nil {
		t.Fatal(err)
	}
	card.PowerOn()
	exchange(t, card, "00A4040C07A0000002471001", "9000")
	exchange(t, card, "0084000008", "4608F91988702212 9000")
	exchange(t, card, "0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7 28",
		"46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449 9000")
	// SELECT EF.COM, READ BINARY of 4 bytes, READ BINARY of the remaining 18.
	exchange(t, card, "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F8", "990290008E08FA855A5D4C50A8ED 9000")
	exchange(t, card, "0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED 9000")
	exchange(t, card, "0CB000040D9701128E082EA28A70F3C7B53500",
		"871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D74 9000")
	// SELECT MF (00 A4 00 0C: neither DO87 nor DO97) as another reader sends it, the
	// MAC over N = pad(SSC || pad(header)) (Part 11 §9.8.4), computed with OpenSSL:
	// 887022120C06C22D 0CA4000C80000000 8000000000000000 -> B81D24C9BD5CF214. The
	// answer: DO99 9000 and the MAC over 887022120C06C22E 9902900080000000 (307FA6B65902FF74).
	exchange(t, card, "0CA4000C0A8E08B81D24C9BD5CF21400", "990290008E08307FA6B65902FF74 9000")
	// Replaying a command (old SSC) is a wrong MAC: 6988 in plain, and the session is over.
	exchange(t, card, "0CB000040D9701128E082EA28A70F3C7B53500", "6988")
	exchange(t, card, "0CB000000D9701048E08ED6705417E96BA5500", "6988")
}

// reader is a minimal terminal over a card in process, using cardio/icao's terminal side.
type reader struct {
	t    *testing.T
	card *Card
	sm   *icao.SecureChannel
}

func (r *reader) Transmit(_ context.Context, cmd []byte) ([]byte, error) { return r.card.Process(cmd) }

func (r *reader) send(cmd apdu.Command) apdu.Response {
	r.t.Helper()
	var t apdu.Transceiver = r
	if r.sm != nil {
		t = r.sm
	}
	resp, err := apdu.Exchange(context.Background(), t, cmd)
	if err != nil {
		r.t.Fatalf("INS %02X: %v", cmd.INS, err)
	}
	return resp
}

func (r *reader) bac(key icao.BACKey) error {
	s, err := icao.BAC(context.Background(), r, key, rand.Reader)
	if err != nil {
		return err
	}
	r.sm = &icao.SecureChannel{T: r, S: s}
	return nil
}

func newProfileCard(t testing.TB, name string) (*Card, *Profile, *LDS) {
	t.Helper()
	p := loadTestProfile(t, name)
	pki := testPKI(t)
	c, err := NewCardFromProfile(p, pki, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c.PowerOn()
	l := &LDS{COM: c.files[FIDCOM].data, CardInfo: c.files[FIDCardInfo].data, DG: map[int][]byte{}}
	if f := c.files[FIDSOD]; f != nil {
		l.SOD = f.data
	}
	for n, fid := range dgFID {
		l.DG[n] = c.files[fid].data
	}
	return c, p, l
}

var (
	pkiOnce sync.Once
	pkiVal  *testpki.PKI
	pkiErr  error
)

func testPKI(t testing.TB) *testpki.PKI {
	pkiOnce.Do(func() { pkiVal, pkiErr = testpki.Generate(time.Now()) })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiVal
}

func keyOf(p *Profile) icao.BACKey {
	return icao.BACKey{DocumentNumber: p.DocumentNumber, BirthDate: p.birth.Format("060102"), ExpiryDate: p.expiry.Format("060102")}
}

func selectLDS(r *reader) apdu.Response {
	return r.send(apdu.Command{INS: apdu.InsSelect, P1: 0x04, P2: 0x0C, Data: AIDLDS})
}

// readFile reads a whole file the way readers do: the TLV header first, then the rest
// in chunks of chunk bytes.
func readFile(r *reader, fid uint16, chunk int, extended bool) ([]byte, error) {
	resp := r.send(apdu.Command{INS: apdu.InsSelect, P1: 0x02, P2: 0x0C, Data: []byte{byte(fid >> 8), byte(fid)}})
	if err := resp.Err(); err != nil {
		return nil, err
	}
	resp = r.send(apdu.Command{INS: apdu.InsReadBinary, Ne: 4})
	if err := resp.Err(); err != nil {
		return nil, err
	}
	_, hl, total, err := tlv.Header(resp.Data)
	if err != nil {
		return nil, err
	}
	_ = hl
	data := append([]byte(nil), resp.Data...)
	for len(data) < total {
		n := min(chunk, total-len(data))
		resp = r.send(apdu.Command{INS: apdu.InsReadBinary, P1: byte(len(data) >> 8), P2: byte(len(data)), Ne: n, Extended: extended})
		if err := resp.Err(); err != nil {
			return nil, err
		}
		data = append(data, resp.Data...)
	}
	return data, nil
}

func TestReadProfileThroughBAC(t *testing.T) {
	for _, tc := range []struct {
		name     string
		chunk    int
		extended bool
	}{{"short APDUs", 0xDF, false}, {"extended APDUs", 0xFF00, true}} {
		t.Run(tc.name, func(t *testing.T) {
			card, p, l := newProfileCard(t, "bench-20k.yaml")
			r := &reader{t: t, card: card}
			if resp := selectLDS(r); !resp.OK() {
				t.Fatalf("SELECT LDS: %04X", resp.SW)
			}
			if err := r.bac(keyOf(p)); err != nil {
				t.Fatalf("BAC: %v", err)
			}
			before := card.APDUs()
			for fid, want := range map[uint16][]byte{FIDCOM: l.COM, FIDSOD: l.SOD, FIDDG1: l.DG[1], FIDDG2: l.DG[2], FIDDG11: l.DG[11], FIDDG12: l.DG[12]} {
				got, err := readFile(r, fid, tc.chunk, tc.extended)
				if err != nil {
					t.Fatalf("reading %04X: %v", fid, err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("file %04X differs (%d bytes, want %d)", fid, len(got), len(want))
				}
			}
			t.Logf("%s: %d APDUs for the six LDS files", tc.name, card.APDUs()-before)
		})
	}
}

func TestWrongBACKey(t *testing.T) {
	card, p, _ := newProfileCard(t, "adult.yaml")
	r := &reader{t: t, card: card}
	selectLDS(r)
	k := keyOf(p)
	k.BirthDate = "850315"
	if err := r.bac(k); err == nil {
		t.Fatal("BAC with a wrong birth date succeeded")
	}
	// Still no access, and a MUTUAL AUTHENTICATE without a fresh challenge is refused.
	if resp := r.send(apdu.Command{INS: apdu.InsReadBinary, P1: 0x9E, Ne: 4}); resp.SW != 0x6982 {
		t.Errorf("read after failed BAC: %04X, want 6982", resp.SW)
	}
	if resp := r.send(apdu.Command{INS: apdu.InsExternalAuthenticate, Data: make([]byte, 40), Ne: 40}); resp.SW != 0x6985 {
		t.Errorf("MUTUAL AUTHENTICATE without challenge: %04X, want 6985", resp.SW)
	}
	if err := r.bac(keyOf(p)); err != nil {
		t.Errorf("BAC with the right key after a wrong one: %v", err)
	}
}

func TestStatusWords(t *testing.T) {
	card, p, l := newProfileCard(t, "adult.yaml")
	plain := func(hexCmd string) apdu.Response {
		t.Helper()
		b, err := card.Process(unhex(t, hexCmd))
		if err != nil {
			t.Fatal(err)
		}
		r, err := apdu.ParseResponse(b)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name, cmd string
		sw        uint16
	}{
		{"EF.CardAccess absent on a BAC-only card", "00A4020C02011C", 0x6A82},
		{"EF.CardAccess from the MF", "00A4000C02011C", 0x6A82},
		{"unknown AID", "00A4040C07A0000002471002", 0x6A82},
		{"LDS file before its application", "00A4020C02011E", 0x6A82},
		{"select MF", "00A4000C023F00", 0x9000},
		{"select LDS", "00A4040C07A0000002471001", 0x9000},
		{"select EF.COM in plain", "00A4020C02011E", 0x9000},
		{"read EF.COM before BAC", "00B0000004", 0x6982},
		{"read DG1 by SFI before BAC", "00B0810004", 0x6982},
		{"READ BINARY without Le", "00B00000", 0x6982},
		{"unknown INS", "00CA010000", 0x6D00},
		{"proprietary CLA", "80A4040C07A0000002471001", 0x6E00},
		{"CLA FF", "FFA4040C07A0000002471001", 0x6E00},
		{"logical channel", "01A4040C07A0000002471001", 0x6881},
		{"command chaining", "10A4040C07A0000002471001", 0x6884},
		{"SM before BAC", "0CB000000D9701048E08ED6705417E96BA5500", 0x6988},
		{"select with bad P1", "00A4050C020101", 0x6A86},
		{"select with bad P2", "00A4020802011E", 0x6A86},
		{"select with 3-byte FID", "00A4020C03011E00", 0x6700},
		{"GET CHALLENGE Le 4", "0084000004", 0x6700},
		{"GET CHALLENGE bad P1", "0084010008", 0x6A86},
		{"MUTUAL AUTHENTICATE short data", "0082000008000000000000000028", 0x6700},
		{"truncated APDU", "00A4", 0x6700},
		{"Lc longer than data", "00A4040C07A000", 0x6700},
		{"VERIFY in the LDS application", "0020008106313233343536", 0x6D00},
		{"select DSI", "00A4040C06F04453490001", 0x9000},
		{"EF.CardInfo by FID", "00A4020C02D001", 0x9000},
		{"VERIFY wrong P2", "0020008206313233343536", 0x6A86},
		{"VERIFY wrong P1", "0020018106313233343536", 0x6A86},
		{"VERIFY 5 digits", "00200081053132333435", 0x6700},
		{"VERIFY status", "00200081", 0x63C3},
	} {
		if r := plain(tc.cmd); r.SW != tc.sw {
			t.Errorf("%s (%s): %04X, want %04X", tc.name, tc.cmd, r.SW, tc.sw)
		}
	}

	// EF.CardInfo: plain, no security, with the BAC seed.
	plain("00A4040C06F04453490001")
	if r := plain("00B0000000"); r.SW != 0x6986 {
		t.Errorf("READ BINARY with no current EF: %04X, want 6986", r.SW)
	}
	plain("00A4020C02D001")
	r := plain("00B0000000")
	if r.SW != 0x6282 || !bytes.Equal(r.Data, l.CardInfo) {
		t.Errorf("EF.CardInfo read with Le 256: %04X % X", r.SW, r.Data)
	}
	info, err := tlv.ParseOne(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[tlv.Tag]string{0x5A: p.DocumentNumber, 0x5F2B: "850314", 0x5F24: "340603"} {
		if o, err := info.Find(tag); err != nil || string(o.Value) != want {
			t.Errorf("EF.CardInfo %s = %q, want %q", tag, o.Value, want)
		}
	}
	// By SFI 1 too, from an offset; past the end 6B00, partial 6282 with the data.
	if r := plain("00B0810203"); r.SW != 0x9000 || !bytes.Equal(r.Data, l.CardInfo[2:5]) {
		t.Errorf("read by SFI: %04X % X", r.SW, r.Data)
	}
	n := len(l.CardInfo)
	if r := plain("00B000" + hex.EncodeToString([]byte{byte(n)}) + "01"); r.SW != 0x6B00 {
		t.Errorf("read at the end: %04X, want 6B00", r.SW)
	}
	if r := plain("00B000" + hex.EncodeToString([]byte{byte(n - 3)}) + "10"); r.SW != 0x6282 || !bytes.Equal(r.Data, l.CardInfo[n-3:]) {
		t.Errorf("read past the end: %04X % X, want 6282 and the last 3 bytes", r.SW, r.Data)
	}
	if r := plain("00B09F0001"); r.SW != 0x6A82 {
		t.Errorf("read of an absent SFI: %04X, want 6A82", r.SW)
	}
}

func TestSecureMessagingRules(t *testing.T) {
	card, p, l := newProfileCard(t, "adult.yaml")
	r := &reader{t: t, card: card}
	selectLDS(r)
	if err := r.bac(keyOf(p)); err != nil {
		t.Fatal(err)
	}
	// Under SM: errors come back protected, with their status word.
	if resp := r.send(apdu.Command{INS: apdu.InsSelect, P1: 0x02, P2: 0x0C, Data: []byte{0x01, 0x1C}}); resp.SW != 0x6A82 {
		t.Errorf("EF.CardAccess under SM: %04X, want 6A82", resp.SW)
	}
	if resp := r.send(apdu.Command{INS: apdu.InsReadBinary, P1: 0x81, P2: 0, Ne: 0xDF}); resp.SW != 0x6282 || !bytes.Equal(resp.Data, l.DG[1]) {
		t.Errorf("DG1 by SFI under SM: %04X, %d bytes", resp.SW, len(resp.Data))
	}
	if resp := r.send(apdu.Command{INS: apdu.InsReadBinary, P1: 0, P2: byte(len(l.DG[1])), Ne: 1}); resp.SW != 0x6B00 {
		t.Errorf("DG1 past the end under SM: %04X, want 6B00", resp.SW)
	}
	// A protected READ BINARY asking for 65536 bytes in a short outer APDU gets what
	// fits into 256 bytes of protected answer.
	resp := r.send(apdu.Command{INS: apdu.InsReadBinary, P1: 0x82, P2: 0, Ne: 256})
	if resp.SW != 0x9000 || len(resp.Data) == 0 || len(resp.Data) > 256 || !bytes.Equal(resp.Data, l.DG[2][:len(resp.Data)]) {
		t.Errorf("DG2 with Le 256: %04X, %d bytes", resp.SW, len(resp.Data))
	}
	// A tampered MAC: 6988 in plain, and the session is gone.
	wrapped, err := r.sm.S.WrapCommand(apdu.Command{INS: apdu.InsReadBinary, P1: 0x81, Ne: 4})
	if err != nil {
		t.Fatal(err)
	}
	wrapped.Data[len(wrapped.Data)-1] ^= 1
	raw, _ := wrapped.Bytes()
	if out, _ := card.Process(raw); !bytes.Equal(out, []byte{0x69, 0x88}) {
		t.Errorf("bad MAC answer % X, want 6988", out)
	}
	r.sm = nil
	if resp := r.send(apdu.Command{INS: apdu.InsReadBinary, P1: 0x81, Ne: 4}); resp.SW != 0x6982 {
		t.Errorf("plain read after the session ended: %04X, want 6982", resp.SW)
	}
	// SM objects missing (6987) versus incorrect (6988); the session ends either way.
	for _, tc := range []struct {
		name string
		mod  func(c apdu.Command) apdu.Command
		want uint16
	}{
		{"no DO8E", func(c apdu.Command) apdu.Command { c.Data = c.Data[:len(c.Data)-10]; return c }, 0x6987},
		{"no data objects", func(c apdu.Command) apdu.Command { c.Data = nil; return c }, 0x6987},
		{"plain CLA where SM is required", func(c apdu.Command) apdu.Command {
			return apdu.Command{INS: apdu.InsReadBinary, P1: 0x81, Ne: 4}
		}, 0x6987},
		{"wrong MAC", func(c apdu.Command) apdu.Command { c.Data[len(c.Data)-1] ^= 1; return c }, 0x6988},
		{"DO8E of 4 bytes", func(c apdu.Command) apdu.Command {
			c.Data = append(c.Data[:len(c.Data)-10:len(c.Data)-10], 0x8E, 0x04, 1, 2, 3, 4)
			return c
		}, 0x6988},
		{"bad cryptogram length", func(c apdu.Command) apdu.Command {
			// DO87 of 01 + 5 bytes (not a whole block), MAC left as it was.
			c.Data = append([]byte{0x87, 0x06, 0x01, 1, 2, 3, 4, 5}, c.Data...)
			return c
		}, 0x6988},
	} {
		if err := r.bac(keyOf(p)); err != nil {
			t.Fatal(err)
		}
		w, err := r.sm.S.WrapCommand(apdu.Command{INS: apdu.InsReadBinary, P1: 0x81, Ne: 4})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tc.mod(w).Bytes()
		if out, _ := card.Process(raw); !bytes.Equal(out, []byte{byte(tc.want >> 8), byte(tc.want)}) {
			t.Errorf("%s: % X, want %04X", tc.name, out, tc.want)
		}
		// The session is over: a correct protected command with the next SSC fails.
		next, _ := r.sm.S.WrapCommand(apdu.Command{INS: apdu.InsReadBinary, P1: 0x81, Ne: 4})
		nraw, _ := next.Bytes()
		if out, _ := card.Process(nraw); !bytes.Equal(out, []byte{0x69, 0x88}) {
			t.Errorf("%s: session still open: % X", tc.name, out)
		}
		r.sm = nil
	}
	// A plain command in a session ends it too.
	if err := r.bac(keyOf(p)); err != nil {
		t.Fatal(err)
	}
	r.sm.S.Abort() // the reader sends plain from here on
	r.sm = nil
	selectLDS(r)
	if out, _ := card.Process(raw); !bytes.Equal(out, []byte{0x69, 0x88}) {
		t.Errorf("SM command after a plain one: % X, want 6988", out)
	}
	// Power cycle: the session is gone.
	if err := r.bac(keyOf(p)); err != nil {
		t.Fatal(err)
	}
	card.PowerOff()
	card.PowerOn()
	if resp := r.send(apdu.Command{INS: apdu.InsReadBinary, P1: 0x81, Ne: 4}); resp.SW != 0x6988 {
		t.Errorf("SM read after power cycle: %04X, want 6988", resp.SW)
	}
}

func TestPIN(t *testing.T) {
	card, p, _ := newProfileCard(t, "adult.yaml")
	send := func(cmd string) uint16 {
		t.Helper()
		b, err := card.Process(unhex(t, cmd))
		if err != nil {
			t.Fatal(err)
		}
		r, _ := apdu.ParseResponse(b)
		return r.SW
	}
	verify := func(pin string) string { return "0020008106" + hex.EncodeToString([]byte(pin)) }
	send("00A4040C06F04453490001")
	steps := []struct {
		cmd string
		sw  uint16
	}{
		{"00200081", 0x63C3},
		{verify("000000"), 0x63C2},
		{"00200081", 0x63C2},
		{verify(p.PIN), 0x9000}, // right PIN resets the counter
		{"00200081", 0x9000},    // verified in this session
		{verify("000000"), 0x63C2},
		{"00200081", 0x63C2}, // a wrong PIN ends the verified state
		{verify("111111"), 0x63C1},
		{verify("abcdef"), 0x63C0}, // not digits: still a wrong PIN
		{"00200081", 0x6983},
		{verify(p.PIN), 0x6983}, // blocked: even the right PIN is refused
	}
	for i, s := range steps {
		if got := send(s.cmd); got != s.sw {
			t.Fatalf("step %d (%s): %04X, want %04X", i, s.cmd, got, s.sw)
		}
	}
	// The counter survives power cycles (it lives in the chip's memory).
	card.PowerOff()
	card.PowerOn()
	send("00A4040C06F04453490001")
	if got := send("00200081"); got != 0x6983 {
		t.Errorf("after power cycle: %04X, want 6983", got)
	}
	// The verified state does not survive a power cycle or leaving the application.
	card2, p2, _ := newProfileCard(t, "adult.yaml")
	card = card2
	send("00A4040C06F04453490001")
	send(verify(p2.PIN))
	send("00A4040C07A0000002471001")
	send("00A4040C06F04453490001")
	if got := send("00200081"); got != 0x63C3 {
		t.Errorf("after reselecting the application: %04X, want 63C3", got)
	}

	blocked, _, _ := newProfileCard(t, "blocked-pin.yaml")
	card = blocked
	send("00A4040C06F04453490001")
	if got := send("00200081"); got != 0x6983 {
		t.Errorf("blocked profile: %04X, want 6983", got)
	}
}

func TestExtendedLengthAndLimits(t *testing.T) {
	card, p, l := newProfileCard(t, "bench-20k.yaml")
	r := &reader{t: t, card: card}
	selectLDS(r)
	if err := r.bac(keyOf(p)); err != nil {
		t.Fatal(err)
	}
	// The whole DG2 in one extended READ BINARY (Le 0000 = 65536: all there is).
	resp := r.send(apdu.Command{INS: apdu.InsReadBinary, P1: 0x82, Ne: apdu.MaxExtendedNe, Extended: true})
	if resp.SW != 0x6282 || !bytes.Equal(resp.Data, l.DG[2]) {
		t.Errorf("DG2 in one read: %04X, %d of %d bytes", resp.SW, len(resp.Data), len(l.DG[2]))
	}
}

func TestPullOnRead(t *testing.T) {
	card, p, _ := newProfileCard(t, "adult.yaml")
	r := &reader{t: t, card: card}
	selectLDS(r)
	if err := r.bac(keyOf(p)); err != nil {
		t.Fatal(err)
	}
	card.PullOnRead(FIDDG2, 2)
	r.send(apdu.Command{INS: apdu.InsSelect, P1: 0x02, P2: 0x0C, Data: []byte{0x01, 0x02}})
	if resp := r.send(apdu.Command{INS: apdu.InsReadBinary, Ne: 4}); !resp.OK() {
		t.Fatalf("first DG2 read: %04X", resp.SW)
	}
	wrapped, _ := r.sm.S.WrapCommand(apdu.Command{INS: apdu.InsReadBinary, P2: 4, Ne: 0xDF})
	raw, _ := wrapped.Bytes()
	if _, err := card.Process(raw); err != ErrPull {
		t.Errorf("second DG2 read: err = %v, want ErrPull", err)
	}
}

func TestATR(t *testing.T) {
	atr := (&Card{}).ATR()
	var x byte
	for _, b := range atr[1:] {
		x ^= b
	}
	if atr[0] != 0x3B || x != 0 {
		t.Errorf("ATR % X: bad TS or TCK", atr)
	}
	// Walk the interface bytes (ISO 7816-3 §8.2.3): each TDi's low nibble is a
	// protocol offered, the first one being the default. The card speaks T=1 only.
	var protocols []byte
	n, y := 1, atr[1]>>4
	for {
		n += bits.OnesCount8(y & 0x7) // TAi, TBi, TCi
		if y&0x8 == 0 {
			break
		}
		n++
		protocols = append(protocols, atr[n]&0x0F)
		y = atr[n] >> 4
	}
	if !bytes.Equal(protocols, []byte{1}) {
		t.Errorf("ATR % X offers protocols %v, want T=1 only", atr, protocols)
	}
	k := int(atr[1] & 0x0F)
	if n+1+k+1 != len(atr) {
		t.Errorf("ATR % X: %d interface bytes, %d historical bytes and TCK do not add up", atr, n, k)
	}
	hist := atr[len(atr)-1-k : len(atr)-1]
	// Card capabilities (compact-TLV tag 7, length 3): third byte bit 7 = extended Lc/Le.
	i := bytes.IndexByte(hist, 0x73)
	if hist[0] != 0x80 || i < 0 || hist[i+3]&0x40 == 0 {
		t.Errorf("historical bytes % X do not advertise extended length", hist)
	}
}

// TestLargeFileOddReadBinary: a DG2 beyond 32 KiB is read with READ BINARY B1 (offset
// in DO54, data in DO53) past offset 32767, by hand and by the reader's LDS code.
func TestLargeFileOddReadBinary(t *testing.T) {
	p := loadTestProfile(t, "adult.yaml")
	img := image.NewRGBA(image.Rect(0, 0, 400, 400))
	rand.Read(img.Pix)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < 40000 {
		t.Fatalf("test photo only %d bytes", buf.Len())
	}
	if err := p.SetPhoto(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	pki := testPKI(t)
	card, err := NewCardFromProfile(p, pki, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	card.PowerOn()
	dg2 := card.files[FIDDG2].data
	r := &reader{t: t, card: card}
	selectLDS(r)
	if err := r.bac(keyOf(p)); err != nil {
		t.Fatal(err)
	}
	odd := func(p1, p2 byte, off, ne int) apdu.Response {
		return r.send(apdu.Command{INS: apdu.InsReadBinaryOdd, P1: p1, P2: p2, Data: tlv.Encode(0x54, []byte{byte(off >> 16), byte(off >> 8), byte(off)}), Ne: ne})
	}
	// By SFI 02 in P2, at 40000: 53 81 DC + 220 bytes fills Le 223.
	resp := odd(0x00, 0x02, 40000, 223)
	o, err := tlv.ParseOne(resp.Data)
	if resp.SW != 0x9000 || err != nil || o.Tag != 0x53 || !bytes.Equal(o.Value, dg2[40000:40000+len(o.Value)]) || len(resp.Data) > 223 {
		t.Fatalf("B1 at 40000: %04X, %d bytes, %v", resp.SW, len(resp.Data), err)
	}
	// The minimal offset encoding (two bytes up to 65535) reads the same bytes.
	resp2 := r.send(apdu.Command{INS: apdu.InsReadBinaryOdd, P2: 0x02, Data: tlv.Encode(0x54, []byte{byte(40000 >> 8), byte(40000 & 0xFF)}), Ne: 223})
	if resp2.SW != 0x9000 || !bytes.Equal(resp2.Data, resp.Data) {
		t.Fatalf("B1 at 40000, 2-byte offset: %04X, %d bytes", resp2.SW, len(resp2.Data))
	}
	// Current EF (0000), to the end: 6282 with the rest.
	resp = odd(0x00, 0x00, len(dg2)-10, 100)
	if o, err := tlv.ParseOne(resp.Data); resp.SW != 0x6282 || err != nil || !bytes.Equal(o.Value, dg2[len(dg2)-10:]) {
		t.Errorf("B1 to the end: %04X % X", resp.SW, resp.Data)
	}
	// By file identifier, past the end; bad offset object.
	if resp = odd(0x01, 0x02, len(dg2), 16); resp.SW != 0x6B00 {
		t.Errorf("B1 past the end: %04X, want 6B00", resp.SW)
	}
	if resp = r.send(apdu.Command{INS: apdu.InsReadBinaryOdd, Data: []byte{0x55, 0x01, 0x00}, Ne: 16}); resp.SW != 0x6A80 {
		t.Errorf("B1 without DO54: %04X, want 6A80", resp.SW)
	}
	// The reader's LDS code, short APDUs: B0 up to 32767, B1 beyond.
	for _, ext := range []bool{false, true} {
		lr := &lds.Reader{T: r.sm, SM: true, Extended: ext}
		got, err := lr.ReadFile(context.Background(), lds.DG2, true)
		if err != nil || !bytes.Equal(got, dg2) {
			t.Errorf("lds.Reader (extended %v): %d of %d bytes, %v", ext, len(got), len(dg2), err)
		}
	}
}

// FuzzProcess: no command, plain or after BAC, makes the card panic or answer
// without a status word.
func FuzzProcess(f *testing.F) {
	for _, s := range []string{"00A4040C07A0000002471001", "0084000008", "00B0810004", "0CB000000D9701048E08ED6705417E96BA5500",
		"00B1000003540100", "0020008106313233343536", "00B000000000FF", "00A4020C02011C", "0082000028" + strings.Repeat("00", 40) + "28"} {
		f.Add(unhex(f, s), false)
		f.Add(unhex(f, s), true)
	}
	p, err := LoadProfile("testdata/adult.yaml")
	if err != nil {
		f.Fatal(err)
	}
	pki := testPKI(f)
	l, err := BuildLDS(p, pki.Valid.Key, pki.Valid.Cert, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	key := keyOf(p)
	f.Fuzz(func(t *testing.T, cmd []byte, afterBAC bool) {
		card, err := NewCard(CardConfig{LDS: l, BACKey: key, PIN: p.PIN, PINTries: 3})
		if err != nil {
			t.Fatal(err)
		}
		card.PowerOn()
		if afterBAC {
			r := &reader{t: t, card: card}
			selectLDS(r)
			if err := r.bac(key); err != nil {
				t.Fatal(err)
			}
		}
		out, err := card.Process(cmd)
		if err != nil || len(out) < 2 {
			t.Fatalf("Process(% X) = % X, %v", cmd, out, err)
		}
	})
}

// The ATR must advertise extended Lc/Le (ISO 7816-4 §12.1.1.9, third software
// function table b7) so that a reader that follows the standard uses it; its TCK
// must be right for T=1.
func TestATRAdvertisesExtendedLength(t *testing.T) {
	if sup, known := lds.ATRSupportsExtended(ATR); !sup || !known {
		t.Fatalf("ATR % X: extended %v known %v", ATR, sup, known)
	}
	var tck byte
	for _, b := range ATR[1:] {
		tck ^= b
	}
	if tck != 0 {
		t.Fatalf("ATR % X: TCK check %02X", ATR, tck)
	}
}
