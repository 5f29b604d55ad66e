package app

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// onScreen: o is drawn (it and every container above it shown).
func onScreen(root, o fyne.CanvasObject) bool {
	found := false
	walkShown(root, func(x fyne.CanvasObject) { found = found || x == o })
	return found
}

// TestPagerPagesTheMenu: at large text on the small panel the menu shows the services
// a page at a time; Next and Previous reach every service exactly once, keep their
// place from page to page, and are greyed out at the ends. On the big panel at normal
// text all four fit and there are no page buttons.
func TestPagerPagesTheMenu(t *testing.T) {
	cases := []struct {
		large bool
		size  fyne.Size
		paged bool
	}{
		{true, fyne.NewSize(1280, 1024), true},
		{false, fyne.NewSize(1920, 1080), false},
	}
	for _, c := range cases {
		for _, lang := range kiosk.Languages {
			t.Run(fmt.Sprintf("%s/large=%t/%v", lang, c.large, c.size), func(t *testing.T) {
				s := kiosktest.Samples(lang)[kiosk.StateServiceMenu]
				s.LargeText = c.large
				flow := kiosktest.NewFlow(s)
				u, w := newTestUI(t, flow)
				w.Resize(c.size)
				u.Render(s)
				root := w.Canvas().Content()
				next, prev := findButton(root, u.tr.T(lang, "chrome.next", nil)), findButton(root, u.tr.T(lang, "chrome.previous", nil))
				if next == nil || !onScreen(root, next) {
					// One page: then every service is on it. (Chinese is short
					// enough for all four at large text on the small panel too.)
					if c.paged && lang != kiosk.LangZhHant {
						t.Fatal("no page buttons")
					}
					for _, sv := range s.Services {
						if b := findButton(root, u.tr.T(lang, string(kiosk.ServiceKey(sv.ID)), nil)); b == nil || !onScreen(root, b) {
							t.Errorf("%s is not on the one page", sv.ID)
						}
					}
					return
				}
				if !c.paged {
					t.Fatal("page buttons on the big panel at normal text")
				}
				d := fyne.CurrentApp().Driver()
				nextAt, prevAt := d.AbsolutePositionForObject(next), d.AbsolutePositionForObject(prev)
				seen := map[kiosk.ServiceID]int{}
				for page := 1; ; page++ {
					n := 0
					for _, sv := range s.Services {
						if b := findButton(root, u.tr.T(lang, string(kiosk.ServiceKey(sv.ID)), nil)); b != nil && onScreen(root, b) {
							seen[sv.ID]++
							n++
						}
					}
					if n == 0 || n == len(s.Services) {
						t.Fatalf("page %d shows %d of %d services", page, n, len(s.Services))
					}
					if page == 1 && !prev.Disabled() {
						t.Error("Previous is on at the first page")
					}
					if d.AbsolutePositionForObject(next) != nextAt || d.AbsolutePositionForObject(prev) != prevAt {
						t.Errorf("page %d: the page buttons moved", page)
					}
					if next.Disabled() {
						break
					}
					if page > len(s.Services) {
						t.Fatal("Next never ends")
					}
					test.Tap(next)
				}
				for _, sv := range s.Services {
					if seen[sv.ID] != 1 {
						t.Errorf("%s shown on %d pages", sv.ID, seen[sv.ID])
					}
				}
				test.Tap(prev)
				if next.Disabled() {
					t.Error("Next still off after Previous")
				}
			})
		}
	}
}

// TestFormOpensOnTheWrongField: a paged form opens on the page of the field to fix
// (the one being typed if it is wrong, else the first wrong one), and the keypad shows
// only while its field is on screen.
func TestFormOpensOnTheWrongField(t *testing.T) {
	cases := []struct {
		name       string
		officeErr  kiosk.MsgKey
		phoneErr   kiosk.MsgKey
		wantShown  string // field key of the label on screen
		wantKeypad bool
	}{
		{"phone wrong", "", kiosk.FormPhoneInvalid, "field.phone", true},
		{"office missing", kiosk.FormRequired, "", "field.collection_office", false},
		{"both: the typed one first", kiosk.FormRequired, kiosk.FormPhoneInvalid, "field.phone", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := kiosktest.Samples(kiosk.LangPT)[kiosk.StateServiceForm]
			s.LargeText = true
			s.Form = append([]kiosk.FieldView(nil), s.Form...)
			s.Form[0].Error, s.Form[1].Error = c.officeErr, c.phoneErr
			if c.officeErr != "" {
				s.Form[0].Value = ""
			}
			flow := kiosktest.NewFlow(s)
			u, w := newTestUI(t, flow)
			w.Resize(fyne.NewSize(1280, 1024))
			u.Render(s)
			root := w.Canvas().Content()
			var label *textLabel
			walkShown(root, func(o fyne.CanvasObject) {
				if l, ok := o.(*textLabel); ok && l.Words == u.tr.T(kiosk.LangPT, c.wantShown, nil) {
					label = l
				}
			})
			if label == nil {
				t.Fatalf("%s is not on screen", c.wantShown)
			}
			key := findButton(root, "5")
			if got := key != nil && onScreen(root, key); got != c.wantKeypad {
				t.Errorf("keypad on screen = %t, want %t", got, c.wantKeypad)
			}
			if next := findButton(root, u.tr.T(kiosk.LangPT, "chrome.next", nil)); next == nil || !onScreen(root, next) {
				t.Error("the form is not paged here: the case tests nothing")
			}
		})
	}
}
