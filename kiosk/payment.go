package kiosk

import (
	"context"
	"errors"
	"time"
)

// PaymentStatus is where a payment order stands. Only the payment side (the back
// office's order, the card terminal) changes it; the kiosk reads it.
type PaymentStatus string

const (
	PayPending   PaymentStatus = "pending"   // waiting for the resident's wallet or card
	PayPaid      PaymentStatus = "paid"      // money taken: the application must go through or be refunded
	PayDeclined  PaymentStatus = "declined"  // the wallet or card said no
	PayCancelled PaymentStatus = "cancelled" // the resident or the kiosk cancelled it
	PayExpired   PaymentStatus = "expired"   // not paid in time
	PayRefunded  PaymentStatus = "refunded"  // paid, then given back
)

// Final reports whether the order can no longer change by itself.
func (s PaymentStatus) Final() bool { return s != PayPending && s != "" }

// PaymentOrder is the payment of one application. It is keyed by the application's
// reference, so asking again after a crash finds the same order: nothing is paid twice.
type PaymentOrder struct {
	Reference string
	Method    PaymentMethod
	Amount    int // avos
	Status    PaymentStatus
	// QRPayload is what the screen shows as a QR code for the wallet app (PaymentQR).
	QRPayload string
	ExpiresAt time.Time
	// ProviderRef is the payment provider's reference (wallet transaction, terminal
	// approval code), printed on the receipt. Not personal data.
	ProviderRef string
}

// RefundReason says why money goes back (a code; never personal data).
type RefundReason string

const (
	RefundSubmissionFailed  RefundReason = "submission-failed"
	RefundResidentCancelled RefundReason = "resident-cancelled"
)

// Payments is the port to payment: a GovPay-style QR order through the back office,
// a card terminal, or both.
type Payments interface {
	// Methods lists the ways this kiosk takes money, in the order the screen offers
	// them; empty when it cannot take money (then paid services cannot be applied for).
	Methods() []PaymentMethod
	// Start opens the payment of an application, or finds the one already open for
	// this reference (same amount), and returns it at once, usually pending.
	Start(ctx context.Context, reference string, service ServiceID, amount int, method PaymentMethod) (PaymentOrder, error)
	// Status asks where the order stands now.
	Status(ctx context.Context, reference string) (PaymentOrder, error)
	// Cancel stops a pending order (the resident pressed cancel, or left). Cancelling
	// an order that was paid meanwhile returns it paid: the caller must then go on or
	// refund.
	Cancel(ctx context.Context, reference string) (PaymentOrder, error)
	// Refund gives a paid order's money back.
	Refund(ctx context.Context, reference string, why RefundReason) (PaymentOrder, error)
}

// ErrPaymentUnavailable is wrapped when the payment side cannot be reached.
var ErrPaymentUnavailable = errors.New("payment not available")

// ErrNoPayment is wrapped when no order exists for a reference.
var ErrNoPayment = errors.New("no payment order for this reference")
