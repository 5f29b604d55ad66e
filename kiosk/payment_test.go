package kiosk_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// toPayment drives a started harness to the payment screen of an ID card renewal.
func toPayment(t *testing.T, h *kiosktest.Harness) kiosk.Snapshot {
	t.Helper()
	h.ToMenu()
	h.Choose(kiosk.ServiceIDRenewal)
	h.Fill(kiosk.FieldCollectionOffice, "office_central", kiosk.FieldPhoneNumber, "66123456")
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateSummary)
	h.Press(kiosk.EvConfirm)
	return h.WaitState(kiosk.StatePayment)
}

func choose(h *kiosktest.Harness, m kiosk.PaymentMethod) kiosk.Snapshot {
	h.Post(kiosk.Event{Kind: kiosk.EvChoosePayment, Value: string(m)})
	return h.Wait("order pending", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StatePayment && s.Payment != nil && s.Payment.Status == kiosk.PayPending
	})
}

// counts returns how the held applications ended and the orders by status.
func counts(h *kiosktest.Harness) (held map[string]int, orders map[kiosk.PaymentStatus]int) {
	held, orders = map[string]int{}, map[kiosk.PaymentStatus]int{}
	for _, a := range h.Store.Held() {
		held[a.State]++
	}
	for _, o := range h.Payments.Orders() {
		orders[o.Status]++
	}
	return held, orders
}

func TestPaymentScreen(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	s := toPayment(t, h)
	if s.Payment == nil || s.Payment.Amount != kiosk.DefaultFees[kiosk.ServiceIDRenewal] ||
		!slices.Equal(s.Payment.Methods, []kiosk.PaymentMethod{kiosk.PaymentQR, kiosk.PaymentCard}) || s.Payment.Method != "" {
		t.Fatalf("payment screen %+v", s.Payment)
	}
	// Nothing is saved before the resident chooses how to pay.
	if len(h.Store.Held()) != 0 || len(h.Payments.Orders()) != 0 {
		t.Fatal("an application was held before a way to pay was chosen")
	}
	s = choose(h, kiosk.PaymentQR)
	if s.Payment.Method != kiosk.PaymentQR || !strings.HasPrefix(s.Payment.QR, "govpay://") {
		t.Errorf("QR not shown: %+v", s.Payment)
	}
	// Tapping again while an order is open does not open a second one.
	h.Post(kiosk.Event{Kind: kiosk.EvChoosePayment, Value: string(kiosk.PaymentCard)})
	h.Sync()
	if n := len(h.Payments.Orders()); n != 1 {
		t.Errorf("%d orders", n)
	}
	// A pending order keeps the screen alive: the wallet takes time.
	h.Tick(50 * time.Second)
	h.Payments.Approve(h.Payments.Pending())
	done := h.WaitState(kiosk.StateDone)
	if done.Receipt == nil || !done.Receipt.Paid || done.Receipt.Method != kiosk.PaymentQR {
		t.Errorf("receipt %+v", done.Receipt)
	}
}

func TestPaymentOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name string
		// act decides the first order: the resident's wallet or card, or the resident.
		act        func(h *kiosktest.Harness, ref string)
		notice     kiosk.MsgKey
		backToSumm bool
	}{
		{"declined", func(h *kiosktest.Harness, ref string) { h.Payments.Decline(ref) }, kiosk.MsgPaymentDeclined, false},
		{"expired", func(h *kiosktest.Harness, ref string) { h.Payments.Expire(ref) }, kiosk.MsgPaymentExpired, false},
		{"cancelled by the resident", func(h *kiosktest.Harness, ref string) { h.Press(kiosk.EvCancelPayment) }, "", true},
		{"back while paying cancels", func(h *kiosktest.Harness, ref string) { h.Press(kiosk.EvBack) }, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := kiosktest.NewHarness(t).Start()
			toPayment(t, h)
			choose(h, kiosk.PaymentQR)
			first := h.Payments.Pending()
			tc.act(h, first)
			if tc.backToSumm {
				h.WaitState(kiosk.StateSummary)
				h.Press(kiosk.EvConfirm)
				h.WaitState(kiosk.StatePayment)
			} else {
				s := h.Wait("notice", func(s kiosk.Snapshot) bool { return s.Notice == tc.notice })
				if s.State != kiosk.StatePayment || s.Payment.Method != "" {
					t.Fatalf("after %s: %+v", tc.name, s)
				}
			}
			// A second try by card: a new reference, since the first order is final.
			choose(h, kiosk.PaymentCard)
			second := h.Payments.Pending()
			if second == first || second == "" {
				t.Fatalf("second try reuses reference %q", first)
			}
			h.Payments.Approve(second)
			h.WaitState(kiosk.StateDone)
			held, orders := counts(h)
			if held["dropped"] != 1 || held["released"] != 1 || held["held"] != 0 {
				t.Errorf("held applications %v", held)
			}
			if orders[kiosk.PayPaid] != 1 {
				t.Errorf("orders %v", orders)
			}
			apps := h.Store.Applications()
			if len(apps) != 1 || apps[0].Reference != second || len(h.Store.Outbox()) != 1 {
				t.Errorf("queued %+v, want only %s", apps, second)
			}
		})
	}
}

// The wallet pays just as the resident presses cancel: the money is taken, so the
// application goes through.
func TestCancelRacingPayment(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	toPayment(t, h)
	choose(h, kiosk.PaymentQR)
	h.Payments.PollGate().Hold() // the kiosk has not seen the payment yet
	h.Payments.Approve(h.Payments.Pending())
	h.Press(kiosk.EvCancelPayment)
	h.Payments.PollGate().Release()
	h.WaitState(kiosk.StateDone)
	if n := len(h.Store.Applications()); n != 1 {
		t.Fatalf("%d applications", n)
	}
}

// Leaving the payment screen any way settles the held application: the order is
// cancelled and the application dropped, unless the order was paid, which sends it.
func TestLeavingPaymentSettles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		paid    bool
		leave   func(h *kiosktest.Harness)
		release bool
	}{
		{"card pulled while pending", false, func(h *kiosktest.Harness) { h.Card.Remove() }, false},
		{"end while pending", false, func(h *kiosktest.Harness) { h.Press(kiosk.EvCancel) }, false},
		{"timeout while pending", false, func(h *kiosktest.Harness) {
			h.Payments.PollGate().Hold()
			h.Tick(61 * time.Second)
			h.Tick(21 * time.Second)
		}, false},
		{"card pulled right after paying", true, func(h *kiosktest.Harness) { h.Card.Remove() }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := kiosktest.NewHarness(t).Start()
			toPayment(t, h)
			choose(h, kiosk.PaymentQR)
			ref := h.Payments.Pending()
			if tc.paid {
				h.Payments.PollGate().Hold() // paid, but the kiosk has not noticed
				h.Payments.Approve(ref)
			}
			tc.leave(h)
			h.Wait("left", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateAttract || s.State == kiosk.StateTakeCard })
			h.Payments.PollGate().Release()
			h.Stop() // waits for the settling
			held, orders := counts(h)
			if tc.release {
				if held["released"] != 1 || orders[kiosk.PayPaid] != 1 || len(h.Store.Applications()) != 1 {
					t.Errorf("paid application not sent: held %v orders %v", held, orders)
				}
				var detail string
				for _, e := range h.Store.Events() {
					if e.Action == "application.submit" {
						detail = e.Detail
					}
				}
				if !strings.Contains(detail, "receipt=not_shown") {
					t.Errorf("submission audit %q", detail)
				}
			} else if held["dropped"] != 1 || orders[kiosk.PayCancelled] != 1 || len(h.Store.Applications()) != 0 {
				t.Errorf("unpaid application not dropped: held %v orders %v", held, orders)
			}
		})
	}
}

func TestPaidButNotSavedIsRefunded(t *testing.T) {
	for _, tc := range []struct {
		name      string
		refundErr error
		reason    kiosk.MsgKey
		order     kiosk.PaymentStatus
		held      string
	}{
		{"refunded", nil, kiosk.ReasonPaidRefunded, kiosk.PayRefunded, "held"},
		{"refund cannot be asked", kiosk.ErrPaymentUnavailable, kiosk.ReasonPaidRefundPending, kiosk.PayPaid, "held"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := kiosktest.NewHarness(t)
			h.Store.ReleaseErr = errors.New("disk full")
			h.Payments.RefundErr = tc.refundErr
			h.Start()
			toPayment(t, h)
			h.Pay(kiosk.PaymentCard)
			s := h.WaitState(kiosk.StateCounter)
			if s.Message != tc.reason {
				t.Errorf("message %q, want %q", s.Message, tc.reason)
			}
			for ref, o := range h.Payments.Orders() {
				if o.Status != tc.order {
					t.Errorf("order %s %s, want %s", ref, o.Status, tc.order)
				}
			}
			if len(h.Store.Applications()) != 0 {
				t.Error("an application was queued")
			}
		})
	}
}

// A terminal that approved and then lost the line: the kiosk asks the order and goes on.
func TestPaymentAnswerLostAfterApproval(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.Payments.FailAfterApprove = true
	h.Start()
	toPayment(t, h)
	h.Post(kiosk.Event{Kind: kiosk.EvChoosePayment, Value: string(kiosk.PaymentCard)})
	h.WaitState(kiosk.StateDone)
	if n := len(h.Store.Applications()); n != 1 {
		t.Fatalf("%d applications", n)
	}
}

func TestPaymentUnavailable(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.Payments.StartErr = kiosk.ErrPaymentUnavailable
	h.Payments.StatusErr = kiosk.ErrPaymentUnavailable
	h.Start()
	toPayment(t, h)
	h.Post(kiosk.Event{Kind: kiosk.EvChoosePayment, Value: string(kiosk.PaymentQR)})
	s := h.Wait("notice", func(s kiosk.Snapshot) bool { return s.Notice == kiosk.MsgPaymentUnavailable })
	if s.State != kiosk.StatePayment || s.Payment.Method != "" || s.Busy {
		t.Fatalf("payment unavailable: %+v", s)
	}
	// No way to take money at all: paid services are greyed out with the reason.
	h2 := kiosktest.NewHarness(t)
	h2.Payments.SetMethods()
	h2.Start()
	menu := h2.ToMenu()
	for _, v := range menu.Services {
		if v.Fee > 0 && v.Eligible || v.ID == kiosk.ServiceIDRenewal && v.Reason != kiosk.ReasonPaymentUnavailable {
			t.Errorf("%s offered without a way to pay: %+v", v.ID, v)
		}
		if v.ID == kiosk.ServiceOneAccount && !v.Eligible {
			t.Errorf("a free service is greyed: %+v", v)
		}
	}
}

// SettleHeld is what the kiosk runs after a crash: every held application is decided by
// its order, and only the old ones (a live session may be paying for a new one).
func TestSettleHeld(t *testing.T) {
	ctx := context.Background()
	st := kiosktest.NewStore()
	pay := kiosktest.NewPayments()
	clock := kiosktest.NewClock(kiosktest.Start)
	hold := func(ref string, at time.Time) {
		if err := st.HoldApplication(ctx, kiosk.Application{Reference: ref, Service: "passport", Subject: "s", Fee: 300_00, CreatedAt: at}, kiosk.AuditEvent{Action: "application.hold"}); err != nil {
			t.Fatal(err)
		}
	}
	old := kiosktest.Start.Add(-time.Hour)
	for _, ref := range []string{"PAID", "PENDING", "DECLINED", "NOORDER", "RECENT"} {
		hold(ref, old)
		if ref != "NOORDER" {
			pay.Start(ctx, ref, kiosk.ServicePassport, 300_00, kiosk.PaymentQR)
		}
	}
	hold("RECENT2", kiosktest.Start)
	pay.Approve("PAID")
	pay.Decline("DECLINED")
	pay.Start(ctx, "RECENT2", kiosk.ServicePassport, 300_00, kiosk.PaymentQR)
	n, err := kiosk.SettleHeld(ctx, st, pay, clock, kiosktest.Start.Add(-time.Minute))
	if err != nil || n != 5 {
		t.Fatalf("settled %d, %v", n, err)
	}
	want := map[string]string{"PAID": "released", "PENDING": "dropped", "DECLINED": "dropped", "NOORDER": "dropped", "RECENT": "dropped", "RECENT2": "held"}
	for ref, h := range st.Held() {
		if h.State != want[ref] {
			t.Errorf("%s %s, want %s", ref, h.State, want[ref])
		}
	}
	if pay.Orders()["PENDING"].Status != kiosk.PayCancelled {
		t.Error("a pending order left open after a crash")
	}
	// Payment side down: nothing is decided, everything stays held for the next try.
	hold("LATER", old)
	pay.CancelErr = kiosk.ErrPaymentUnavailable
	if n, err := kiosk.SettleHeld(ctx, st, pay, clock, kiosktest.Start); n != 0 || err == nil {
		t.Errorf("settled %d with the payment side down, err %v", n, err)
	}
	if st.Held()["LATER"].State != "held" {
		t.Error("an application was decided without its order")
	}
}
