package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
)

// Speaker plays spoken prompts. Say returns at once; a speaker with no sound device
// or no file for the prompt stays silent: sound helps, it is never needed.
type Speaker interface {
	Say(lang kiosk.Language, prompt string)
}

// SetSpeaker gives the UI its voice (nil: silent). Call before Start.
func (u *UI) SetSpeaker(sp Speaker) { u.speaker = sp }

// PromptWarning is the prompt of the timer's early warning.
const PromptWarning = "time_warning"

// promptKeys are the words each screen's speaker button says: its instruction, in
// the order the screen shows it. The ids are the states' names; a resident's screen
// not listed says its title (promptWords).
var promptKeys = map[string][]string{
	string(kiosk.StateAttract):      {"attract.choose_language"},
	string(kiosk.StateInsertCard):   {"screen.insert_card", "insert.hint"},
	string(kiosk.StateEIDScan):      {"screen.eid_scan", "eid.scan_hint"},
	string(kiosk.StateEIDCheck):     {"screen.eid_check", "eid.checking"},
	string(kiosk.StateReading):      {"screen.reading", "reading.keep_card"},
	string(kiosk.StateCardProblem):  {"screen.card_problem", "counter.hint"},
	string(kiosk.StateFace):         {"screen.face", "face.put_face_in_oval"},
	string(kiosk.StateFaceResult):   {"screen.face_result"},
	string(kiosk.StatePIN):          {"screen.pin", "pin.hint"},
	string(kiosk.StateServiceMenu):  {"screen.service_menu"},
	string(kiosk.StateServiceForm):  {"screen.service_form"},
	string(kiosk.StateSummary):      {"screen.summary", "summary.confirm"},
	string(kiosk.StatePayment):      {"screen.payment", "payment.choose"},
	string(kiosk.StateSubmitting):   {"screen.submitting", "chrome.busy"},
	string(kiosk.StateDone):         {"screen.done", "done.scan"},
	string(kiosk.StateTakeCard):     {"screen.take_card", "take_card.hint"},
	string(kiosk.StateOutOfService): {"screen.out_of_service", "out_of_service.hint"},
	string(kiosk.StateCounter):      {"screen.counter", "counter.hint"},
	PromptWarning:                   {"voice.time_warning"},
}

// Prompt is one pre-rendered spoken prompt.
type Prompt struct {
	ID   string // a state's name, or PromptWarning
	Lang kiosk.Language
	Text string
}

// Prompts lists every prompt in every language, for the set-up script that renders
// them (packaging/render-prompts.sh, through kiosk-tour -prompts).
func Prompts(tr *i18n.Translator) []Prompt {
	var out []Prompt
	for _, l := range kiosk.Languages {
		for _, id := range PromptIDs() {
			var parts []string
			for _, k := range promptWords(id) {
				parts = append(parts, tr.T(l, k, nil))
			}
			out = append(out, Prompt{ID: id, Lang: l, Text: strings.Join(parts, " ")})
		}
	}
	return out
}

// PromptIDs are the prompts' ids in a fixed order: every resident's screen, then the
// warning.
func PromptIDs() []string {
	var ids []string
	for _, st := range kiosk.States {
		if spoken(st) {
			ids = append(ids, string(st))
		}
	}
	return append(ids, PromptWarning)
}

// spoken: the resident's screens have a voice; the staff's do not (staff read them).
func spoken(st kiosk.State) bool { return !strings.HasPrefix(string(st), "staff") }

// promptWords are the translation keys of a prompt.
func promptWords(id string) []string {
	if ks, ok := promptKeys[id]; ok {
		return ks
	}
	return []string{string(kiosk.ScreenKey(kiosk.State(id)))}
}

// PromptFile is where the set-up script puts a prompt: DIR/LANG/ID.wav.
func PromptFile(dir string, lang kiosk.Language, id string) string {
	return filepath.Join(dir, string(lang), id+".wav")
}

// say plays the prompt for the screen on show.
func (u *UI) say(s kiosk.Snapshot, prompt string) {
	if u.speaker != nil {
		u.speaker.Say(s.Language, prompt)
	}
}

// sayWarning: the timer's early warning, aloud.
func (u *UI) sayWarning(s kiosk.Snapshot) { u.say(s, PromptWarning) }

// WavPlayer plays the pre-rendered prompts under Dir with the first of aplay and
// paplay found on PATH. A new prompt stops the one playing. With no player, no file
// or no sound device it does nothing (the player's error goes to OnError).
type WavPlayer struct {
	Dir     string
	OnError func(error) // nil: ignored

	mu     sync.Mutex
	cancel context.CancelFunc
}

// Say implements Speaker.
func (p *WavPlayer) Say(lang kiosk.Language, prompt string) {
	file := PromptFile(p.Dir, lang, prompt)
	if _, err := os.Stat(file); err != nil {
		return // not rendered on this kiosk: silent
	}
	var cmd []string
	for _, c := range [][]string{{"aplay", "-q"}, {"paplay"}} {
		if _, err := exec.LookPath(c[0]); err == nil {
			cmd = c
			break
		}
	}
	if cmd == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.mu.Lock()
	if p.cancel != nil {
		p.cancel()
	}
	p.cancel = cancel
	p.mu.Unlock()
	go func() {
		defer cancel()
		c := exec.CommandContext(ctx, cmd[0], append(cmd[1:], file)...)
		if err := c.Run(); err != nil && ctx.Err() == nil && p.OnError != nil {
			p.OnError(err)
		}
	}()
}

// WritePrompts writes prompts as the set-up script reads them: id, language and text,
// tab-separated, one a line (text with its tabs and line breaks made spaces).
func WritePrompts(w io.Writer, ps []Prompt) error {
	for _, p := range ps {
		text := strings.Join(strings.Fields(p.Text), " ")
		if _, err := fmt.Fprintf(w, "%s\t%s\t%s\n", p.ID, p.Lang, text); err != nil {
			return err
		}
	}
	return nil
}
