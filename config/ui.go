package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	// FontFile is a CJK .ttf/.otf that replaces the bundled Droid Sans Fallback; empty
	// uses the bundled font (assets/fonts).
	FontFile string `mapstructure:"font_file" yaml:"font_file"`
	// PromptsDir holds the spoken prompts (WAV per language and prompt, rendered by
	// packaging/render-prompts.sh); a prompt not there is simply not spoken.
	PromptsDir string `mapstructure:"prompts_dir" yaml:"prompts_dir"`
}

func defaultUI() UIConfig {
	return UIConfig{Fullscreen: true, Language: "zh-Hant", ScreenTimeout: 60 * time.Second, PromptsDir: "/var/cache/dsi-kiosk/prompts"}
}

func (u UIConfig) validate() Problems {
	var ps Problems
	switch u.Language {
	case "zh-Hant", "pt", "en":
	default:
		ps = append(ps, Problem{"ui.language", u.Language, "one of zh-Hant, pt, en"})
	}
	if u.PromptsDir == "" || !filepath.IsAbs(u.PromptsDir) {
		ps = append(ps, Problem{"ui.prompts_dir", u.PromptsDir, "an absolute folder (packaging/render-prompts.sh fills it)"})
	}
	if u.ScreenTimeout < 10*time.Second || u.ScreenTimeout > 10*time.Minute {
		ps = append(ps, Problem{"ui.screen_timeout", fmt.Sprint(u.ScreenTimeout), "between 10s and 10m"})
	}
	if u.FontFile != "" {
		switch ext := strings.ToLower(filepath.Ext(u.FontFile)); {
		case ext != ".ttf" && ext != ".otf":
			ps = append(ps, Problem{"ui.font_file", u.FontFile, "a .ttf or .otf font (Fyne cannot use .ttc collections), or empty for the bundled font"})
		default:
			if st, err := os.Stat(u.FontFile); err != nil || st.IsDir() {
				ps = append(ps, Problem{"ui.font_file", u.FontFile, "a readable font file, or empty for the bundled font"})
			}
		}
	}
	return ps
}
