package emulator

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"image/jpeg"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// LDS file identifiers and short EF identifiers (Doc 9303 Part 10).
const (
	FIDCardAccess = 0x011C
	FIDCOM        = 0x011E
	FIDSOD        = 0x011D
	FIDDG1        = 0x0101
	FIDDG2        = 0x0102
	FIDDG11       = 0x010B
	FIDDG12       = 0x010C
	FIDCardInfo   = 0xD001 // DSI application
)

// Application identifiers.
var (
	AIDLDS = []byte{0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}
	AIDDSI = []byte{0xF0, 0x44, 0x53, 0x49, 0x00, 0x01}
)

// dgTag is each data group's template tag; dgFID its file.
var (
	dgTag = map[int]tlv.Tag{1: 0x61, 2: 0x75, 11: 0x6B, 12: 0x6C}
	dgFID = map[int]uint16{1: FIDDG1, 2: FIDDG2, 11: FIDDG11, 12: FIDDG12}
)

// LDS is the encoded content of the card's files.
type LDS struct {
	COM, SOD []byte
	DG       map[int][]byte // by data group number
	CardInfo []byte         // DSI EF.CardInfo
}

// BuildLDS encodes the profile's files and signs EF.SOD with signer (whose issuer is
// the CSCA). signingTime is injected for tests.
func BuildLDS(p *Profile, signer crypto.Signer, signerCert *x509.Certificate, signingTime time.Time) (*LDS, error) {
	l := &LDS{DG: map[int][]byte{}}
	mrz, err := TD1(p)
	if err != nil {
		return nil, fmt.Errorf("encoding DG1: %w", err)
	}
	l.DG[1] = tlv.Encode(0x61, tlv.Encode(0x5F1F, []byte(mrz)))
	if l.DG[2], err = encodeDG2(p); err != nil {
		return nil, fmt.Errorf("encoding DG2: %w", err)
	}
	l.DG[11] = encodeDG11(p)
	l.DG[12] = encodeDG12(p, observation(p.Residency, p.StaffID))
	l.COM = encodeCOM([]int{1, 2, 11, 12})
	l.CardInfo = tlv.Constructed(0x70,
		tlv.Encode(0x5A, []byte(p.DocumentNumber)),
		tlv.Encode(0x5F2B, []byte(p.birth.Format("060102"))),
		tlv.Encode(0x5F24, []byte(p.expiry.Format("060102"))),
	)
	if l.SOD, err = EncodeSOD(l.DG, signer, signerCert, signingTime); err != nil {
		return nil, fmt.Errorf("encoding EF.SOD: %w", err)
	}
	switch p.Faults.SOD {
	case SODMissing:
		l.SOD = nil // NewCard makes no file of nil content
	case SODEmpty:
		l.SOD = []byte{}
	}
	if n := p.Faults.TamperDG; n != 0 {
		// Change one byte of the data group's content after signing: still well-formed
		// TLV, but its hash no longer matches EF.SOD.
		dg := bytes.Clone(l.DG[n])
		dg[len(dg)-1] ^= 0x01
		if n == 1 {
			// Keep the MRZ in its character set: flip a filler to a letter at the end.
			dg[len(dg)-1] = 'X'
		}
		l.DG[n] = dg
	}
	if f := p.Faults.ForgedResidency; f != "" {
		l.DG[12] = encodeDG12(p, observation(f, ""))
	}
	if f := p.Faults.ForgedStaffID; f != "" {
		l.DG[12] = encodeDG12(p, observation("", f))
	}
	return l, nil
}

// encodeCOM: EF.COM with LDS version 1.7, Unicode 4.0.0 and the data group tag list.
func encodeCOM(dgs []int) []byte {
	var tags []byte
	for _, n := range dgs {
		tags = append(tags, dgTag[n].Bytes()...)
	}
	return tlv.Constructed(0x60,
		tlv.Encode(0x5F01, []byte("0107")),
		tlv.Encode(0x5F36, []byte("040000")),
		tlv.Encode(0x5C, tags),
	)
}

func encodeDG11(p *Profile) []byte {
	return tlv.Constructed(0x6B,
		tlv.Encode(0x5C, []byte{0x5F, 0x0E, 0x5F, 0x0F, 0x5F, 0x10, 0x5F, 0x2B}),
		tlv.Encode(0x5F0E, []byte(p.Names.Portuguese)),
		tlv.Constructed(0xA0,
			tlv.Encode(0x02, []byte{0x01}),
			tlv.Encode(0x5F0F, []byte(p.Names.Chinese)),
		),
		tlv.Encode(0x5F10, []byte(p.DocumentNumber)),
		tlv.Encode(0x5F2B, []byte(p.birth.Format("20060102"))),
	)
}

// observation is what DG12's 5F1B says for a residency or a staff id: a staff card's
// "DSI-STAFF:<id>", a resident card's residency code, or nothing ("").
func observation(residency, staffID string) string {
	if staffID != "" {
		return StaffCodePrefix + staffID
	}
	return residencyCode[residency]
}

// encodeDG12: issuing authority, date of issue and, when the card states it, the
// document type as DG12's endorsements and observations (5F1B, Doc 9303 Part 10
// §4.7.12): one of the BIR's two residency codes, or a staff card's code
// (docs/card-profile.md).
func encodeDG12(p *Profile, code string) []byte {
	list := []byte{0x5F, 0x19, 0x5F, 0x26}
	elems := [][]byte{
		tlv.Encode(0x5F19, []byte("DSI MACAU")),
		tlv.Encode(0x5F26, []byte(p.issue.Format("20060102"))),
	}
	if code != "" {
		list = append(list, 0x5F, 0x1B)
		elems = append(elems, tlv.Encode(0x5F1B, []byte(code)))
	}
	return tlv.Constructed(0x6C, append([][]byte{tlv.Encode(0x5C, list)}, elems...)...)
}

// encodeDG2 wraps the photo in an ISO/IEC 19794-5:2005 facial record inside the
// Doc 9303 biometric information template group.
func encodeDG2(p *Profile) ([]byte, error) {
	var (
		w, h     int
		dataType byte
	)
	switch p.photoFormat {
	case "jpeg":
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.photo))
		if err != nil {
			return nil, err
		}
		w, h, dataType = cfg.Width, cfg.Height, 0x00
	case "jp2":
		var err error
		if w, h, err = jp2Size(p.photo); err != nil {
			return nil, err
		}
		dataType = 0x01
	default:
		return nil, errors.New("no photo")
	}
	if w > 0xFFFF || h > 0xFFFF {
		return nil, errors.New("photo too large")
	}
	// ISO/IEC 19794-5:2005 §5.5.3: 00 unspecified, 01 male, 02 female, FF unknown.
	gender := map[string]byte{"M": 0x01, "F": 0x02, "X": 0xFF}[p.Sex]
	const headerLen, infoLen, imageInfoLen = 14, 20, 12
	rec := make([]byte, 0, headerLen+infoLen+imageInfoLen+len(p.photo))
	rec = append(rec, 'F', 'A', 'C', 0, '0', '1', '0', 0)
	rec = binary.BigEndian.AppendUint32(rec, uint32(headerLen+infoLen+imageInfoLen+len(p.photo)))
	rec = binary.BigEndian.AppendUint16(rec, 1) // one facial image
	// Facial information block.
	rec = binary.BigEndian.AppendUint32(rec, uint32(infoLen+imageInfoLen+len(p.photo)))
	rec = binary.BigEndian.AppendUint16(rec, 0) // no feature points
	rec = append(rec, gender, 0, 0)             // gender, eye colour, hair colour unspecified
	rec = append(rec, 0, 0, 0)                  // feature mask
	rec = append(rec, 0, 0)                     // expression unspecified
	rec = append(rec, 0, 0, 0, 0, 0, 0)         // pose angles and their uncertainty
	// Image information block.
	rec = append(rec, 0x01, dataType) // full frontal; JPEG (0) or JPEG 2000 (1)
	rec = binary.BigEndian.AppendUint16(rec, uint16(w))
	rec = binary.BigEndian.AppendUint16(rec, uint16(h))
	rec = append(rec, 0x01, 0x02) // 24-bit RGB; source: digital still camera
	rec = append(rec, 0, 0, 0, 0) // device type, quality unspecified
	rec = append(rec, p.photo...)
	return tlv.Constructed(0x75,
		tlv.Constructed(0x7F61,
			tlv.Encode(0x02, []byte{0x01}),
			tlv.Constructed(0x7F60,
				tlv.Constructed(0xA1,
					tlv.Encode(0x80, []byte{0x01, 0x01}), // ICAO header version 1.1
					tlv.Encode(0x81, []byte{0x02}),       // biometric type: facial features
					tlv.Encode(0x87, []byte{0x01, 0x01}), // format owner: ISO/IEC JTC 1 SC 37
					tlv.Encode(0x88, []byte{0x00, 0x08}), // format type: 19794-5 face
				),
				tlv.Encode(0x5F2E, rec),
			),
		),
	), nil
}

var jp2Signature = []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}

// jp2Size finds the image size in a JP2 file's header box (jp2h / ihdr).
func jp2Size(b []byte) (w, h int, err error) {
	i := bytes.Index(b, []byte("ihdr"))
	if i < 4 || len(b) < i+12 {
		return 0, 0, errors.New("JPEG 2000 file without an image header")
	}
	h = int(binary.BigEndian.Uint32(b[i+4:]))
	w = int(binary.BigEndian.Uint32(b[i+8:]))
	if w <= 0 || h <= 0 || w > 1<<16 || h > 1<<16 {
		return 0, 0, errors.New("JPEG 2000 image header with an absurd size")
	}
	return w, h, nil
}

// TD1 builds the 3×30 MRZ of the ID card (Doc 9303 Part 5).
func TD1(p *Profile) (string, error) {
	docNo := pad(p.DocumentNumber, 9)
	dob := p.birth.Format("060102")
	exp := p.expiry.Format("060102")
	opt1 := pad("", 15)
	opt2 := pad("", 11)
	l1 := "ID" + "MAC" + docNo + string(CheckDigit(docNo)) + opt1
	l2a := dob + string(CheckDigit(dob)) + p.Sex + exp + string(CheckDigit(exp)) + pad(p.Nationality, 3) + opt2
	composite := l1[5:30] + l2a[0:7] + l2a[8:15] + l2a[18:29]
	l2 := l2a + string(CheckDigit(composite))
	name := mrzName(p.Names.Surname) + "<<" + mrzName(p.Names.GivenNames)
	if len(name) > 30 {
		name = name[:30] // truncation as Doc 9303 Part 3 allows
	}
	l3 := pad(name, 30)
	if len(l1) != 30 || len(l2) != 30 || len(l3) != 30 {
		return "", fmt.Errorf("MRZ lines of %d, %d, %d characters", len(l1), len(l2), len(l3))
	}
	return l1 + l2 + l3, nil
}

func mrzName(s string) string {
	return strings.Join(strings.Fields(s), "<")
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat("<", n-len(s))
}

// CheckDigit is the Doc 9303 Part 3 check digit (weights 7, 3, 1; '<' counts 0).
func CheckDigit(s string) byte {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		v := 0
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10)
}

// OIDs used in EF.SOD.
var (
	oidSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidLDSSecurityObject = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	oidSHA256            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSAWithSHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidSHA256WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidContentType       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
)

type dataGroupHash struct {
	Number int
	Hash   []byte
}

type ldsSecurityObject struct {
	Version       int
	HashAlgorithm pkix.AlgorithmIdentifier
	Hashes        []dataGroupHash
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

type signerInfo struct {
	Version            int
	SID                issuerAndSerial
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue // [0] IMPLICIT SET OF Attribute
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     []byte `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue // [0] IMPLICIT SET OF Certificate
	SignerInfos      []signerInfo  `asn1:"set"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue // [0] EXPLICIT, built by hand: FullBytes would drop the tag
}

// EncodeSOD makes EF.SOD: tag 77 around a CMS SignedData (RFC 5652, Doc 9303
// Part 10 §4.6.2) over an LDSSecurityObject with the SHA-256 hash of every data group.
func EncodeSOD(dgs map[int][]byte, signer crypto.Signer, cert *x509.Certificate, signingTime time.Time) ([]byte, error) {
	nums := make([]int, 0, len(dgs))
	for n := range dgs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	so := ldsSecurityObject{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256}}
	for _, n := range nums {
		h := sha256.Sum256(dgs[n])
		so.Hashes = append(so.Hashes, dataGroupHash{Number: n, Hash: h[:]})
	}
	content, err := asn1.Marshal(so)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(content)
	var attrs []attribute
	for _, a := range []struct {
		t asn1.ObjectIdentifier
		v any
	}{{oidContentType, oidLDSSecurityObject}, {oidSigningTime, signingTime.UTC()}, {oidMessageDigest, digest[:]}} {
		der, err := asn1.Marshal(a.v)
		if err != nil {
			return nil, fmt.Errorf("signed attribute %v: %w", a.t, err)
		}
		attrs = append(attrs, attribute{Type: a.t, Values: []asn1.RawValue{{FullBytes: der}}})
	}
	// DER: a SET OF is sorted by the encodings of its elements.
	enc := make([][]byte, len(attrs))
	for i, a := range attrs {
		if enc[i], err = asn1.Marshal(a); err != nil {
			return nil, err
		}
	}
	sort.Slice(enc, func(i, j int) bool { return bytes.Compare(enc[i], enc[j]) < 0 })
	attrSet := bytes.Join(enc, nil)
	// The signature covers the attributes encoded as an explicit SET (tag 31).
	toSign := append(append([]byte{0x31}, tlv.EncodeLength(len(attrSet))...), attrSet...)
	h := sha256.Sum256(toSign)
	sig, err := signer.Sign(nil, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	sigAlg := oidECDSAWithSHA256
	if cert.PublicKeyAlgorithm == x509.RSA {
		sigAlg = oidSHA256WithRSA
	}
	sd := signedData{
		Version:          3,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{{Algorithm: oidSHA256}},
		EncapContentInfo: encapContentInfo{EContentType: oidLDSSecurityObject, EContent: content},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: cert.Raw},
		SignerInfos: []signerInfo{{
			Version:            1,
			SID:                issuerAndSerial{Issuer: asn1.RawValue{FullBytes: cert.RawIssuer}, Serial: cert.SerialNumber},
			DigestAlgorithm:    pkix.AlgorithmIdentifier{Algorithm: oidSHA256},
			SignedAttrs:        asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: attrSet},
			SignatureAlgorithm: pkix.AlgorithmIdentifier{Algorithm: sigAlg},
			Signature:          sig,
		}},
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, err
	}
	ci, err := asn1.Marshal(contentInfo{ContentType: oidSignedData, Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}})
	if err != nil {
		return nil, err
	}
	return tlv.Encode(0x77, ci), nil
}
