package main

import (
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// TestTourVisitsEveryScreen: every sample state in every language, plus three extra
// stops per language, each with a unique name (the screenshot's file name).
func TestTourVisitsEveryScreen(t *testing.T) {
	stops := tourStops()
	want := 0
	for _, l := range kiosk.Languages {
		want += len(kiosktest.Samples(l)) + 3
	}
	if len(stops) != want {
		t.Fatalf("%d stops, want %d", len(stops), want)
	}
	seen := map[string]bool{}
	for _, s := range stops {
		if seen[s.name] || strings.ContainsAny(s.name, "/ ") {
			t.Errorf("bad or repeated stop name %q", s.name)
		}
		seen[s.name] = true
		if strings.HasSuffix(s.name, "_"+string(kiosk.StateFace)) && (s.snap.Face.Frame == nil || s.snap.Face.Frame.Image == nil) {
			t.Errorf("%s: the face screen needs a camera picture", s.name)
		}
	}
}

// TestModeStops: every sample state in every language in the four display modes,
// named uniquely, the mode set on each snapshot.
func TestModeStops(t *testing.T) {
	stops := modeStops("1280x1024")
	want := 0
	for _, l := range kiosk.Languages {
		want += 4 * len(kiosktest.Samples(l))
	}
	if len(stops) != want {
		t.Fatalf("%d stops, want %d", len(stops), want)
	}
	seen := map[string]bool{}
	for _, s := range stops {
		if seen[s.name] || !strings.HasSuffix(s.name, "_1280x1024") {
			t.Errorf("bad or repeated stop name %q", s.name)
		}
		seen[s.name] = true
		if strings.Contains(s.name, "_large_") != s.snap.LargeText || strings.Contains(s.name, "_contrast_") != s.snap.HighContrast {
			t.Errorf("%s: large=%t contrast=%t", s.name, s.snap.LargeText, s.snap.HighContrast)
		}
	}
}
