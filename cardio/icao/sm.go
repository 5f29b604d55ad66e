package icao

import (
	"crypto/aes"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// Errors of secure messaging. The chip ends the session on any of them and answers
// in plain: 6987 for ErrSMMissing (and ErrNotSM), 6988 for the others (ISO 7816-4
// §5.6, Doc 9303 Part 11 §9.8.6.1).
var (
	ErrSMMAC     = errors.New("icao: secure messaging checksum mismatch")
	ErrSMObjects = errors.New("icao: missing or malformed secure messaging data objects")
	// ErrSMMissing is a mandatory data object absent (always with ErrSMObjects).
	ErrSMMissing  = errors.New("icao: expected secure messaging data objects missing")
	ErrNotSM      = errors.New("icao: command is not secure messaging")
	ErrAlreadySM  = errors.New("icao: command already carries secure messaging")
	ErrSMFinished = errors.New("icao: secure messaging session ended after an error")
)

// SM data object tags (ISO 7816-4 §10, Doc 9303 Part 11 §9.8).
const (
	TagDO85 tlv.Tag = 0x85 // cryptogram, odd INS (no padding indicator)
	TagDO87 tlv.Tag = 0x87 // padding indicator 01 + cryptogram
	TagDO97 tlv.Tag = 0x97 // Le
	TagDO99 tlv.Tag = 0x99 // processing status
	TagDO8E tlv.Tag = 0x8E // cryptographic checksum
)

// suite is one SM algorithm: 3DES (BAC, PACE with 3DES) or AES (PACE).
type suite interface {
	blockSize() int
	encrypt(ssc, padded []byte) ([]byte, error)
	decrypt(ssc, ct []byte) ([]byte, error)
	mac(padded []byte) ([]byte, error) // 8 bytes
}

type tdesSuite struct{ kenc, kmac []byte }

func (s tdesSuite) blockSize() int                      { return 8 }
func (s tdesSuite) encrypt(_, p []byte) ([]byte, error) { return TDESEncrypt(s.kenc, nil, p) }
func (s tdesSuite) decrypt(_, c []byte) ([]byte, error) { return TDESDecrypt(s.kenc, nil, c) }
func (s tdesSuite) mac(p []byte) ([]byte, error)        { return RetailMAC(s.kmac, p) }

type aesSuite struct{ kenc, kmac []byte }

func (s aesSuite) blockSize() int { return 16 }

// iv is E(KSenc, SSC) (Doc 9303 Part 11 §9.8.6.1).
func (s aesSuite) iv(ssc []byte) ([]byte, error) {
	c, err := aes.NewCipher(s.kenc)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, 16)
	c.Encrypt(iv, ssc)
	return iv, nil
}

func (s aesSuite) encrypt(ssc, p []byte) ([]byte, error) {
	iv, err := s.iv(ssc)
	if err != nil {
		return nil, err
	}
	c, _ := aes.NewCipher(s.kenc)
	return cbcEncrypt(c, iv, p)
}

func (s aesSuite) decrypt(ssc, ct []byte) ([]byte, error) {
	iv, err := s.iv(ssc)
	if err != nil {
		return nil, err
	}
	c, _ := aes.NewCipher(s.kenc)
	return cbcDecrypt(c, iv, ct)
}

func (s aesSuite) mac(p []byte) ([]byte, error) {
	m, err := CMAC(s.kmac, p)
	if err != nil {
		return nil, err
	}
	return m[:8], nil
}

// Session is an established secure messaging session: the session keys and the send
// sequence counter. The same type serves the terminal (WrapCommand, UnwrapResponse)
// and the chip (UnwrapCommand, WrapResponse). It is safe for use by one exchange at a
// time; a mutex keeps the SSC consistent if misused concurrently.
type Session struct {
	mu     sync.Mutex
	s      suite
	ssc    []byte
	broken bool
	alg    KeyAlg
}

// NewSession starts a session from session keys and the initial SSC (8 bytes for 3DES,
// 16 for AES).
func NewSession(alg KeyAlg, ksEnc, ksMac, ssc []byte) (*Session, error) {
	var s suite
	switch alg {
	case TDES:
		if len(ksEnc) != 16 || len(ksMac) != 16 || len(ssc) != 8 {
			return nil, errors.New("icao: 3DES session needs 16-byte keys and an 8-byte SSC")
		}
		s = tdesSuite{ksEnc, ksMac}
	case AES128, AES192, AES256:
		if len(ssc) != 16 {
			return nil, errors.New("icao: AES session needs a 16-byte SSC")
		}
		if _, err := aes.NewCipher(ksEnc); err != nil {
			return nil, fmt.Errorf("icao: AES session key: %w", err)
		}
		s = aesSuite{ksEnc, ksMac}
	default:
		return nil, errors.New("icao: unknown session algorithm")
	}
	return &Session{s: s, ssc: append([]byte(nil), ssc...), alg: alg}, nil
}

// Alg returns the session's algorithm.
func (s *Session) Alg() KeyAlg { return s.alg }

// SSC returns a copy of the current send sequence counter.
func (s *Session) SSC() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.ssc...)
}

func (s *Session) incSSC() {
	for i := len(s.ssc) - 1; i >= 0; i-- {
		s.ssc[i]++
		if s.ssc[i] != 0 {
			return
		}
	}
}

// macInput builds pad(SSC || parts...).
func (s *Session) macInput(parts ...[]byte) []byte {
	n := len(s.ssc)
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, s.ssc...)
	for _, p := range parts {
		b = append(b, p...)
	}
	return Pad(b, s.s.blockSize())
}

// cryptogramTag is the data object of an encrypted data field: DO85 for an odd INS
// (the data are BER-TLV, so no padding-content indicator), DO87 for an even one.
// Commands and responses alike (Doc 9303 Part 11 §9.8.4, ISO 7816-4 §10.2).
func cryptogramTag(ins byte) tlv.Tag {
	if ins&1 == 1 {
		return TagDO85
	}
	return TagDO87
}

func (s *Session) cryptogram(ins byte, data []byte) ([]byte, error) {
	ct, err := s.s.encrypt(s.ssc, Pad(data, s.s.blockSize()))
	if err != nil {
		return nil, err
	}
	if ins&1 == 1 {
		// Odd INS: the data is BER-TLV and goes in DO85 without a padding indicator.
		return tlv.Encode(TagDO85, ct), nil
	}
	return tlv.Encode(TagDO87, append([]byte{0x01}, ct...)), nil
}

// plaintext decrypts DO85 or DO87, whichever the INS parity asks for (odd INS:
// DO85, ISO 7816-4 §10.2.2; even: DO87 with its padding-content indicator).
func (s *Session) plaintext(ins byte, do tlv.Object) ([]byte, error) {
	if want := cryptogramTag(ins); do.Tag != want {
		return nil, fmt.Errorf("%w: %s cryptogram for INS %02X, want %s", ErrSMObjects, do.Tag, ins, want)
	}
	ct := do.Value
	if do.Tag == TagDO87 {
		if len(ct) < 1 || ct[0] != 0x01 {
			return nil, fmt.Errorf("%w: DO87 padding indicator", ErrSMObjects)
		}
		ct = ct[1:]
	}
	if len(ct) == 0 || len(ct)%s.s.blockSize() != 0 {
		return nil, fmt.Errorf("%w: cryptogram of %d bytes", ErrSMObjects, len(ct))
	}
	p, err := s.s.decrypt(s.ssc, ct)
	if err != nil {
		return nil, err
	}
	out, err := Unpad(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSMObjects, err)
	}
	return out, nil
}

// AESBlockSize is the largest cipher block of secure messaging (AES; 3DES has 8):
// a reader that does not know the session's cipher sizes its requests with it.
const AESBlockSize = 16

// MaxResponseData is the most plain response data whose protected form fits in room
// bytes of response data field (ISO 7816-4 §5.1: the Le of the command that carries
// it, 256 for a short one), for a cipher block of blockSize bytes: the cryptogram
// (data plus at least one padding byte, rounded up to the block) in DO85 for an odd
// INS or DO87 with its padding indicator, then DO99 (4 bytes) and DO8E (10).
func MaxResponseData(blockSize int, ins byte, room int) int {
	indicator := 1
	if ins&1 == 1 {
		indicator = 0 // DO85: no padding-content indicator
	}
	best := 0
	for lenLen := 1; lenLen <= 3; lenLen++ { // DO length field: 1 to 3 bytes
		padded := (room - 4 - 10 - 1 - lenLen - indicator) / blockSize * blockSize
		for padded >= blockSize && len(tlv.EncodeLength(indicator+padded)) > lenLen {
			padded -= blockSize
		}
		if padded >= blockSize && padded-1 > best {
			best = padded - 1
		}
	}
	return best
}

// MaxResponseData is MaxResponseData for this session's cipher.
func (s *Session) MaxResponseData(ins byte, room int) int {
	return MaxResponseData(s.s.blockSize(), ins, room)
}

func encodeLe(ne int, extended bool) []byte {
	if !extended && ne <= apdu.MaxShortNe {
		return []byte{byte(ne)}
	}
	return []byte{byte(ne >> 8), byte(ne)}
}

// WrapCommand protects a plain command (terminal side, Doc 9303 Part 11 §9.8.4).
func (s *Session) WrapCommand(c apdu.Command) (apdu.Command, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return apdu.Command{}, ErrSMFinished
	}
	if c.CLA&0x0C != 0 {
		return apdu.Command{}, ErrAlreadySM
	}
	s.incSSC()
	hdr := Pad([]byte{c.CLA | 0x0C, c.INS, c.P1, c.P2}, s.s.blockSize())
	var do87, do97 []byte
	if len(c.Data) > 0 {
		var err error
		if do87, err = s.cryptogram(c.INS, c.Data); err != nil {
			return apdu.Command{}, err
		}
	}
	ext := c.IsExtended()
	if ne := c.Ne; ne > 0 {
		if !ext {
			// The protected answer must fit a short response (256 bytes): never ask
			// for more plain data than that leaves room for (223 with AES, 231 with
			// 3DES), or a chip that obeys DO97 overflows a 256-byte reader buffer.
			ne = min(ne, s.MaxResponseData(c.INS, apdu.MaxShortNe))
		}
		do97 = tlv.Encode(TagDO97, encodeLe(ne, ext))
	}
	// M = pad(CmdHeader) || DO87 || DO97 and N = pad(SSC || M), Doc 9303 Part 11
	// §9.8.4: the header is padded on its own even when neither object follows.
	cc, err := s.s.mac(s.macInput(hdr, do87, do97))
	if err != nil {
		return apdu.Command{}, err
	}
	data := make([]byte, 0, len(do87)+len(do97)+10)
	data = append(data, do87...)
	data = append(data, do97...)
	data = append(data, tlv.Encode(TagDO8E, cc)...)
	out := apdu.Command{CLA: c.CLA | 0x0C, INS: c.INS, P1: c.P1, P2: c.P2, Data: data, Ne: apdu.MaxShortNe}
	if ext || len(data) > apdu.MaxShortNc {
		out.Extended = true
		out.Ne = apdu.MaxExtendedNe
	}
	return out, nil
}

// UnwrapResponse checks and decrypts a protected response to a command with
// instruction ins (terminal side): the cryptogram is DO85 for an odd INS and DO87
// for an even one. A response with no data and an error status is the chip
// abandoning secure messaging; it is returned as is and the session is finished.
func (s *Session) UnwrapResponse(ins byte, r apdu.Response) (apdu.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return apdu.Response{}, ErrSMFinished
	}
	s.incSSC()
	if len(r.Data) == 0 && r.SW != 0x9000 {
		s.broken = true
		return r, nil
	}
	objs, err := tlv.ParseAll(r.Data)
	if err != nil {
		s.broken = true
		return apdu.Response{}, fmt.Errorf("%w: %v", ErrSMObjects, err)
	}
	var enc, do99, do8e *tlv.Object
	var macced []byte
	for i := range objs {
		o := &objs[i]
		switch {
		case (o.Tag == TagDO87 || o.Tag == TagDO85) && enc == nil && do99 == nil && do8e == nil:
			enc = o
		case o.Tag == TagDO99 && do99 == nil && do8e == nil:
			do99 = o
		case o.Tag == TagDO8E && do8e == nil && i == len(objs)-1:
			do8e = o
		default:
			s.broken = true
			return apdu.Response{}, fmt.Errorf("%w: unexpected tag %s", ErrSMObjects, o.Tag)
		}
		if o.Tag != TagDO8E {
			macced = append(macced, tlv.Encode(o.Tag, o.Value)...)
		}
	}
	// DO99 may be left out (Doc 9303 Part 11 §9.8.4): the status word is then the
	// outer one, which the MAC does not cover. DO8E is always required.
	if do8e == nil {
		s.broken = true
		return apdu.Response{}, fmt.Errorf("%w: %w: DO8E is mandatory", ErrSMObjects, ErrSMMissing)
	}
	if (do99 != nil && len(do99.Value) != 2) || len(do8e.Value) != 8 {
		s.broken = true
		return apdu.Response{}, fmt.Errorf("%w: DO99 or DO8E of the wrong size", ErrSMObjects)
	}
	want, err := s.s.mac(s.macInput(macced))
	if err != nil {
		return apdu.Response{}, err
	}
	if subtle.ConstantTimeCompare(want, do8e.Value) != 1 {
		s.broken = true
		return apdu.Response{}, ErrSMMAC
	}
	out := apdu.Response{SW: r.SW}
	if do99 != nil {
		out.SW = uint16(do99.Value[0])<<8 | uint16(do99.Value[1])
	}
	if enc != nil {
		if out.Data, err = s.plaintext(ins, *enc); err != nil {
			s.broken = true
			return apdu.Response{}, err
		}
	}
	return out, nil
}

// UnwrapCommand checks and decrypts a protected command (chip side). On error the chip
// answers 6988 (or 6987 for ErrNotSM/missing objects) and must drop the session.
func (s *Session) UnwrapCommand(c apdu.Command) (apdu.Command, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return apdu.Command{}, ErrSMFinished
	}
	if c.CLA&0x0C != 0x0C {
		s.broken = true
		return apdu.Command{}, ErrNotSM
	}
	s.incSSC()
	objs, err := tlv.ParseAll(c.Data)
	if err != nil {
		s.broken = true
		return apdu.Command{}, fmt.Errorf("%w: %v", ErrSMObjects, err)
	}
	var enc, do97, do8e *tlv.Object
	var macced []byte
	for i := range objs {
		o := &objs[i]
		switch {
		case (o.Tag == TagDO87 || o.Tag == TagDO85) && enc == nil && do97 == nil && do8e == nil:
			enc = o
		case o.Tag == TagDO97 && do97 == nil && do8e == nil:
			do97 = o
		case o.Tag == TagDO8E && do8e == nil && i == len(objs)-1:
			do8e = o
		default:
			s.broken = true
			return apdu.Command{}, fmt.Errorf("%w: unexpected tag %s", ErrSMObjects, o.Tag)
		}
		if o.Tag != TagDO8E {
			macced = append(macced, tlv.Encode(o.Tag, o.Value)...)
		}
	}
	if do8e == nil {
		s.broken = true
		return apdu.Command{}, fmt.Errorf("%w: %w: DO8E is mandatory", ErrSMObjects, ErrSMMissing)
	}
	if len(do8e.Value) != 8 {
		s.broken = true
		return apdu.Command{}, fmt.Errorf("%w: DO8E of %d bytes", ErrSMObjects, len(do8e.Value))
	}
	// The same N as WrapCommand builds: pad(SSC || pad(CmdHeader) || DO87 || DO97).
	hdr := Pad([]byte{c.CLA, c.INS, c.P1, c.P2}, s.s.blockSize())
	want, err := s.s.mac(s.macInput(hdr, macced))
	if err != nil {
		return apdu.Command{}, err
	}
	if subtle.ConstantTimeCompare(want, do8e.Value) != 1 {
		s.broken = true
		return apdu.Command{}, ErrSMMAC
	}
	out := apdu.Command{CLA: c.CLA &^ 0x0C, INS: c.INS, P1: c.P1, P2: c.P2, Extended: c.Extended}
	if enc != nil {
		if out.Data, err = s.plaintext(c.INS, *enc); err != nil {
			s.broken = true
			return apdu.Command{}, err
		}
	}
	if do97 != nil {
		switch len(do97.Value) {
		case 0:
			out.Ne = apdu.MaxShortNe
		case 1:
			out.Ne = int(do97.Value[0])
			if out.Ne == 0 {
				out.Ne = apdu.MaxShortNe
			}
		case 2:
			out.Ne = int(do97.Value[0])<<8 | int(do97.Value[1])
			if out.Ne == 0 {
				out.Ne = apdu.MaxExtendedNe
			}
			out.Extended = true
		default:
			s.broken = true
			return apdu.Command{}, fmt.Errorf("%w: DO97 of %d bytes", ErrSMObjects, len(do97.Value))
		}
	}
	return out, nil
}

// WrapResponse protects a plain response to a command with instruction ins (chip
// side): the data (if any) in DO85 for an odd INS (READ BINARY B1) or DO87 for an
// even one (Doc 9303 Part 11 §9.8.4, ISO 7816-4 §10.2.2), DO99 with the status and
// DO8E, under the outer status word.
func (s *Session) WrapResponse(ins byte, r apdu.Response) (apdu.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return apdu.Response{}, ErrSMFinished
	}
	s.incSSC()
	var enc []byte
	var err error
	if len(r.Data) > 0 {
		if enc, err = s.cryptogram(ins, r.Data); err != nil {
			return apdu.Response{}, err
		}
	}
	do99 := tlv.Encode(TagDO99, []byte{byte(r.SW >> 8), byte(r.SW)})
	cc, err := s.s.mac(s.macInput(enc, do99))
	if err != nil {
		return apdu.Response{}, err
	}
	data := make([]byte, 0, len(enc)+len(do99)+10)
	data = append(data, enc...)
	data = append(data, do99...)
	data = append(data, tlv.Encode(TagDO8E, cc)...)
	return apdu.Response{Data: data, SW: r.SW}, nil
}

// Abort marks the session finished (the chip does this after any SM error).
func (s *Session) Abort() {
	s.mu.Lock()
	s.broken = true
	s.mu.Unlock()
}
