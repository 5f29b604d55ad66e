// Command kiosk is the DSI self-service kiosk: one binary with subcommands for the
// kiosk itself, card and face tools for testers, diagnostics and staff tasks.
//
// Each subcommand lives in its own file and registers itself with rootCmd in init().
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

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
	if err != nil && !errors.Is(err, errFailure) {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(exitCode(err))
}

// exitCode maps a command's error to the process status: 0 success, 1 a "no" answer
// or a failed operation, 2 bad flags or configuration.
func exitCode(err error) int {
	var ue usageError
	var ps config.Problems
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFailure):
		return exitFailure
	case errors.As(err, &ue), errors.As(err, &ps):
		return exitUsage
	case strings.HasPrefix(err.Error(), "unknown command "), strings.HasPrefix(err.Error(), "unknown flag: "),
		strings.HasPrefix(err.Error(), "accepts "), strings.HasPrefix(err.Error(), "requires "):
		return exitUsage
	default:
		return exitFailure
	}
}
