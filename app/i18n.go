package app

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/macau-dsi/kiosk/kiosk"
)

// Translator turns message keys into words in the resident's language. Every string a
// resident reads comes from assets/i18n/<language>.json; the code holds keys only.
type Translator struct {
	bundle *i18n.Bundle
	locs   map[kiosk.Language]*i18n.Localizer
	keys   map[kiosk.Language]map[string]bool
	plural map[string]bool // keys with plural forms (in any language)
	// missing receives keys that were asked for but not found (tests watch it; the
	// kiosk logs the key, never data).
	missing func(lang kiosk.Language, key string)
}

// NewTranslator loads one <language>.json per kiosk language from fsys.
func NewTranslator(fsys fs.FS) (*Translator, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	t := &Translator{bundle: b, locs: map[kiosk.Language]*i18n.Localizer{}, keys: map[kiosk.Language]map[string]bool{}, plural: map[string]bool{}}
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
		t.locs[l] = i18n.NewLocalizer(b, string(l))
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
	return t.localize(l, &i18n.LocalizeConfig{MessageID: key, TemplateData: data})
}

// N translates a key with plural forms for count (available as {{.Count}}).
func (t *Translator) N(l kiosk.Language, key string, count int, data map[string]any) string {
	d := map[string]any{"Count": count}
	for k, v := range data {
		d[k] = v
	}
	return t.localize(l, &i18n.LocalizeConfig{MessageID: key, TemplateData: d, PluralCount: count})
}

func (t *Translator) localize(l kiosk.Language, lc *i18n.LocalizeConfig) string {
	loc, ok := t.locs[l]
	if !ok {
		loc = t.locs[kiosk.LangEN]
	}
	s, err := loc.Localize(lc)
	if err != nil || !t.keys[l][lc.MessageID] {
		if t.missing != nil {
			t.missing(l, lc.MessageID)
		}
		if s == "" {
			// Show the key rather than nothing: a blank button is worse than an
			// untranslated one, and the translation test stops this reaching a kiosk.
			return lc.MessageID
		}
	}
	return s
}

// money formats avos (1/100 MOP) as the language writes amounts: "MOP 120.00",
// "120,00 patacas", "澳門元 120.00".
func (t *Translator) money(l kiosk.Language, avos int) string {
	sep := t.T(l, "format.decimal_separator", nil)
	neg := ""
	if avos < 0 {
		neg, avos = "-", -avos
	}
	amount := fmt.Sprintf("%s%d%s%02d", neg, avos/100, sep, avos%100)
	return t.T(l, "format.money", map[string]any{"Amount": amount})
}

// Dynamic keys: the domain names a state, a guidance, a challenge, a service or a
// reason, and the UI builds the key from it. The translation test enumerates these.
func screenKey(s kiosk.State) string        { return "screen." + string(s) }
func langKey(l kiosk.Language) string       { return "lang." + string(l) }
func guideKey(g kiosk.Guidance) string      { return "guide." + string(g) }
func challengeKey(c kiosk.Challenge) string { return "challenge." + string(c) }
func serviceKey(s kiosk.ServiceID) string   { return "service." + string(s) }
func fieldKey(name string) string           { return "field." + name }
func optionKey(field, option string) string { return "option." + field + "." + option }
func isDynamicKey(key string) bool {
	return strings.HasPrefix(key, "field.") || strings.HasPrefix(key, "option.")
}
