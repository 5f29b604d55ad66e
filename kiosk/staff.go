package kiosk

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Staff mode: DSI staff look after the kiosk on its own screen. They enter with a
// staff card and its PIN (read through the same PC/SC path as residents' cards), or
// with a hidden gesture and the staff PIN whose argon2id hash is in the configuration.
// Rules, one home each:
const (
	// StaffMaxTries wrong staff PINs lock staff mode for StaffLockout, whoever tries.
	StaffMaxTries = 5
	StaffLockout  = 15 * time.Minute
	// StaffIdle: staff mode leaves by itself after this long without a touch.
	StaffIdle = 2 * time.Minute
	// StaffAuditRows is how much of the audit log the staff screen shows.
	StaffAuditRows = 30
)

// StaffAuth checks a staff PIN typed after the hidden gesture (argon2id hashes from the
// configuration; cmd/kiosk implements it). It returns the staff id the PIN belongs to.
type StaffAuth interface {
	CheckPIN(pin []byte) (staffID string, ok bool)
}

// StaffDesk is what staff mode reads and does; cmd/kiosk implements it over the store,
// the health checks and the configuration. Every change it makes is audited with the
// staff id by the implementation, in the same transaction as the change.
type StaffDesk interface {
	// Overview is the device health and today's counts (no personal data).
	Overview(ctx context.Context) (StaffOverview, error)
	// AuditTail returns the last n audit rows and the chain verification.
	AuditTail(ctx context.Context, n int) ([]AuditEvent, AuditCheck, error)
	SetMaintenance(ctx context.Context, on bool, staffID string) error
	SetFaceThresholds(ctx context.Context, t FaceThresholds, staffID string) error
	// Export writes the audit log and the statistics to the USB folder and says where.
	Export(ctx context.Context, staffID string) (string, error)
	// Restart ends the kiosk process so its supervisor starts it again (settings such
	// as face thresholds take effect then).
	Restart(staffID string) error
}

// StaffOverview is the staff home page.
type StaffOverview struct {
	Health []HealthItem
	// Counts are today's sessions per service and outcome, plus the face, liveness and
	// PIN failures.
	Counts      []Count
	Maintenance bool
	Face        FaceThresholds
}

// HealthItem is one device or dependency: the name is a translation key suffix
// ("staff.health.<Name>"), Detail is technical text for staff (never personal).
type HealthItem struct {
	Name   string
	OK     bool
	Detail string
}

// StaffHealthNames and StaffCountNames are the health items and statistics a
// StaffDesk reports (the screens translate "staff.health.<name>" and
// "staff.count.<name>"; a desk must not invent others).
var (
	StaffHealthNames = []string{"card_reader", "camera", "printer", "disk", "database", "outbox", "backoffice", "audit_chain", "models"}
	StaffCountNames  = []string{"sessions", "completed", "cancelled", "timeouts", "card_problems", "counter",
		"applications_id-renewal", "applications_passport", "applications_travel-permit", "applications_one-account",
		"face_failures", "liveness_failures", "pin_failures", "pin_blocked", "payments_declined"}
)

// Count is one statistic of today ("staff.count.<Name>").
type Count struct {
	Name  string
	Value int
}

// AuditCheck is the audit chain verification: rows checked and the first problem.
type AuditCheck struct {
	Rows    int64
	OK      bool
	Problem string
}

// FaceThresholds are the face settings staff may tune, within their safe ranges.
type FaceThresholds struct {
	Match  float64 // cosine similarity needed to match
	Detect float64 // face detector confidence
}

// Face threshold ranges: a match threshold below 0.30 lets impostors pass on the
// project's evaluation set (impostor max 0.352), above 0.70 refuses many genuine pairs.
const (
	MinMatchThreshold, MaxMatchThreshold   = 0.30, 0.70
	MinDetectThreshold, MaxDetectThreshold = 0.30, 0.95
)

// Validate refuses NaN, infinities and values outside the safe ranges.
func (t FaceThresholds) Validate() error {
	for _, c := range []struct {
		name      string
		v, lo, hi float64
	}{{"match threshold", t.Match, MinMatchThreshold, MaxMatchThreshold}, {"detect threshold", t.Detect, MinDetectThreshold, MaxDetectThreshold}} {
		if math.IsNaN(c.v) || math.IsInf(c.v, 0) || c.v < c.lo || c.v > c.hi {
			return fmt.Errorf("%s %v: between %.2f and %.2f", c.name, c.v, c.lo, c.hi)
		}
	}
	return nil
}

// Staff pages.
const (
	StaffPageHealth = "health"
	StaffPageAudit  = "audit"
	StaffPageFace   = "face"
)

// StaffView is the staff screens' data.
type StaffView struct {
	ID       string // the staff member (shown as "Staff 12345")
	Page     string
	Overview StaffOverview
	Audit    []AuditEvent
	Check    AuditCheck
	// Draft holds the face thresholds being edited (as typed, "0.40").
	Draft map[string]string
	// Result is the outcome of the last action ("staff.result.<x>"), Detail its text
	// (an export folder, an error).
	Result MsgKey
	Detail string
}

// StaffPINView is the staff PIN screen.
type StaffPINView struct {
	Length      int       // digits typed
	TriesLeft   int       // before staff mode locks
	LockedUntil time.Time // set while locked
	ByCard      bool      // the PIN of the staff card (else the configured staff PIN)
}

// Staff messages.
const (
	MsgStaffPINWrong   MsgKey = "staff.pin_wrong"
	MsgStaffLocked     MsgKey = "staff.locked"
	MsgStaffSaved      MsgKey = "staff.result.saved"
	MsgStaffExported   MsgKey = "staff.result.exported"
	MsgStaffFailed     MsgKey = "staff.result.failed"
	MsgStaffInvalid    MsgKey = "staff.result.invalid"
	MsgStaffRestarting MsgKey = "staff.result.restarting"
)

// Staff actions (Event.Value of EvStaffAction).
const (
	StaffActMaintenanceOn  = "maintenance_on"
	StaffActMaintenanceOff = "maintenance_off"
	StaffActSaveFace       = "save_face"
	StaffActExport         = "export"
	StaffActRestart        = "restart"
	StaffActRefresh        = "refresh"
)

// staffState is the machine's staff-mode memory: who is in, how many wrong PINs, the
// lock. Unlike a resident's session it survives wipe (the lock must).
type staffState struct {
	id          string // set once a PIN was accepted
	byCard      string // staff id of the staff card in the reader (PIN to verify on it)
	wrong       int
	lockedUntil time.Time
	view        StaffView
}

func (m *Machine) staffLocked(now time.Time) bool { return now.Before(m.staff.lockedUntil) }

// staffEnter starts the staff PIN screen: by card (the card holds the staff id and its
// own PIN) or by gesture (the configured PIN).
func (m *Machine) staffEnter(now time.Time, ev Event) {
	m.pin = m.pin[:0]
	m.staff.byCard = ""
	if ev.Kind == EvReadOK && ev.Read != nil {
		m.staff.byCard = ev.Read.Holder.StaffID
		m.audit(now, "system", "staff.card", "staff=staff:"+m.staff.byCard)
	} else {
		m.audit(now, "system", "staff.gesture", "")
	}
}

// staffPINSubmit checks the typed staff PIN.
func (m *Machine) staffPINSubmit(now time.Time) {
	if m.busy || m.staffLocked(now) {
		return
	}
	pin := append([]byte(nil), m.pin...)
	clear(m.pin)
	m.pin = m.pin[:0]
	if m.staff.byCard != "" {
		// The staff card's own PIN, verified by the card.
		m.busy = true
		card, id := m.deps.Card, m.staff.byCard
		m.goOp(m.cfg.PINTimeout, func(ctx context.Context, post func(Event)) {
			defer clear(pin)
			err := card.VerifyPIN(ctx, pin)
			post(Event{Kind: EvStaffPINResult, Value: id, Err: err})
		})
		return
	}
	// The configured staff PIN (argon2id: deliberately slow, so off the machine's
	// goroutine).
	m.busy = true
	auth := m.deps.StaffAuth
	m.goOp(m.cfg.PINTimeout, func(ctx context.Context, post func(Event)) {
		defer clear(pin)
		id, ok := "", false
		if auth != nil {
			id, ok = auth.CheckPIN(pin)
		}
		var err error
		if !ok {
			err = ErrWrongPIN
		}
		post(Event{Kind: EvStaffPINResult, Value: id, Err: err})
	})
}

// staffPINResult counts a wrong PIN towards the lock, or lets the staff member in.
func (m *Machine) staffPINResult(now time.Time, ev Event) {
	m.busy = false
	if ev.Err == nil && ev.Value != "" {
		m.staff.wrong = 0
		m.staff.id = ev.Value
		m.staff.view = StaffView{ID: ev.Value, Page: StaffPageHealth}
		m.audit(now, "staff:"+ev.Value, "staff.enter", "by="+m.staffMethod())
		m.staffLoad(StaffPageHealth)
		return
	}
	m.staff.wrong++
	detail := "wrong tries=" + strconv.Itoa(m.staff.wrong) + " by=" + m.staffMethod()
	if !errors.Is(ev.Err, ErrWrongPIN) && ev.Err != nil {
		detail = "error=" + errText(ev.Err) + " by=" + m.staffMethod()
	}
	m.notice = MsgStaffPINWrong
	if m.staff.wrong >= StaffMaxTries {
		m.staff.wrong = 0
		m.staff.lockedUntil = now.Add(StaffLockout)
		m.notice = MsgStaffLocked
		detail += " locked_until=" + m.staff.lockedUntil.UTC().Format(time.RFC3339)
	}
	m.audit(now, "system", "staff.pin", detail)
}

func (m *Machine) staffMethod() string {
	if m.staff.byCard != "" {
		return "card"
	}
	return "gesture"
}

// staffLoad fetches a page's data in the background.
func (m *Machine) staffLoad(page string) {
	m.staff.view.Page = page
	m.busy = true
	desk := m.deps.Staff
	m.goOp(m.cfg.LookupTimeout, func(ctx context.Context, post func(Event)) {
		var v StaffView
		var err error
		v.Overview, err = desk.Overview(ctx)
		if err == nil && page == StaffPageAudit {
			v.Audit, v.Check, err = desk.AuditTail(ctx, StaffAuditRows)
		}
		post(Event{Kind: EvStaffData, Value: page, Staff: &v, Err: err})
	})
}

func (m *Machine) staffData(ev Event) {
	if ev.Staff == nil || ev.Value != m.staff.view.Page {
		// The answer for a page already left (staff tapped on while it loaded): the
		// current page's own load is still on its way, so the screen stays busy
		// rather than show that page with no data.
		return
	}
	m.busy = false
	v := &m.staff.view
	if ev.Err != nil {
		v.Result, v.Detail = MsgStaffFailed, errText(ev.Err)
		return
	}
	v.Overview, v.Audit, v.Check = ev.Staff.Overview, ev.Staff.Audit, ev.Staff.Check
	if v.Draft == nil {
		v.Draft = map[string]string{
			"match":  strconv.FormatFloat(v.Overview.Face.Match, 'f', 2, 64),
			"detect": strconv.FormatFloat(v.Overview.Face.Detect, 'f', 2, 64),
		}
	}
}

// staffAction runs one staff action; its result arrives as EvStaffDone.
func (m *Machine) staffAction(now time.Time, ev Event) {
	if m.busy || m.staff.id == "" {
		return
	}
	desk, id := m.deps.Staff, m.staff.id
	v := &m.staff.view
	v.Result, v.Detail = "", ""
	var do func(ctx context.Context) (MsgKey, string, error)
	switch ev.Value {
	case StaffActMaintenanceOn, StaffActMaintenanceOff:
		on := ev.Value == StaffActMaintenanceOn
		do = func(ctx context.Context) (MsgKey, string, error) {
			return MsgStaffSaved, "", desk.SetMaintenance(ctx, on, id)
		}
	case StaffActSaveFace:
		t, err := parseThresholds(v.Draft)
		if err == nil {
			err = t.Validate()
		}
		if err != nil {
			v.Result, v.Detail = MsgStaffInvalid, err.Error()
			m.audit(now, "staff:"+id, "staff.face_thresholds", "refused "+err.Error())
			return
		}
		do = func(ctx context.Context) (MsgKey, string, error) {
			return MsgStaffSaved, "", desk.SetFaceThresholds(ctx, t, id)
		}
	case StaffActExport:
		do = func(ctx context.Context) (MsgKey, string, error) {
			where, err := desk.Export(ctx, id)
			return MsgStaffExported, where, err
		}
	case StaffActRestart:
		m.audit(now, "staff:"+id, "staff.restart", "")
		do = func(context.Context) (MsgKey, string, error) { return MsgStaffRestarting, "", desk.Restart(id) }
	case StaffActRefresh:
		m.staffLoad(v.Page)
		return
	default:
		return
	}
	m.busy = true
	m.goOp(m.cfg.SubmitTimeout, func(ctx context.Context, post func(Event)) {
		res, detail, err := do(ctx)
		if err != nil {
			res, detail = MsgStaffFailed, err.Error()
		}
		post(Event{Kind: EvStaffDone, Reason: res, Value: detail})
	})
}

func (m *Machine) staffDone(ev Event) {
	m.busy = false
	m.staff.view.Result, m.staff.view.Detail = ev.Reason, ev.Value
	if ev.Reason != MsgStaffFailed {
		m.staffLoad(m.staff.view.Page) // show the new state
	}
}

func parseThresholds(d map[string]string) (FaceThresholds, error) {
	var t FaceThresholds
	var err error
	if t.Match, err = strconv.ParseFloat(d["match"], 64); err != nil {
		return t, fmt.Errorf("match threshold %q: not a number", d["match"])
	}
	if t.Detect, err = strconv.ParseFloat(d["detect"], 64); err != nil {
		return t, fmt.Errorf("detect threshold %q: not a number", d["detect"])
	}
	return t, nil
}

// staffInput edits a face threshold draft: digits and one dot, at most 4 characters.
func (m *Machine) staffInput(ev Event) {
	if m.staff.view.Draft == nil || (ev.Field != "match" && ev.Field != "detect") {
		return
	}
	v := ev.Value
	dots := 0
	for i := 0; i < len(v); i++ {
		if v[i] == '.' {
			dots++
		} else if v[i] < '0' || v[i] > '9' {
			return
		}
	}
	if dots > 1 || len(v) > 4 {
		return
	}
	m.staff.view.Draft[ev.Field] = v
	m.staff.view.Result, m.staff.view.Detail = "", ""
}

// staffExit leaves staff mode (button, idle, card pulled).
func (m *Machine) staffExit(now time.Time, ev Event) {
	if m.staff.id != "" {
		why := "button"
		switch ev.Kind {
		case EvTimeout:
			why = "idle"
		case EvCardRemoved:
			why = "card_removed"
		}
		m.audit(now, "staff:"+m.staff.id, "staff.exit", "why="+why)
	}
	m.staff.id, m.staff.byCard, m.staff.view = "", "", StaffView{}
	clear(m.pin)
	m.pin = m.pin[:0]
}
