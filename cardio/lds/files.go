// Package lds reads and parses the ICAO Doc 9303 Logical Data Structure of a chip
// over an apdu.Transceiver: application selection, SELECT and READ BINARY by file
// identifier and by short EF identifier with extended length (falling back to short),
// and the data groups the kiosk uses (EF.COM, DG1 MRZ, DG2 face, DG11, DG12, EF.SOD).
package lds

import "github.com/macau-dsi/kiosk/cardio/tlv"

// AIDLDS is the eMRTD LDS1 application (Doc 9303 Part 10 §3.1.1).
var AIDLDS = []byte{0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}

// File identifies an elementary file by FID and short EF identifier.
type File struct {
	Name string
	FID  uint16
	SFI  byte // 0 when the file has none
	Tag  tlv.Tag
	DG   int // data group number, 0 for EF.COM / EF.SOD / EF.CardAccess
}

// The files of Doc 9303 Part 10 §4 the kiosk reads.
var (
	EFCardAccess = File{Name: "EF.CardAccess", FID: 0x011C, SFI: 0x1C, Tag: 0x31}
	EFCOM        = File{Name: "EF.COM", FID: 0x011E, SFI: 0x1E, Tag: 0x60}
	EFSOD        = File{Name: "EF.SOD", FID: 0x011D, SFI: 0x1D, Tag: 0x77}
	DG1          = File{Name: "DG1", FID: 0x0101, SFI: 0x01, Tag: 0x61, DG: 1}
	DG2          = File{Name: "DG2", FID: 0x0102, SFI: 0x02, Tag: 0x75, DG: 2}
	DG11         = File{Name: "DG11", FID: 0x010B, SFI: 0x0B, Tag: 0x6B, DG: 11}
	DG12         = File{Name: "DG12", FID: 0x010C, SFI: 0x0C, Tag: 0x6C, DG: 12}
)

// DataGroupByTag maps EF.COM's tag list entries to files.
var DataGroupByTag = map[tlv.Tag]File{DG1.Tag: DG1, DG2.Tag: DG2, DG11.Tag: DG11, DG12.Tag: DG12}
