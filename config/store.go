package config

import (
	"path/filepath"
	"time"
)

// StoreConfig locates the SQLite database and the audit hashing key.
type StoreConfig struct {
	// Path of the SQLite database file (WAL mode).
	Path string `mapstructure:"path" yaml:"path"`
	// SubjectKeyFile holds the per-kiosk secret used to hash card numbers in the audit
	// log and applications; created (0600) on first start if missing.
	SubjectKeyFile string `mapstructure:"subject_key_file" yaml:"subject_key_file"`
	// AuditKeyFile holds the key of the audit log's keyed hash chain; created (0600)
	// on first start. The chain's head is anchored beside it (audit.head). Empty:
	// audit.key beside the database (in production, beside the subject key), so that
	// a database moved with store.path never meets another database's anchor.
	AuditKeyFile string `mapstructure:"audit_key_file" yaml:"audit_key_file"`
	// HealthInterval is how often a health sample is stored.
	HealthInterval time.Duration `mapstructure:"health_interval" yaml:"health_interval"`
	// Retention is how long the kiosk keeps what the back office already has: once a
	// day, delivered applications' payloads (forms, new photos) older than this are
	// wiped and sessions left open since before it are closed, audited (store.purge).
	Retention time.Duration `mapstructure:"retention" yaml:"retention"`
}

func defaultStore() StoreConfig {
	return StoreConfig{
		Path:           "/var/lib/dsi-kiosk/kiosk.db",
		SubjectKeyFile: "/var/lib/dsi-kiosk/subject.key",
		HealthInterval: 5 * time.Minute,
		Retention:      30 * 24 * time.Hour,
	}
}

func (s StoreConfig) validate() Problems {
	var ps Problems
	if s.Path == "" || !filepath.IsAbs(s.Path) && s.Path != ":memory:" {
		ps = append(ps, Problem{"store.path", s.Path, "an absolute file path"})
	}
	if s.SubjectKeyFile == "" || !filepath.IsAbs(s.SubjectKeyFile) {
		ps = append(ps, Problem{"store.subject_key_file", s.SubjectKeyFile, "an absolute file path"})
	}
	if s.AuditKeyFile != "" && !filepath.IsAbs(s.AuditKeyFile) {
		ps = append(ps, Problem{"store.audit_key_file", s.AuditKeyFile, "empty (beside the database) or an absolute file path"})
	}
	if s.HealthInterval < 10*time.Second || s.HealthInterval > 24*time.Hour {
		ps = append(ps, Problem{"store.health_interval", s.HealthInterval.String(), "between 10s and 24h"})
	}
	if s.Retention < 24*time.Hour || s.Retention > 365*24*time.Hour {
		ps = append(ps, Problem{"store.retention", s.Retention.String(), "between 24h and 8760h (a year)"})
	}
	return ps
}
