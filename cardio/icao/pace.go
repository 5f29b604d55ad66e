package icao

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/elliptic"
	"crypto/sha1"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// PACE (Password Authenticated Connection Establishment), Doc 9303 Part 11 §4.4,
// with the generic mapping on elliptic curves and AES secure messaging: the one
// profile this project builds is id-PACE-ECDH-GM-AES-CBC-CMAC-128 on NIST P-256
// (standardized domain parameters 12). The arithmetic runs on an elliptic.Curve so
// that the tests can replay Doc 9303's worked example (Appendix G.1, which uses
// brainpoolP256r1) through the same code.

// Errors of PACE.
var (
	// ErrPACEFailed: the authentication tokens do not check out, which is what a
	// wrong password (CAN) looks like; the chip answers 6300.
	ErrPACEFailed = errors.New("icao: PACE authentication failed (wrong card access number?)")
	// ErrPACEData: a General Authenticate data object is missing or malformed, or a
	// public key is not a valid point of the curve.
	ErrPACEData = errors.New("icao: malformed PACE data")
	// ErrPACEUnsupported: the protocol or domain parameters are not the ones built.
	ErrPACEUnsupported = errors.New("icao: PACE protocol or domain parameters not supported")
)

// OIDPACEECDHGMAES128 is id-PACE-ECDH-GM-AES-CBC-CMAC-128, 0.4.0.127.0.7.2.2.4.2.2
// (Doc 9303 Part 11 §9.2.1), as the DER content octets of the OBJECT IDENTIFIER.
var OIDPACEECDHGMAES128 = []byte{0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02}

// oidPACEPrefix is id-PACE (0.4.0.127.0.7.2.2.4): every PACEInfo's protocol starts with it.
var oidPACEPrefix = []byte{0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04}

// ParamP256 is the standardized domain parameter ID of NIST P-256 (secp256r1),
// Doc 9303 Part 11 §9.5.1 table.
const ParamP256 = 12

// PACE password references (MSE:Set AT data object 83, Doc 9303 Part 11 §4.4.4.1).
const (
	PasswordRefMRZ byte = 0x01
	PasswordRefCAN byte = 0x02
)

// PACEInfo is one PACEInfo of EF.CardAccess (Doc 9303 Part 11 §9.2.1).
type PACEInfo struct {
	Protocol    []byte // OID content octets
	Version     int    // 2
	ParameterID int    // -1 when absent
}

// Supported says whether this PACEInfo is the profile built here.
func (p PACEInfo) Supported() bool {
	return bytes.Equal(p.Protocol, OIDPACEECDHGMAES128) && p.Version == 2 && p.ParameterID == ParamP256
}

// EncodeCardAccess builds EF.CardAccess: SecurityInfos (SET OF SecurityInfo) holding
// the PACEInfos.
func EncodeCardAccess(infos ...PACEInfo) []byte {
	var seqs [][]byte
	for _, in := range infos {
		parts := [][]byte{tlv.Encode(0x06, in.Protocol), asn1Int(in.Version)}
		if in.ParameterID >= 0 {
			parts = append(parts, asn1Int(in.ParameterID))
		}
		seqs = append(seqs, tlv.Constructed(0x30, parts...))
	}
	return tlv.Constructed(0x31, seqs...)
}

func asn1Int(v int) []byte {
	b := big.NewInt(int64(v)).Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return tlv.Encode(0x02, b)
}

func parseASN1Int(o tlv.Object) (int, error) {
	if o.Tag != 0x02 || len(o.Value) == 0 || len(o.Value) > 4 || o.Value[0]&0x80 != 0 {
		return 0, errors.New("not a small non-negative INTEGER")
	}
	n := 0
	for _, b := range o.Value {
		n = n<<8 | int(b)
	}
	return n, nil
}

// ErrBadCardAccess is returned when EF.CardAccess is not SecurityInfos.
var ErrBadCardAccess = errors.New("icao: EF.CardAccess is malformed")

// ParseCardAccess returns the PACEInfos of EF.CardAccess, skipping the other
// SecurityInfos (chip authentication, terminal authentication...) and PACE domain
// parameter infos.
func ParseCardAccess(b []byte) ([]PACEInfo, error) {
	set, err := tlv.ParseOne(b)
	if err != nil || set.Tag != 0x31 {
		return nil, fmt.Errorf("%w: not a SET", ErrBadCardAccess)
	}
	items, err := set.Children()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCardAccess, err)
	}
	var out []PACEInfo
	for _, it := range items {
		if it.Tag != 0x30 {
			return nil, fmt.Errorf("%w: SecurityInfo is not a SEQUENCE", ErrBadCardAccess)
		}
		f, err := it.Children()
		if err != nil || len(f) < 2 || f[0].Tag != 0x06 {
			return nil, fmt.Errorf("%w: SecurityInfo without protocol", ErrBadCardAccess)
		}
		oid := f[0].Value
		// PACEInfo: id-PACE.{DH,ECDH}-{GM,IM,CAM}.alg; PACEDomainParameterInfo is
		// id-PACE.{DH,ECDH}-{GM,IM,CAM} itself (one arc shorter) and is skipped.
		if !bytes.HasPrefix(oid, oidPACEPrefix) || len(oid) != len(oidPACEPrefix)+2 {
			continue
		}
		v, err := parseASN1Int(f[1])
		if err != nil {
			return nil, fmt.Errorf("%w: PACEInfo version: %v", ErrBadCardAccess, err)
		}
		in := PACEInfo{Protocol: append([]byte(nil), oid...), Version: v, ParameterID: -1}
		if len(f) > 2 {
			if in.ParameterID, err = parseASN1Int(f[2]); err != nil {
				return nil, fmt.Errorf("%w: PACEInfo parameterId: %v", ErrBadCardAccess, err)
			}
		}
		out = append(out, in)
	}
	return out, nil
}

// PACEPassword is the shared secret and its reference: the CAN or the MRZ information.
type PACEPassword struct {
	Ref byte
	// f is f(π) of Doc 9303 Part 11 §9.7.3: SHA-1 of the MRZ information, or the CAN
	// itself (ISO/IEC 8859-1 digits).
	f []byte
}

// PasswordCAN is the card access number as PACE password.
func PasswordCAN(can string) PACEPassword {
	return PACEPassword{Ref: PasswordRefCAN, f: []byte(can)}
}

// PasswordMRZ is the MRZ information (the BAC key's fields) as PACE password.
func PasswordMRZ(k BACKey) (PACEPassword, error) {
	mi, err := k.MRZInformation()
	if err != nil {
		return PACEPassword{}, err
	}
	h := sha1.Sum([]byte(mi))
	return PACEPassword{Ref: PasswordRefMRZ, f: h[:]}, nil
}

// Key is K_π = KDF_π(π) = KDF(f(π), 3) (Doc 9303 Part 11 §9.7.3), AES-128 here.
func (p PACEPassword) Key() []byte { return DeriveKey(p.f, CounterPACE, AES128) }

// PACEParams are the protocol and its group.
type PACEParams struct {
	Protocol []byte // OID content octets, for MSE:Set AT and the tokens
	Curve    elliptic.Curve
}

// P256Params is the one profile the kiosk and its emulator speak.
func P256Params() PACEParams {
	return PACEParams{Protocol: OIDPACEECDHGMAES128, Curve: elliptic.P256()}
}

// ParamsFor returns the parameters of a PACEInfo, or ErrPACEUnsupported.
func ParamsFor(in PACEInfo) (PACEParams, error) {
	if !in.Supported() {
		return PACEParams{}, ErrPACEUnsupported
	}
	return P256Params(), nil
}

// point is an affine point; nil X means the point at infinity.
type point struct{ x, y *big.Int }

func (p PACEParams) byteLen() int { return (p.Curve.Params().BitSize + 7) / 8 }

// encode is the uncompressed encoding 04 || x || y (Doc 9303 Part 11 §9.4.1).
func (p PACEParams) encode(pt point) []byte {
	n := p.byteLen()
	out := make([]byte, 1+2*n)
	out[0] = 0x04
	pt.x.FillBytes(out[1 : 1+n])
	pt.y.FillBytes(out[1+n:])
	return out
}

// decode parses an uncompressed point and checks that it lies on the curve (a
// public key off the curve would leak the private key in an invalid-curve attack).
func (p PACEParams) decode(b []byte) (point, error) {
	n := p.byteLen()
	if len(b) != 1+2*n || b[0] != 0x04 {
		return point{}, fmt.Errorf("%w: public key is not an uncompressed point", ErrPACEData)
	}
	x := new(big.Int).SetBytes(b[1 : 1+n])
	y := new(big.Int).SetBytes(b[1+n:])
	prime := p.Curve.Params().P
	if x.Cmp(prime) >= 0 || y.Cmp(prime) >= 0 || !p.Curve.IsOnCurve(x, y) {
		return point{}, fmt.Errorf("%w: public key is not on the curve", ErrPACEData)
	}
	return point{x, y}, nil
}

func (p PACEParams) scalarBytes(k *big.Int) []byte {
	return k.FillBytes(make([]byte, (p.Curve.Params().N.BitLen()+7)/8))
}

func (p PACEParams) mult(pt point, k *big.Int) (point, error) {
	x, y := p.Curve.ScalarMult(pt.x, pt.y, p.scalarBytes(k))
	return p.checkFinite(x, y)
}

func (p PACEParams) checkFinite(x, y *big.Int) (point, error) {
	if x.Sign() == 0 && y.Sign() == 0 {
		return point{}, fmt.Errorf("%w: point at infinity", ErrPACEData)
	}
	return point{x, y}, nil
}

// newScalar draws a private key in [1, n-1] from rand: byteLen bytes, redrawn when out
// of range, so that fixed test bytes are the private key itself.
func (p PACEParams) newScalar(rand io.Reader) (*big.Int, error) {
	n := p.Curve.Params().N
	buf := make([]byte, (n.BitLen()+7)/8)
	for range 64 {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, fmt.Errorf("icao: PACE private key: %w", err)
		}
		k := new(big.Int).SetBytes(buf)
		if k.Sign() > 0 && k.Cmp(n) < 0 {
			return k, nil
		}
	}
	return nil, errors.New("icao: PACE private key: random source out of range")
}

// mapGenerator is the generic mapping (Doc 9303 Part 11 §4.4.3.3.1):
// G' = s·G + H with H = sk·PK (the mapping key agreement).
func (p PACEParams) mapGenerator(s []byte, sk *big.Int, pk point) (point, error) {
	h, err := p.mult(pk, sk)
	if err != nil {
		return point{}, err
	}
	sgx, sgy := p.Curve.ScalarBaseMult(p.scalarBytes(new(big.Int).SetBytes(s)))
	gx, gy := p.Curve.Add(sgx, sgy, h.x, h.y)
	return p.checkFinite(gx, gy)
}

// token is T = MAC(KS_mac, PK) over the public key data object 7F49 { 06 OID, 86 point },
// the first 8 bytes of the AES CMAC (Doc 9303 Part 11 §4.4.3.4 and §9.4.5).
func (p PACEParams) token(ksMac, pk []byte) ([]byte, error) {
	in := tlv.Constructed(0x7F49, tlv.Encode(0x06, p.Protocol), tlv.Encode(0x86, pk))
	m, err := CMAC(ksMac, in)
	if err != nil {
		return nil, err
	}
	return m[:8], nil
}

// sharedKeys derives KS_enc and KS_mac from the x coordinate of the shared point.
func (p PACEParams) sharedKeys(sk *big.Int, pk point) (ksEnc, ksMac []byte, err error) {
	k, err := p.mult(pk, sk)
	if err != nil {
		return nil, nil, err
	}
	kx := k.x.FillBytes(make([]byte, p.byteLen()))
	return DeriveKey(kx, CounterEnc, AES128), DeriveKey(kx, CounterMAC, AES128), nil
}

// Dynamic authentication data (7C) object tags of General Authenticate.
const (
	tagDynAuth        tlv.Tag = 0x7C
	tagEncryptedNonce tlv.Tag = 0x80
	tagMapPCD         tlv.Tag = 0x81
	tagMapIC          tlv.Tag = 0x82
	tagEphPCD         tlv.Tag = 0x83
	tagEphIC          tlv.Tag = 0x84
	tagTokenPCD       tlv.Tag = 0x85
	tagTokenIC        tlv.Tag = 0x86
)

func dynAuth(children ...[]byte) []byte { return tlv.Constructed(tagDynAuth, children...) }

// dynAuthValue returns the value of the one object tag inside 7C; further objects
// (the certificate authority references 87/88 of terminal authentication) are ignored.
func dynAuthValue(b []byte, tag tlv.Tag) ([]byte, error) {
	o, err := tlv.ParseOne(b)
	if err != nil || o.Tag != tagDynAuth {
		return nil, fmt.Errorf("%w: no dynamic authentication data (7C)", ErrPACEData)
	}
	v, err := o.Find(tag)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPACEData, err)
	}
	return v.Value, nil
}

// MSESetATData is the data of MSE:Set AT for PACE: 80 protocol OID, 83 password
// reference (Doc 9303 Part 11 §4.4.4.1). 84 (domain parameters) is left out: the
// card offers one set.
func MSESetATData(p PACEParams, ref byte) []byte {
	return append(tlv.Encode(0x80, p.Protocol), tlv.Encode(0x83, []byte{ref})...)
}

// PACETerminal is the reader's side of PACE. Its steps take the chip's General
// Authenticate response data and return the next command data.
type PACETerminal struct {
	p    PACEParams
	kpi  []byte
	rand io.Reader

	s            []byte
	mapSK        *big.Int
	g            point // the mapped generator G'
	ephSK        *big.Int
	ephPK        []byte
	icPK         []byte
	ksEnc, ksMac []byte
	step         int
}

// NewPACETerminal prepares PACE. rand supplies the mapping private key then the
// ephemeral private key (crypto/rand in production, fixed bytes in tests).
func NewPACETerminal(p PACEParams, pw PACEPassword, rand io.Reader) *PACETerminal {
	return &PACETerminal{p: p, kpi: pw.Key(), rand: rand}
}

func (t *PACETerminal) expect(step int) error {
	if t.step != step {
		return fmt.Errorf("icao: PACE step %d out of order (at %d)", step, t.step)
	}
	t.step++
	return nil
}

// Nonce decrypts the encrypted nonce z of the first response (7C { 80 z }) to s with
// K_π and returns the mapping command data 7C { 81 PK_map,PCD }.
func (t *PACETerminal) Nonce(resp []byte) ([]byte, error) {
	if err := t.expect(0); err != nil {
		return nil, err
	}
	z, err := dynAuthValue(resp, tagEncryptedNonce)
	if err != nil {
		return nil, err
	}
	if len(z) == 0 || len(z)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: encrypted nonce of %d bytes", ErrPACEData, len(z))
	}
	c, err := aes.NewCipher(t.kpi)
	if err != nil {
		return nil, err
	}
	if t.s, err = cbcDecrypt(c, nil, z); err != nil {
		return nil, err
	}
	if t.mapSK, err = t.p.newScalar(t.rand); err != nil {
		return nil, err
	}
	x, y := t.p.Curve.ScalarBaseMult(t.p.scalarBytes(t.mapSK))
	return dynAuth(tlv.Encode(tagMapPCD, t.p.encode(point{x, y}))), nil
}

// Map takes the chip's mapping key (7C { 82 PK_map,IC }), computes G' and returns the
// key agreement command data 7C { 83 PK_PCD } with the ephemeral key on G'.
func (t *PACETerminal) Map(resp []byte) ([]byte, error) {
	if err := t.expect(1); err != nil {
		return nil, err
	}
	b, err := dynAuthValue(resp, tagMapIC)
	if err != nil {
		return nil, err
	}
	pk, err := t.p.decode(b)
	if err != nil {
		return nil, err
	}
	if t.g, err = t.p.mapGenerator(t.s, t.mapSK, pk); err != nil {
		return nil, err
	}
	if t.ephSK, err = t.p.newScalar(t.rand); err != nil {
		return nil, err
	}
	e, err := t.p.mult(t.g, t.ephSK)
	if err != nil {
		return nil, err
	}
	t.ephPK = t.p.encode(e)
	return dynAuth(tlv.Encode(tagEphPCD, t.ephPK)), nil
}

// Agree takes the chip's ephemeral key (7C { 84 PK_IC }), derives the session keys
// and returns the mutual authentication command data 7C { 85 T_PCD }.
func (t *PACETerminal) Agree(resp []byte) ([]byte, error) {
	if err := t.expect(2); err != nil {
		return nil, err
	}
	b, err := dynAuthValue(resp, tagEphIC)
	if err != nil {
		return nil, err
	}
	pk, err := t.p.decode(b)
	if err != nil {
		return nil, err
	}
	// §4.4.3.4 requires the two ephemeral public keys to differ (a reflected key
	// would let an attacker answer without the password).
	if bytes.Equal(b, t.ephPK) {
		return nil, fmt.Errorf("%w: the chip returned the terminal's ephemeral key", ErrPACEFailed)
	}
	if t.ksEnc, t.ksMac, err = t.p.sharedKeys(t.ephSK, pk); err != nil {
		return nil, err
	}
	t.icPK = append([]byte(nil), b...)
	tok, err := t.p.token(t.ksMac, t.icPK)
	if err != nil {
		return nil, err
	}
	return dynAuth(tlv.Encode(tagTokenPCD, tok)), nil
}

// Finish checks the chip's token (7C { 86 T_IC }) and returns the AES secure
// messaging session, SSC zero (Doc 9303 Part 11 §9.8.6.1).
func (t *PACETerminal) Finish(resp []byte) (*Session, error) {
	if err := t.expect(3); err != nil {
		return nil, err
	}
	tok, err := dynAuthValue(resp, tagTokenIC)
	if err != nil {
		return nil, err
	}
	want, err := t.p.token(t.ksMac, t.ephPK)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(want, tok) != 1 {
		return nil, fmt.Errorf("%w: chip token", ErrPACEFailed)
	}
	return NewSession(AES128, t.ksEnc, t.ksMac, make([]byte, 16))
}

// PACEChip is the chip's side of PACE (used by the emulator). Each step takes the
// terminal's General Authenticate command data and returns the response data. Any
// error ends the run: the terminal has to start again with MSE:Set AT.
type PACEChip struct {
	p    PACEParams
	kpi  []byte
	rand io.Reader

	s            []byte
	mapSK        *big.Int
	g            point
	ephSK        *big.Int
	ephPK        []byte
	pcdPK        []byte
	ksEnc, ksMac []byte
	step         int
}

// NewPACEChip prepares the chip side after MSE:Set AT. rand supplies the nonce s (16
// bytes), then the mapping private key, then the ephemeral private key.
func NewPACEChip(p PACEParams, pw PACEPassword, rand io.Reader) *PACEChip {
	return &PACEChip{p: p, kpi: pw.Key(), rand: rand}
}

// Step says which General Authenticate the chip expects next (0 to 3, 4 when done).
func (c *PACEChip) Step() int { return c.step }

func (c *PACEChip) expect(step int) error {
	if c.step != step {
		return fmt.Errorf("icao: PACE step %d out of order (at %d)", step, c.step)
	}
	c.step++
	return nil
}

// EncryptedNonce answers the first General Authenticate (7C 00) with 7C { 80 z },
// z = E(K_π, s), AES-CBC with a zero IV.
func (c *PACEChip) EncryptedNonce(cmd []byte) ([]byte, error) {
	if err := c.expect(0); err != nil {
		return nil, err
	}
	o, err := tlv.ParseOne(cmd)
	if err != nil || o.Tag != tagDynAuth || len(o.Value) != 0 {
		return nil, fmt.Errorf("%w: first General Authenticate is not an empty 7C", ErrPACEData)
	}
	c.s = make([]byte, aes.BlockSize)
	if _, err := io.ReadFull(c.rand, c.s); err != nil {
		return nil, fmt.Errorf("icao: PACE nonce: %w", err)
	}
	k, err := aes.NewCipher(c.kpi)
	if err != nil {
		return nil, err
	}
	z, err := cbcEncrypt(k, nil, c.s)
	if err != nil {
		return nil, err
	}
	return dynAuth(tlv.Encode(tagEncryptedNonce, z)), nil
}

// Map takes 7C { 81 PK_map,PCD }, answers 7C { 82 PK_map,IC } and computes G'.
func (c *PACEChip) Map(cmd []byte) ([]byte, error) {
	if err := c.expect(1); err != nil {
		return nil, err
	}
	b, err := dynAuthValue(cmd, tagMapPCD)
	if err != nil {
		return nil, err
	}
	pk, err := c.p.decode(b)
	if err != nil {
		return nil, err
	}
	if c.mapSK, err = c.p.newScalar(c.rand); err != nil {
		return nil, err
	}
	if c.g, err = c.p.mapGenerator(c.s, c.mapSK, pk); err != nil {
		return nil, err
	}
	x, y := c.p.Curve.ScalarBaseMult(c.p.scalarBytes(c.mapSK))
	return dynAuth(tlv.Encode(tagMapIC, c.p.encode(point{x, y}))), nil
}

// Agree takes 7C { 83 PK_PCD }, answers 7C { 84 PK_IC } and derives the session keys.
func (c *PACEChip) Agree(cmd []byte) ([]byte, error) {
	if err := c.expect(2); err != nil {
		return nil, err
	}
	b, err := dynAuthValue(cmd, tagEphPCD)
	if err != nil {
		return nil, err
	}
	pk, err := c.p.decode(b)
	if err != nil {
		return nil, err
	}
	if c.ephSK, err = c.p.newScalar(c.rand); err != nil {
		return nil, err
	}
	e, err := c.p.mult(c.g, c.ephSK)
	if err != nil {
		return nil, err
	}
	c.ephPK = c.p.encode(e)
	if bytes.Equal(c.ephPK, b) {
		return nil, fmt.Errorf("%w: terminal reflected the chip's ephemeral key", ErrPACEFailed)
	}
	if c.ksEnc, c.ksMac, err = c.p.sharedKeys(c.ephSK, pk); err != nil {
		return nil, err
	}
	c.pcdPK = append([]byte(nil), b...)
	return dynAuth(tlv.Encode(tagEphIC, c.ephPK)), nil
}

// Authenticate takes 7C { 85 T_PCD }, checks it (ErrPACEFailed when the password was
// wrong: the chip answers 6300) and answers 7C { 86 T_IC } with the session.
func (c *PACEChip) Authenticate(cmd []byte) ([]byte, *Session, error) {
	if err := c.expect(3); err != nil {
		return nil, nil, err
	}
	tok, err := dynAuthValue(cmd, tagTokenPCD)
	if err != nil {
		return nil, nil, err
	}
	want, err := c.p.token(c.ksMac, c.ephPK)
	if err != nil {
		return nil, nil, err
	}
	if subtle.ConstantTimeCompare(want, tok) != 1 {
		return nil, nil, fmt.Errorf("%w: terminal token", ErrPACEFailed)
	}
	mine, err := c.p.token(c.ksMac, c.pcdPK)
	if err != nil {
		return nil, nil, err
	}
	sess, err := NewSession(AES128, c.ksEnc, c.ksMac, make([]byte, 16))
	if err != nil {
		return nil, nil, err
	}
	return dynAuth(tlv.Encode(tagTokenIC, mine)), sess, nil
}

// PACE runs MSE:Set AT and the four General Authenticate commands over t and returns
// the AES secure messaging session. The MF must be current (the LDS application is
// selected afterwards, under secure messaging). A wrong password ends in an error
// that is ErrPACEFailed.
func PACE(ctx context.Context, t apdu.Transceiver, p PACEParams, pw PACEPassword, rand io.Reader) (*Session, error) {
	resp, err := apdu.Exchange(ctx, t, apdu.Command{INS: apdu.InsMSESetAT, P1: 0xC1, P2: 0xA4, Data: MSESetATData(p, pw.Ref)})
	if err != nil {
		return nil, fmt.Errorf("MSE:Set AT: %w", err)
	}
	if err := resp.Err(); err != nil {
		return nil, fmt.Errorf("MSE:Set AT: %w", err)
	}
	term := NewPACETerminal(p, pw, rand)
	steps := []struct {
		name string
		next func([]byte) ([]byte, error)
	}{
		{"encrypted nonce", term.Nonce},
		{"mapping", term.Map},
		{"key agreement", term.Agree},
	}
	data := dynAuth()
	for i := 0; ; i++ {
		// Command chaining (CLA 10) on all but the last General Authenticate (§4.4.4.2).
		cla := byte(0x10)
		if i == len(steps) {
			cla = 0x00
		}
		resp, err := apdu.Exchange(ctx, t, apdu.Command{CLA: cla, INS: apdu.InsGeneralAuthenticate, Data: data, Ne: apdu.MaxShortNe})
		if err != nil {
			return nil, fmt.Errorf("GENERAL AUTHENTICATE %d: %w", i+1, err)
		}
		if err := resp.Err(); err != nil {
			if resp.SW == 0x6300 {
				// The chip's token check failed: the password (CAN) is wrong.
				return nil, fmt.Errorf("GENERAL AUTHENTICATE %d: %w: %w", i+1, ErrPACEFailed, err)
			}
			return nil, fmt.Errorf("GENERAL AUTHENTICATE %d: %w", i+1, err)
		}
		if i == len(steps) {
			sess, err := term.Finish(resp.Data)
			if err != nil {
				return nil, fmt.Errorf("PACE mutual authentication: %w", err)
			}
			return sess, nil
		}
		if data, err = steps[i].next(resp.Data); err != nil {
			return nil, fmt.Errorf("PACE %s: %w", steps[i].name, err)
		}
	}
}
