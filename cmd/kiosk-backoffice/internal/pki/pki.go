// Package pki makes and loads the reference back office's certificates: a CA, the
// server certificate (for 127.0.0.1, ::1 and localhost) and a kiosk client certificate
// whose common name is the kiosk id. Private keys are written with mode 0600.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// File names inside the back office's directory.
const (
	CACert     = "ca.crt"
	CAKey      = "ca.key"
	ServerCert = "server.crt"
	ServerKey  = "server.key"
	KioskCert  = "kiosk.crt"
	KioskKey   = "kiosk.key"
)

// CA is a certificate authority that can issue server and client certificates.
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
	KeyPEM  []byte
}

// Pair is an issued certificate and its key, PEM-encoded.
type Pair struct {
	CertPEM, KeyPEM []byte
}

// NewCA makes a self-signed CA valid from notBefore to notAfter.
func NewCA(cn string, notBefore, notAfter time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"DSI kiosk reference back office"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyPEM, err := keyToPEM(key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: certToPEM(der), KeyPEM: keyPEM}, nil
}

// LoadCA reads a CA from PEM.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok || !cert.IsCA {
		return nil, errors.New("not an ECDSA CA certificate and key")
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// IssueServer issues a TLS server certificate for the given host names and IPs.
func (ca *CA) IssueServer(hosts []string, notBefore, notAfter time.Time) (Pair, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kiosk-backoffice"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.issue(tmpl, notBefore, notAfter)
}

// IssueClient issues a TLS client certificate whose common name is the kiosk id.
func (ca *CA) IssueClient(kioskID string, notBefore, notAfter time.Time) (Pair, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: kioskID},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return ca.issue(tmpl, notBefore, notAfter)
}

func (ca *CA) issue(tmpl *x509.Certificate, notBefore, notAfter time.Time) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return Pair{}, err
	}
	keyPEM, err := keyToPEM(key)
	if err != nil {
		return Pair{}, err
	}
	return Pair{CertPEM: certToPEM(der), KeyPEM: keyPEM}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}

func certToPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyToPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// WriteFile writes a PEM file; keys (private) get 0600, certificates 0644. An
// existing file is never overwritten.
func WriteFile(path string, data []byte, private bool) error {
	mode := os.FileMode(0o644)
	if private {
		mode = 0o600
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// Validity of what Ensure makes.
const (
	caYears     = 10
	serverYears = 2
	clientYears = 1
)

// Ensure makes whatever of the CA, server and kiosk certificates is missing in dir
// and returns the names of the files it created. Existing files are kept, so the
// kiosk's copy of kiosk.crt/kiosk.key and ca.crt stays valid across restarts.
func Ensure(dir, kioskID string, now time.Time) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	var made []string
	var ca *CA
	certPEM, cerr := os.ReadFile(p(CACert))
	keyPEM, kerr := os.ReadFile(p(CAKey))
	switch {
	case cerr == nil && kerr == nil:
		var err error
		if ca, err = LoadCA(certPEM, keyPEM); err != nil {
			return nil, fmt.Errorf("%s: %w", p(CACert), err)
		}
	case errors.Is(cerr, os.ErrNotExist) && errors.Is(kerr, os.ErrNotExist):
		var err error
		if ca, err = NewCA("DSI kiosk back office CA", now.Add(-time.Hour), now.AddDate(caYears, 0, 0)); err != nil {
			return nil, err
		}
		if err := WriteFile(p(CAKey), ca.KeyPEM, true); err != nil {
			return nil, err
		}
		if err := WriteFile(p(CACert), ca.CertPEM, false); err != nil {
			return nil, err
		}
		made = append(made, CACert, CAKey)
	default:
		return nil, fmt.Errorf("%s and %s: one is missing; remove both to make a new CA (and new certificates)", p(CACert), p(CAKey))
	}
	for _, c := range []struct {
		cert, key string
		issue     func() (Pair, error)
	}{
		{ServerCert, ServerKey, func() (Pair, error) {
			return ca.IssueServer([]string{"127.0.0.1", "::1", "localhost"}, now.Add(-time.Hour), now.AddDate(serverYears, 0, 0))
		}},
		{KioskCert, KioskKey, func() (Pair, error) {
			return ca.IssueClient(kioskID, now.Add(-time.Hour), now.AddDate(clientYears, 0, 0))
		}},
	} {
		_, e1 := os.Stat(p(c.cert))
		_, e2 := os.Stat(p(c.key))
		if e1 == nil && e2 == nil {
			continue
		}
		if e1 == nil || e2 == nil {
			return nil, fmt.Errorf("%s and %s: one is missing; remove both to issue a new pair", p(c.cert), p(c.key))
		}
		pair, err := c.issue()
		if err != nil {
			return nil, err
		}
		if err := WriteFile(p(c.key), pair.KeyPEM, true); err != nil {
			return nil, err
		}
		if err := WriteFile(p(c.cert), pair.CertPEM, false); err != nil {
			return nil, err
		}
		made = append(made, c.cert, c.key)
	}
	return made, nil
}

// ServerTLS is the server side of mutual TLS: the server certificate, and client
// certificates required and verified against the CA (Go checks their validity
// period and client-auth usage).
func ServerTLS(dir string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerCert), filepath.Join(dir, ServerKey))
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, CACert))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s: no certificate", filepath.Join(dir, CACert))
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}, nil
}
