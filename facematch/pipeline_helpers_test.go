package facematch

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	pipeEngineOnce sync.Once
	pipeEngine     *Engine
	pipeEngineErr  error
)

// pipeModelsDir is where the tests find the models: $KIOSK_MODELS_DIR (the Makefile
// always exports it) or the user cache that `make models` fills by default (as
// config.DefaultModelsDir; facematch does not import config).
func pipeModelsDir() string {
	if d := os.Getenv("KIOSK_MODELS_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "dsi-kiosk", "models")
	}
	return "/var/lib/dsi-kiosk/models"
}

// testEngine loads the engine once for the package's tests. It skips only when the
// models were never fetched (a machine without `make models`); a model that is there
// but wrong is a failure.
func testEngine(tb testing.TB) *Engine {
	tb.Helper()
	dir := pipeModelsDir()
	if _, err := os.Stat(filepath.Join(dir, ModelDetect)); os.IsNotExist(err) {
		tb.Skipf("face models not fetched in %s (run `make models`)", dir)
	}
	pipeEngineOnce.Do(func() { pipeEngine, pipeEngineErr = NewEngine(dir, DefaultOptions()) })
	if pipeEngineErr != nil {
		tb.Fatalf("loading models: %v", pipeEngineErr)
	}
	return pipeEngine
}

// portrait is one labelled test image.
type portrait struct {
	person, path string
}

// testPortraits lists facematch/testdata/faces: people in subfolders, single
// portraits at the top.
func testPortraits(tb testing.TB) []portrait {
	tb.Helper()
	set, err := LoadLabelledSet("testdata/faces")
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]portrait, len(set))
	for i, s := range set {
		out[i] = portrait{s.Person, s.Path}
	}
	return out
}

func readTestFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
