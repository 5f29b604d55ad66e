package app

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// keyPositions is where each keypad key is in the window.
func keyPositions(t *testing.T, w fyne.Window, keys []string) map[string]fyne.Position {
	t.Helper()
	d := fyne.CurrentApp().Driver()
	out := map[string]fyne.Position{}
	for _, k := range keys {
		b := findButton(w.Content(), k)
		if b == nil {
			t.Fatalf("no key %q", k)
		}
		out[k] = d.AbsolutePositionForObject(b)
	}
	return out
}

// TestKeypadStaysPut: nothing a finger is about to touch may move. The keys (and the
// field being typed) keep their place when an error line appears or goes, at normal
// and large text, on the form and on the PIN screen.
func TestKeypadStaysPut(t *testing.T) {
	keys := []string{"1", "5", "9", "0", "Delete"}
	form := func(err kiosk.MsgKey) func(*kiosk.Snapshot) {
		return func(s *kiosk.Snapshot) {
			s.Form = append([]kiosk.FieldView(nil), s.Form...)
			s.Form[0].Value, s.Form[0].Error = "", ""
			if err != "" {
				s.Form[0].Error = kiosk.FormRequired
			}
			s.Form[1].Error = err
		}
	}
	pin := func(err kiosk.MsgKey) func(*kiosk.Snapshot) {
		return func(s *kiosk.Snapshot) {
			s.Notice, s.PINLastTry, s.PINTriesLeft = err, err != "", 3
			if err != "" {
				s.PINTriesLeft = 1
			}
		}
	}
	cases := []struct {
		state    kiosk.State
		clean    func(*kiosk.Snapshot)
		withErr  func(*kiosk.Snapshot)
		fieldKey string // a field whose box must not move either ("" for none)
	}{
		{kiosk.StateServiceForm, form(""), form(kiosk.FormPhoneInvalid), "field.phone"},
		{kiosk.StatePIN, pin(""), pin(kiosk.MsgPINWrong), ""},
	}
	for _, c := range cases {
		for _, large := range []bool{false, true} {
			for _, size := range []fyne.Size{kioskSize, fyne.NewSize(1280, 1024)} {
				t.Run(fmt.Sprintf("%s/large=%t/%v", c.state, large, size), func(t *testing.T) {
					base := kiosktest.Samples(kiosk.LangEN)[c.state]
					base.LargeText = large
					clean, withErr := base, base
					c.clean(&clean)
					c.withErr(&withErr)
					flow := kiosktest.NewFlow(clean)
					u, w := newTestUI(t, flow)
					w.Resize(size)
					u.Render(clean)
					before := keyPositions(t, w, keys)
					var labelBefore fyne.Position
					if c.fieldKey != "" {
						labelBefore = labelPosition(t, w, u.tr.T(kiosk.LangEN, c.fieldKey, nil))
					}
					flow.Set(withErr)
					u.Render(withErr)
					after := keyPositions(t, w, keys)
					for _, k := range keys {
						if before[k] != after[k] {
							t.Errorf("key %q moved from %v to %v when the error appeared", k, before[k], after[k])
						}
					}
					if c.fieldKey != "" {
						if got := labelPosition(t, w, u.tr.T(kiosk.LangEN, c.fieldKey, nil)); got != labelBefore {
							t.Errorf("field %q moved from %v to %v", c.fieldKey, labelBefore, got)
						}
					}
					flow.Set(clean)
					u.Render(clean)
					if back := keyPositions(t, w, keys); back["5"] != before["5"] {
						t.Errorf("key 5 at %v after the error went, was %v", back["5"], before["5"])
					}
				})
			}
		}
	}
}

// labelPosition finds a label by its text.
func labelPosition(t *testing.T, w fyne.Window, text string) fyne.Position {
	t.Helper()
	var found fyne.CanvasObject
	walk(w.Content(), func(o fyne.CanvasObject) {
		if found == nil && hasText(o, text) && len(children(o)) == 0 {
			found = o
		}
	})
	if found == nil {
		t.Fatalf("no %q on screen", text)
	}
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(found)
}

// TestFormFocusStaysOnLastField: once the last password is typed the keypad stays
// with it; it does not jump back to the phone number.
func TestFormFocusStaysOnLastField(t *testing.T) {
	s := kiosktest.Samples(kiosk.LangEN)[kiosk.StateServiceForm]
	s.Service = kiosk.ServiceOneAccount
	s.Form = []kiosk.FieldView{
		{Name: kiosk.FieldPhoneNumber, Kind: kiosk.FieldPhone, Value: "66123456", Length: 8, MaxLen: 8},
		{Name: kiosk.FieldServicePassword, Kind: kiosk.FieldPassword, Value: "••••", Length: 4, MaxLen: 4},
		{Name: kiosk.FieldPasswordConfirm, Kind: kiosk.FieldPassword, Value: "•••", Length: 3, MaxLen: 4},
	}
	flow := kiosktest.NewFlow(s)
	u, _ := newTestUI(t, flow)
	u.Render(s)
	if u.focus != kiosk.FieldPasswordConfirm {
		t.Fatalf("focus %q, want the field being typed", u.focus)
	}
	s.Form = append([]kiosk.FieldView(nil), s.Form...)
	s.Form[2].Value, s.Form[2].Length = "••••", 4
	flow.Set(s)
	u.Render(s)
	if u.focus != kiosk.FieldPasswordConfirm {
		t.Errorf("after the last digit the keypad went to %q", u.focus)
	}
}
