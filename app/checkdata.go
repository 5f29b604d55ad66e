package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
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
	var pairs [][2]string
	row := func(key, value string) { pairs = append(pairs, [2]string{u.t(s, key), value}) }
	if d.NameChinese != "" {
		row("check.name_chinese", d.NameChinese)
	}
	row("check.name_portuguese", d.NamePortuguese)
	row("check.birth_date", u.tr.Date(s.Language, d.BirthDate))
	row("check.sex", u.t(s, sexKey(d.Sex)))
	if d.CardNumber != "" { // an eID session has no card to read the number from
		row("check.card_number", d.CardNumber)
	}
	row("check.issue_date", u.tr.Date(s.Language, d.IssueDate))
	if d.ExpiryDate.IsZero() {
		row("check.expiry_date", u.t(s, "check.no_expiry"))
	} else {
		row("check.expiry_date", u.tr.Date(s.Language, d.ExpiryDate))
	}
	// The data on the left, paged if need be; what may change, and the way out if
	// something is wrong, on the right. At large text on the narrow panel half the
	// width is too little for either: then one paged column of everything.
	u.backAction(s)
	u.continueAction(s, "check.correct")
	build := func(wide bool) fyne.CanvasObject {
		var ks, vs []*textLabel // each layout its own labels: one parent each
		for _, p := range pairs {
			k, v := newTextLabel(p[0]), newTextLabel(p[1])
			k.TextStyle, v.TextStyle = fyne.TextStyle{Bold: true}, fyne.TextStyle{Bold: true}
			ks, vs = append(ks, k), append(vs, v)
		}
		rows := newPairRows(ks, vs)
		var notes []fyne.CanvasObject
		if len(d.Editable) > 0 {
			notes = append(notes, body(u.t(s, "check.editable")))
		}
		notes = append(notes, body(u.t(s, "check.counter")))
		wrong := bigButton(u.t(s, "check.wrong"), widget.MediumImportance, func() { u.post(kiosk.Event{Kind: kiosk.EvDataWrong}) })
		wrongBox := container.NewCenter(container.New(minSize{520, minTouch}, wrong))
		title := heading(u.t(s, string(kiosk.ScreenKey(s.State))))
		question := subheading(u.t(s, "check.question"))
		if !wide {
			return u.paged(s, "check_data", 1200, []fyne.CanvasObject{title, question}, append(append(rows, notes...), wrongBox)...)
		}
		// A gap before the button: wrapped lines above must never reach it.
		notes = append(notes, container.New(minSize{0, 48}, layout.NewSpacer()), wrongBox)
		return withHead(1800, title, container.NewGridWithColumns(2,
			u.paged(s, "check_data", 900, []fyne.CanvasObject{question}, rows...), column(800, notes...)))
	}
	return wideOrNarrow(build(true), build(false))
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

// textKeyboard types an address or a name on our own keyboard: letters with the
// Portuguese accents of Macau's street names, digits, and the punctuation of addresses.
// Macau addresses are official in Chinese and Portuguese: the Portuguese form is typed
// here (the kiosk has no Chinese input method; a Chinese address is a counter task).
// It posts the whole new value, as the flow expects.
func (u *UI) textKeyboard(s kiosk.Snapshot, f kiosk.FieldView) fyne.CanvasObject {
	return u.keyboard(s, f, editRowWithSpace, fyne.NewSize(76, 72), [][]string{
		{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0"},
		{"Q", "W", "E", "R", "T", "Y", "U", "I", "O", "P"},
		{"A", "S", "D", "F", "G", "H", "J", "K", "L", "Ç"},
		{"Z", "X", "C", "V", "B", "N", "M", ",", ".", "/"},
		{"Á", "É", "Í", "Ó", "Ú", "Ã", "Õ", "Â", "Ê", "º"},
	})
}

// editKeys says where a keyboard's space, delete and clear keys go.
type editKeys int

const (
	editRowWithSpace editKeys = iota // a last row: space, delete, clear
	editNone                         // none: the screen puts delete and clear elsewhere (editButtons)
)

// keyboard is our own keyboard with the given rows of keys (a key may type more than
// one character), each at least key in size, and its edit keys as edit says.
func (u *UI) keyboard(s kiosk.Snapshot, f kiosk.FieldView, edit editKeys, key fyne.Size, rows [][]string) fyne.CanvasObject {
	set := func(v string) { u.post(kiosk.Event{Kind: kiosk.EvFormInput, Field: f.Name, Value: v}) }
	var keyRows [][]fyne.CanvasObject
	for _, r := range rows {
		var keys []fyne.CanvasObject
		for _, k := range r {
			k := k
			keys = append(keys, container.New(minSize{key.Width, key.Height}, touchButton(k, widget.MediumImportance, func() {
				if f.MaxLen == 0 || len([]rune(f.Value)) < f.MaxLen {
					set(f.Value + k)
				}
			})))
		}
		keyRows = append(keyRows, keys)
	}
	if edit == editRowWithSpace {
		spaceKey := touchButton(u.t(s, "keyboard.space"), widget.MediumImportance, func() { set(f.Value + " ") })
		keyRows = append(keyRows, append([]fyne.CanvasObject{touch(spaceKey)}, u.editButtons(s, f)...))
	}
	var lines []fyne.CanvasObject
	for _, keys := range keyRows {
		lines = append(lines, container.NewGridWithColumns(len(keys), keys...))
	}
	return container.NewVBox(lines...)
}

// editButtons are delete and clear for a typed field.
func (u *UI) editButtons(s kiosk.Snapshot, f kiosk.FieldView) []fyne.CanvasObject {
	set := func(v string) { u.post(kiosk.Event{Kind: kiosk.EvFormInput, Field: f.Name, Value: v}) }
	del := touchButton(u.t(s, "keypad.delete"), widget.MediumImportance, func() {
		if r := []rune(f.Value); len(r) > 0 {
			set(string(r[:len(r)-1]))
		}
	})
	clearKey := touchButton(u.t(s, "keypad.clear"), widget.MediumImportance, func() { set("") })
	return []fyne.CanvasObject{touch(del), touch(clearKey)}
}
