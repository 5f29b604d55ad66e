package main

// The metrics endpoint of `kiosk run` (metrics.listen): package metrics follows the
// session through its snapshots, the end of each session through the audit rows the
// store is given, the devices through the ports' answers and the periodic health
// checks (the doctor's rows, health.go), and reads the outbox at each scrape.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/metrics"
	"github.com/macau-dsi/kiosk/printer"
)

// monitor is the running metrics endpoint and what feeds it. A nil monitor (metrics
// turned off) does nothing.
type monitor struct {
	metrics *metrics.Metrics
	server  *metrics.Server
	stops   []func()
}

// startMonitor serves the metrics on cfg.Metrics.Listen and instruments devs' ports;
// it returns nil when metrics.listen is empty. Call it before the session machine is
// built (the machine must get the instrumented ports), then watch the machine.
//
// An address it cannot listen on (taken by another process) is logged and the kiosk
// runs without metrics: residents in the hall come before the dashboard, and the
// missing endpoint raises KioskDown at the centre. The error is for callers that must
// know (tests); runKiosk goes on.
func startMonitor(cfg config.Config, devs *devices) (*monitor, error) {
	if cfg.Metrics.Listen == "" {
		return nil, nil
	}
	var outbox metrics.Outbox
	if o, ok := devs.deps.Store.(metrics.Outbox); ok {
		outbox = o
	}
	m := metrics.New(buildInfo(cfg), outbox)
	srv, err := metrics.Serve(cfg.Metrics.Listen, m.Handler())
	if err != nil {
		err = fmt.Errorf("metrics endpoint: %w (set metrics.listen to a free address, or empty to turn it off)", err)
		slog.Error("running without metrics", "error", err)
		return nil, err
	}
	devs.deps = instrument(devs.deps, m)
	mon := &monitor{metrics: m, server: srv}
	mon.stops = append(mon.stops, onHealth(mon.health))
	slog.Info("metrics endpoint", "listen", srv.Addr())
	return mon, nil
}

// watch follows the machine's snapshots.
func (mon *monitor) watch(m *kiosk.Machine) {
	if mon == nil {
		return
	}
	mon.stops = append(mon.stops, m.Subscribe(mon.metrics.Snapshot))
}

// addr is where the endpoint listens.
func (mon *monitor) addr() string {
	if mon == nil {
		return ""
	}
	return mon.server.Addr()
}

func (mon *monitor) close() {
	if mon == nil {
		return
	}
	for _, stop := range mon.stops {
		stop()
	}
	if err := mon.server.Close(); err != nil {
		slog.Warn("metrics endpoint", "error", err)
	}
}

// health turns a round of the doctor's rows into metrics: each check passes when none
// of its rows failed (WARN passes, as in `kiosk doctor`); pcscd and a usable reader
// are the card reader; the audit chain row is the audit metric; the back office row
// (doctor_backoffice.go) is the back office's state between sessions.
func (mon *monitor) health(at time.Time, rows []doctorResult) {
	ok := map[string]bool{}
	for _, r := range rows {
		name := metricName(r.Check)
		pass := r.Status != statusFail
		if prev, seen := ok[name]; seen {
			pass = pass && prev
		}
		ok[name] = pass
	}
	if pcscd, seen := ok["pcscd"]; seen {
		readers, seen := ok["card_readers"] // only present when it failed or could not list
		mon.metrics.Device(metrics.DeviceCardReader, pcscd && (!seen || readers))
	}
	if chain, seen := ok["audit_chain"]; seen {
		mon.metrics.AuditChain(chain)
	}
	for _, r := range rows {
		// Not configured (WARN) says nothing about a back office's health.
		if r.Check == "back office" && r.Status != statusWarn {
			mon.metrics.Device(metrics.DeviceBackOffice, r.Status == statusOK)
		}
	}
	checks := make([]metrics.HealthCheck, 0, len(ok))
	for name, pass := range ok {
		checks = append(checks, metrics.HealthCheck{Name: name, OK: pass})
	}
	sort.Slice(checks, func(i, j int) bool { return checks[i].Name < checks[j].Name })
	mon.metrics.Health(at, checks)
}

// metricName makes a doctor check's name ("CSCA trust store") a label value
// ("csca_trust_store"). The names are the code's own, never a device's or a person's.
func metricName(check string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(check) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// buildInfo is this binary's version, VCS revision (when built with one) and Go
// version, and the kiosk mode.
func buildInfo(cfg config.Config) metrics.BuildInfo {
	b := metrics.BuildInfo{Version: "unknown", GoVersion: runtime.Version(), Mode: cfg.Kiosk.Mode}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.Version = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				b.Revision = s.Value
			}
		}
	}
	return b
}

// instrument wraps the ports the metrics learn from: the store's audit rows (how a
// session ended), the printer's and the back office's answers.
func instrument(d kiosk.Deps, m *metrics.Metrics) kiosk.Deps {
	if d.Store != nil {
		d.Store = auditObserver{d.Store, m}
	}
	switch p := d.Printer.(type) {
	case nil, kiosk.NoPrinter:
		m.Printer(metrics.PrinterNone)
	default:
		d.Printer = printObserver{p, m}
	}
	if d.BackOffice != nil {
		d.BackOffice = backOfficeObserver{d.BackOffice, m}
	}
	return d
}

// auditObserver passes every audit row to the store and its action to the metrics.
type auditObserver struct {
	kiosk.Store
	m *metrics.Metrics
}

func (a auditObserver) Audit(ctx context.Context, e kiosk.AuditEvent) error {
	a.m.Audit(e.Action)
	return a.Store.Audit(ctx, e)
}

type printObserver struct {
	kiosk.Printer
	m *metrics.Metrics
}

func (p printObserver) PrintReceipt(ctx context.Context, r kiosk.Receipt) error {
	err := p.Printer.PrintReceipt(ctx, r)
	if s, known := printerState(err); known {
		p.m.Printer(s)
	}
	return err
}

// printerState reads a print's result. The CUPS adapter says why in printer.Error's
// Reason, which names the printer-state-reason it saw; a print the session gave up
// on (context cancelled) says nothing about the printer.
func printerState(err error) (metrics.PrinterState, bool) {
	if err == nil {
		return metrics.PrinterOK, true
	}
	if errors.Is(err, context.Canceled) {
		return "", false
	}
	var pe *printer.Error
	if errors.As(err, &pe) {
		switch r := pe.Reason; {
		case strings.Contains(r, "media-empty"), strings.Contains(r, "media-needed"):
			return metrics.PrinterNoPaper, true
		case strings.Contains(r, "is stopped"), strings.Contains(r, "not accepting"):
			return metrics.PrinterStopped, true
		}
	}
	return metrics.PrinterError, true
}

type backOfficeObserver struct {
	kiosk.BackOffice
	m *metrics.Metrics
}

func (b backOfficeObserver) Lookup(ctx context.Context, subject string) (kiosk.ResidentRecord, error) {
	r, err := b.BackOffice.Lookup(ctx, subject)
	b.saw(err)
	return r, err
}

func (b backOfficeObserver) Submit(ctx context.Context, key string, msg kiosk.ApplicationMessage) (kiosk.SubmitAnswer, error) {
	ans, err := b.BackOffice.Submit(ctx, key, msg)
	b.saw(err)
	return ans, err
}

// saw: an answer, even a refusal, means the back office is up; only "unavailable"
// (the adapters' word for no answer) means down.
func (b backOfficeObserver) saw(err error) {
	switch {
	case errors.Is(err, kiosk.ErrBackOfficeUnavailable):
		b.m.Device(metrics.DeviceBackOffice, false)
	case errors.Is(err, context.Canceled):
	default:
		b.m.Device(metrics.DeviceBackOffice, true)
	}
}
