// Package i18n gives every word a resident reads, in Traditional Chinese, Portuguese
// or English: the screens (app), the printed receipt (printer) and any spoken prompt
// use this one Translator, and money is formatted here once. It is Fyne-free, so the
// receipt printer does not link the UI toolkit.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/macau-dsi/kiosk/kiosk"
)

// Translator turns message keys into words in the resident's language. Every string a
// resident reads comes from assets/i18n/<language>.json; the code holds keys only.
type Translator struct {
	bundle *goi18n.Bundle
	locs   map[kiosk.Language]*goi18n.Localizer
	keys   map[kiosk.Language]map[string]bool
	plural map[string]bool // keys with plural forms (in any language)
	// Missing, if set, receives keys that were asked for but not found (tests watch
	// it; the kiosk logs the key, never data).
	Missing func(lang kiosk.Language, key string)
}

// NewTranslator loads one <language>.json per kiosk language from fsys.
func NewTranslator(fsys fs.FS) (*Translator, error) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	t := &Translator{bundle: b, locs: map[kiosk.Language]*goi18n.Localizer{}, keys: map[kiosk.Language]map[string]bool{}, plural: map[string]bool{}}
	for _, l := range kiosk.Languages {
		name := string(l) + ".json"
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("translations %s: %w", name, err)
		}
		mf, err := b.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("translations %s: %w", name, err)
		}
		keys := map[string]bool{}
		for _, m := range mf.Messages {
			keys[m.ID] = true
			if m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != "" {
				t.plural[m.ID] = true
			}
		}
		t.keys[l] = keys
		t.locs[l] = goi18n.NewLocalizer(b, string(l))
	}
	return t, nil
}

// Keys returns the keys of one language, sorted.
func (t *Translator) Keys(l kiosk.Language) []string {
	out := make([]string, 0, len(t.keys[l]))
	for k := range t.keys[l] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Plural reports whether key has plural forms (use N for it, T for the others).
func (t *Translator) Plural(key string) bool { return t.plural[key] }

// Has reports whether language l has key.
func (t *Translator) Has(l kiosk.Language, key string) bool { return t.keys[l][key] }

// T translates key with optional template data ("Seconds", "Name", ...).
func (t *Translator) T(l kiosk.Language, key string, data map[string]any) string {
	return t.localize(l, &goi18n.LocalizeConfig{MessageID: key, TemplateData: data})
}

// N translates a key with plural forms for count (available as {{.Count}}).
func (t *Translator) N(l kiosk.Language, key string, count int, data map[string]any) string {
	d := map[string]any{"Count": count}
	for k, v := range data {
		d[k] = v
	}
	return t.localize(l, &goi18n.LocalizeConfig{MessageID: key, TemplateData: d, PluralCount: count})
}

func (t *Translator) localize(l kiosk.Language, lc *goi18n.LocalizeConfig) string {
	loc, ok := t.locs[l]
	if !ok {
		loc = t.locs[kiosk.LangEN]
	}
	s, err := loc.Localize(lc)
	if err != nil || !t.keys[l][lc.MessageID] {
		if t.Missing != nil {
			t.Missing(l, lc.MessageID)
		}
		if s == "" {
			// Show the key rather than nothing: a blank button is worse than an
			// untranslated one, and the translation test stops this reaching a kiosk.
			return lc.MessageID
		}
	}
	return s
}

// Money formats avos (1/100 MOP) as the language writes amounts: "MOP 120.00",
// "120,00 patacas", "澳門元 120.00". Screens and receipts both use it.
func (t *Translator) Money(l kiosk.Language, avos int) string {
	sep := t.T(l, KeyDecimalSeparator, nil)
	neg := ""
	if avos < 0 {
		neg, avos = "-", -avos
	}
	amount := fmt.Sprintf("%s%d%s%02d", neg, avos/100, sep, avos%100)
	return t.T(l, KeyMoney, map[string]any{"Amount": amount})
}

// Date formats a calendar date as the language writes it: "2026年5月20日",
// "20/05/2026", "20 May 2026". The layout is the language's format.date in Go's
// reference-date notation; Go writes month names only in English, so the other
// languages' layouts are numeric.
func (t *Translator) Date(l kiosk.Language, d kiosk.Date) string {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Format(t.T(l, KeyDate, nil))
}

// Keys of the formats above; every language file has them.
const (
	KeyDecimalSeparator = "format.decimal_separator"
	KeyMoney            = "format.money"
	KeyDate             = "format.date"
)

// FormatKeys lists the keys Money and Date need.
func FormatKeys() []string { return []string{KeyDecimalSeparator, KeyMoney, KeyDate} }

// LangKey names a language in its own words ("lang.pt" is "Português").
func LangKey(l kiosk.Language) string { return "lang." + string(l) }

// IsDynamicKey reports keys built at run time from form data (field and option
// names), which a scan of the code's literals cannot see.
func IsDynamicKey(key string) bool {
	return strings.HasPrefix(key, "field.") || strings.HasPrefix(key, "option.")
}
