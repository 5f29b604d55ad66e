package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
	"github.com/macau-dsi/kiosk/store"
)

// The One Account service password typed at the kiosk never reaches the disk: not the
// database file, not its WAL, not a log line. A whole session runs on a real SQLite
// database, the account is opened (the password sealed to the back office's key and
// sent at once), and every file of the database folder and everything logged are
// searched for the password's, the phone's and the SMS code's bytes. The session's
// audit rows are there, which shows the search looks in the right place.
func TestServicePasswordNeverAtRest(t *testing.T) {
	const password, phone = "8517", "66907342"
	dir := t.TempDir()
	path := filepath.Join(dir, "kiosk.db")
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logged bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)

	h := kiosktest.NewHarness(t)
	h.StorePort = db
	h.Start()
	h.Post(kiosk.Event{Kind: kiosk.EvStart, Language: kiosk.LangEN})
	h.WaitState(kiosk.StateInsertCard)
	h.Card.Insert()
	h.WaitState(kiosk.StateFaceResult)
	h.Press(kiosk.EvContinue)
	h.WaitIdle(kiosk.StateServiceMenu)
	h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceOneAccount})
	h.WaitIdle(kiosk.StateOAPhone)
	h.Fill(kiosk.FieldPhoneNumber, phone)
	h.Press(kiosk.EvContinue)
	h.WaitIdle(kiosk.StateOACode)
	_, code := h.OneAccounts.LastCode()
	h.Fill(kiosk.FieldOTPCode, code)
	h.Press(kiosk.EvContinue)
	h.WaitIdle(kiosk.StateOAEmail)
	h.Press(kiosk.EvContinue)
	h.WaitIdle(kiosk.StateOATerms)
	for i := 1; i < kiosk.OneAccountTermsPages; i++ {
		h.Post(kiosk.Event{Kind: kiosk.EvTermsPage, Value: "next"})
	}
	h.Post(kiosk.Event{Kind: kiosk.EvAcceptTerms, Value: "yes"})
	h.Press(kiosk.EvContinue)
	h.WaitIdle(kiosk.StateOAPassword)
	h.Fill(kiosk.FieldServicePassword, password, kiosk.FieldPasswordConfirm, password)
	h.Press(kiosk.EvContinue)
	h.Wait("binding QR", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StateOABind && s.OneAccount != nil && s.OneAccount.QR != ""
	})
	if a := h.OneAccounts.Account(h.Subject("1234567(8)")); a == nil || a.SealedPassword == nil || bytes.Contains(a.SealedPassword, []byte(password)) {
		t.Fatalf("the back office got %+v: want the password sealed", a)
	}
	h.Card.Remove()
	h.WaitState(kiosk.StateAttract)
	for _, err := range h.Errors() {
		slog.Error("kiosk", "err", err) // what cmd/kiosk does with OnError
	}
	h.Stop()

	var all []byte
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, secret := range map[string]string{"service password": password, "phone number": phone, "SMS code": code} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds the %s", filepath.Base(f), what)
			}
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte("oneaccount.open")) {
		t.Fatalf("the account's audit row is in none of %v: the search looks in the wrong place", files)
	}
	for _, secret := range []string{password, phone, code} {
		if strings.Contains(logged.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, logged.String())
		}
	}
}
