package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/facematch"
)

// TestFacePortraitCommand runs `kiosk face portrait` on the committed test portraits
// with the real models: exit 0 and a crop when every check passes, 1 with the failed
// check named when one fails, 2 with the reason for a file that is not an image.
func TestFacePortraitCommand(t *testing.T) {
	if _, err := os.Stat(filepath.Join(config.DefaultModelsDir(), facematch.ModelDetect)); err != nil {
		t.Skipf("face models not fetched (run `make models`): %v", err)
	}
	dir := t.TempDir()
	notImage := filepath.Join(dir, "notes.jpg")
	if err := os.WriteFile(notImage, []byte("not a picture at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	crop := filepath.Join(dir, "crop.jpg")
	tests := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"passes", []string{"../../facematch/testdata/portrait/good.jpg", "--crop", crop}, 0,
			[]string{"ok   roll", "ok   background_plain", "all checks pass"}},
		{"tilted head", []string{"../../facematch/testdata/portrait/tilted.jpg"}, 1,
			[]string{"FAIL roll", "-> head_straight", "failed: roll"}},
		{"busy background", []string{"../../facematch/testdata/portrait/flag_background.jpg"}, 1,
			[]string{"FAIL background_light", "FAIL background_edges", "ok   sharpness"}},
		{"not an image", []string{notImage}, 2, []string{"image format not supported"}},
		{"no file", []string{filepath.Join(dir, "missing.jpg")}, 2, []string{"no such file"}},
		{"two files", []string{notImage, notImage}, 2, []string{"needs one image file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, nil, append([]string{"face", "portrait"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.out {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
	st, err := os.Stat(crop)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() < 10_000 {
		t.Errorf("crop: %v %v", st, err)
	}
	// --json carries the same checks with their measures and limits.
	out, _, code := run(t, nil, "face", "portrait", "--json", "../../facematch/testdata/portrait/tilted.jpg")
	var rep facematch.PortraitReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	roll, ok := rep.Check(facematch.PCRoll)
	if !ok || roll.OK || roll.Max == nil || roll.Measure <= *roll.Max || rep.Guidance != roll.Guidance {
		t.Errorf("json report: %+v", rep)
	}
	for _, n := range []string{facematch.PCFaceFound, facematch.PCOneFace, facematch.PCYaw, facematch.PCGlare, facematch.PCBackgroundEdges, facematch.PCSkinChroma} {
		if _, ok := rep.Check(n); !ok {
			t.Errorf("json report lacks %s", n)
		}
	}
}
