package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/macau-dsi/kiosk/cardio/emulator"
	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
	"github.com/macau-dsi/kiosk/config"
)

func init() {
	cardGroup().AddCommand(cardEmulateCmd())
}

// cardGroup returns the `kiosk card` command, making it on first use, so that every
// file adding a card subcommand (emulate, read) shares one parent whatever the order
// of their init functions.
func cardGroup() *cobra.Command {
	for _, c := range rootCmd.Commands() {
		if c.Name() == "card" {
			return c
		}
	}
	c := &cobra.Command{Use: "card", Short: "Card tools: read and verify a resident card, emulate one for testing"}
	rootCmd.AddCommand(c)
	return c
}

// defaultEmulatorState keeps the emulator's test PKI between runs, so the trust store
// configured for `kiosk card read` stays valid.
func defaultEmulatorState() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "dsi-kiosk", "card-emulator")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "dsi-kiosk", "card-emulator")
	}
	return filepath.Join(os.TempDir(), "dsi-kiosk-card-emulator")
}

func cardEmulateCmd() *cobra.Command {
	var (
		profile  string
		port     int
		state    string
		pcscdLog bool
	)
	cmd := &cobra.Command{
		Use:   "emulate [--profile FILE] [--reader-port 35963] [--state DIR]",
		Short: "Become a resident card in pcscd's virtual reader (vpcd), for testing without a card",
		Long: "Insert an emulated BIR card into the vpcd virtual reader (\"Virtual PCD 00 00\" on port\n" +
			"35963, \"Virtual PCD 00 01\" on 35964) and serve it until interrupted. pcscd is started\n" +
			"if none runs. The card's EF.SOD is signed by a test PKI kept in --state; point\n" +
			"card.trust_store at the printed folder so `kiosk card read` can verify the card.\n" +
			"Press Enter to pull the card out of the reader or put it back.\n\n" +
			"The pcscd it starts dies with it, keeps vpcd's port in a network namespace of its\n" +
			"own (vpcd itself listens on every interface) and logs no APDUs unless --pcscd-log\n" +
			"asks for it: that log holds the card number, dates and PINs in clear, in a private\n" +
			"folder removed when the command stops.\n\n" +
			"Refused when kiosk.mode is production: the emulator and vpcd never belong on a\n" +
			"production kiosk. Use a development or demo configuration (e.g. KIOSK_KIOSK_MODE=development).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			if cfg.Kiosk.Mode == config.ModeProduction {
				return usageError{errors.New("card emulate: kiosk.mode is production; the card emulator is for development and demo machines only (run with a development or demo config, e.g. KIOSK_KIOSK_MODE=development)")}
			}
			if port != emulator.DefaultVPCDPort && port != emulator.DefaultVPCDPort+1 {
				return usageError{fmt.Errorf("--reader-port %d: vpcd listens on %d or %d", port, emulator.DefaultVPCDPort, emulator.DefaultVPCDPort+1)}
			}
			if profile != "" {
				// Check the profile before touching pcscd, and report it as a usage problem.
				if _, err := emulator.LoadProfile(profile); err != nil {
					return usageError{err}
				}
			}
			if state == "" {
				state = defaultEmulatorState()
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			env, err := vpcdtest.Start(ctx, vpcdtest.Options{Profile: profile, Port: port, StateDir: state, APDULog: pcscdLog,
				OnLockWait: func(holder string) {
					fmt.Fprintf(cmd.ErrOrStderr(), "Waiting for the virtual reader: %s is held by process %s (tests or `kiosk run --demo`)...\n", vpcdtest.LockFile, holder)
				}})
			if err != nil {
				return fmt.Errorf("card emulate: %w", err)
			}
			defer env.Close()

			out := cmd.OutOrStdout()
			name := profile
			if name == "" {
				name = "built-in demo profile"
			}
			fmt.Fprintf(out, "Card inserted into %q (%s).\n", env.ReaderName, name)
			fmt.Fprintf(out, "Trust store (CSCA): %s\n", env.TrustStore)
			fmt.Fprintf(out, "Read it with: KIOSK_KIOSK_MODE=development KIOSK_CARD_TRUST_STORE=%s kiosk card read --reader %q --allow-virtual\n", env.TrustStore, env.ReaderName)
			switch {
			case env.PcscdLog != "":
				fmt.Fprintf(out, "pcscd APDU log (card data and PINs in clear; deleted at stop): %s\n", env.PcscdLog)
			}
			switch {
			case !env.StartedPcscd():
				fmt.Fprintf(cmd.ErrOrStderr(), "Using the pcscd already running: its vpcd (/etc/reader.conf.d/vpcd) listens on port %d of every interface. Stop it to let this command run its own, reachable only from here.\n", port)
			case !env.VPCDIsolated():
				fmt.Fprintf(cmd.ErrOrStderr(), "No right to give pcscd a network namespace of its own (CAP_SYS_ADMIN): vpcd listens on port %d of every interface while this runs.\n", port)
			}
			fmt.Fprintln(out, "Enter: pull/insert the card. Ctrl-C: stop.")

			go togglesOnEnter(ctx, cmd, env)
			<-ctx.Done()
			fmt.Fprintf(out, "Stopping; the card answered %d APDUs.\n", env.APDUs())
			return nil
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "", "card profile YAML (default: the built-in demo profile)")
	cmd.Flags().IntVar(&port, "reader-port", emulator.DefaultVPCDPort, "vpcd port: 35963 for \"Virtual PCD 00 00\", 35964 for \"Virtual PCD 00 01\"")
	cmd.Flags().BoolVar(&pcscdLog, "pcscd-log", false, "have pcscd log every APDU (card data and PINs in clear) to a private file, deleted at stop")
	cmd.Flags().StringVar(&state, "state", "", "folder for the test PKI and trust store (default "+defaultEmulatorState()+")")
	return cmd
}

// togglesOnEnter pulls or re-inserts the card at each line on stdin.
func togglesOnEnter(ctx context.Context, cmd *cobra.Command, env *vpcdtest.Env) {
	sc := bufio.NewScanner(cmd.InOrStdin())
	for sc.Scan() {
		if ctx.Err() != nil {
			return
		}
		var err error
		if env.Slot.Inserted() {
			if err = env.Pull(); err == nil {
				fmt.Fprintln(cmd.OutOrStdout(), "Card pulled out.")
			}
		} else if err = env.Insert(); err == nil {
			fmt.Fprintln(cmd.OutOrStdout(), "Card inserted.")
		}
		if err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "card emulate:", err)
		}
	}
}
