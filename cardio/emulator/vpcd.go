package emulator

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// vpcd (vsmartcard's virtual reader driver for pcscd) listens on one TCP port per
// slot; the virtual card connects to it. Every message in both directions is a
// 2-byte big-endian length followed by the payload. A 1-byte payload from vpcd is a
// control message; anything longer is a command APDU to answer.
const (
	vpcdPowerOff = 0x00
	vpcdPowerOn  = 0x01
	vpcdReset    = 0x02
	vpcdGetATR   = 0x04
)

// DefaultVPCDPort is the port of vpcd's first slot, reader "Virtual PCD 00 00";
// the second slot ("Virtual PCD 00 01") is DefaultVPCDPort+1.
const DefaultVPCDPort = 35963

// ReaderNameForPort gives the PC/SC reader name pcscd shows for a vpcd port.
func ReaderNameForPort(port int) string {
	return fmt.Sprintf("Virtual PCD 00 %02d", port-DefaultVPCDPort)
}

// ErrPull is returned by an ICC's Process to say "the card leaves the field now":
// the slot drops the connection without answering, as a pulled card would.
var ErrPull = errors.New("card pulled")

// ICC is a card behind the virtual reader.
type ICC interface {
	// ATR is the answer to reset.
	ATR() []byte
	// PowerOn, PowerOff and Reset end any session state (keys, selections);
	// persistent state such as a PIN counter survives.
	PowerOn()
	PowerOff()
	Reset()
	// Process answers one command APDU with a response APDU (data || SW1 SW2).
	Process(cmd []byte) ([]byte, error)
}

// Slot connects an ICC to one vpcd port. While "inserted" it keeps a connection to
// vpcd, reconnecting when vpcd (pcscd) goes away and comes back; Pull drops the
// connection, which pcscd sees as the card removed.
type Slot struct {
	addr string
	icc  ICC

	mu        sync.Mutex
	conn      net.Conn
	inserted  bool
	changed   chan struct{} // closed and replaced when inserted changes
	apdus     int           // APDUs answered since the slot was made
	pullAfter int           // pull when apdus reaches this (0: never)
	connected chan struct{} // closed and replaced on every new connection
}

// NewSlot makes a slot for vpcd at addr (host:port). The card starts inserted.
func NewSlot(addr string, icc ICC) *Slot {
	return &Slot{addr: addr, icc: icc, inserted: true, changed: make(chan struct{}), connected: make(chan struct{})}
}

// Run serves the card until ctx ends. Connection failures are retried (vpcd only
// listens while pcscd runs); it returns nil when ctx ends.
func (s *Slot) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		if s.conn != nil {
			s.conn.Close()
		}
		s.mu.Unlock()
	})
	defer stop()
	backoff := 20 * time.Millisecond
	for {
		if ctx.Err() != nil {
			return nil
		}
		s.mu.Lock()
		inserted, changed := s.inserted, s.changed
		s.mu.Unlock()
		if !inserted {
			select {
			case <-ctx.Done():
				return nil
			case <-changed:
			}
			continue
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", s.addr)
		if err != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-changed:
			case <-time.After(backoff):
				if backoff < 500*time.Millisecond {
					backoff *= 2
				}
			}
			continue
		}
		backoff = 20 * time.Millisecond
		if tc, ok := conn.(*net.TCPConn); ok {
			// APDUs are small request/response pairs: Nagle would add latency to each.
			tc.SetNoDelay(true)
		}
		s.mu.Lock()
		if !s.inserted || ctx.Err() != nil {
			s.mu.Unlock()
			conn.Close()
			continue
		}
		s.conn = conn
		close(s.connected)
		s.connected = make(chan struct{})

		icc := s.icc
		s.mu.Unlock()

		// A fresh connection is a fresh insertion: the card starts unpowered.
		icc.PowerOff()
		err = s.serve(conn, icc)
		conn.Close()
		s.mu.Lock()
		s.conn = nil
		s.mu.Unlock()
		icc.PowerOff()
		_ = err // a closed connection is the normal end (pull, pcscd stop)
	}
}

// serve answers vpcd's messages on one connection until it closes.
func (s *Slot) serve(conn net.Conn, icc ICC) error {
	var hdr [2]byte
	buf := make([]byte, 0, 512)
	out := make([]byte, 0, 512)
	for {
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return err
		}
		quickAck(conn)
		n := int(binary.BigEndian.Uint16(hdr[:]))
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		msg := buf[:n]
		if _, err := io.ReadFull(conn, msg); err != nil {
			return fmt.Errorf("vpcd: reading message: %w", err)
		}
		quickAck(conn)
		var resp []byte
		if n == 1 {
			switch msg[0] {
			case vpcdPowerOff:
				icc.PowerOff()
				continue
			case vpcdPowerOn:
				icc.PowerOn()
				continue
			case vpcdReset:
				icc.Reset()
				continue
			case vpcdGetATR:
				resp = icc.ATR()
			default:
				return fmt.Errorf("vpcd: unknown control message %#02x", msg[0])
			}
		} else {
			if s.countAPDU() {
				return ErrPull
			}
			r, err := icc.Process(msg)
			if errors.Is(err, ErrPull) {
				// The card left: stay out until Insert.
				s.Pull()
				return err
			}
			if err != nil {
				// A card that cannot answer says so the ISO way rather than hanging the reader.
				r = []byte{0x6F, 0x00}
			}
			resp = r
		}
		if len(resp) > 0xFFFF {
			return fmt.Errorf("vpcd: response of %d bytes does not fit the protocol", len(resp))
		}
		out = out[:0]
		out = binary.BigEndian.AppendUint16(out, uint16(len(resp)))
		out = append(out, resp...)
		if _, err := conn.Write(out); err != nil {
			return err
		}
	}
}

// countAPDU counts one APDU and says whether the card must be pulled before answering it.
func (s *Slot) countAPDU() (pull bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pullAfter > 0 && s.apdus >= s.pullAfter {
		s.pullAfter = 0
		s.setInserted(false)
		return true
	}
	s.apdus++
	return false
}

// SetICC puts another card into the slot; the current one is pulled first (Insert
// brings the new one in).
func (s *Slot) SetICC(icc ICC) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setInserted(false)
	s.icc = icc
}

// APDUs is the number of APDUs answered since the slot was made.
func (s *Slot) APDUs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apdus
}

// PullAfter makes the card leave the reader instead of answering the APDU that
// follows the next n answered ones (n >= 1), as when a resident pulls the card mid-read.
func (s *Slot) PullAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pullAfter = s.apdus + n
}

// Pull removes the card: the connection to vpcd is closed and not re-opened until Insert.
func (s *Slot) Pull() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setInserted(false)
}

// Insert puts the card back; Run connects again.
func (s *Slot) Insert() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setInserted(true)
}

// Inserted says whether the card is meant to be in the reader.
func (s *Slot) Inserted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inserted
}

// Connected returns a channel closed at the next connection to vpcd.
func (s *Slot) Connected() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return s.connected
}

func (s *Slot) setInserted(v bool) {
	if s.inserted == v {
		return
	}
	s.inserted = v
	close(s.changed)
	s.changed = make(chan struct{})
	if !v && s.conn != nil {
		s.conn.Close()
	}
}
