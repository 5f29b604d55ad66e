package vpcdtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ebfe/scard"
)

// waitPCSCState waits through PC/SC until the reader shows the card present (or
// absent); used when pcscd is not ours and its log cannot be read.
func waitPCSCState(ctx context.Context, reader string, present bool) error {
	c, err := scard.EstablishContext()
	if err != nil {
		return fmt.Errorf("PC/SC context: %w", err)
	}
	defer c.Release()
	rs := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	for {
		err := c.GetStatusChange(rs, 200*time.Millisecond)
		if err != nil && !errors.Is(err, scard.ErrTimeout) && !errors.Is(err, scard.ErrUnknownReader) {
			return fmt.Errorf("PC/SC status of %s: %w", reader, err)
		}
		if err == nil {
			st := rs[0].EventState
			if st&scard.StatePresent != 0 == present && st&scard.StateUnknown == 0 {
				return nil
			}
			rs[0].CurrentState = st &^ scard.StateChanged
		}
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for the card in %s: %w", reader, ctx.Err())
		}
	}
}
