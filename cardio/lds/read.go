package lds

import (
	"context"
	"errors"
	"fmt"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// MaxFileSize bounds what ReadFile accepts from a file's own length header. A DG2 with
// a face image is 10-30 KB; a chip announcing more than this is refused before any
// large allocation.
const MaxFileSize = 1 << 20

// Chunk sizes. Under secure messaging the protected response carries the data plus
// DO87/DO99/DO8E and padding, and must itself fit the response buffer: 256 bytes
// for short APDUs, 65535 for vpcd's 2-byte framing and pcsc-lite's extended buffer.
// Without SM the full Ne is usable.
const (
	ShortChunk      = 0x100  // 256 in plain
	ExtendedChunkSM = 0xFF00 // 65280: plus SM overhead stays within 65535
	ExtendedChunk   = 0xFF00
)

// ShortChunkSM is the most data a short protected READ BINARY asks for: what fits a
// 256-byte answer with AES's 16-byte blocks (223; 3DES would allow 231), so that
// it holds whichever cipher the session has.
var ShortChunkSM = icao.MaxResponseData(icao.AESBlockSize, apdu.InsReadBinary, apdu.MaxShortNe)

// Reader reads files over a transceiver (plain or a SecureChannel).
type Reader struct {
	T apdu.Transceiver
	// Extended uses extended-length READ BINARY. If the card refuses it (6700, 6D00,
	// 6E00, 6F00 or 6Cxx), or the transport fails the first extended command,
	// ErrExtendedRefused is returned so the caller can re-establish secure messaging
	// and continue with short APDUs.
	Extended bool
	// SM says the transceiver adds secure messaging; it sets the chunk sizes.
	SM bool
	// Progress, if set, is called after every READ BINARY with the bytes so far and
	// the total (0 until known).
	Progress func(f File, done, total int)
	// MaxResponse, when > 0, bounds a response APDU (EF.ATR/INFO's 7F66), SM
	// objects and status word included.
	MaxResponse int
	// APDUs counts the commands sent by this reader.
	APDUs int

	extendedWorked bool // an extended APDU came back through the transport
}

// ErrExtendedRefused means the card answered an extended-length command as unsupported.
var ErrExtendedRefused = errors.New("card refused extended-length APDUs")

// ErrFileTooLarge is returned when a file announces a size beyond MaxFileSize.
var ErrFileTooLarge = errors.New("file larger than allowed")

// ErrFileEmpty is returned for a file that exists but holds no byte: the first READ
// BINARY, at offset 0, gets no data (6B00, offset outside the EF; or 6282 or 9000
// without data).
var ErrFileEmpty = errors.New("file is empty")

func (r *Reader) chunk() int {
	switch {
	case r.Extended && r.MaxResponse > 0:
		// Room for the status word, and under SM for DO87's header and padding,
		// DO99 and DO8E.
		room := r.MaxResponse - 2
		if r.SM {
			room = icao.MaxResponseData(icao.AESBlockSize, apdu.InsReadBinary, room)
		}
		return max(min(ExtendedChunk, room), ShortChunkSM)
	case r.Extended && r.SM:
		return ExtendedChunkSM
	case r.Extended:
		return ExtendedChunk
	case r.SM:
		return ShortChunkSM
	default:
		return ShortChunk
	}
}

func (r *Reader) exchange(ctx context.Context, c apdu.Command) (apdu.Response, error) {
	if err := ctx.Err(); err != nil {
		return apdu.Response{}, err
	}
	r.APDUs++
	return apdu.Exchange(ctx, r.T, c)
}

// SelectApplication selects an application by AID with no response data (P2 0C), as
// Doc 9303 Part 10 §3.1.1 asks.
func SelectApplication(ctx context.Context, t apdu.Transceiver, aid []byte) error {
	resp, err := apdu.Exchange(ctx, t, apdu.Command{INS: apdu.InsSelect, P1: 0x04, P2: 0x0C, Data: aid})
	if err != nil {
		return fmt.Errorf("selecting application: %w", err)
	}
	if err := resp.Err(); err != nil {
		return fmt.Errorf("selecting application: %w", err)
	}
	return nil
}

// Select selects an elementary file of the current application by FID (P1 02, P2 0C).
func (r *Reader) Select(ctx context.Context, f File) error {
	resp, err := r.exchange(ctx, apdu.Command{INS: apdu.InsSelect, P1: 0x02, P2: 0x0C, Data: []byte{byte(f.FID >> 8), byte(f.FID)}})
	if err != nil {
		return fmt.Errorf("selecting %s: %w", f.Name, err)
	}
	if err := resp.Err(); err != nil {
		return fmt.Errorf("selecting %s: %w", f.Name, err)
	}
	return nil
}

// HeaderRead is the size of the first READ BINARY of a file: enough for any LDS
// file's tag (up to 2 bytes here) and length (up to 4), and never past the end of
// a real file, so a card is never asked beyond the end (no 6282 to rely on).
const HeaderRead = 8

// ReadFile reads a whole file: by short EF identifier when bySFI (no SELECT needed),
// else SELECT by FID first. The first READ BINARY asks for the first HeaderRead
// bytes; the TLV header gives the file's size, and the rest is read with Le set to
// exactly what is left, in as few chunks as possible (one with extended length), as
// JMRTD and gmrtd do.
func (r *Reader) ReadFile(ctx context.Context, f File, bySFI bool) ([]byte, error) {
	if !bySFI || f.SFI == 0 {
		if err := r.Select(ctx, f); err != nil {
			return nil, err
		}
	}
	first := apdu.Command{INS: apdu.InsReadBinary, Ne: HeaderRead}
	if bySFI && f.SFI != 0 {
		first.P1 = 0x80 | f.SFI
	}
	data, err := r.readAt(ctx, f, first)
	var se *apdu.StatusError
	if errors.As(err, &se) && (se.SW == 0x6B00 || se.SW == 0x6282) || err == nil && len(data) == 0 {
		return nil, fmt.Errorf("reading %s: %w", f.Name, ErrFileEmpty)
	}
	if err != nil {
		return nil, err
	}
	_, _, total, err := tlv.Header(data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Name, err)
	}
	if total > MaxFileSize {
		return nil, fmt.Errorf("reading %s: %w (%d bytes)", f.Name, ErrFileTooLarge, total)
	}
	if len(data) >= total {
		r.progress(f, total, total)
		return data[:total:total], nil
	}
	out := make([]byte, len(data), total)
	copy(out, data)
	r.progress(f, len(out), total)
	for len(out) < total {
		n := min(r.chunk(), total-len(out))
		part, err := r.readOffset(ctx, f, len(out), n)
		if err != nil {
			return nil, err
		}
		if len(part) == 0 {
			return nil, fmt.Errorf("reading %s: card returned no data at offset %d of %d", f.Name, len(out), total)
		}
		if len(part) > total-len(out) {
			part = part[:total-len(out)]
		}
		out = append(out, part...)
		r.progress(f, len(out), total)
	}
	return out, nil
}

// ReadShortFile reads a file that is not one BER-TLV object (EF.ATR/INFO) and fits
// in one short READ BINARY, by short EF identifier: Le 00 asks for "all the bytes
// until the end of the file, within 256" (ISO 7816-4 §11.3.3), so the card may stop
// at the end without any warning.
func (r *Reader) ReadShortFile(ctx context.Context, f File) ([]byte, error) {
	return r.readAt(ctx, f, apdu.Command{INS: apdu.InsReadBinary, P1: 0x80 | f.SFI, Ne: apdu.MaxShortNe})
}

func (r *Reader) progress(f File, done, total int) {
	if r.Progress != nil {
		r.Progress(f, done, total)
	}
}

// readOffset reads n bytes at off from the current EF: READ BINARY (B0) with a
// 15-bit offset in P1-P2 up to 32767, READ BINARY (B1) with an offset data object
// (tag 54) beyond, as ISO 7816-4 §11.3.3 provides.
func (r *Reader) readOffset(ctx context.Context, f File, off, n int) ([]byte, error) {
	if off <= 0x7FFF {
		// Under SM a short command's protected answer holds at most ShortChunkSM data
		// bytes: ask in extended form for more.
		return r.readAt(ctx, f, apdu.Command{INS: apdu.InsReadBinary, P1: byte(off >> 8), P2: byte(off), Ne: n, Extended: r.Extended && r.SM && n > ShortChunkSM})
	}
	// The offset data object in its minimal form: two bytes up to 65535, three beyond.
	offBytes := []byte{byte(off >> 16), byte(off >> 8), byte(off)}
	if off <= 0xFFFF {
		offBytes = offBytes[1:]
	}
	offDO := tlv.Encode(0x54, offBytes)
	// The response is wrapped in a discretionary data object 53 L data: ask for its header too.
	data, err := r.readAt(ctx, f, apdu.Command{INS: apdu.InsReadBinaryOdd, Data: offDO, Ne: min(n+4, r.chunk())})
	if err != nil {
		return nil, err
	}
	o, err := tlv.ParseOne(data)
	if err != nil || o.Tag != 0x53 {
		return nil, fmt.Errorf("reading %s at %d: odd READ BINARY answer is not a 53 object", f.Name, off)
	}
	return o.Value, nil
}

func (r *Reader) readAt(ctx context.Context, f File, c apdu.Command) ([]byte, error) {
	resp, err := r.exchange(ctx, c)
	if err != nil {
		if c.IsExtended() && !r.extendedWorked && ctx.Err() == nil {
			// A short-APDU-only reader (CCID without extended APDU exchange) fails the
			// first extended command in the transport (SCARD_E_NOT_TRANSACTED) before
			// the card sees it: the caller re-authenticates and reads short.
			return nil, fmt.Errorf("reading %s: %w: %w", f.Name, ErrExtendedRefused, err)
		}
		return nil, fmt.Errorf("reading %s: %w", f.Name, err)
	}
	if c.IsExtended() {
		r.extendedWorked = true
	}
	switch {
	case resp.SW == 0x9000, resp.SW == 0x6282 && len(resp.Data) > 0:
		return resp.Data, nil
	case c.IsExtended() && (resp.SW == 0x6700 || resp.SW == 0x6D00 || resp.SW == 0x6E00 || resp.SW == 0x6F00 || resp.SW&0xFF00 == 0x6C00):
		return nil, fmt.Errorf("reading %s: %w: %w", f.Name, ErrExtendedRefused, resp.Err())
	default:
		return nil, fmt.Errorf("reading %s: %w", f.Name, resp.Err())
	}
}

// ATRSupportsExtended reads the card capabilities (compact-TLV tag 7, ISO 7816-4
// §12.1.1.9) in the ATR's historical bytes: the third software function table, b7
// "extended Lc and Le fields". known is false when the ATR does not say (no
// compact-TLV historical bytes, or no card capabilities with a third byte); a reader
// must then not assume extended length (ISO 7816-4 §5.1).
func ATRSupportsExtended(atr []byte) (supported, known bool) {
	hist := historicalBytes(atr)
	if len(hist) < 1 {
		return false, false
	}
	switch hist[0] {
	case 0x80: // compact-TLV objects, status indicator optional among them
		hist = hist[1:]
	case 0x00: // compact-TLV objects, then a 3-byte status indicator outside them
		if len(hist) < 4 {
			return false, false
		}
		hist = hist[1 : len(hist)-3]
	default:
		return false, false
	}
	for b := hist; len(b) > 0; {
		tag, l := b[0]>>4, int(b[0]&0x0F)
		if len(b) < 1+l {
			return false, false
		}
		if tag == 0x7 && l >= 3 {
			return b[3]&0x40 != 0, true
		}
		b = b[1+l:]
	}
	return false, false
}

// EF.ATR/INFO (ISO 7816-4 §12.2.2): in the MF, FID 2F01, short EF identifier 01.
var EFATRInfo = File{Name: "EF.ATR/INFO", FID: 0x2F01, SFI: 0x01}

// ATRInfo is what EF.ATR/INFO says about command and response lengths.
type ATRInfo struct {
	// Extended and Known as for ATRSupportsExtended.
	Extended, Known bool
	// MaxCommand and MaxResponse are the extended length information (7F66) when
	// present: the most bytes the card takes in a command APDU and sends in a
	// response APDU. 0 when not given.
	MaxCommand, MaxResponse int
}

// ParseATRInfo reads EF.ATR/INFO's interindustry data objects: card capabilities
// (47, the same three bytes as in the ATR) and extended length information (7F66,
// two INTEGERs: command and response APDU maxima, ISO 7816-4 §12.7.1). A 7F66
// with a response maximum beyond 258 bytes (256 data + SW) is extended length too.
func ParseATRInfo(b []byte) ATRInfo {
	var info ATRInfo
	objs, err := tlv.ParseAll(b)
	if err != nil {
		return info
	}
	for _, o := range objs {
		switch o.Tag {
		case 0x47:
			if len(o.Value) >= 3 {
				info.Extended, info.Known = o.Value[2]&0x40 != 0, true
			}
		case 0x7F66:
			kids, err := o.Children()
			if err != nil || len(kids) < 2 || kids[0].Tag != 0x02 || kids[1].Tag != 0x02 {
				continue
			}
			info.MaxCommand, info.MaxResponse = uintValue(kids[0].Value), uintValue(kids[1].Value)
			if !info.Known {
				info.Extended, info.Known = info.MaxResponse > apdu.MaxShortNe+2 || info.MaxCommand > 4+1+apdu.MaxShortNc+1, true
			}
		}
	}
	return info
}

func uintValue(b []byte) int {
	n := 0
	for _, c := range b {
		if n > 1<<24 {
			return n
		}
		n = n<<8 | int(c)
	}
	return n
}

// historicalBytes extracts T1..Tk from an ATR (ISO 7816-3 §8.2): T0's high nibble
// Y1 says which of TA1 TB1 TC1 TD1 follow, and each TDi's high nibble which
// interface bytes of the next group follow.
func historicalBytes(atr []byte) []byte {
	if len(atr) < 2 {
		return nil
	}
	k := int(atr[1] & 0x0F)
	i := 1 // index of T0, then of each TDi
	y := atr[1] >> 4
	for {
		for _, bit := range []byte{0x1, 0x2, 0x4} { // TAi, TBi, TCi
			if y&bit != 0 {
				i++
			}
		}
		if y&0x8 == 0 {
			break
		}
		i++ // TDi
		if i >= len(atr) {
			return nil
		}
		y = atr[i] >> 4
	}
	start := i + 1
	if start+k > len(atr) {
		return nil
	}
	return atr[start : start+k]
}
