package config

import "path/filepath"

// BackOfficeConfig is how the kiosk reaches DSI's back office.
type BackOfficeConfig struct {
	// SealKeyFile is the back office's X25519 public key (PEM "PUBLIC KEY"). Passwords a
	// resident types (the One Account service password) are sealed to it at once and
	// never stored in clear; only the back office's private key opens them.
	SealKeyFile string `mapstructure:"seal_key_file" yaml:"seal_key_file"`
}

func defaultBackOffice() BackOfficeConfig {
	return BackOfficeConfig{SealKeyFile: "/etc/dsi-kiosk/backoffice-seal.pub"}
}

func (b BackOfficeConfig) validate() Problems {
	var ps Problems
	if b.SealKeyFile == "" || !filepath.IsAbs(b.SealKeyFile) {
		ps = append(ps, Problem{"backoffice.seal_key_file", b.SealKeyFile, "an absolute file path"})
	}
	return ps
}
