package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	kioskapp "github.com/macau-dsi/kiosk/app"
	"github.com/macau-dsi/kiosk/kiosk"
)

var _ kioskapp.DemoOneAccountApp = (*demoHands)(nil)

// TestOneAccountThroughReferenceBackOffice opens a One Account and binds the eID
// through the reference back office over mutual TLS: the SMS code read from its
// simulated gateway and the binding QR scanned by its app side, both through the
// DEMO banner's hands; then the back office holds one account (password set, the
// e-mail) and one bound binding, and the kiosk's audit has both without anything the
// resident typed.
func TestOneAccountThroughReferenceBackOffice(t *testing.T) {
	bo, keyFile := refBackOffice(t)
	cfg := productionConfig(t, bo, keyFile, t.TempDir())
	s := startPaySession(t, cfg, "17654321", nil) // seeded: permanent, no One Account
	hands := &demoHands{bo: bo}
	menu := s.toMenu()
	if !eligibleOn(menu, kiosk.ServiceOneAccount) {
		t.Fatalf("One Account not offered: %+v", menu.Services)
	}
	const phone, email, password = "62223333", "chan.tai.man@example.mo", "2580"
	code := openOneAccount(t, s.m.Post, s.wait, hands, phone, email, password)
	checkOneAccountHeld(t, bo, phone, email, password)
	post := s.m.Post

	// The kiosk's audit: opened and bound, nothing typed.
	rows, err := s.db.AuditRows(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range rows {
		for _, secret := range []string{phone, email, password, code} {
			if strings.Contains(r.Detail, secret) || strings.Contains(r.Subject, secret) {
				t.Errorf("audit row %s %q holds %q", r.Action, r.Detail, secret)
			}
		}
		actions = append(actions, r.Action+" "+r.Detail)
	}
	for _, want := range []string{"oneaccount.open ok password=true", "eid.bind bound"} {
		found := false
		for _, a := range actions {
			found = found || a == want
		}
		if !found {
			t.Errorf("no audit row %q in %q", want, actions)
		}
	}

	// The lookup now says bound: One Account is not offered again.
	post(kiosk.Event{Kind: kiosk.EvAnotherService})
	menu = s.wait("the menu again", func(x kiosk.Snapshot) bool {
		return x.State == kiosk.StateServiceMenu && !x.Busy && len(x.Services) > 0
	})
	for _, v := range menu.Services {
		if v.ID == kiosk.ServiceOneAccount && (v.Eligible || v.Reason != kiosk.ReasonOneAccountBound) {
			t.Errorf("after binding, One Account on the menu: %+v", v)
		}
	}
}

// openOneAccount walks a resident on the service menu through One Account as the
// screens do: the mobile number, one wrong SMS code and then the right one (read from
// the reference back office's gateway through the DEMO banner's phone), an e-mail, the
// terms, a service password, and the binding QR scanned by the app side. It returns
// the SMS code.
func openOneAccount(t *testing.T, post func(kiosk.Event), wait func(string, func(kiosk.Snapshot) bool) kiosk.Snapshot,
	hands *demoHands, phone, email, password string) string {
	t.Helper()
	idle := func(st kiosk.State) kiosk.Snapshot {
		return wait(string(st), func(x kiosk.Snapshot) bool { return x.State == st && !x.Busy })
	}
	post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceOneAccount})
	idle(kiosk.StateOAPhone)
	post(kiosk.Event{Kind: kiosk.EvFormInput, Field: kiosk.FieldPhoneNumber, Value: phone})
	post(kiosk.Event{Kind: kiosk.EvContinue})
	idle(kiosk.StateOACode)

	// A wrong code first: the back office counts it.
	code, err := hands.LastSMS()
	if err != nil || len(code) != 6 {
		t.Fatalf("SMS code %q, %v", code, err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	post(kiosk.Event{Kind: kiosk.EvFormInput, Field: kiosk.FieldOTPCode, Value: wrong})
	post(kiosk.Event{Kind: kiosk.EvContinue})
	w := wait("the wrong code's answer", func(x kiosk.Snapshot) bool {
		return x.State == kiosk.StateOACode && !x.Busy && x.OneAccount != nil && x.OneAccount.CodeError != ""
	})
	if w.OneAccount.CodeError != kiosk.MsgOACodeWrong || w.OneAccount.CodeTriesLeft != 2 {
		t.Fatalf("wrong code: %+v", w.OneAccount)
	}
	post(kiosk.Event{Kind: kiosk.EvFormInput, Field: kiosk.FieldOTPCode, Value: code})
	post(kiosk.Event{Kind: kiosk.EvContinue})
	idle(kiosk.StateOAEmail)
	post(kiosk.Event{Kind: kiosk.EvFormInput, Field: kiosk.FieldEmail, Value: email})
	post(kiosk.Event{Kind: kiosk.EvContinue})
	idle(kiosk.StateOATerms)
	for i := 1; i < kiosk.OneAccountTermsPages; i++ {
		post(kiosk.Event{Kind: kiosk.EvTermsPage, Value: "next"})
	}
	post(kiosk.Event{Kind: kiosk.EvAcceptTerms, Value: "yes"})
	post(kiosk.Event{Kind: kiosk.EvContinue})
	idle(kiosk.StateOAPassword)
	post(kiosk.Event{Kind: kiosk.EvFormInput, Field: kiosk.FieldServicePassword, Value: password})
	post(kiosk.Event{Kind: kiosk.EvFormInput, Field: kiosk.FieldPasswordConfirm, Value: password})
	post(kiosk.Event{Kind: kiosk.EvContinue})
	bind := wait("the binding QR", func(x kiosk.Snapshot) bool {
		return x.State == kiosk.StateOABind && x.OneAccount != nil && x.OneAccount.QR != ""
	})
	if !strings.HasPrefix(bind.OneAccount.QR, "DSI1.B.") || bind.OneAccount.QRExpiresIn <= 0 || !bind.OneAccount.PasswordSet {
		t.Fatalf("binding screen: %+v", bind.OneAccount)
	}
	hands.AppScan(bind.OneAccount.QR)
	done := wait("bound", func(x kiosk.Snapshot) bool { return x.State == kiosk.StateOADone })
	if !done.OneAccount.Bound {
		t.Fatalf("done: %+v", done.OneAccount)
	}

	return code
}

// checkOneAccountHeld: the back office holds exactly one account (opened here, with a
// password hash and the e-mail) and one binding, bound.
func checkOneAccountHeld(t *testing.T, bo *demoBackOffice, phone, email, password string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(bo.dir, "backoffice.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var accounts, withPassword, bound int
	var gotEmail, gotPhone string
	if err := db.QueryRow(`SELECT count(*), sum(password_hash IS NOT NULL), sum(device_bound), max(account_email), max(account_phone)
		FROM residents WHERE account_created_at IS NOT NULL`).Scan(&accounts, &withPassword, &bound, &gotEmail, &gotPhone); err != nil {
		t.Fatal(err)
	}
	if accounts != 1 || withPassword != 1 || bound != 1 || gotEmail != email || gotPhone != phone {
		t.Fatalf("back office accounts %d (password %d, bound %d, e-mail %q, phone %q): want 1 bound with a password", accounts, withPassword, bound, gotEmail, gotPhone)
	}
	var bindings, boundBindings int
	if err := db.QueryRow(`SELECT count(*), sum(status = 'bound') FROM bindings`).Scan(&bindings, &boundBindings); err != nil {
		t.Fatal(err)
	}
	if bindings != 1 || boundBindings != 1 {
		t.Fatalf("back office bindings %d, bound %d: want one, bound", bindings, boundBindings)
	}
	var hash string
	if err := db.QueryRow(`SELECT password_hash FROM residents WHERE account_created_at IS NOT NULL`).Scan(&hash); err != nil || strings.Contains(hash, password) {
		t.Fatalf("password stored as %q, %v", hash, err)
	}

}
