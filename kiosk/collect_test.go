package kiosk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// TestReceiptCarriesCollectionDate: a saved application is delivered at once, and the
// back office's earliest collection date goes on the printed receipt and the done
// screen. When the back office cannot answer, or the kiosk has no way to deliver at
// once, the receipt goes without the date and the application waits in the outbox.
func TestReceiptCarriesCollectionDate(t *testing.T) {
	date := kiosk.Date{Year: 2026, Month: time.May, Day: 28}
	for _, tc := range []struct {
		name      string
		outbox    bool
		submitErr error
		want      kiosk.Date
		delivered bool
	}{
		{"delivered at once", true, nil, date, true},
		{"back office down", true, kiosk.ErrBackOfficeUnavailable, kiosk.Date{}, false},
		{"no outbox to deliver now", false, nil, kiosk.Date{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := kiosktest.NewHarness(t)
			h.BackOffice.Answer = kiosk.SubmitAnswer{CollectFrom: date}
			h.BackOffice.SubmitErr = tc.submitErr
			if tc.outbox {
				h.Outbox = &kiosk.Deliverer{Queue: h.Store, BackOffice: h.BackOffice}
			}
			h.Start()
			toPayment(t, h) // an ID card renewal, collected at office_central
			h.Pay(kiosk.PaymentQR)
			done := h.WaitState(kiosk.StateDone)
			if done.Receipt == nil || done.Receipt.CollectFrom != tc.want || done.Receipt.Office != "office_central" {
				t.Fatalf("done screen's receipt %+v, want collection from %v at office_central", done.Receipt, tc.want)
			}
			printed := h.Printer.Receipts()
			if len(printed) != 1 || printed[0].CollectFrom != tc.want {
				t.Fatalf("printed %+v, want one receipt with %v", printed, tc.want)
			}
			if got := h.BackOffice.Submitted(); (got == 1) != tc.delivered {
				t.Errorf("the back office has %d applications; delivered at once: %t", got, tc.delivered)
			}
			// Not delivered now: still queued for the outbox's rounds.
			queued, err := h.Store.Queued(t.Context(), done.Reference)
			if tc.delivered != errors.Is(err, kiosk.ErrNotQueued) || (!tc.delivered && queued.IdempotencyKey != done.Reference) {
				t.Errorf("outbox after the session: %+v, %v; delivered at once: %t", queued, err, tc.delivered)
			}
		})
	}
}
