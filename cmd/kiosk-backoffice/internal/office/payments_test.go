package office_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/payterm"
)

// waitStatus polls Status as the session does until the order is final.
func waitStatus(t *testing.T, p kiosk.Payments, ref string) kiosk.PaymentOrder {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		o, err := p.Status(context.Background(), ref)
		if err == nil && o.Status.Final() {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s still %+v, %v", ref, o, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPaymentsAdapter: backoffice.Payments (the kiosk's kiosk.Payments) against the
// reference back office over mutual TLS, every exchange checked against the
// contract: each way a wallet or card payment can end gives the kiosk the status it
// must act on, and the back office's order agrees (paid only when money was taken).
func TestPaymentsAdapter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method kiosk.PaymentMethod
		// resident does what the resident (wallet, card, cancel button) does.
		resident func(t *testing.T, h *harness, term *payterm.Simulated, p *backoffice.Payments, ref string)
		want     kiosk.PaymentStatus
		wantBO   string
	}{
		{"wallet approves", kiosk.PaymentQR, func(t *testing.T, h *harness, _ *payterm.Simulated, _ *backoffice.Payments, ref string) {
			if _, err := h.office.DecidePayment(context.Background(), ref, true); err != nil {
				t.Fatal(err)
			}
		}, kiosk.PayPaid, backoffice.OrderPaid},
		{"wallet declines", kiosk.PaymentQR, func(t *testing.T, h *harness, _ *payterm.Simulated, _ *backoffice.Payments, ref string) {
			if _, err := h.office.DecidePayment(context.Background(), ref, false); err != nil {
				t.Fatal(err)
			}
		}, kiosk.PayDeclined, backoffice.OrderDeclined},
		{"wallet order expires", kiosk.PaymentQR, func(t *testing.T, h *harness, _ *payterm.Simulated, _ *backoffice.Payments, ref string) {
			if _, err := h.office.ExpirePayment(context.Background(), ref); err != nil {
				t.Fatal(err)
			}
		}, kiosk.PayExpired, backoffice.OrderExpired},
		{"wallet cancelled by the resident", kiosk.PaymentQR, func(t *testing.T, _ *harness, _ *payterm.Simulated, p *backoffice.Payments, ref string) {
			if o, err := p.Cancel(context.Background(), ref); err != nil || o.Status != kiosk.PayCancelled {
				t.Fatalf("cancel = %+v, %v", o, err)
			}
		}, kiosk.PayCancelled, backoffice.OrderCancelled},
		{"wallet paid as the resident cancels", kiosk.PaymentQR, func(t *testing.T, h *harness, _ *payterm.Simulated, p *backoffice.Payments, ref string) {
			h.office.DecidePayment(context.Background(), ref, true)
			if o, err := p.Cancel(context.Background(), ref); err != nil || o.Status != kiosk.PayPaid {
				t.Fatalf("cancel of a paid order = %+v, %v; want it paid", o, err)
			}
		}, kiosk.PayPaid, backoffice.OrderPaid},
		{"card approved", kiosk.PaymentCard, func(t *testing.T, _ *harness, term *payterm.Simulated, _ *backoffice.Payments, _ string) {
			act(t, term, payterm.ActApprove)
		}, kiosk.PayPaid, backoffice.OrderPaid},
		{"card declined", kiosk.PaymentCard, func(t *testing.T, _ *harness, term *payterm.Simulated, _ *backoffice.Payments, _ string) {
			act(t, term, payterm.ActDecline)
		}, kiosk.PayDeclined, backoffice.OrderCancelled},
		{"no card in time", kiosk.PaymentCard, func(*testing.T, *harness, *payterm.Simulated, *backoffice.Payments, string) {},
			kiosk.PayExpired, backoffice.OrderCancelled},
		{"card sale cancelled by the resident", kiosk.PaymentCard, func(t *testing.T, _ *harness, term *payterm.Simulated, p *backoffice.Payments, ref string) {
			term.WaitForSale(context.Background())
			if o, err := p.Cancel(context.Background(), ref); err != nil || o.Status != kiosk.PayCancelled {
				t.Fatalf("cancel = %+v, %v", o, err)
			}
		}, kiosk.PayCancelled, backoffice.OrderCancelled},
		{"card charged, then the line drops", kiosk.PaymentCard, func(t *testing.T, _ *harness, term *payterm.Simulated, _ *backoffice.Payments, _ string) {
			act(t, term, payterm.ActFailAfterApproval)
		}, kiosk.PayPaid, backoffice.OrderPaid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			timeout := time.Minute
			if tc.want == kiosk.PayExpired && tc.method == kiosk.PaymentCard {
				timeout = 100 * time.Millisecond
			}
			term := payterm.NewSimulated("sim-01", timeout)
			p := backoffice.NewPayments(h.client(), backoffice.PaymentsOptions{QR: true, Terminal: term, Retry: 10 * time.Millisecond})
			t.Cleanup(p.Close)
			if m := p.Methods(); len(m) != 2 || m[0] != kiosk.PaymentQR || m[1] != kiosk.PaymentCard {
				t.Fatalf("methods %v", m)
			}
			ctx := context.Background()
			o, err := p.Start(ctx, testRef, kiosk.ServicePassport, passportFee, tc.method)
			if err != nil || o.Status != kiosk.PayPending || o.Method != tc.method || (tc.method == kiosk.PaymentQR) != (o.QRPayload != "") {
				t.Fatalf("Start = %+v, %v", o, err)
			}
			tc.resident(t, h, term, p, testRef)
			got := waitStatus(t, p, testRef)
			if got.Status != tc.want || got.Method != tc.method || got.Amount != passportFee || (tc.want == kiosk.PayPaid) != (got.ProviderRef != "") {
				t.Fatalf("final = %+v, want %s", got, tc.want)
			}
			bo, err := h.client().PaymentOrder(ctx, testRef)
			if err != nil || bo.Status != tc.wantBO {
				t.Fatalf("back office order = %+v, %v; want %s", bo, err, tc.wantBO)
			}
			// Nothing is paid twice: Start again finds the same order.
			if again, err := p.Start(ctx, testRef, kiosk.ServicePassport, passportFee, tc.method); err != nil || again.Status != tc.want {
				t.Fatalf("Start again = %+v, %v", again, err)
			}
			if tc.want != kiosk.PayPaid {
				return
			}
			// The application goes through; a refund gives the money back at the
			// terminal as well as at the back office.
			if _, err := h.client().Submit(ctx, testRef, app(h, testRef, kiosk.ServicePassport, cardDemo, passportFee)); err != nil {
				t.Fatalf("submission of the paid application: %v", err)
			}
			r, err := p.Refund(ctx, testRef, kiosk.RefundSubmissionFailed)
			if err != nil || r.Status != kiosk.PayRefunded {
				t.Fatalf("refund = %+v, %v", r, err)
			}
			if tc.method == kiosk.PaymentCard {
				if j, _ := term.Lookup(ctx, testRef); j.Status != payterm.Refunded {
					t.Fatalf("terminal journal after refund: %+v", j)
				}
			}
		})
	}
}

func act(t *testing.T, term *payterm.Simulated, a payterm.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := term.WaitForSale(ctx); err != nil {
		t.Fatal(err)
	}
	if !term.Act(a) {
		t.Fatalf("no sale took %s", a)
	}
}

// TestPaymentsRecoverCardApproval: the kiosk died after the terminal charged the card
// and before the back office heard of it. A new process (no sale in memory) settling
// the order (Cancel, as kiosk.SettleHeld does) finds the approval in the terminal's
// journal and reports it: the order is paid, not cancelled.
func TestPaymentsRecoverCardApproval(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	term := &payterm.Simulated{TerminalID: "sim-01", Auto: payterm.ActApprove}
	c := h.client()
	if _, err := c.CreatePaymentOrder(ctx, "order-card-"+testRef, testRef, backoffice.PaymentOrderRequest{Service: kiosk.ServicePassport, Amount: passportFee, Method: backoffice.MethodCard}); err != nil {
		t.Fatal(err)
	}
	if r, err := term.Sale(ctx, testRef, passportFee); err != nil || r.Status != payterm.Approved {
		t.Fatal(r, err)
	}
	// Another terminal sale that never happened: settling cancels it.
	if _, err := c.CreatePaymentOrder(ctx, "order-card-"+testRef2, testRef2, backoffice.PaymentOrderRequest{Service: kiosk.ServicePassport, Amount: passportFee, Method: backoffice.MethodCard}); err != nil {
		t.Fatal(err)
	}
	p := backoffice.NewPayments(c, backoffice.PaymentsOptions{QR: true, Terminal: term, Retry: 10 * time.Millisecond})
	defer p.Close()
	if o, err := p.Cancel(ctx, testRef); err != nil || o.Status != kiosk.PayPaid || o.ProviderRef == "" {
		t.Fatalf("settling the charged order = %+v, %v; want paid", o, err)
	}
	if o, err := p.Cancel(ctx, testRef2); err != nil || o.Status != kiosk.PayCancelled {
		t.Fatalf("settling the uncharged order = %+v, %v; want cancelled", o, err)
	}
	if _, err := p.Cancel(ctx, testRef3); !errors.Is(err, kiosk.ErrNoPayment) {
		t.Fatalf("settling a reference with no order: %v; want ErrNoPayment", err)
	}
	if bo, err := c.PaymentOrder(ctx, testRef); err != nil || bo.Status != backoffice.OrderPaid {
		t.Fatalf("back office = %+v, %v", bo, err)
	}
}

// TestPaymentsUnavailable: a back office that does not answer is "payment not
// available" to the kiosk, never a decline.
func TestPaymentsUnavailable(t *testing.T) {
	h := newHarness(t)
	h.setFault(func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", backoffice.ProblemContentType)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"type":"about:blank","title":"Service Unavailable","status":503,"code":"unavailable"}`))
	})
	p := backoffice.NewPayments(h.client(), backoffice.PaymentsOptions{QR: true})
	defer p.Close()
	if m := p.Methods(); len(m) != 1 || m[0] != kiosk.PaymentQR {
		t.Fatalf("methods without a terminal: %v", m)
	}
	if _, err := p.Start(context.Background(), testRef, kiosk.ServicePassport, passportFee, kiosk.PaymentQR); !errors.Is(err, kiosk.ErrPaymentUnavailable) {
		t.Fatalf("Start with the back office down: %v", err)
	}
	if _, err := p.Start(context.Background(), testRef, kiosk.ServicePassport, passportFee, kiosk.PaymentCard); !errors.Is(err, kiosk.ErrPaymentUnavailable) {
		t.Fatalf("card without a terminal: %v", err)
	}
}

// TestSubmitOutboxHead: an application as the outbox delivers it (with the audit
// head it was queued with, "seq:mac") reaches the back office within the contract,
// and the back office keeps that head as the kiosk's anchor.
func TestSubmitOutboxHead(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	ctx := context.Background()
	msg := app(h, testRef, kiosk.ServiceOneAccount, cardMinor, 0)
	msg.AuditHead = "41:" + strings.Repeat("c3", 32)
	if _, err := c.Submit(ctx, testRef, msg); err != nil {
		t.Fatalf("submission with the outbox's head: %v", err)
	}
	var seq int64
	var mac string
	if err := h.office.DB.QueryRow(`SELECT seq, mac FROM audit_anchors WHERE reference = ?`, testRef).Scan(&seq, &mac); err != nil || seq != 41 || mac != strings.Repeat("c3", 32) {
		t.Fatalf("anchor kept = %d %s, %v", seq, mac, err)
	}
	msg.Reference, msg.AuditHead = testRef2, "41:not-hex"
	if _, err := c.Submit(ctx, testRef2, msg); !errors.Is(err, backoffice.ErrConfig) {
		t.Fatalf("a malformed head: %v", err)
	}
}

// TestPaymentsCaptureWhileBackOfficeDown: the card is charged while the back office
// does not answer; the background tries give up, and the session's next look at the
// order (Status, or Cancel when it leaves) reports the approval once the back office
// is back: paid, never cancelled.
func TestPaymentsCaptureWhileBackOfficeDown(t *testing.T) {
	for _, leave := range []bool{false, true} {
		t.Run(map[bool]string{false: "status", true: "cancel"}[leave], func(t *testing.T) {
			h := newHarness(t)
			term := payterm.NewSimulated("sim-01", time.Minute)
			p := backoffice.NewPayments(h.client(), backoffice.PaymentsOptions{Terminal: term, Retry: 10 * time.Millisecond, Tries: 3})
			defer p.Close()
			ctx := context.Background()
			if _, err := p.Start(ctx, testRef, kiosk.ServicePassport, passportFee, kiosk.PaymentCard); err != nil {
				t.Fatal(err)
			}
			down := func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
				w.Header().Set("Content-Type", backoffice.ProblemContentType)
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"type":"about:blank","title":"Service Unavailable","status":503,"code":"unavailable"}`))
			}
			h.setFault(down)
			act(t, term, payterm.ActApprove)
			// While it is down the order is not final for the kiosk.
			deadline := time.Now().Add(5 * time.Second)
			for {
				o, err := p.Status(ctx, testRef)
				if err != nil && errors.Is(err, kiosk.ErrPaymentUnavailable) {
					break // the background tries are over; Status asks the back office itself
				}
				if err == nil && o.Status.Final() {
					t.Fatalf("order %s while the back office is down", o.Status)
				}
				if time.Now().After(deadline) {
					t.Fatalf("status = %+v, %v", o, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			h.setFault(nil)
			var o kiosk.PaymentOrder
			var err error
			if leave {
				o, err = p.Cancel(ctx, testRef)
			} else {
				o, err = p.Status(ctx, testRef)
			}
			if err != nil || o.Status != kiosk.PayPaid || o.ProviderRef == "" {
				t.Fatalf("after the back office returned: %+v, %v; want paid", o, err)
			}
			if bo, err := h.client().PaymentOrder(ctx, testRef); err != nil || bo.Status != backoffice.OrderPaid {
				t.Fatalf("back office = %+v, %v", bo, err)
			}
		})
	}
}
