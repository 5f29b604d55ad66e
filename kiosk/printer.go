package kiosk

import (
	"context"
	"errors"
	"time"
)

// Receipt is what the printer prints and the done screen shows. No personal data: the
// reference (as text, as a Code 128 barcode and in a QR code with the verification
// URL), the service, where and from when to collect, what was paid and how, and when.
// The adapter translates the keys.
type Receipt struct {
	Reference string
	Service   ServiceID
	Fee       int // avos; 0 for a free service
	At        time.Time
	Language  Language
	KioskID   string
	// VerifyURL is the address a QR code on the receipt opens: the verification base
	// from configuration with the reference (see VerifyURL).
	VerifyURL string
	// Office is the collection office's option id (kiosk.CollectionOffices; the
	// adapter translates "option.collection_office.<id>"); empty when nothing is
	// collected (One Account).
	Office string
	// CollectFrom is the earliest collection date the back office gave (zero: not known
	// yet, the resident is told by SMS).
	CollectFrom Date
	// Paid says the fee was paid, with Method ("qr" wallet or "card" terminal) and the
	// payment's own reference (PaymentRef, from the payment provider, not personal).
	Paid       bool
	Method     PaymentMethod
	PaymentRef string
	// Demo marks a receipt printed by the demo: "DEMO — not valid".
	Demo bool
}

// PaymentMethod is how a fee was paid.
type PaymentMethod string

const (
	PaymentQR   PaymentMethod = "qr"   // GovPay-style QR order paid in a wallet app
	PaymentCard PaymentMethod = "card" // card terminal: Macao Pass or bank card tap
)

// VerifyURL is base with the reference as its last path segment (base from
// configuration, e.g. "https://www.dsi.gov.mo/verify/"); "" when base is "".
func VerifyURL(base, reference string) string {
	if base == "" {
		return ""
	}
	if base[len(base)-1] != '/' {
		base += "/"
	}
	return base + reference
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
