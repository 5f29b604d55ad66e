package office

import (
	"crypto/ecdh"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/macau-dsi/kiosk/sealbox"
)

// The back office's seal key pair: kiosks seal the One Account service password to
// the public half (their backoffice.seal_key_file); only this private half opens it.
const (
	SealKeyFile    = "seal.key" // PKCS#8 PEM, X25519, mode 0600
	SealPubKeyFile = "seal.pub" // PKIX PEM, for the kiosks' configuration
)

// LoadOrCreateSealKey reads dir/seal.key, making the pair (seal.key 0600, seal.pub)
// on first use.
func LoadOrCreateSealKey(dir string) (*ecdh.PrivateKey, error) {
	path := filepath.Join(dir, SealKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		priv, pub, err := sealbox.GenerateKeyPair()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, SealPubKeyFile), pub, 0o644); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateSealKey(dir) // another process made it first
		}
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(priv); err != nil {
			f.Close()
			os.Remove(path)
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		b = priv
	} else if err != nil {
		return nil, err
	}
	k, err := sealbox.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
