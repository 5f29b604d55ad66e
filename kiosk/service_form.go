package kiosk

import "strings"

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
)

// FormFor returns the fields of a service's form.
func FormFor(s ServiceID) []FieldSpec {
	office := FieldSpec{Name: FieldCollectionOffice, Kind: FieldChoice, Required: true, Options: CollectionOffices}
	phone := FieldSpec{Name: FieldPhoneNumber, Kind: FieldPhone, Required: true, MaxLen: macauMobileDigits}
	switch s {
	case ServiceIDRenewal, ServicePassport, ServiceTravelPermit:
		// The phone number is for the "ready to collect" SMS.
		return []FieldSpec{office, phone}
	case ServiceOneAccount:
		return []FieldSpec{
			phone,
			{Name: FieldServicePassword, Kind: FieldPassword, MaxLen: servicePasswordSize},
			{Name: FieldPasswordConfirm, Kind: FieldPassword, MaxLen: servicePasswordSize},
		}
	}
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
		case FieldServicePassword:
			switch {
			case len(v) != servicePasswordSize || !allDigits(v):
				problems[f.Name] = FormPasswordLength
			case weakPassword(v):
				problems[f.Name] = FormPasswordWeak
			}
		}
	}
	if pw := values[FieldServicePassword]; s == ServiceOneAccount && pw != "" && problems[FieldServicePassword] == "" {
		if values[FieldPasswordConfirm] != pw {
			problems[FieldPasswordConfirm] = FormPasswordMismatch
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
