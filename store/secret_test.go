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
// database, the application is submitted, and every file of the database folder and
// everything logged are searched for the password's bytes. The application itself
// (with the phone number, which the back office needs) is there, which shows the
// search looks in the right place.
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
	h.Choose(kiosk.ServiceOneAccount)
	h.Fill(kiosk.FieldPhoneNumber, phone, kiosk.FieldServicePassword, password, kiosk.FieldPasswordConfirm, password)
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateSummary)
	h.Press(kiosk.EvConfirm)
	h.WaitState(kiosk.StateDone)
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
		if bytes.Contains(b, []byte(password)) {
			t.Errorf("%s holds the service password", filepath.Base(f))
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte(phone)) {
		t.Fatalf("the application's phone number is in none of %v: the search looks in the wrong place", files)
	}
	if !strings.Contains(string(all), `"sealed"`) {
		t.Error("no sealed field in the stored application")
	}
	if strings.Contains(logged.String(), password) {
		t.Errorf("the log holds the service password:\n%s", logged.String())
	}
}
