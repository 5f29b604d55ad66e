package emulator

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// echoICC records control messages and answers APDUs with their INS byte and 9000.
type echoICC struct {
	mu     sync.Mutex
	events []string
}

func (e *echoICC) ATR() []byte { return []byte{0x3B, 0x80, 0x80, 0x01, 0x01} }
func (e *echoICC) PowerOn()    { e.add("on") }
func (e *echoICC) PowerOff()   { e.add("off") }
func (e *echoICC) Reset()      { e.add("reset") }
func (e *echoICC) Process(cmd []byte) ([]byte, error) {
	e.add("apdu")
	return []byte{cmd[1], 0x90, 0x00}, nil
}
func (e *echoICC) add(s string) { e.mu.Lock(); e.events = append(e.events, s); e.mu.Unlock() }

// fakeVPCD plays vpcd's side of the protocol.
type fakeVPCD struct {
	t  *testing.T
	ln net.Listener
}

func newFakeVPCD(t *testing.T) *fakeVPCD {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeVPCD{t: t, ln: ln}
}

func (f *fakeVPCD) accept() net.Conn {
	f.t.Helper()
	f.ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	c, err := f.ln.Accept()
	if err != nil {
		f.t.Fatalf("accept: %v", err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c net.Conn, msg []byte) {
	t.Helper()
	out := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
	if _, err := c.Write(append(out, msg...)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func recv(c net.Conn) ([]byte, error) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	_, err := io.ReadFull(c, b)
	return b, err
}

func TestSlotProtocol(t *testing.T) {
	f := newFakeVPCD(t)
	icc := &echoICC{}
	slot := NewSlot(f.ln.Addr().String(), icc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- slot.Run(ctx) }()

	c := f.accept()
	send(t, c, []byte{vpcdPowerOn})
	send(t, c, []byte{vpcdGetATR})
	atr, err := recv(c)
	if err != nil || !bytes.Equal(atr, icc.ATR()) {
		t.Fatalf("ATR = % X, %v", atr, err)
	}
	send(t, c, []byte{vpcdReset})
	send(t, c, []byte{0x00, 0xA4, 0x04, 0x0C})
	r, err := recv(c)
	if err != nil || !bytes.Equal(r, []byte{0xA4, 0x90, 0x00}) {
		t.Fatalf("APDU answer = % X, %v", r, err)
	}
	if slot.APDUs() != 1 {
		t.Errorf("APDUs = %d, want 1", slot.APDUs())
	}

	// Pull: the connection closes, nothing reconnects until Insert.
	slot.Pull()
	if _, err := recv(c); err == nil {
		t.Fatal("connection still open after Pull")
	}
	f.ln.(*net.TCPListener).SetDeadline(time.Now().Add(200 * time.Millisecond))
	if c2, err := f.ln.Accept(); err == nil {
		c2.Close()
		t.Fatal("slot reconnected while pulled")
	}
	slot.Insert()
	c = f.accept()
	send(t, c, []byte{vpcdGetATR})
	if atr, err := recv(c); err != nil || !bytes.Equal(atr, icc.ATR()) {
		t.Fatalf("ATR after insert = % X, %v", atr, err)
	}

	// PullAfter(1): one more answer, then the card is gone without answering.
	slot.PullAfter(1)
	send(t, c, []byte{0x00, 0xB0, 0x00, 0x00, 0x04})
	if r, err := recv(c); err != nil || r[0] != 0xB0 {
		t.Fatalf("answer before pull = % X, %v", r, err)
	}
	send(t, c, []byte{0x00, 0xB0, 0x00, 0x04, 0x04})
	if r, err := recv(c); err == nil {
		t.Fatalf("got % X after the card was pulled", r)
	}
	if slot.Inserted() {
		t.Error("slot says inserted after PullAfter fired")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestSlotReconnectsWhenVPCDReturns(t *testing.T) {
	// Reserve a port, close it: the slot must keep retrying until vpcd listens.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	slot := NewSlot(addr, &echoICC{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go slot.Run(ctx)
	time.Sleep(100 * time.Millisecond)
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	defer ln.Close()
	f := &fakeVPCD{t: t, ln: ln}
	c := f.accept()
	c.Close() // vpcd goes away (pcscd stopped)...
	c = f.accept()
	send(t, c, []byte{vpcdGetATR}) // ...and the card is back on the new one.
	if _, err := recv(c); err != nil {
		t.Fatalf("no ATR after reconnect: %v", err)
	}
}

func TestReaderNameForPort(t *testing.T) {
	for port, want := range map[int]string{35963: "Virtual PCD 00 00", 35964: "Virtual PCD 00 01"} {
		if got := ReaderNameForPort(port); got != want {
			t.Errorf("ReaderNameForPort(%d) = %q, want %q", port, got, want)
		}
	}
}
