package config

import (
	"strings"
	"testing"
)

func TestMetricsListen(t *testing.T) {
	tests := []struct {
		name, file string
		env        []string
		want       string // "" = valid; else a substring of the problem
	}{
		{"default loopback", "", nil, ""},
		{"off", "metrics:\n  listen: \"\"\n", nil, ""},
		{"ipv6 loopback", "metrics:\n  listen: \"[::1]:9470\"\n", nil, ""},
		{"localhost", "metrics:\n  listen: localhost:9470\n", nil, ""},
		{"port 0 (tests)", "metrics:\n  listen: 127.0.0.1:0\n", nil, ""},
		{"all interfaces refused", "metrics:\n  listen: 0.0.0.0:9470\n", nil, `metrics.listen = "0.0.0.0:9470": a loopback address`},
		{"empty host refused", "metrics:\n  listen: \":9470\"\n", nil, `metrics.listen = ":9470": a loopback address`},
		{"LAN address refused", "", []string{"KIOSK_METRICS_LISTEN=10.1.2.3:9470"}, `a loopback address`},
		{"host name refused", "metrics:\n  listen: metrics.example:9470\n", nil, `a loopback address`},
		{"remote allowed", "metrics:\n  listen: 0.0.0.0:9470\n  allow_remote: true\n", nil, ""},
		{"no port", "metrics:\n  listen: 127.0.0.1\n", nil, `metrics.listen = "127.0.0.1": host:port`},
		{"bad port", "metrics:\n  listen: 127.0.0.1:99999\n", nil, `a port between 0 and 65535`},
		{"named port", "metrics:\n  listen: 127.0.0.1:http\n", nil, `a port between 0 and 65535`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, tt.file)
			cfg, _, err := load(file, "/nonexistent", tt.env)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Count(err.Error(), "\n") != 0 {
				t.Fatalf("want one problem containing %q, got %v (cfg %+v)", tt.want, err, cfg.Metrics)
			}
		})
	}
}
