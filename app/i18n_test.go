package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/printer"
)

func loadTranslator(t testing.TB) *i18n.Translator {
	t.Helper()
	tr, err := i18n.NewTranslator(assets.Translations())
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// keyLike matches string literals that are translation keys ("chrome.back").
var keyLike = regexp.MustCompile(`^[a-z_]+(\.[a-z0-9_\-]+)+$`)

// codeKeys returns every key-shaped string literal in the app's own (non-test) Go
// files: the keys the screens ask for by name.
func codeKeys(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if _, ok := n.(*ast.ImportSpec); ok {
				return false
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && keyLike.MatchString(s) && !strings.HasSuffix(s, ".svg") && !strings.HasSuffix(s, ".json") {
				keys[s] = fset.Position(lit.Pos()).String()
			}
			return true
		})
	}
	return keys
}

// requiredKeys is every key a screen can ask for: the app's literals, the keys built
// from the domain's enumerations, the domain's own list, and the printed receipt's
// keys (printer.Keys; the printer's tests check that list against what it renders).
func requiredKeys(t *testing.T) map[string]string {
	req := codeKeys(t)
	for _, k := range kiosk.AllMsgKeys() {
		req[string(k)] = "kiosk.AllMsgKeys"
	}
	for _, l := range kiosk.Languages {
		req[i18n.LangKey(l)] = "kiosk.Languages"
	}
	for _, s := range kiosk.States {
		req[string(kiosk.ScreenKey(s))] = "kiosk.States"
	}
	for g := range guidanceIcons {
		req[string(kiosk.GuidanceKey(g))] = "guidanceIcons"
	}
	for c := range challengeIcons {
		req[string(kiosk.ChallengeKey(c))] = "challengeIcons"
	}
	for _, k := range printer.Keys() {
		req[k] = "printer.Keys"
	}
	for _, k := range i18n.FormatKeys() {
		req[k] = "i18n.FormatKeys"
	}
	for _, s := range kiosk.Services {
		req[string(kiosk.ServiceKey(s))] = "kiosk.Services"
		for _, f := range kiosk.FormFor(s) {
			req[string(kiosk.FieldKey(f.Name))] = "kiosk.FormFor"
			for _, o := range f.Options {
				req[string(kiosk.OptionKey(f.Name, o))] = "kiosk.FormFor"
			}
		}
	}
	return req
}

func TestEveryKeyInEveryLanguage(t *testing.T) {
	tr := loadTranslator(t)
	req := requiredKeys(t)
	if len(req) < 100 {
		t.Fatalf("found only %d required keys: the key scan is broken", len(req))
	}
	var missing []string
	for k, where := range req {
		for _, l := range kiosk.Languages {
			if !tr.Has(l, k) {
				missing = append(missing, string(l)+".json lacks "+k+" (used at "+where+")")
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Error(m)
	}
}

func TestNoUnusedOrStrayKeys(t *testing.T) {
	tr := loadTranslator(t)
	req := requiredKeys(t)
	en := tr.Keys(kiosk.LangEN)
	for _, l := range kiosk.Languages {
		if got := tr.Keys(l); strings.Join(got, ",") != strings.Join(en, ",") {
			t.Errorf("%s.json and en.json have different keys:\n%s", l, diffKeys(en, got))
		}
	}
	for _, k := range en {
		if _, ok := req[k]; !ok {
			t.Errorf("key %q is in the translation files but no screen uses it", k)
		}
	}
}

func diffKeys(a, b []string) string {
	in := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, x := range a {
		if !mb[x] {
			out = append(out, "  only in en: "+x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			out = append(out, "  only in other: "+x)
		}
	}
	return strings.Join(out, "\n")
}

var templateVar = regexp.MustCompile(`\{\{\s*\.([A-Za-z]+)\s*\}\}`)

// Every key renders in every language, plural keys for the counts the screens use.
func TestEveryKeyRenders(t *testing.T) {
	tr := loadTranslator(t)
	data := map[string]any{"Seconds": 42, "Name": "陳大文", "Attempt": 2, "Max": 3, "Amount": "120.00", "Percent": 50, "Method": "QR", "ID": "S1234", "Time": "10:15", "Rows": 42, "Problem": "row 3", "Min": "0.30", "Page": 1, "Pages": 2, "Date": "28 May 2026", "Office": "Central office", "Left": 4,
		"Minutes": 60, "Phone": "62223333", "Code": "123456"}
	for _, k := range tr.Keys(kiosk.LangEN) {
		for _, l := range kiosk.Languages {
			for _, n := range []int{0, 1, 2, 3, 5} {
				var missed []string
				tr.Missing = func(_ kiosk.Language, key string) { missed = append(missed, key) }
				var got string
				if tr.Plural(k) {
					got = tr.N(l, k, n, data)
				} else {
					got = tr.T(l, k, data)
				}
				tr.Missing = nil
				if len(missed) > 0 || got == "" || got == k {
					t.Errorf("%s %s (n=%d): %q, missing %v", l, k, n, got, missed)
				}
				if strings.Contains(got, "<no value>") {
					t.Errorf("%s %s: unknown template variable in %q", l, k, got)
				}
			}
		}
	}
}

func TestTemplateVariablesMatchEnglish(t *testing.T) {
	raw := map[kiosk.Language]string{}
	for _, l := range kiosk.Languages {
		b, err := os.ReadFile(filepath.Join("..", "assets", "i18n", string(l)+".json"))
		if err != nil {
			t.Fatal(err)
		}
		raw[l] = string(b)
	}
	tr := loadTranslator(t)
	for _, k := range tr.Keys(kiosk.LangEN) {
		want := varsInEntry(t, raw[kiosk.LangEN], k)
		for _, l := range kiosk.Languages {
			if got := varsInEntry(t, raw[l], k); got != want {
				t.Errorf("%s %s uses variables %q, English uses %q", l, k, got, want)
			}
		}
	}
}

// varsInEntry finds the template variables of key's entry in a JSON file's text.
func varsInEntry(t *testing.T, file, key string) string {
	i := strings.Index(file, strconv.Quote(key)+":")
	if i < 0 {
		t.Fatalf("key %s not found in raw file", key)
	}
	rest := file[i:]
	// An entry ends at the next top-level key line.
	if j := strings.Index(rest[1:], "\n  \""); j >= 0 {
		rest = rest[:j+1]
	}
	set := map[string]bool{}
	for _, m := range templateVar.FindAllStringSubmatch(rest, -1) {
		set[m[1]] = true
	}
	var vs []string
	for v := range set {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return strings.Join(vs, ",")
}

func TestMoney(t *testing.T) {
	tr := loadTranslator(t)
	for _, tc := range []struct {
		lang kiosk.Language
		avos int
		want string
	}{
		{kiosk.LangEN, 400_00, "MOP 400.00"},
		{kiosk.LangEN, 5, "MOP 0.05"},
		{kiosk.LangPT, 120_50, "120,50 patacas"},
		{kiosk.LangZhHant, 150_00, "澳門元 150.00"},
	} {
		if got := tr.Money(tc.lang, tc.avos); got != tc.want {
			t.Errorf("money(%s, %d) = %q, want %q", tc.lang, tc.avos, got, tc.want)
		}
	}
}

// The key scan must see a key that only the code names: a literal key that the
// files lack is reported. This guards the guard.
func TestKeyScanFindsLiterals(t *testing.T) {
	keys := codeKeys(t)
	for _, k := range []string{"chrome.time_left", "keypad.delete", "done.reference"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("key scan missed %q", k)
		}
	}
}
