package kiosk

import (
	"strings"
	"unicode"
)

// FieldSpec describes one field of a service form.
type FieldSpec struct {
	Name     string
	Kind     FieldKind
	Required bool
	MaxLen   int      // for typed fields: input beyond it is dropped
	Options  []string // for FieldChoice
}

// Field names.
const (
	FieldCollectionOffice = "collection_office"
	FieldPhoneNumber      = "phone"
	FieldServicePassword  = "service_password"
	FieldPasswordConfirm  = "service_password_confirm"
	// Renewal may change these (public rule); any other change is a counter task.
	FieldAddress        = "address"
	FieldOccupation     = "occupation"
	FieldEmergencyName  = "emergency_name"
	FieldEmergencyPhone = "emergency_phone"
)

// CollectionOffices are the places a new document can be collected. PLACEHOLDER ids:
// the real list of DSI service points belongs in configuration.
var CollectionOffices = []string{"office_central", "office_areia_preta", "office_islands"}

// Form validation keys.
const (
	FormRequired         MsgKey = "form.required"
	FormPhoneInvalid     MsgKey = "form.phone_invalid"
	FormPasswordLength   MsgKey = "form.password_length"
	FormPasswordWeak     MsgKey = "form.password_weak"
	FormPasswordMismatch MsgKey = "form.password_mismatch"
	FormChoiceInvalid    MsgKey = "form.choice_invalid"
)

// Field lengths: the one home of each; they reach the screen as FieldView.MaxLen.
const (
	macauMobileDigits   = 8 // Macau mobile numbers: 8 digits starting with 6
	servicePasswordSize = 4 // the eID service password (public record: 4 digits)
	addressLength       = 120
	textLength          = 60
)

// FormFor returns the fields of a service's form.
func FormFor(s ServiceID) []FieldSpec {
	office := FieldSpec{Name: FieldCollectionOffice, Kind: FieldChoice, Required: true, Options: CollectionOffices}
	phone := FieldSpec{Name: FieldPhoneNumber, Kind: FieldPhone, Required: true, MaxLen: macauMobileDigits}
	switch s {
	case ServiceIDRenewal:
		// The phone number is for the "ready to collect" SMS. The rest are the data a
		// renewal may change; left empty they stay as on record.
		return []FieldSpec{office, phone,
			{Name: FieldAddress, Kind: FieldText, MaxLen: addressLength},
			{Name: FieldOccupation, Kind: FieldText, MaxLen: textLength},
			{Name: FieldEmergencyName, Kind: FieldText, MaxLen: textLength},
			{Name: FieldEmergencyPhone, Kind: FieldPhone, MaxLen: macauMobileDigits},
		}
	case ServicePassport, ServiceTravelPermit:
		return []FieldSpec{office, phone}
	}
	// One Account has no form: its steps are states of their own (oneaccount.go).
	return nil
}

// NormalizeInput cleans what the resident typed for a field: digits only for phone
// and password fields, cut at MaxLen; a choice must be one of the options. ok is false
// when the input cannot be used at all (unknown field or option).
func NormalizeInput(spec FieldSpec, v string) (string, bool) {
	switch spec.Kind {
	case FieldPhone, FieldPassword:
		var b strings.Builder
		for _, r := range v {
			if r >= '0' && r <= '9' && (spec.MaxLen == 0 || b.Len() < spec.MaxLen) {
				b.WriteRune(r)
			}
		}
		return b.String(), true
	case FieldText:
		return normalizeText(v, spec.MaxLen), true
	case FieldChoice:
		if v == "" {
			return "", true
		}
		for _, o := range spec.Options {
			if o == v {
				return v, true
			}
		}
		return "", false
	}
	return "", false
}

// ValidateForm checks a service's form values and returns the problem of each bad
// field (nil when the form is fine).
func ValidateForm(s ServiceID, values map[string]string) map[string]MsgKey {
	problems := map[string]MsgKey{}
	for _, f := range FormFor(s) {
		v := values[f.Name]
		if v == "" {
			if f.Required {
				problems[f.Name] = FormRequired
			}
			continue
		}
		if _, ok := NormalizeInput(f, v); !ok {
			problems[f.Name] = FormChoiceInvalid
			continue
		}
		switch f.Name {
		case FieldPhoneNumber:
			if !validMacauMobile(v) {
				problems[f.Name] = FormPhoneInvalid
			}
		case FieldEmergencyPhone:
			if !validMacauPhone(v) {
				problems[f.Name] = FormPhoneInvalid
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// validMacauMobile: Macau mobile numbers have 8 digits and start with 6.
func validMacauMobile(v string) bool {
	return len(v) == macauMobileDigits && v[0] == '6' && allDigits(v)
}

// validMacauPhone: 8 digits, a mobile (6...) or a fixed line (2...).
func validMacauPhone(v string) bool {
	return len(v) == macauMobileDigits && (v[0] == '6' || v[0] == '2') && allDigits(v)
}

// normalizeText keeps what an address or a name is written with (letters of any
// script, digits, spaces and the punctuation of Macau addresses), collapses spaces and
// cuts at max characters. Control characters and anything else are dropped.
func normalizeText(v string, max int) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range v {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(",.-/#()'ºª°&", r)
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if !ok || (max > 0 && n >= max) {
			continue
		}
		if space {
			if max > 0 && n+1 >= max {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func allDigits(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return v != ""
}

// weakPassword refuses the guesses tried first: one digit repeated (0000) and runs up
// or down (1234, 9876).
func weakPassword(v string) bool {
	same, up, down := true, true, true
	for i := 1; i < len(v); i++ {
		d := int(v[i]) - int(v[i-1])
		same = same && d == 0
		up = up && d == 1
		down = down && d == -1
	}
	return same || up || down
}

// ChecksData says which services show the card's data for the resident to confirm
// first: the documents (a One Account is opened from the verified card as it is).
func ChecksData(s ServiceID) bool {
	return s == ServiceIDRenewal || s == ServicePassport || s == ServiceTravelPermit
}

// EditableFields are the form's fields that change the resident's data (renewal).
func EditableFields(s ServiceID) []string {
	if s != ServiceIDRenewal {
		return nil
	}
	return []string{FieldAddress, FieldPhoneNumber, FieldOccupation, FieldEmergencyName, FieldEmergencyPhone}
}

// MaskCardNumber shows only the first character and the last two (the check digit in
// brackets stays): "1234567(8)" is "1•••••7(8)". Enough for the resident to know the
// card, useless to someone reading over their shoulder.
func MaskCardNumber(n string) string {
	r := []rune(n)
	keep := 2
	if i := strings.IndexRune(n, '('); i > 0 {
		keep = len(r) - len([]rune(n[:i])) + 1
	}
	if len(r) <= keep+1 {
		return strings.Repeat("•", len(r))
	}
	return string(r[0]) + strings.Repeat("•", len(r)-keep-1) + string(r[len(r)-keep:])
}

func dataView(h CardHolder, s ServiceID) *DataView {
	n := h.Names
	pt := n.Portuguese
	if pt == "" {
		pt = strings.TrimSpace(n.Primary + " " + n.Secondary)
	}
	d := &DataView{NameChinese: n.Chinese, NamePortuguese: pt, BirthDate: DateOf(h.BirthDate), Sex: h.Sex,
		CardNumber: MaskCardNumber(h.DocumentNumber), IssueDate: DateOf(h.IssueDate), Residency: h.Residency,
		Editable: EditableFields(s)}
	if !h.ExpiryDate.IsZero() {
		d.ExpiryDate = DateOf(h.ExpiryDate)
	}
	return d
}
