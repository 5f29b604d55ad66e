package kiosktest

import (
	"context"
	"crypto/subtle"
	"sync"

	"github.com/macau-dsi/kiosk/kiosk"
)

var (
	_ kiosk.StaffDesk = (*StaffDesk)(nil)
	_ kiosk.StaffAuth = StaffPIN{}
)

// StaffPIN is a fake staff PIN check: one staff member and their PIN.
type StaffPIN struct{ ID, PIN string }

func (s StaffPIN) CheckPIN(pin []byte) (string, bool) {
	if subtle.ConstantTimeCompare(pin, []byte(s.PIN)) == 1 {
		return s.ID, true
	}
	return "", false
}

// StaffDesk is a fake staff desk that records what staff did.
type StaffDesk struct {
	mu          sync.Mutex
	Maintenance bool
	Face        kiosk.FaceThresholds
	Calls       []string // "maintenance on by 12345", ...
	Err         error
	Restarted   bool
}

// NewStaffDesk starts with the default face thresholds.
func NewStaffDesk() *StaffDesk {
	return &StaffDesk{Face: kiosk.FaceThresholds{Match: 0.40, Detect: 0.60}}
}

func (d *StaffDesk) record(s string) {
	d.mu.Lock()
	d.Calls = append(d.Calls, s)
	d.mu.Unlock()
}

// Log returns the calls so far.
func (d *StaffDesk) Log() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.Calls...)
}

func (d *StaffDesk) Overview(ctx context.Context) (kiosk.StaffOverview, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return kiosk.StaffOverview{
		Health:      []kiosk.HealthItem{{Name: "card_reader", OK: true, Detail: "fake reader"}, {Name: "printer", OK: false, Detail: "out of paper"}},
		Counts:      []kiosk.Count{{Name: "sessions", Value: 12}, {Name: "face_failures", Value: 2}},
		Maintenance: d.Maintenance, Face: d.Face,
	}, d.Err
}

func (d *StaffDesk) AuditTail(ctx context.Context, n int) ([]kiosk.AuditEvent, kiosk.AuditCheck, error) {
	return []kiosk.AuditEvent{{Actor: "system", Action: "card.read", Detail: "ok"}}, kiosk.AuditCheck{Rows: 42, OK: true}, d.Err
}

func (d *StaffDesk) SetMaintenance(ctx context.Context, on bool, staffID string) error {
	if d.Err != nil {
		return d.Err
	}
	d.mu.Lock()
	d.Maintenance = on
	d.mu.Unlock()
	what := "off"
	if on {
		what = "on"
	}
	d.record("maintenance " + what + " by " + staffID)
	return nil
}

func (d *StaffDesk) SetFaceThresholds(ctx context.Context, t kiosk.FaceThresholds, staffID string) error {
	if err := t.Validate(); err != nil {
		return err
	}
	d.mu.Lock()
	d.Face = t
	d.mu.Unlock()
	d.record("face by " + staffID)
	return nil
}

func (d *StaffDesk) Export(ctx context.Context, staffID string) (string, error) {
	d.record("export by " + staffID)
	return "/media/usb/dsi-kiosk-export", d.Err
}

func (d *StaffDesk) Restart(staffID string) error {
	d.mu.Lock()
	d.Restarted = true
	d.mu.Unlock()
	d.record("restart by " + staffID)
	return nil
}
