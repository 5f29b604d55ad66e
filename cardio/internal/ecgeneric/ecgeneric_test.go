package ecgeneric

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"testing"
)

// The Brainpool constants make curves: G on the curve and n·G = O.
func TestBrainpoolCurves(t *testing.T) {
	for _, c := range []*Curve{BrainpoolP256r1, BrainpoolP384r1, BrainpoolP512r1} {
		p := c.Params()
		if _, err := New(p.Name, p.P, c.A, p.B, p.Gx, p.Gy, p.N); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	p := BrainpoolP256r1.Params()
	if _, err := New("bad", p.P, BrainpoolP256r1.A, p.B, p.Gx, new(big.Int).Add(p.Gy, big.NewInt(1)), p.N); err == nil {
		t.Error("base point off the curve accepted")
	}
	if _, err := New("bad", p.P, BrainpoolP256r1.A, p.B, p.Gx, p.Gy, new(big.Int).Add(p.N, big.NewInt(2))); err == nil {
		t.Error("wrong order accepted")
	}
}

// P-256 expressed as a generic curve (a = p - 3) verifies crypto/ecdsa's signatures:
// an independent check of the arithmetic and of VerifyASN1.
func TestVerifyAgainstCryptoECDSA(t *testing.T) {
	sp := elliptic.P256().Params()
	c, err := New("P-256", sp.P, new(big.Int).Sub(sp.P, big.NewInt(3)), sp.B, sp.Gx, sp.Gy, sp.N)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := sha256.Sum256([]byte("LDS security object"))
	sig, _ := ecdsa.SignASN1(rand.Reader, k, d[:])
	pub := &PublicKey{Curve: c, X: k.X, Y: k.Y}
	if !VerifyASN1(pub, d[:], sig) {
		t.Fatal("crypto/ecdsa signature does not verify")
	}
	d[0] ^= 1
	if VerifyASN1(pub, d[:], sig) {
		t.Fatal("signature verifies another digest")
	}
	// And crypto/ecdsa verifies ours.
	d[0] ^= 1
	mine, err := SignASN1(rand.Reader, c, k.D, d[:])
	if err != nil || !ecdsa.VerifyASN1(&k.PublicKey, d[:], mine) {
		t.Fatalf("SignASN1 signature refused by crypto/ecdsa: %v", err)
	}
}

func TestSignVerifyAndSPKI(t *testing.T) {
	for _, tc := range []struct {
		c   *Curve
		oid asn1.ObjectIdentifier
	}{{BrainpoolP256r1, OIDBrainpoolP256r1}, {BrainpoolP384r1, OIDBrainpoolP384r1}, {BrainpoolP512r1, OIDBrainpoolP512r1}, {BrainpoolP256r1, nil}} {
		d, _ := rand.Int(rand.Reader, tc.c.Params().N)
		x, y := tc.c.ScalarBaseMult(d.Bytes())
		pub := &PublicKey{Curve: tc.c, X: x, Y: y}
		der, err := MarshalPublicKeyInfo(pub, tc.oid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParsePKIXPublicKey(der); err == nil {
			t.Logf("%s: crypto/x509 reads it too", tc.c.Params().Name)
		}
		got, err := ParsePublicKeyInfo(der)
		if err != nil {
			t.Fatalf("%s (oid %v): %v", tc.c.Params().Name, tc.oid, err)
		}
		if got.X.Cmp(x) != 0 || got.Y.Cmp(y) != 0 || got.Curve.Params().P.Cmp(tc.c.Params().P) != 0 {
			t.Fatalf("%s: key differs", tc.c.Params().Name)
		}
		digest := sha256.Sum256([]byte("message"))
		sig, err := SignASN1(rand.Reader, tc.c, d, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		if !VerifyASN1(got, digest[:], sig) {
			t.Fatalf("%s: signature does not verify", tc.c.Params().Name)
		}
		digest[1] ^= 1
		if VerifyASN1(got, digest[:], sig) {
			t.Fatalf("%s: verifies a changed digest", tc.c.Params().Name)
		}
	}
	// A point off the curve is refused.
	pub := &PublicKey{Curve: BrainpoolP256r1, X: big.NewInt(1), Y: big.NewInt(2)}
	der, _ := MarshalPublicKeyInfo(pub, OIDBrainpoolP256r1)
	if _, err := ParsePublicKeyInfo(der); err == nil {
		t.Error("point off the curve accepted")
	}
}
