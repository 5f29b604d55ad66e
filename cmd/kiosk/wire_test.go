package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
)

// `go test` runs in cmd/kiosk and `go run ./cmd/kiosk` in the repository root: the
// demo recording must be found from both.
func TestDemoRecordingFoundFromPackageAndRoot(t *testing.T) {
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, ok := moduleRoot(here)
	if !ok {
		t.Fatalf("no go.mod of %s above %s", modulePath, here)
	}
	for name, dir := range map[string]string{"package": here, "root": root, "elsewhere": filepath.Join(root, "facematch", "testdata")} {
		t.Run(name, func(t *testing.T) {
			t.Chdir(dir)
			got, err := demoRecording()
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(root, demoRecordingFile); got != want {
				t.Errorf("demoRecording() = %s, want %s", got, want)
			}
		})
	}
}

func TestDemoRecordingMissingSaysWhere(t *testing.T) {
	if _, err := os.Stat(demoRecordingInstalled); err == nil {
		t.Skipf("%s is installed on this machine", demoRecordingInstalled)
	}
	t.Chdir(t.TempDir())
	_, err := demoRecording()
	if err == nil || !strings.Contains(err.Error(), demoRecordingInstalled) || !strings.Contains(err.Error(), "--camera") {
		t.Errorf("error %v: want the places looked at and the --camera way out", err)
	}
}

func TestModuleRoot(t *testing.T) {
	top := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(top, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("repo/go.mod", "// the kiosk\nmodule "+modulePath+"\n\ngo 1.26\n")
	write("repo/tools/go.mod", "module example.com/tools\n") // a nested module is not ours
	write("repo/tools/x/keep", "")
	write("quoted/go.mod", "module \""+modulePath+"\"\n")
	write("other/go.mod", "module "+modulePath+"/v2\n")
	write("other/a/keep", "")
	for _, tc := range []struct {
		from, want string
		ok         bool
	}{
		{"repo", "repo", true},
		{"repo/tools/x", "repo", true},
		{"quoted", "quoted", true},
		{"other/a", "", false},
	} {
		got, ok := moduleRoot(filepath.Join(top, tc.from))
		want := ""
		if tc.ok {
			want = filepath.Join(top, tc.want)
		}
		if ok != tc.ok || got != want {
			t.Errorf("moduleRoot(%s) = %q, %t; want %q, %t", tc.from, got, ok, want, tc.ok)
		}
	}
}

func TestDemoConfigKeepsDemoApart(t *testing.T) {
	prod := config.Default()
	demo := demoConfig(prod)
	if demo.Kiosk.Mode != config.ModeDemo {
		t.Errorf("mode %q, want demo", demo.Kiosk.Mode)
	}
	if demo.Store.Path == prod.Store.Path || demo.Store.SubjectKeyFile == prod.Store.SubjectKeyFile {
		t.Errorf("demo shares production's database or subject key: %s, %s", demo.Store.Path, demo.Store.SubjectKeyFile)
	}
	if filepath.Dir(demo.Store.Path) != filepath.Dir(demo.Store.SubjectKeyFile) || !strings.Contains(demo.Store.Path, "demo") {
		t.Errorf("demo files %s and %s: want both in one demo folder", demo.Store.Path, demo.Store.SubjectKeyFile)
	}
}

type challengeSpy struct{ got []kiosk.Challenge }

func (s *challengeSpy) Verify(_ context.Context, _ kiosk.FacePhoto, c kiosk.Challenge, _ func(kiosk.FaceProgress)) (kiosk.FaceDecision, error) {
	s.got = append(s.got, c)
	return kiosk.FaceDecision{Challenge: c, Live: true}, nil
}

// The demo's recording cannot answer a random prompt: whatever the session picks,
// the verifier is asked for "any".
func TestAnyChallengeAsksForAny(t *testing.T) {
	spy := &challengeSpy{}
	v := anyChallenge{spy}
	for _, c := range []kiosk.Challenge{kiosk.ChallengeBlink, kiosk.ChallengeTurnLeft, kiosk.ChallengeTurnRight, ""} {
		d, err := v.Verify(context.Background(), kiosk.FacePhoto{}, c, nil)
		if err != nil || d.Challenge != kiosk.ChallengeAny {
			t.Errorf("asked %q: decision challenge %q, err %v", c, d.Challenge, err)
		}
	}
	if len(spy.got) != 4 {
		t.Errorf("verifier called %d times, want 4", len(spy.got))
	}
}

func TestUnreachableBackOfficeIsUnavailable(t *testing.T) {
	var bo unreachableBackOffice
	if _, err := bo.Lookup(context.Background(), "x"); !errors.Is(err, kiosk.ErrBackOfficeUnavailable) {
		t.Errorf("Lookup: %v", err)
	}
	if _, err := bo.Submit(context.Background(), "k", kiosk.ApplicationMessage{}); !errors.Is(err, kiosk.ErrBackOfficeUnavailable) {
		t.Errorf("Submit: %v", err)
	}
}
