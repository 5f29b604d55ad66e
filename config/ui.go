package config

import (
	"fmt"
	"time"
)

// UIConfig configures the screens. Owned by app/.
type UIConfig struct {
	// Fullscreen is false only for development (--windowed).
	Fullscreen bool `mapstructure:"fullscreen" yaml:"fullscreen"`
	// Language is the attract screen's first language: zh-Hant, pt or en.
	Language string `mapstructure:"language" yaml:"language"`
	// ScreenTimeout is how long a screen waits for the resident before asking
	// "need more time?".
	ScreenTimeout time.Duration `mapstructure:"screen_timeout" yaml:"screen_timeout"`
	// FontFile is a CJK .ttf/.otf; empty uses the bundled search list.
	FontFile string `mapstructure:"font_file" yaml:"font_file"`
}

func defaultUI() UIConfig {
	return UIConfig{Fullscreen: true, Language: "zh-Hant", ScreenTimeout: 60 * time.Second}
}

func (u UIConfig) validate() Problems {
	var ps Problems
	switch u.Language {
	case "zh-Hant", "pt", "en":
	default:
		ps = append(ps, Problem{"ui.language", u.Language, "one of zh-Hant, pt, en"})
	}
	if u.ScreenTimeout < 10*time.Second || u.ScreenTimeout > 10*time.Minute {
		ps = append(ps, Problem{"ui.screen_timeout", fmt.Sprint(u.ScreenTimeout), "between 10s and 10m"})
	}
	return ps
}
