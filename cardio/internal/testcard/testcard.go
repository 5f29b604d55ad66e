// Package testcard is an in-process BIR card for unit tests of the reader: it answers
// APDUs through the apdu.Transceiver interface with BAC, 3DES secure messaging, the
// LDS files, the DSI application and its PIN, and can be told to misbehave (refuse
// extended length, be pulled after N commands). It is deliberately small and written
// from ISO 7816-4 / Doc 9303 directly; the full emulator behind vpcd is
// cardio/emulator, and integration tests use that one.
package testcard

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"sync"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/icao"
)

// ErrPulled is what Transmit returns once the card has been pulled.
var ErrPulled = errors.New("testcard: card removed")

// ErrNotTransacted is the transport failure of TransportNoExtended.
var ErrNotTransacted = errors.New("testcard: scard: transaction failed (SCARD_E_NOT_TRANSACTED)")

// ATR says extended Lc and Le in the card capabilities (ISO 7816-4 §12.1.1.9);
// ATRSilent has no card capabilities at all.
var (
	ATR       = []byte{0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x94, 0x01, 0x40, 0x22}
	ATRShort  = []byte{0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x94, 0x01, 0x00, 0x62}
	ATRSilent = []byte{0x3B, 0x83, 0x80, 0x01, 0x80, 0x31, 0xC0, 0x73}
)

// Card is an in-process card.
type Card struct {
	mu sync.Mutex
	// Files of the LDS application by FID, and their SFI → FID map.
	LDS  map[uint16][]byte
	SFI  map[byte]uint16
	Key  icao.BACKey
	Info []byte // DSI EF.CardInfo (FID D001)
	PIN  string
	// Tries is the PIN counter (3 at start; 0 blocked).
	Tries int
	// NoExtended makes the card answer 6700 to any extended-length command.
	NoExtended bool
	// TransportNoExtended makes Transmit fail every extended-length command as a
	// short-APDU-only CCID reader does (SCARD_E_NOT_TRANSACTED); the card never sees it.
	TransportNoExtended bool
	// ATRInfo, when set, is EF.ATR/INFO (2F01, SFI 01) in the MF.
	ATRInfo []byte
	// PullAfter, if > 0, pulls the card when that many commands have been received.
	PullAfter int
	// Commands counts the commands received; ExtendedSeen those in extended length;
	// PastEnd the READ BINARYs that asked beyond the end of the file.
	Commands, ExtendedSeen, PastEnd int
	// Log keeps the plain INS of every command for assertions.
	Log []byte
	// OddOffsets keeps the value of every DO54 (offset) of READ BINARY B1.
	OddOffsets [][]byte

	app         string // "", "lds", "dsi"
	current     uint16
	bac         *icao.BACChip
	sm          *icao.Session
	pinVerified bool
	pulled      bool
}

var (
	aidLDS = []byte{0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}
	aidDSI = []byte{0xF0, 0x44, 0x53, 0x49, 0x00, 0x01}
)

// Reset is a warm reset: session state goes, the PIN counter stays.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.app, c.current, c.bac, c.sm, c.pinVerified = "", 0, nil, nil, false
}

// Transmit implements apdu.Transceiver.
func (c *Card) Transmit(ctx context.Context, raw []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.pulled {
		return nil, ErrPulled
	}
	c.Commands++
	if c.PullAfter > 0 && c.Commands >= c.PullAfter {
		c.pulled = true
		return nil, ErrPulled
	}
	cmd, err := apdu.ParseCommand(raw)
	if err != nil {
		return sw(0x6700), nil
	}
	if cmd.IsExtended() {
		c.ExtendedSeen++
	}
	if c.TransportNoExtended && cmd.IsExtended() {
		return nil, ErrNotTransacted
	}
	if c.NoExtended && cmd.IsExtended() {
		return sw(0x6700), nil
	}
	if cmd.CLA&0x0C == 0x0C {
		if c.sm == nil {
			return sw(0x6988), nil
		}
		plain, err := c.sm.UnwrapCommand(cmd)
		if err != nil {
			c.sm = nil
			return sw(0x6988), nil
		}
		c.Log = append(c.Log, plain.INS)
		resp := c.handle(plain, true)
		if c.sm == nil {
			return resp.Bytes(), nil
		}
		w, err := c.sm.WrapResponse(plain.INS, resp)
		if err != nil {
			return sw(0x6F00), nil
		}
		return w.Bytes(), nil
	}
	c.Log = append(c.Log, cmd.INS)
	if c.app == "lds" && c.sm != nil && cmd.INS != apdu.InsSelect {
		// A plain command inside the SM session ends it (Doc 9303 Part 11 §9.8.2).
		c.sm = nil
		return sw(0x6987), nil
	}
	return c.handle(cmd, false).Bytes(), nil
}

func sw(s uint16) []byte { return []byte{byte(s >> 8), byte(s)} }

func (c *Card) handle(cmd apdu.Command, secure bool) apdu.Response {
	if cmd.CLA&^0x0C != 0 {
		return apdu.Response{SW: 0x6E00}
	}
	switch cmd.INS {
	case apdu.InsSelect:
		return c.selectFile(cmd)
	case apdu.InsGetChallenge:
		if c.app != "lds" {
			return apdu.Response{SW: 0x6985}
		}
		var err error
		if c.bac, err = icao.NewBACChip(c.Key, rand.Reader); err != nil {
			return apdu.Response{SW: 0x6F00}
		}
		ch, _ := c.bac.Challenge()
		return apdu.Response{Data: ch, SW: 0x9000}
	case apdu.InsExternalAuthenticate:
		if c.bac == nil {
			return apdu.Response{SW: 0x6985}
		}
		resp, sess, err := c.bac.Authenticate(cmd.Data)
		c.bac = nil
		if err != nil {
			return apdu.Response{SW: 0x6300}
		}
		c.sm = sess
		return apdu.Response{Data: resp, SW: 0x9000}
	case apdu.InsReadBinary, apdu.InsReadBinaryOdd:
		return c.read(cmd, secure)
	case apdu.InsVerify:
		return c.verify(cmd)
	}
	return apdu.Response{SW: 0x6D00}
}

func (c *Card) selectFile(cmd apdu.Command) apdu.Response {
	switch cmd.P1 {
	case 0x04:
		switch {
		case bytes.Equal(cmd.Data, aidLDS):
			c.app, c.sm, c.current = "lds", nil, 0
		case bytes.Equal(cmd.Data, aidDSI):
			c.app, c.sm, c.current = "dsi", nil, 0
		default:
			return apdu.Response{SW: 0x6A82}
		}
		return apdu.Response{SW: 0x9000}
	case 0x00:
		if !bytes.Equal(cmd.Data, []byte{0x3F, 0x00}) {
			return apdu.Response{SW: 0x6A82}
		}
		c.app, c.sm, c.current = "", nil, 0
		return apdu.Response{SW: 0x9000}
	case 0x02:
		if len(cmd.Data) != 2 {
			return apdu.Response{SW: 0x6700}
		}
		fid := uint16(cmd.Data[0])<<8 | uint16(cmd.Data[1])
		if _, ok := c.file(fid); !ok {
			return apdu.Response{SW: 0x6A82}
		}
		if c.app == "lds" && c.sm == nil {
			return apdu.Response{SW: 0x6982}
		}
		c.current = fid
		return apdu.Response{SW: 0x9000}
	}
	return apdu.Response{SW: 0x6A86}
}

func (c *Card) file(fid uint16) ([]byte, bool) {
	switch c.app {
	case "lds":
		f, ok := c.LDS[fid]
		return f, ok
	case "dsi":
		if fid == 0xD001 && c.Info != nil {
			return c.Info, true
		}
	case "":
		if fid == 0x2F01 && c.ATRInfo != nil {
			return c.ATRInfo, true
		}
	}
	return nil, false
}

func (c *Card) read(cmd apdu.Command, secure bool) apdu.Response {
	if c.app == "lds" && !secure {
		return apdu.Response{SW: 0x6982}
	}
	off := int(cmd.P1&0x7F)<<8 | int(cmd.P2)
	if cmd.INS == apdu.InsReadBinary && cmd.P1&0x80 != 0 {
		fid, ok := c.SFI[cmd.P1&0x1F]
		if c.app == "" && cmd.P1&0x1F == 0x01 {
			fid, ok = 0x2F01, c.ATRInfo != nil
		}
		if !ok || (c.app != "lds" && fid != 0x2F01) {
			return apdu.Response{SW: 0x6A82}
		}
		c.current = fid
		off = int(cmd.P2)
	}
	if cmd.INS == apdu.InsReadBinaryOdd {
		if len(cmd.Data) < 3 || cmd.Data[0] != 0x54 || int(cmd.Data[1]) != len(cmd.Data)-2 {
			return apdu.Response{SW: 0x6A80}
		}
		c.OddOffsets = append(c.OddOffsets, append([]byte(nil), cmd.Data[2:]...))
		off = 0
		for _, b := range cmd.Data[2:] {
			off = off<<8 | int(b)
		}
	}
	f, ok := c.file(c.current)
	if !ok {
		return apdu.Response{SW: 0x6986}
	}
	if off > len(f) {
		return apdu.Response{SW: 0x6B00}
	}
	n := cmd.Ne
	status := uint16(0x9000)
	if off+n > len(f) {
		n = len(f) - off
		if cmd.Ne == apdu.MaxShortNe && !cmd.Extended && cmd.INS == apdu.InsReadBinary {
			// Le 00: "all the bytes until the end of the file, within 256" (ISO
			// 7816-4 §11.3.3), a normal completion.
		} else {
			status = 0x6282
			c.PastEnd++
		}
	}
	data := f[off : off+n]
	if cmd.INS == apdu.InsReadBinaryOdd {
		hdr := []byte{0x53, 0x82, byte(n >> 8), byte(n)}
		if len(hdr)+n > cmd.Ne {
			n = cmd.Ne - len(hdr)
			data = f[off : off+n]
			hdr = []byte{0x53, 0x82, byte(n >> 8), byte(n)}
		}
		data = append(hdr, data...)
	}
	return apdu.Response{Data: append([]byte(nil), data...), SW: status}
}

func (c *Card) verify(cmd apdu.Command) apdu.Response {
	if c.app != "dsi" {
		return apdu.Response{SW: 0x6985}
	}
	if cmd.P1 != 0x00 || cmd.P2 != 0x81 {
		return apdu.Response{SW: 0x6A86}
	}
	if c.Tries == 0 {
		return apdu.Response{SW: 0x6983}
	}
	if len(cmd.Data) == 0 {
		if c.pinVerified {
			return apdu.Response{SW: 0x9000}
		}
		return apdu.Response{SW: 0x63C0 | uint16(c.Tries)}
	}
	if len(cmd.Data) != len(c.PIN) { // a card knows its own PIN's length
		return apdu.Response{SW: 0x6700}
	}
	if string(cmd.Data) == c.PIN {
		c.Tries, c.pinVerified = 3, true
		return apdu.Response{SW: 0x9000}
	}
	c.Tries--
	c.pinVerified = false
	return apdu.Response{SW: 0x63C0 | uint16(c.Tries)}
}
