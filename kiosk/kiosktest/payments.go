package kiosktest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

var _ kiosk.Payments = (*Payments)(nil)

// Payments is a fake payment side: orders keyed by reference, like the back office's.
// The test decides each order's fate with Approve, Decline, Expire; Outcome, when set,
// decides every new order at once.
type Payments struct {
	mu      sync.Mutex
	methods []kiosk.PaymentMethod
	orders  map[string]*kiosk.PaymentOrder
	starts  map[string]int
	// Outcome, if set, is applied to each order as soon as it is started.
	Outcome kiosk.PaymentStatus
	// StartErr fails Start; FailAfterApprove makes Start approve the order and then
	// return an error, as a terminal that took the money and lost the line.
	StartErr, StatusErr, CancelErr, RefundErr error
	FailAfterApprove                          bool
	poll                                      Gate
}

// PollGate holds Status calls (the kiosk's polling) until released: the order can
// change meanwhile without the kiosk seeing it.
func (p *Payments) PollGate() *Gate { return &p.poll }

// NewPayments takes QR and card payments.
func NewPayments() *Payments {
	return &Payments{methods: []kiosk.PaymentMethod{kiosk.PaymentQR, kiosk.PaymentCard},
		orders: map[string]*kiosk.PaymentOrder{}, starts: map[string]int{}}
}

// SetMethods changes the ways offered.
func (p *Payments) SetMethods(ms ...kiosk.PaymentMethod) {
	p.mu.Lock()
	p.methods = ms
	p.mu.Unlock()
}

func (p *Payments) Methods() []kiosk.PaymentMethod {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]kiosk.PaymentMethod(nil), p.methods...)
}

func (p *Payments) Start(ctx context.Context, ref string, s kiosk.ServiceID, amount int, m kiosk.PaymentMethod) (kiosk.PaymentOrder, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.StartErr != nil {
		return kiosk.PaymentOrder{}, p.StartErr
	}
	p.starts[ref]++
	o, ok := p.orders[ref]
	if ok {
		if o.Amount != amount {
			return kiosk.PaymentOrder{}, errors.New("fake payments: same reference, another amount")
		}
		return *o, nil
	}
	o = &kiosk.PaymentOrder{Reference: ref, Method: m, Amount: amount, Status: kiosk.PayPending,
		QRPayload: "govpay://order/" + ref, ExpiresAt: time.Now().Add(15 * time.Minute)}
	p.orders[ref] = o
	if p.Outcome != "" {
		p.settle(o, p.Outcome)
	}
	if p.FailAfterApprove {
		p.settle(o, kiosk.PayPaid)
		return kiosk.PaymentOrder{}, fmt.Errorf("%w: terminal line lost after approval", kiosk.ErrPaymentUnavailable)
	}
	return *o, nil
}

func (p *Payments) settle(o *kiosk.PaymentOrder, s kiosk.PaymentStatus) {
	o.Status = s
	if s == kiosk.PayPaid {
		o.ProviderRef = "TX-" + strconv.Itoa(len(p.orders))
	}
}

func (p *Payments) Status(ctx context.Context, ref string) (kiosk.PaymentOrder, error) {
	if err := p.poll.wait(ctx); err != nil {
		return kiosk.PaymentOrder{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.StatusErr != nil {
		return kiosk.PaymentOrder{}, p.StatusErr
	}
	o, ok := p.orders[ref]
	if !ok {
		return kiosk.PaymentOrder{}, kiosk.ErrNoPayment
	}
	return *o, nil
}

func (p *Payments) Cancel(ctx context.Context, ref string) (kiosk.PaymentOrder, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.CancelErr != nil {
		return kiosk.PaymentOrder{}, p.CancelErr
	}
	o, ok := p.orders[ref]
	if !ok {
		return kiosk.PaymentOrder{}, kiosk.ErrNoPayment
	}
	if o.Status == kiosk.PayPending {
		o.Status = kiosk.PayCancelled
	}
	return *o, nil
}

func (p *Payments) Refund(ctx context.Context, ref string, why kiosk.RefundReason) (kiosk.PaymentOrder, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.RefundErr != nil {
		return kiosk.PaymentOrder{}, p.RefundErr
	}
	o, ok := p.orders[ref]
	if !ok {
		return kiosk.PaymentOrder{}, kiosk.ErrNoPayment
	}
	if o.Status != kiosk.PayPaid {
		return *o, fmt.Errorf("fake payments: refund of a %s order", o.Status)
	}
	o.Status = kiosk.PayRefunded
	return *o, nil
}

// Approve, Decline and Expire decide the pending order of ref (the resident paid in
// the wallet, the card was refused, the order ran out).
func (p *Payments) Approve(ref string) { p.set(ref, kiosk.PayPaid) }
func (p *Payments) Decline(ref string) { p.set(ref, kiosk.PayDeclined) }
func (p *Payments) Expire(ref string)  { p.set(ref, kiosk.PayExpired) }

func (p *Payments) set(ref string, s kiosk.PaymentStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o, ok := p.orders[ref]; ok && o.Status == kiosk.PayPending {
		p.settle(o, s)
	}
}

// Orders returns every order by reference.
func (p *Payments) Orders() map[string]kiosk.PaymentOrder {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]kiosk.PaymentOrder{}
	for k, v := range p.orders {
		out[k] = *v
	}
	return out
}

// Pending returns the reference of the one pending order ("" if none).
func (p *Payments) Pending() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range p.orders {
		if v.Status == kiosk.PayPending {
			return k
		}
	}
	return ""
}
