package kiosk

import (
	"context"
	"errors"
	"time"
)

// Receipt is what the printer prints. No personal data: the reference (as text and as
// a barcode), the service, the fee and when. The adapter translates the keys.
type Receipt struct {
	Reference string
	Service   ServiceID
	Fee       int // avos
	At        time.Time
	Language  Language
	KioskID   string
}

// Printer is the port to the receipt printer.
type Printer interface {
	PrintReceipt(ctx context.Context, r Receipt) error
}

// ErrNoPrinter is returned when the kiosk has no printer (or it is out of paper): the
// resident still sees the reference on screen.
var ErrNoPrinter = errors.New("receipt printer not available")

// NoPrinter is the Printer of a kiosk without one.
type NoPrinter struct{}

// PrintReceipt always fails with ErrNoPrinter.
func (NoPrinter) PrintReceipt(context.Context, Receipt) error { return ErrNoPrinter }
