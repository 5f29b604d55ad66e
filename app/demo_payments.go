package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/macau-dsi/kiosk/kiosk"
)

// DemoPayments are a tester's hands on the other side of a payment, on the DEMO
// banner when the demo controls also implement them: the resident's wallet app
// (pay, refuse, or let the QR run out of time) and the card at the terminal
// (accepted, refused, or charged and then the line drops). Each returns at once;
// the session learns the outcome as it would from a real wallet or terminal.
type DemoPayments interface {
	WalletApprove()
	WalletDecline()
	WalletExpire()
	CardApprove()
	CardDecline()
	CardFailAfterApproval()
}

// demoPaymentButtons are the banner's payment buttons: shown only while the
// payment screen waits on the method the resident chose.
func (u *UI) demoPaymentButtons(s kiosk.Snapshot) []fyne.CanvasObject {
	dp, ok := u.demo.(DemoPayments)
	if !ok || s.State != kiosk.StatePayment || s.Payment == nil || s.Payment.Status != kiosk.PayPending {
		return nil
	}
	type btn struct {
		key string
		do  func()
	}
	var bs []btn
	switch s.Payment.Method {
	case kiosk.PaymentQR:
		bs = []btn{{"demo.wallet_approve", dp.WalletApprove}, {"demo.wallet_decline", dp.WalletDecline}, {"demo.wallet_expire", dp.WalletExpire}}
	case kiosk.PaymentCard:
		bs = []btn{{"demo.card_approve", dp.CardApprove}, {"demo.card_decline", dp.CardDecline}, {"demo.card_fail_after_approval", dp.CardFailAfterApproval}}
	}
	var out []fyne.CanvasObject
	for _, b := range bs {
		out = append(out, touch(touchButton(u.t(s, b.key), widget.MediumImportance, b.do)))
	}
	return out
}

// withDemoPayments adds the payment buttons to the DEMO banner as a second row, on
// the right under the card buttons (one row is too narrow for both in Portuguese).
func (u *UI) withDemoPayments(s kiosk.Snapshot, banner fyne.CanvasObject) fyne.CanvasObject {
	bs := u.demoPaymentButtons(s)
	if len(bs) == 0 {
		return banner
	}
	row := append([]fyne.CanvasObject{layout.NewSpacer()}, bs...)
	return container.NewVBox(banner, container.NewPadded(container.NewHBox(row...)))
}
