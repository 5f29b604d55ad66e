package facematch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/macau-dsi/kiosk/kiosk"
)

// VideoDevice is one video4linux device as the kernel describes it in sysfs.
type VideoDevice = kiosk.CameraDevice

// virtualDrivers are kernel modules that make cameras out of software: anything
// fed to them (a video file, a screen, a deepfake) looks like a webcam to us.
var virtualDrivers = map[string]bool{
	"v4l2loopback": true,
	"akvcam":       true,
	"vivid":        true, // the kernel's virtual test driver
	"vicodec":      true,
	"vim2m":        true,
}

// virtualNames match card names that virtual-camera software gives its devices.
var virtualNames = regexp.MustCompile(`(?i)loopback|dummy|virtual|\bobs\b|droidcam|akvcam|manycam|snap camera|xsplit|fake|vivid|screen ?capture|iriun|epoccam|camo\b`)

// DescribeVideoDevice reads sysfsRoot/class/video4linux/videoN for the device path
// dev ("/dev/video0") and says whether it looks virtual. A device the kernel puts
// under /devices/virtual/ has no hardware behind it.
func DescribeVideoDevice(sysfsRoot, dev string) (VideoDevice, error) {
	base := filepath.Base(filepath.Clean(dev))
	if !strings.HasPrefix(base, "video") {
		// A symlink such as /dev/v4l/by-id/...: resolve it to /dev/videoN.
		if real, err := filepath.EvalSymlinks(dev); err == nil {
			base = filepath.Base(real)
		}
	}
	if _, err := strconv.Atoi(strings.TrimPrefix(base, "video")); err != nil || !strings.HasPrefix(base, "video") {
		return VideoDevice{}, fmt.Errorf("%q is not a video4linux device", dev)
	}
	if sysfsRoot == "" {
		sysfsRoot = "/sys"
	}
	dir := filepath.Join(sysfsRoot, "class", "video4linux", base)
	name, err := os.ReadFile(filepath.Join(dir, "name"))
	if err != nil {
		return VideoDevice{}, fmt.Errorf("describing %s: %w", dev, err)
	}
	d := VideoDevice{Path: "/dev/" + base, Name: strings.TrimSpace(string(name))}
	if drv, err := os.Readlink(filepath.Join(dir, "device", "driver")); err == nil {
		d.Driver = filepath.Base(drv)
	} else if mod, err := os.Readlink(filepath.Join(dir, "device", "driver", "module")); err == nil {
		d.Driver = filepath.Base(mod)
	}
	var why []string
	if virtualDrivers[d.Driver] {
		why = append(why, "driver "+d.Driver)
	}
	if virtualNames.MatchString(d.Name) {
		why = append(why, "name")
	}
	if target, err := filepath.EvalSymlinks(dir); err == nil && strings.Contains(filepath.ToSlash(target), "/devices/virtual/") {
		why = append(why, "no hardware behind it")
	}
	d.Virtual = len(why) > 0
	d.Why = strings.Join(why, ", ")
	return d, nil
}

// ListVideoDevices lists every video4linux device in sysfs, sorted by number. No
// devices (or no video4linux class at all) is an empty list, not an error.
func ListVideoDevices(sysfsRoot string) ([]VideoDevice, error) {
	if sysfsRoot == "" {
		sysfsRoot = "/sys"
	}
	entries, err := os.ReadDir(filepath.Join(sysfsRoot, "class", "video4linux"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing cameras: %w", err)
	}
	var out []VideoDevice
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "video") {
			continue
		}
		d, err := DescribeVideoDevice(sysfsRoot, "/dev/"+e.Name())
		if err != nil {
			continue
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(strings.TrimPrefix(out[i].Path, "/dev/video"))
		b, _ := strconv.Atoi(strings.TrimPrefix(out[j].Path, "/dev/video"))
		return a < b
	})
	return out, nil
}
