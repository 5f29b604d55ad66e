package v4l

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// shmDir is a folder under /dev holding regular files (tmpfs /dev/shm), to show that
// "under /dev" is not enough.
func shmDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/dev/shm", "v4ltest")
	if err != nil {
		t.Skipf("no writable /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestCheckDevice(t *testing.T) {
	tmp := t.TempDir()
	video := filepath.Join(tmp, "recording.mp4")
	if err := os.WriteFile(video, []byte("not a camera"), 0o600); err != nil {
		t.Fatal(err)
	}
	linkToVideo := filepath.Join(tmp, "video0")
	if err := os.Symlink(video, linkToVideo); err != nil {
		t.Fatal(err)
	}
	linkToNull := filepath.Join(tmp, "null")
	if err := os.Symlink("/dev/null", linkToNull); err != nil {
		t.Fatal(err)
	}
	shm := shmDir(t)
	fileUnderDev := filepath.Join(shm, "video0")
	if err := os.WriteFile(fileUnderDev, []byte("not a camera"), 0o600); err != nil {
		t.Fatal(err)
	}
	linkUnderDev := filepath.Join(shm, "video1")
	if err := os.Symlink(video, linkUnderDev); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       error
	}{
		{"regular file in a temp dir", video, ErrNotUnderDev},
		{"symlink to a regular file in a temp dir", linkToVideo, ErrNotUnderDev},
		{"symlink outside /dev to /dev/null", linkToNull, ErrNotUnderDev},
		{"regular file under /dev", fileUnderDev, ErrNotCharDev},
		{"symlink under /dev to a regular file outside", linkUnderDev, ErrNotUnderDev},
		{"folder under /dev", shm, ErrNotCharDev},
		{"/dev/null: a character device, not a camera", "/dev/null", ErrNotV4L},
		{"/dev/zero", "/dev/zero", ErrNotV4L},
		{"escapes /dev with ..", "/dev/../etc/passwd", ErrNotUnderDev},
		{"relative", "dev/video0", ErrNotUnderDev},
		{"missing camera", "/dev/video-absent-63", fs.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckDevice(tc.path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("CheckDevice(%q) = %v, want %v", tc.path, err, tc.want)
			}
		})
	}
}

// fakeInfo is what Stat says about a device node, for the verdict on nodes this
// machine does not have (no camera in CI).
type fakeInfo struct {
	mode fs.FileMode
	rdev uint64
}

func (f fakeInfo) Name() string       { return "video0" }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any           { return &syscall.Stat_t{Rdev: f.rdev} }

// makedev encodes as glibc's gnu_dev_makedev.
func makedev(maj, min uint64) uint64 {
	return min&0xff | (maj&0xfff)<<8 | (min&^0xff)<<12 | (maj&^0xfff)<<32
}

func TestCheckInfo(t *testing.T) {
	char := fs.ModeDevice | fs.ModeCharDevice
	for _, tc := range []struct {
		name string
		info fakeInfo
		want error // nil: accepted
	}{
		{"/dev/video0 (81:0)", fakeInfo{char, makedev(81, 0)}, nil},
		{"/dev/video300 (81:300, minor above 255)", fakeInfo{char, makedev(81, 300)}, nil},
		{"/dev/null (1:3)", fakeInfo{char, makedev(1, 3)}, ErrNotV4L},
		{"major 81 in the high bits only", fakeInfo{char, makedev(81+4096, 0)}, ErrNotV4L},
		{"block device 81:0", fakeInfo{fs.ModeDevice, makedev(81, 0)}, ErrNotCharDev},
		{"regular file", fakeInfo{0o644, 0}, ErrNotCharDev},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkInfo("/dev/video0", tc.info)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("checkInfo = %v, want %v", err, tc.want)
			}
		})
	}
	if major(makedev(511, 300)) != 511 || minor(makedev(511, 300)) != 300 {
		t.Fatal("dev_t decoding")
	}
}
