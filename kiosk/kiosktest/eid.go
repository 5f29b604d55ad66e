package kiosktest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// EID is a fake back-office eID check with the real one's rules: a code it issued
// verifies once (then it is replayed), an expired code is refused, anything it did not
// issue is invalid, and Down makes every check fail as an unreachable back office.
type EID struct {
	mu      sync.Mutex
	issued  map[string]kiosk.EIDIdentity
	used    map[string]bool
	expired map[string]bool
	calls   int
	n       int
	// Down, when set, is the error of every check (e.g. kiosk.ErrBackOfficeUnavailable).
	Down error
}

// NewEID knows no code yet.
func NewEID() *EID {
	return &EID{issued: map[string]kiosk.EIDIdentity{}, used: map[string]bool{}, expired: map[string]bool{}}
}

// Issue makes a fresh code for the resident whose record is read's holder under
// subject (the One Account app shows it).
func (e *EID) Issue(subject string, read *kiosk.CardRead) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	code := fmt.Sprintf("DSI1.L.fake-%d", e.n)
	h := read.Holder
	h.DocumentNumber = "" // the back office does not send the card number
	h.Photo.Data = bytes.Clone(h.Photo.Data)
	e.issued[code] = kiosk.EIDIdentity{Subject: subject, Holder: h}
	return code
}

// Expire lets code's time run out.
func (e *EID) Expire(code string) {
	e.mu.Lock()
	e.expired[code] = true
	e.mu.Unlock()
}

// Calls counts checks asked.
func (e *EID) Calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

// VerifyEID implements kiosk.EIDVerifier.
func (e *EID) VerifyEID(ctx context.Context, code string) (*kiosk.EIDIdentity, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	id, ok := e.issued[code]
	switch {
	case e.Down != nil:
		return nil, e.Down
	case !ok:
		return nil, kiosk.ErrEIDInvalid
	case e.expired[code]:
		return nil, kiosk.ErrEIDExpired
	case e.used[code]:
		return nil, kiosk.ErrEIDReplayed
	}
	e.used[code] = true
	id.Holder.Photo.Data = bytes.Clone(id.Holder.Photo.Data)
	return &id, nil
}

// QR is a fake camera QR scanner: ScanQR shows one preview frame, then waits for the
// next code held up with Show (or the error set with Fail).
type QR struct {
	codes chan string
	errs  chan error
	mu    sync.Mutex
	scans int
}

// NewQR holds nothing up yet.
func NewQR() *QR { return &QR{codes: make(chan string, 8), errs: make(chan error, 8)} }

// Show holds a code up to the camera.
func (q *QR) Show(code string) { q.codes <- code }

// Fail makes the camera fail the current or next scan.
func (q *QR) Fail(err error) { q.errs <- err }

// Scans counts ScanQR calls.
func (q *QR) Scans() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.scans
}

// ScanQR implements kiosk.QRScanner.
func (q *QR) ScanQR(ctx context.Context, preview func(kiosk.Frame)) (string, error) {
	q.mu.Lock()
	q.scans++
	q.mu.Unlock()
	preview(kiosk.Frame{Image: image.NewGray(image.Rect(0, 0, 64, 48)), Seq: 1, At: time.Now()})
	select {
	case c := <-q.codes:
		return c, nil
	case err := <-q.errs:
		return "", err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
