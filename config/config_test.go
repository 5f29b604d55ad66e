package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/viper"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kiosk.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsAreValid(t *testing.T) {
	if ps := Default().Validate(); len(ps) != 0 {
		t.Fatalf("defaults invalid: %v", ps)
	}
	cfg, src, err := load("", filepath.Join(t.TempDir(), "absent.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.File != "" || !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("no file, no env: got %+v from %q", cfg, src.File)
	}
}

func TestLoadLayers(t *testing.T) {
	file := writeFile(t, "face:\n  match_threshold: 0.5\nui:\n  language: pt\n")
	cfg, src, err := load(file, "/nonexistent", []string{"KIOSK_FACE_MATCH_THRESHOLD=0.45", "KIOSK_UI_SCREEN_TIMEOUT=90s", "PATH=/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if src.File != file {
		t.Errorf("source = %q", src.File)
	}
	if cfg.Face.MatchThreshold != 0.45 {
		t.Errorf("env must override file: threshold = %v", cfg.Face.MatchThreshold)
	}
	if cfg.UI.Language != "pt" || cfg.UI.ScreenTimeout != 90*time.Second {
		t.Errorf("ui = %+v", cfg.UI)
	}
	if cfg.Store.Path != Default().Store.Path {
		t.Errorf("untouched key lost its default: %q", cfg.Store.Path)
	}
}

func TestFallbackPathUsedWhenPresent(t *testing.T) {
	file := writeFile(t, "kiosk:\n  id: kiosk-taipa-03\n")
	cfg, src, err := load("", file, nil)
	if err != nil || cfg.Kiosk.ID != "kiosk-taipa-03" || src.File != file {
		t.Fatalf("cfg=%+v src=%v err=%v", cfg.Kiosk, src, err)
	}
}

func TestBadConfigOneLinePerProblem(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  []string
		want []string // one substring per expected line, in order
	}{
		{"unknown key with suggestion", "face:\n  match_treshold: 0.5\n", nil,
			[]string{`face.match_treshold = "0.5": unknown key (did you mean face.match_threshold?)`}},
		{"unknown section", "printer:\n  model: x\n", nil, []string{`printer.model = "x": unknown key`}},
		{"wrong type", "face:\n  challenge_timeout: soon\n", nil, []string{`face.challenge_timeout = "soon": wrong type: expected a duration`}},
		{"out of range", "face:\n  match_threshold: 1.5\n", nil, []string{`face.match_threshold = "1.5": a number between 0 and 1`}},
		{"bad enum", "kiosk:\n  mode: prod\n", nil, []string{`kiosk.mode = "prod": one of production, demo, development`}},
		{"unknown env", "", []string{"KIOSK_FACE_THRESHOLD=0.3"}, []string{`KIOSK_FACE_THRESHOLD = "0.3": unknown environment variable`}},
		{"bad env value", "", []string{"KIOSK_FACE_CAMERA_FPS=fast"}, []string{`face.camera.fps = "fast": wrong type: expected a whole number`}},
		{"virtual reader in production", "card:\n  allow_virtual: true\n", nil, []string{`card.allow_virtual = "true": must be false when kiosk.mode is production`}},
		{"file camera in production", "face:\n  camera:\n    video: /tmp/x.mp4\n", nil, []string{`face.camera = "/tmp/x.mp4": file cameras are refused`}},
		{"several at once", "kiosk:\n  log_level: loud\nui:\n  language: fr\n", nil,
			[]string{`kiosk.log_level = "loud"`, `ui.language = "fr": one of zh-Hant, pt, en`}},
		{"not yaml", "face: [unclosed\n", nil, []string{`valid YAML`}},
		{"retention under a day", "store:\n  retention: 1h\n", nil, []string{`store.retention = "1h0m0s": between 24h and 8760h (a year)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := ""
			if tc.file != "" {
				file = writeFile(t, tc.file)
			}
			_, _, err := load(file, "/nonexistent", tc.env)
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("err = %v, want Problems", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestDemoModeAllowsVirtualDevices(t *testing.T) {
	file := writeFile(t, "kiosk:\n  mode: demo\ncard:\n  allow_virtual: true\nface:\n  camera:\n    video: /tmp/demo.mp4\n")
	if _, _, err := load(file, "/nonexistent", nil); err != nil {
		t.Fatalf("demo config refused: %v", err)
	}
}

func TestMissingExplicitFile(t *testing.T) {
	_, _, err := load("/nonexistent/kiosk.yaml", "/nonexistent", nil)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/kiosk.yaml") {
		t.Fatalf("err = %v", err)
	}
}

// TestSampleDocumentsEveryKey keeps packaging/kiosk.sample.yaml complete and valid.
func TestSampleDocumentsEveryKey(t *testing.T) {
	sample := filepath.Join("..", "packaging", "kiosk.sample.yaml")
	if _, _, err := load(sample, "/nonexistent", nil); err != nil {
		t.Fatalf("sample does not load: %v", err)
	}
	v := viper.New()
	v.SetConfigFile(sample)
	if err := v.ReadInConfig(); err != nil {
		t.Fatal(err)
	}
	inSample := map[string]bool{}
	for _, k := range v.AllKeys() {
		inSample[k] = true
	}
	d := viper.New()
	d.SetConfigType("yaml")
	if err := d.ReadConfig(strings.NewReader(Default().YAML())); err != nil {
		t.Fatal(err)
	}
	for _, k := range d.AllKeys() {
		if !inSample[k] {
			t.Errorf("key %s is not documented in packaging/kiosk.sample.yaml", k)
		}
	}
}

func TestTypeAndRangeProblemsTogether(t *testing.T) {
	file := writeFile(t, "face:\n  challenge_timeout: soon\n  match_threshold: 2\n")
	_, _, err := load(file, "/nonexistent", nil)
	if err == nil || strings.Count(err.Error(), "\n") != 1 ||
		!strings.Contains(err.Error(), "face.challenge_timeout") || !strings.Contains(err.Error(), "face.match_threshold") {
		t.Fatalf("want both problems, one line each; got:\n%v", err)
	}
}
