package cardio

import (
	"errors"
	"fmt"
	"time"

	"github.com/ebfe/scard"

	"github.com/macau-dsi/kiosk/kiosk"
)

// ReaderInfo describes one PC/SC reader, for `kiosk doctor`.
type ReaderInfo struct {
	Name    string `json:"name"`
	Virtual bool   `json:"virtual"` // named like vpcd's readers: tests and demo only
	Card    bool   `json:"card"`    // a card is present
}

// listTimeout bounds ListReaders: a pcscd that accepts connections but does not
// answer (stopped, hung) must not hang `kiosk doctor`.
var listTimeout = 10 * time.Second

// ListReaders asks pcscd for every reader and whether a card is in it. It uses no
// configuration: the doctor reports what is there, and judges it separately. It
// gives up after listTimeout (the PC/SC calls go on without it, and end with pcscd).
func ListReaders() ([]ReaderInfo, error) {
	type result struct {
		out []ReaderInfo
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := listReaders()
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-time.After(listTimeout):
		return nil, &pcscError{kiosk.ErrReaderGone, "listing readers", fmt.Errorf("pcscd did not answer within %v", listTimeout)}
	}
}

func listReaders() ([]ReaderInfo, error) {
	sc, err := scard.EstablishContext()
	if err != nil {
		return nil, mapErr("opening PC/SC", err)
	}
	defer sc.Release()
	names, err := sc.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr("listing readers", err)
	}
	states := make([]scard.ReaderState, len(names))
	for i, n := range names {
		states[i] = scard.ReaderState{Reader: n, CurrentState: scard.StateUnaware}
	}
	_ = sc.GetStatusChange(states, 0) // a timeout leaves EventState empty: "no card"
	out := make([]ReaderInfo, len(names))
	for i, s := range states {
		out[i] = ReaderInfo{Name: s.Reader, Virtual: IsVirtualReader(s.Reader), Card: s.EventState&scard.StatePresent != 0}
	}
	return out, nil
}
