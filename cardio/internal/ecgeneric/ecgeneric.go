// Package ecgeneric is elliptic curve arithmetic on any short Weierstrass curve
// y² = x³ + ax + b over a prime field, in affine coordinates with math/big, and
// ECDSA verification on it. crypto/elliptic and crypto/ecdsa know only the NIST
// curves (and assume a = -3); Doc 9303 Part 12 lets document signers use Brainpool
// curves or explicit domain parameters, and PACE's worked example is on
// brainpoolP256r1.
//
// It is slow and NOT constant time: use it only with public values (verifying
// signatures, the Doc 9303 test vectors), never with a secret scalar in production.
package ecgeneric

import (
	"crypto/elliptic"
	"errors"
	"math/big"
	"strings"
)

// Curve is a short Weierstrass curve; it implements elliptic.Curve (Params' A is
// not part of elliptic.CurveParams, hence the field).
type Curve struct {
	params *elliptic.CurveParams
	A      *big.Int
}

var _ elliptic.Curve = (*Curve)(nil)

// ErrBadCurve is returned for domain parameters that do not make a usable curve.
var ErrBadCurve = errors.New("ecgeneric: invalid curve parameters")

// New makes a curve from its domain parameters, checking that the base point lies
// on it and that the order is plausible (n·G = O). Cofactor > 1 curves are accepted
// as long as G has order n.
func New(name string, p, a, b, gx, gy, n *big.Int) (*Curve, error) {
	if p == nil || a == nil || b == nil || gx == nil || gy == nil || n == nil ||
		p.Sign() <= 0 || p.Bit(0) == 0 || p.BitLen() < 160 || p.BitLen() > 1024 ||
		n.Sign() <= 0 || n.BitLen() < 160 || !p.ProbablyPrime(16) || !n.ProbablyPrime(16) {
		return nil, ErrBadCurve
	}
	for _, v := range []*big.Int{a, b, gx, gy} {
		if v.Sign() < 0 || v.Cmp(p) >= 0 {
			return nil, ErrBadCurve
		}
	}
	// b = 0 would put the point at infinity's stand-in (0, 0) on the curve.
	if b.Sign() == 0 {
		return nil, ErrBadCurve
	}
	c := &Curve{params: &elliptic.CurveParams{Name: name, BitSize: p.BitLen(), P: p, B: b, Gx: gx, Gy: gy, N: n}, A: a}
	if !c.IsOnCurve(gx, gy) {
		return nil, ErrBadCurve
	}
	if x, y := c.ScalarBaseMult(n.Bytes()); x.Sign() != 0 || y.Sign() != 0 {
		return nil, ErrBadCurve
	}
	return c, nil
}

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(strings.ReplaceAll(s, " ", ""), 16)
	if !ok {
		panic("ecgeneric: bad constant " + s)
	}
	return n
}

func mustCurve(name, p, a, b, gx, gy, n string) *Curve {
	c := &Curve{params: &elliptic.CurveParams{Name: name, P: mustHex(p), B: mustHex(b), Gx: mustHex(gx), Gy: mustHex(gy), N: mustHex(n)}, A: mustHex(a)}
	c.params.BitSize = c.params.P.BitLen()
	return c
}

// The Brainpool curves of RFC 5639 §3.4-3.6 (checked in the tests: G on the
// curve, n·G = O).
var (
	BrainpoolP256r1 = mustCurve("brainpoolP256r1",
		"A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
		"7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
		"26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
		"8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262",
		"547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
		"A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7")
	BrainpoolP384r1 = mustCurve("brainpoolP384r1",
		"8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53",
		"7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
		"04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11",
		"1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E",
		"8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315",
		"8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565")
	BrainpoolP512r1 = mustCurve("brainpoolP512r1",
		"AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
		"7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
		"3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
		"81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822",
		"7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
		"AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069")
)

// Params returns the curve parameters (without A).
func (c *Curve) Params() *elliptic.CurveParams { return c.params }

// IsOnCurve reports whether (x, y) is a point of the curve (the point at infinity,
// written (0, 0), is not).
func (c *Curve) IsOnCurve(x, y *big.Int) bool {
	p := c.params.P
	if x.Sign() < 0 || y.Sign() < 0 || x.Cmp(p) >= 0 || y.Cmp(p) >= 0 {
		return false
	}
	l := new(big.Int).Mul(y, y)
	r := new(big.Int).Mul(x, x)
	r.Add(r, c.A).Mul(r, x).Add(r, c.params.B)
	return l.Sub(l, r).Mod(l, p).Sign() == 0
}

// Add returns P1 + P2; (0, 0) stands for the point at infinity.
func (c *Curve) Add(x1, y1, x2, y2 *big.Int) (*big.Int, *big.Int) {
	p := c.params.P
	inf := func(x, y *big.Int) bool { return x.Sign() == 0 && y.Sign() == 0 }
	switch {
	case inf(x1, y1):
		return new(big.Int).Set(x2), new(big.Int).Set(y2)
	case inf(x2, y2):
		return new(big.Int).Set(x1), new(big.Int).Set(y1)
	}
	var l *big.Int
	if x1.Cmp(x2) == 0 {
		sum := new(big.Int).Add(y1, y2)
		if sum.Mod(sum, p).Sign() == 0 {
			return new(big.Int), new(big.Int)
		}
		num := new(big.Int).Mul(x1, x1)
		num.Mul(num, big.NewInt(3)).Add(num, c.A)
		den := new(big.Int).Lsh(y1, 1)
		l = num.Mul(num, den.ModInverse(den.Mod(den, p), p))
	} else {
		num := new(big.Int).Sub(y2, y1)
		den := new(big.Int).Sub(x2, x1)
		l = num.Mul(num, den.ModInverse(den.Mod(den, p), p))
	}
	l.Mod(l, p)
	x3 := new(big.Int).Mul(l, l)
	x3.Sub(x3, x1).Sub(x3, x2).Mod(x3, p)
	y3 := new(big.Int).Sub(x1, x3)
	y3.Mul(y3, l).Sub(y3, y1).Mod(y3, p)
	return x3, y3
}

// Double returns 2·P.
func (c *Curve) Double(x, y *big.Int) (*big.Int, *big.Int) { return c.Add(x, y, x, y) }

// ScalarMult returns k·P (k big-endian), by double-and-add.
func (c *Curve) ScalarMult(x, y *big.Int, k []byte) (*big.Int, *big.Int) {
	rx, ry := new(big.Int), new(big.Int)
	for _, b := range k {
		for i := 7; i >= 0; i-- {
			rx, ry = c.Double(rx, ry)
			if b>>i&1 == 1 {
				rx, ry = c.Add(rx, ry, x, y)
			}
		}
	}
	return rx, ry
}

// ScalarBaseMult returns k·G.
func (c *Curve) ScalarBaseMult(k []byte) (*big.Int, *big.Int) {
	return c.ScalarMult(c.params.Gx, c.params.Gy, k)
}
