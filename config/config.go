// Package config loads the kiosk's configuration with viper: embedded defaults, then
// /etc/dsi-kiosk/kiosk.yaml (or --config FILE), then KIOSK_* environment variables.
//
// Loading is strict: an unknown key (in the file or the environment) or a value out of
// range is a Problem, reported one per line before anything starts, so a typo never
// silently falls back to a default.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"
)

// DefaultPath is where an installed kiosk reads its configuration.
const DefaultPath = "/etc/dsi-kiosk/kiosk.yaml"

// EnvPrefix prefixes environment overrides: face.match_threshold is KIOSK_FACE_MATCH_THRESHOLD.
const EnvPrefix = "KIOSK"

// Config is the whole configuration. Each section lives in its own file with its
// defaults and its validation.
type Config struct {
	Kiosk KioskConfig `mapstructure:"kiosk" yaml:"kiosk"`
	Card  CardConfig  `mapstructure:"card" yaml:"card"`
	Face  FaceConfig  `mapstructure:"face" yaml:"face"`
	Store StoreConfig `mapstructure:"store" yaml:"store"`
	UI    UIConfig    `mapstructure:"ui" yaml:"ui"`
	// Printer is the receipt printer (config/printer.go).
	Printer PrinterConfig `mapstructure:"printer" yaml:"printer"`
	// Services are the public rules DSI may change: fees, office hours (config/services.go).
	Services ServicesConfig `mapstructure:"services" yaml:"services"`
	// Staff is staff mode on the screen (config/staff.go).
	Staff StaffConfig `mapstructure:"staff" yaml:"staff"`
	// BackOffice is DSI's back office (config/backoffice.go).
	BackOffice BackOfficeConfig `mapstructure:"backoffice" yaml:"backoffice"`
	// Payment is how paid services are paid: wallet QR, card terminal (config/payment.go).
	Payment PaymentConfig `mapstructure:"payment" yaml:"payment"`
	// Metrics is the Prometheus endpoint (config/metrics.go).
	Metrics MetricsConfig `mapstructure:"metrics" yaml:"metrics"`
}

// Default returns the embedded defaults.
func Default() Config {
	return Config{
		Kiosk:      defaultKiosk(),
		Card:       defaultCard(),
		Face:       defaultFace(),
		Store:      defaultStore(),
		UI:         defaultUI(),
		Printer:    defaultPrinter(),
		Services:   defaultServices(),
		Staff:      defaultStaff(),
		BackOffice: defaultBackOffice(),
		Payment:    defaultPayment(),
		Metrics:    defaultMetrics(),
	}
}

// Problem is one bad configuration entry.
type Problem struct {
	Key     string
	Value   string
	Allowed string
}

func (p Problem) String() string {
	return fmt.Sprintf("config: %s = %s: %s", echo(p.Key), quoteEcho(p.Value), p.Allowed)
}

// maxEcho bounds how much of a bad key or value a Problem repeats: a 50 MB
// environment variable must not become a 50 MB error message (or log line).
const maxEcho = 80

// quoteEcho quotes v, cut to maxEcho bytes with an ellipsis and the original length.
func quoteEcho(v string) string {
	if len(v) <= maxEcho {
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%q (%d bytes)", cutEcho(v), len(v))
}

// echo is quoteEcho for keys, which are shown unquoted.
func echo(k string) string {
	if len(k) <= maxEcho {
		return k
	}
	return fmt.Sprintf("%s (%d bytes)", cutEcho(k), len(k))
}

// cutEcho keeps the first maxEcho bytes, backing off to a rune boundary.
func cutEcho(v string) string {
	n := maxEcho
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n] + "…"
}

// Problems is returned by Load when the configuration is not usable.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Source says where the configuration came from.
type Source struct {
	File string // "" when only defaults and environment were used
}

// Load builds the configuration. explicit is the --config flag ("" if not given); a
// missing explicit file is a problem, a missing DefaultPath is not. environ is
// os.Environ() in production (injected for tests).
func Load(explicit string, environ []string) (Config, Source, error) {
	return load(explicit, DefaultPath, environ)
}

func load(explicit, fallback string, environ []string) (Config, Source, error) {
	def := Default()
	v := viper.New()
	v.SetConfigType("yaml")
	defYAML, err := yaml.Marshal(def)
	if err != nil {
		return Config{}, Source{}, fmt.Errorf("config: encoding defaults: %w", err)
	}
	if err := v.ReadConfig(bytes.NewReader(defYAML)); err != nil {
		return Config{}, Source{}, fmt.Errorf("config: reading defaults: %w", err)
	}
	defaults := viper.New()
	defaults.SetConfigType("yaml")
	if err := defaults.ReadConfig(bytes.NewReader(defYAML)); err != nil {
		return Config{}, Source{}, fmt.Errorf("config: reading defaults: %w", err)
	}
	known := map[string]bool{}
	for _, k := range v.AllKeys() {
		known[k] = true
	}

	var problems Problems
	var src Source
	path := explicit
	if path == "" {
		if _, err := os.Stat(fallback); err == nil {
			path = fallback
		}
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, Source{}, Problems{{Key: "--config", Value: path, Allowed: "a readable YAML file (" + errText(err) + ")"}}
		}
		fileV := viper.New()
		fileV.SetConfigType("yaml")
		if err := fileV.ReadConfig(bytes.NewReader(data)); err != nil {
			return Config{}, Source{}, Problems{{Key: "--config", Value: path, Allowed: "valid YAML (" + errText(err) + ")"}}
		}
		for _, k := range fileV.AllKeys() {
			if !known[k] {
				problems = append(problems, Problem{Key: k, Value: fmt.Sprint(fileV.Get(k)), Allowed: "unknown key (" + suggest(k, known) + ")"})
			}
		}
		if err := v.MergeConfig(bytes.NewReader(data)); err != nil {
			return Config{}, Source{}, Problems{{Key: "--config", Value: path, Allowed: "valid YAML (" + errText(err) + ")"}}
		}
		src.File = path
	}

	// Environment: KIOSK_SECTION_KEY for every known key; any other KIOSK_ variable
	// is a typo and a problem.
	envKey := func(k string) string {
		return EnvPrefix + "_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(k))
	}
	byEnv := map[string]string{}
	for k := range known {
		byEnv[envKey(k)] = k
	}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix+"_") {
			continue
		}
		k, isKnown := byEnv[name]
		if !isKnown {
			if ignoredEnv[name] {
				continue
			}
			problems = append(problems, Problem{Key: name, Value: val, Allowed: "unknown environment variable (keys are " + EnvPrefix + "_<SECTION>_<KEY>)"})
			continue
		}
		if reflect.TypeOf(v.Get(k)) != nil && reflect.TypeOf(v.Get(k)).Kind() == reflect.Slice {
			v.Set(k, strings.Split(val, ","))
		} else {
			v.Set(k, val)
		}
	}

	var cfg Config
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           &cfg,
		WeaklyTypedInput: true,
		ErrorUnused:      false,
		DecodeHook:       mapstructure.ComposeDecodeHookFunc(mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(",")),
	})
	if err != nil {
		return Config{}, Source{}, err
	}
	// Decode key by key so that each bad value gets its own line.
	for _, k := range sortedKeys(known) {
		one := map[string]any{}
		setPath(one, strings.Split(k, "."), v.Get(k))
		probe := Default()
		dec1, _ := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
			Result: &probe, WeaklyTypedInput: true,
			DecodeHook: mapstructure.ComposeDecodeHookFunc(mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(",")),
		})
		if err := dec1.Decode(one); err != nil {
			problems = append(problems, Problem{Key: k, Value: fmt.Sprint(v.Get(k)), Allowed: "wrong type: expected " + kindOf(def, k)})
			// Put the default back so the other keys still get validated below.
			v.Set(k, defaults.Get(k))
		}
	}
	if err := dec.Decode(v.AllSettings()); err != nil {
		return Config{}, src, Problems{{Key: "config", Value: "", Allowed: errText(err)}}
	}
	problems = append(problems, cfg.Validate()...)
	if len(problems) > 0 {
		sortProblems(problems)
		return Config{}, src, problems
	}
	return cfg, src, nil
}

// ignoredEnv are KIOSK_ variables that are not configuration keys.
var ignoredEnv = map[string]bool{
	"KIOSK_MODELS_DIR": true, // read by packaging/fetch-models.sh; face.models_dir is the key
}

// Validate checks every section and returns one Problem per bad value.
func (c Config) Validate() Problems {
	// NaN compares false with everything, so a range check written as
	// "v < lo || v > hi" lets it through, and a NaN threshold silently disables
	// the face match. Every float key is checked here first, found by reflection so
	// a new key cannot be forgotten; the sections' range checks then skip those keys.
	nonFinite := nonFiniteFloats(reflect.ValueOf(c), "")
	var ps Problems
	keys := make([]string, 0, len(nonFinite))
	for k := range nonFinite {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ps = append(ps, Problem{Key: k, Value: fmt.Sprint(nonFinite[k]), Allowed: "a finite number (not NaN or infinity)"})
	}
	for _, p := range c.validateSections() {
		if _, bad := nonFinite[p.Key]; !bad {
			ps = append(ps, p)
		}
	}
	return ps
}

// nonFiniteFloats returns the dotted keys (mapstructure tags) of every float field
// under v that is NaN or infinite, with their values.
func nonFiniteFloats(v reflect.Value, prefix string) map[string]float64 {
	out := map[string]float64{}
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		switch v.Kind() {
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("mapstructure"), ",")
				if tag == "" || tag == "-" {
					continue
				}
				key := tag
				if prefix != "" {
					key = prefix + "." + tag
				}
				walk(v.Field(i), key)
			}
		case reflect.Float32, reflect.Float64:
			if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
				out[prefix] = f
			}
		}
	}
	walk(v, prefix)
	return out
}

func (c Config) validateSections() Problems {
	var ps Problems
	ps = append(ps, c.Kiosk.validate()...)
	ps = append(ps, c.Card.validate()...)
	ps = append(ps, c.Face.validate()...)
	ps = append(ps, c.Store.validate()...)
	ps = append(ps, c.UI.validate()...)
	ps = append(ps, c.Services.validate()...)
	ps = append(ps, c.Staff.validate()...)
	ps = append(ps, c.BackOffice.validate()...)
	ps = append(ps, c.Payment.validate(c.Kiosk.Mode, c.BackOffice.URL)...)
	ps = append(ps, c.Metrics.validate()...)
	ps = append(ps, c.Printer.validate(c.Kiosk.Mode)...)
	// Demo and virtual devices can never be enabled by accident in production.
	if c.Kiosk.Mode == ModeProduction {
		if c.Card.AllowVirtual {
			ps = append(ps, Problem{Key: "card.allow_virtual", Value: "true", Allowed: "must be false when kiosk.mode is production"})
		}
		if c.Face.Camera.Video != "" || c.Face.Camera.Images != "" {
			ps = append(ps, Problem{Key: "face.camera", Value: c.Face.Camera.Video + c.Face.Camera.Images, Allowed: "file cameras are refused when kiosk.mode is production"})
		}
		ps = append(ps, c.Face.Camera.validateDevice()...)
	}
	return ps
}

// YAML renders the configuration (used by `kiosk config show`).
func (c Config) YAML() string {
	b, _ := yaml.Marshal(c)
	return string(b)
}

func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func setPath(m map[string]any, parts []string, val any) {
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = val
}

// kindOf names the Go type behind a dotted key of the default config.
func kindOf(def Config, key string) string {
	val := reflect.ValueOf(def)
	for _, part := range strings.Split(key, ".") {
		found := false
		for i := 0; i < val.NumField(); i++ {
			if tag, _, _ := strings.Cut(val.Type().Field(i).Tag.Get("mapstructure"), ","); tag == part {
				val = val.Field(i)
				found = true
				break
			}
		}
		if !found {
			return "a value"
		}
	}
	switch {
	case val.Type().String() == "time.Duration":
		return "a duration like 90s or 2m"
	case val.Kind() == reflect.Bool:
		return "true or false"
	case val.Kind() == reflect.Int || val.Kind() == reflect.Int64:
		return "a whole number"
	case val.Kind() == reflect.Float64:
		return "a number"
	case val.Kind() == reflect.Slice:
		return "a list"
	default:
		return "a string"
	}
}

// suggest proposes the closest known key for a typo.
func suggest(k string, known map[string]bool) string {
	best, bestD := "", 1<<30
	if len(k) > maxEcho {
		// No key is that long, and the distance costs len(k) per known key.
		return "see packaging/kiosk.sample.yaml for every key"
	}
	for c := range known {
		if d := levenshtein(k, c); d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	if best != "" && bestD <= 4 {
		return "did you mean " + best + "?"
	}
	return "see packaging/kiosk.sample.yaml for every key"
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
