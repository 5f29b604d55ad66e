package config

import (
	"path/filepath"
	"regexp"
)

// StaffConfig is staff mode on the kiosk's screen.
type StaffConfig struct {
	// PINHashes are the staff who may enter with the hidden gesture, as
	// "STAFFID:$argon2id$v=19$m=...,t=...,p=...$salt$hash" (`kiosk admin staff-pin-hash`
	// makes one). Empty: only staff cards open staff mode.
	PINHashes []string `mapstructure:"pin_hashes" yaml:"pin_hashes"`
	// ExportDir is where staff mode writes the audit log and statistics: the USB
	// stick's mount point.
	ExportDir string `mapstructure:"export_dir" yaml:"export_dir"`
}

func defaultStaff() StaffConfig {
	return StaffConfig{PINHashes: []string{}, ExportDir: "/media/dsi-kiosk-usb"}
}

// staffHashPattern is the PHC string of an argon2id hash with a staff id in front.
var staffHashPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}:\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$`)

func (s StaffConfig) validate() Problems {
	var ps Problems
	for _, h := range s.PINHashes {
		if !staffHashPattern.MatchString(h) {
			ps = append(ps, Problem{"staff.pin_hashes", h, `"STAFFID:$argon2id$v=19$m=..,t=..,p=..$salt$hash" (kiosk admin staff-pin-hash)`})
		}
	}
	if s.ExportDir == "" || !filepath.IsAbs(s.ExportDir) {
		ps = append(ps, Problem{"staff.export_dir", s.ExportDir, "an absolute folder (the USB stick's mount point)"})
	}
	return ps
}
