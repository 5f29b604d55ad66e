package main

// Every service end to end through the real stack, as `kiosk run --demo` wires it:
// the emulator's card behind the real pcscd + vpcd (one card profile per service, as
// its rules need), the recorded camera through the real face pipeline, the reference
// back office (cmd/kiosk-backoffice) over mutual TLS on loopback, the simulated
// wallet, and a real CUPS scheduler with a cups-pdf queue (printer/cupstest) for the
// receipt. One pcscd, one back office and one cupsd serve the whole table.

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/printer"
	"github.com/macau-dsi/kiosk/printer/cupstest"
)

// e2eQueue is the cups-pdf queue the kiosk prints its receipts on in these tests.
const e2eQueue = "receipt"

func TestServicesEndToEnd(t *testing.T) {
	start := time.Now()
	cups := cupstest.Start(t) // before the kiosk: lp finds the private scheduler through CUPS_SERVER
	printed := cups.AddPDFQueue(e2eQueue)
	s := startDemoSessionWith(t, false, func(c *config.Config) {
		c.Printer.Queue, c.Printer.Folder = e2eQueue, ""
		c.Printer.Timeout = time.Minute // a loaded 2-core machine; the job itself takes well under a second
	}, nil)
	s.waitState(kiosk.StateAttract, waitScreen)
	t.Logf("cupsd, pcscd + vpcd, the back office and the kiosk up in %v", time.Since(start).Round(time.Millisecond))

	wd, _ := os.Getwd()
	root, ok := moduleRoot(wd)
	if !ok {
		t.Fatalf("no module root above %s", wd)
	}
	profile := func(name string) string { return filepath.Join(root, "cardio", "emulator", "profiles", name) }
	fees := kiosk.DefaultFees
	outer := t

	for _, tc := range []struct {
		service kiosk.ServiceID
		profile string
		// The services this card must not be offered, with the menu's reason: the
		// card proves the rules decide, not a menu that offers everything.
		refused map[kiosk.ServiceID]kiosk.MsgKey
	}{
		{kiosk.ServiceIDRenewal, "renewal.yaml", map[kiosk.ServiceID]kiosk.MsgKey{
			kiosk.ServicePassport: kiosk.ReasonPassportNotDue, kiosk.ServiceTravelPermit: kiosk.ReasonTravelPermitPermanent}},
		{kiosk.ServicePassport, "demo.yaml", map[kiosk.ServiceID]kiosk.MsgKey{
			kiosk.ServiceIDRenewal: kiosk.ReasonRenewalNotDue, kiosk.ServiceTravelPermit: kiosk.ReasonTravelPermitPermanent}},
		{kiosk.ServiceTravelPermit, "travel-permit.yaml", map[kiosk.ServiceID]kiosk.MsgKey{
			kiosk.ServiceIDRenewal: kiosk.ReasonRenewalNotPermanent, kiosk.ServicePassport: kiosk.ReasonPassportNotPermanent}},
		// One Account makes no application: its own row below.
	} {
		t.Run(string(tc.service), func(t *testing.T) {
			rowStart := time.Now()
			s.tb = t // the session's waits fail this row
			defer func() { s.tb = outer }()
			appsBefore, ordersBefore := backOfficeCounts(t, s.devs.backOffice)

			menu, _, _ := s.insertToMenu(func() {
				if err := s.card.env.Replace(profile(tc.profile)); err != nil {
					t.Fatalf("putting in the %s card: %v", tc.profile, err)
				}
			})
			views := map[kiosk.ServiceID]kiosk.ServiceView{}
			for _, v := range menu.Services {
				views[v.ID] = v
			}
			if v := views[tc.service]; !v.Eligible || v.Fee != fees[tc.service] {
				t.Fatalf("%s card: %s offered %t at %d avos (reason %q), want offered at %d", tc.profile, tc.service, v.Eligible, v.Fee, v.Reason, fees[tc.service])
			}
			for id, why := range tc.refused {
				if v := views[id]; v.Eligible || v.Reason != why {
					t.Errorf("%s card: %s offered %t, reason %q; want refused with %q", tc.profile, id, v.Eligible, v.Reason, why)
				}
			}

			confirmed := time.Now()
			done := s.apply(tc.service)
			toReceipt := time.Since(confirmed)
			ref, r := done.Reference, done.Receipt
			paid := fees[tc.service] > 0
			switch {
			case r == nil:
				t.Fatal("the done screen has no receipt")
			case r.Reference != ref || r.Service != tc.service:
				t.Errorf("receipt %+v for %s, want %s", r, ref, tc.service)
			case paid && (!r.Paid || r.Method != kiosk.PaymentQR || r.PaymentRef == "" || r.Fee != fees[tc.service]):
				t.Errorf("receipt %+v: want paid by wallet, %d avos", r, fees[tc.service])
			case !paid && (r.Paid || r.Method != ""):
				t.Errorf("receipt %+v of a fee-free service says it was paid", r)
			}
			if done.Notice == kiosk.MsgPrinterUnavailable {
				t.Errorf("the kiosk says the receipt could not be printed; cupsd's log:\n%s", cups.Log())
			}
			// The print job came out of the real scheduler: the adapter returns once
			// CUPS has finished it, before the done screen shows.
			pdf := cups.WaitPDF(printed, 10*time.Second)
			b, err := os.ReadFile(pdf)
			if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Fatalf("cups-pdf output %s: %d bytes, %v; want a PDF", pdf, len(b), err)
			}
			if err := os.Remove(pdf); err != nil { // the next row waits for its own
				t.Fatal(err)
			}
			checkPrinted(t, b, *r)

			// The outbox delivers it; the back office then holds exactly this one
			// application, and one paid order for a paid service (none for a free one).
			ctx := context.Background()
			if _, err := (&kiosk.Deliverer{Queue: s.db, BackOffice: s.devs.deps.BackOffice}).DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			apps, orders := backOfficeCounts(t, s.devs.backOffice)
			wantPaid := ordersBefore["paid"]
			if paid {
				wantPaid++
			}
			if apps != appsBefore+1 || orders["paid"] != wantPaid || len(orders) > 1 {
				t.Errorf("the back office went from %d applications and orders %v to %d and %v; want one more application and %d paid orders, nothing else",
					appsBefore, ordersBefore, apps, orders, wantPaid)
			}
			c, err := s.devs.backOffice.client()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// The back office's earliest collection date, on the done screen and on the
			// receipt the printer got (the same Receipt): for a document, the date the
			// back office holds (One Account makes no application).
			a, err := c.Application(ctx, ref)
			if err != nil || a.Reference != ref || a.Status != "received" {
				t.Errorf("the back office's application %s: %+v, %v", ref, a, err)
			}
			if got := r.CollectFrom; got.IsZero() || got.String() != a.CollectFrom {
				t.Errorf("receipt's collection date %v, the back office's %q", got, a.CollectFrom)
			}
			o, err := c.PaymentOrder(ctx, ref)
			switch {
			case paid && (err != nil || o.Status != "paid" || o.Amount != fees[tc.service] || o.Service != tc.service):
				t.Errorf("order of %s: %+v, %v; want paid, %d avos", ref, o, err, fees[tc.service])
			case !paid && err == nil:
				t.Errorf("a fee-free application has an order: %+v", o)
			}
			stored, err := s.db.Application(ctx, ref)
			if err != nil || stored.Service != string(tc.service) || stored.Subject != s.devs.deps.Subjects.Hash(s.card.env.Profile.DocumentNumber) {
				t.Errorf("the kiosk's application %s: service %q, %v", ref, stored.Service, err)
			}

			s.pull()
			t.Logf("%s: card in to card out %v, confirm to receipt printed %v", tc.service,
				time.Since(rowStart).Round(time.Millisecond), toReceipt.Round(time.Millisecond))
		})
	}

	// One Account makes no application and takes no fee: the demo card's resident
	// (no account yet at the back office) opens one and binds the eID on the same
	// real stack, the SMS code and the app's scan through the DEMO banner's hands.
	t.Run(string(kiosk.ServiceOneAccount), func(t *testing.T) {
		s.tb = t
		defer func() { s.tb = outer }()
		appsBefore, ordersBefore := backOfficeCounts(t, s.devs.backOffice)
		menu, _, _ := s.insertToMenu(func() {
			if err := s.card.env.Replace(profile("demo.yaml")); err != nil {
				t.Fatalf("putting in the demo card: %v", err)
			}
		})
		if !eligibleOn(menu, kiosk.ServiceOneAccount) {
			t.Fatalf("One Account not offered to the demo card: %+v", menu.Services)
		}
		wait := func(what string, ok func(kiosk.Snapshot) bool) kiosk.Snapshot { return s.wait(what, waitDevice, ok) }
		const phone, email, password = "63334444", "demo@example.mo", "1357"
		openOneAccount(t, s.m.Post, wait, &demoHands{bo: s.devs.backOffice}, phone, email, password)
		checkOneAccountHeld(t, s.devs.backOffice, phone, email, password)
		if apps, orders := backOfficeCounts(t, s.devs.backOffice); apps != appsBefore || len(orders) != len(ordersBefore) || orders["paid"] != ordersBefore["paid"] {
			t.Errorf("One Account changed the back office's applications %d→%d or orders %v→%v", appsBefore, apps, ordersBefore, orders)
		}
		s.pull()
	})
	t.Logf("whole table %v", time.Since(start).Round(time.Millisecond))
}

// checkPrinted reads the page that came out of cups-pdf as a scanner and an eye would:
// its QR code opens the receipt's verification URL and its barcode is the reference,
// and its ink is the receipt the done screen shows (collection date included), not
// the same receipt without the date.
func checkPrinted(t *testing.T, pdf []byte, r kiosk.Receipt) {
	t.Helper()
	words, err := i18n.NewTranslator(assets.Translations())
	if err != nil {
		t.Fatal(err)
	}
	render := func(r kiosk.Receipt) image.Image {
		b, err := (printer.Renderer{Words: words}).Render(r)
		if err != nil {
			t.Fatal(err)
		}
		return cupstest.Rasterise(t, b, 300)
	}
	page := cupstest.Rasterise(t, pdf, 300)
	if qr, bars := cupstest.Decode(t, page); qr != r.VerifyURL || bars != r.Reference {
		t.Errorf("the printed codes read %q and %q, want %q and %q", qr, bars, r.VerifyURL, r.Reference)
	}
	same := cupstest.InkDiff(page, render(r))
	if same > 0.01 {
		t.Errorf("the printed page differs from the receipt in %.2f%% of its ink, want < 1%%", 100*same)
	}
	if r.CollectFrom.IsZero() {
		return
	}
	undated := r
	undated.CollectFrom = kiosk.Date{}
	differ := cupstest.InkDiff(page, render(undated))
	t.Logf("printed page's ink differs from the receipt's in %.2f%%, from the same receipt without the date in %.2f%%", 100*same, 100*differ)
	if differ < 2*same || differ < 0.005 {
		t.Errorf("the printed page is as close to the receipt without its collection date (%.2f%%) as to the receipt (%.2f%%)", 100*differ, 100*same)
	}
}
