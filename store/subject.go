package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"github.com/macau-dsi/kiosk/kiosk"
)

// SubjectKey hashes card numbers with a per-kiosk secret, so the audit log can link
// events of one resident without ever holding the card number.
type SubjectKey struct{ key []byte }

var _ kiosk.SubjectHasher = (*SubjectKey)(nil)

// LoadOrCreateSubjectKey reads the key file, creating it (mode 0600) on first start.
func LoadOrCreateSubjectKey(path string) (*SubjectKey, error) {
	key, err := loadOrCreateKey(path, "subject key", true)
	if err != nil {
		return nil, err
	}
	return &SubjectKey{key: key}, nil
}

// Hash returns the keyed hash of a card number (hex, 32 chars: 128 bits are enough to
// link rows and keep the log compact).
func (k *SubjectKey) Hash(cardNumber string) string {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(cardNumber))
	return hex.EncodeToString(m.Sum(nil))[:32]
}
