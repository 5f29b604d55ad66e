package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes as the configuration file and as one environment
// override. Load must never panic, and whatever it accepts must validate: a file
// that loads is a configuration the kiosk would start with.
func FuzzLoad(f *testing.F) {
	sample, err := os.ReadFile(filepath.Join("..", "packaging", "kiosk.sample.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample, "KIOSK_FACE_MATCH_THRESHOLD=0.4")
	f.Add([]byte("face:\n  match_threshold: .nan\n"), "")
	f.Add([]byte("metrics:\n  listen: 0.0.0.0:9470\n"), "KIOSK_METRICS_ALLOW_REMOTE=true")
	f.Add([]byte("services:\n  fees:\n    passport: \"1e9\"\n"), "KIOSK_UI_SCREEN_TIMEOUT=-1s")
	f.Add([]byte("kiosk: [1, 2\n"), "KIOSK_STORE_PATH=")
	f.Add([]byte("&a [*a]"), "KIOSK_PRINTER_QUEUE=-x")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, file []byte, env string) {
		if len(file) > 64<<10 {
			return // the parser's cost, not its correctness
		}
		p := filepath.Join(dir, "kiosk.yaml")
		if err := os.WriteFile(p, file, 0o600); err != nil {
			t.Fatal(err)
		}
		var environ []string
		if strings.HasPrefix(env, EnvPrefix+"_") {
			environ = []string{env}
		}
		cfg, _, err := load(p, "/nonexistent", environ)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a rejected configuration must say why")
			}
			return
		}
		if ps := cfg.Validate(); len(ps) != 0 {
			t.Fatalf("accepted a configuration that does not validate: %v", ps)
		}
	})
}
