package vpcdtest

import (
	"sync"

	"github.com/macau-dsi/kiosk/cardio/emulator"
)

// gate sits between the vpcd slot and the card and can make the card stop
// answering: a frozen card keeps its connection to vpcd open and just never replies,
// which is what pcscd sees of a card (or an emulator process under SIGSTOP) that
// hangs mid-command. Pulling the card is a different fault: the connection closes.
type gate struct {
	mu     sync.Mutex
	icc    emulator.ICC
	after  int           // freeze before answering the APDU after the next `after` (0: armed off)
	frozen chan struct{} // non-nil while frozen; closed by Thaw
	stuck  chan struct{} // closed when an APDU is held by the freeze
}

func (g *gate) set(icc emulator.ICC) {
	g.mu.Lock()
	g.icc = icc
	g.mu.Unlock()
}

func (g *gate) card() emulator.ICC {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.icc
}

func (g *gate) ATR() []byte { return g.card().ATR() }
func (g *gate) PowerOn()    { g.card().PowerOn() }
func (g *gate) PowerOff()   { g.card().PowerOff() }
func (g *gate) Reset()      { g.card().Reset() }

// Process answers the APDU, or holds it until Thaw when the card is frozen.
func (g *gate) Process(cmd []byte) ([]byte, error) {
	g.mu.Lock()
	if g.after > 0 {
		g.after--
		if g.after == 0 {
			g.frozen = make(chan struct{})
		}
	}
	frozen, stuck, icc := g.frozen, g.stuck, g.icc
	if frozen != nil && stuck != nil {
		close(stuck)
		g.stuck = nil
	}
	g.mu.Unlock()
	if frozen != nil {
		<-frozen
	}
	return icc.Process(cmd)
}

// FreezeAfter makes the card stop answering: it answers the next n-1 APDUs and then
// holds the n-th (and any later one) without a reply until Thaw. The returned channel
// is closed once an APDU is being held.
func (g *gate) FreezeAfter(n int) <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stuck = make(chan struct{})
	if n <= 1 {
		g.after = 0
		if g.frozen == nil {
			g.frozen = make(chan struct{})
		}
	} else {
		g.after = n
	}
	return g.stuck
}

// Thaw lets a frozen card answer again, starting with the APDU it holds.
func (g *gate) Thaw() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.after = 0
	if g.frozen != nil {
		close(g.frozen)
		g.frozen = nil
	}
}

// FreezeAfter makes the card in the reader hang like a card (or an emulator process
// under SIGSTOP) that stops answering mid-transfer: it answers n-1 more APDUs, then
// holds the n-th without a reply, keeping the connection to vpcd open, until Thaw.
// The channel is closed once an APDU is held.
func (e *Env) FreezeAfter(n int) <-chan struct{} { return e.gate.FreezeAfter(n) }

// Thaw lets a frozen card answer again (the held APDU first).
func (e *Env) Thaw() { e.gate.Thaw() }
