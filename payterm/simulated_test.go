package payterm

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSimulated: each thing a resident can do at the terminal ends the sale as a
// real terminal would, and the journal agrees with what Sale said (or, when the
// answer was lost, says what happened).
func TestSimulated(t *testing.T) {
	for _, tc := range []struct {
		name     string
		do       func(s *Simulated, ref string)
		timeout  time.Duration
		want     Status
		lost     bool // Sale's answer is lost
		refundOK bool
	}{
		{"approve", func(s *Simulated, _ string) { s.Act(ActApprove) }, time.Minute, Approved, false, true},
		{"decline", func(s *Simulated, _ string) { s.Act(ActDecline) }, time.Minute, Declined, false, false},
		{"fail after approval", func(s *Simulated, _ string) { s.Act(ActFailAfterApproval) }, time.Minute, Approved, true, true},
		{"cancelled by the resident", func(s *Simulated, ref string) { s.Cancel(context.Background(), ref) }, time.Minute, Cancelled, false, false},
		{"no card in time", func(*Simulated, string) {}, 50 * time.Millisecond, TimedOut, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSimulated("sim-01", tc.timeout)
			const ref = "261128-7KQ2M4PT-X"
			type answer struct {
				r   Result
				err error
			}
			done := make(chan answer, 1)
			go func() {
				r, err := s.Sale(context.Background(), ref, 30000)
				done <- answer{r, err}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if got, err := s.WaitForSale(ctx); err != nil || got != ref {
				t.Fatalf("WaitForSale = %q, %v", got, err)
			}
			if _, err := s.Lookup(ctx, ref); !errors.Is(err, ErrUnknownSale) {
				t.Fatalf("a waiting sale is in the journal: %v", err)
			}
			tc.do(s, ref)
			a := <-done
			if tc.lost {
				if !errors.Is(a.err, ErrUnavailable) {
					t.Fatalf("Sale = %+v, %v; want the answer lost", a.r, a.err)
				}
			} else if a.err != nil || a.r.Status != tc.want {
				t.Fatalf("Sale = %+v, %v; want %s", a.r, a.err, tc.want)
			}
			j, err := s.Lookup(ctx, ref)
			if err != nil || j.Status != tc.want || j.Amount != 30000 || (tc.want == Approved) != (j.ApprovalCode != "") {
				t.Fatalf("journal = %+v, %v", j, err)
			}
			// A second sale under the same reference never charges again.
			if r, err := s.Sale(ctx, ref, 30000); err != nil || r != j {
				t.Fatalf("second sale = %+v, %v; want the journal's %+v", r, err, j)
			}
			r, err := s.Refund(ctx, ref)
			if tc.refundOK != (err == nil && r.Status == Refunded) {
				t.Fatalf("refund = %+v, %v", r, err)
			}
			if s.Act(ActApprove) {
				t.Fatal("an action found a sale after it ended")
			}
		})
	}
}

// TestSimulatedAuto: a scripted terminal decides at once; a sale cancelled through
// its context ends cancelled.
func TestSimulatedAuto(t *testing.T) {
	s := &Simulated{TerminalID: "sim-02", Auto: ActApprove}
	if r, err := s.Sale(context.Background(), "261128-ABCDEFGH-1", 9000); err != nil || r.Status != Approved {
		t.Fatalf("auto sale = %+v, %v", r, err)
	}
	s = NewSimulated("sim-03", time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if r, err := s.Sale(ctx, "261128-ABCDEFGH-2", 9000); err != nil || r.Status != Cancelled {
		t.Fatalf("sale whose context ended = %+v, %v", r, err)
	}
	if _, err := s.Sale(context.Background(), "261128-ABCDEFGH-3", 0); err == nil {
		t.Fatal("a sale of nothing was accepted")
	}
}
