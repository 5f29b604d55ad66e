package vpcdtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/emulator"
	"github.com/macau-dsi/kiosk/cardio/icao"
)

const profileDir = "../emulator/testdata"

// pcsc is a raw PC/SC connection, as any reader program would open it.
type pcsc struct {
	t    *testing.T
	ctx  *scard.Context
	card *scard.Card
}

func connect(t *testing.T, reader string) *pcsc {
	t.Helper()
	c, err := scard.EstablishContext()
	if err != nil {
		t.Fatalf("EstablishContext: %v", err)
	}
	t.Cleanup(func() { c.Release() })
	readers, err := c.ListReaders()
	if err != nil {
		t.Fatalf("ListReaders: %v", err)
	}
	if !slices.Contains(readers, reader) {
		t.Fatalf("reader %q not in %q", reader, readers)
	}
	card, err := c.Connect(reader, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	p := &pcsc{t: t, ctx: c, card: card}
	t.Cleanup(func() { p.card.Disconnect(scard.LeaveCard) })
	return p
}

func (p *pcsc) Transmit(_ context.Context, cmd []byte) ([]byte, error) { return p.card.Transmit(cmd) }

func (p *pcsc) send(cmd apdu.Command) apdu.Response {
	p.t.Helper()
	r, err := apdu.Exchange(context.Background(), p, cmd)
	if err != nil {
		p.t.Fatalf("INS %02X: %v", cmd.INS, err)
	}
	return r
}

func TestRawAPDUsReachTheEmulator(t *testing.T) {
	env := StartT(t, Options{Profile: filepath.Join(profileDir, "adult.yaml")})
	p := connect(t, env.ReaderName)

	st, err := p.card.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(st.Atr, emulator.ATR) {
		t.Errorf("ATR through pcscd % X, want % X", st.Atr, emulator.ATR)
	}
	before := env.APDUs()
	for _, tc := range []struct {
		cmd apdu.Command
		sw  uint16
	}{
		{apdu.Command{INS: apdu.InsSelect, P1: 0x00, P2: 0x0C, Data: []byte{0x01, 0x1C}}, 0x6A82}, // EF.CardAccess: BAC-only card
		{apdu.Command{INS: apdu.InsSelect, P1: 0x04, P2: 0x0C, Data: emulator.AIDLDS}, 0x9000},
		{apdu.Command{INS: apdu.InsReadBinary, P1: 0x9E, Ne: 4}, 0x6982}, // EF.COM before BAC
		{apdu.Command{INS: apdu.InsSelect, P1: 0x04, P2: 0x0C, Data: emulator.AIDDSI}, 0x9000},
		{apdu.Command{INS: apdu.InsVerify, P2: 0x81}, 0x63C3},
	} {
		if r := p.send(tc.cmd); r.SW != tc.sw {
			t.Errorf("INS %02X P1 %02X: %04X, want %04X", tc.cmd.INS, tc.cmd.P1, r.SW, tc.sw)
		}
	}
	if n := env.APDUs() - before; n != 5 {
		t.Errorf("emulator answered %d APDUs, want 5", n)
	}

	// BAC and an extended-length read of the whole DG2 through pcscd and vpcd.
	p.send(apdu.Command{INS: apdu.InsSelect, P1: 0x04, P2: 0x0C, Data: emulator.AIDLDS})
	key := icao.BACKey{DocumentNumber: env.Profile.DocumentNumber, BirthDate: env.Profile.BirthTime().Format("060102"), ExpiryDate: env.Profile.ExpiryTime().Format("060102")}
	sess, err := icao.BAC(context.Background(), p, key, rand.Reader)
	if err != nil {
		t.Fatalf("BAC through pcscd: %v", err)
	}
	sm := &icao.SecureChannel{T: p, S: sess}
	r, err := apdu.Exchange(context.Background(), sm, apdu.Command{INS: apdu.InsReadBinary, P1: 0x82, Ne: apdu.MaxExtendedNe, Extended: true})
	if err != nil {
		t.Fatalf("extended READ BINARY of DG2: %v", err)
	}
	img, _ := env.Profile.PhotoData()
	if r.SW != 0x6282 || !bytes.Contains(r.Data, img) {
		t.Errorf("DG2 in one extended read: %04X, %d bytes", r.SW, len(r.Data))
	}
}

func TestPullAndInsert(t *testing.T) {
	env := StartT(t, Options{Profile: filepath.Join(profileDir, "minor.yaml")})
	p := connect(t, env.ReaderName)
	if r := p.send(apdu.Command{INS: apdu.InsSelect, P1: 0x04, P2: 0x0C, Data: emulator.AIDLDS}); !r.OK() {
		t.Fatalf("SELECT: %04X", r.SW)
	}
	if err := env.Pull(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.card.Transmit([]byte{0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0, 0, 2, 0x47, 0x10, 0x01}); err == nil {
		t.Error("Transmit succeeded with the card pulled")
	} else if !errors.Is(err, scard.ErrRemovedCard) && !errors.Is(err, scard.ErrResetCard) && !errors.Is(err, scard.ErrNoSmartcard) {
		t.Logf("Transmit with the card pulled: %v", err)
	}
	p.card.Disconnect(scard.LeaveCard)
	if err := env.Insert(); err != nil {
		t.Fatal(err)
	}
	p2 := connect(t, env.ReaderName)
	if r := p2.send(apdu.Command{INS: apdu.InsSelect, P1: 0x04, P2: 0x0C, Data: emulator.AIDLDS}); !r.OK() {
		t.Fatalf("SELECT after re-insert: %04X", r.SW)
	}

	// Pulled in the middle of DG2: the second READ BINARY of DG2 never gets an answer.
	key := icao.BACKey{DocumentNumber: env.Profile.DocumentNumber, BirthDate: env.Profile.BirthTime().Format("060102"), ExpiryDate: env.Profile.ExpiryTime().Format("060102")}
	sess, err := icao.BAC(context.Background(), p2, key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sm := &icao.SecureChannel{T: p2, S: sess}
	env.PullOnRead(emulator.FIDDG2, 2)
	if r, err := apdu.Exchange(context.Background(), sm, apdu.Command{INS: apdu.InsReadBinary, P1: 0x82, Ne: 4}); err != nil || !r.OK() {
		t.Fatalf("first DG2 read: %v %04X", err, r.SW)
	}
	if _, err := apdu.Exchange(context.Background(), sm, apdu.Command{INS: apdu.InsReadBinary, P2: 4, Ne: 0xDF}); err == nil {
		t.Error("second DG2 read succeeded; the card should have been pulled")
	}
	if err := env.WaitRemoved(); err != nil {
		t.Fatal(err)
	}
}

func TestStartRejectsBadProfile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("document_number: lower\n"), 0o644)
	_, err := Start(context.Background(), Options{Profile: bad})
	if errors.Is(err, ErrUnavailable) {
		t.Skip(err)
	}
	if !errors.Is(err, emulator.ErrBadProfile) {
		t.Errorf("err = %v, want ErrBadProfile", err)
	}
}

func TestLockSerialises(t *testing.T) {
	env := StartT(t, Options{Profile: filepath.Join(profileDir, "adult.yaml")})
	_ = env
	// A second user waits for the lock; with a short timeout it gives up saying who holds it.
	_, err := Start(context.Background(), Options{Profile: filepath.Join(profileDir, "adult.yaml"), LockTimeout: 300 * time.Millisecond})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Start while the first runs: %v, want a lock timeout", err)
	}
}

// TestNoNetnsFallback: where pcscd cannot get a network namespace of its own (no
// CAP_SYS_ADMIN), the card still works, through vpcd's port on this namespace, and
// VPCDIsolated says the port is open; with one, the port is out of reach.
func TestNoNetnsFallback(t *testing.T) {
	for _, netns := range []bool{true, false} {
		t.Run(fmt.Sprintf("netns=%v", netns), func(t *testing.T) {
			defer func(v bool) { useNetns = v }(useNetns)
			useNetns = netns
			env := StartT(t, Options{})
			if env == nil {
				return
			}
			if !env.StartedPcscd() {
				t.Skip("a pcscd this test did not start is running")
			}
			if env.VPCDIsolated() != netns {
				t.Errorf("VPCDIsolated %v with netns %v", env.VPCDIsolated(), netns)
			}
			c, err := net.DialTimeout("tcp", "127.0.0.1:35963", time.Second)
			if err == nil {
				c.Close()
			}
			if (err == nil) == netns {
				t.Errorf("vpcd's port reachable here: %v, want %v", err == nil, !netns)
			}
			p := connect(t, env.ReaderName)
			if r := p.send(apdu.Command{INS: apdu.InsSelect, P1: 0x04, P2: 0x0C, Data: []byte{0xF0, 0x44, 0x53, 0x49, 0x00, 0x01}}); r.SW != 0x9000 {
				t.Errorf("SELECT DSI: %04X", r.SW)
			}
		})
	}
}
