package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/macau-dsi/kiosk/kiosk"
)

// checkData shows what the card says for the resident to confirm before a document is
// applied for: names, birth date, sex, the card number partly masked, the card's dates.
// Renewal says which data may be changed next; anything else goes to the counter.
func (u *UI) checkData(s kiosk.Snapshot) fyne.CanvasObject {
	d := s.Data
	if d == nil {
		return u.busyScreen(s)
	}
	grid := container.New(&formRows{})
	row := func(key, value string) {
		k := widget.NewLabel(u.t(s, key))
		k.TextStyle = fyne.TextStyle{Bold: true}
		v := widget.NewLabel(value)
		v.TextStyle = fyne.TextStyle{Bold: true}
		grid.Add(k)
		grid.Add(v)
	}
	if d.NameChinese != "" {
		row("check.name_chinese", d.NameChinese)
	}
	row("check.name_portuguese", d.NamePortuguese)
	row("check.birth_date", u.tr.Date(s.Language, d.BirthDate))
	row("check.sex", u.t(s, sexKey(d.Sex)))
	row("check.card_number", d.CardNumber)
	row("check.issue_date", u.tr.Date(s.Language, d.IssueDate))
	if d.ExpiryDate.IsZero() {
		row("check.expiry_date", u.t(s, "check.no_expiry"))
	} else {
		row("check.expiry_date", u.tr.Date(s.Language, d.ExpiryDate))
	}
	// The data on the left; what may change, and the way out if something is wrong, on
	// the right: the whole screen fits without scrolling.
	var right []fyne.CanvasObject
	if len(d.Editable) > 0 {
		right = append(right, body(u.t(s, "check.editable")))
	}
	right = append(right, body(u.t(s, "check.counter")))
	wrong := bigButton(u.t(s, "check.wrong"), widget.MediumImportance, func() { u.post(kiosk.Event{Kind: kiosk.EvDataWrong}) })
	// A gap first: wrapped lines above must never reach the button.
	right = append(right, container.New(minSize{0, 64}, layout.NewSpacer()), container.NewCenter(container.New(minSize{520, minTouch}, wrong)))
	u.backAction(s)
	u.continueAction(s, "check.correct")
	return container.NewVBox(heading(u.t(s, string(kiosk.ScreenKey(s.State)))),
		container.NewGridWithColumns(2,
			container.NewVBox(subheading(u.t(s, "check.question")), container.NewCenter(grid)),
			container.NewVBox(right...)))
}

func sexKey(s string) string {
	switch s {
	case "M":
		return "check.sex_m"
	case "F":
		return "check.sex_f"
	}
	return "check.sex_x"
}

// formRows lays out label/value pairs in two columns sized to their content.
type formRows struct{}

func (formRows) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var lw, vw, h float32
	for i := 0; i+1 < len(objs); i += 2 {
		l, v := objs[i].MinSize(), objs[i+1].MinSize()
		lw, vw = max(lw, l.Width), max(vw, v.Width)
		h += max(l.Height, v.Height)
	}
	return fyne.NewSize(lw+vw+theme.Padding(), h)
}

func (formRows) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var lw float32
	for i := 0; i+1 < len(objs); i += 2 {
		lw = max(lw, objs[i].MinSize().Width)
	}
	y := float32(0)
	for i := 0; i+1 < len(objs); i += 2 {
		h := max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
		objs[i].Move(fyne.NewPos(0, y))
		objs[i].Resize(fyne.NewSize(lw, h))
		objs[i+1].Move(fyne.NewPos(lw+theme.Padding(), y))
		objs[i+1].Resize(fyne.NewSize(size.Width-lw-theme.Padding(), h))
		y += h
	}
}

// textKeyboard types an address or a name on our own keyboard: letters with the
// Portuguese accents of Macau's street names, digits, and the punctuation of addresses.
// Macau addresses are official in Chinese and Portuguese: the Portuguese form is typed
// here (the kiosk has no Chinese input method; a Chinese address is a counter task).
// It posts the whole new value, as the flow expects.
func (u *UI) textKeyboard(s kiosk.Snapshot, f kiosk.FieldView) fyne.CanvasObject {
	rows := [][]string{
		{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0"},
		{"Q", "W", "E", "R", "T", "Y", "U", "I", "O", "P"},
		{"A", "S", "D", "F", "G", "H", "J", "K", "L", "Ç"},
		{"Z", "X", "C", "V", "B", "N", "M", ",", ".", "/"},
		{"Á", "É", "Í", "Ó", "Ú", "Ã", "Õ", "Â", "Ê", "º"},
	}
	set := func(v string) { u.post(kiosk.Event{Kind: kiosk.EvFormInput, Field: f.Name, Value: v}) }
	var lines []fyne.CanvasObject
	for _, r := range rows {
		var keys []fyne.CanvasObject
		for _, k := range r {
			k := k
			keys = append(keys, container.New(minSize{76, 72}, touchButton(k, widget.MediumImportance, func() {
				if f.MaxLen == 0 || len([]rune(f.Value)) < f.MaxLen {
					set(f.Value + k)
				}
			})))
		}
		lines = append(lines, container.NewGridWithColumns(len(keys), keys...))
	}
	space := touchButton(u.t(s, "keyboard.space"), widget.MediumImportance, func() { set(f.Value + " ") })
	del := touchButton(u.t(s, "keypad.delete"), widget.MediumImportance, func() {
		if r := []rune(f.Value); len(r) > 0 {
			set(string(r[:len(r)-1]))
		}
	})
	clearKey := touchButton(u.t(s, "keypad.clear"), widget.MediumImportance, func() { set("") })
	lines = append(lines, container.NewGridWithColumns(3, touch(space), touch(del), touch(clearKey)))
	return container.NewVBox(lines...)
}
