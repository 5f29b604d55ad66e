package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/macau-dsi/kiosk/kiosk"
)

// SubjectKey hashes card numbers with a per-kiosk secret, so the audit log can link
// events of one resident without ever holding the card number.
type SubjectKey struct{ key []byte }

const subjectKeyLen = 32

var _ kiosk.SubjectHasher = (*SubjectKey)(nil)

// LoadOrCreateSubjectKey reads the key file, creating it (mode 0600) on first start.
func LoadOrCreateSubjectKey(path string) (*SubjectKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, subjectKeyLen)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("creating subject key: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("creating subject key: %w", classify(err))
		}
		// O_EXCL: two processes starting at once must not each write a different key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateSubjectKey(path)
		}
		if err != nil {
			return nil, fmt.Errorf("creating subject key: %w", classify(err))
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			os.Remove(path)
			return nil, fmt.Errorf("writing subject key: %w", classify(err))
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("writing subject key: %w", classify(err))
		}
		return &SubjectKey{key: key}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading subject key %s: %w", path, classify(err))
	}
	if len(b) != subjectKeyLen {
		return nil, fmt.Errorf("subject key %s: want %d bytes, file has %d (restore it or remove it to start a new key)", path, subjectKeyLen, len(b))
	}
	return &SubjectKey{key: b}, nil
}

// Hash returns the keyed hash of a card number (hex, 32 chars: 128 bits are enough to
// link rows and keep the log compact).
func (k *SubjectKey) Hash(cardNumber string) string {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(cardNumber))
	return hex.EncodeToString(m.Sum(nil))[:32]
}
