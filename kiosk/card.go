package kiosk

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Names holds the holder's names as the card stores them.
type Names struct {
	Chinese    string `json:"chinese,omitempty"`    // 中文姓名, from DG11
	Portuguese string `json:"portuguese,omitempty"` // nome em português, from DG11
	Primary    string `json:"primary"`              // MRZ primary identifier (surname), from DG1
	Secondary  string `json:"secondary"`            // MRZ secondary identifier (given names), from DG1
}

// FacePhoto is the encoded face image from DG2, as stored on the chip.
type FacePhoto struct {
	Format string `json:"format"` // "jpeg" or "jp2"
	Data   []byte `json:"-"`
}

// Wipe overwrites the photo bytes so nothing of the face stays in memory.
func (p *FacePhoto) Wipe() {
	for i := range p.Data {
		p.Data[i] = 0
	}
	p.Data = nil
}

// Check is one named step of a verification with its outcome.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// CardHolder is what the kiosk learns from a resident card.
type CardHolder struct {
	DocumentNumber string    `json:"document_number"` // BIR number
	Names          Names     `json:"names"`
	Sex            string    `json:"sex"` // M, F or X
	BirthDate      time.Time `json:"birth_date"`
	IssueDate      time.Time `json:"issue_date"`
	ExpiryDate     time.Time `json:"expiry_date"`
	Nationality    string    `json:"nationality"`
	// Residency is what the card states (permanent or non-permanent resident card);
	// empty when the card does not say, which no service accepts.
	Residency Residency `json:"residency"`
	// StaffID is set on a DSI staff card (not a resident's): it opens staff mode.
	StaffID string    `json:"staff_id,omitempty"`
	Photo   FacePhoto `json:"photo"`
}

// CardRead is the outcome of reading a card: the data and whether it is genuine.
// Verified is true only when passive authentication fully succeeded.
type CardRead struct {
	Holder      CardHolder `json:"holder"`
	Access      string     `json:"access"` // "BAC" or "PACE"
	PassiveAuth []Check    `json:"passive_auth"`
	Verified    bool       `json:"verified"`
}

// Wipe clears personal data held by the read.
func (r *CardRead) Wipe() {
	if r == nil {
		return
	}
	r.Holder.Photo.Wipe()
	r.Holder = CardHolder{}
}

// CardEventKind says what happened at a reader.
type CardEventKind int

const (
	CardInserted CardEventKind = iota + 1
	CardRemoved
	ReaderLost     // reader unplugged or pcscd gone
	ReaderReturned // reader back after ReaderLost
)

// CardEvent is posted by the card watcher.
type CardEvent struct {
	Kind   CardEventKind
	Reader string
}

// ReadProgress reports how far a card read is, for the reading screen.
type ReadProgress struct {
	Step string // e.g. "DG2"
	Done int    // bytes or steps done
	Of   int    // total, 0 if unknown
}

// CardReader is the port to the resident card. Implemented by cardio over PC/SC.
type CardReader interface {
	// Watch posts card and reader events until ctx ends.
	Watch(ctx context.Context) (<-chan CardEvent, error)
	// Read opens the card, authenticates (BAC/PACE), reads and verifies it.
	Read(ctx context.Context, progress func(ReadProgress)) (*CardRead, error)
	// PINTriesLeft asks the card how many PIN tries remain without spending one.
	PINTriesLeft(ctx context.Context) (int, error)
	// VerifyPIN presents the resident's PIN. A wrong PIN gives an error that
	// unwraps to ErrWrongPIN (see WrongPINError); a blocked card to ErrCardBlocked.
	// pin is the caller's buffer: the adapter must not keep it (the caller zeroes it
	// when the call returns) nor copy it into a string.
	VerifyPIN(ctx context.Context, pin []byte) error
}

// Errors a card can give, as residents are told them. Adapters wrap these.
var (
	ErrNoCard      = errors.New("no card in the reader")
	ErrCardRemoved = errors.New("card removed during the operation")
	ErrWrongPIN    = errors.New("wrong PIN")
	ErrCardBlocked = errors.New("card PIN is blocked")
	ErrReaderGone  = errors.New("card reader not available")
)

// WrongPINError carries the number of tries left; it unwraps to ErrWrongPIN.
type WrongPINError struct{ TriesLeft int }

func (e *WrongPINError) Error() string {
	return "wrong PIN: " + strconv.Itoa(e.TriesLeft) + " tries left"
}
func (e *WrongPINError) Unwrap() error { return ErrWrongPIN }
