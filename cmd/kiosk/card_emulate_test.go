package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCardEmulateRefusals(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("document_number: x\n"), 0o600)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"production mode", map[string]string{"KIOSK_KIOSK_MODE": "production"}, nil, "production"},
		{"wrong port", map[string]string{"KIOSK_KIOSK_MODE": "development"}, []string{"--reader-port", "35965"}, "35963 or 35964"},
		{"bad profile", map[string]string{"KIOSK_KIOSK_MODE": "demo"}, []string{"--reader-port", "35963", "--profile", bad}, "bad card profile"},
		{"missing profile", map[string]string{"KIOSK_KIOSK_MODE": "demo"}, []string{"--reader-port", "35963", "--profile", bad + ".none"}, "reading profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.env, append([]string{"card", "emulate"}, tc.args...)...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 mentioning %q", code, stderr, tc.want)
			}
		})
	}
}
