// Package testpki makes the test public-key infrastructure of the card emulator: a
// country signing CA (CSCA) and document signers under it, one of them expired.
//
// It exists for tests and demonstrations only. Keys are generated when needed and
// kept, if at all, in a state folder the caller names (never in the repository or a
// production path); the CSCA certificate is written into a trust-store folder that
// `kiosk card read` can be pointed at (config card.trust_store).
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Signer is a document signer: its certificate and private key.
type Signer struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// PKI is a test CSCA with its document signers.
type PKI struct {
	CSCA    *x509.Certificate
	CSCAKey crypto.Signer
	// Valid is a document signer valid at generation time (and for years after).
	Valid Signer
	// Expired is a document signer whose certificate expired before generation time.
	Expired Signer
}

// Country is the countryName (ISO 3166-1 alpha-2) of the CSCA and the document
// signers: Macao, MO, the state whose code MAC the cards' DG1 carries as issuing
// state. Doc 9303 Part 12 wants a document signed by its issuing state's signer
// under that state's CSCA, and strict readers refuse any other country.
const Country = "MO"

// Names in the test certificates say loudly that they are not real.
const (
	organization = "DSI kiosk TEST PKI"
	cscaName     = "TEST CSCA Macao SAR - NOT FOR PRODUCTION"
)

// Generate makes a fresh PKI with validity periods around now (injected for tests).
func Generate(now time.Time) (*PKI, error) { return generate(now, Country) }

// generate makes a PKI whose certificates all name country.
func generate(now time.Time, country string) (*PKI, error) {
	now = now.UTC().Truncate(time.Second)
	cscaKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testpki: CSCA key: %w", err)
	}
	ski := keyID(&cscaKey.PublicKey)
	cscaTmpl := &x509.Certificate{
		SerialNumber:          serial(1),
		Subject:               pkix.Name{Country: []string{country}, Organization: []string{organization}, CommonName: cscaName},
		NotBefore:             now.AddDate(-3, 0, 0),
		NotAfter:              now.AddDate(15, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, cscaTmpl, cscaTmpl, &cscaKey.PublicKey, cscaKey)
	if err != nil {
		return nil, fmt.Errorf("testpki: CSCA certificate: %w", err)
	}
	csca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("testpki: CSCA certificate: %w", err)
	}
	p := &PKI{CSCA: csca, CSCAKey: cscaKey}
	// A document signer is used for a few months and stays valid as long as the
	// documents it signed (Doc 9303 Part 12): the valid one spans now comfortably.
	if p.Valid, err = p.issueSigner(2, country, "TEST Document Signer 1", now.AddDate(-1, 0, 0), now.AddDate(11, 0, 0)); err != nil {
		return nil, err
	}
	if p.Expired, err = p.issueSigner(3, country, "TEST Document Signer 0 (expired)", now.AddDate(-12, 0, 0), now.AddDate(0, 0, -30)); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *PKI) issueSigner(n int64, country, cn string, notBefore, notAfter time.Time) (Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Signer{}, fmt.Errorf("testpki: signer key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:   serial(n),
		Subject:        pkix.Name{Country: []string{country}, Organization: []string{organization}, CommonName: cn},
		NotBefore:      notBefore,
		NotAfter:       notAfter,
		KeyUsage:       x509.KeyUsageDigitalSignature,
		AuthorityKeyId: p.CSCA.SubjectKeyId,
		SubjectKeyId:   keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CSCA, &key.PublicKey, p.CSCAKey)
	if err != nil {
		return Signer{}, fmt.Errorf("testpki: signer certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Signer{}, fmt.Errorf("testpki: signer certificate: %w", err)
	}
	return Signer{Cert: cert, Key: key}, nil
}

// serial makes a positive serial number with a random part, so two test PKIs never
// share issuer+serial pairs.
func serial(n int64) *big.Int {
	r := make([]byte, 8)
	rand.Read(r)
	s := new(big.Int).SetBytes(r)
	s.Lsh(s, 8)
	return s.Add(s, big.NewInt(n))
}

func keyID(pub *ecdsa.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	id := make([]byte, 20)
	copy(id, der[len(der)-20:])
	return id
}

// Files under a state folder.
const (
	TrustStoreDir = "trust-store" // CSCA certificate(s), for card.trust_store
	privateDir    = "private"     // test keys and signer certificates, mode 0700
	cscaCertFile  = "csca.pem"
)

// WriteTrustStore writes the CSCA certificate (PEM) into dir, creating it, and
// returns the file's path.
func (p *PKI) WriteTrustStore(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("testpki: trust store: %w", err)
	}
	path := filepath.Join(dir, cscaCertFile)
	if err := writePEM(path, 0o644, pemCert(p.CSCA)); err != nil {
		return "", err
	}
	return path, nil
}

// LoadOrCreate keeps a PKI in stateDir so that a trust store configured once stays
// valid across emulator runs: it loads the PKI saved there, or generates one (at now)
// and saves it. The trust-store folder is stateDir/trust-store.
func LoadOrCreate(stateDir string, now time.Time) (*PKI, error) {
	p, err := load(stateDir)
	if err == nil {
		// An old saved PKI whose "valid" signer has since expired, or one made before
		// the certificates carried Macao's country (C=CN then), is replaced.
		if now.Before(p.Valid.Cert.NotAfter) && now.After(p.Valid.Cert.NotBefore) && now.Before(p.CSCA.NotAfter) && p.ofCountry() {
			return p, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	p, err = Generate(now)
	if err != nil {
		return nil, err
	}
	if err := p.save(stateDir); err != nil {
		return nil, err
	}
	return p, nil
}

// ofCountry says whether every certificate names Country.
func (p *PKI) ofCountry() bool {
	for _, c := range []*x509.Certificate{p.CSCA, p.Valid.Cert, p.Expired.Cert} {
		if len(c.Subject.Country) != 1 || c.Subject.Country[0] != Country {
			return false
		}
	}
	return true
}

// TrustStore is the trust-store folder of a state folder.
func TrustStore(stateDir string) string { return filepath.Join(stateDir, TrustStoreDir) }

func (p *PKI) save(stateDir string) error {
	priv := filepath.Join(stateDir, privateDir)
	if err := os.MkdirAll(priv, 0o700); err != nil {
		return fmt.Errorf("testpki: state folder: %w", err)
	}
	parts := []struct {
		name string
		cert *x509.Certificate
		key  crypto.Signer
	}{{"csca", p.CSCA, p.CSCAKey}, {"ds-valid", p.Valid.Cert, p.Valid.Key}, {"ds-expired", p.Expired.Cert, p.Expired.Key}}
	for _, part := range parts {
		kder, err := x509.MarshalPKCS8PrivateKey(part.key)
		if err != nil {
			return fmt.Errorf("testpki: saving %s key: %w", part.name, err)
		}
		if err := writePEM(filepath.Join(priv, part.name+".pem"), 0o600, pemCert(part.cert), &pem.Block{Type: "PRIVATE KEY", Bytes: kder}); err != nil {
			return err
		}
	}
	_, err := p.WriteTrustStore(TrustStore(stateDir))
	return err
}

func load(stateDir string) (*PKI, error) {
	var p PKI
	for _, part := range []struct {
		name string
		cert **x509.Certificate
		key  *crypto.Signer
	}{{"csca", &p.CSCA, &p.CSCAKey}, {"ds-valid", &p.Valid.Cert, &p.Valid.Key}, {"ds-expired", &p.Expired.Cert, &p.Expired.Key}} {
		data, err := os.ReadFile(filepath.Join(stateDir, privateDir, part.name+".pem"))
		if err != nil {
			return nil, fmt.Errorf("testpki: loading %s: %w", part.name, err)
		}
		for {
			var b *pem.Block
			b, data = pem.Decode(data)
			if b == nil {
				break
			}
			switch b.Type {
			case "CERTIFICATE":
				c, err := x509.ParseCertificate(b.Bytes)
				if err != nil {
					return nil, fmt.Errorf("testpki: loading %s: %w", part.name, err)
				}
				*part.cert = c
			case "PRIVATE KEY":
				k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
				if err != nil {
					return nil, fmt.Errorf("testpki: loading %s: %w", part.name, err)
				}
				s, ok := k.(crypto.Signer)
				if !ok {
					return nil, fmt.Errorf("testpki: loading %s: key cannot sign", part.name)
				}
				*part.key = s
			}
		}
		if *part.cert == nil || *part.key == nil {
			return nil, fmt.Errorf("testpki: loading %s: certificate or key missing", part.name)
		}
	}
	// Keep the trust store in step with the saved CSCA (it may have been deleted).
	if _, err := p.WriteTrustStore(TrustStore(stateDir)); err != nil {
		return nil, err
	}
	return &p, nil
}

func pemCert(c *x509.Certificate) *pem.Block {
	return &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}
}

func writePEM(path string, mode os.FileMode, blocks ...*pem.Block) error {
	var out []byte
	for _, b := range blocks {
		out = append(out, pem.EncodeToMemory(b)...)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, mode); err != nil {
		return fmt.Errorf("testpki: writing %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("testpki: writing %s: %w", filepath.Base(path), err)
	}
	return nil
}
