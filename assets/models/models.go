// Package models embeds the face model manifest: the pinned files, their SHA-256 and
// where they come from. Set-up (packaging/fetch-models.sh) fills the model cache from it;
// the kiosk and `kiosk doctor` check the cache against it and never download anything.
package models

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

//go:embed manifest.txt
var manifest string

// Entry is one pinned model file.
type Entry struct {
	File   string
	SHA256 string
}

// Manifest lists the pinned model files.
func Manifest() []Entry {
	var out []Entry
	sc := bufio.NewScanner(strings.NewReader(manifest))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) == 2 {
			out = append(out, Entry{File: f[1], SHA256: f[0]})
		}
	}
	return out
}

// SHA256Of returns the pinned checksum of a model file name.
func SHA256Of(name string) (string, bool) {
	for _, e := range Manifest() {
		if e.File == name {
			return e.SHA256, true
		}
	}
	return "", false
}

// Errors of Verify, for errors.Is.
var (
	ErrMissing = errors.New("model file missing")
	ErrAltered = errors.New("model file altered")
)

// FixHint is what to run when a model is missing or altered.
const FixHint = "run `make setup` (packaging/fetch-models.sh) to fetch and verify the pinned models"

// VerifyFile checks one model file in dir against the manifest.
func VerifyFile(dir, name string) error {
	want, ok := SHA256Of(name)
	if !ok {
		return fmt.Errorf("model %s is not in the manifest", name)
	}
	path := filepath.Join(dir, name)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s; %s", ErrMissing, path, FixHint)
	}
	if err != nil {
		return fmt.Errorf("model %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("model %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s has sha256 %s, manifest says %s; %s", ErrAltered, path, got[:16]+"…", want[:16]+"…", FixHint)
	}
	return nil
}

// Verify checks every manifest file in dir and returns one error per bad file.
func Verify(dir string) map[string]error {
	out := map[string]error{}
	for _, e := range Manifest() {
		out[e.File] = VerifyFile(dir, e.File)
	}
	return out
}
