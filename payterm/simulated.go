package payterm

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"
)

// Action is what the simulated resident does at the simulated terminal.
type Action string

const (
	ActApprove Action = "approve" // taps a card the issuer accepts
	ActDecline Action = "decline" // taps a card the issuer refuses
	// ActFailAfterApproval: the card is charged, then the line to the kiosk breaks
	// before the answer arrives (Sale returns an error; Lookup finds the approval).
	ActFailAfterApproval Action = "fail-after-approval"
)

// DefaultSimulatedTimeout is how long the simulated terminal waits for a card.
const DefaultSimulatedTimeout = 60 * time.Second

// Simulated is a terminal for tests and the demo. A sale waits for an action (the
// DEMO banner's buttons, or the test's Act), for its time to run out, or for a
// cancel. With Auto set, every sale gets that action at once (benchmarks, scripted
// tests). It keeps a journal, as a real terminal does.
type Simulated struct {
	TerminalID string
	// Timeout is how long a sale waits for a card (DefaultSimulatedTimeout if zero).
	Timeout time.Duration
	// Auto, when set, decides every sale at once.
	Auto Action

	mu      sync.Mutex
	waiting map[string]chan Action // sales waiting for a card
	journal map[string]Result
	order   []string // waiting references, oldest first
	changed chan struct{}
}

var _ Terminal = (*Simulated)(nil)

// NewSimulated makes a simulated terminal.
func NewSimulated(id string, timeout time.Duration) *Simulated {
	return &Simulated{TerminalID: id, Timeout: timeout}
}

func (s *Simulated) init() {
	if s.waiting == nil {
		s.waiting = map[string]chan Action{}
		s.journal = map[string]Result{}
		s.changed = make(chan struct{})
	}
}

// ID implements Terminal.
func (s *Simulated) ID() string { return s.TerminalID }

// Sale implements Terminal.
func (s *Simulated) Sale(ctx context.Context, reference string, amount int) (Result, error) {
	if amount <= 0 {
		return Result{}, fmt.Errorf("card terminal: amount %d: must be positive", amount)
	}
	s.mu.Lock()
	s.init()
	if r, ok := s.journal[reference]; ok {
		// A terminal refuses a second sale under a reference it journalled; the
		// kiosk gets the first one's result.
		s.mu.Unlock()
		return r, nil
	}
	if _, busy := s.waiting[reference]; busy {
		s.mu.Unlock()
		return Result{}, fmt.Errorf("%w: a sale under this reference is already waiting", ErrUnavailable)
	}
	act := make(chan Action, 1)
	if s.Auto != "" {
		act <- s.Auto
	}
	s.waiting[reference] = act
	s.order = append(s.order, reference)
	s.notify()
	s.mu.Unlock()

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSimulatedTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	res := Result{Reference: reference, Amount: amount}
	var lost bool
	select {
	case a := <-act:
		switch a {
		case ActApprove, ActFailAfterApproval:
			res.Status, res.ApprovalCode = Approved, approvalCode()
			lost = a == ActFailAfterApproval
		case ActDecline:
			res.Status = Declined
		default: // cancelled by Cancel
			res.Status = Cancelled
		}
	case <-timer.C:
		res.Status = TimedOut
	case <-ctx.Done():
		res.Status = Cancelled
	}
	s.mu.Lock()
	delete(s.waiting, reference)
	s.dropOrder(reference)
	s.journal[reference] = res
	s.notify()
	s.mu.Unlock()
	if lost {
		return Result{}, fmt.Errorf("%w: the line dropped before the answer", ErrUnavailable)
	}
	return res, nil
}

// Cancel implements Terminal.
func (s *Simulated) Cancel(_ context.Context, reference string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if act, ok := s.waiting[reference]; ok {
		select {
		case act <- "cancel":
		default: // an action is already on its way: it decides
		}
	}
	return nil
}

// Lookup implements Terminal.
func (s *Simulated) Lookup(_ context.Context, reference string) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	r, ok := s.journal[reference]
	if !ok {
		return Result{}, ErrUnknownSale
	}
	return r, nil
}

// Refund implements Terminal.
func (s *Simulated) Refund(_ context.Context, reference string) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	r, ok := s.journal[reference]
	switch {
	case !ok:
		return Result{}, ErrUnknownSale
	case r.Status == Refunded:
		return r, nil
	case r.Status != Approved:
		return r, ErrNotApproved
	}
	r.Status = Refunded
	s.journal[reference] = r
	return r, nil
}

// Act does a to the oldest sale waiting for a card; it reports whether one was
// waiting. The DEMO banner's terminal buttons call it.
func (s *Simulated) Act(a Action) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if len(s.order) == 0 {
		return false
	}
	select {
	case s.waiting[s.order[0]] <- a:
		return true
	default:
		return false
	}
}

// WaitForSale blocks until a sale waits for a card (or ctx ends) and returns its
// reference. For tests that act as the resident.
func (s *Simulated) WaitForSale(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		s.init()
		if len(s.order) > 0 {
			ref := s.order[0]
			s.mu.Unlock()
			return ref, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func (s *Simulated) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Simulated) dropOrder(ref string) {
	for i, r := range s.order {
		if r == ref {
			s.order = append(s.order[:i], s.order[i+1:]...)
			return
		}
	}
}

// approvalCode is a random six-character authorisation code, as issuers give.
func approvalCode() string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 6)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
