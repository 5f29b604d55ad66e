package app

import (
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
	"github.com/macau-dsi/kiosk/sealbox"
)

// TestOneAccountOnTheScreens opens a One Account through the screens, as a resident
// would: the number and the code on our keypad, the e-mail on our keyboard, every
// page of the terms, the password twice, then the binding QR scanned by the (fake)
// One Account app.
func TestOneAccountOnTheScreens(t *testing.T) {
	r := newRun(t, nil)
	r.toMenu()
	r.tap("One Account and eID")
	r.until(kiosk.StateOAPhone)
	r.tapKeys(strings.Split("62223333", "")...)
	r.sees("62223333")
	r.tap("Send the code")
	r.until(kiosk.StateOACode)
	r.sees("We sent a code by SMS to 62223333.")
	r.sees("New code in 60 s")
	if b := findButton(r.w.Canvas().Content(), "New code in 60 s"); b == nil || !b.Disabled() {
		t.Fatal("resend is not held back during the cooldown")
	}
	_, code := r.h.OneAccounts.LastCode()
	r.tapKeys(strings.Split(code, "")...)
	if strings.Contains(r.markup(), code) {
		t.Fatal("the SMS code is on the screen")
	}
	r.tap("Check the code")
	r.until(kiosk.StateOAEmail)
	r.tapKeys("c", "h", "a", "n", "@", "m", "a", "i", "l", ".", "g", "o", "v", ".", "m", "o")
	r.sees("chan@mail.gov.mo")
	r.tap("Continue")
	r.until(kiosk.StateOATerms)
	r.sees("Page 1 of 6")
	if findButton(r.w.Canvas().Content(), "I have read and accept the terms") != nil {
		t.Fatal("accept offered before the last page")
	}
	for i := 1; i < kiosk.OneAccountTermsPages; i++ {
		r.tap("Next page")
	}
	r.sees("Page 6 of 6")
	r.tap("I have read and accept the terms")
	r.tap("Continue")
	r.until(kiosk.StateOAPassword)
	r.sees("60 minutes")
	// The keypad moves on to the confirmation once the password is complete.
	r.tapKeys("2", "5", "8", "0", "2", "5", "8", "0")
	r.tap("Open my account")
	r.h.Wait("binding QR", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateOABind && s.OneAccount.QR != "" })
	s := r.sync()
	if !strings.Contains(r.markup(), "<image") {
		t.Fatal("no QR code on the binding screen")
	}
	a := r.h.OneAccounts.Account(r.h.Subject("1234567(8)"))
	if a == nil || a.Email != "chan@mail.gov.mo" || a.Phone != "62223333" {
		t.Fatalf("account %+v", a)
	}
	if pw, err := sealbox.Open(r.h.SealKey, a.SealedPassword, a.ChallengeID); err != nil || string(pw) != "2580" {
		t.Fatalf("sealed password %q, %v", pw, err)
	}
	if err := r.h.OneAccounts.Scan(s.OneAccount.QR); err != nil {
		t.Fatal(err)
	}
	r.until(kiosk.StateOADone)
	r.sees("Your One Account is open and your eID is bound to your phone.")
	r.tap("Finish")
	r.until(kiosk.StateTakeCard)
	r.h.Card.Remove()
	r.leavesNoTrace("62223333", "chan@mail.gov.mo")
}

// TestDemoOneAccountButtons: the DEMO banner's phone reads the SMS while the code is
// asked for, and scans the QR on screen while the binding waits.
func TestDemoOneAccountButtons(t *testing.T) {
	phone := &fakePhone{code: "482913"}
	for _, c := range []struct {
		state  kiosk.State
		button string
		check  func(t *testing.T, r *kioskRun)
	}{
		{kiosk.StateOACode, "Phone: read the SMS", func(t *testing.T, r *kioskRun) {
			if !strings.Contains(r.markup(), "SMS code 482913") {
				t.Fatal("the SMS code is not on the banner")
			}
		}},
		{kiosk.StateOABind, "App: scan the QR", func(t *testing.T, r *kioskRun) {
			if phone.scanned != kiosktest.SampleBindingQR {
				t.Fatalf("scanned %q", phone.scanned)
			}
		}},
		{kiosk.StateOAEmail, "", nil},
	} {
		t.Run(string(c.state), func(t *testing.T) {
			s := kiosktest.Samples(kiosk.LangEN)[c.state]
			s.Demo = true
			flow := kiosktest.NewFlow(s)
			u, w := newTestUI(t, flow)
			u.demo = phone
			u.Render(s)
			r := &kioskRun{t: t, u: u, w: w}
			b := findButton(w.Canvas().Content(), c.button)
			if c.button == "" {
				for _, other := range []string{"Phone: read the SMS", "App: scan the QR"} {
					if findButton(w.Canvas().Content(), other) != nil {
						t.Fatalf("%q shown on %s", other, c.state)
					}
				}
				return
			}
			if b == nil {
				t.Fatalf("no %q on the banner", c.button)
			}
			b.OnTapped()
			u.Render(flow.Snapshot())
			c.check(t, r)
		})
	}
}

// fakePhone is a tester's phone on the DEMO banner.
type fakePhone struct {
	code    string
	scanned string
}

func (p *fakePhone) InsertCard()              {}
func (p *fakePhone) RemoveCard()              {}
func (p *fakePhone) LastSMS() (string, error) { return p.code, nil }
func (p *fakePhone) AppScan(qr string)        { p.scanned = qr }
