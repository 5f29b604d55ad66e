package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// PrinterConfig chooses where the resident's receipt goes. Owned by printer/.
type PrinterConfig struct {
	// Queue is the CUPS queue of the receipt printer (lp -d QUEUE); empty means the
	// kiosk has no printer and the resident is asked to note the reference.
	Queue string `mapstructure:"queue" yaml:"queue"`
	// Folder receives the receipts as PDF files instead of a printer (demo and
	// testers); refused in production, and exclusive with Queue.
	Folder string `mapstructure:"folder" yaml:"folder"`
	// Timeout bounds one print job (queue check plus lp).
	Timeout time.Duration `mapstructure:"timeout" yaml:"timeout"`
}

func defaultPrinter() PrinterConfig {
	return PrinterConfig{Timeout: 10 * time.Second}
}

// validate needs the kiosk mode: a folder instead of paper is for demos only.
func (p PrinterConfig) validate(mode string) Problems {
	var ps Problems
	if p.Queue != "" && !validQueue(p.Queue) {
		ps = append(ps, Problem{"printer.queue", p.Queue, "a CUPS queue name (up to 127 printable characters, no space, /, \\, ?, # or leading -), or empty for no printer"})
	}
	switch {
	case p.Folder == "":
	case !filepath.IsAbs(p.Folder):
		ps = append(ps, Problem{"printer.folder", p.Folder, "an absolute folder path, or empty"})
	case p.Queue != "":
		ps = append(ps, Problem{"printer.folder", p.Folder, "must be empty when printer.queue is set (a receipt goes to the printer or to the folder, not both)"})
	case mode == ModeProduction:
		ps = append(ps, Problem{"printer.folder", p.Folder, "must be empty when kiosk.mode is production (receipts are printed on paper)"})
	}
	if p.Timeout < time.Second || p.Timeout > 2*time.Minute {
		ps = append(ps, Problem{"printer.timeout", fmt.Sprint(p.Timeout), "between 1s and 2m"})
	}
	return ps
}

// validQueue follows CUPS' rules for destination names; a leading "-" would read as
// an lp option.
func validQueue(q string) bool {
	if len(q) > 127 || strings.HasPrefix(q, "-") {
		return false
	}
	for _, c := range q {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`/\?#`, c) {
			return false
		}
	}
	return true
}
