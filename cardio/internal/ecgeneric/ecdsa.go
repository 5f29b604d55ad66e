package ecgeneric

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// PublicKey is an ECDSA public key on a Curve.
type PublicKey struct {
	Curve *Curve
	X, Y  *big.Int
}

// Object identifiers (RFC 5480, RFC 5639, SEC 1 / X9.62).
var (
	OIDECPublicKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidPrimeField      = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
	OIDBrainpoolP256r1 = asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}
	OIDBrainpoolP384r1 = asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11}
	OIDBrainpoolP512r1 = asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13}
)

// ErrUnsupportedKey is returned for a SubjectPublicKeyInfo this package cannot read.
var ErrUnsupportedKey = errors.New("ecgeneric: unsupported public key")

type spki struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// ecParameters is SEC 1 §C.2 / X9.62 SpecifiedECDomain, prime field only.
type ecParameters struct {
	Version  int
	FieldID  fieldID
	Curve    curveDef
	Base     []byte
	Order    *big.Int
	Cofactor *big.Int `asn1:"optional"`
}

type fieldID struct {
	FieldType asn1.ObjectIdentifier
	Prime     *big.Int
}

type curveDef struct {
	A, B []byte
	Seed asn1.BitString `asn1:"optional"`
}

// ParsePublicKeyInfo reads an id-ecPublicKey SubjectPublicKeyInfo whose parameters
// are a Brainpool named curve (r1) or explicit prime-field domain parameters, with
// an uncompressed point on the curve.
func ParsePublicKeyInfo(der []byte) (*PublicKey, error) {
	var k spki
	if rest, err := asn1.Unmarshal(der, &k); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: SubjectPublicKeyInfo", ErrUnsupportedKey)
	}
	if !k.Algorithm.Algorithm.Equal(OIDECPublicKey) {
		return nil, fmt.Errorf("%w: algorithm %v", ErrUnsupportedKey, k.Algorithm.Algorithm)
	}
	c, err := parseParameters(k.Algorithm.Parameters.FullBytes)
	if err != nil {
		return nil, err
	}
	x, y, err := c.unmarshalPoint(k.PublicKey.RightAlign())
	if err != nil {
		return nil, err
	}
	return &PublicKey{Curve: c, X: x, Y: y}, nil
}

func parseParameters(der []byte) (*Curve, error) {
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(der, &oid); err == nil && len(rest) == 0 {
		switch {
		case oid.Equal(OIDBrainpoolP256r1):
			return BrainpoolP256r1, nil
		case oid.Equal(OIDBrainpoolP384r1):
			return BrainpoolP384r1, nil
		case oid.Equal(OIDBrainpoolP512r1):
			return BrainpoolP512r1, nil
		}
		return nil, fmt.Errorf("%w: named curve %v", ErrUnsupportedKey, oid)
	}
	var p ecParameters
	if rest, err := asn1.Unmarshal(der, &p); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: EC parameters neither a named curve nor explicit", ErrUnsupportedKey)
	}
	if p.Version != 1 || !p.FieldID.FieldType.Equal(oidPrimeField) || p.FieldID.Prime == nil || p.Order == nil {
		return nil, fmt.Errorf("%w: explicit EC parameters other than a prime field", ErrUnsupportedKey)
	}
	if p.Cofactor != nil && p.Cofactor.Sign() <= 0 {
		return nil, fmt.Errorf("%w: cofactor %v", ErrUnsupportedKey, p.Cofactor)
	}
	a, b := new(big.Int).SetBytes(p.Curve.A), new(big.Int).SetBytes(p.Curve.B)
	prime := p.FieldID.Prime
	size := (prime.BitLen() + 7) / 8
	if len(p.Base) != 1+2*size || p.Base[0] != 4 {
		return nil, fmt.Errorf("%w: base point not uncompressed", ErrUnsupportedKey)
	}
	gx, gy := new(big.Int).SetBytes(p.Base[1:1+size]), new(big.Int).SetBytes(p.Base[1+size:])
	c, err := New("explicit", prime, a, b, gx, gy, p.Order)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	return c, nil
}

// unmarshalPoint reads an uncompressed point (04 || x || y) and checks it is on c.
func (c *Curve) unmarshalPoint(b []byte) (*big.Int, *big.Int, error) {
	size := (c.params.P.BitLen() + 7) / 8
	if len(b) != 1+2*size || b[0] != 4 {
		return nil, nil, fmt.Errorf("%w: public point not uncompressed", ErrUnsupportedKey)
	}
	x, y := new(big.Int).SetBytes(b[1:1+size]), new(big.Int).SetBytes(b[1+size:])
	if !c.IsOnCurve(x, y) {
		return nil, nil, fmt.Errorf("%w: public point not on the curve", ErrUnsupportedKey)
	}
	return x, y, nil
}

type ecdsaSig struct{ R, S *big.Int }

// hashToInt is the leftmost bitlen(n) bits of the digest (SEC 1 §4.1.4 step 5).
func hashToInt(digest []byte, n *big.Int) *big.Int {
	bits := n.BitLen()
	if len(digest)*8 > bits {
		digest = digest[:(bits+7)/8]
	}
	e := new(big.Int).SetBytes(digest)
	if extra := len(digest)*8 - bits; extra > 0 {
		e.Rsh(e, uint(extra))
	}
	return e
}

// VerifyASN1 verifies an ASN.1 DER ECDSA signature (SEQUENCE { r, s }) of digest.
func VerifyASN1(pub *PublicKey, digest, sig []byte) bool {
	var rs ecdsaSig
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) != 0 || rs.R == nil || rs.S == nil {
		return false
	}
	c := pub.Curve
	n := c.params.N
	if rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.Cmp(n) >= 0 || rs.S.Cmp(n) >= 0 {
		return false
	}
	if !c.IsOnCurve(pub.X, pub.Y) {
		return false
	}
	e := hashToInt(digest, n)
	w := new(big.Int).ModInverse(rs.S, n)
	if w == nil {
		return false
	}
	u1 := new(big.Int).Mul(e, w)
	u1.Mod(u1, n)
	u2 := new(big.Int).Mul(rs.R, w)
	u2.Mod(u2, n)
	x1, y1 := c.ScalarBaseMult(u1.Bytes())
	x2, y2 := c.ScalarMult(pub.X, pub.Y, u2.Bytes())
	x, y := c.Add(x1, y1, x2, y2)
	if x.Sign() == 0 && y.Sign() == 0 {
		return false
	}
	return x.Mod(x, n).Cmp(rs.R) == 0
}

// SignASN1 signs digest with private scalar d. NOT constant time and with no
// protection of d: for building test documents only.
func SignASN1(rand io.Reader, c *Curve, d *big.Int, digest []byte) ([]byte, error) {
	n := c.params.N
	e := hashToInt(digest, n)
	buf := make([]byte, (n.BitLen()+7)/8+8)
	for {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, err
		}
		k := new(big.Int).SetBytes(buf)
		k.Mod(k, new(big.Int).Sub(n, big.NewInt(1))).Add(k, big.NewInt(1))
		x, _ := c.ScalarBaseMult(k.Bytes())
		r := new(big.Int).Mod(x, n)
		if r.Sign() == 0 {
			continue
		}
		s := new(big.Int).Mul(r, d)
		s.Add(s, e).Mul(s, new(big.Int).ModInverse(k, n)).Mod(s, n)
		if s.Sign() == 0 {
			continue
		}
		return asn1.Marshal(ecdsaSig{r, s})
	}
}

// MarshalPublicKeyInfo encodes pub as a SubjectPublicKeyInfo with a named Brainpool
// curve (oid) or, when oid is nil, explicit prime-field parameters.
func MarshalPublicKeyInfo(pub *PublicKey, oid asn1.ObjectIdentifier) ([]byte, error) {
	c := pub.Curve.params
	size := (c.P.BitLen() + 7) / 8
	point := func(x, y *big.Int) []byte {
		b := make([]byte, 1+2*size)
		b[0] = 4
		x.FillBytes(b[1 : 1+size])
		y.FillBytes(b[1+size:])
		return b
	}
	var params []byte
	var err error
	if oid != nil {
		params, err = asn1.Marshal(oid)
	} else {
		params, err = asn1.Marshal(ecParameters{
			Version:  1,
			FieldID:  fieldID{FieldType: oidPrimeField, Prime: c.P},
			Curve:    curveDef{A: pub.Curve.A.FillBytes(make([]byte, size)), B: c.B.FillBytes(make([]byte, size))},
			Base:     point(c.Gx, c.Gy),
			Order:    c.N,
			Cofactor: big.NewInt(1),
		})
	}
	if err != nil {
		return nil, err
	}
	pt := point(pub.X, pub.Y)
	return asn1.Marshal(spki{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: OIDECPublicKey, Parameters: asn1.RawValue{FullBytes: params}},
		PublicKey: asn1.BitString{Bytes: pt, BitLength: 8 * len(pt)},
	})
}
