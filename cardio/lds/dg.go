package lds

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/macau-dsi/kiosk/cardio/tlv"
)

// COM is EF.COM: the LDS version and the data groups present.
type COM struct {
	LDSVersion     string
	UnicodeVersion string
	DataGroups     []File // in the card's order; unknown tags are skipped
	Tags           []tlv.Tag
}

// ParseCOM parses EF.COM (60 { 5F01, 5F36, 5C }).
func ParseCOM(b []byte) (*COM, error) {
	o, err := tlv.ParseOne(b)
	if err != nil {
		return nil, fmt.Errorf("EF.COM: %w", err)
	}
	if o.Tag != EFCOM.Tag {
		return nil, fmt.Errorf("EF.COM: tag %s, want 60", o.Tag)
	}
	c := &COM{}
	if v, err := o.Find(0x5F01); err == nil {
		c.LDSVersion = string(v.Value)
	}
	if v, err := o.Find(0x5F36); err == nil {
		c.UnicodeVersion = string(v.Value)
	}
	list, err := o.Find(0x5C)
	if err != nil {
		return nil, fmt.Errorf("EF.COM: %w", err)
	}
	for rest := list.Value; len(rest) > 0; {
		t, n, err := tlv.ReadTag(rest)
		if err != nil {
			return nil, fmt.Errorf("EF.COM tag list: %w", err)
		}
		rest = rest[n:]
		c.Tags = append(c.Tags, t)
		if f, ok := DataGroupByTag[t]; ok {
			c.DataGroups = append(c.DataGroups, f)
		}
	}
	return c, nil
}

// Has reports whether EF.COM lists data group n.
func (c *COM) Has(n int) bool {
	for _, f := range c.DataGroups {
		if f.DG == n {
			return true
		}
	}
	return false
}

// Face is the first face image of DG2.
type Face struct {
	Format string // "jpeg" or "jp2"
	Width  int
	Height int
	Image  []byte
}

// ErrNoFace is returned when DG2 holds no usable face image.
var ErrNoFace = errors.New("DG2: no face image")

// ErrFaceVersion: the facial record is not ISO/IEC 19794-5:2005 ("010"), e.g. the
// 2011 edition ("030"), whose layout differs. Always wrapped with ErrNoFace.
var ErrFaceVersion = errors.New("unsupported ISO/IEC 19794-5 version")

var (
	jpegMagic     = []byte{0xFF, 0xD8, 0xFF}
	jp2Magic      = []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}
	j2kCodestream = []byte{0xFF, 0x4F, 0xFF, 0x51}
)

// ParseDG2 extracts the first face image: 75 / 7F61 / (02 count) / 7F60 / A1 header,
// 5F2E (or 7F2E) biometric data block holding an ISO/IEC 19794-5 facial record.
func ParseDG2(b []byte) (*Face, error) {
	o, err := tlv.ParseOne(b)
	if err != nil {
		return nil, fmt.Errorf("DG2: %w", err)
	}
	if o.Tag != DG2.Tag {
		return nil, fmt.Errorf("DG2: tag %s, want 75", o.Tag)
	}
	group, err := o.Find(0x7F61)
	if err != nil {
		return nil, fmt.Errorf("DG2: %w", err)
	}
	kids, err := group.Children()
	if err != nil {
		return nil, fmt.Errorf("DG2: %w", err)
	}
	for _, k := range kids {
		if k.Tag != 0x7F60 {
			continue
		}
		bdb, err := k.Find(0x5F2E)
		if err != nil {
			if bdb, err = k.Find(0x7F2E); err != nil {
				continue
			}
		}
		return parseFacialRecord(bdb.Value)
	}
	return nil, ErrNoFace
}

// parseFacialRecord reads an ISO/IEC 19794-5:2005 record ("FAC\0" "010\0").
func parseFacialRecord(r []byte) (*Face, error) {
	const hdr, info, imgInfo = 14, 20, 12
	if len(r) < hdr || !bytes.Equal(r[:4], []byte("FAC\x00")) {
		return nil, fmt.Errorf("%w: not an ISO 19794-5 facial record", ErrNoFace)
	}
	switch v := string(r[4:8]); v {
	case "010\x00": // 19794-5:2005, the version Doc 9303 Part 10 specifies
	case "030\x00":
		return nil, fmt.Errorf("%w: %w: version 030 (ISO/IEC 19794-5:2011)", ErrNoFace, ErrFaceVersion)
	default:
		return nil, fmt.Errorf("%w: %w: version %q", ErrNoFace, ErrFaceVersion, strings.TrimRight(v, "\x00"))
	}
	recLen := int(binary.BigEndian.Uint32(r[8:12]))
	if recLen > len(r) || recLen < hdr {
		return nil, fmt.Errorf("%w: record length %d of %d bytes", ErrNoFace, recLen, len(r))
	}
	if binary.BigEndian.Uint16(r[12:14]) == 0 {
		return nil, ErrNoFace
	}
	p := r[hdr:recLen]
	if len(p) < info {
		return nil, fmt.Errorf("%w: truncated facial information", ErrNoFace)
	}
	blockLen := int(binary.BigEndian.Uint32(p[0:4]))
	points := int(binary.BigEndian.Uint16(p[4:6]))
	if blockLen > len(p) || blockLen < info+imgInfo+8*points {
		return nil, fmt.Errorf("%w: facial block length %d", ErrNoFace, blockLen)
	}
	p = p[info+8*points : blockLen]
	dataType := p[1]
	f := &Face{Width: int(binary.BigEndian.Uint16(p[2:4])), Height: int(binary.BigEndian.Uint16(p[4:6]))}
	img := p[imgInfo:]
	switch {
	case bytes.HasPrefix(img, jpegMagic):
		f.Format = "jpeg"
	case bytes.HasPrefix(img, jp2Magic), bytes.HasPrefix(img, j2kCodestream):
		f.Format = "jp2"
	default:
		return nil, fmt.Errorf("%w: image data type %d is neither JPEG nor JPEG 2000", ErrNoFace, dataType)
	}
	f.Image = img
	return f, nil
}

// PersonalDetails is DG11, the additional personal details (Doc 9303 Part 10 §4.7.11).
type PersonalDetails struct {
	FullName       string   // 5F0E: the Portuguese (Latin) name on the BIR
	OtherNames     []string // 5F0F inside A0: the Chinese name on the BIR
	PersonalNumber string   // 5F10: the BIR number
	BirthDate      string   // 5F2B YYYYMMDD, if present
	PlaceOfBirth   string   // 5F11
}

// ParseDG11 parses DG11 (6B).
func ParseDG11(b []byte) (*PersonalDetails, error) {
	o, err := tlv.ParseOne(b)
	if err != nil {
		return nil, fmt.Errorf("DG11: %w", err)
	}
	if o.Tag != DG11.Tag {
		return nil, fmt.Errorf("DG11: tag %s, want 6B", o.Tag)
	}
	kids, err := o.Children()
	if err != nil {
		return nil, fmt.Errorf("DG11: %w", err)
	}
	d := &PersonalDetails{}
	for _, k := range kids {
		switch k.Tag {
		case 0x5F0E:
			d.FullName, err = text("DG11 full name", k.Value)
		case 0x5F10:
			d.PersonalNumber, err = text("DG11 personal number", k.Value)
		case 0x5F2B:
			d.BirthDate, err = text("DG11 date of birth", k.Value)
		case 0x5F11:
			d.PlaceOfBirth, err = text("DG11 place of birth", k.Value)
		case 0x5F0F: // other name outside A0, as some issuers encode it
			var n string
			n, err = text("DG11 other name", k.Value)
			d.OtherNames = append(d.OtherNames, n)
		case 0xA0:
			var others []tlv.Object
			if others, err = k.Children(); err == nil {
				for _, on := range others {
					if on.Tag == 0x5F0F {
						var n string
						if n, err = text("DG11 other name", on.Value); err != nil {
							break
						}
						d.OtherNames = append(d.OtherNames, n)
					}
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// DocumentDetails is DG12, the additional document details (Doc 9303 Part 10 §4.7.12).
type DocumentDetails struct {
	IssuingAuthority string // 5F19
	IssueDate        string // 5F26 YYYYMMDD
	// Observations is 5F1B, "endorsements and observations": where the BIR profile
	// states the residency (docs/card-profile.md); what it means is the profile's
	// business (cardio), not the LDS's.
	Observations string
}

// ParseDG12 parses DG12 (6C).
func ParseDG12(b []byte) (*DocumentDetails, error) {
	o, err := tlv.ParseOne(b)
	if err != nil {
		return nil, fmt.Errorf("DG12: %w", err)
	}
	if o.Tag != DG12.Tag {
		return nil, fmt.Errorf("DG12: tag %s, want 6C", o.Tag)
	}
	kids, err := o.Children()
	if err != nil {
		return nil, fmt.Errorf("DG12: %w", err)
	}
	d := &DocumentDetails{}
	for _, k := range kids {
		switch k.Tag {
		case 0x5F19:
			d.IssuingAuthority, err = text("DG12 issuing authority", k.Value)
		case 0x5F26:
			d.IssueDate, err = text("DG12 date of issue", k.Value)
		case 0x5F1B:
			d.Observations, err = text("DG12 endorsements and observations", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// IssueTime parses DG12's date of issue (YYYYMMDD; the older BCD form 4 bytes is accepted too).
func (d *DocumentDetails) IssueTime() (time.Time, error) {
	s := d.IssueDate
	if len(s) == 4 {
		s = fmt.Sprintf("%X", []byte(s))
	}
	t, err := time.Parse("20060102", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("DG12 date of issue %q: not YYYYMMDD", d.IssueDate)
	}
	return t, nil
}

func text(field string, b []byte) (string, error) {
	if !utf8.Valid(b) {
		return "", fmt.Errorf("%s is not UTF-8", field)
	}
	return string(b), nil
}
