package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// floatKeys lists the dotted key of every float field of Config, found by walking the
// struct (independently of the code under test), so a float key added later is
// covered by TestEveryFloatKeyRefusesNonFinite without editing it.
func floatKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	var walk func(typ reflect.Type, prefix string)
	walk = func(typ reflect.Type, prefix string) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
			key := tag
			if prefix != "" {
				key = prefix + "." + tag
			}
			switch f.Type.Kind() {
			case reflect.Struct:
				if f.Type.String() != "time.Time" {
					walk(f.Type, key)
				}
			case reflect.Float32, reflect.Float64:
				keys = append(keys, key)
			case reflect.Map, reflect.Pointer, reflect.Interface, reflect.Array:
				// Neither the check nor this table would see floats hidden there.
				t.Fatalf("%s is a %s: extend the finite-number check and this walk", key, f.Type.Kind())
			case reflect.Slice:
				if k := f.Type.Elem().Kind(); k == reflect.Float32 || k == reflect.Float64 || k == reflect.Struct {
					t.Fatalf("%s is a slice of %s: extend the finite-number check and this walk", key, k)
				}
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	// Guard the walk itself: these are float keys today.
	for _, want := range []string{"face.match_threshold", "face.detect_confidence", "face.quality.max_yaw", "face.liveness.passive_min"} {
		if !contains(keys, want) {
			t.Fatalf("walk missed %s; found %v", want, keys)
		}
	}
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// TestEveryFloatKeyRefusesNonFinite: NaN passed "v < lo || v > hi" range checks, so
// KIOSK_FACE_DETECT_CONFIDENCE=NaN let two different people match and
// KIOSK_FACE_MATCH_THRESHOLD=NaN made nobody match. Every float key, from the
// environment and from the file, must refuse NaN and both infinities with exactly one
// line naming the key.
func TestEveryFloatKeyRefusesNonFinite(t *testing.T) {
	for _, key := range floatKeys(t) {
		parts := strings.Split(key, ".")
		for _, tc := range []struct{ env, yaml string }{
			{"NaN", ".nan"}, {"nan", ".NaN"}, {"Inf", ".inf"}, {"-Inf", "-.inf"}, {"+Infinity", "+.Inf"},
		} {
			t.Run(key+"/env="+tc.env, func(t *testing.T) {
				_, _, err := load("", "/nonexistent", []string{envName(key) + "=" + tc.env})
				wantOneProblem(t, err, key)
			})
			t.Run(key+"/yaml="+tc.yaml, func(t *testing.T) {
				var b strings.Builder
				for i, p := range parts {
					fmt.Fprintf(&b, "%s%s:", strings.Repeat("  ", i), p)
					if i == len(parts)-1 {
						b.WriteString(" " + tc.yaml)
					}
					b.WriteString("\n")
				}
				_, _, err := load(writeFile(t, b.String()), "/nonexistent", nil)
				wantOneProblem(t, err, key)
			})
		}
	}
}

func wantOneProblem(t *testing.T, err error, key string) {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v, want Problems for %s", err, key)
	}
	if len(ps) != 1 || ps[0].Key != key || !strings.Contains(ps[0].Allowed, "finite") {
		t.Fatalf("want one 'finite' problem for %s, got:\n%v", key, ps)
	}
}

// TestValidateRefusesNonFiniteDirectly covers configurations built in code (tests,
// tools) that never went through load.
func TestValidateRefusesNonFiniteDirectly(t *testing.T) {
	c := Default()
	c.Face.MatchThreshold = nanValue()
	c.Face.Quality.MaxYaw = posInf()
	ps := c.Validate()
	if len(ps) != 2 || ps[0].Key != "face.match_threshold" || ps[1].Key != "face.quality.max_yaw" {
		t.Fatalf("got %v", ps)
	}
}

func nanValue() float64 { var z float64; return z / z }
func posInf() float64   { var z float64; return 1 / z }

// TestHugeValueEchoIsBounded: a bad value is quoted in the error, but a 5 MB one is
// cut with an ellipsis and its length, never repeated whole.
func TestHugeValueEchoIsBounded(t *testing.T) {
	const n = 5 << 20
	for _, tc := range []struct {
		name string
		env  string
		key  string
		size int // bytes of the echoed value (or key)
	}{
		{"float out of range", "KIOSK_FACE_MATCH_THRESHOLD=" + strings.Repeat("9", n), "face.match_threshold", n},
		{"string value", "KIOSK_KIOSK_MODE=" + strings.Repeat("é", n/2), "kiosk.mode", n},
		{"unknown variable", "KIOSK_" + strings.Repeat("X", n) + "=1", "KIOSK_XXXX", n + len("KIOSK_")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := load("", "/nonexistent", []string{tc.env})
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if len(msg) > 400 || !strings.Contains(msg, "…") || !strings.Contains(msg, fmt.Sprintf("(%d bytes)", tc.size)) || !strings.Contains(msg, tc.key) {
				t.Fatalf("error of %d bytes: %.400s", len(msg), msg)
			}
			if !strings.Contains(msg, "config: ") || strings.Count(msg, "\n") != 0 {
				t.Fatalf("want one line: %.400s", msg)
			}
		})
	}
}

// TestHugeUnknownKeyIsCheap: suggesting a key for a 5 MB typo would cost the edit
// distance of 5 MB against every key; it is skipped, and the echo is bounded.
func TestHugeUnknownKeyIsCheap(t *testing.T) {
	key := strings.Repeat("k", 5<<20)
	_, _, err := load(writeFile(t, "face:\n  ? "+key+"\n  : 1\n"), "/nonexistent", nil)
	if err == nil || len(err.Error()) > 400 || !strings.Contains(err.Error(), "unknown key") {
		t.Fatalf("err = %.400v", err)
	}
}
