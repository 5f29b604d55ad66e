package config

import (
	"fmt"
	"regexp"
	"time"
)

// Card terminals the kiosk can drive.
const (
	TerminalNone      = ""          // no card terminal: the wallet QR only
	TerminalSimulated = "simulated" // tests and demos; refused in production
)

// PaymentConfig is how the kiosk takes money for paid services. Both ways go
// through the back office (backoffice.url), which keeps every payment order.
type PaymentConfig struct {
	// QR offers the wallet QR (a GovPay-style order of the back office, paid in the
	// resident's wallet app).
	QR bool `mapstructure:"qr" yaml:"qr"`
	// Terminal is the card terminal (Macao Pass, bank cards): "" for none, or
	// "simulated" (tests and demos only; no driver for a real terminal exists yet).
	Terminal string `mapstructure:"terminal" yaml:"terminal"`
	// TerminalID names the terminal in the back office's records.
	TerminalID string `mapstructure:"terminal_id" yaml:"terminal_id"`
	// TerminalTimeout is how long the terminal waits for a card.
	TerminalTimeout time.Duration `mapstructure:"terminal_timeout" yaml:"terminal_timeout"`
}

func defaultPayment() PaymentConfig {
	return PaymentConfig{QR: true, TerminalID: "terminal-01", TerminalTimeout: 60 * time.Second}
}

var terminalIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// validate needs the mode (no simulated terminal in production) and whether a back
// office is configured (a card approval is reported there).
func (p PaymentConfig) validate(mode, backOfficeURL string) Problems {
	var ps Problems
	switch p.Terminal {
	case TerminalNone:
	case TerminalSimulated:
		if mode == ModeProduction {
			ps = append(ps, Problem{"payment.terminal", p.Terminal, `"" when kiosk.mode is production (a simulated terminal takes no money; no driver for a real terminal exists yet)`})
		}
		if backOfficeURL == "" {
			ps = append(ps, Problem{"payment.terminal", p.Terminal, `"" without backoffice.url (the back office must learn of every card payment)`})
		}
	default:
		ps = append(ps, Problem{"payment.terminal", p.Terminal, `"" (none) or "simulated"`})
	}
	if !terminalIDPattern.MatchString(p.TerminalID) {
		ps = append(ps, Problem{"payment.terminal_id", p.TerminalID, "1 to 32 letters, digits, '.', '_' or '-'"})
	}
	if p.TerminalTimeout < 10*time.Second || p.TerminalTimeout > 5*time.Minute {
		ps = append(ps, Problem{"payment.terminal_timeout", fmt.Sprint(p.TerminalTimeout), "between 10s and 5m"})
	}
	return ps
}
