package icao

import (
	"context"
	"fmt"

	"github.com/macau-dsi/kiosk/cardio/apdu"
)

// SecureChannel is a Transceiver that protects every command with a session and
// checks every response, so that LDS code reads the same way in plain and under SM.
type SecureChannel struct {
	T apdu.Transceiver
	S *Session
}

// Transmit wraps command, sends it and returns the unwrapped response bytes.
func (c *SecureChannel) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	cmd, err := apdu.ParseCommand(command)
	if err != nil {
		return nil, err
	}
	wrapped, err := c.S.WrapCommand(cmd)
	if err != nil {
		return nil, fmt.Errorf("secure messaging: %w", err)
	}
	resp, err := apdu.Exchange(ctx, c.T, wrapped)
	if err != nil {
		return nil, err
	}
	plain, err := c.S.UnwrapResponse(cmd.INS, resp)
	if err != nil {
		return nil, fmt.Errorf("secure messaging: %w", err)
	}
	return plain.Bytes(), nil
}
