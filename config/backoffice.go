package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"time"
)

// BackOfficeConfig is how the kiosk reaches DSI's back office (api/backoffice.yaml):
// HTTPS with mutual TLS only.
type BackOfficeConfig struct {
	// URL is the back office's https:// base URL; empty: no back office is configured
	// (the kiosk works offline: services needing the resident's record say they are
	// unavailable, applications wait in the outbox, nothing can be paid).
	URL string `mapstructure:"url" yaml:"url"`
	// CertFile and KeyFile are this kiosk's client certificate and key (PEM); the
	// certificate's common name must be kiosk.id.
	CertFile string `mapstructure:"cert_file" yaml:"cert_file"`
	KeyFile  string `mapstructure:"key_file" yaml:"key_file"`
	// CAFile holds the CA certificate(s) that issued the back office's certificate.
	CAFile string `mapstructure:"ca_file" yaml:"ca_file"`
	// Timeout bounds each call (connection and TLS handshake included).
	Timeout time.Duration `mapstructure:"timeout" yaml:"timeout"`
	// SealKeyFile is the back office's X25519 public key (PEM "PUBLIC KEY"). Passwords a
	// resident types (the One Account service password) are sealed to it at once and
	// never stored in clear; only the back office's private key opens them.
	SealKeyFile string `mapstructure:"seal_key_file" yaml:"seal_key_file"`
}

func defaultBackOffice() BackOfficeConfig {
	return BackOfficeConfig{SealKeyFile: "/etc/dsi-kiosk/backoffice-seal.pub", Timeout: 10 * time.Second}
}

func (b BackOfficeConfig) validate() Problems {
	var ps Problems
	if b.SealKeyFile == "" || !filepath.IsAbs(b.SealKeyFile) {
		ps = append(ps, Problem{"backoffice.seal_key_file", b.SealKeyFile, "an absolute file path"})
	}
	if b.Timeout < time.Second || b.Timeout > time.Minute {
		ps = append(ps, Problem{"backoffice.timeout", fmt.Sprint(b.Timeout), "between 1s and 1m"})
	}
	if b.URL == "" {
		return ps
	}
	if u, err := url.Parse(b.URL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		ps = append(ps, Problem{"backoffice.url", b.URL, "an https:// URL (the back office is reached over mutual TLS), or empty for none"})
	}
	for _, f := range []struct{ key, v string }{{"backoffice.cert_file", b.CertFile}, {"backoffice.key_file", b.KeyFile}, {"backoffice.ca_file", b.CAFile}} {
		if f.v == "" || !filepath.IsAbs(f.v) {
			ps = append(ps, Problem{f.key, f.v, "an absolute file path (required with backoffice.url)"})
		}
	}
	return ps
}
