package kiosk

import "fmt"

// PINPolicy is the one home of the card PIN's rules. The session checks what the
// resident types against it, the PIN screen draws that many places (it travels in the
// Snapshot), and cmd/kiosk gives the card adapter the same length.
type PINPolicy struct {
	// Length is the number of digits of the BIR's ordinary PIN. The card refuses any
	// other length, so the kiosk never sends one: a short entry would spend a try.
	Length int
	// Tries is how many wrong PINs the card takes before it blocks (only DSI staff
	// can unblock it, in person). The card's own counter (63Cx) is what the screen
	// shows; this is the value the counter starts from.
	Tries int
}

// DefaultPINPolicy is the BIR's: 6 digits, blocked after 3 wrong tries (public record;
// the 8-digit confirmation PIN is not used at the kiosk).
var DefaultPINPolicy = PINPolicy{Length: 6, Tries: 3}

// Validate refuses a policy the card could not have.
func (p PINPolicy) Validate() error {
	if p.Length < 4 || p.Length > 12 {
		return fmt.Errorf("PIN length %d: ISO 9564 PINs have 4 to 12 digits", p.Length)
	}
	if p.Tries < 1 || p.Tries > 15 {
		return fmt.Errorf("PIN tries %d: a card counts 1 to 15 (63Cx)", p.Tries)
	}
	return nil
}

// Complete reports whether pin has exactly the policy's length and only digits.
func (p PINPolicy) Complete(pin []byte) bool {
	if len(pin) != p.Length {
		return false
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
