package testcard

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// Holder is the data written on a test card.
type Holder struct {
	DocNo       string // up to 9 characters
	Birth       string // YYMMDD
	Expiry      string // YYMMDD
	Sex         string
	Nationality string
	Surname     string
	Given       string
	Portuguese  string
	Chinese     string
	IssueDate   string // YYYYMMDD
	// Observations is DG12's 5F1B, where the BIR states the residency ("BIRP" or
	// "BIRNP"); empty leaves 5F1B out.
	Observations string
	Photo        []byte
	PhotoType    byte // 0 JPEG, 1 JPEG 2000
}

// PKI is a throw-away CSCA and document signer.
type PKI struct {
	CSCA    *x509.Certificate
	cscaKey crypto.Signer
	DS      *x509.Certificate
	dsKey   crypto.Signer
}

// Country is the countryName of the test certificates: Macao (MO), the issuing
// state MAC of the cards built here, as Doc 9303 Part 12 requires.
const Country = "MO"

// NewPKI makes a CSCA and a document signer of Macao valid from dsFrom to dsTo.
func NewPKI(now, dsFrom, dsTo time.Time) (*PKI, error) {
	return NewPKIOf(Country, Country, now, dsFrom, dsTo)
}

// NewPKIOf is NewPKI with the CSCA's and the document signer's countryName given
// (ISO 3166-1 alpha-2), for tests of a signer from another state.
func NewPKIOf(cscaCountry, dsCountry string, now, dsFrom, dsTo time.Time) (*PKI, error) {
	ck, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ct := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Country: []string{cscaCountry}, CommonName: "testcard CSCA"},
		NotBefore: now.AddDate(-5, 0, 0), NotAfter: now.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, SubjectKeyId: []byte{1, 2, 3, 4},
	}
	cder, err := x509.CreateCertificate(rand.Reader, ct, ct, &ck.PublicKey, ck)
	if err != nil {
		return nil, err
	}
	csca, _ := x509.ParseCertificate(cder)
	dk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dt := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{Country: []string{dsCountry}, CommonName: "testcard DS"},
		NotBefore: dsFrom, NotAfter: dsTo, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	dder, err := x509.CreateCertificate(rand.Reader, dt, csca, &dk.PublicKey, ck)
	if err != nil {
		return nil, err
	}
	ds, _ := x509.ParseCertificate(dder)
	return &PKI{CSCA: csca, cscaKey: ck, DS: ds, dsKey: dk}, nil
}

func fill(s string, n int) string {
	s = strings.ReplaceAll(strings.ToUpper(s), " ", "<")
	if len(s) > n {
		return s[:n]
	}
	return s + strings.Repeat("<", n-len(s))
}

func cd(s string) string {
	d, err := icao.CheckDigit(s)
	if err != nil {
		panic(err)
	}
	return string(d)
}

// TD1 writes a 3×30 MRZ for h.
func TD1(h Holder) string {
	doc := fill(h.DocNo, 9)
	l1 := "IDMAC" + doc + cd(doc) + fill("", 15)
	l2 := h.Birth + cd(h.Birth) + h.Sex + h.Expiry + cd(h.Expiry) + fill(h.Nationality, 3) + fill("", 11)
	l2 += cd(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
	l3 := fill(h.Surname+"<<"+strings.ReplaceAll(h.Given, " ", "<"), 30)
	return l1 + l2 + l3
}

// DG2 wraps an image in the Doc 9303 biometric template with an ISO 19794-5 record.
func DG2(img []byte, dataType byte) []byte {
	rec := []byte("FAC\x00010\x00")
	rec = binary.BigEndian.AppendUint32(rec, uint32(14+20+12+len(img)))
	rec = binary.BigEndian.AppendUint16(rec, 1)
	rec = binary.BigEndian.AppendUint32(rec, uint32(20+12+len(img)))
	rec = append(rec, make([]byte, 16)...) // no feature points, everything unspecified
	rec = append(rec, 1, dataType, 0, 100, 0, 120, 1, 2, 0, 0, 0, 0)
	rec = append(rec, img...)
	return tlv.Constructed(0x75, tlv.Constructed(0x7F61,
		tlv.Encode(0x02, []byte{1}),
		tlv.Constructed(0x7F60,
			tlv.Constructed(0xA1, tlv.Encode(0x81, []byte{2}), tlv.Encode(0x87, []byte{1, 1}), tlv.Encode(0x88, []byte{0, 8})),
			tlv.Encode(0x5F2E, rec))))
}

// Files builds EF.COM, DG1, DG2, DG11, DG12 for h.
func Files(h Holder) map[int][]byte {
	return map[int][]byte{
		1: tlv.Constructed(0x61, tlv.Encode(0x5F1F, []byte(TD1(h)))),
		2: DG2(h.Photo, h.PhotoType),
		11: tlv.Constructed(0x6B,
			tlv.Encode(0x5C, []byte{0x5F, 0x0E, 0xA0, 0x5F, 0x10}),
			tlv.Encode(0x5F0E, []byte(h.Portuguese)),
			tlv.Constructed(0xA0, tlv.Encode(0x02, []byte{1}), tlv.Encode(0x5F0F, []byte(h.Chinese))),
			tlv.Encode(0x5F10, []byte(h.DocNo))),
		12: DG12(h),
	}
}

// DG12 is the document details: issuing authority, date of issue and, when h has
// them, the observations (5F1B).
func DG12(h Holder) []byte {
	if h.Observations == "" {
		return tlv.Constructed(0x6C,
			tlv.Encode(0x5C, []byte{0x5F, 0x19, 0x5F, 0x26}),
			tlv.Encode(0x5F19, []byte("DSI MACAU")),
			tlv.Encode(0x5F26, []byte(h.IssueDate)))
	}
	return tlv.Constructed(0x6C,
		tlv.Encode(0x5C, []byte{0x5F, 0x19, 0x5F, 0x26, 0x5F, 0x1B}),
		tlv.Encode(0x5F19, []byte("DSI MACAU")),
		tlv.Encode(0x5F26, []byte(h.IssueDate)),
		tlv.Encode(0x5F1B, []byte(h.Observations)))
}

// SOD signs the hashes of dgs with the PKI's document signer, using smallstep/pkcs7
// so that the reader's own CMS parser is tested against an independent encoder.
func (p *PKI) SOD(dgs map[int][]byte) ([]byte, error) {
	type dgHash struct {
		N int
		H []byte
	}
	type so struct {
		Version int
		Alg     pkix.AlgorithmIdentifier
		Hashes  []dgHash
	}
	var nums []int
	for n := range dgs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	obj := so{Alg: pkix.AlgorithmIdentifier{Algorithm: pkcs7.OIDDigestAlgorithmSHA256}}
	for _, n := range nums {
		h := sha256.Sum256(dgs[n])
		obj.Hashes = append(obj.Hashes, dgHash{n, h[:]})
	}
	content, err := asn1.Marshal(obj)
	if err != nil {
		return nil, err
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, err
	}
	sd.GetSignedData().ContentInfo.ContentType = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(p.DS, p.dsKey, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	der, err := sd.Finish()
	if err != nil {
		return nil, err
	}
	// smallstep/pkcs7 writes SignedData version 1; RFC 5652 §5.1 (and Doc 9303 Part 10)
	// want 3 for content other than id-data. The version is not signed: patch it.
	if der, err = signedDataVersion3(der); err != nil {
		return nil, err
	}
	return tlv.Encode(0x77, der), nil
}

// Options change a built card.
type Options struct {
	TamperDG int // flip a byte in this DG after signing
	// ForgeObservations, when set, rewrites DG12's 5F1B after signing: a card whose
	// residency was altered (well-formed, but its DG12 hash no longer matches).
	ForgeObservations string
}

// New builds a card for h signed by p.
func New(h Holder, p *PKI, pin string, o Options) (*Card, error) {
	dgs := Files(h)
	sod, err := p.SOD(dgs)
	if err != nil {
		return nil, err
	}
	if o.TamperDG != 0 {
		d := append([]byte(nil), dgs[o.TamperDG]...)
		d[len(d)-1] ^= 1
		if o.TamperDG == 1 {
			d[len(d)-1] = 'X' // stay in the MRZ character set: only the hash shows it
		}
		dgs[o.TamperDG] = d
	}
	if o.ForgeObservations != "" {
		forged := h
		forged.Observations = o.ForgeObservations
		dgs[12] = DG12(forged)
	}
	com := tlv.Constructed(0x60, tlv.Encode(0x5F01, []byte("0107")), tlv.Encode(0x5F36, []byte("040000")), tlv.Encode(0x5C, []byte{0x61, 0x75, 0x6B, 0x6C}))
	c := &Card{
		LDS:   map[uint16][]byte{0x011E: com, 0x011D: sod, 0x0101: dgs[1], 0x0102: dgs[2], 0x010B: dgs[11], 0x010C: dgs[12]},
		SFI:   map[byte]uint16{0x1E: 0x011E, 0x1D: 0x011D, 0x01: 0x0101, 0x02: 0x0102, 0x0B: 0x010B, 0x0C: 0x010C},
		Key:   icao.BACKey{DocumentNumber: h.DocNo, BirthDate: h.Birth, ExpiryDate: h.Expiry},
		Info:  tlv.Constructed(0x70, tlv.Encode(0x5A, []byte(h.DocNo)), tlv.Encode(0x5F2B, []byte(h.Birth)), tlv.Encode(0x5F24, []byte(h.Expiry))),
		PIN:   pin,
		Tries: 3,
	}
	return c, nil
}

// JPEG returns n bytes that look like a JPEG to a magic-number check.
func JPEG(n int) []byte {
	b := make([]byte, n)
	copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	for i := 4; i < n; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

// signedDataVersion3 sets the version of the SignedData in a ContentInfo to 3.
func signedDataVersion3(ci []byte) ([]byte, error) {
	o, err := tlv.ParseOne(ci)
	if err != nil {
		return nil, err
	}
	_, hdr, _, _ := tlv.Header(ci)
	kids, err := o.Children()
	if err != nil || len(kids) != 2 {
		return nil, fmt.Errorf("ContentInfo: %v", err)
	}
	// ContentInfo header, OID, [0] header, SignedData header, then INTEGER version.
	_, h0, _, _ := tlv.Header(ci[hdr:])
	oidLen := h0 + len(kids[0].Value)
	a0 := ci[hdr+oidLen:]
	_, ha, _, _ := tlv.Header(a0)
	_, hs, _, _ := tlv.Header(a0[ha:])
	v := hdr + oidLen + ha + hs
	if len(ci) < v+3 || ci[v] != 0x02 || ci[v+1] != 0x01 {
		return nil, fmt.Errorf("SignedData version not found")
	}
	out := append([]byte(nil), ci...)
	out[v+2] = 3
	return out, nil
}

// CRL is a certificate revocation list of the CSCA listing serials, issued at now.
func (p *PKI) CRL(now time.Time, serials ...*big.Int) ([]byte, error) {
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: now.Add(-time.Hour)})
	}
	return x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.AddDate(0, 3, 0),
		RevokedCertificateEntries: entries,
	}, p.CSCA, p.cscaKey)
}

// ReissueCSCA makes another self-signed certificate of the same CSCA key with the
// subject name given as raw DER (to test name matching across encodings).
func (p *PKI) ReissueCSCA(rawSubject []byte) (*x509.Certificate, error) {
	t := &x509.Certificate{
		SerialNumber: big.NewInt(3), RawSubject: rawSubject,
		NotBefore: p.CSCA.NotBefore, NotAfter: p.CSCA.NotAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, SubjectKeyId: p.CSCA.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, t, t, p.cscaKey.Public(), p.cscaKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
