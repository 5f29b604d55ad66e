package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The payment step. Its rules:
//   - nothing is submitted unpaid: only a paid order (GuardPaid) leads to the
//     submission of a paid service;
//   - nothing is paid twice: the order is keyed by the application's reference, and the
//     application is held in the database (HoldApplication) before the order exists, so
//     a kiosk restarted after a crash finds both (SettleHeld);
//   - money taken is never lost: an application whose order was paid is released to
//     the back office even when the resident left meanwhile, and a paid application that
//     cannot be saved is refunded.

// heldApplication is the application saved awaiting payment in this session.
type heldApplication struct {
	prepared
	paid *PaymentOrder // set once the order is paid
}

// NoPayments is the Payments of a kiosk that takes no money.
type NoPayments struct{}

func (NoPayments) Methods() []PaymentMethod { return nil }
func (NoPayments) Start(context.Context, string, ServiceID, int, PaymentMethod) (PaymentOrder, error) {
	return PaymentOrder{}, fmt.Errorf("%w: this kiosk takes no payments", ErrPaymentUnavailable)
}
func (NoPayments) Status(context.Context, string) (PaymentOrder, error) {
	return PaymentOrder{}, ErrNoPayment
}
func (NoPayments) Cancel(context.Context, string) (PaymentOrder, error) {
	return PaymentOrder{}, ErrNoPayment
}
func (NoPayments) Refund(context.Context, string, RefundReason) (PaymentOrder, error) {
	return PaymentOrder{}, ErrNoPayment
}

// Messages of the payment screen.
const (
	MsgPaymentDeclined    MsgKey = "msg.payment_declined"
	MsgPaymentExpired     MsgKey = "msg.payment_expired"
	MsgPaymentCancelled   MsgKey = "msg.payment_cancelled"
	MsgPaymentUnavailable MsgKey = "msg.payment_unavailable"
	// ReasonPaymentUnavailable greys out paid services on a kiosk that cannot take money.
	ReasonPaymentUnavailable MsgKey = "reason.payment_unavailable"
)

func (m *Machine) paymentEnter(now time.Time) {
	m.pay = &PaymentView{Amount: m.cfg.Fees[m.service], Methods: m.deps.Payments.Methods()}
	if len(m.pay.Methods) == 1 {
		// One way to pay: no choice to make.
		m.startPayment(now, m.pay.Methods[0])
	}
}

// startPayment holds the application (a fresh reference for every new try: an order
// that was declined is final) and opens its order with method, then follows it.
func (m *Machine) startPayment(now time.Time, method PaymentMethod) {
	if m.pay == nil || m.busy || m.pay.Method != "" || !slices.Contains(m.pay.Methods, method) {
		return
	}
	if m.held == nil {
		p, err := m.prepare(now)
		if err == nil {
			ctx, cancel := m.storeCtx()
			err = m.deps.Store.HoldApplication(ctx, p.app, AuditEvent{At: now, Actor: "resident", Action: "application.hold",
				Subject: m.subject, Detail: "service=" + string(m.service) + " reference=" + p.app.Reference + " fee=" + strconv.Itoa(p.app.Fee)})
			cancel()
		}
		if err != nil {
			m.goOp(time.Second, func(_ context.Context, post func(Event)) {
				post(Event{Kind: EvSubmitFailed, Err: fmt.Errorf("holding the application: %w", err)})
			})
			return
		}
		m.held = &heldApplication{prepared: p}
	}
	m.pay.Method, m.pay.Status, m.pay.QR, m.notice = method, "", "", ""
	m.busy = true
	ref, service, amount := m.held.app.Reference, m.service, m.held.app.Fee
	pay, poll := m.deps.Payments, m.cfg.PaymentPoll
	m.goOp(m.cfg.PaymentTimeout, func(ctx context.Context, post func(Event)) {
		o, err := pay.Start(ctx, ref, service, amount, method)
		if err != nil {
			// The answer was lost, not necessarily the order: a terminal may have
			// taken the money and then lost the line. Ask before giving up.
			if o, err = pay.Status(ctx, ref); err != nil {
				post(Event{Kind: EvPaymentError, Err: err})
				return
			}
		}
		post(Event{Kind: EvPaymentUpdate, Payment: o})
		for !o.Status.Final() {
			select {
			case <-ctx.Done():
				if errors.Is(ctx.Err(), context.DeadlineExceeded) {
					// Out of time: cancel, so the wallet cannot pay an order nobody
					// waits for. A payment that raced the cancel comes back paid.
					cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
					defer cancel()
					if c, err := pay.Cancel(cctx, ref); err == nil {
						post(Event{Kind: EvPaymentUpdate, Payment: c})
					}
				}
				return // the state was left: the session's settling takes over
			case <-time.After(poll):
			}
			next, err := pay.Status(ctx, ref)
			if err != nil {
				continue // a missed poll is not a failed payment: ask again
			}
			if next.Status != o.Status || next.QRPayload != o.QRPayload {
				post(Event{Kind: EvPaymentUpdate, Payment: next})
			}
			o = next
		}
	})
}

func (m *Machine) paymentUpdate(now time.Time, o PaymentOrder) {
	if m.held == nil || m.pay == nil || o.Reference != m.held.app.Reference {
		return // an older try's news
	}
	m.busy = false
	m.pay.Status, m.pay.QR = o.Status, o.QRPayload
	if o.Status == PayPending || o.Status == "" {
		return
	}
	m.audit(now, "resident", "payment."+string(o.Status), "reference="+o.Reference+" method="+string(o.Method)+
		" amount="+strconv.Itoa(o.Amount))
	if o.Status == PayPaid {
		paid := o
		m.held.paid = &paid
		return
	}
	// Final and unpaid: this try is over. The held application is dropped; another
	// try holds it again under a new reference.
	switch {
	case m.pay.Cancelling:
	case o.Status == PayDeclined:
		m.notice = MsgPaymentDeclined
	case o.Status == PayExpired:
		m.notice = MsgPaymentExpired
	default:
		m.notice = MsgPaymentCancelled
	}
	h := m.held
	m.held = nil
	m.pay.Method, m.pay.Status, m.pay.QR, m.pay.Cancelling = "", "", "", false
	m.dropHeld(h, "payment "+string(o.Status))
}

func (m *Machine) paymentError(now time.Time, err error) {
	m.busy = false
	m.notice = MsgPaymentUnavailable
	m.audit(now, "system", "payment.error", "error="+errText(err))
	if m.pay == nil {
		return
	}
	// The held application stays: its order may exist without the kiosk knowing
	// (a lost answer). Another try asks under the same reference, which finds that
	// order; leaving settles it (cancel, and release if it was paid).
	m.pay.Method, m.pay.Status, m.pay.QR, m.pay.Cancelling = "", "", "", false
}

// cancelPayment asks the payment side to cancel the open order. Its answer decides:
// cancelled goes back to the summary, paid goes on to the submission.
func (m *Machine) cancelPayment() {
	if m.pay == nil || m.held == nil || m.pay.Cancelling {
		return
	}
	m.pay.Cancelling = true
	ref, pay := m.held.app.Reference, m.deps.Payments
	m.goOp(15*time.Second, func(ctx context.Context, post func(Event)) {
		o, err := pay.Cancel(ctx, ref)
		if errors.Is(err, ErrNoPayment) {
			o, err = PaymentOrder{Reference: ref, Status: PayCancelled}, nil
		}
		if err != nil {
			post(Event{Kind: EvPaymentError, Err: err})
			return
		}
		post(Event{Kind: EvPaymentUpdate, Payment: o})
	})
}

// submitHeld releases a paid application to the back office and prints its receipt.
// If it cannot be saved, the money goes back.
func (m *Machine) submitHeld(h *heldApplication) {
	r := h.receipt
	if h.paid != nil {
		r.Paid, r.Method, r.PaymentRef, r.Fee = true, h.paid.Method, h.paid.ProviderRef, h.paid.Amount
	}
	store, pay, timeout := m.deps.Store, m.deps.Payments, m.cfg.SubmitTimeout
	m.goOp(timeout, func(ctx context.Context, post func(Event)) {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		err := store.ReleaseApplication(sctx, h.app.Reference, h.submitted)
		if err == nil {
			m.printAndPost(ctx, post, r, h.submitted.Subject)
			return
		}
		// Paid but not saved: give the money back, and say so.
		reason := ReasonPaidRefunded
		o, rerr := pay.Refund(sctx, h.app.Reference, RefundSubmissionFailed)
		if rerr != nil || o.Status != PayRefunded {
			// Not even the refund could be asked for: the application stays held, and
			// SettleHeld completes it (it is paid) once the kiosk can.
			reason = ReasonPaidRefundPending
		}
		post(Event{Kind: EvSubmitFailed, Reason: reason, Err: fmt.Errorf("saving paid application: %w", err)})
	})
}

// settleHeld runs when the session ends (card pulled, timeout, end) with an
// application still held: the order is cancelled; if it was paid meanwhile the
// application goes through, else it is dropped. It outlives the session.
func (m *Machine) settleHeld() {
	h := m.held
	m.held = nil
	if h == nil {
		return
	}
	store, pay, clock := m.deps.Store, m.deps.Payments, m.deps.Clock
	base := m.runCtx
	if base == nil {
		base = context.Background()
	}
	m.opWG.Add(1)
	go func() {
		defer m.opWG.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(base), 30*time.Second)
		defer cancel()
		if err := settleOne(ctx, store, pay, clock, h.app, h.submitted); err != nil {
			m.report(fmt.Errorf("settling held application %s: %w", h.app.Reference, err))
		}
	}()
}

func (m *Machine) dropHeld(h *heldApplication, why string) {
	store, clock := m.deps.Store, m.deps.Clock
	ctx, cancel := m.storeCtx()
	defer cancel()
	if err := store.DropApplication(ctx, h.app.Reference, AuditEvent{At: clock.Now(), Actor: "system",
		Action: "application.drop", Subject: h.app.Subject, Detail: "reference=" + h.app.Reference + " why=" + why}); err != nil {
		m.report(fmt.Errorf("dropping held application %s: %w", h.app.Reference, err))
	}
}

func (m *Machine) storeCtx() (context.Context, context.CancelFunc) {
	base := m.runCtx
	if base == nil {
		base = context.Background()
	}
	return context.WithTimeout(context.WithoutCancel(base), 5*time.Second)
}

// settleOne decides a held application from its order: paid → released (submitted,
// receipt not shown), anything else → the order cancelled and the application dropped.
// A back office that cannot answer leaves it held, for the next try.
func settleOne(ctx context.Context, store Store, pay Payments, clock Clock, a Application, submitted AuditEvent) error {
	o, err := pay.Cancel(ctx, a.Reference)
	switch {
	case errors.Is(err, ErrNoPayment):
		o = PaymentOrder{Reference: a.Reference, Status: PayCancelled}
	case err != nil:
		return err
	}
	now := clock.Now()
	if o.Status == PayPaid {
		submitted.At = now
		submitted.Detail += " receipt=not_shown settled=paid"
		return store.ReleaseApplication(ctx, a.Reference, submitted)
	}
	if !o.Status.Final() {
		return fmt.Errorf("order still %s after cancel", o.Status)
	}
	return store.DropApplication(ctx, a.Reference, AuditEvent{At: now, Actor: "system", Action: "application.drop",
		Subject: a.Subject, Detail: "reference=" + a.Reference + " why=payment " + string(o.Status)})
}

// SettleHeld settles what a crash left held: every application held since before
// createdBefore (older than any live payment can be). Call it at start-up and now and
// then; it returns how many it settled.
func SettleHeld(ctx context.Context, store Store, pay Payments, clock Clock, createdBefore time.Time) (int, error) {
	held, err := store.HeldApplications(ctx, createdBefore)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, a := range held {
		submitted := AuditEvent{At: clock.Now(), Actor: "system", Action: "application.submit", Subject: a.Subject,
			Detail: "service=" + a.Service + " reference=" + a.Reference}
		if err := settleOne(ctx, store, pay, clock, a, submitted); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.Reference, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
