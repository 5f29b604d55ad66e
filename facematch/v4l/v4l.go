// Package v4l says whether a path is a real video4linux device node. It is the one
// home of that rule: config checks it when the configuration is loaded (if the path
// exists) and facematch again when it opens the camera. Standard library only, so
// config can use it without linking OpenCV.
package v4l

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Major is the character-device major number the Linux kernel gives every
// video4linux node (VIDEO_MAJOR in include/linux/major.h): /dev/videoN, and the
// /dev/v4l/by-id and by-path links that resolve to them, all have it.
//
// A production camera must be a character device with this major. "A character
// device under /dev" alone would let /dev/null, /dev/zero or a tty through: they are
// not cameras, and OpenCV's V4L2 backend fails on them in ways that read as "camera
// broken" rather than "misconfigured". Requiring the name /dev/video* instead would
// refuse the stable by-id links staff should use when a kiosk has two cameras, and
// would say nothing about what the node is. The major number is what the kernel
// itself uses to route the node to the V4L driver. Virtual V4L drivers
// (v4l2loopback, vivid) also use it; facematch refuses those from sysfs.
const Major = 81

// Sentinel reasons, wrapped by CheckDevice's errors.
var (
	ErrNotUnderDev = errors.New("not under /dev")
	ErrNotCharDev  = errors.New("not a character device")
	ErrNotV4L      = errors.New("not a video4linux device")
)

// CheckDevice accepts path only if, after cleaning and resolving symbolic links, it
// is under /dev/ and is a character device with the video4linux major. A path that
// does not exist returns an error wrapping fs.ErrNotExist (the camera may be
// unplugged; the caller decides).
func CheckDevice(path string) error {
	clean := filepath.Clean(path)
	if !underDev(clean) {
		return fmt.Errorf("%w: %s", ErrNotUnderDev, clean)
	}
	real, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return err
	}
	if !underDev(real) {
		return fmt.Errorf("%w: %s leads to %s", ErrNotUnderDev, clean, real)
	}
	st, err := os.Stat(real)
	if err != nil {
		return err
	}
	return checkInfo(real, st)
}

func underDev(p string) bool {
	return filepath.IsAbs(p) && strings.HasPrefix(p, "/dev/")
}

// checkInfo is CheckDevice's verdict on what Stat saw.
func checkInfo(name string, st fs.FileInfo) error {
	if st.Mode()&fs.ModeCharDevice == 0 || st.Mode()&fs.ModeDevice == 0 {
		return fmt.Errorf("%w: %s is a %s", ErrNotCharDev, name, kindOf(st.Mode()))
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%w: %s: no device number", ErrNotV4L, name)
	}
	if maj := major(uint64(sys.Rdev)); maj != Major {
		return fmt.Errorf("%w: %s is character device %d:%d, cameras are %d:N", ErrNotV4L, name, maj, minor(uint64(sys.Rdev)), Major)
	}
	return nil
}

// major and minor decode Linux's dev_t as glibc's gnu_dev_major/minor do.
func major(dev uint64) uint64 { return (dev>>8)&0xfff | (dev>>32)&^0xfff }
func minor(dev uint64) uint64 { return dev&0xff | (dev>>12)&^0xff }

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "folder"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	default:
		return "special file"
	}
}
