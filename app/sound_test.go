package app

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// TestEveryScreenHasAPrompt: every resident's screen, and the timer's warning, can
// be said in every language, and each screen's speaker button asks for its own.
func TestEveryScreenHasAPrompt(t *testing.T) {
	tr := loadTranslator(t)
	tr.Missing = func(l kiosk.Language, key string) { t.Errorf("prompt key %s missing in %s", key, l) }
	got := map[string]string{}
	for _, p := range Prompts(tr) {
		if strings.TrimSpace(p.Text) == "" {
			t.Errorf("prompt %s/%s is empty", p.Lang, p.ID)
		}
		got[string(p.Lang)+"/"+p.ID] = p.Text
	}
	for _, l := range kiosk.Languages {
		for st := range kiosktest.Samples(l) {
			if !spoken(st) {
				continue // staff read the screen; their screens have no speaker
			}
			if got[string(l)+"/"+string(st)] == "" {
				t.Errorf("no prompt for %s in %s", st, l)
			}
		}
		if got[string(l)+"/"+PromptWarning] == "" {
			t.Errorf("no spoken warning in %s", l)
		}
	}
	// The button on a screen says that screen's prompt, in the screen's language.
	snap := kiosktest.Samples(kiosk.LangPT)[kiosk.StatePIN]
	flow := kiosktest.NewFlow(snap)
	u, w := newTestUI(t, flow)
	voice := &heard{}
	u.SetSpeaker(voice)
	u.Render(snap)
	b := findButton(w.Content(), u.tr.T(kiosk.LangPT, "chrome.speak", nil))
	if b == nil {
		t.Fatal("no speaker button on the PIN screen")
	}
	b.OnTapped()
	if s := voice.said(); len(s) != 1 || s[0] != "pt/pin" {
		t.Errorf("the speaker said %q, want pt/pin", s)
	}
}

// TestRenderPrompts runs packaging/render-prompts.sh on every prompt and checks each
// file is a WAV with a header, a sample rate and sound in it, and the manifest lists
// them all with their synthesis time. Without espeak-ng it skips, except in CI.
func TestRenderPrompts(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("espeak-ng is missing (packaging/setup-debian.sh installs it)")
		}
		t.Skip("espeak-ng is not installed")
	}
	tr := loadTranslator(t)
	ps := Prompts(tr)
	dir := t.TempDir()
	list := filepath.Join(dir, "prompts.tsv")
	var buf bytes.Buffer
	if err := WritePrompts(&buf, ps); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(list, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "prompts")
	cmd := exec.Command("bash", "../packaging/render-prompts.sh", out, list)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("render-prompts: %v\n%s", err, msg)
	}
	t.Logf("%s", bytes.TrimSpace(msg))
	for _, p := range ps {
		rate, data, err := readWAV(PromptFile(out, p.Lang, p.ID))
		if err != nil {
			t.Errorf("%s/%s: %v", p.Lang, p.ID, err)
			continue
		}
		if rate < 8000 || data < rate/2 { // at least a quarter second of 16-bit sound
			t.Errorf("%s/%s: %d Hz, %d bytes of sound", p.Lang, p.ID, rate, data)
		}
	}
	f, err := os.Open(filepath.Join(out, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rows++; rows == 1 {
			continue // header
		}
		if cols := strings.Split(sc.Text(), "\t"); len(cols) != 6 || cols[4] == "" {
			t.Errorf("manifest row %q", sc.Text())
		}
	}
	if rows-1 != len(ps) {
		t.Errorf("manifest has %d prompts, want %d", rows-1, len(ps))
	}

	// Playing needs no sound device: without one the player stays quiet.
	var mu sync.Mutex
	var errs []error
	p := &WavPlayer{Dir: out, OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }}
	p.Say(kiosk.LangZhHant, PromptWarning)
	p.Say(kiosk.LangEN, "no_such_prompt") // not rendered: silent
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	t.Logf("player errors (expected without a sound card): %v", errs)
	mu.Unlock()
}

// readWAV checks a RIFF/WAVE file's header and returns its sample rate and the size
// of its data chunk.
func readWAV(path string) (rate, data uint32, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, 0, errors.New("not a RIFF/WAVE file")
	}
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), binary.LittleEndian.Uint32(b[off+4:off+8])
		body := b[off+8:]
		switch id {
		case "fmt ":
			if size < 16 || len(body) < 16 {
				return 0, 0, errors.New("short fmt chunk")
			}
			if binary.LittleEndian.Uint16(body[0:2]) != 1 {
				return 0, 0, errors.New("not PCM")
			}
			rate = binary.LittleEndian.Uint32(body[4:8])
		case "data":
			// espeak-ng writing to a file fills in the real size; 0 or 0xFFFFFFFF
			// would mean a streamed header.
			data = size
			if int(size) > len(body) {
				data = uint32(len(body))
			}
		}
		off += 8 + int(size) + int(size&1)
		if id == "data" {
			break
		}
	}
	if rate == 0 {
		return 0, 0, errors.New("no fmt chunk")
	}
	if data == 0 {
		return 0, 0, errors.New("no sound data")
	}
	return rate, data, nil
}
