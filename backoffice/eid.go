package backoffice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/macau-dsi/kiosk/kiosk"
)

var _ kiosk.EIDVerifier = (*Client)(nil)

// VerifyEID is the kiosk's eID check (kiosk.EIDVerifier): the code read by the camera
// goes to POST /v1/eid-logins, the answer becomes the session's identity. The
// back office's refusals become the kiosk's (replayed, expired, invalid); anything
// else (no answer, a record without a photo) is "cannot be checked now".
func (c *Client) VerifyEID(ctx context.Context, code string) (*kiosk.EIDIdentity, error) {
	// A fresh key per code: a retry of the same request must not count as a replay,
	// and the code itself (a bearer credential) is no key to log.
	var k [12]byte
	if _, err := rand.Read(k[:]); err != nil {
		return nil, err
	}
	l, err := c.VerifyEIDLogin(ctx, "eid-"+hex.EncodeToString(k[:]), code)
	if err != nil {
		return nil, eidError(err)
	}
	id, err := l.Identity()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return id, nil
}

// eidError adds the kiosk's eID reason to a failed check.
func eidError(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	switch {
	case e.Code() == CodeQRReplayed:
		return fmt.Errorf("%w: %w", kiosk.ErrEIDReplayed, err)
	case e.Code() == CodeQRExpired || errors.Is(err, ErrGone):
		return fmt.Errorf("%w: %w", kiosk.ErrEIDExpired, err)
	case e.Code() == CodeQRInvalid:
		return fmt.Errorf("%w: %w", kiosk.ErrEIDInvalid, err)
	}
	return err
}
