package main

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
	"github.com/macau-dsi/kiosk/metrics"
	"github.com/macau-dsi/kiosk/printer"
	"github.com/macau-dsi/kiosk/store"
)

// monitoredKiosk is `kiosk run` minus the window and the hardware: the session machine
// on the kiosktest fakes (card, face, back office, printer) with the real SQLite
// store, instrumented and served by the real metrics endpoint (startMonitor, as
// runKiosk does), on a port of its own.
type monitoredKiosk struct {
	t     *testing.T
	cfg   config.Config
	db    *store.DB
	card  *kiosktest.Card
	m     *kiosk.Machine
	mon   *monitor
	snaps chan kiosk.Snapshot
	// What the resident's session showed: none of it may appear in a metric.
	holder    kiosk.CardHolder
	reference string
	phone     string
}

// startMonitoredKiosk starts it; printErr, when set, is what every print returns.
func startMonitoredKiosk(t *testing.T, printErr error) *monitoredKiosk {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Kiosk.Mode = config.ModeDevelopment
	cfg.Store.Path = filepath.Join(dir, "kiosk.db")
	cfg.Store.SubjectKeyFile = filepath.Join(dir, "subject.key")
	cfg.Metrics.Listen = "127.0.0.1:0"
	// A fee-free renewal: the session reaches its receipt without a payment step (this
	// kiosk takes no money). One Account, free as well, makes no application.
	cfg.Services.Fees.IDRenewal = "0.00"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, err := store.Open(ctx, cfg.Store.Path, storeOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	read := kiosktest.Resident("1357924(6)", kiosktest.Day(1990, 5, 10), kiosktest.Day(2020, 1, 15), kiosktest.Day(2026, 9, 30))
	k := &monitoredKiosk{t: t, cfg: cfg, db: db, card: kiosktest.NewCard(read, kiosktest.DefaultPIN, 3),
		snaps: make(chan kiosk.Snapshot, 1024), holder: read.Holder, phone: "66123456"}
	sealer, _ := kiosktest.NewSealer(t)
	devs := devices{deps: kiosk.Deps{
		Card: k.card, Face: kiosktest.NewFace(kiosktest.Match), Store: db, BackOffice: kiosktest.NewBackOffice(),
		Printer: &kiosktest.Printer{Err: printErr}, Clock: kiosk.SystemClock{}, Rand: rand.Reader, Subjects: kiosktest.Subjects{}, Sealer: sealer,
	}}
	if k.mon, err = startMonitor(cfg, &devs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.mon.close)
	if k.m, err = newMachine(cfg, runOptions{camera: -1}, devs); err != nil {
		t.Fatal(err)
	}
	k.mon.watch(k.m)
	k.m.Subscribe(func(s kiosk.Snapshot) {
		select {
		case k.snaps <- s:
		default:
		}
	})
	done := make(chan error, 1)
	go func() { done <- k.m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("machine: %v", err)
		}
	})
	// The periodic health loop's own sampling (doctor rows safe beside a running kiosk).
	if err := sampleHealth(ctx, cfg, db); err != nil {
		t.Fatal(err)
	}
	k.wait(kiosk.StateAttract)
	return k
}

func (k *monitoredKiosk) wait(st kiosk.State) kiosk.Snapshot {
	k.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-k.snaps:
			if s.State == st && !s.Busy {
				return s
			}
		case <-deadline:
			k.t.Fatalf("waiting for %s: now %s", st, k.m.Snapshot().State)
		}
	}
}

func (k *monitoredKiosk) press(kind kiosk.EventKind) { k.m.Post(kiosk.Event{Kind: kind}) }

// sessions plays a resident who applies for the (here fee-free) card renewal and
// takes the card, then one who inserts the card and presses "end" on the service menu.
func (k *monitoredKiosk) sessions() {
	k.t.Helper()
	toMenu := func() {
		k.card.Insert()
		k.wait(kiosk.StateFaceResult)
		k.press(kiosk.EvContinue)
		k.wait(kiosk.StateServiceMenu)
	}
	k.m.Post(kiosk.Event{Kind: kiosk.EvStart, Language: kiosk.LangEN})
	k.wait(kiosk.StateInsertCard)
	toMenu()
	k.m.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceIDRenewal})
	k.wait(kiosk.StateCheckData)
	k.press(kiosk.EvContinue)
	k.wait(kiosk.StateServiceForm)
	for _, kv := range [][2]string{{kiosk.FieldCollectionOffice, kiosk.CollectionOffices[0]}, {kiosk.FieldPhoneNumber, k.phone}} {
		k.m.Post(kiosk.Event{Kind: kiosk.EvFormInput, Field: kv[0], Value: kv[1]})
	}
	k.press(kiosk.EvContinue)
	k.wait(kiosk.StateSummary)
	k.press(kiosk.EvConfirm)
	done := k.wait(kiosk.StateDone)
	if done.Reference == "" {
		k.t.Fatal("done screen without a reference")
	}
	k.reference = done.Reference
	k.press(kiosk.EvContinue)
	k.wait(kiosk.StateTakeCard)
	k.card.Remove()
	k.wait(kiosk.StateAttract)

	toMenu()
	k.press(kiosk.EvCancel)
	k.wait(kiosk.StateTakeCard)
	k.card.Remove()
	k.wait(kiosk.StateAttract)
}

func (k *monitoredKiosk) scrape() string {
	k.t.Helper()
	resp, err := http.Get("http://" + k.mon.addr() + "/metrics")
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		k.t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

func TestMetricsFollowRealSession(t *testing.T) {
	k := startMonitoredKiosk(t, nil)
	k.sessions()
	body := k.scrape()
	for _, want := range []string{
		`kiosk_sessions_total{outcome="completed"} 1`,
		`kiosk_sessions_total{outcome="cancelled"} 1`,
		`kiosk_sessions_total{outcome="timeout"} 0`,
		`kiosk_stage_duration_seconds_count{stage="card_read"} 2`,
		`kiosk_stage_duration_seconds_count{stage="face"} 2`,
		`kiosk_stage_duration_seconds_count{stage="submit"} 1`,
		`kiosk_device_up{device="camera"} 1`,
		`kiosk_device_up{device="printer"} 1`,
		`kiosk_device_up{device="backoffice"} 1`,
		`kiosk_printer_state{state="ok"} 1`,
		`kiosk_outbox_depth 1`, // no deliverer runs: the application waits
		`kiosk_outbox_read_ok 1`,
		`kiosk_audit_chain_ok 1`,
		`kiosk_health_check_ok{check="database"} 1`,
		`kiosk_health_check_ok{check="audit_chain"} 1`,
		`kiosk_in_service 1`,
		`mode="development"`,
	} {
		if !strings.Contains(body, "\n"+want) && !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	// The reader's row comes from the same health sample as `kiosk doctor`'s pcscd check.
	if !strings.Contains(body, `kiosk_device_up{device="card_reader"}`) {
		t.Error("no card reader state from the health sample")
	}
}

// TestNoPersonalDataInLabels scrapes after real sessions and checks every label value
// of every metric against what the resident gave the kiosk (card number, names,
// phone, the receipt reference) and against their shapes.
func TestNoPersonalDataInLabels(t *testing.T) {
	k := startMonitoredKiosk(t, nil)
	k.sessions()
	body := k.scrape()
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{k.holder.DocumentNumber, strings.Split(k.holder.DocumentNumber, "(")[0], k.holder.Names.Chinese,
		k.holder.Names.Portuguese, k.holder.Names.Primary, k.holder.Names.Secondary, k.phone, k.reference,
		strings.ReplaceAll(k.reference, "-", "")}
	shapes := map[string]*regexp.Regexp{
		"card number":  regexp.MustCompile(`\d{7}\(?\d\)?`),
		"phone number": regexp.MustCompile(`(^|\D)[2689]\d{7}(\D|$)`),
		"reference":    regexp.MustCompile(`\d{6}-?[0-9A-Z]{4,}-?[0-9A-Z]`),
		"name":         regexp.MustCompile(`^[A-Z]{2,} [A-Z]{2,}`),
	}
	labels := 0
	for name, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				labels++
				for _, s := range secrets {
					if s != "" && strings.Contains(strings.ToUpper(v), strings.ToUpper(s)) {
						t.Errorf("%s{%s=%q} carries the resident's %q", name, l.GetName(), v, s)
					}
				}
				for what, re := range shapes {
					if re.MatchString(v) {
						t.Errorf("%s{%s=%q} looks like a %s", name, l.GetName(), v, what)
					}
				}
				if _, err := kiosk.CheckReference(v); err == nil {
					t.Errorf("%s{%s=%q} is a receipt reference", name, l.GetName(), v)
				}
				for _, r := range v {
					if unicode.Is(unicode.Han, r) {
						t.Errorf("%s{%s=%q} has Chinese characters (a name?)", name, l.GetName(), v)
						break
					}
				}
			}
		}
	}
	if labels < 20 {
		t.Fatalf("only %d label values scraped: the check saw nothing", labels)
	}
}

func TestPrinterStateFromPrintErrors(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		want  metrics.PrinterState
		known bool
	}{
		{"printed", nil, metrics.PrinterOK, true},
		{"out of paper", &printer.Error{Reason: `printer of queue "receipts" reports media-empty-error`}, metrics.PrinterNoPaper, true},
		{"paper needed", &printer.Error{Reason: `printer of queue "receipts" reports media-needed`}, metrics.PrinterNoPaper, true},
		{"queue stopped", &printer.Error{Reason: `queue "receipts" is stopped (Paused)`}, metrics.PrinterStopped, true},
		{"not accepting", &printer.Error{Reason: `queue "receipts" is not accepting jobs`}, metrics.PrinterStopped, true},
		{"cups down", &printer.Error{Reason: "the CUPS scheduler is not running"}, metrics.PrinterError, true},
		{"no printer", kiosk.ErrNoPrinter, metrics.PrinterError, true},
		{"session gave up", context.Canceled, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := printerState(tt.err)
			if got != tt.want || known != tt.known {
				t.Errorf("printerState(%v) = %q %t, want %q %t", tt.err, got, known, tt.want, tt.known)
			}
		})
	}
}

func TestHealthRowsToMetrics(t *testing.T) {
	tests := []struct {
		name       string
		rows       []doctorResult
		reader     string // "" absent, else "0"/"1"
		auditChain string
	}{
		{"all well", []doctorResult{{"pcscd", statusOK, "", ""}, {"reader", statusOK, "ACS", ""}, {"audit chain", statusOK, "", ""}}, "1", "1"},
		{"no pcscd", []doctorResult{{"pcscd", statusFail, "", ""}, {"audit chain", statusOK, "", ""}}, "0", "1"},
		{"no usable reader", []doctorResult{{"pcscd", statusOK, "", ""}, {"reader", statusWarn, "vpcd", ""}, {"card readers", statusFail, "", ""}}, "0", ""},
		{"chain broken", []doctorResult{{"audit chain", statusFail, "row 7", ""}}, "", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mon := &monitor{metrics: metrics.New(metrics.BuildInfo{}, nil)}
			mon.health(time.Now(), tt.rows)
			fams, err := mon.metrics.Registry().Gather()
			if err != nil {
				t.Fatal(err)
			}
			var buf strings.Builder
			for _, f := range fams {
				expfmt.MetricFamilyToText(&buf, f)
			}
			out := buf.String()
			check := func(series, want string) {
				has := strings.Contains(out, series+" ")
				if want == "" && has || want != "" && !strings.Contains(out, series+" "+want+"\n") {
					t.Errorf("%s: want %q in\n%s", series, want, out)
				}
			}
			check(`kiosk_device_up{device="card_reader"}`, tt.reader)
			if tt.auditChain != "" {
				check("kiosk_audit_chain_ok", tt.auditChain)
			}
		})
	}
	if got := metricName("CSCA trust store"); got != "csca_trust_store" {
		t.Errorf("metricName = %q", got)
	}
}

func TestMetricsOff(t *testing.T) {
	cfg := config.Default()
	cfg.Metrics.Listen = ""
	devs := devices{deps: kiosk.Deps{Printer: &kiosktest.Printer{}}}
	mon, err := startMonitor(cfg, &devs)
	if err != nil || mon != nil {
		t.Fatalf("metrics.listen empty: monitor %v err %v", mon, err)
	}
	if _, wrapped := devs.deps.Printer.(printObserver); wrapped {
		t.Error("ports instrumented with metrics off")
	}
	mon.watch(nil)
	mon.close()
}

// A metrics port taken by another process must not keep the kiosk from serving
// residents: startMonitor says why, instruments nothing, and runKiosk goes on with a
// nil monitor.
func TestMetricsPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := config.Default()
	cfg.Metrics.Listen = ln.Addr().String()
	p := &kiosktest.Printer{}
	devs := devices{deps: kiosk.Deps{Printer: p}}
	mon, err := startMonitor(cfg, &devs)
	if err == nil || mon != nil || !strings.Contains(err.Error(), "metrics.listen") {
		t.Fatalf("port taken: monitor %v, err %v", mon, err)
	}
	if devs.deps.Printer != kiosk.Printer(p) {
		t.Error("ports instrumented without an endpoint")
	}
	mon.watch(nil)
	mon.close()
}
