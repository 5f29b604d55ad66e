package apdu

import (
	"errors"
	"fmt"
)

// Sentinels a *StatusError unwraps to, by ISO 7816-4 status word.
var (
	ErrEndOfFile              = errors.New("end of file reached before Le bytes")            // 6282
	ErrVerificationFailed     = errors.New("verification failed")                            // 63Cx, 6300
	ErrWrongLength            = errors.New("wrong length")                                   // 6700
	ErrCLAFunctionUnsupported = errors.New("function in CLA not supported")                  // 6881-6884
	ErrSecurityStatus         = errors.New("security status not satisfied")                  // 6982
	ErrAuthBlocked            = errors.New("authentication method blocked")                  // 6983
	ErrReferenceUnusable      = errors.New("reference data not usable")                      // 6984
	ErrConditionsNotSatisfied = errors.New("conditions of use not satisfied")                // 6985
	ErrCommandNotAllowed      = errors.New("command not allowed")                            // 6986
	ErrSMObjectsMissing       = errors.New("expected secure messaging data objects missing") // 6987
	ErrSMObjectsIncorrect     = errors.New("incorrect secure messaging data objects")        // 6988
	ErrWrongData              = errors.New("incorrect parameters in the data field")         // 6A80
	ErrFunctionNotSupported   = errors.New("function not supported")                         // 6A81
	ErrFileNotFound           = errors.New("file or application not found")                  // 6A82
	ErrRecordNotFound         = errors.New("record not found")                               // 6A83
	ErrWrongP1P2              = errors.New("wrong parameters P1-P2")                         // 6A86, 6B00
	ErrReferenceNotFound      = errors.New("referenced data not found")                      // 6A88
	ErrINSNotSupported        = errors.New("instruction not supported")                      // 6D00
	ErrCLANotSupported        = errors.New("class not supported")                            // 6E00
	ErrNoPreciseDiagnosis     = errors.New("no precise diagnosis")                           // 6F00
	ErrUnknownStatus          = errors.New("unexpected status word")
)

// StatusError is a status word other than 9000.
type StatusError struct {
	SW uint16
}

// TriesLeft returns the retry counter of a 63Cx status and whether SW is one.
func (e *StatusError) TriesLeft() (int, bool) {
	if e.SW&0xFFF0 == 0x63C0 {
		return int(e.SW & 0x0F), true
	}
	return 0, false
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("card status %04X: %v", e.SW, e.Unwrap())
}

// Unwrap maps the status word to its sentinel.
func (e *StatusError) Unwrap() error {
	switch {
	case e.SW == 0x6282:
		return ErrEndOfFile
	case e.SW&0xFFF0 == 0x63C0, e.SW == 0x6300:
		return ErrVerificationFailed
	case e.SW == 0x6700:
		return ErrWrongLength
	case e.SW >= 0x6881 && e.SW <= 0x6884:
		return ErrCLAFunctionUnsupported
	case e.SW == 0x6982:
		return ErrSecurityStatus
	case e.SW == 0x6983:
		return ErrAuthBlocked
	case e.SW == 0x6984:
		return ErrReferenceUnusable
	case e.SW == 0x6985:
		return ErrConditionsNotSatisfied
	case e.SW == 0x6986:
		return ErrCommandNotAllowed
	case e.SW == 0x6987:
		return ErrSMObjectsMissing
	case e.SW == 0x6988:
		return ErrSMObjectsIncorrect
	case e.SW == 0x6A80:
		return ErrWrongData
	case e.SW == 0x6A81:
		return ErrFunctionNotSupported
	case e.SW == 0x6A82:
		return ErrFileNotFound
	case e.SW == 0x6A83:
		return ErrRecordNotFound
	case e.SW == 0x6A86, e.SW == 0x6B00:
		return ErrWrongP1P2
	case e.SW == 0x6A88:
		return ErrReferenceNotFound
	case e.SW == 0x6D00:
		return ErrINSNotSupported
	case e.SW == 0x6E00:
		return ErrCLANotSupported
	case e.SW == 0x6F00:
		return ErrNoPreciseDiagnosis
	default:
		return ErrUnknownStatus
	}
}

// SWOf returns the status word carried by err, if any.
func SWOf(err error) (uint16, bool) {
	var se *StatusError
	if errors.As(err, &se) {
		return se.SW, true
	}
	return 0, false
}
