package config

import "fmt"

// Kiosk modes. Production refuses virtual readers and file cameras.
const (
	ModeProduction  = "production"
	ModeDemo        = "demo"
	ModeDevelopment = "development"
)

// KioskConfig identifies the kiosk and how it runs.
type KioskConfig struct {
	// ID names this kiosk in the audit log and to the back office.
	ID string `mapstructure:"id" yaml:"id"`
	// Mode is production, demo or development.
	Mode string `mapstructure:"mode" yaml:"mode"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `mapstructure:"log_level" yaml:"log_level"`
}

func defaultKiosk() KioskConfig {
	return KioskConfig{ID: "kiosk-dev-01", Mode: ModeProduction, LogLevel: "info"}
}

func (k KioskConfig) validate() Problems {
	var ps Problems
	if k.ID == "" || len(k.ID) > 64 {
		ps = append(ps, Problem{"kiosk.id", k.ID, "1 to 64 characters"})
	}
	switch k.Mode {
	case ModeProduction, ModeDemo, ModeDevelopment:
	default:
		ps = append(ps, Problem{"kiosk.mode", k.Mode, fmt.Sprintf("one of %s, %s, %s", ModeProduction, ModeDemo, ModeDevelopment)})
	}
	switch k.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		ps = append(ps, Problem{"kiosk.log_level", k.LogLevel, "one of debug, info, warn, error"})
	}
	return ps
}
