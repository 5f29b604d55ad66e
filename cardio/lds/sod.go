package lds

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	_ "crypto/sha1" // registered for crypto.Hash.New
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/macau-dsi/kiosk/cardio/internal/ecgeneric"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// Object identifiers of EF.SOD (RFC 5652, RFC 5754, RFC 4055, Doc 9303 Part 10/11).
var (
	oidSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidLDSSecurityObject = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	oidContentType       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidRSASSAPSS         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}

	hashByOID = map[string]crypto.Hash{
		"1.3.14.3.2.26":          crypto.SHA1,
		"2.16.840.1.101.3.4.2.4": crypto.SHA224,
		"2.16.840.1.101.3.4.2.1": crypto.SHA256,
		"2.16.840.1.101.3.4.2.2": crypto.SHA384,
		"2.16.840.1.101.3.4.2.3": crypto.SHA512,
	}
	// Signature algorithm → (key type, hash). Hash 0 means "take the digest algorithm".
	sigAlgs = map[string]struct {
		rsa  bool
		hash crypto.Hash
	}{
		"1.2.840.113549.1.1.1":  {true, 0}, // rsaEncryption, as some signers write it
		"1.2.840.113549.1.1.5":  {true, crypto.SHA1},
		"1.2.840.113549.1.1.14": {true, crypto.SHA224},
		"1.2.840.113549.1.1.11": {true, crypto.SHA256},
		"1.2.840.113549.1.1.12": {true, crypto.SHA384},
		"1.2.840.113549.1.1.13": {true, crypto.SHA512},
		"1.2.840.10045.2.1":     {false, 0}, // id-ecPublicKey used as signature algorithm
		"1.2.840.10045.4.1":     {false, crypto.SHA1},
		"1.2.840.10045.4.3.1":   {false, crypto.SHA224},
		"1.2.840.10045.4.3.2":   {false, crypto.SHA256},
		"1.2.840.10045.4.3.3":   {false, crypto.SHA384},
		"1.2.840.10045.4.3.4":   {false, crypto.SHA512},
	}
)

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue // [0] EXPLICIT, checked by hand
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     []byte `asn1:"explicit,optional,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

type dgHash struct {
	Number int
	Hash   []byte
}

type ldsSecurityObject struct {
	Version       int
	HashAlgorithm pkix.AlgorithmIdentifier
	Hashes        []dgHash
	VersionInfo   asn1.RawValue `asn1:"optional"`
}

// SOD is a parsed EF.SOD.
type SOD struct {
	HashAlg   crypto.Hash
	Hashes    map[int][]byte // data group number → hash
	Signer    *x509.Certificate
	eContent  []byte
	signer    signerInfo
	certs     []*x509.Certificate
	eCType    asn1.ObjectIdentifier
	digestAlg crypto.Hash
}

// ErrSOD is wrapped by EF.SOD parsing errors.
var ErrSOD = errors.New("bad EF.SOD")

// ParseSOD parses EF.SOD: tag 77 around a CMS ContentInfo with SignedData over an
// LDSSecurityObject. It does not verify anything (see Verify).
func ParseSOD(b []byte) (*SOD, error) {
	o, err := tlv.ParseOne(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSOD, err)
	}
	if o.Tag != EFSOD.Tag {
		return nil, fmt.Errorf("%w: tag %s, want 77", ErrSOD, o.Tag)
	}
	var ci contentInfo
	if rest, err := asn1.Unmarshal(o.Value, &ci); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: ContentInfo: %v", ErrSOD, errOrTrailing(err))
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("%w: content type %v is not SignedData", ErrSOD, ci.ContentType)
	}
	if ci.Content.Class != asn1.ClassContextSpecific || ci.Content.Tag != 0 || !ci.Content.IsCompound {
		return nil, fmt.Errorf("%w: ContentInfo content is not [0]", ErrSOD)
	}
	var sd signedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: SignedData: %v", ErrSOD, errOrTrailing(err))
	}
	if !sd.EncapContentInfo.EContentType.Equal(oidLDSSecurityObject) {
		return nil, fmt.Errorf("%w: encapsulated content %v is not an LDSSecurityObject", ErrSOD, sd.EncapContentInfo.EContentType)
	}
	// RFC 5652 §5.1: version 3 when the encapsulated content is not id-data, as the
	// LDSSecurityObject is (Doc 9303 Part 10 §4.6.2.2 says 3 too).
	if sd.Version != 3 {
		return nil, fmt.Errorf("%w: SignedData version %d, want 3", ErrSOD, sd.Version)
	}
	if len(sd.SignerInfos) == 0 {
		return nil, fmt.Errorf("%w: no signer info", ErrSOD)
	}
	// RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier.
	for _, si := range sd.SignerInfos {
		switch {
		case si.Version == 1 && si.SID.Class == asn1.ClassUniversal && si.SID.Tag == asn1.TagSequence:
		case si.Version == 3 && si.SID.Class == asn1.ClassContextSpecific && si.SID.Tag == 0:
		default:
			return nil, fmt.Errorf("%w: SignerInfo version %d does not match its signer identifier", ErrSOD, si.Version)
		}
	}
	var so ldsSecurityObject
	if rest, err := asn1.Unmarshal(sd.EncapContentInfo.EContent, &so); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: LDSSecurityObject: %v", ErrSOD, errOrTrailing(err))
	}
	// Doc 9303 Part 10 §4.6.2.3: V0 without LDSVersionInfo, V1 with it.
	hasVersionInfo := len(so.VersionInfo.FullBytes) > 0
	if !(so.Version == 0 && !hasVersionInfo) && !(so.Version == 1 && hasVersionInfo) {
		return nil, fmt.Errorf("%w: LDSSecurityObject version %d with%s LDSVersionInfo", ErrSOD, so.Version, map[bool]string{true: "", false: "out"}[hasVersionInfo])
	}
	s := &SOD{Hashes: map[int][]byte{}, eContent: sd.EncapContentInfo.EContent, eCType: sd.EncapContentInfo.EContentType}
	var ok bool
	if s.HashAlg, ok = hashByOID[so.HashAlgorithm.Algorithm.String()]; !ok {
		return nil, fmt.Errorf("%w: unknown hash algorithm %v", ErrSOD, so.HashAlgorithm.Algorithm)
	}
	for _, h := range so.Hashes {
		if h.Number < 1 || h.Number > 16 {
			return nil, fmt.Errorf("%w: data group number %d", ErrSOD, h.Number)
		}
		if _, dup := s.Hashes[h.Number]; dup {
			return nil, fmt.Errorf("%w: data group %d listed twice", ErrSOD, h.Number)
		}
		if len(h.Hash) != s.HashAlg.Size() {
			return nil, fmt.Errorf("%w: DG%d hash of %d bytes for %v", ErrSOD, h.Number, len(h.Hash), s.HashAlg)
		}
		s.Hashes[h.Number] = h.Hash
	}
	if len(sd.Certificates.Bytes) > 0 {
		if s.certs, err = parseCertificateSet(sd.Certificates.Bytes); err != nil {
			return nil, fmt.Errorf("%w: certificates: %w", ErrSOD, err)
		}
	}
	// Doc 9303 Part 10 recommends one SignerInfo but allows more: use the one whose
	// signer identifier names a certificate EF.SOD carries.
	for _, si := range sd.SignerInfos {
		s.signer = si
		if s.Signer, err = s.findSigner(); err == nil {
			break
		}
		if !errors.Is(err, errNoSignerCert) {
			return nil, err
		}
	}
	if s.Signer == nil {
		return nil, err
	}
	if s.digestAlg, ok = hashByOID[s.signer.DigestAlgorithm.Algorithm.String()]; !ok {
		return nil, fmt.Errorf("%w: unknown digest algorithm %v", ErrSOD, s.signer.DigestAlgorithm.Algorithm)
	}
	return s, nil
}

var errNoSignerCert = errors.New("document signer certificate not in EF.SOD")

func errOrTrailing(err error) error {
	if err != nil {
		return err
	}
	return errors.New("trailing data")
}

// findSigner picks the certificate named by the SignerIdentifier: issuerAndSerialNumber
// or [0] subjectKeyIdentifier.
func (s *SOD) findSigner() (*x509.Certificate, error) {
	sid := s.signer.SID
	for _, c := range s.certs {
		switch {
		case sid.Class == asn1.ClassUniversal && sid.Tag == asn1.TagSequence:
			var ias issuerAndSerial
			if _, err := asn1.Unmarshal(sid.FullBytes, &ias); err != nil {
				return nil, fmt.Errorf("%w: signer identifier: %w", ErrSOD, err)
			}
			if sameName(ias.Issuer.FullBytes, c.RawIssuer) && ias.Serial != nil && ias.Serial.Cmp(c.SerialNumber) == 0 {
				return c, nil
			}
		case sid.Class == asn1.ClassContextSpecific && sid.Tag == 0:
			if len(c.SubjectKeyId) > 0 && bytes.Equal(sid.Bytes, c.SubjectKeyId) {
				return c, nil
			}
		}
	}
	// Doc 9303 lets a state leave the document signer certificate out of EF.SOD; the
	// kiosk has no DS certificate store, so the document cannot be verified.
	return nil, fmt.Errorf("%w: %w", ErrSOD, errNoSignerCert)
}

// VerifySignature checks the signer's signature over the signed attributes, which
// must hold the message digest (the hash of the LDSSecurityObject) and the content
// type (equal to the encapsulated content type).
func (s *SOD) VerifySignature() error {
	// RFC 5652 §5.3: signed attributes are required when the content type is not
	// id-data, and must then hold the content type and the message digest.
	if len(s.signer.SignedAttrs.FullBytes) == 0 {
		return errors.New("no signed attributes (required for an LDSSecurityObject)")
	}
	var attrs []attribute
	// Re-tag [0] IMPLICIT as SET OF (RFC 5652 §5.4): the signature covers the DER SET.
	set := append([]byte{0x31}, s.signer.SignedAttrs.FullBytes[1:]...)
	if rest, err := asn1.UnmarshalWithParams(set, &attrs, "set"); err != nil || len(rest) != 0 {
		return fmt.Errorf("signed attributes: %v", errOrTrailing(err))
	}
	var digest []byte
	var ctype asn1.ObjectIdentifier
	for _, a := range attrs {
		if len(a.Values) != 1 {
			continue
		}
		switch {
		case a.Type.Equal(oidMessageDigest):
			if _, err := asn1.Unmarshal(a.Values[0].FullBytes, &digest); err != nil {
				return fmt.Errorf("message digest attribute: %w", err)
			}
		case a.Type.Equal(oidContentType):
			if _, err := asn1.Unmarshal(a.Values[0].FullBytes, &ctype); err != nil {
				return fmt.Errorf("content type attribute: %w", err)
			}
		}
	}
	if digest == nil {
		return errors.New("no message digest signed attribute")
	}
	if ctype == nil {
		return errors.New("no content type signed attribute")
	}
	h := s.digestAlg.New()
	h.Write(s.eContent)
	if !bytes.Equal(h.Sum(nil), digest) {
		return errors.New("message digest does not match the security object")
	}
	if !ctype.Equal(s.eCType) {
		return errors.New("content type attribute does not match the encapsulated content type")
	}
	return checkSignature(s.Signer.PublicKey, s.signer.SignatureAlgorithm, s.digestAlg, set, s.signer.Signature)
}

func checkSignature(pub any, alg pkix.AlgorithmIdentifier, digestAlg crypto.Hash, msg, sig []byte) error {
	if alg.Algorithm.Equal(oidRSASSAPSS) {
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return errors.New("RSASSA-PSS signature with a non-RSA key")
		}
		hash := pssHash(alg.Parameters.FullBytes, digestAlg)
		h := hash.New()
		h.Write(msg)
		if err := rsa.VerifyPSS(k, hash, h.Sum(nil), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}); err != nil {
			return fmt.Errorf("RSASSA-PSS signature: %w", err)
		}
		return nil
	}
	a, ok := sigAlgs[alg.Algorithm.String()]
	if !ok {
		return fmt.Errorf("unsupported signature algorithm %v", alg.Algorithm)
	}
	hash := a.hash
	if hash == 0 {
		hash = digestAlg
	}
	h := hash.New()
	h.Write(msg)
	d := h.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if !a.rsa {
			return errors.New("ECDSA signature algorithm with an RSA key")
		}
		if err := rsa.VerifyPKCS1v15(k, hash, d, sig); err != nil {
			return fmt.Errorf("RSA signature: %w", err)
		}
	case *ecdsa.PublicKey:
		if a.rsa {
			return errors.New("RSA signature algorithm with an ECDSA key")
		}
		if !ecdsa.VerifyASN1(k, d, sig) {
			return errors.New("ECDSA signature does not verify")
		}
	case *ecgeneric.PublicKey:
		// Brainpool or explicit domain parameters (Doc 9303 Part 12 allows both).
		if a.rsa {
			return errors.New("RSA signature algorithm with an ECDSA key")
		}
		if !ecgeneric.VerifyASN1(k, d, sig) {
			return errors.New("ECDSA signature does not verify")
		}
	default:
		return fmt.Errorf("unsupported signer key %T", pub)
	}
	return nil
}

// pssHash reads the hash of RSASSA-PSS-params (RFC 4055), defaulting to the digest algorithm.
func pssHash(params []byte, def crypto.Hash) crypto.Hash {
	var p struct {
		Hash pkix.AlgorithmIdentifier `asn1:"explicit,optional,tag:0"`
	}
	if _, err := asn1.Unmarshal(params, &p); err == nil {
		if h, ok := hashByOID[p.Hash.Algorithm.String()]; ok {
			return h
		}
	}
	return def
}
