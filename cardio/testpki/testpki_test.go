package testpki

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestGenerateChains(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p, err := Generate(now)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(p.CSCA)
	for _, tc := range []struct {
		name    string
		s       Signer
		wantErr bool
	}{{"valid", p.Valid, false}, {"expired", p.Expired, true}} {
		_, err := tc.s.Cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if (err != nil) != tc.wantErr {
			t.Errorf("%s signer: Verify error = %v, want error %v", tc.name, err, tc.wantErr)
		}
		// Both are signed by the CSCA: only the dates differ.
		if err := tc.s.Cert.CheckSignatureFrom(p.CSCA); err != nil {
			t.Errorf("%s signer not signed by the CSCA: %v", tc.name, err)
		}
	}
	if !p.Expired.Cert.NotAfter.Before(now) {
		t.Errorf("expired signer NotAfter %v is not before %v", p.Expired.Cert.NotAfter, now)
	}
}

func TestLoadOrCreateKeepsThePKI(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	p1, err := LoadOrCreate(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := LoadOrCreate(dir, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !p1.CSCA.Equal(p2.CSCA) || !p1.Valid.Cert.Equal(p2.Valid.Cert) {
		t.Error("second LoadOrCreate made a new PKI instead of loading the saved one")
	}
	data, err := os.ReadFile(filepath.Join(TrustStore(dir), "csca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("trust store file is not a PEM certificate")
	}
	if c, err := x509.ParseCertificate(b.Bytes); err != nil || !c.Equal(p1.CSCA) {
		t.Errorf("trust store holds another certificate (%v)", err)
	}
	// No private key may end up in the trust store.
	entries, _ := os.ReadDir(TrustStore(dir))
	for _, e := range entries {
		d, _ := os.ReadFile(filepath.Join(TrustStore(dir), e.Name()))
		for rest := d; ; {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			if blk.Type != "CERTIFICATE" {
				t.Errorf("%s holds a %s block", e.Name(), blk.Type)
			}
		}
	}
	// Ten years on, the saved "valid" signer has expired: a fresh PKI replaces it.
	p3, err := LoadOrCreate(dir, now.AddDate(12, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if p3.CSCA.Equal(p1.CSCA) {
		t.Error("LoadOrCreate kept a PKI whose valid signer has expired")
	}
}

// TestCountryIsMacao: every certificate names MO, the alpha-2 code of the cards'
// issuing state MAC (Doc 9303 Part 12), and a PKI saved before that (C=CN) is
// replaced rather than loaded.
func TestCountryIsMacao(t *testing.T) {
	now := time.Now()
	p, err := Generate(now)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*x509.Certificate{p.CSCA, p.Valid.Cert, p.Expired.Cert} {
		if len(c.Subject.Country) != 1 || c.Subject.Country[0] != "MO" || len(c.Issuer.Country) != 1 || c.Issuer.Country[0] != "MO" {
			t.Errorf("%s: subject C %v, issuer C %v, want MO", c.Subject.CommonName, c.Subject.Country, c.Issuer.Country)
		}
	}
	dir := t.TempDir()
	old, err := generate(now, "CN")
	if err != nil {
		t.Fatal(err)
	}
	if err := old.save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := LoadOrCreate(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.CSCA.Equal(old.CSCA) || got.CSCA.Subject.Country[0] != "MO" {
		t.Errorf("LoadOrCreate kept the saved C=%v PKI", got.CSCA.Subject.Country)
	}
}
