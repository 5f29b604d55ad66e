package cardio

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/macau-dsi/kiosk/cardio/apdu"
	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/cardio/tlv"
	"github.com/macau-dsi/kiosk/kiosk"
)

// The DSI application of the BIR profile (docs/card-profile.md).
var AIDDSI = []byte{0xF0, 0x44, 0x53, 0x49, 0x00, 0x01}

// BIR profile constants.
const (
	FIDCardInfo = 0xD001 // EF.CardInfo in the DSI application: the BAC key seed, in plain
	PINRef      = 0x81   // VERIFY P2: the ordinary PIN, specific reference data
	PINTries    = 3      // the counter's start and reset value
	// DefaultPINLength is the BIR's ordinary PIN; the kiosk passes its own PIN
	// policy's length (PCSCConfig.PINLength, from kiosk.PINPolicy).
	DefaultPINLength = 6
)

// Residency codes: DG12's endorsements and observations (5F1B) hold exactly one of
// them (docs/card-profile.md), the names DSI gives the two cards: Bilhete de
// Identidade de Residente Permanente / Não Permanente. DG12 is hashed in EF.SOD,
// so passive authentication protects the status like the name.
const (
	ResidencyCodePermanent    = "BIRP"
	ResidencyCodeNonPermanent = "BIRNP"
)

// ResidencyOf is the residency DG12's 5F1B states. Anything but one of the two codes
// (absent, another observation, another case) is "": the card does not say, and no
// kiosk service accepts that, rather than guessing either way.
func ResidencyOf(observations string) kiosk.Residency {
	switch observations {
	case ResidencyCodePermanent:
		return kiosk.ResidencyPermanent
	case ResidencyCodeNonPermanent:
		return kiosk.ResidencyNonPermanent
	}
	return ""
}

// StaffCodePrefix starts DG12's endorsements and observations (5F1B) on a DSI staff
// card: "DSI-STAFF:" and the staff id, in the element a resident card gives its
// residency code (docs/card-profile.md). One element holds one document type, so a
// card is a resident's or a staff member's, never both.
const StaffCodePrefix = "DSI-STAFF:"

// staffIDPattern is a staff id as the configuration's staff.pin_hashes writes them
// (cmd/kiosk's staffIDPattern): the audit log names staff by it.
var staffIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{2,32}$`)

// StaffIDOf is the staff id DG12's 5F1B states: exactly StaffCodePrefix then 2 to 32
// letters, digits, - or _. Anything else (a residency code, another case, spaces, an
// empty id) is "": not a staff card. Only a read that passed passive authentication
// may open staff mode (the session refuses an unverified card before it looks).
func StaffIDOf(observations string) string {
	id, ok := strings.CutPrefix(observations, StaffCodePrefix)
	if !ok || !staffIDPattern.MatchString(id) {
		return ""
	}
	return id
}

// Access protocols as reported in kiosk.CardRead.Access.
const (
	AccessBAC  = "BAC"
	AccessPACE = "PACE"
)

// Errors of the read.
var (
	// ErrPACENotOffered: a CAN was given but the card has no EF.CardAccess, or none
	// of its PACEInfos is the profile built (ECDH generic mapping, P-256, AES-128).
	ErrPACENotOffered = errors.New("the card does not offer PACE with P-256 and AES-128: use its BAC key (document number and dates)")
	// ErrWrongCAN: PACE's authentication tokens did not match (the chip answers 6300).
	ErrWrongCAN    = errors.New("the card refused the card access number (CAN)")
	ErrBadCardInfo = errors.New("EF.CardInfo is malformed")
	// ErrBadPIN: not the configured number of digits; nothing was sent to the card.
	ErrBadPIN = errors.New("the PIN has the wrong number of digits")
)

// ReadOptions configures ReadCard.
type ReadOptions struct {
	// Key is the BAC key; nil reads it from EF.CardInfo of the DSI application.
	Key *icao.BACKey
	// CAN asks for PACE with the card access number instead of BAC (Key is then
	// ignored). The card must offer PACE in EF.CardAccess (ErrPACENotOffered).
	CAN string
	// Trust is the CSCA trust store; nil fails passive authentication's chain step.
	Trust *lds.TrustStore
	// Now is the time certificates are checked at.
	Now time.Time
	// Rand supplies BAC nonces and keys, PACE private keys (crypto/rand when nil).
	Rand io.Reader
	// ATR of the card, used to learn whether it supports extended length.
	ATR []byte
	// ForceShort never tries extended-length APDUs.
	ForceShort bool
	// Progress is told about each file as it is read.
	Progress func(kiosk.ReadProgress)
}

// Stats describes how a read went (for benchmarks and diagnostics; no personal data).
type Stats struct {
	APDUs    int
	Extended bool
	Files    map[string]int // bytes per file
}

type counting struct {
	t apdu.Transceiver
	n int
}

func (c *counting) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.n++
	return c.t.Transmit(ctx, cmd)
}

// ReadCardInfo selects the DSI application and reads EF.CardInfo (plain, no security),
// the BAC key seed a kiosk without an MRZ scanner uses.
func ReadCardInfo(ctx context.Context, t apdu.Transceiver) (icao.BACKey, error) {
	if err := lds.SelectApplication(ctx, t, AIDDSI); err != nil {
		return icao.BACKey{}, fmt.Errorf("DSI application: %w", err)
	}
	r := &lds.Reader{T: t}
	b, err := r.ReadFile(ctx, lds.File{Name: "EF.CardInfo", FID: FIDCardInfo, Tag: 0x70}, false)
	if err != nil {
		return icao.BACKey{}, err
	}
	return ParseCardInfo(b)
}

// ParseCardInfo parses EF.CardInfo: 70 { 5A document number, 5F2B birth YYMMDD, 5F24 expiry YYMMDD }.
func ParseCardInfo(b []byte) (icao.BACKey, error) {
	o, err := tlv.ParseOne(b)
	if err != nil || o.Tag != 0x70 {
		return icao.BACKey{}, fmt.Errorf("%w: not a 70 template", ErrBadCardInfo)
	}
	var k icao.BACKey
	for _, f := range []struct {
		tag tlv.Tag
		dst *string
	}{{0x5A, &k.DocumentNumber}, {0x5F2B, &k.BirthDate}, {0x5F24, &k.ExpiryDate}} {
		v, err := o.Find(f.tag)
		if err != nil {
			return icao.BACKey{}, fmt.Errorf("%w: %v", ErrBadCardInfo, err)
		}
		*f.dst = string(v.Value)
	}
	if _, err := k.MRZInformation(); err != nil {
		return icao.BACKey{}, fmt.Errorf("%w: %v", ErrBadCardInfo, err)
	}
	return k, nil
}

// ReadCard opens the LDS application with BAC (or PACE when o.CAN is set), reads EF.COM, DG1, DG11, DG12, DG2 and
// EF.SOD, parses them and runs passive authentication. The data of a card that
// fails passive authentication is still returned with Verified false; an error is
// returned only when the card could not be read at all.
func ReadCard(ctx context.Context, t apdu.Transceiver, o ReadOptions) (_ *kiosk.CardRead, st Stats, _ error) {
	ct := &counting{t: t}
	st = Stats{Files: map[string]int{}}
	// Every return, error or not, reports the APDUs sent (st is the named result).
	defer func() { st.APDUs = ct.n }()
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	var open opener
	access := AccessBAC
	if o.CAN != "" {
		p, err := paceOffered(ctx, ct)
		if err != nil {
			return nil, st, err
		}
		open, access = paceOpener(p, o.CAN, o.Rand), AccessPACE
	} else {
		key := o.Key
		if key == nil {
			k, err := ReadCardInfo(ctx, ct)
			if err != nil {
				return nil, st, fmt.Errorf("reading the access key: %w", err)
			}
			key = &k
		}
		open = bacOpener(*key, o.Rand)
	}
	var lim limits
	if !o.ForceShort {
		lim = extendedLength(ctx, ct, o.ATR)
	}
	files, err := readLDS(ctx, ct, open, lim, o)
	if errors.Is(err, lds.ErrExtendedRefused) {
		// The card (or the reader's transport) does not take extended length: secure
		// messaging ended with the refusal, so authenticate again and read short.
		if access == AccessPACE {
			// PACE runs with the MF current (Doc 9303 Part 10 §3.11.1); a plain
			// SELECT also ends what is left of the session on the card.
			if _, serr := apdu.Exchange(ctx, ct, selectMF); serr != nil {
				return nil, st, fmt.Errorf("selecting the MF: %w", serr)
			}
		}
		lim = limits{}
		files, err = readLDS(ctx, ct, open, lim, o)
	}
	extended := lim.extended
	st.Extended = extended
	if err != nil {
		return nil, st, err
	}
	for name, b := range files {
		st.Files[name] = len(b)
	}
	read, err := decode(files, access, o)
	return read, st, err
}

// opener authenticates to the chip and leaves the LDS application selected under
// the secure messaging channel it returns.
type opener func(ctx context.Context, t apdu.Transceiver) (*icao.SecureChannel, error)

// bacOpener selects the LDS application, then runs BAC (Doc 9303 Part 10 §3.11.2).
func bacOpener(key icao.BACKey, rand io.Reader) opener {
	return func(ctx context.Context, t apdu.Transceiver) (*icao.SecureChannel, error) {
		if err := lds.SelectApplication(ctx, t, lds.AIDLDS); err != nil {
			return nil, fmt.Errorf("LDS application: %w", err)
		}
		sess, err := icao.BAC(ctx, t, key, rand)
		if err != nil {
			return nil, fmt.Errorf("BAC: %w", err)
		}
		return &icao.SecureChannel{T: t, S: sess}, nil
	}
}

// paceOffered reads EF.CardAccess (in the MF, by short EF identifier 1C, no security)
// and returns the parameters of the PACEInfo this reader speaks.
func paceOffered(ctx context.Context, t apdu.Transceiver) (icao.PACEParams, error) {
	r := &lds.Reader{T: t}
	b, err := r.ReadFile(ctx, lds.EFCardAccess, true)
	if errors.Is(err, apdu.ErrFileNotFound) {
		// After a reset the MF is current; after an earlier session on the same
		// connection an application may be. Select the MF and ask again, so that a
		// fresh card costs no extra APDU.
		resp, serr := apdu.Exchange(ctx, t, selectMF)
		if serr != nil {
			return icao.PACEParams{}, fmt.Errorf("selecting the MF: %w", serr)
		}
		if resp.SW == 0x9000 {
			b, err = r.ReadFile(ctx, lds.EFCardAccess, true)
		}
	}
	if errors.Is(err, apdu.ErrFileNotFound) {
		return icao.PACEParams{}, fmt.Errorf("%w (no EF.CardAccess)", ErrPACENotOffered)
	}
	if err != nil {
		return icao.PACEParams{}, err
	}
	infos, err := icao.ParseCardAccess(b)
	if err != nil {
		return icao.PACEParams{}, err
	}
	for _, in := range infos {
		if p, err := icao.ParamsFor(in); err == nil {
			return p, nil
		}
	}
	return icao.PACEParams{}, fmt.Errorf("%w (EF.CardAccess lists %d other PACE profiles)", ErrPACENotOffered, len(infos))
}

// paceOpener runs PACE with the MF current (Doc 9303 Part 11 §4.4), then selects the
// LDS application under the new secure messaging (Part 10 §3.11.1).
func paceOpener(p icao.PACEParams, can string, rand io.Reader) opener {
	return func(ctx context.Context, t apdu.Transceiver) (*icao.SecureChannel, error) {
		sess, err := icao.PACE(ctx, t, p, icao.PasswordCAN(can), rand)
		if errors.Is(err, icao.ErrPACEFailed) {
			return nil, fmt.Errorf("PACE: %w: %w", ErrWrongCAN, err)
		}
		if err != nil {
			return nil, fmt.Errorf("PACE: %w", err)
		}
		sc := &icao.SecureChannel{T: t, S: sess}
		if err := lds.SelectApplication(ctx, sc, lds.AIDLDS); err != nil {
			return nil, fmt.Errorf("LDS application: %w", err)
		}
		return sc, nil
	}
}

// limits is what the card said about APDU lengths.
type limits struct {
	extended    bool
	maxResponse int // 0: the extended maximum
}

var selectMF = apdu.Command{INS: apdu.InsSelect, P1: 0x00, P2: 0x0C, Data: []byte{0x3F, 0x00}}

// extendedLength decides whether to use extended length: only when the card says
// it takes it (ISO 7816-4 §5.1), in the ATR's card capabilities (§12.1.1.9) or,
// when the ATR is silent, in EF.ATR/INFO (§12.2.2; 2F01 in the MF, read in plain).
// A card that says nothing is read with short APDUs.
func extendedLength(ctx context.Context, t apdu.Transceiver, atr []byte) limits {
	if sup, known := lds.ATRSupportsExtended(atr); known {
		return limits{extended: sup}
	}
	resp, err := apdu.Exchange(ctx, t, selectMF)
	if err != nil || resp.SW != 0x9000 {
		return limits{}
	}
	r := &lds.Reader{T: t}
	b, err := r.ReadShortFile(ctx, lds.EFATRInfo)
	if err != nil {
		return limits{}
	}
	info := lds.ParseATRInfo(b)
	if !info.Known || !info.Extended {
		return limits{}
	}
	return limits{extended: true, maxResponse: info.MaxResponse}
}

// readLDS returns the raw files by name.
func readLDS(ctx context.Context, t apdu.Transceiver, open opener, lim limits, o ReadOptions) (map[string][]byte, error) {
	sc, err := open(ctx, t)
	if err != nil {
		return nil, err
	}
	r := &lds.Reader{T: sc, Extended: lim.extended, MaxResponse: lim.maxResponse, SM: true}
	if o.Progress != nil {
		r.Progress = func(f lds.File, done, total int) {
			o.Progress(kiosk.ReadProgress{Step: f.Name, Done: done, Of: total})
		}
	}
	out := map[string][]byte{}
	com, err := r.ReadFile(ctx, lds.EFCOM, true)
	if err != nil {
		return nil, err
	}
	parsed, err := lds.ParseCOM(com)
	if err != nil {
		return nil, err
	}
	out[lds.EFCOM.Name] = com
	// DG1 and DG2 are mandatory; DG11 and DG12 are read when EF.COM lists them.
	for _, f := range []lds.File{lds.DG1, lds.DG11, lds.DG12, lds.DG2, lds.EFSOD} {
		if (f.DG == 11 || f.DG == 12) && !parsed.Has(f.DG) {
			continue
		}
		b, err := r.ReadFile(ctx, f, true)
		if f.Name == lds.EFSOD.Name {
			// A card without EF.SOD, or with an empty one, is still shown (marked
			// unverified): passive authentication reports "EF.SOD not found" (nil)
			// or "EF.SOD empty" (empty, not nil) in sod_parsed.
			switch {
			case errors.Is(err, apdu.ErrFileNotFound):
				continue
			case errors.Is(err, lds.ErrFileEmpty):
				b, err = []byte{}, nil
			}
		}
		if err != nil {
			return nil, err
		}
		out[f.Name] = b
	}
	return out, nil
}

func decode(files map[string][]byte, access string, o ReadOptions) (*kiosk.CardRead, error) {
	mrz, err := lds.ParseDG1(files[lds.DG1.Name])
	if err != nil {
		return nil, err
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	h := kiosk.CardHolder{
		DocumentNumber: mrz.DocumentNumber,
		Names:          kiosk.Names{Primary: mrz.Primary, Secondary: mrz.Secondary},
		Sex:            mrz.Sex,
		Nationality:    mrz.Nationality,
	}
	if h.BirthDate, err = mrz.BirthTime(now); err != nil {
		return nil, err
	}
	if h.ExpiryDate, err = mrz.ExpiryTime(now); err != nil {
		return nil, err
	}
	if b, ok := files[lds.DG11.Name]; ok {
		d, err := lds.ParseDG11(b)
		if err != nil {
			return nil, err
		}
		h.Names.Portuguese = d.FullName
		if len(d.OtherNames) > 0 {
			h.Names.Chinese = d.OtherNames[0]
		}
		// DG11's full date of birth (YYYYMMDD) settles the century the MRZ's
		// two-digit year leaves open (a centenarian or a baby); the MRZ stays the
		// authority for the date itself.
		if len(d.BirthDate) == 8 {
			if bt, err := time.Parse("20060102", d.BirthDate); err == nil && bt.Format("060102") == mrz.BirthDate {
				h.BirthDate = bt
			}
		}
	}
	if b, ok := files[lds.DG12.Name]; ok {
		d, err := lds.ParseDG12(b)
		if err != nil {
			return nil, err
		}
		if d.IssueDate != "" {
			if h.IssueDate, err = d.IssueTime(); err != nil {
				return nil, err
			}
		}
		h.Residency = ResidencyOf(d.Observations)
		h.StaffID = StaffIDOf(d.Observations)
	}
	face, err := lds.ParseDG2(files[lds.DG2.Name])
	if err != nil {
		return nil, err
	}
	h.Photo = kiosk.FacePhoto{Format: face.Format, Data: append([]byte(nil), face.Image...)}
	dgs := map[int][]byte{}
	for _, f := range []lds.File{lds.DG1, lds.DG2, lds.DG11, lds.DG12} {
		if b, ok := files[f.Name]; ok {
			dgs[f.DG] = b
		}
	}
	checks, ok := lds.PassiveAuth(files[lds.EFSOD.Name], dgs, o.Trust, now)
	return &kiosk.CardRead{Holder: h, Access: access, PassiveAuth: checks, Verified: ok}, nil
}

// PINTriesLeft selects the DSI application and sends VERIFY without data, which asks
// the card its counter without spending a try: 63Cx gives x, 9000 means the PIN was
// already verified in this session (counter full), 6983 means blocked.
func PINTriesLeft(ctx context.Context, t apdu.Transceiver) (int, error) {
	if err := lds.SelectApplication(ctx, t, AIDDSI); err != nil {
		return 0, fmt.Errorf("DSI application: %w", err)
	}
	return pinStatus(ctx, t)
}

func pinStatus(ctx context.Context, t apdu.Transceiver) (int, error) {
	resp, err := apdu.Exchange(ctx, t, apdu.Command{INS: apdu.InsVerify, P2: PINRef})
	if err != nil {
		return 0, fmt.Errorf("PIN status: %w", err)
	}
	if resp.SW == 0x9000 {
		return PINTries, nil
	}
	se := &apdu.StatusError{SW: resp.SW}
	left, counter := se.TriesLeft()
	switch {
	case counter && left > 0:
		return left, nil
	case counter, resp.SW == 0x6983: // 63C0 or "authentication method blocked"
		return 0, fmt.Errorf("PIN status: %w: %w", kiosk.ErrCardBlocked, se)
	default:
		return 0, fmt.Errorf("PIN status: %w", se)
	}
}

// ErrPINNotWarned is returned, without sending anything to the card, when only one
// try is left and the caller did not say the resident was warned: a wrong PIN then
// would block the card.
var ErrPINNotWarned = errors.New("one PIN try left: warn the resident before verifying")

// VerifyPIN presents the PIN, which must be length digits (DefaultPINLength when
// length is 0). It first asks the counter (no try spent); a blocked card gets no
// VERIFY, and with one try left the VERIFY is sent only if lastTryOK (the resident
// was warned). A wrong PIN gives a *kiosk.WrongPINError; the try that blocks the
// card an error that is both that and kiosk.ErrCardBlocked.
func VerifyPIN(ctx context.Context, t apdu.Transceiver, pin []byte, length int, lastTryOK bool) error {
	if length == 0 {
		length = DefaultPINLength
	}
	if len(pin) != length || bytes.ContainsFunc(pin, func(r rune) bool { return r < '0' || r > '9' }) {
		// Never string(pin): a string copy of the PIN cannot be wiped.
		return fmt.Errorf("%w: %d digits wanted", ErrBadPIN, length)
	}
	if err := lds.SelectApplication(ctx, t, AIDDSI); err != nil {
		return fmt.Errorf("DSI application: %w", err)
	}
	left, err := pinStatus(ctx, t)
	if err != nil {
		return err
	}
	if left == 1 && !lastTryOK {
		return ErrPINNotWarned
	}
	resp, err := apdu.Exchange(ctx, t, apdu.Command{INS: apdu.InsVerify, P2: PINRef, Data: pin})
	if err != nil {
		return fmt.Errorf("VERIFY: %w", err)
	}
	if resp.SW == 0x9000 {
		return nil
	}
	se := &apdu.StatusError{SW: resp.SW}
	left, counter := se.TriesLeft()
	switch {
	case counter && left == 0:
		return fmt.Errorf("VERIFY: %w: %w", kiosk.ErrCardBlocked, &kiosk.WrongPINError{TriesLeft: 0})
	case counter:
		return fmt.Errorf("VERIFY: %w", &kiosk.WrongPINError{TriesLeft: left})
	case resp.SW == 0x6983:
		return fmt.Errorf("VERIFY: %w: %w", kiosk.ErrCardBlocked, se)
	default:
		return fmt.Errorf("VERIFY: %w", se)
	}
}
