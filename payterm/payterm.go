// Package payterm is the kiosk's card terminal (Macao Pass or a bank card tapped on
// the terminal beside the screen): the Terminal port, and a simulated terminal for
// tests and the demo. No driver for a real terminal exists here; cmd/kiosk refuses
// the simulated one in production, as it refuses virtual card readers.
//
// What a terminal says is the fact about the money: an approval means the card was
// charged, whatever happens to the line afterwards. So a sale whose answer was lost
// is looked up in the terminal's journal before anything else is decided.
package payterm

import (
	"context"
	"errors"
)

// Status is how a sale ended at the terminal.
type Status string

const (
	Approved  Status = "approved"  // the card was charged: ApprovalCode is set
	Declined  Status = "declined"  // the card or its issuer said no
	TimedOut  Status = "timed-out" // no card was tapped in time
	Cancelled Status = "cancelled" // stopped before a card was tapped
	Refunded  Status = "refunded"  // approved, then given back
)

// Result is a sale as the terminal's journal has it.
type Result struct {
	Reference    string
	Amount       int // avos
	Status       Status
	ApprovalCode string // the issuer's authorisation code, when approved
}

// Terminal is a card terminal. Every call is bounded by its context.
type Terminal interface {
	// ID names the terminal (reported with each approval; never personal data).
	ID() string
	// Sale asks for amount under reference and waits until the card is tapped and
	// approved or declined, the terminal's own time runs out, or the sale is
	// cancelled (Cancel, or ctx). An error means the answer was lost: the card may
	// have been charged, and Lookup tells.
	Sale(ctx context.Context, reference string, amount int) (Result, error)
	// Cancel stops the sale waiting for a card under reference. A sale approved
	// already stays approved: Lookup then says so.
	Cancel(ctx context.Context, reference string) error
	// Lookup returns the journal's entry for reference; ErrUnknownSale when the
	// terminal never saw it, a sale still waiting for a card has no entry yet.
	Lookup(ctx context.Context, reference string) (Result, error)
	// Refund gives an approved sale back to the card.
	Refund(ctx context.Context, reference string) (Result, error)
}

var (
	// ErrUnavailable is wrapped when the terminal cannot be reached or its answer
	// was lost.
	ErrUnavailable = errors.New("card terminal unavailable")
	// ErrUnknownSale: the terminal has no sale under this reference.
	ErrUnknownSale = errors.New("card terminal: no sale under this reference")
	// ErrNotApproved: only an approved sale is refunded.
	ErrNotApproved = errors.New("card terminal: the sale is not approved")
)
