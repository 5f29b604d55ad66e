// Package sealbox seals a resident's secret (the One Account service password) to the
// back office's public key, so that the kiosk can queue it without ever holding it in
// a form it could read back: the database, its WAL and the outbox only ever see the
// ciphertext, and only the back office's private key opens it.
//
// It is HPKE (RFC 9180, Go's crypto/hpke): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
// AES-256-GCM, base mode. The info string binds a sealed secret to one application
// (its reference), so a ciphertext copied into another application does not open.
package sealbox

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/macau-dsi/kiosk/kiosk"
)

var (
	kdf  = hpke.HKDFSHA256()
	aead = hpke.AES256GCM()
)

// Sealer seals to one back-office public key.
type Sealer struct{ pub hpke.PublicKey }

var _ kiosk.SecretSealer = (*Sealer)(nil)

// NewSealer takes the back office's X25519 public key.
func NewSealer(pub *ecdh.PublicKey) (*Sealer, error) {
	if pub == nil || pub.Curve() != ecdh.X25519() {
		return nil, errors.New("sealbox: the back office's key must be an X25519 public key")
	}
	pk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("sealbox: %w", err)
	}
	return &Sealer{pub: pk}, nil
}

// LoadSealer reads a PEM "PUBLIC KEY" (PKIX, X25519) file.
func LoadSealer(path string) (*Sealer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sealbox: back office public key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("sealbox: %s: not a PEM PUBLIC KEY", path)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sealbox: %s: %w", path, err)
	}
	pub, ok := k.(*ecdh.PublicKey)
	if !ok {
		return nil, fmt.Errorf("sealbox: %s: a %T, want an X25519 key", path, k)
	}
	return NewSealer(pub)
}

// Seal encrypts secret for the back office, bound to context (the application
// reference). The caller still owns secret and wipes it.
func (s *Sealer) Seal(secret []byte, context string) ([]byte, error) {
	return hpke.Seal(s.pub, kdf, aead, info(context), secret)
}

// Open is the back office's side.
func Open(priv *ecdh.PrivateKey, sealed []byte, context string) ([]byte, error) {
	k, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("sealbox: %w", err)
	}
	return hpke.Open(k, kdf, aead, info(context), sealed)
}

func info(context string) []byte { return []byte("dsi-kiosk sealed secret v1\x00" + context) }

// GenerateKeyPair makes a back-office key pair as PEM (private "PRIVATE KEY" PKCS#8,
// public "PUBLIC KEY" PKIX), for the reference back office and the demo.
func GenerateKeyPair() (privPEM, pubPEM []byte, err error) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.PublicKey())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), nil
}

// ParsePrivateKey reads the PEM that GenerateKeyPair wrote.
func ParsePrivateKey(b []byte) (*ecdh.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("sealbox: not a PEM PRIVATE KEY")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sealbox: %w", err)
	}
	priv, ok := k.(*ecdh.PrivateKey)
	if !ok || priv.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("sealbox: a %T, want an X25519 private key", k)
	}
	return priv, nil
}
