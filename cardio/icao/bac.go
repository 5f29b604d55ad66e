package icao

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"

	"github.com/macau-dsi/kiosk/cardio/apdu"
)

// ErrBACFailed is returned when mutual authentication does not check out (wrong
// document number or dates, or a chip answering with the wrong keys).
var ErrBACFailed = errors.New("icao: BAC mutual authentication failed")

func xor(a, b []byte) []byte {
	out := make([]byte, len(a))
	subtle.XORBytes(out, a, b)
	return out
}

// sessionFromBAC derives KSenc, KSmac and the SSC from the two key halves and nonces
// (Doc 9303 Part 11 §9.7.4 and §9.8.2).
func sessionFromBAC(kIFD, kIC, rndIC, rndIFD []byte) (*Session, error) {
	seed := xor(kIFD, kIC)
	ssc := append(append([]byte(nil), rndIC[4:8]...), rndIFD[4:8]...)
	return NewSession(TDES, DeriveKey(seed, CounterEnc, TDES), DeriveKey(seed, CounterMAC, TDES), ssc)
}

// BACTerminal is the reader's side of BAC mutual authentication.
type BACTerminal struct {
	kenc, kmac   []byte
	rand         io.Reader
	rndIC        []byte
	rndIFD, kIFD []byte
}

// NewBACTerminal prepares BAC with the document basic access keys. rand supplies
// RND.IFD then K.IFD (crypto/rand in production; fixed bytes in tests).
func NewBACTerminal(key BACKey, rand io.Reader) (*BACTerminal, error) {
	kenc, kmac, err := key.Keys()
	if err != nil {
		return nil, err
	}
	return &BACTerminal{kenc: kenc, kmac: kmac, rand: rand}, nil
}

// ExternalAuthenticateData builds E.IFD || M.IFD for EXTERNAL AUTHENTICATE from the
// chip's challenge RND.IC.
func (t *BACTerminal) ExternalAuthenticateData(rndIC []byte) ([]byte, error) {
	if len(rndIC) != 8 {
		return nil, fmt.Errorf("%w: challenge of %d bytes", ErrBACFailed, len(rndIC))
	}
	t.rndIC = append([]byte(nil), rndIC...)
	t.rndIFD = make([]byte, 8)
	t.kIFD = make([]byte, 16)
	if _, err := io.ReadFull(t.rand, t.rndIFD); err != nil {
		return nil, fmt.Errorf("icao: RND.IFD: %w", err)
	}
	if _, err := io.ReadFull(t.rand, t.kIFD); err != nil {
		return nil, fmt.Errorf("icao: K.IFD: %w", err)
	}
	s := make([]byte, 0, 32)
	s = append(s, t.rndIFD...)
	s = append(s, t.rndIC...)
	s = append(s, t.kIFD...)
	eIFD, err := TDESEncrypt(t.kenc, nil, s)
	if err != nil {
		return nil, err
	}
	mIFD, err := RetailMAC(t.kmac, Pad(eIFD, 8))
	if err != nil {
		return nil, err
	}
	return append(eIFD, mIFD...), nil
}

// Finish checks the chip's answer E.IC || M.IC and returns the SM session.
func (t *BACTerminal) Finish(resp []byte) (*Session, error) {
	if t.rndIFD == nil {
		return nil, errors.New("icao: BAC Finish before ExternalAuthenticateData")
	}
	if len(resp) != 40 {
		return nil, fmt.Errorf("%w: answer of %d bytes", ErrBACFailed, len(resp))
	}
	m, err := RetailMAC(t.kmac, Pad(resp[:32], 8))
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(m, resp[32:]) != 1 {
		return nil, fmt.Errorf("%w: chip MAC", ErrBACFailed)
	}
	r, err := TDESDecrypt(t.kenc, nil, resp[:32])
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(r[:8], t.rndIC) || !bytes.Equal(r[8:16], t.rndIFD) {
		return nil, fmt.Errorf("%w: nonces do not match", ErrBACFailed)
	}
	return sessionFromBAC(t.kIFD, r[16:32], t.rndIC, t.rndIFD)
}

// BACChip is the chip's side of BAC mutual authentication (used by the emulator).
type BACChip struct {
	kenc, kmac []byte
	rand       io.Reader
	rndIC      []byte
}

// NewBACChip prepares the chip side. rand supplies RND.IC (at GET CHALLENGE) then K.IC.
func NewBACChip(key BACKey, rand io.Reader) (*BACChip, error) {
	kenc, kmac, err := key.Keys()
	if err != nil {
		return nil, err
	}
	return &BACChip{kenc: kenc, kmac: kmac, rand: rand}, nil
}

// Challenge answers GET CHALLENGE with a fresh RND.IC.
func (c *BACChip) Challenge() ([]byte, error) {
	c.rndIC = make([]byte, 8)
	if _, err := io.ReadFull(c.rand, c.rndIC); err != nil {
		return nil, fmt.Errorf("icao: RND.IC: %w", err)
	}
	return append([]byte(nil), c.rndIC...), nil
}

// Authenticate answers EXTERNAL AUTHENTICATE: it checks M.IFD and RND.IC and returns
// E.IC || M.IC and the session. Any failure means the chip answers 6300 (Doc 9303
// Part 11 §9.7.4 leaves the status to the chip; 6300 is common) and keeps no session.
func (c *BACChip) Authenticate(data []byte) ([]byte, *Session, error) {
	rndIC := c.rndIC
	c.rndIC = nil // one try per challenge
	if rndIC == nil {
		return nil, nil, fmt.Errorf("%w: no challenge issued", ErrBACFailed)
	}
	if len(data) != 40 {
		return nil, nil, fmt.Errorf("%w: %d bytes", ErrBACFailed, len(data))
	}
	m, err := RetailMAC(c.kmac, Pad(data[:32], 8))
	if err != nil {
		return nil, nil, err
	}
	if subtle.ConstantTimeCompare(m, data[32:]) != 1 {
		return nil, nil, fmt.Errorf("%w: terminal MAC", ErrBACFailed)
	}
	s, err := TDESDecrypt(c.kenc, nil, data[:32])
	if err != nil {
		return nil, nil, err
	}
	if !bytes.Equal(s[8:16], rndIC) {
		return nil, nil, fmt.Errorf("%w: RND.IC does not match", ErrBACFailed)
	}
	rndIFD, kIFD := s[:8], s[16:32]
	kIC := make([]byte, 16)
	if _, err := io.ReadFull(c.rand, kIC); err != nil {
		return nil, nil, fmt.Errorf("icao: K.IC: %w", err)
	}
	r := make([]byte, 0, 32)
	r = append(r, rndIC...)
	r = append(r, rndIFD...)
	r = append(r, kIC...)
	eIC, err := TDESEncrypt(c.kenc, nil, r)
	if err != nil {
		return nil, nil, err
	}
	mIC, err := RetailMAC(c.kmac, Pad(eIC, 8))
	if err != nil {
		return nil, nil, err
	}
	sess, err := sessionFromBAC(kIFD, kIC, rndIC, rndIFD)
	if err != nil {
		return nil, nil, err
	}
	return append(eIC, mIC...), sess, nil
}

// BAC runs GET CHALLENGE and EXTERNAL AUTHENTICATE over t and returns the session.
// The LDS application must already be selected.
func BAC(ctx context.Context, t apdu.Transceiver, key BACKey, rand io.Reader) (*Session, error) {
	term, err := NewBACTerminal(key, rand)
	if err != nil {
		return nil, err
	}
	resp, err := apdu.Exchange(ctx, t, apdu.Command{INS: apdu.InsGetChallenge, Ne: 8})
	if err != nil {
		return nil, fmt.Errorf("GET CHALLENGE: %w", err)
	}
	if err := resp.Err(); err != nil {
		return nil, fmt.Errorf("GET CHALLENGE: %w", err)
	}
	data, err := term.ExternalAuthenticateData(resp.Data)
	if err != nil {
		return nil, err
	}
	resp, err = apdu.Exchange(ctx, t, apdu.Command{INS: apdu.InsExternalAuthenticate, Data: data, Ne: 40})
	if err != nil {
		return nil, fmt.Errorf("EXTERNAL AUTHENTICATE: %w", err)
	}
	if err := resp.Err(); err != nil {
		// A chip rejects wrong access keys with a status word (often 6300).
		return nil, fmt.Errorf("EXTERNAL AUTHENTICATE: %w: %w", ErrBACFailed, err)
	}
	return term.Finish(resp.Data)
}
