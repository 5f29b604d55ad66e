// Package apdu encodes and decodes ISO/IEC 7816-4 command and response APDUs (short
// and extended length), turns status words into typed errors that unwrap to
// sentinels, and defines the one-method Transceiver that protocol code talks to so
// that it never touches a reader.
package apdu

import (
	"context"
	"errors"
	"fmt"
)

// Transceiver sends one command APDU and returns the response APDU (data and SW1 SW2).
// PC/SC readers, secure messaging channels and in-process test cards implement it.
type Transceiver interface {
	Transmit(ctx context.Context, command []byte) ([]byte, error)
}

// TransceiverFunc adapts a function to Transceiver.
type TransceiverFunc func(ctx context.Context, command []byte) ([]byte, error)

// Transmit calls f.
func (f TransceiverFunc) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	return f(ctx, command)
}

// Limits of Nc and Ne (ISO 7816-4 §5.1).
const (
	MaxShortNc    = 255
	MaxShortNe    = 256
	MaxExtendedNc = 65535
	MaxExtendedNe = 65536
)

// Common instruction bytes.
const (
	InsSelect               = 0xA4
	InsReadBinary           = 0xB0
	InsReadBinaryOdd        = 0xB1
	InsVerify               = 0x20
	InsGetChallenge         = 0x84
	InsExternalAuthenticate = 0x82
	InsMSESetAT             = 0x22
	InsGeneralAuthenticate  = 0x86
	InsGetResponse          = 0xC0
)

// Command is a command APDU. Ne is the maximum number of response data bytes expected
// (0: no Le field; 256 or 65536 encode as Le 00 / 0000).
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	Ne               int
	// Extended forces the extended length encoding even when short would do.
	Extended bool
}

// IsExtended reports whether the command needs (or asks for) extended length.
func (c Command) IsExtended() bool {
	return c.Extended || len(c.Data) > MaxShortNc || c.Ne > MaxShortNe
}

// Bytes encodes the command (cases 1, 2S/E, 3S/E, 4S/E of ISO 7816-3 §12.1).
func (c Command) Bytes() ([]byte, error) {
	if len(c.Data) > MaxExtendedNc {
		return nil, fmt.Errorf("apdu: %d data bytes, at most %d", len(c.Data), MaxExtendedNc)
	}
	if c.Ne < 0 || c.Ne > MaxExtendedNe {
		return nil, fmt.Errorf("apdu: Ne %d out of range", c.Ne)
	}
	out := make([]byte, 0, 4+3+len(c.Data)+3)
	out = append(out, c.CLA, c.INS, c.P1, c.P2)
	ext := c.IsExtended()
	if len(c.Data) > 0 {
		if ext {
			out = append(out, 0, byte(len(c.Data)>>8), byte(len(c.Data)))
		} else {
			out = append(out, byte(len(c.Data)))
		}
		out = append(out, c.Data...)
	}
	if c.Ne > 0 {
		switch {
		case !ext:
			out = append(out, byte(c.Ne)) // 256 wraps to 00
		case len(c.Data) > 0:
			out = append(out, byte(c.Ne>>8), byte(c.Ne)) // 65536 wraps to 0000
		default:
			out = append(out, 0, byte(c.Ne>>8), byte(c.Ne))
		}
	}
	return out, nil
}

// ErrMalformed is returned for bytes that are not a valid APDU.
var ErrMalformed = errors.New("apdu: malformed")

// ParseCommand decodes a command APDU (the card side of the exchange).
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
		return c, nil
	case len(body) == 1: // case 2S
		c.Ne = int(body[0])
		if c.Ne == 0 {
			c.Ne = MaxShortNe
		}
		return c, nil
	case body[0] != 0: // case 3S or 4S
		nc := int(body[0])
		switch len(body) {
		case 1 + nc:
		case 2 + nc:
			c.Ne = int(body[1+nc])
			if c.Ne == 0 {
				c.Ne = MaxShortNe
			}
		default:
			return Command{}, fmt.Errorf("%w: Lc %d with %d body bytes", ErrMalformed, nc, len(body))
		}
		c.Data = body[1 : 1+nc]
		return c, nil
	}
	// Extended: body starts with 00.
	c.Extended = true
	if len(body) == 3 { // case 2E
		c.Ne = int(body[1])<<8 | int(body[2])
		if c.Ne == 0 {
			c.Ne = MaxExtendedNe
		}
		return c, nil
	}
	if len(body) < 3 {
		return Command{}, fmt.Errorf("%w: extended body of %d bytes", ErrMalformed, len(body))
	}
	nc := int(body[1])<<8 | int(body[2])
	if nc == 0 {
		return Command{}, fmt.Errorf("%w: extended Lc 0", ErrMalformed)
	}
	switch len(body) {
	case 3 + nc: // case 3E
	case 5 + nc: // case 4E
		c.Ne = int(body[3+nc])<<8 | int(body[4+nc])
		if c.Ne == 0 {
			c.Ne = MaxExtendedNe
		}
	default:
		return Command{}, fmt.Errorf("%w: extended Lc %d with %d body bytes", ErrMalformed, nc, len(body))
	}
	c.Data = body[3 : 3+nc]
	return c, nil
}

// Response is a response APDU.
type Response struct {
	Data []byte
	SW   uint16
}

// ParseResponse splits a response into data and status word.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("%w: response of %d bytes", ErrMalformed, len(b))
	}
	n := len(b) - 2
	return Response{Data: b[:n:n], SW: uint16(b[n])<<8 | uint16(b[n+1])}, nil
}

// Bytes encodes data || SW1 SW2.
func (r Response) Bytes() []byte {
	out := make([]byte, 0, len(r.Data)+2)
	out = append(out, r.Data...)
	return append(out, byte(r.SW>>8), byte(r.SW))
}

// OK reports SW 9000.
func (r Response) OK() bool { return r.SW == 0x9000 }

// Err returns nil for 9000 and a *StatusError otherwise.
func (r Response) Err() error {
	if r.SW == 0x9000 {
		return nil
	}
	return &StatusError{SW: r.SW}
}

// Exchange encodes cmd, transmits it and decodes the response. It follows 61xx with
// GET RESPONSE and re-sends once with the right Le on 6Cxx (ISO 7816-3 T=0 rules,
// which pcscd passes through for T=0 cards). The returned error is a transport error;
// the status word is left to the caller (resp.Err()).
func Exchange(ctx context.Context, t Transceiver, cmd Command) (Response, error) {
	raw, err := cmd.Bytes()
	if err != nil {
		return Response{}, err
	}
	rb, err := t.Transmit(ctx, raw)
	if err != nil {
		return Response{}, err
	}
	resp, err := ParseResponse(rb)
	if err != nil {
		return Response{}, err
	}
	if resp.SW&0xFF00 == 0x6C00 && cmd.Ne > 0 {
		// Re-send once with the Le the card asked for. A card that answers 6Cxx again
		// is faulty: its answer goes to the caller as it is, never another re-send.
		cmd.Ne = int(resp.SW & 0xFF)
		if cmd.Ne == 0 {
			cmd.Ne = MaxShortNe
		}
		if raw, err = cmd.Bytes(); err != nil {
			return Response{}, err
		}
		if rb, err = t.Transmit(ctx, raw); err != nil {
			return Response{}, err
		}
		if resp, err = ParseResponse(rb); err != nil {
			return Response{}, err
		}
	}
	data := resp.Data
	for i := 0; resp.SW&0xFF00 == 0x6100; i++ {
		if i > 256 || len(data) > MaxExtendedNe {
			return Response{}, fmt.Errorf("%w: endless GET RESPONSE", ErrMalformed)
		}
		ne := int(resp.SW & 0xFF)
		if ne == 0 {
			ne = MaxShortNe
		}
		gr, _ := Command{CLA: cmd.CLA & 0x03, INS: InsGetResponse, Ne: ne}.Bytes()
		rb, err := t.Transmit(ctx, gr)
		if err != nil {
			return Response{}, err
		}
		if resp, err = ParseResponse(rb); err != nil {
			return Response{}, err
		}
		data = append(data, resp.Data...)
	}
	resp.Data = data
	return resp, nil
}
