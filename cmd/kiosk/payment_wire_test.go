package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/payterm"
	"github.com/macau-dsi/kiosk/printer/cupstest"
)

// demoPayConfig is a demo kiosk's configuration over bo: wallet QR and the simulated
// card terminal, as `kiosk run --demo` configures them.
func demoPayConfig(tb testing.TB, bo *demoBackOffice, keyFile string) config.Config {
	cfg := productionConfig(tb, bo, keyFile, tb.TempDir())
	cfg.Kiosk.Mode = config.ModeDemo
	bo.configure(&cfg)
	cfg.BackOffice.Timeout = 5 * time.Second
	cfg.Payment.TerminalTimeout = 2 * time.Second
	return cfg
}

// toCardPayment applies for the passport and chooses the card: the terminal waits.
func (s *paySession) toCardPayment() {
	s.tb.Helper()
	form := s.chooseService(kiosk.ServicePassport)
	fillForm(s.m.Post, form.Form)
	s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
	s.idle(kiosk.StateSummary)
	s.m.Post(kiosk.Event{Kind: kiosk.EvConfirm})
	s.idle(kiosk.StatePayment)
	s.m.Post(kiosk.Event{Kind: kiosk.EvChoosePayment, Value: string(kiosk.PaymentCard)})
	s.wait("the terminal waiting", func(x kiosk.Snapshot) bool {
		return x.State == kiosk.StatePayment && x.Payment != nil && x.Payment.Method == kiosk.PaymentCard && x.Payment.Status == kiosk.PayPending
	})
}

// TestCardTerminalThroughBackOffice: the session paying at the simulated terminal,
// with the back office told of every card payment. Money taken (even when the
// terminal's answer is lost) ends in a receipt and one paid order; a declined card
// or no card in time takes nothing and leaves the resident on the payment screen.
func TestCardTerminalThroughBackOffice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		act    payterm.Action // "" : no card is tapped
		paid   bool
		notice kiosk.MsgKey
	}{
		{"approved", payterm.ActApprove, true, ""},
		{"charged, then the line drops", payterm.ActFailAfterApproval, true, ""},
		{"declined", payterm.ActDecline, false, kiosk.MsgPaymentDeclined},
		{"no card in time", "", false, kiosk.MsgPaymentExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A back office each: a delivered passport application is pending there,
			// and the passport is then no longer offered to the same resident.
			bo, keyFile := refBackOffice(t)
			paid := 0
			s := startPaySession(t, demoPayConfig(t, bo, keyFile), "12345678", nil)
			defer s.stop()
			s.toMenu()
			s.toCardPayment()
			hands := &demoHands{terminal: s.link.terminal}
			switch tc.act {
			case payterm.ActApprove:
				hands.CardApprove()
			case payterm.ActFailAfterApproval:
				hands.CardFailAfterApproval()
			case payterm.ActDecline:
				hands.CardDecline()
			}
			if tc.paid {
				done := s.wait("the done screen", func(x kiosk.Snapshot) bool { return x.State == kiosk.StateDone && x.Reference != "" })
				if done.Receipt == nil || !done.Receipt.Paid || done.Receipt.Method != kiosk.PaymentCard || done.Receipt.PaymentRef == "" {
					t.Fatalf("receipt %+v: want paid by card with the approval code", done.Receipt)
				}
				paid++
			} else {
				back := s.wait("the payment screen again", func(x kiosk.Snapshot) bool {
					return x.State == kiosk.StatePayment && x.Payment != nil && x.Payment.Method == "" && x.Notice == tc.notice
				})
				if back.Reference != "" {
					t.Fatalf("unpaid, yet a reference: %+v", back)
				}
			}
			if n, err := (&kiosk.Deliverer{Queue: s.db, BackOffice: s.link.bo, OnError: func(err error) { t.Log(err) }}).DeliverDue(context.Background()); err != nil || (n == 1) != tc.paid {
				t.Fatalf("delivered %d, %v", n, err)
			}
			apps, orders := backOfficeCounts(t, bo)
			if apps != paid || orders["paid"] != paid {
				t.Fatalf("back office: %d applications, orders %v; want %d paid", apps, orders, paid)
			}
		})
	}
}

// BenchmarkConfirmToReceipt: from the resident's confirm on the summary to the done
// screen with the receipt, through the reference back office over mutual TLS: the
// application held in SQLite, the order created, paid (card: the simulated terminal
// approves at once and the approval is captured; wallet: the reference back office's
// `pay approve latest` runs as soon as the QR shows, a process start included), the
// application released, the receipt printed: on a fake printer, or (the /cups
// variants) through a real cupsd's cups-pdf queue, the adapter waiting until the job
// is done. Session poll 20 ms.
func BenchmarkConfirmToReceipt(b *testing.B) {
	for _, tc := range []struct {
		method kiosk.PaymentMethod
		cups   bool
	}{{kiosk.PaymentCard, false}, {kiosk.PaymentQR, false}, {kiosk.PaymentCard, true}, {kiosk.PaymentQR, true}} {
		name, method := string(tc.method), tc.method
		if tc.cups {
			name += "/cups"
		}
		b.Run(name, func(b *testing.B) {
			bo, keyFile := refBackOffice(b)
			cfg := demoPayConfig(b, bo, keyFile)
			var pdfs string
			var cups *cupstest.Server
			if tc.cups {
				cups = cupstest.Start(b)
				pdfs = cups.AddPDFQueue("receipt")
				cfg.Printer.Queue, cfg.Printer.Timeout = "receipt", time.Minute
			}
			s := startPaySession(b, cfg, "12345678", nil)
			s.link.terminal.Auto = payterm.ActApprove
			var total time.Duration
			for i := 0; i < b.N; i++ {
				s.toMenu()
				form := s.chooseService(kiosk.ServicePassport)
				fillForm(s.m.Post, form.Form)
				s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
				s.idle(kiosk.StateSummary)
				start := time.Now()
				s.m.Post(kiosk.Event{Kind: kiosk.EvConfirm})
				s.idle(kiosk.StatePayment)
				s.m.Post(kiosk.Event{Kind: kiosk.EvChoosePayment, Value: string(method)})
				if method == kiosk.PaymentQR {
					s.wait("the wallet QR", func(x kiosk.Snapshot) bool {
						return x.State == kiosk.StatePayment && x.Payment != nil && x.Payment.QR != ""
					})
					if _, err := bo.tool(context.Background(), "pay", "approve", "latest"); err != nil {
						b.Fatal(err)
					}
				}
				done := s.wait("the done screen", func(x kiosk.Snapshot) bool { return x.State == kiosk.StateDone && x.Reference != "" })
				total += time.Since(start)
				if done.Notice == kiosk.MsgPrinterUnavailable {
					b.Fatal("the receipt was not printed")
				}
				if cups != nil { // printed before the done screen showed; not timed
					b.StopTimer()
					os.Remove(cups.WaitPDF(pdfs, time.Second))
					b.StartTimer()
				}
				s.card.Remove() // toMenu waits for the attract screen
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "confirm-to-receipt-ms")
		})
	}
}
