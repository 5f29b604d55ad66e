package config

import (
	"net"
	"net/netip"
	"strconv"
)

// MetricsConfig is the Prometheus metrics endpoint (package metrics, wired in
// cmd/kiosk/metrics.go).
type MetricsConfig struct {
	// Listen is host:port of the endpoint (/metrics); empty turns it off. The metrics
	// carry no personal data, but they tell anyone who can reach them what the kiosk
	// is doing, so the default is loopback: a local Prometheus agent, or a reverse
	// proxy with TLS, scrapes it (packaging/monitoring/README.md).
	Listen string `mapstructure:"listen" yaml:"listen"`
	// AllowRemote accepts a Listen address that is not loopback (all interfaces, a LAN
	// address). Only for a kiosk whose metrics port is firewalled to the monitoring
	// host: the endpoint itself has no TLS and no authentication.
	AllowRemote bool `mapstructure:"allow_remote" yaml:"allow_remote"`
}

func defaultMetrics() MetricsConfig {
	return MetricsConfig{Listen: "127.0.0.1:9470"}
}

func (m MetricsConfig) validate() Problems {
	if m.Listen == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(m.Listen)
	if err != nil {
		return Problems{{"metrics.listen", m.Listen, "host:port (e.g. 127.0.0.1:9470), or empty for no metrics endpoint"}}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return Problems{{"metrics.listen", m.Listen, "a port between 0 and 65535"}}
	}
	if !m.AllowRemote && !loopbackHost(host) {
		return Problems{{"metrics.listen", m.Listen, "a loopback address (127.0.0.1, [::1] or localhost) unless metrics.allow_remote is true"}}
	}
	return nil
}

// loopbackHost accepts only literal loopback addresses and "localhost": an empty host
// listens on every interface, and any other name could resolve anywhere.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
