// Package emulator is the resident card emulator for testers: a BIR card (ICAO 9303
// LDS application with BAC and secure messaging, and the DSI application with the
// PIN) that answers APDUs as ISO/IEC 7816-4 and Doc 9303 say a real card does, and
// a vpcd client so that pcscd sees it in the virtual reader "Virtual PCD 00 00".
//
// The card answers without artificial delay. It is never part of a production
// install: the kiosk refuses vpcd readers in production mode.
package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/testpki"
	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// Status words the card answers with (ISO/IEC 7816-4 §5.6).
const (
	swOK               = 0x9000
	swEndOfFile        = 0x6282
	swAuthFailed       = 0x6300
	swWrongLength      = 0x6700
	swLogicalChannel   = 0x6881
	swSMUnsupported    = 0x6882
	swLastOfChain      = 0x6883
	swChaining         = 0x6884
	swSecurityStatus   = 0x6982
	swBlocked          = 0x6983
	swConditions       = 0x6985
	swNoCurrentEF      = 0x6986
	swSMMissing        = 0x6987
	swSMIncorrect      = 0x6988
	swWrongData        = 0x6A80
	swRefDataNotFound  = 0x6A88
	swFileNotFound     = 0x6A82
	swWrongP1P2        = 0x6A86
	swOffsetOutside    = 0x6B00
	swINSNotSupported  = 0x6D00
	swCLANotSupported  = 0x6E00
	swTriesLeft        = 0x63C0
	swNoPreciseProblem = 0x6F00
)

// vpcd frames carry at most 0xFFFF bytes, status word included.
const maxResponseData = 0xFFFF - 2

// Applications of the card.
type application int

const (
	appMF application = iota // master file: no application selected
	appLDS
	appDSI
)

type file struct {
	data      []byte
	sfi       byte
	needsBAC  bool
	app       application
	fid       uint16
	readCount int // READ BINARY commands on this file since power-on, for PullOnRead
}

// ATR is the card's answer to reset (ISO 7816-3 §8.2): TS 3B (direct convention);
// T0 85 = TD1 follows, 5 historical bytes; TD1 01 = no further interface bytes,
// protocol T=1, the only one offered (TD1's low nibble is the first offered
// protocol, so T=1 must be there: a TD1 of 80 and a TD2 of 01 would offer T=0 first
// and T=1 second). Then the historical bytes 80 (compact-TLV follows) 73 (card
// capabilities, ISO 7816-4 §12.1.1.9): 94 = selection by full DF name and by file
// identifier, short EF identifiers; 01 = 1-byte data units; 40 = b7 of the third
// table, extended Lc and Le fields; and TCK, present because T=1 is indicated.
var ATR = func() []byte {
	hist := []byte{0x80, 0x73, 0x94, 0x01, 0x40}
	atr := []byte{0x3B, 0x80 | byte(len(hist)), 0x01}
	atr = append(atr, hist...)
	var tck byte
	for _, b := range atr[1:] {
		tck ^= b
	}
	return append(atr, tck)
}()

// Card is an emulated BIR card. It is safe for concurrent use.
type Card struct {
	mu    sync.Mutex
	files map[uint16]*file
	bac   *icao.BACChip
	pin   []byte
	rand  io.Reader
	// PACE passwords the card accepts (nil maps: a BAC-only card).
	pacePW map[byte]icao.PACEPassword

	// Persistent state: survives power cycles for the life of the emulator process.
	pinTries int

	// Session state, cleared at power-on and reset.
	app         application
	ef          *file
	challenged  bool
	sm          *icao.Session
	smLost      bool // the command being handled is plain and ended a session
	pinVerified bool
	pace        *icao.PACEChip // between MSE:Set AT and the last General Authenticate

	pullFID     uint16
	pullOnRead  int
	apdusServed int
}

// CardConfig is what a card is made of, for tests that need a card beyond a profile
// (the ICAO worked example).
type CardConfig struct {
	LDS      *LDS
	BACKey   icao.BACKey
	PIN      string
	PINTries int
	// PACE offers PACE (generic mapping, ECDH P-256, AES-128) with the CAN or the
	// MRZ as password, and EF.CardAccess in the MF. BAC stays available.
	PACE bool
	CAN  string
	// Rand supplies RND.IC and K.IC for BAC, the nonce and the private keys for
	// PACE; crypto/rand when nil.
	Rand io.Reader
}

// NewCard makes a card from its files and keys.
func NewCard(cfg CardConfig) (*Card, error) {
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	bac, err := icao.NewBACChip(cfg.BACKey, cfg.Rand)
	if err != nil {
		return nil, fmt.Errorf("card BAC key: %w", err)
	}
	if cfg.LDS == nil {
		return nil, errors.New("card without files")
	}
	c := &Card{bac: bac, pin: []byte(cfg.PIN), pinTries: cfg.PINTries, files: map[uint16]*file{}, rand: cfg.Rand}
	add := func(fid uint16, sfi byte, app application, bac bool, data []byte) {
		if data != nil {
			c.files[fid] = &file{data: data, sfi: sfi, needsBAC: bac, app: app, fid: fid}
		}
	}
	add(FIDCOM, 0x1E, appLDS, true, cfg.LDS.COM)
	add(FIDSOD, 0x1D, appLDS, true, cfg.LDS.SOD)
	for n, fid := range dgFID {
		add(fid, byte(n), appLDS, true, cfg.LDS.DG[n])
	}
	add(FIDCardInfo, 0x01, appDSI, false, cfg.LDS.CardInfo)
	if cfg.PACE {
		if cfg.CAN == "" {
			return nil, errors.New("card with PACE but no CAN")
		}
		mrz, err := icao.PasswordMRZ(cfg.BACKey)
		if err != nil {
			return nil, fmt.Errorf("card PACE password: %w", err)
		}
		c.pacePW = map[byte]icao.PACEPassword{icao.PasswordRefCAN: icao.PasswordCAN(cfg.CAN), icao.PasswordRefMRZ: mrz}
		// EF.CardAccess: in the MF, readable without any security (Doc 9303 Part 10 §3.11.3).
		add(FIDCardAccess, 0x1C, appMF, false, icao.EncodeCardAccess(icao.PACEInfo{
			Protocol: icao.OIDPACEECDHGMAES128, Version: 2, ParameterID: icao.ParamP256,
		}))
	}
	return c, nil
}

// NewCardFromProfile builds the profile's files, signs EF.SOD with the document
// signer the profile asks for, and makes the card. now is the signing time.
func NewCardFromProfile(p *Profile, pki *testpki.PKI, now time.Time) (*Card, error) {
	signer := pki.Valid
	if p.Faults.Signer == SignerExpired {
		signer = pki.Expired
		// A signer signs only while its certificate is valid: date the signature inside it.
		now = signer.Cert.NotAfter.Add(-24 * time.Hour)
	}
	l, err := BuildLDS(p, signer.Key, signer.Cert, now)
	if err != nil {
		return nil, err
	}
	return NewCard(CardConfig{
		LDS:      l,
		BACKey:   icao.BACKey{DocumentNumber: p.DocumentNumber, BirthDate: p.birth.Format("060102"), ExpiryDate: p.expiry.Format("060102")},
		PIN:      p.PIN,
		PINTries: *p.PINTriesLeft,
		PACE:     p.Access.PACE,
		CAN:      p.Access.CAN,
	})
}

// ATR implements ICC.
func (c *Card) ATR() []byte { return append([]byte(nil), ATR...) }

// PowerOn, PowerOff and Reset end the session: selections, BAC, SM and PIN status.
func (c *Card) PowerOn()  { c.resetSession() }
func (c *Card) PowerOff() { c.resetSession() }
func (c *Card) Reset()    { c.resetSession() }

func (c *Card) resetSession() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.app, c.ef, c.challenged, c.sm, c.pinVerified, c.pace = appMF, nil, false, nil, false, nil
	for _, f := range c.files {
		f.readCount = 0
	}
}

// PINTriesLeft is the PIN retry counter.
func (c *Card) PINTriesLeft() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pinTries
}

// PullOnRead makes the card leave the reader at the n-th READ BINARY (n >= 1) of file
// fid after power-on, before answering it: n=2 on DG2 pulls the card in the middle
// of the photo.
func (c *Card) PullOnRead(fid uint16, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pullFID, c.pullOnRead = fid, n
}

// APDUs is the number of commands the card has processed.
func (c *Card) APDUs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.apdusServed
}

// Process answers one command APDU. It returns ErrPull when the card is to be pulled.
func (c *Card) Process(raw []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.apdusServed++
	if len(raw) < 4 {
		return sw(swWrongLength), nil
	}
	cla := raw[0]
	switch {
	case cla == 0xFF || cla&0xE0 != 0:
		// Proprietary and "further interindustry" classes are not implemented.
		return sw(swCLANotSupported), nil
	case cla&0x03 != 0:
		return sw(swLogicalChannel), nil
	case cla&0x10 != 0 && (len(raw) < 2 || raw[1] != apdu.InsGeneralAuthenticate || c.pacePW == nil):
		// Command chaining exists only for PACE's General Authenticate.
		return sw(swChaining), nil
	}
	cmd, err := apdu.ParseCommand(raw)
	if err != nil {
		return sw(swWrongLength), nil
	}
	switch cla & 0x0C {
	case 0x00:
		// A plain command ends any secure messaging session (Doc 9303 Part 11
		// §9.8.6.1); one that needed SM answers 6987, SM objects missing.
		c.smLost = c.sm != nil
		c.sm = nil
		r, err := c.handle(cmd, false, min(cmd.Ne, maxResponseData))
		c.smLost = false
		if err != nil {
			return nil, err
		}
		return r.Bytes(), nil
	case 0x0C:
		return c.processSM(cmd)
	default:
		return sw(swSMUnsupported), nil
	}
}

func (c *Card) processSM(outer apdu.Command) ([]byte, error) {
	if c.sm == nil {
		return sw(swSMIncorrect), nil
	}
	inner, err := c.sm.UnwrapCommand(outer)
	if err != nil {
		// The session ends and the answer is plain: 6987 when a mandatory object
		// (DO8E) is missing; 6988 for a wrong MAC, a wrong SSC (which shows as a
		// wrong MAC), a bad cryptogram or bad padding.
		c.sm = nil
		if errors.Is(err, icao.ErrSMMissing) {
			return sw(swSMMissing), nil
		}
		return sw(swSMIncorrect), nil
	}
	outerNe := outer.Ne
	if outerNe == 0 {
		outerNe = apdu.MaxShortNe // no Le: the card still answers DO99 and DO8E
	}
	// The protected answer must fit the outer Le: the plain data it can carry
	// depends on the session's cipher block (8 for 3DES, 16 for AES).
	limit := c.sm.MaxResponseData(inner.INS, min(outerNe, maxResponseData))
	r, err := c.handle(inner, true, min(inner.Ne, limit))
	if err != nil {
		return nil, err
	}
	if c.sm == nil {
		// The command ended the session (a new BAC inside SM): answer plainly.
		return r.Bytes(), nil
	}
	w, err := c.sm.WrapResponse(inner.INS, r)
	if err != nil {
		c.sm = nil
		return sw(swNoPreciseProblem), nil
	}
	return w.Bytes(), nil
}

func sw(s uint16) []byte { return []byte{byte(s >> 8), byte(s)} }

func status(s uint16) apdu.Response { return apdu.Response{SW: s} }

// handle runs a plain (or unwrapped) command. maxData is the most response data
// the card can return for it.
func (c *Card) handle(cmd apdu.Command, secure bool, maxData int) (apdu.Response, error) {
	if cmd.INS != apdu.InsGeneralAuthenticate {
		// Any other command breaks a General Authenticate chain: PACE starts over.
		c.pace = nil
	}
	switch cmd.INS {
	case apdu.InsSelect:
		return c.selectFile(cmd, maxData), nil
	case apdu.InsReadBinary:
		return c.readBinary(cmd, secure, maxData)
	case apdu.InsReadBinaryOdd:
		return c.readBinaryOdd(cmd, secure, maxData)
	case apdu.InsGetChallenge:
		return c.getChallenge(cmd), nil
	case apdu.InsExternalAuthenticate:
		return c.mutualAuthenticate(cmd), nil
	case apdu.InsVerify:
		return c.verify(cmd), nil
	case apdu.InsMSESetAT:
		return c.mseSetAT(cmd, secure), nil
	case apdu.InsGeneralAuthenticate:
		return c.generalAuthenticate(cmd, secure, maxData), nil
	default:
		return status(swINSNotSupported), nil
	}
}

func (c *Card) selectFile(cmd apdu.Command, maxData int) apdu.Response {
	// P2: first or only occurrence, and FCI (00), FCP (04) or no data (0C).
	if cmd.P2 != 0x00 && cmd.P2 != 0x04 && cmd.P2 != 0x0C {
		return status(swWrongP1P2)
	}
	var resp []byte
	switch cmd.P1 {
	case 0x04: // by DF name
		var app application
		switch {
		case subtle.ConstantTimeCompare(cmd.Data, AIDLDS) == 1:
			app = appLDS
		case subtle.ConstantTimeCompare(cmd.Data, AIDDSI) == 1:
			app = appDSI
		default:
			return status(swFileNotFound)
		}
		c.selectApp(app)
		if cmd.P2 == 0x00 {
			resp = tlv.Constructed(0x6F, tlv.Encode(0x84, cmd.Data))
		} else if cmd.P2 == 0x04 {
			resp = tlv.Constructed(0x62, tlv.Encode(0x82, []byte{0x38}), tlv.Encode(0x84, cmd.Data))
		}
	case 0x00, 0x02: // by file identifier; 02: EF under the current DF
		if cmd.P1 == 0x00 && (len(cmd.Data) == 0 || (len(cmd.Data) == 2 && cmd.Data[0] == 0x3F && cmd.Data[1] == 0x00)) {
			c.selectApp(appMF)
			if cmd.P2 != 0x0C {
				resp = tlv.Constructed(0x62, tlv.Encode(0x82, []byte{0x38}), tlv.Encode(0x83, []byte{0x3F, 0x00}))
			}
			break
		}
		if len(cmd.Data) != 2 {
			return status(swWrongLength)
		}
		fid := uint16(cmd.Data[0])<<8 | uint16(cmd.Data[1])
		f := c.files[fid]
		if f == nil || f.app != c.app {
			// Includes EF.CardAccess (011C) on a card that offers no PACE.
			return status(swFileNotFound)
		}
		c.ef = f
		if cmd.P2 != 0x0C {
			fcp := tlv.Constructed(0x62,
				tlv.Encode(0x80, []byte{byte(len(f.data) >> 8), byte(len(f.data))}),
				tlv.Encode(0x82, []byte{0x01}),
				tlv.Encode(0x83, cmd.Data),
			)
			if cmd.P2 == 0x00 {
				fcp = tlv.Encode(0x6F, fcp)
			}
			resp = fcp
		}
	default:
		return status(swWrongP1P2)
	}
	if len(resp) > 0 && cmd.Ne > 0 {
		if len(resp) > maxData {
			resp = resp[:maxData]
		}
		return apdu.Response{Data: resp, SW: swOK}
	}
	return status(swOK)
}

func (c *Card) selectApp(app application) {
	if app != c.app && c.app == appDSI {
		// The PIN's verified state belongs to the DSI application.
		c.pinVerified = false
	}
	c.app, c.ef = app, nil
}

func (c *Card) readBinary(cmd apdu.Command, secure bool, maxData int) (apdu.Response, error) {
	f := c.ef
	var offset int
	if cmd.P1&0x80 != 0 {
		if cmd.P1&0x60 != 0 {
			return status(swWrongP1P2), nil
		}
		if f = c.fileBySFI(cmd.P1 & 0x1F); f == nil {
			return status(swFileNotFound), nil
		}
		offset = int(cmd.P2)
	} else {
		offset = int(cmd.P1)<<8 | int(cmd.P2)
	}
	if f == nil {
		return status(swNoCurrentEF), nil
	}
	if r, stop := c.startRead(f, secure); stop {
		return r, nil
	}
	if c.pullNow(f) {
		return apdu.Response{}, ErrPull
	}
	if cmd.Ne == 0 {
		return status(swWrongLength), nil
	}
	if offset >= len(f.data) {
		return status(swOffsetOutside), nil
	}
	rest := len(f.data) - offset
	n := min(cmd.Ne, rest, maxData)
	if n <= 0 {
		return status(swWrongLength), nil
	}
	s := uint16(swOK)
	if n == rest && n < cmd.Ne {
		s = swEndOfFile
	}
	return apdu.Response{Data: f.data[offset : offset+n], SW: s}, nil
}

// readBinaryOdd is READ BINARY with the odd instruction (B1, ISO 7816-4 §11.3.3):
// the offset comes in a data object 54, so files beyond 32 KiB can be read, and the
// data returns inside a data object 53. P1-P2 are 0000 for the current EF, a file
// identifier, or an SFI in P2 (first eleven bits zero).
func (c *Card) readBinaryOdd(cmd apdu.Command, secure bool, maxData int) (apdu.Response, error) {
	var f *file
	p1p2 := uint16(cmd.P1)<<8 | uint16(cmd.P2)
	switch {
	case p1p2 == 0:
		f = c.ef
		if f == nil {
			return status(swNoCurrentEF), nil
		}
	case p1p2 <= 0x1F:
		f = c.fileBySFI(byte(p1p2))
	default:
		if cand := c.files[p1p2]; cand != nil && cand.app == c.app {
			f = cand
		}
	}
	if f == nil {
		return status(swFileNotFound), nil
	}
	o, err := tlv.ParseOne(cmd.Data)
	if err != nil || o.Tag != 0x54 || len(o.Value) == 0 || len(o.Value) > 3 {
		return status(swWrongData), nil
	}
	offset := 0
	for _, b := range o.Value {
		offset = offset<<8 | int(b)
	}
	if r, stop := c.startRead(f, secure); stop {
		return r, nil
	}
	if c.pullNow(f) {
		return apdu.Response{}, ErrPull
	}
	if cmd.Ne == 0 {
		return status(swWrongLength), nil
	}
	if offset >= len(f.data) {
		return status(swOffsetOutside), nil
	}
	rest := len(f.data) - offset
	room := min(cmd.Ne, maxData)
	n := min(rest, room-2)
	for n > 0 && len(tlv.Encode(0x53, make([]byte, n))) > room {
		n--
	}
	if n <= 0 {
		return status(swWrongLength), nil
	}
	out := tlv.Encode(0x53, f.data[offset:offset+n])
	s := uint16(swOK)
	if n == rest && len(out) < cmd.Ne {
		s = swEndOfFile
	}
	return apdu.Response{Data: out, SW: s}, nil
}

func (c *Card) fileBySFI(sfi byte) *file {
	for _, f := range c.files {
		if f.app == c.app && f.sfi == sfi {
			return f
		}
	}
	return nil
}

// startRead checks access to f and makes it the current EF (reading by SFI or file
// identifier selects the file, ISO 7816-4 §7.2.2).
func (c *Card) startRead(f *file, secure bool) (apdu.Response, bool) {
	if f.needsBAC && !secure {
		if c.smLost {
			// Plain CLA where the session required SM.
			return status(swSMMissing), true
		}
		return status(swSecurityStatus), true
	}
	c.ef = f
	f.readCount++
	return apdu.Response{}, false
}

// pullNow says whether the test asked for the card to leave at this read of f.
func (c *Card) pullNow(f *file) bool {
	if c.pullOnRead > 0 && f.fid == c.pullFID && f.readCount == c.pullOnRead {
		c.pullOnRead = 0
		return true
	}
	return false
}

func (c *Card) getChallenge(cmd apdu.Command) apdu.Response {
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return status(swWrongP1P2)
	}
	if cmd.Ne != 8 || len(cmd.Data) != 0 {
		return status(swWrongLength)
	}
	rnd, err := c.bac.Challenge()
	if err != nil {
		return status(swNoPreciseProblem)
	}
	c.challenged = true
	return apdu.Response{Data: rnd, SW: swOK}
}

func (c *Card) mutualAuthenticate(cmd apdu.Command) apdu.Response {
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return status(swWrongP1P2)
	}
	if len(cmd.Data) != 40 || (cmd.Ne != 40 && cmd.Ne != apdu.MaxShortNe) {
		return status(swWrongLength)
	}
	if !c.challenged {
		return status(swConditions)
	}
	c.challenged = false
	c.sm = nil
	resp, sess, err := c.bac.Authenticate(cmd.Data)
	if err != nil {
		return status(swAuthFailed)
	}
	// The answer to MUTUAL AUTHENTICATE itself is plain; SM starts with the next command.
	c.sm = sess
	return apdu.Response{Data: resp, SW: swOK}
}

// mseSetAT is MSE:Set AT for PACE (00 22 C1 A4, Doc 9303 Part 11 §4.4.4.1): 80 the
// protocol OID, 83 the password reference (01 MRZ, 02 CAN), optionally 84 the domain
// parameter ID. It (re)starts PACE.
func (c *Card) mseSetAT(cmd apdu.Command, secure bool) apdu.Response {
	c.pace = nil
	if c.pacePW == nil {
		return status(swINSNotSupported)
	}
	if cmd.P1 != 0xC1 || cmd.P2 != 0xA4 {
		return status(swWrongP1P2)
	}
	if secure {
		// PACE starts in plain; a plain command also ends the current session.
		return status(swConditions)
	}
	objs, err := tlv.ParseAll(cmd.Data)
	if err != nil {
		return status(swWrongData)
	}
	var oid, ref []byte
	for _, o := range objs {
		switch o.Tag {
		case 0x80:
			oid = o.Value
		case 0x83:
			ref = o.Value
		case 0x84:
			if len(o.Value) != 1 || o.Value[0] != icao.ParamP256 {
				return status(swRefDataNotFound)
			}
		default:
			// 7F4C (CHAT), 67 (auxiliary data) belong to terminal authentication,
			// which this card does not do.
			return status(swWrongData)
		}
	}
	if subtle.ConstantTimeCompare(oid, icao.OIDPACEECDHGMAES128) != 1 || len(ref) != 1 {
		return status(swWrongData)
	}
	pw, ok := c.pacePW[ref[0]]
	if !ok {
		return status(swRefDataNotFound)
	}
	c.pace = icao.NewPACEChip(icao.P256Params(), pw, c.rand)
	return status(swOK)
}

// generalAuthenticate runs one PACE step (00/10 86 00 00, Doc 9303 Part 11 §4.4.4.2):
// the first three chained (CLA 10), the last not. A wrong password shows at the
// last step as the terminal's wrong token: 6300. Any error ends the run.
func (c *Card) generalAuthenticate(cmd apdu.Command, secure bool, maxData int) apdu.Response {
	chip := c.pace
	c.pace = nil
	switch {
	case c.pacePW == nil:
		return status(swINSNotSupported)
	case cmd.P1 != 0 || cmd.P2 != 0:
		return status(swWrongP1P2)
	case chip == nil || secure:
		return status(swConditions)
	case cmd.Ne == 0:
		return status(swWrongLength)
	}
	step := chip.Step()
	chained := cmd.CLA&0x10 != 0
	if step == 3 && chained {
		return status(swLastOfChain)
	}
	if step < 3 && !chained {
		return status(swConditions)
	}
	var out []byte
	var sess *icao.Session
	var err error
	switch step {
	case 0:
		out, err = chip.EncryptedNonce(cmd.Data)
	case 1:
		out, err = chip.Map(cmd.Data)
	case 2:
		out, err = chip.Agree(cmd.Data)
	default:
		out, sess, err = chip.Authenticate(cmd.Data)
	}
	switch {
	case errors.Is(err, icao.ErrPACEFailed):
		return status(swAuthFailed)
	case errors.Is(err, icao.ErrPACEData):
		return status(swWrongData)
	case err != nil:
		return status(swNoPreciseProblem)
	case len(out) > maxData:
		return status(swWrongLength)
	}
	if sess != nil {
		// The answer to the last General Authenticate is plain; SM starts with the
		// next command, SSC zero.
		c.sm, c.challenged = sess, false
		return apdu.Response{Data: out, SW: swOK}
	}
	c.pace = chip
	return apdu.Response{Data: out, SW: swOK}
}

func (c *Card) verify(cmd apdu.Command) apdu.Response {
	if c.app != appDSI {
		return status(swINSNotSupported)
	}
	if cmd.P1 != 0x00 || cmd.P2 != 0x81 {
		return status(swWrongP1P2)
	}
	if len(cmd.Data) == 0 {
		// The status query: tries left without spending one.
		switch {
		case c.pinTries == 0:
			return status(swBlocked)
		case c.pinVerified:
			return status(swOK)
		default:
			return status(swTriesLeft | uint16(c.pinTries))
		}
	}
	if len(cmd.Data) != 6 {
		return status(swWrongLength)
	}
	if c.pinTries == 0 {
		return status(swBlocked)
	}
	if subtle.ConstantTimeCompare(cmd.Data, c.pin) == 1 {
		c.pinTries = PINTries
		c.pinVerified = true
		return status(swOK)
	}
	c.pinTries--
	c.pinVerified = false
	return status(swTriesLeft | uint16(c.pinTries))
}

var _ ICC = (*Card)(nil)
