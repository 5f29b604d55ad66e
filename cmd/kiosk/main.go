// Command kiosk is the DSI self-service kiosk: one binary with subcommands for the
// kiosk itself, card and face tools for testers, diagnostics and staff tasks.
//
// Each subcommand lives in its own file and registers itself with rootCmd in init().
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/macau-dsi/kiosk/config"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the operation failed (card not verified, faces do not match, doctor found problems)
	exitUsage   = 2 // bad flags or bad configuration
)

var configFile string

var rootCmd = &cobra.Command{
	Use:           "kiosk",
	Short:         "DSI self-service kiosk (身份證明局自助服務機)",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func init() {
	rootCmd.PersistentFlags().StringVar(&configFile, "config", "", "configuration file (default "+config.DefaultPath+" if present)")
}

// usageError marks errors that exit with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// failure marks an operation that ran but whose answer is "no" (exit 1) after its
// output was printed.
var errFailure = errors.New("failed")

// loadConfig loads and validates the configuration; problems exit with status 2.
// overrides are applied to the loaded config before validation of cross-field rules.
func loadConfig() (config.Config, error) {
	cfg, _, err := config.Load(configFile, os.Environ())
	if err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

func main() {
	rootCmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	err := rootCmd.Execute()
	if err == nil {
		os.Exit(exitOK)
	}
	if errors.Is(err, errFailure) {
		os.Exit(exitFailure)
	}
	fmt.Fprintln(os.Stderr, err)
	var ue usageError
	var ps config.Problems
	if errors.As(err, &ue) || errors.As(err, &ps) {
		os.Exit(exitUsage)
	}
	if len(os.Args) > 1 && err.Error() != "" && isUnknownCommand(err) {
		os.Exit(exitUsage)
	}
	os.Exit(exitFailure)
}

func isUnknownCommand(err error) bool {
	s := err.Error()
	return len(s) > 16 && (s[:16] == "unknown command " || s[:14] == "unknown flag: ")
}
