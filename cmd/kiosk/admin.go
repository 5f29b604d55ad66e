package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/macau-dsi/kiosk/store"
)

// staffIDPattern keeps staff identifiers short and free of personal data.
var staffIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{2,32}$`)

func init() {
	var dbPath, auditKey string
	adminCmd := &cobra.Command{
		Use:   "admin",
		Short: "Staff tasks: verify and export the audit log, maintenance mode",
	}
	adminCmd.PersistentFlags().StringVar(&dbPath, "db", "", "database file (default: store.path from the configuration)")
	adminCmd.PersistentFlags().StringVar(&auditKey, "audit-key", "", "audit key file (default: store.audit_key_file, or audit.key beside --db)")
	adminCmd.AddCommand(staffPINHashCmd())

	openDB := func(readOnly bool) (*store.DB, error) {
		path := dbPath
		opt := store.Options{AuditKeyFile: auditKey, Warn: func(msg string) { fmt.Fprintln(os.Stderr, "warning:", msg) }}
		if path == "" {
			cfg, err := loadConfig()
			if err != nil {
				return nil, err
			}
			path = cfg.Store.Path
			if opt.AuditKeyFile == "" {
				opt.AuditKeyFile = cfg.Store.AuditKeyFile
			}
		}
		if readOnly {
			if _, err := os.Stat(path); err != nil {
				return nil, fmt.Errorf("database %s: %w", path, err)
			}
		}
		opt.ReadOnly = readOnly
		return store.Open(context.Background(), path, opt)
	}

	adminCmd.AddCommand(&cobra.Command{
		Use:   "verify-audit",
		Short: "Walk the keyed audit chain, check its end against the anchor, and name the first row that does not fit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openDB(true)
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := db.VerifyAudit(cmd.Context())
			var ce *store.ChainError
			if errors.As(err, &ce) {
				fmt.Fprintf(cmd.OutOrStdout(), "audit: BROKEN at row %d: %s (%d rows before it are intact)\n", ce.Seq, ce.Reason, n)
				return errFailure
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit: OK, %d rows, chain intact\n", n)
			return nil
		},
	})

	var after int64
	var out string
	export := &cobra.Command{
		Use:   "export-audit",
		Short: "Write audit rows as JSON lines (no personal data: subjects are keyed hashes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openDB(true)
			if err != nil {
				return err
			}
			defer db.Close()
			rows, err := db.AuditRows(cmd.Context(), after, 0)
			if err != nil {
				return err
			}
			var w io.Writer = cmd.OutOrStdout()
			if out != "" {
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return fmt.Errorf("export-audit: %w", err)
				}
				defer f.Close()
				w = f
			}
			enc := json.NewEncoder(w)
			for _, r := range rows {
				if err := enc.Encode(r); err != nil {
					return fmt.Errorf("export-audit: %w", err)
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "export-audit: %d rows\n", len(rows))
			return nil
		},
	}
	export.Flags().Int64Var(&after, "after", 0, "only rows after this sequence number")
	export.Flags().StringVar(&out, "out", "", "write to this new file (mode 0600) instead of standard output")
	adminCmd.AddCommand(export)

	var staff string
	maint := &cobra.Command{
		Use:       "maintenance on|off|status",
		Short:     "Take the kiosk out of service (or back), audited under the staff ID",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"on", "off", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			arg := args[0]
			if arg != "on" && arg != "off" && arg != "status" {
				return usageError{fmt.Errorf("maintenance: %q: want on, off or status", arg)}
			}
			if arg != "status" && !staffIDPattern.MatchString(staff) {
				return usageError{fmt.Errorf("maintenance %s: --staff ID is required (2-32 letters, digits, - or _)", arg)}
			}
			db, err := openDB(arg == "status")
			if err != nil {
				return err
			}
			defer db.Close()
			if arg != "status" {
				if err := db.SetSetting(cmd.Context(), store.SettingMaintenance, arg, "staff:"+staff); err != nil {
					return err
				}
			}
			on, err := db.Maintenance(cmd.Context())
			if err != nil {
				return err
			}
			state := "in service"
			if on {
				state = "OUT OF SERVICE (maintenance)"
			}
			fmt.Fprintln(cmd.OutOrStdout(), "kiosk:", state)
			return nil
		},
	}
	maint.Flags().StringVar(&staff, "staff", "", "staff ID recorded in the audit log")
	adminCmd.AddCommand(maint)

	rootCmd.AddCommand(adminCmd)
}
