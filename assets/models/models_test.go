package models

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestManifestLists(t *testing.T) {
	want := []string{"fr_detect.onnx", "fr_landmark.onnx", "fr_feature.onnx", "fr_liveness.onnx", "fr_eye.onnx", "fr_pose.onnx"}
	for _, w := range want {
		sum, ok := SHA256Of(w)
		if !ok || len(sum) != 64 {
			t.Errorf("manifest lacks %s (sum %q)", w, sum)
		}
	}
}

func TestVerifyFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "fr_eye.onnx"), []byte("not the model"), 0o644)
	if err := VerifyFile(dir, "fr_eye.onnx"); !errors.Is(err, ErrAltered) {
		t.Errorf("altered file: err = %v", err)
	}
	if err := VerifyFile(dir, "fr_pose.onnx"); !errors.Is(err, ErrMissing) {
		t.Errorf("missing file: err = %v", err)
	}
	if err := VerifyFile(dir, "other.onnx"); err == nil {
		t.Error("a file outside the manifest was accepted")
	}
	// The real cache, when set-up has run.
	real := os.Getenv("KIOSK_MODELS_DIR")
	if real == "" {
		t.Skip("KIOSK_MODELS_DIR not set (make test sets it after fetching the models)")
	}
	for name, err := range Verify(real) {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
