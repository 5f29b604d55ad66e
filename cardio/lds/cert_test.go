package lds

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/cardio/internal/ecgeneric"
	"github.com/macau-dsi/kiosk/cardio/internal/testcard"
)

// brainpoolDS makes a document signer certificate whose key is on curve (named by
// oid, or explicit parameters when oid is nil), issued and signed by a P-256 CSCA.
// crypto/x509 cannot make one, so the TBSCertificate's key is swapped and the CSCA
// signs it again.
func brainpoolDS(t *testing.T, c *ecgeneric.Curve, oid asn1.ObjectIdentifier) (csca *x509.Certificate, ds []byte, d *big.Int) {
	t.Helper()
	ck, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ct := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Country: []string{testcard.Country}, CommonName: "brainpool test CSCA"},
		NotBefore: now.AddDate(-5, 0, 0), NotAfter: now.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, SubjectKeyId: []byte{9, 9, 9},
	}
	cder, err := x509.CreateCertificate(rand.Reader, ct, ct, &ck.PublicKey, ck)
	if err != nil {
		t.Fatal(err)
	}
	csca, _ = x509.ParseCertificate(cder)
	stand, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dt := &x509.Certificate{
		SerialNumber: big.NewInt(77), Subject: pkix.Name{Country: []string{testcard.Country}, CommonName: "brainpool test DS"},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
	}
	dder, err := x509.CreateCertificate(rand.Reader, dt, csca, &stand.PublicKey, ck)
	if err != nil {
		t.Fatal(err)
	}
	d, _ = rand.Int(rand.Reader, c.Params().N)
	x, y := c.ScalarBaseMult(d.Bytes())
	spki, err := ecgeneric.MarshalPublicKeyInfo(&ecgeneric.PublicKey{Curve: c, X: x, Y: y}, oid)
	if err != nil {
		t.Fatal(err)
	}
	swapped, _, _, err := swapSPKI(dder, spki)
	if err != nil {
		t.Fatal(err)
	}
	var rc rawCertificate
	asn1.Unmarshal(swapped, &rc)
	h := sha256.Sum256(rc.TBS.FullBytes)
	sig, _ := ecdsa.SignASN1(rand.Reader, ck, h[:])
	sigBits, _ := asn1.Marshal(asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)})
	rc.Sig = asn1.RawValue{FullBytes: sigBits}
	ds, err = asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true,
		Bytes: append(append(append([]byte(nil), rc.TBS.FullBytes...), rc.SigAlg.FullBytes...), rc.Sig.FullBytes...)})
	if err != nil {
		t.Fatal(err)
	}
	return csca, ds, d
}

// TestBrainpoolDocumentSigner: a DS on brainpoolP256r1 (named) or with explicit
// domain parameters, which crypto/x509 refuses, verifies: EF.SOD's signature with
// generic ECDSA, the chain to the CSCA, the dates.
func TestBrainpoolDocumentSigner(t *testing.T) {
	p, _ := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	dgs := testcard.Files(holder(testcard.JPEG(300)))
	good := mustSOD(t, p, dgs)
	for _, tc := range []struct {
		name  string
		curve *ecgeneric.Curve
		oid   asn1.ObjectIdentifier
	}{
		{"brainpoolP256r1 named", ecgeneric.BrainpoolP256r1, ecgeneric.OIDBrainpoolP256r1},
		{"brainpoolP384r1 named", ecgeneric.BrainpoolP384r1, ecgeneric.OIDBrainpoolP384r1},
		{"brainpoolP256r1 explicit parameters", ecgeneric.BrainpoolP256r1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csca, ds, d := brainpoolDS(t, tc.curve, tc.oid)
			// The case at hand: crypto/x509 refuses the certificate.
			if _, err := x509.ParseCertificate(ds); err == nil {
				t.Fatal("crypto/x509 parses this DS: the test no longer covers the fallback")
			}
			resign := func(flip bool) []byte {
				return editSOD(t, good, func(sd *signedData) {
					sd.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: ds}
					si := &sd.SignerInfos[0]
					sid, _ := asn1.Marshal(issuerAndSerial{Issuer: asn1.RawValue{FullBytes: csca.RawSubject}, Serial: big.NewInt(77)})
					si.SID = asn1.RawValue{FullBytes: sid}
					set := append([]byte{0x31}, si.SignedAttrs.FullBytes[1:]...)
					h := sha256.Sum256(set)
					if flip {
						h[0] ^= 1
					}
					sig, err := ecgeneric.SignASN1(rand.Reader, tc.curve, d, h[:])
					if err != nil {
						t.Fatal(err)
					}
					si.Signature = sig
				})
			}
			store := writeStore(t, csca.Raw)
			checks, ok := PassiveAuth(resign(false), dgs, store, now)
			if !ok {
				t.Fatalf("not verified: %+v", checks)
			}
			checks, ok = PassiveAuth(resign(true), dgs, store, now)
			if ok {
				t.Fatal("a wrong signature verified")
			}
			for _, c := range checks {
				if c.OK == (c.Name == CheckSignature) {
					t.Errorf("check %s ok=%v (%s)", c.Name, c.OK, c.Detail)
				}
			}
		})
	}
}

// TestBrainpoolCSCA: a CSCA whose own key is on brainpoolP256r1 (in the trust
// store) signs a P-256 document signer's certificate.
func TestBrainpoolCSCA(t *testing.T) {
	c := ecgeneric.BrainpoolP256r1
	_, caDER, caD := brainpoolDS(t, c, ecgeneric.OIDBrainpoolP256r1)
	// The trust store loads it (crypto/x509 alone would refuse the file).
	store := writeStore(t, caDER)
	if len(store.CSCAs) != 1 {
		t.Fatalf("%d CSCAs", len(store.CSCAs))
	}
	ca := store.CSCAs[0]
	if _, ok := ca.PublicKey.(*ecgeneric.PublicKey); !ok {
		t.Fatalf("CSCA key %T", ca.PublicKey)
	}
	// The "DS" of brainpoolDS is not a CA: checked first.
	dk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(5), Subject: pkix.Name{CommonName: "DS under a brainpool CSCA"},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(1, 0, 0)}
	stand, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	standCA := &x509.Certificate{SerialNumber: big.NewInt(77), Subject: ca.Subject, SubjectKeyId: ca.SubjectKeyId, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, standCA, &dk.PublicKey, stand)
	if err != nil {
		t.Fatal(err)
	}
	// Re-sign the TBSCertificate with the brainpool CSCA key.
	var rc rawCertificate
	asn1.Unmarshal(der, &rc)
	h := sha256.Sum256(rc.TBS.FullBytes)
	sig, _ := ecgeneric.SignASN1(rand.Reader, c, caD, h[:])
	sigBits, _ := asn1.Marshal(asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)})
	der, _ = asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true,
		Bytes: append(append(append([]byte(nil), rc.TBS.FullBytes...), rc.SigAlg.FullBytes...), sigBits...)})
	ds, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkCertSignature(ds, ca); err == nil {
		t.Fatal("issuer without certificate signing accepted")
	}
	ca.KeyUsage = x509.KeyUsageCertSign
	ca.IsCA, ca.BasicConstraintsValid = false, true
	if err := checkCertSignature(ds, ca); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Fatalf("issuer that is no CA: %v", err)
	}
	ca.IsCA = true
	if err := checkCertSignature(ds, ca); err != nil {
		t.Fatalf("brainpool CSCA signature: %v", err)
	}
	ds.Signature = append([]byte(nil), ds.Signature...)
	ds.RawTBSCertificate = append([]byte(nil), ds.RawTBSCertificate...)
	ds.RawTBSCertificate[len(ds.RawTBSCertificate)-1] ^= 1
	if err := checkCertSignature(ds, ca); err == nil {
		t.Fatal("tampered certificate verified")
	}
}

// rawName encodes C and CN with the given string types (asn1 tags), as another
// issuer might write the same name.
func rawName(t *testing.T, c, cn string, tag int) []byte {
	t.Helper()
	atv := func(oid asn1.ObjectIdentifier, v string) []byte {
		val, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: []byte(v)})
		o, _ := asn1.Marshal(oid)
		seq, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: append(o, val...)})
		set, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: seq})
		return set
	}
	body := append(atv(asn1.ObjectIdentifier{2, 5, 4, 6}, c), atv(asn1.ObjectIdentifier{2, 5, 4, 3}, cn)...)
	der, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestCSCANameMatching: the CSCA is found by its name compared as RFC 5280 §7.1
// says (string type, case and insignificant spaces aside), not by DER bytes.
func TestCSCANameMatching(t *testing.T) {
	p, _ := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	dgs := testcard.Files(holder(testcard.JPEG(300)))
	sod := mustSOD(t, p, dgs)
	for _, tc := range []struct {
		name string
		raw  []byte
		ok   bool
	}{
		{"UTF8String, other case and spaces", rawName(t, "mo", "  testcard   CSCA ", asn1.TagUTF8String), true},
		{"PrintableString as issued", rawName(t, "MO", "testcard CSCA", asn1.TagPrintableString), true},
		{"another name", rawName(t, "MO", "testcard CSCA 2", asn1.TagUTF8String), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca, err := p.ReissueCSCA(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name != "PrintableString as issued" && bytes.Equal(ca.RawSubject, p.DS.RawIssuer) {
				t.Fatal("the test name is byte-equal to the DS issuer")
			}
			checks, ok := PassiveAuth(sod, dgs, writeStore(t, ca.Raw), now)
			if ok != tc.ok {
				t.Fatalf("verified %v: %+v", ok, checks)
			}
		})
	}
}

// TestCRL: CRLs (.crl, PEM or DER) in the trust store folder are verified against
// their CSCA at load; a DS they list fails csca_chain.
func TestCRL(t *testing.T) {
	p, _ := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	other, _ := testcard.NewPKI(now, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	dgs := testcard.Files(holder(testcard.JPEG(300)))
	sod := mustSOD(t, p, dgs)
	store := func(t *testing.T, crls map[string][]byte) (*TrustStore, error) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "csca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CSCA.Raw}), 0o644)
		for n, b := range crls {
			os.WriteFile(filepath.Join(dir, n), b, 0o644)
		}
		return LoadTrustStore(dir)
	}
	revoking, err := p.CRL(now, big.NewInt(99), p.DS.SerialNumber)
	if err != nil {
		t.Fatal(err)
	}
	harmless, _ := p.CRL(now, big.NewInt(99))
	foreign, _ := other.CRL(now, p.DS.SerialNumber)
	for _, tc := range []struct {
		name    string
		crls    map[string][]byte
		loadErr bool
		ok      bool
	}{
		{"no CRL", nil, false, true},
		{"CRL without the DS", map[string][]byte{"csca.crl": harmless}, false, true},
		{"CRL revoking the DS (DER)", map[string][]byte{"csca.crl": revoking}, false, false},
		{"CRL revoking the DS (PEM)", map[string][]byte{"csca.crl": pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: revoking})}, false, false},
		{"CRL of a CSCA not in the store", map[string][]byte{"other.crl": foreign}, true, false},
		{"not a CRL", map[string][]byte{"bad.crl": []byte("junk")}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := store(t, tc.crls)
			if tc.loadErr {
				if err == nil {
					t.Fatal("store loaded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checks, ok := PassiveAuth(sod, dgs, ts, now)
			if ok != tc.ok {
				t.Fatalf("verified %v: %+v", ok, checks)
			}
			for _, c := range checks {
				if !c.OK && (c.Name != CheckChain || !strings.Contains(c.Detail, "revoked")) {
					t.Errorf("check %s failed: %s", c.Name, c.Detail)
				}
			}
		})
	}
}
