package config

import (
	"time"
)

// CardConfig configures the card reader and card verification. Owned by cardio/.
type CardConfig struct {
	// Reader is the PC/SC reader name to use; empty picks the first reader with a card.
	Reader string `mapstructure:"reader" yaml:"reader"`
	// AllowVirtual permits readers named like vpcd's ("Virtual PCD"). Never in production.
	AllowVirtual bool `mapstructure:"allow_virtual" yaml:"allow_virtual"`
	// TrustStore is a folder of CSCA certificates (PEM or DER) for passive authentication.
	TrustStore string `mapstructure:"trust_store" yaml:"trust_store"`
	// ReadTimeout bounds a whole card read.
	ReadTimeout time.Duration `mapstructure:"read_timeout" yaml:"read_timeout"`
}

func defaultCard() CardConfig {
	return CardConfig{
		TrustStore:  "/etc/dsi-kiosk/csca",
		ReadTimeout: 20 * time.Second,
	}
}

func (c CardConfig) validate() Problems {
	var ps Problems
	if c.TrustStore == "" {
		ps = append(ps, Problem{"card.trust_store", c.TrustStore, "a folder of CSCA certificates"})
	}
	if c.ReadTimeout < time.Second || c.ReadTimeout > 5*time.Minute {
		ps = append(ps, Problem{"card.read_timeout", c.ReadTimeout.String(), "between 1s and 5m"})
	}
	return ps
}
