package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// fakeHands records the DEMO banner's presses.
type fakeHands struct{ pressed []string }

func (f *fakeHands) InsertCard()            { f.pressed = append(f.pressed, "insert") }
func (f *fakeHands) RemoveCard()            { f.pressed = append(f.pressed, "remove") }
func (f *fakeHands) WalletApprove()         { f.pressed = append(f.pressed, "wallet approve") }
func (f *fakeHands) WalletDecline()         { f.pressed = append(f.pressed, "wallet decline") }
func (f *fakeHands) WalletExpire()          { f.pressed = append(f.pressed, "wallet expire") }
func (f *fakeHands) CardApprove()           { f.pressed = append(f.pressed, "card approve") }
func (f *fakeHands) CardDecline()           { f.pressed = append(f.pressed, "card decline") }
func (f *fakeHands) CardFailAfterApproval() { f.pressed = append(f.pressed, "card fail") }

// cardOnly has the card buttons but not the payment ones.
type cardOnly struct{}

func (cardOnly) InsertCard() {}
func (cardOnly) RemoveCard() {}

func buttons(objs []fyne.CanvasObject) []*widget.Button {
	var out []*widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Button:
			out = append(out, v)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	for _, o := range objs {
		walk(o)
	}
	return out
}

// TestDemoPaymentButtons: the banner shows the wallet's three buttons while a
// wallet order waits, the terminal's three while a card sale waits, none otherwise
// or when the demo has no payment hands; each press reaches its hand.
func TestDemoPaymentButtons(t *testing.T) {
	pay := func(m kiosk.PaymentMethod, st kiosk.PaymentStatus) kiosk.Snapshot {
		return kiosk.Snapshot{State: kiosk.StatePayment, Demo: true, Language: kiosk.LangEN,
			Payment: &kiosk.PaymentView{Amount: 30000, Methods: []kiosk.PaymentMethod{kiosk.PaymentQR, kiosk.PaymentCard}, Method: m, Status: st}}
	}
	for _, tc := range []struct {
		name  string
		demo  DemoControls
		snap  kiosk.Snapshot
		want  []string // labels
		press string   // what the first button does
	}{
		{"wallet waiting", &fakeHands{}, pay(kiosk.PaymentQR, kiosk.PayPending), []string{"Wallet: pay", "Wallet: refuse", "Wallet: let QR expire"}, "wallet approve"},
		{"card waiting", &fakeHands{}, pay(kiosk.PaymentCard, kiosk.PayPending), []string{"Card: approved", "Card: declined", "Card: charged, line lost"}, "card approve"},
		{"choosing", &fakeHands{}, pay("", ""), nil, ""},
		{"paid", &fakeHands{}, pay(kiosk.PaymentQR, kiosk.PayPaid), nil, ""},
		{"another screen", &fakeHands{}, kiosk.Snapshot{State: kiosk.StateSummary, Demo: true, Language: kiosk.LangEN}, nil, ""},
		{"no payment hands", cardOnly{}, pay(kiosk.PaymentQR, kiosk.PayPending), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, w := newTestUI(t, kiosktest.NewFlow(tc.snap))
			u.demo = tc.demo
			bs := buttons(u.demoPaymentButtons(tc.snap))
			if len(bs) != len(tc.want) {
				t.Fatalf("%d buttons, want %v", len(bs), tc.want)
			}
			for i, b := range bs {
				if b.Text != tc.want[i] {
					t.Errorf("button %d says %q, want %q", i, b.Text, tc.want[i])
				}
			}
			if len(bs) > 0 {
				test.Tap(bs[0])
				if h := tc.demo.(*fakeHands); len(h.pressed) != 1 || h.pressed[0] != tc.press {
					t.Errorf("pressed %v, want %s", h.pressed, tc.press)
				}
				u.Render(tc.snap)
				if sz := w.Canvas().Size(); sz.Width > kioskSize.Width {
					t.Errorf("the banner widens the window to %v", sz)
				}
				savePNG(t, w, "demo_banner_"+string(tc.snap.Payment.Method))
			}
		})
	}
}
