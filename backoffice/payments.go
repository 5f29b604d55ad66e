package backoffice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/payterm"
)

// Payments is the kiosk's kiosk.Payments: it offers the configured methods and
// dispatches by method. Every order, wallet or card, is a payment order at the back
// office keyed by the application reference, so the back office is the one record
// of what was paid:
//   - qr: the back office's GovPay-style order, paid in the resident's wallet app;
//   - card: the kiosk's card terminal takes the money, and its approval is reported
//     to the back office (card-capture), which then accepts the application as paid.
//
// A card sale runs in the background from Start; Status and Cancel read its outcome.
// After a crash (no sale in memory) the order's method at the back office decides,
// and a card order still pending there is looked up in the terminal's journal: an
// approval found there is captured, so money taken is never lost.
type Payments struct {
	c       *Client
	qr      bool
	term    payterm.Terminal
	retry   time.Duration
	tries   int
	onError func(error)

	ctx    context.Context // background sales; Close ends them
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	sales  map[string]*sale
}

var _ kiosk.Payments = (*Payments)(nil)

// PaymentsOptions choose the methods.
type PaymentsOptions struct {
	// QR offers the wallet QR (method qr).
	QR bool
	// Terminal, when set, offers card payment at it (method card).
	Terminal payterm.Terminal
	// Retry is the pause between tries to learn a lost sale's outcome or to report an
	// approval to the back office (default 2s); Tries bounds them (default 30).
	Retry time.Duration
	Tries int
	// OnError hears what went wrong in the background (no personal data).
	OnError func(error)
}

// NewPayments builds the payments over a back-office client. Close stops the
// background sales.
func NewPayments(c *Client, o PaymentsOptions) *Payments {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Payments{c: c, qr: o.QR, term: o.Terminal, retry: o.Retry, tries: o.Tries, onError: o.OnError,
		ctx: ctx, cancel: cancel, sales: map[string]*sale{}}
	if p.retry <= 0 {
		p.retry = 2 * time.Second
	}
	if p.tries <= 0 {
		p.tries = 30
	}
	return p
}

// Close cancels the sales still waiting for a card and waits for them to end.
func (p *Payments) Close() {
	p.cancel()
	p.wg.Wait()
}

// sale is a card sale started by this process.
type sale struct {
	amount int
	done   chan struct{} // closed once the sale ended and its outcome was reported
	res    payterm.Result
	order  PaymentOrder // the back office's order after the outcome
	err    error        // the outcome could not be learnt or reported: recover asks again
}

// Methods implements kiosk.Payments: the wallet QR first, then the card terminal.
func (p *Payments) Methods() []kiosk.PaymentMethod {
	var m []kiosk.PaymentMethod
	if p.qr {
		m = append(m, kiosk.PaymentQR)
	}
	if p.term != nil {
		m = append(m, kiosk.PaymentCard)
	}
	return m
}

// Start implements kiosk.Payments.
func (p *Payments) Start(ctx context.Context, ref string, service kiosk.ServiceID, amount int, method kiosk.PaymentMethod) (kiosk.PaymentOrder, error) {
	switch {
	case method == kiosk.PaymentQR && p.qr:
		o, err := p.c.CreatePaymentOrder(ctx, newKey("order-"+ref), ref, PaymentOrderRequest{Service: service, Amount: amount, Method: MethodQR})
		if err != nil {
			return kiosk.PaymentOrder{}, payErr(err)
		}
		return toKiosk(o), nil
	case method == kiosk.PaymentCard && p.term != nil:
		return p.startCard(ctx, ref, service, amount)
	}
	return kiosk.PaymentOrder{}, fmt.Errorf("%w: method %q is not offered here", kiosk.ErrPaymentUnavailable, method)
}

func (p *Payments) startCard(ctx context.Context, ref string, service kiosk.ServiceID, amount int) (kiosk.PaymentOrder, error) {
	p.mu.Lock()
	s, ok := p.sales[ref]
	p.mu.Unlock()
	if ok {
		return p.saleStatus(ctx, ref, s, false)
	}
	o, err := p.c.CreatePaymentOrder(ctx, newKey("order-card-"+ref), ref, PaymentOrderRequest{Service: service, Amount: amount, Method: MethodCard})
	if err != nil {
		return kiosk.PaymentOrder{}, payErr(err)
	}
	if o.Status != OrderPending {
		return toKiosk(o), nil // asked again after a crash: the order already ended
	}
	p.mu.Lock()
	if s, ok = p.sales[ref]; ok { // a Start that raced this one
		p.mu.Unlock()
		return p.saleStatus(ctx, ref, s, false)
	}
	s = &sale{amount: amount, done: make(chan struct{})}
	p.sales[ref] = s
	p.wg.Add(1)
	p.mu.Unlock()
	go p.runSale(ref, amount, s)
	return toKiosk(o), nil
}

// runSale waits for the card, learns the outcome even when the answer was lost, and
// reports it to the back office: an approval is captured, anything else cancels the
// order there.
func (p *Payments) runSale(ref string, amount int, s *sale) {
	defer p.wg.Done()
	defer close(s.done)
	ctx := p.ctx
	res, err := p.term.Sale(ctx, ref, amount)
	if err != nil {
		// The card may have been charged: only the journal can say.
		p.report(fmt.Errorf("card sale: %w; looking it up in the terminal's journal", err))
		res, err = p.lookup(ctx, ref)
	}
	if err != nil {
		s.err = err
		return
	}
	s.res = res
	if res.Status == payterm.Approved {
		s.order, s.err = p.capture(ctx, ref, res, p.tries)
		return
	}
	// Not charged: the order is over at the back office too (best effort; a pending
	// order left there expires by itself and is never paid by anyone else).
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if o, err := p.c.CancelPaymentOrder(cctx, newKey("cancel-"+ref), ref); err == nil {
		s.order = o
	} else {
		p.report(fmt.Errorf("cancelling a card order after %s: %w", res.Status, err))
	}
}

// lookup asks the terminal's journal, retrying while the terminal cannot answer.
func (p *Payments) lookup(ctx context.Context, ref string) (payterm.Result, error) {
	var err error
	for i := 0; i < p.tries; i++ {
		var r payterm.Result
		if r, err = p.term.Lookup(ctx, ref); err == nil || errors.Is(err, payterm.ErrUnknownSale) {
			return r, err
		}
		if !sleep(ctx, p.retry) {
			break
		}
	}
	return payterm.Result{}, err
}

// capture reports an approval to the back office, retrying (up to tries) while it
// cannot be reached: until it arrives the back office refuses the application as
// unpaid.
func (p *Payments) capture(ctx context.Context, ref string, r payterm.Result, tries int) (PaymentOrder, error) {
	c := CardCapture{ApprovalCode: r.ApprovalCode, Amount: r.Amount, TerminalID: p.term.ID()}
	var err error
	for i := 0; i < tries; i++ {
		var o PaymentOrder
		// One key per approval: a retry after a lost answer replays the answer.
		if o, err = p.c.CaptureCardPayment(ctx, "capture-"+ref+"-"+r.ApprovalCode, ref, c); err == nil {
			return o, nil
		}
		if !errors.Is(err, ErrUnavailable) {
			break // refused: retrying does not change the answer
		}
		if i+1 < tries && !sleep(ctx, p.retry) {
			break
		}
	}
	p.report(fmt.Errorf("reporting a card approval: %w", err))
	return PaymentOrder{}, err
}

// saleStatus is a sale of this process as the kiosk sees it. A sale whose outcome
// could not be learnt or reported is decided again (recover; with cancel, an
// uncharged order is cancelled).
func (p *Payments) saleStatus(ctx context.Context, ref string, s *sale, cancel bool) (kiosk.PaymentOrder, error) {
	select {
	case <-s.done:
	default:
		return kiosk.PaymentOrder{Reference: ref, Method: kiosk.PaymentCard, Amount: s.amount, Status: kiosk.PayPending}, nil
	}
	if s.err != nil {
		return p.recover(ctx, ref, cancel)
	}
	o := toKiosk(s.order)
	o.Reference, o.Method = ref, kiosk.PaymentCard
	switch s.res.Status {
	case payterm.Approved:
		o.Status, o.ProviderRef = kiosk.PayPaid, s.res.ApprovalCode
	case payterm.Declined:
		o.Status = kiosk.PayDeclined
	case payterm.TimedOut:
		o.Status = kiosk.PayExpired
	default:
		o.Status = kiosk.PayCancelled
	}
	o.Amount = s.amount
	return o, nil
}

// recover decides a card order from the back office and the terminal's journal,
// for a sale this process did not see end (a crash, a lost answer). With cancel, an
// order the terminal did not charge is cancelled.
func (p *Payments) recover(ctx context.Context, ref string, cancel bool) (kiosk.PaymentOrder, error) {
	o, err := p.c.PaymentOrder(ctx, ref)
	if err != nil {
		return kiosk.PaymentOrder{}, payErr(err)
	}
	if o.Method != MethodCard || o.Status == OrderPaid || o.Status == OrderRefunded {
		return toKiosk(o), nil
	}
	r, err := p.term.Lookup(ctx, ref)
	switch {
	case err == nil && r.Status == payterm.Approved:
		// Charged, but the back office was never told (or the order was cancelled
		// meanwhile): report it now.
		paid, err := p.capture(ctx, ref, r, 1)
		if err != nil {
			return kiosk.PaymentOrder{}, payErr(err)
		}
		return toKiosk(paid), nil
	case err != nil && !errors.Is(err, payterm.ErrUnknownSale):
		return kiosk.PaymentOrder{}, fmt.Errorf("%w: %w", kiosk.ErrPaymentUnavailable, err)
	}
	if !cancel || o.Status != OrderPending {
		return toKiosk(o), nil
	}
	if err := p.term.Cancel(ctx, ref); err != nil {
		return kiosk.PaymentOrder{}, fmt.Errorf("%w: %w", kiosk.ErrPaymentUnavailable, err)
	}
	// Cancelled at the terminal: a tap that raced it shows in the journal now.
	if r, err := p.term.Lookup(ctx, ref); err == nil && r.Status == payterm.Approved {
		paid, err := p.capture(ctx, ref, r, 1)
		if err != nil {
			return kiosk.PaymentOrder{}, payErr(err)
		}
		return toKiosk(paid), nil
	}
	return p.cancelAtBackOffice(ctx, ref)
}

// Status implements kiosk.Payments.
func (p *Payments) Status(ctx context.Context, ref string) (kiosk.PaymentOrder, error) {
	if s := p.sale(ref); s != nil {
		return p.saleStatus(ctx, ref, s, false)
	}
	o, err := p.c.PaymentOrder(ctx, ref)
	if err != nil {
		return kiosk.PaymentOrder{}, payErr(err)
	}
	if o.Method == MethodCard && o.Status != OrderPaid && p.term != nil {
		return p.recover(ctx, ref, false)
	}
	return toKiosk(o), nil
}

// Cancel implements kiosk.Payments: a paid order comes back paid.
func (p *Payments) Cancel(ctx context.Context, ref string) (kiosk.PaymentOrder, error) {
	if s := p.sale(ref); s != nil {
		if err := p.term.Cancel(ctx, ref); err != nil {
			p.report(fmt.Errorf("cancelling a card sale: %w", err))
		}
		select {
		case <-s.done:
		case <-ctx.Done():
			return kiosk.PaymentOrder{}, fmt.Errorf("%w: the terminal did not end the sale: %w", kiosk.ErrPaymentUnavailable, ctx.Err())
		}
		return p.saleStatus(ctx, ref, s, true)
	}
	o, err := p.c.PaymentOrder(ctx, ref)
	if err != nil {
		return kiosk.PaymentOrder{}, payErr(err)
	}
	if o.Method == MethodCard {
		if p.term == nil {
			return kiosk.PaymentOrder{}, fmt.Errorf("%w: a card order and no terminal configured", kiosk.ErrPaymentUnavailable)
		}
		return p.recover(ctx, ref, true)
	}
	return p.cancelAtBackOffice(ctx, ref)
}

func (p *Payments) cancelAtBackOffice(ctx context.Context, ref string) (kiosk.PaymentOrder, error) {
	o, err := p.c.CancelPaymentOrder(ctx, newKey("cancel-"+ref), ref)
	var e *Error
	if errors.As(err, &e) && e.Code() == CodeOrderPaid {
		// Paid meanwhile: the caller goes on (or refunds).
		o, err = p.c.PaymentOrder(ctx, ref)
	}
	if err != nil {
		return kiosk.PaymentOrder{}, payErr(err)
	}
	return toKiosk(o), nil
}

// Refund implements kiosk.Payments: a card's money goes back through the terminal,
// then the back office records the refund.
func (p *Payments) Refund(ctx context.Context, ref string, why kiosk.RefundReason) (kiosk.PaymentOrder, error) {
	o, err := p.c.PaymentOrder(ctx, ref)
	if err != nil {
		return kiosk.PaymentOrder{}, payErr(err)
	}
	if o.Status == OrderRefunded {
		return toKiosk(o), nil
	}
	if o.Method == MethodCard && o.Status == OrderPaid {
		if p.term == nil {
			return kiosk.PaymentOrder{}, fmt.Errorf("%w: a card order and no terminal configured", kiosk.ErrPaymentUnavailable)
		}
		if _, err := p.term.Refund(ctx, ref); err != nil {
			return kiosk.PaymentOrder{}, fmt.Errorf("%w: %w", kiosk.ErrPaymentUnavailable, err)
		}
	}
	r, err := p.c.RefundPaymentOrder(ctx, "refund-"+ref, ref, string(why))
	if err != nil {
		return kiosk.PaymentOrder{}, payErr(err)
	}
	return toKiosk(r), nil
}

func (p *Payments) sale(ref string) *sale {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sales[ref]
}

func (p *Payments) report(err error) {
	if p.onError != nil {
		p.onError(err)
	}
}

// toKiosk maps a back-office order to the kiosk's (the statuses are the same words).
func toKiosk(o PaymentOrder) kiosk.PaymentOrder {
	m := kiosk.PaymentQR
	if o.Method == MethodCard {
		m = kiosk.PaymentCard
	}
	return kiosk.PaymentOrder{
		Reference: o.Reference, Method: m, Amount: o.Amount, Status: kiosk.PaymentStatus(o.Status),
		QRPayload: o.QRPayload, ExpiresAt: o.ExpiresAt, ProviderRef: o.ProviderRef,
	}
}

// payErr gives the kiosk's payment sentinels: no order (404), or payment unavailable
// (anything else: down, refused, a conflict the resident cannot fix).
func payErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", kiosk.ErrNoPayment, err)
	}
	return fmt.Errorf("%w: %w", kiosk.ErrPaymentUnavailable, err)
}

// newKey is a fresh idempotency key for a write that is safe to repeat anyway (a
// cancel): a stored answer from an earlier try must not hide a later payment.
func newKey(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
