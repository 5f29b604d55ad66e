//go:build !linux

package emulator

import "net"

// quickAck is Linux-only (TCP_QUICKACK); elsewhere delayed ACKs stay as they are.
func quickAck(net.Conn) {}
