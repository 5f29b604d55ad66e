package facematch

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	manifest "github.com/macau-dsi/kiosk/assets/models"
)

func TestModelSpecsCoverManifest(t *testing.T) {
	pinned := map[string]bool{}
	for _, e := range manifest.Manifest() {
		pinned[e.File] = true
	}
	for _, s := range modelSpecs {
		if !pinned[s.File] {
			t.Errorf("%s has a spec but is not pinned in assets/models/manifest.txt", s.File)
		}
		delete(pinned, s.File)
	}
	for f := range pinned {
		t.Errorf("%s is pinned but facematch has no spec for it", f)
	}
}

func TestCheckModelsGood(t *testing.T) {
	testEngine(t) // skips when the models were never fetched
	for _, load := range []bool{false, true} {
		for _, st := range CheckModels(pipeModelsDir(), load) {
			if !st.OK {
				t.Errorf("load=%v %s: %s", load, st.Model, st.Problem)
			}
		}
	}
}

// badModelsDir copies the real models into a temp dir and breaks some of them.
func badModelsDir(t *testing.T) string {
	t.Helper()
	testEngine(t)
	dir := t.TempDir()
	for _, s := range modelSpecs {
		b, err := os.ReadFile(filepath.Join(pipeModelsDir(), s.File))
		if err != nil {
			t.Fatal(err)
		}
		switch s.File {
		case ModelLandmark:
			continue // missing
		case ModelFeature:
			b = b[:len(b)/2] // truncated: would make OpenCV throw if it were parsed
		case ModelEye:
			b = []byte("not an onnx file at all")
		case ModelPose:
			if err := os.Mkdir(filepath.Join(dir, s.File), 0o755); err != nil {
				t.Fatal(err)
			}
			continue // a directory where the file should be
		}
		if err := os.WriteFile(filepath.Join(dir, s.File), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckModelsBad(t *testing.T) {
	dir := badModelsDir(t)
	want := map[string]error{
		ModelDetect:   nil,
		ModelLiveness: nil,
		ModelLandmark: ErrModelMissing,
		ModelFeature:  ErrModelChecksum,
		ModelEye:      ErrModelChecksum,
		ModelPose:     ErrModelInvalid,
	}
	for _, load := range []bool{false, true} {
		got := CheckModels(dir, load)
		if len(got) != len(want) {
			t.Fatalf("%d statuses, want %d", len(got), len(want))
		}
		for _, st := range got {
			w := want[st.Model]
			if w == nil {
				if !st.OK {
					t.Errorf("load=%v %s: %s", load, st.Model, st.Problem)
				}
				continue
			}
			if st.OK || !errors.Is(st.Err, w) {
				t.Errorf("load=%v %s: ok=%v err=%v, want %v", load, st.Model, st.OK, st.Err, w)
			}
			if st.Problem == "" || st.Fix == "" {
				t.Errorf("%s: problem %q fix %q", st.Model, st.Problem, st.Fix)
			}
		}
	}
}

func TestNewEngineBadModelIsAnError(t *testing.T) {
	dir := badModelsDir(t)
	e, err := NewEngine(dir, DefaultOptions())
	if err == nil {
		e.Close()
		t.Fatal("NewEngine accepted a broken model folder")
	}
	var me *ModelError
	if !errors.As(err, &me) || me.Model == "" {
		t.Fatalf("error %v is not a *ModelError", err)
	}
	if _, err := NewEngine(t.TempDir(), DefaultOptions()); !errors.Is(err, ErrModelMissing) {
		t.Errorf("empty folder: %v, want ErrModelMissing", err)
	}
}

func TestEngineClosed(t *testing.T) {
	testEngine(t)
	e, err := NewEngine(pipeModelsDir(), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	e.Close() // twice is fine
	data := readTestFile(t, "testdata/faces/facedetect_grace_hopper.jpg")
	if _, _, err := e.TemplateFromImage(data); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}
