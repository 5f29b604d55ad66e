package lds

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/macau-dsi/kiosk/cardio/internal/ecgeneric"
)

// parseCertificate is x509.ParseCertificate, plus the EC keys Doc 9303 Part 12 lets
// CSCAs and document signers use but crypto/x509 refuses ("x509: unsupported
// elliptic curve"): Brainpool named curves and explicit prime-field parameters.
// For those the certificate is parsed with a stand-in key, then given back its own
// bytes and its key as an *ecgeneric.PublicKey.
func parseCertificate(der []byte) (*x509.Certificate, error) {
	c, err := x509.ParseCertificate(der)
	if err == nil {
		return c, nil
	}
	stand, tbs, orig, serr := swapSPKI(der, standInSPKI)
	if serr != nil {
		return nil, err
	}
	pub, perr := ecgeneric.ParsePublicKeyInfo(orig)
	if perr != nil {
		return nil, fmt.Errorf("%w (%w)", err, perr)
	}
	c, serr = x509.ParseCertificate(stand)
	if serr != nil {
		return nil, err
	}
	c.Raw, c.RawTBSCertificate, c.RawSubjectPublicKeyInfo = der, tbs, orig
	c.PublicKey, c.PublicKeyAlgorithm = pub, x509.ECDSA
	return c, nil
}

// standInSPKI is a P-256 key crypto/x509 accepts (the generator), only ever used to
// get a certificate's other fields parsed.
var standInSPKI = func() []byte {
	p := elliptic.P256().Params()
	b, err := x509.MarshalPKIXPublicKey(&ecdsa.PublicKey{Curve: elliptic.P256(), X: p.Gx, Y: p.Gy})
	if err != nil {
		panic(err)
	}
	return b
}()

type rawCertificate struct {
	TBS    asn1.RawValue
	SigAlg asn1.RawValue
	Sig    asn1.RawValue
}

// swapSPKI returns the certificate with its SubjectPublicKeyInfo replaced by spki
// (signature unchanged, so no longer valid), its original TBSCertificate and its
// original SubjectPublicKeyInfo.
func swapSPKI(der, spki []byte) (cert, tbs, orig []byte, err error) {
	var rc rawCertificate
	if rest, err := asn1.Unmarshal(der, &rc); err != nil || len(rest) != 0 {
		return nil, nil, nil, errors.New("not a certificate")
	}
	var fields []asn1.RawValue
	for b := rc.TBS.Bytes; len(b) > 0; {
		var f asn1.RawValue
		rest, err := asn1.Unmarshal(b, &f)
		if err != nil {
			return nil, nil, nil, err
		}
		fields = append(fields, f)
		b = rest
	}
	// version [0] (optional), serialNumber, signature, issuer, validity, subject,
	// subjectPublicKeyInfo, ...
	i := 5
	if len(fields) > 0 && fields[0].Class == asn1.ClassContextSpecific && fields[0].Tag == 0 {
		i = 6
	}
	if len(fields) <= i || fields[i].Tag != asn1.TagSequence {
		return nil, nil, nil, errors.New("TBSCertificate without a SubjectPublicKeyInfo")
	}
	orig = fields[i].FullBytes
	var body []byte
	for j, f := range fields {
		if j == i {
			body = append(body, spki...)
		} else {
			body = append(body, f.FullBytes...)
		}
	}
	newTBS, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	if err != nil {
		return nil, nil, nil, err
	}
	all := append(append(append([]byte(nil), newTBS...), rc.SigAlg.FullBytes...), rc.Sig.FullBytes...)
	cert, err = asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: all})
	return cert, rc.TBS.FullBytes, orig, err
}

// checkCertSignature is cert.CheckSignatureFrom(ca), also for a CSCA whose key
// crypto/x509 cannot use (an *ecgeneric.PublicKey).
func checkCertSignature(cert, ca *x509.Certificate) error {
	pub, ok := ca.PublicKey.(*ecgeneric.PublicKey)
	if !ok {
		return cert.CheckSignatureFrom(ca)
	}
	if ca.BasicConstraintsValid && !ca.IsCA {
		return errors.New("the issuer is not a CA")
	}
	if ca.KeyUsage != 0 && ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		return errors.New("the issuer's key may not sign certificates")
	}
	h, err := ecdsaHash(cert.SignatureAlgorithm)
	if err != nil {
		return err
	}
	d := h.New()
	d.Write(cert.RawTBSCertificate)
	if !ecgeneric.VerifyASN1(pub, d.Sum(nil), cert.Signature) {
		return errors.New("ECDSA signature does not verify")
	}
	return nil
}

// checkCRLSignature is rl.CheckSignatureFrom(ca), also for a generic EC CSCA key.
func checkCRLSignature(rl *x509.RevocationList, ca *x509.Certificate) error {
	pub, ok := ca.PublicKey.(*ecgeneric.PublicKey)
	if !ok {
		return rl.CheckSignatureFrom(ca)
	}
	if ca.KeyUsage != 0 && ca.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return errors.New("the issuer's key may not sign CRLs")
	}
	h, err := ecdsaHash(rl.SignatureAlgorithm)
	if err != nil {
		return err
	}
	d := h.New()
	d.Write(rl.RawTBSRevocationList)
	if !ecgeneric.VerifyASN1(pub, d.Sum(nil), rl.Signature) {
		return errors.New("ECDSA signature does not verify")
	}
	return nil
}

func ecdsaHash(alg x509.SignatureAlgorithm) (crypto.Hash, error) {
	switch alg {
	case x509.ECDSAWithSHA1:
		return crypto.SHA1, nil
	case x509.ECDSAWithSHA256:
		return crypto.SHA256, nil
	case x509.ECDSAWithSHA384:
		return crypto.SHA384, nil
	case x509.ECDSAWithSHA512:
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("signature algorithm %v with an EC key", alg)
}

// parseCertificateSet reads the certificates of SignedData's [0] field.
func parseCertificateSet(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for len(b) > 0 {
		var raw asn1.RawValue
		rest, err := asn1.Unmarshal(b, &raw)
		if err != nil {
			return nil, err
		}
		b = rest
		if raw.Class != asn1.ClassUniversal || raw.Tag != asn1.TagSequence {
			continue // other certificate formats (attribute certificates...)
		}
		c, err := parseCertificate(raw.FullBytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
