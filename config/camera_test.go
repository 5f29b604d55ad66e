package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProductionCameraDeviceMustBeAV4LNode: production refused file cameras by key
// (face.camera.video/images) but took a recording named as face.camera.device. The
// device is now judged by what it is: a video4linux character device under /dev.
func TestProductionCameraDeviceMustBeAV4LNode(t *testing.T) {
	tmp := t.TempDir()
	video := filepath.Join(tmp, "recording.mp4")
	if err := os.WriteFile(video, []byte("a recording"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(tmp, "video0")
	if err := os.Symlink(video, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, mode, device string
		want               string // "" accepted, else words of the one problem
	}{
		{"regular file", ModeProduction, video, "not under /dev"},
		{"symlink to a regular file", ModeProduction, link, "not under /dev"},
		{"/dev/null", ModeProduction, "/dev/null", "not a video4linux device"},
		{"escaping /dev", ModeProduction, "/dev/../" + video, "not under /dev"},
		{"camera unplugged at load time", ModeProduction, "/dev/video-absent-63", ""},
		{"regular file in demo", ModeDemo, video, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.Kiosk.Mode = tc.mode
			c.Face.Camera.Device = tc.device
			ps := c.Validate()
			if tc.want == "" {
				if len(ps) != 0 {
					t.Fatalf("refused: %v", ps)
				}
				return
			}
			if len(ps) != 1 || ps[0].Key != "face.camera.device" || !strings.Contains(ps[0].Allowed, tc.want) {
				t.Fatalf("want one face.camera.device problem saying %q, got %v", tc.want, ps)
			}
		})
	}
	// And through the environment, as an installer would set it.
	_, _, err := load("", "/nonexistent", []string{"KIOSK_FACE_CAMERA_DEVICE=" + video})
	if err == nil || !strings.Contains(err.Error(), "face.camera.device") {
		t.Fatalf("env: err = %v", err)
	}
}
