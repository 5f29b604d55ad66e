package emulator

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Profile describes one emulated resident card: the holder's data, the photo, the
// access keys and the faults a test wants the card to have.
type Profile struct {
	// DocumentNumber is the BIR number as the MRZ carries it (1 to 9 of A-Z 0-9).
	DocumentNumber string `yaml:"document_number"`
	Names          struct {
		Chinese    string `yaml:"chinese"`     // DG11 other name (5F0F), UTF-8
		Portuguese string `yaml:"portuguese"`  // DG11 full name (5F0E), UTF-8
		Surname    string `yaml:"surname"`     // MRZ primary identifier (Latin letters)
		GivenNames string `yaml:"given_names"` // MRZ secondary identifier
	} `yaml:"names"`
	Sex         string `yaml:"sex"`         // M, F or X
	BirthDate   string `yaml:"birth_date"`  // YYYY-MM-DD
	IssueDate   string `yaml:"issue_date"`  // YYYY-MM-DD
	ExpiryDate  string `yaml:"expiry_date"` // YYYY-MM-DD
	Nationality string `yaml:"nationality"` // ISO 3166 alpha-3, e.g. CHN, PRT
	// Residency is the status the card states in DG12 (5F1B): "permanent" (BIRP) or
	// "non-permanent" (BIRNP); omitted, DG12 says nothing (a card no kiosk service
	// accepts).
	Residency string `yaml:"residency"`
	// StaffID makes the card a DSI staff card: DG12's 5F1B says "DSI-STAFF:" and this
	// id (2 to 32 of A-Z a-z 0-9 - _) instead of a residency, so it is never a
	// resident's card too (docs/card-profile.md). The kiosk opens staff mode for it
	// after the card's own PIN (pin).
	StaffID string `yaml:"staff_id"`
	// Photo is the face image file (JPEG or JPEG 2000), relative to the profile file.
	Photo string `yaml:"photo"`
	// PIN is the 6-digit ordinary PIN of the DSI zone; PINTriesLeft its counter at start
	// (0 means blocked; omitted means 3).
	PIN          string `yaml:"pin"`
	PINTriesLeft *int   `yaml:"pin_tries_left"`
	Access       struct {
		// BAC must be true: every card offers it (Doc 9303 keeps BAC for
		// inspection systems without PACE).
		BAC bool `yaml:"bac"`
		// PACE adds EF.CardAccess and PACE-CAN/MRZ (generic mapping, ECDH P-256,
		// AES-128); CAN is the 6-digit card access number printed on the card.
		PACE bool   `yaml:"pace"`
		CAN  string `yaml:"can"`
	} `yaml:"access"`
	Faults Faults `yaml:"faults"`

	// Filled by loading.
	birth, issue, expiry time.Time
	photo                []byte
	photoFormat          string // "jpeg" or "jp2"
	name                 string // file name, for messages
}

// Faults are deliberate defects a test asks of the card.
type Faults struct {
	// TamperDG names a data group (1, 2, 11 or 12) changed after EF.SOD was signed,
	// so its hash no longer matches.
	TamperDG int `yaml:"tamper_dg"`
	// Signer picks the document signer of EF.SOD: "valid" (default) or "expired".
	Signer string `yaml:"signer"`
	// SOD is "missing" for a card without EF.SOD (SELECT and READ BINARY get
	// 6A82) or "empty" for an EF.SOD of zero bytes (READ BINARY gets 6B00); empty
	// (default) for a signed EF.SOD.
	SOD string `yaml:"sod"`
	// ForgedResidency rewrites DG12's residency after EF.SOD was signed, as someone
	// altering a non-permanent card to claim permanent residency would: the card
	// states this one, and its DG12 hash no longer matches.
	ForgedResidency string `yaml:"forged_residency"`
	// ForgedStaffID rewrites DG12 after EF.SOD was signed to state this staff id, as
	// someone turning a card into a staff card (or another staff member's) would:
	// the card states it, and its DG12 hash no longer matches.
	ForgedStaffID string `yaml:"forged_staff_id"`
}

// Signer choices.
const (
	SignerValid   = "valid"
	SignerExpired = "expired"
)

// EF.SOD faults.
const (
	SODMissing = "missing"
	SODEmpty   = "empty"
)

// Residency statuses of a profile, and the code DG12's 5F1B carries for each
// (docs/card-profile.md; the reader's side is cardio.ResidencyOf).
const (
	ResidencyPermanent    = "permanent"
	ResidencyNonPermanent = "non-permanent"
)

var residencyCode = map[string]string{ResidencyPermanent: "BIRP", ResidencyNonPermanent: "BIRNP"}

// StaffCodePrefix starts a staff card's 5F1B (the reader's side is cardio.StaffIDOf).
const StaffCodePrefix = "DSI-STAFF:"

// PIN counter start value, per the card profile.
const PINTries = 3

var (
	reDocNo  = regexp.MustCompile(`^[0-9A-Z]{1,9}$`)
	reAlpha3 = regexp.MustCompile(`^[A-Z]{3}$`)
	rePIN    = regexp.MustCompile(`^[0-9]{6}$`)
	reMRZ    = regexp.MustCompile(`^[A-Z ]+$`)
	reStaff  = regexp.MustCompile(`^[A-Za-z0-9_-]{2,32}$`)
)

// ErrBadProfile is wrapped by every profile validation error.
var ErrBadProfile = errors.New("bad card profile")

// LoadProfile reads a profile file and its photo from the file system.
func LoadProfile(file string) (*Profile, error) {
	dir, base := filepath.Split(file)
	if dir == "" {
		dir = "."
	}
	return LoadProfileFS(os.DirFS(dir), base)
}

// LoadProfileFS reads a profile and its photo (relative to the profile) from fsys,
// e.g. an embedded folder.
func LoadProfileFS(fsys fs.FS, name string) (*Profile, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("reading profile: %w", err)
	}
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key must not silently become a default
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBadProfile, name, err)
	}
	p.name = name
	if err := p.validate(); err != nil {
		return nil, err
	}
	if p.Photo == "" {
		return nil, p.bad("photo", "a JPEG or JPEG 2000 file is required")
	}
	photoPath := path.Join(path.Dir(name), p.Photo)
	img, err := fs.ReadFile(fsys, photoPath)
	if err != nil {
		return nil, fmt.Errorf("%w %s: photo: %v", ErrBadProfile, name, err)
	}
	if err := p.SetPhoto(img); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *Profile) bad(field, why string) error {
	return fmt.Errorf("%w %s: %s: %s", ErrBadProfile, p.name, field, why)
}

func (p *Profile) validate() error {
	var err error
	if !reDocNo.MatchString(p.DocumentNumber) {
		return p.bad("document_number", "1 to 9 characters A-Z 0-9 (as in the MRZ)")
	}
	if p.Names.Chinese == "" || p.Names.Portuguese == "" {
		return p.bad("names", "chinese and portuguese are required")
	}
	if !utf8.ValidString(p.Names.Chinese) || !utf8.ValidString(p.Names.Portuguese) {
		return p.bad("names", "not valid UTF-8")
	}
	if !reMRZ.MatchString(p.Names.Surname) || (p.Names.GivenNames != "" && !reMRZ.MatchString(p.Names.GivenNames)) {
		return p.bad("names.surname/given_names", "Latin capital letters and spaces (the MRZ form)")
	}
	switch p.Sex {
	case "M", "F", "X":
	default:
		return p.bad("sex", "M, F or X")
	}
	if p.birth, err = parseDate(p.BirthDate); err != nil {
		return p.bad("birth_date", err.Error())
	}
	if p.issue, err = parseDate(p.IssueDate); err != nil {
		return p.bad("issue_date", err.Error())
	}
	if p.expiry, err = parseDate(p.ExpiryDate); err != nil {
		return p.bad("expiry_date", err.Error())
	}
	if !p.birth.Before(p.issue) || !p.issue.Before(p.expiry) {
		return p.bad("dates", "birth before issue before expiry")
	}
	if !reAlpha3.MatchString(p.Nationality) {
		return p.bad("nationality", "ISO 3166 alpha-3 code such as CHN or PRT")
	}
	switch p.Residency {
	case "", ResidencyPermanent, ResidencyNonPermanent:
	default:
		return p.bad("residency", "permanent or non-permanent (omit it for a card that does not say)")
	}
	switch {
	case p.StaffID != "" && !reStaff.MatchString(p.StaffID):
		return p.bad("staff_id", "2 to 32 letters, digits, - or _ (as staff.pin_hashes names staff)")
	case p.StaffID != "" && p.Residency != "":
		return p.bad("staff_id", "a staff card states no residency (DG12 5F1B holds one or the other)")
	}
	if !rePIN.MatchString(p.PIN) {
		return p.bad("pin", "6 digits")
	}
	if p.PINTriesLeft == nil {
		n := PINTries
		p.PINTriesLeft = &n
	} else if *p.PINTriesLeft < 0 || *p.PINTriesLeft > PINTries {
		return p.bad("pin_tries_left", fmt.Sprintf("0 to %d", PINTries))
	}
	if !p.Access.BAC {
		return p.bad("access.bac", "must be true: BAC is the access protocol this emulator offers")
	}
	switch {
	case p.Access.PACE && !rePIN.MatchString(p.Access.CAN):
		return p.bad("access.can", "the 6-digit card access number (required with access.pace)")
	case !p.Access.PACE && p.Access.CAN != "":
		return p.bad("access.can", "only with access.pace: true")
	}
	switch p.Faults.TamperDG {
	case 0, 1, 2, 11, 12:
	default:
		return p.bad("faults.tamper_dg", "0 (none), 1, 2, 11 or 12")
	}
	switch p.Faults.Signer {
	case "":
		p.Faults.Signer = SignerValid
	case SignerValid, SignerExpired:
	default:
		return p.bad("faults.signer", "valid or expired")
	}
	switch p.Faults.SOD {
	case "", SODMissing, SODEmpty:
	default:
		return p.bad("faults.sod", "missing or empty (omit it for a signed EF.SOD)")
	}
	switch f := p.Faults.ForgedResidency; {
	case f == "":
	case f != ResidencyPermanent && f != ResidencyNonPermanent:
		return p.bad("faults.forged_residency", "permanent or non-permanent")
	case f == p.Residency:
		return p.bad("faults.forged_residency", "the same as residency: nothing would be altered")
	case p.Faults.TamperDG == 12:
		return p.bad("faults.forged_residency", "not with tamper_dg: 12 (one alteration of DG12 at a time)")
	}
	switch f := p.Faults.ForgedStaffID; {
	case f == "":
	case !reStaff.MatchString(f):
		return p.bad("faults.forged_staff_id", "2 to 32 letters, digits, - or _")
	case f == p.StaffID:
		return p.bad("faults.forged_staff_id", "the same as staff_id: nothing would be altered")
	case p.Faults.TamperDG == 12 || p.Faults.ForgedResidency != "":
		return p.bad("faults.forged_staff_id", "not with tamper_dg: 12 or forged_residency (one alteration of DG12 at a time)")
	}
	return nil
}

// SetPhoto replaces the face image; the format is recognised from its content.
func (p *Profile) SetPhoto(img []byte) error {
	switch {
	case bytes.HasPrefix(img, []byte{0xFF, 0xD8, 0xFF}):
		if _, err := jpeg.DecodeConfig(bytes.NewReader(img)); err != nil {
			return p.bad("photo", "unreadable JPEG: "+err.Error())
		}
		p.photoFormat = "jpeg"
	case bytes.HasPrefix(img, jp2Signature):
		if _, _, err := jp2Size(img); err != nil {
			return p.bad("photo", err.Error())
		}
		p.photoFormat = "jp2"
	default:
		return p.bad("photo", "neither JPEG nor JPEG 2000 (JP2)")
	}
	p.photo = img
	return nil
}

func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, errors.New("a date as YYYY-MM-DD")
	}
	return t, nil
}

// BirthTime, IssueTime and ExpiryTime are the parsed dates.
func (p *Profile) BirthTime() time.Time  { return p.birth }
func (p *Profile) IssueTime() time.Time  { return p.issue }
func (p *Profile) ExpiryTime() time.Time { return p.expiry }

// PhotoData is the face image and its format ("jpeg" or "jp2").
func (p *Profile) PhotoData() ([]byte, string) { return p.photo, p.photoFormat }
