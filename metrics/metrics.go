// Package metrics is the kiosk's Prometheus endpoint: how sessions end, how long the
// card read, face check and submission take, whether the devices and the back office
// are up, the outbox, the printer and the audit chain.
//
// No metric carries personal data. Every label value is one of a fixed set declared
// in this file (outcomes, stages, devices, printer states) or a health check's name
// from the code; nothing from a card, a form, a reference or the back office ever
// becomes a label (TestNoPersonalDataInLabels scrapes a real session to check).
package metrics

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/macau-dsi/kiosk/kiosk"
)

// Namespace prefixes every kiosk metric.
const Namespace = "kiosk"

// Session outcomes (label outcome of kiosk_sessions_total). A session starts when a
// card is inserted and ends when the kiosk is back on the attract screen (or out of
// service). The first of these that applies wins, in this order:
const (
	// OutcomeCompleted: an application was submitted (the done screen was reached).
	OutcomeCompleted = "completed"
	// OutcomeCardProblem: the card was not genuine, expired or unreadable.
	OutcomeCardProblem = "card_problem"
	// OutcomeCounter: sent to the counter (PIN blocked, submission failed, ...).
	OutcomeCounter = "counter"
	// OutcomeCancelled: the resident pressed "end".
	OutcomeCancelled = "cancelled"
	// OutcomeTimeout: the resident walked away (the screen timed out twice).
	OutcomeTimeout = "timeout"
	// OutcomeOutOfService: the reader was lost or staff switched maintenance on mid-session.
	OutcomeOutOfService = "out_of_service"
	// OutcomeCardRemoved: the card was pulled before any of the above.
	OutcomeCardRemoved = "card_removed"
)

// Outcomes lists every outcome, in the order above.
var Outcomes = []string{OutcomeCompleted, OutcomeCardProblem, OutcomeCounter, OutcomeCancelled,
	OutcomeTimeout, OutcomeOutOfService, OutcomeCardRemoved}

// Stages timed by kiosk_stage_duration_seconds: the time the session spends on the
// screen of each (a face stage is one attempt).
const (
	StageCardRead = "card_read"
	StageFace     = "face"
	StagePIN      = "pin"
	StagePayment  = "payment"
	StageSubmit   = "submit"
)

var stageOf = map[kiosk.State]string{
	kiosk.StateReading:    StageCardRead,
	kiosk.StateFace:       StageFace,
	kiosk.StatePIN:        StagePIN,
	kiosk.StatePayment:    StagePayment,
	kiosk.StateSubmitting: StageSubmit,
}

// Devices of kiosk_device_up.
const (
	DeviceCardReader = "card_reader"
	DeviceCamera     = "camera"
	DevicePrinter    = "printer"
	DeviceBackOffice = "backoffice"
)

// PrinterState is the receipt printer as its last print (or the configuration) left it.
type PrinterState string

// Printer states of kiosk_printer_state (one of them is 1, the others 0).
const (
	PrinterUnknown PrinterState = "unknown"  // nothing printed since the kiosk started
	PrinterOK      PrinterState = "ok"       // the last receipt printed
	PrinterNoPaper PrinterState = "no_paper" // out of paper (or jammed, door open)
	PrinterStopped PrinterState = "stopped"  // the CUPS queue is stopped or refuses jobs
	PrinterError   PrinterState = "error"    // any other failure (CUPS down, timeout)
	PrinterNone    PrinterState = "none"     // the kiosk has no printer configured
)

// PrinterStates lists every printer state.
var PrinterStates = []PrinterState{PrinterUnknown, PrinterOK, PrinterNoPaper, PrinterStopped, PrinterError, PrinterNone}

// BuildInfo is what kiosk_build_info reports.
type BuildInfo struct {
	Version   string // module version ("(devel)" for a source build)
	Revision  string // VCS revision, "" when the build has none
	GoVersion string
	Mode      string // kiosk.mode: production, demo, development
}

// Outbox reports the back-office outbox (the store).
type Outbox interface {
	Pending(ctx context.Context) (int, error)
	OldestPending(ctx context.Context) (time.Time, bool, error)
}

// Metrics holds the kiosk's metrics and follows the session. It is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	sessions     *prometheus.CounterVec
	stages       *prometheus.HistogramVec
	deviceUp     *prometheus.GaugeVec
	printerState *prometheus.GaugeVec
	auditOK      prometheus.Gauge
	healthOK     *prometheus.GaugeVec
	healthAt     prometheus.Gauge
	inService    prometheus.Gauge

	mu sync.Mutex
	// Session tracking, from snapshots and audit actions.
	state      kiosk.State
	entered    time.Time
	active     bool
	outcome    string // decided by a screen the session reached
	endReason  string // cancelled / timeout, from the audit row of the end
	readerLost bool   // the session says the reader is gone
	healthRead *bool  // the last health sample's verdict on the reader
}

// New registers the kiosk's metrics (and Go's and the process's) in a registry of its
// own. outbox may be nil (no outbox metrics).
func New(b BuildInfo, outbox Outbox) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), now: time.Now}
	m.sessions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "sessions_total",
		Help: "Resident sessions (card inserted to attract screen) by how they ended.",
	}, []string{"outcome"})
	m.stages = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "stage_duration_seconds",
		Help:    "Time on each stage's screen: card_read, face (one attempt), pin, payment, submit.",
		Buckets: []float64{0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120, 300},
	}, []string{"stage"})
	m.deviceUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "device_up",
		Help: "1 when the device answers, 0 when it does not (card_reader, camera, printer, backoffice). Absent until known.",
	}, []string{"device"})
	m.printerState = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "printer_state",
		Help: "The receipt printer's state: the one that applies is 1.",
	}, []string{"state"})
	m.auditOK = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "audit_chain_ok",
		Help: "1 when the last health sample verified the audit log's hash chain, 0 when it is broken.",
	})
	m.healthOK = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "health_check_ok",
		Help: "The periodic health checks (kiosk doctor's rows safe beside the running kiosk): 1 passed, 0 failed.",
	}, []string{"check"})
	m.healthAt = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "health_last_run_timestamp_seconds",
		Help: "When the health checks last ran (Unix time).",
	})
	m.inService = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "in_service",
		Help: "0 while the kiosk shows out of service (reader lost, maintenance), else 1.",
	})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help: "The running kiosk's build; always 1.",
	}, []string{"version", "revision", "goversion", "mode"})
	build.WithLabelValues(b.Version, b.Revision, b.GoVersion, b.Mode).Set(1)

	m.reg.MustRegister(m.sessions, m.stages, m.deviceUp, m.printerState, m.auditOK, m.healthOK, m.healthAt, m.inService, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if outbox != nil {
		m.reg.MustRegister(outboxCollector{outbox, func() time.Time { return m.now() }})
	}
	// Every outcome and stage exists from the start, so rates and alerts see a 0, not
	// a missing series, on a kiosk that has not had that kind of session yet.
	for _, o := range Outcomes {
		m.sessions.WithLabelValues(o)
	}
	for _, s := range stageOf {
		m.stages.WithLabelValues(s)
	}
	m.inService.Set(1)
	m.setPrinter(PrinterUnknown)
	return m
}

// Handler serves the metrics in Prometheus' text (or OpenMetrics) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, Timeout: 10 * time.Second})
}

// Registry is the registry behind Handler (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Snapshot follows the session: give it every snapshot (kiosk.Machine.Subscribe). It
// only reads the state and the message key, never the resident's data.
func (m *Metrics) Snapshot(s kiosk.Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inService.Set(boolGauge(s.State != kiosk.StateOutOfService))
	lost := s.State == kiosk.StateOutOfService && s.Message == kiosk.ReasonReaderLost
	if lost != m.readerLost {
		m.readerLost = lost
		m.updateReader()
	}
	if s.State == m.state {
		return
	}
	now := m.now()
	if stage, ok := stageOf[m.state]; ok && !m.entered.IsZero() {
		m.stages.WithLabelValues(stage).Observe(now.Sub(m.entered).Seconds())
	}
	prev := m.state
	m.state, m.entered = s.State, now

	// What the new screen says about the camera: a face attempt that reached a
	// decision had frames; the PIN fallback "face check unavailable" had none.
	switch {
	case s.State == kiosk.StateFaceResult && prev == kiosk.StateFace:
		m.deviceUp.WithLabelValues(DeviceCamera).Set(1)
	case s.State == kiosk.StatePIN && s.Message == kiosk.ReasonFaceUnavailable:
		m.deviceUp.WithLabelValues(DeviceCamera).Set(0)
	}

	if staffState(s.State) {
		// Staff mode (a staff card, or the hidden gesture) is not a resident's
		// session: a staff card's read is not counted as one.
		m.active = false
		return
	}
	if !m.active && inSession(s.State) {
		m.active, m.outcome, m.endReason = true, "", ""
	}
	if !m.active {
		return
	}
	switch s.State {
	case kiosk.StateDone:
		m.outcome = OutcomeCompleted // also after an earlier problem: an application went in
	case kiosk.StateCardProblem:
		m.setOutcome(OutcomeCardProblem)
	case kiosk.StateCounter:
		m.setOutcome(OutcomeCounter)
	}
	if inSession(s.State) {
		return
	}
	o := m.outcome
	if o == "" {
		o = m.endReason
	}
	if o == "" && s.State == kiosk.StateOutOfService {
		o = OutcomeOutOfService
	}
	if o == "" {
		o = OutcomeCardRemoved
	}
	m.sessions.WithLabelValues(o).Inc()
	m.active = false
}

func (m *Metrics) setOutcome(o string) {
	if m.outcome == "" {
		m.outcome = o
	}
}

// inSession: a resident's card is in (or being asked back) on these screens, or the
// resident's eID was verified. Showing an eID code that is refused, like reading the
// insert-card screen and leaving, is not a session.
func inSession(s kiosk.State) bool {
	switch s {
	case kiosk.StateAttract, kiosk.StateInsertCard, kiosk.StateOutOfService, "",
		kiosk.StateEIDScan, kiosk.StateEIDCheck, kiosk.StateEIDProblem:
		return false
	}
	return true
}

func staffState(s kiosk.State) bool { return s == kiosk.StateStaffPIN || s == kiosk.StateStaff }

// Audit hears the session's audit actions (the store's Audit, before the snapshot of
// the screen they lead to): they tell a resident's "end" from a timeout, which lead to
// the same screen.
func (m *Metrics) Audit(action string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.active || m.endReason != "" {
		return
	}
	switch action {
	case "session.cancel":
		m.endReason = OutcomeCancelled
	case "session.timeout":
		m.endReason = OutcomeTimeout
	}
}

// Device records whether a device answered. For the card reader this is the health
// check's verdict: the session's "reader lost" overrides it while it lasts.
func (m *Metrics) Device(device string, up bool) {
	if device == DeviceCardReader {
		m.HealthReader(up)
		return
	}
	m.deviceUp.WithLabelValues(device).Set(boolGauge(up))
}

// HealthReader records what the periodic health check found of the card reader
// (pcscd reachable, a usable reader). The session's "reader lost" overrides it.
func (m *Metrics) HealthReader(ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.healthRead = &ok
	m.updateReader()
}

func (m *Metrics) updateReader() {
	switch {
	case m.readerLost:
		m.deviceUp.WithLabelValues(DeviceCardReader).Set(0)
	case m.healthRead != nil:
		m.deviceUp.WithLabelValues(DeviceCardReader).Set(boolGauge(*m.healthRead))
	}
}

// Printer records the printer's state; the printer is up only when it printed.
func (m *Metrics) Printer(s PrinterState) {
	m.setPrinter(s)
	switch s {
	case PrinterOK:
		m.deviceUp.WithLabelValues(DevicePrinter).Set(1)
	case PrinterNoPaper, PrinterStopped, PrinterError, PrinterNone:
		m.deviceUp.WithLabelValues(DevicePrinter).Set(0)
	}
}

func (m *Metrics) setPrinter(s PrinterState) {
	for _, x := range PrinterStates {
		m.printerState.WithLabelValues(string(x)).Set(boolGauge(x == s))
	}
}

// HealthCheck is one health check's verdict.
type HealthCheck struct {
	Name string // the check's name, from the code (e.g. "pcscd", "audit_chain")
	OK   bool
}

// Health records one round of health checks, taken at at.
func (m *Metrics) Health(at time.Time, checks []HealthCheck) {
	for _, c := range checks {
		m.healthOK.WithLabelValues(c.Name).Set(boolGauge(c.OK))
	}
	m.healthAt.Set(float64(at.UnixNano()) / 1e9)
}

// AuditChain records whether the audit chain verified.
func (m *Metrics) AuditChain(ok bool) { m.auditOK.Set(boolGauge(ok)) }

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// outboxCollector reads the outbox at scrape time, so its depth and age are never
// older than the scrape.
type outboxCollector struct {
	o   Outbox
	now func() time.Time
}

var (
	outboxDepthDesc = prometheus.NewDesc(Namespace+"_outbox_depth",
		"Messages waiting for the back office.", nil, nil)
	outboxAgeDesc = prometheus.NewDesc(Namespace+"_outbox_oldest_age_seconds",
		"Age of the oldest message waiting for the back office; 0 when none waits.", nil, nil)
	outboxUpDesc = prometheus.NewDesc(Namespace+"_outbox_read_ok",
		"1 when the outbox could be read for this scrape, 0 when the database did not answer.", nil, nil)
)

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDepthDesc
	ch <- outboxAgeDesc
	ch <- outboxUpDesc
}

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := c.o.Pending(ctx)
	oldest, any, err2 := c.o.OldestPending(ctx)
	if err != nil || err2 != nil {
		ch <- prometheus.MustNewConstMetric(outboxUpDesc, prometheus.GaugeValue, 0)
		return
	}
	age := 0.0
	if any {
		age = max(c.now().Sub(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(outboxUpDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(outboxDepthDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, age)
}
