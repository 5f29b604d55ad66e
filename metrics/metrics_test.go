package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/macau-dsi/kiosk/kiosk"
)

// step is one thing the session does: a snapshot (state, message) or an audit action.
type step struct {
	state kiosk.State
	msg   kiosk.MsgKey
	audit string
}

func snaps(states ...kiosk.State) []step {
	out := make([]step, len(states))
	for i, s := range states {
		out[i] = step{state: s}
	}
	return out
}

func TestSessionOutcomes(t *testing.T) {
	const (
		attract = kiosk.StateAttract
		insert  = kiosk.StateInsertCard
		reading = kiosk.StateReading
		face    = kiosk.StateFace
		result  = kiosk.StateFaceResult
		menu    = kiosk.StateServiceMenu
		form    = kiosk.StateServiceForm
		summary = kiosk.StateSummary
		submit  = kiosk.StateSubmitting
		done    = kiosk.StateDone
		take    = kiosk.StateTakeCard
		counter = kiosk.StateCounter
		oos     = kiosk.StateOutOfService
	)
	tests := []struct {
		name  string
		steps []step
		want  string // "" = no session counted
	}{
		{"completed", snaps(attract, insert, reading, face, result, menu, form, summary, submit, done, take, attract), OutcomeCompleted},
		{"completed then ended with the end button", append(snaps(attract, reading, face, result, menu, form, summary, submit, done),
			step{audit: "session.cancel"}, step{state: take}, step{state: attract}), OutcomeCompleted},
		{"card problem", snaps(attract, reading, kiosk.StateCardProblem, take, attract), OutcomeCardProblem},
		{"pin blocked", snaps(attract, reading, face, result, face, result, face, result, kiosk.StatePIN, counter, take, attract), OutcomeCounter},
		{"cancelled", append(snaps(attract, reading, face, result, menu), step{audit: "session.cancel"}, step{state: take}, step{state: attract}), OutcomeCancelled},
		{"timeout", append(snaps(attract, reading, face, result, menu, form), step{audit: "session.timeout"}, step{state: take}, step{state: attract}), OutcomeTimeout},
		{"card pulled", snaps(attract, reading, face, result, menu, attract), OutcomeCardRemoved},
		{"reader lost", append(snaps(attract, reading, face), step{state: oos, msg: kiosk.ReasonReaderLost}), OutcomeOutOfService},
		{"no card: insert screen cancelled", snaps(attract, insert, attract), ""},
		{"eID refused, then the card", snaps(attract, insert, kiosk.StateEIDScan, kiosk.StateEIDCheck, kiosk.StateEIDProblem, insert,
			reading, face, result, menu, attract), OutcomeCardRemoved},
		{"eID refused: not a session", snaps(attract, insert, kiosk.StateEIDScan, kiosk.StateEIDCheck, kiosk.StateEIDProblem, attract), ""},
		{"eID completed", snaps(attract, insert, kiosk.StateEIDScan, kiosk.StateEIDCheck, face, result, menu, form, summary, submit, done, attract), OutcomeCompleted},
		{"eID cancelled", append(snaps(attract, insert, kiosk.StateEIDScan, kiosk.StateEIDCheck, face, result, menu),
			step{audit: "session.cancel"}, step{state: attract}), OutcomeCancelled},
		{"staff card: not a resident session", snaps(attract, reading, kiosk.StateStaffPIN, kiosk.StateStaff, attract), ""},
		{"staff gesture", snaps(attract, kiosk.StateStaffPIN, kiosk.StateStaff, oos, attract), ""},
		{"audit outside a session ignored", append([]step{{state: attract}, {audit: "session.timeout"}}, snaps(reading, attract)...), OutcomeCardRemoved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(BuildInfo{}, nil)
			for _, s := range tt.steps {
				if s.audit != "" {
					m.Audit(s.audit)
				} else {
					m.Snapshot(kiosk.Snapshot{State: s.state, Message: s.msg})
				}
			}
			for _, o := range Outcomes {
				want := 0.0
				if o == tt.want {
					want = 1
				}
				if got := testutil.ToFloat64(m.sessions.WithLabelValues(o)); got != want {
					t.Errorf("sessions{outcome=%s} = %v, want %v", o, got, want)
				}
			}
		})
	}
}

func TestStageDurations(t *testing.T) {
	m := New(BuildInfo{}, nil)
	now := time.Unix(1_800_000_000, 0)
	m.now = func() time.Time { return now }
	for _, st := range []struct {
		s     kiosk.State
		after time.Duration
	}{{kiosk.StateAttract, 0}, {kiosk.StateReading, time.Second}, {kiosk.StateFace, 4 * time.Second},
		{kiosk.StateFaceResult, 7 * time.Second}, {kiosk.StateFace, time.Second}, {kiosk.StateFaceResult, 9 * time.Second}} {
		now = now.Add(st.after)
		m.Snapshot(kiosk.Snapshot{State: st.s})
	}
	out, err := testutil.CollectAndFormat(m.stages, expfmt.TypeTextPlain, "kiosk_stage_duration_seconds")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`kiosk_stage_duration_seconds_sum{stage="card_read"} 4`,
		`kiosk_stage_duration_seconds_count{stage="card_read"} 1`,
		`kiosk_stage_duration_seconds_sum{stage="face"} 16`,
		`kiosk_stage_duration_seconds_count{stage="face"} 2`,
		`kiosk_stage_duration_seconds_count{stage="submit"} 0`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestReaderUp(t *testing.T) {
	m := New(BuildInfo{}, nil)
	up := func() float64 { return testutil.ToFloat64(m.deviceUp.WithLabelValues(DeviceCardReader)) }
	m.Device(DeviceCardReader, true)
	if up() != 1 {
		t.Fatal("health said the reader is usable")
	}
	m.Snapshot(kiosk.Snapshot{State: kiosk.StateOutOfService, Message: kiosk.ReasonReaderLost})
	if up() != 0 || testutil.ToFloat64(m.inService) != 0 {
		t.Fatal("the session lost the reader: down and out of service")
	}
	m.Device(DeviceCardReader, true) // a health sample while it is lost does not hide it
	if up() != 0 {
		t.Fatal("reader lost must win over an older health verdict")
	}
	m.Snapshot(kiosk.Snapshot{State: kiosk.StateAttract})
	if up() != 1 || testutil.ToFloat64(m.inService) != 1 {
		t.Fatal("reader back")
	}
	m.Device(DeviceCardReader, false)
	if up() != 0 {
		t.Fatal("health says no usable reader")
	}
}

func TestPrinterStateOneHot(t *testing.T) {
	m := New(BuildInfo{}, nil)
	for _, s := range []PrinterState{PrinterUnknown, PrinterOK, PrinterNoPaper, PrinterNone} {
		if s != PrinterUnknown {
			m.Printer(s)
		}
		for _, x := range PrinterStates {
			want := 0.0
			if x == s {
				want = 1
			}
			if got := testutil.ToFloat64(m.printerState.WithLabelValues(string(x))); got != want {
				t.Errorf("after %s: printer_state{state=%s} = %v", s, x, got)
			}
		}
	}
	if testutil.ToFloat64(m.deviceUp.WithLabelValues(DevicePrinter)) != 0 {
		t.Error("no printer is a printer down")
	}
}

type fakeOutbox struct {
	n      int
	oldest time.Time
	err    error
}

func (f fakeOutbox) Pending(context.Context) (int, error) { return f.n, f.err }
func (f fakeOutbox) OldestPending(context.Context) (time.Time, bool, error) {
	return f.oldest, f.n > 0, f.err
}

func TestOutboxAtScrape(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name string
		box  fakeOutbox
		want []string
	}{
		{"empty", fakeOutbox{}, []string{"kiosk_outbox_depth 0", "kiosk_outbox_oldest_age_seconds 0", "kiosk_outbox_read_ok 1"}},
		{"two, oldest 2h", fakeOutbox{n: 2, oldest: now.Add(-2 * time.Hour)}, []string{"kiosk_outbox_depth 2", "kiosk_outbox_oldest_age_seconds 7200"}},
		{"database down", fakeOutbox{err: errors.New("busy")}, []string{"kiosk_outbox_read_ok 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(BuildInfo{Version: "v1", Mode: "demo"}, tt.box)
			m.now = func() time.Time { return now }
			body := scrape(t, m)
			for _, w := range tt.want {
				if !strings.Contains(body, "\n"+w+"\n") {
					t.Errorf("missing %q", w)
				}
			}
		})
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	s, err := Serve("127.0.0.1:0", m.Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

func TestBuildInfoAndServer(t *testing.T) {
	m := New(BuildInfo{Version: "(devel)", Revision: "abc", GoVersion: "go1.26", Mode: "production"}, nil)
	body := scrape(t, m)
	for _, w := range []string{
		`kiosk_build_info{goversion="go1.26",mode="production",revision="abc",version="(devel)"} 1`,
		`kiosk_sessions_total{outcome="timeout"} 0`,
		`kiosk_in_service 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, w) {
			t.Errorf("missing %q", w)
		}
	}
	s, err := Serve("127.0.0.1:0", m.Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Post("http://"+s.Addr()+"/metrics", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d", resp.StatusCode)
	}
}
