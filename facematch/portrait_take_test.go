package facematch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// imageCamera plays n copies of a test image as a camera (an image folder, every
// frame seen).
func imageCamera(t *testing.T, file string, n int) Source {
	t.Helper()
	dir := t.TempDir()
	data := readTestFile(t, file)
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.jpg", i)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := OpenImages(dir, 30, SourceOptions{Fast: true, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// TestTakePortraitFromCamera: the photo step on a camera (an image folder of the
// committed test portraits), with the card photo of the demo card (the same
// person) or of someone else.
func TestTakePortraitFromCamera(t *testing.T) {
	e := testEngine(t)
	hopper := kiosk.FacePhoto{Format: "jpeg", Data: readTestFile(t, "../cardio/emulator/profiles/demo.jpg")}
	other := kiosk.FacePhoto{Format: "jpeg", Data: readTestFile(t, "testdata/faces/John_Savage/000264_01099001.jpg")}
	tests := []struct {
		name   string
		frames string
		ref    kiosk.FacePhoto
		photo  bool
		guides []kiosk.Guidance // every guidance posted, in order, repeats folded
	}{
		{"good portrait, same person", "testdata/portrait/good.jpg", hopper, true, []kiosk.Guidance{kiosk.GuideOK}},
		{"busy background", "testdata/portrait/flag_background.jpg", hopper, false, []kiosk.Guidance{kiosk.GuidePlainBackground}},
		{"someone else than the card", "testdata/portrait/good.jpg", other, false,
			// Three passing frames, then "not the same person": the count starts again.
			[]kiosk.Guidance{kiosk.GuideOK, kiosk.GuideOnePerson, kiosk.GuideOK, kiosk.GuideOnePerson, kiosk.GuideOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var guides []kiosk.Guidance
			frames := 0
			ph, err := e.TakePortrait(context.Background(), imageCamera(t, tt.frames, 8), tt.ref, DefaultPortraitLimits(), func(p kiosk.FaceProgress) {
				frames++
				if p.Frame.Image == nil {
					t.Error("progress without a preview frame")
				}
				if len(guides) == 0 || guides[len(guides)-1] != p.Guidance {
					guides = append(guides, p.Guidance)
				}
			})
			if tt.photo {
				if err != nil || ph == nil || len(ph.JPEG) < 10_000 || frames != portraitStable {
					t.Fatalf("photo %v, %v after %d frames", ph != nil, err, frames)
				}
				if i := slices.IndexFunc(ph.Checks, func(c kiosk.Check) bool { return c.Name == "same_person" }); i < 0 || !ph.Checks[i].OK {
					t.Errorf("checks %+v", ph.Checks)
				}
			} else if !errors.Is(err, ErrEndOfStream) || ph != nil {
				t.Fatalf("photo %v, error %v: want none until the recording ends", ph != nil, err)
			}
			if !slices.Equal(guides, tt.guides) {
				t.Errorf("guidance %v, want %v", guides, tt.guides)
			}
		})
	}
	// The session's time limit ends the wait on a camera that never gives a photo.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "000.jpg"), readTestFile(t, "testdata/portrait/flag_background.jpg"), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := OpenImages(dir, 30, SourceOptions{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if ph, err := e.TakePortrait(ctx, src, hopper, DefaultPortraitLimits(), nil); !errors.Is(err, context.DeadlineExceeded) || ph != nil {
		t.Errorf("photo %v, error %v: want the deadline", ph != nil, err)
	}
}
