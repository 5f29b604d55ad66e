// Command kiosk-backoffice is the reference DSI back office for tests, the demo and
// integrators: the whole of api/backoffice.yaml over HTTPS with mutual TLS, its own
// SQLite file, and the other side's tools (simulated wallet, One Account app, SMS).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/office"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/pki"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/seed"
)

func main() {
	if err := newRoot(os.Stdout, os.Stderr).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk-backoffice:", err)
		os.Exit(1)
	}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	var dir string
	root := &cobra.Command{
		Use:           "kiosk-backoffice",
		Short:         "Reference DSI back office for the self-service kiosk (tests, demo, integrators)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&dir, "dir", "backoffice-data", "directory of the database, certificates and signing key")
	open := func() (*office.Office, error) {
		if _, err := os.Stat(filepath.Join(dir, office.DBFile)); err != nil {
			return nil, fmt.Errorf("no back office in %s (run `kiosk-backoffice serve --dir %s` first)", dir, dir)
		}
		db, err := office.OpenDB(dir)
		if err != nil {
			return nil, err
		}
		key, err := office.LoadOrCreateSigningKey(dir)
		if err != nil {
			db.Close()
			return nil, err
		}
		return &office.Office{DB: db, Key: key}, nil // the testers' side opens no sealed password
	}
	root.AddCommand(serveCmd(&dir), listCmd(open), appCmd(open), payCmd(open), smsCmd(open))
	return root
}

// checkListen refuses an address other processes on the network could reach,
// unless allowed: the reference back office is for one machine.
func checkListen(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %w (want HOST:PORT, e.g. 127.0.0.1:8443)", addr, err)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--listen %q is not a loopback address; pass --allow-remote to serve beyond this machine", addr)
}

func serveCmd(dir *string) *cobra.Command {
	var (
		listen, kioskID, subjectKey string
		profiles                    []string
		allowRemote, allowUnpaid    bool
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the contract over mutual TLS (makes the CA and certificates on first run)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkListen(listen, allowRemote); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			made, err := pki.Ensure(*dir, kioskID, time.Now())
			if err != nil {
				return fmt.Errorf("certificates: %w", err)
			}
			for _, f := range made {
				fmt.Fprintf(out, "made %s\n", filepath.Join(*dir, f))
			}
			key, err := office.LoadOrCreateSigningKey(*dir)
			if err != nil {
				return err
			}
			sealKey, err := office.LoadOrCreateSealKey(*dir)
			if err != nil {
				return fmt.Errorf("seal key: %w", err)
			}
			db, err := office.OpenDB(*dir)
			if err != nil {
				return err
			}
			defer db.Close()
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			o := &office.Office{DB: db, Key: key, SealKey: sealKey, AllowUnpaid: allowUnpaid, Log: logger}
			if subjectKey != "" {
				h, err := seed.LoadHasher(subjectKey)
				if err != nil {
					return err
				}
				ps, err := seed.LoadProfiles(profiles)
				if err != nil {
					return err
				}
				n, err := o.Seed(cmd.Context(), seed.Build(ps, h, time.Now()))
				if err != nil {
					return fmt.Errorf("seeding: %w", err)
				}
				fmt.Fprintf(out, "seeded %d new residents from %d card profiles\n", n, len(ps))
			}
			h, err := o.Handler()
			if err != nil {
				return err
			}
			tlsConf, err := pki.ServerTLS(*dir)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := office.NewHTTPServer(h, tlsConf, log.New(cmd.ErrOrStderr(), "", 0))
			fmt.Fprintf(out, "listening on https://%s (kiosk certificate %s, key %s, CA %s, seal key %s)\n", ln.Addr(),
				filepath.Join(*dir, pki.KioskCert), filepath.Join(*dir, pki.KioskKey), filepath.Join(*dir, pki.CACert), filepath.Join(*dir, office.SealPubKeyFile))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			errc := make(chan error, 1)
			go func() { errc <- srv.ServeTLS(ln, "", "") }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				return err
			}
			if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8443", "address to listen on (loopback only unless --allow-remote)")
	f.BoolVar(&allowRemote, "allow-remote", false, "allow a non-loopback --listen address")
	f.StringVar(&kioskID, "kiosk-id", "kiosk-demo-01", "kiosk id (common name) of the client certificate made on first run")
	f.StringVar(&subjectKey, "subject-key", "", "the kiosk's subject key file: seed the demo cards' records (keyed like the kiosk)")
	f.StringSliceVar(&profiles, "profiles", seed.DefaultProfiles, "card profile globs to seed from")
	f.BoolVar(&allowUnpaid, "allow-unpaid", false, "accept paid services' applications without a paid order (kiosk without payment step)")
	return c
}

type opener func() (*office.Office, error)

func listCmd(open opener) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "What the back office holds and received: residents, applications, orders, accounts, bindings, audit anchors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := open()
			if err != nil {
				return err
			}
			defer o.DB.Close()
			return o.List(cmd.Context(), cmd.OutOrStdout())
		},
	}
}

func appCmd(open opener) *cobra.Command {
	app := &cobra.Command{Use: "app", Short: "The One Account app's side (testers)"}
	app.AddCommand(&cobra.Command{
		Use:   "scan PAYLOAD",
		Short: "Scan the eID binding QR the kiosk shows: binds the eID to this (simulated) phone",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := open()
			if err != nil {
				return err
			}
			defer o.DB.Close()
			b, err := o.ScanBinding(cmd.Context(), strings.TrimSpace(args[0]))
			if err != nil {
				return fmt.Errorf("binding: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "binding %s: %s\n", b.BindingID, b.Status)
			return nil
		},
	}, eidCmd(open))
	return app
}

// eidCmd is the One Account app's dynamic eID code, for testers: the payload, and
// with --png the QR code to show to the kiosk's camera (on a phone, a screen, paper).
func eidCmd(open opener) *cobra.Command {
	var resident, subjectKey, pngPath string
	var validFor time.Duration
	c := &cobra.Command{
		Use:     "eid [SUBJECT] [--resident SUBJECT|CARD-NUMBER [--subject-key FILE]] [--png FILE]",
		Aliases: []string{"eid-qr"},
		Short:   "Show the eID login code (QR payload, optionally as a PNG) of a resident whose eID is bound, for the kiosk's camera",
		Long: `Prints a fresh eID login code, valid for ` + office.EIDLoginTTL.String() + ` and once, as the One Account app shows it.
The resident is the back office's subject (32 hex digits), or a card number with the
kiosk's --subject-key (the seeded eID resident is card 52468013, the recordings' face).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			who := resident
			if len(args) == 1 {
				if who != "" {
					return errors.New("give the resident once: as the argument or with --resident")
				}
				who = args[0]
			}
			subject, err := residentSubject(who, subjectKey)
			if err != nil {
				return err
			}
			o, err := open()
			if err != nil {
				return err
			}
			defer o.DB.Close()
			qr, err := o.EIDLoginQRFor(cmd.Context(), subject, validFor)
			if err != nil {
				return err
			}
			if pngPath != "" {
				if err := office.WriteQRPNG(pngPath, qr); err != nil {
					return fmt.Errorf("--png: %w", err)
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), qr)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&resident, "resident", "", "the resident: a subject (32 hex digits), or a card number with --subject-key")
	f.StringVar(&subjectKey, "subject-key", "", "the kiosk's subject key file, to name the resident by card number")
	f.StringVar(&pngPath, "png", "", "also write the code as a QR code PNG here (mode 0600)")
	f.DurationVar(&validFor, "valid-for", office.EIDLoginTTL, "how long the code is valid (at most "+office.EIDLoginTTL.String()+"; shorter to test an expired code)")
	return c
}

// subjectPattern is a subject as the contract writes it.
var subjectPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// residentSubject: a subject as given, or a card number hashed with the kiosk's key.
func residentSubject(who, subjectKey string) (string, error) {
	switch {
	case who == "":
		return "", errors.New("which resident? give a subject or --resident CARD-NUMBER --subject-key FILE")
	case subjectPattern.MatchString(who):
		return who, nil
	case subjectKey == "":
		return "", fmt.Errorf("%q is not a subject (32 hex digits): to name a resident by card number, pass the kiosk's --subject-key", who)
	}
	h, err := seed.LoadHasher(subjectKey)
	if err != nil {
		return "", err
	}
	return h.Hash(who), nil
}

// payRef is the reference a pay command acts on: as given, or with "latest" the
// newest wallet order waiting to be paid.
func payRef(ctx context.Context, o *office.Office, arg string) (string, error) {
	arg = strings.TrimSpace(arg)
	if arg == "latest" {
		return o.LatestPending(ctx)
	}
	return strings.ToUpper(arg), nil
}

func payCmd(open opener) *cobra.Command {
	pay := &cobra.Command{Use: "pay", Short: "The simulated wallet: approve, decline or expire a pending payment order"}
	pay.AddCommand(&cobra.Command{
		Use:   "expire REFERENCE|latest",
		Short: "the payment order of an application (latest: the newest waiting) runs out of time now",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := open()
			if err != nil {
				return err
			}
			defer o.DB.Close()
			ref, err := payRef(cmd.Context(), o, args[0])
			if err != nil {
				return err
			}
			p, err := o.ExpirePayment(cmd.Context(), ref)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "order %s: %s\n", p.Reference, p.Status)
			return nil
		},
	})
	for _, approve := range []bool{true, false} {
		verb := "decline"
		if approve {
			verb = "approve"
		}
		pay.AddCommand(&cobra.Command{
			Use:   verb + " REFERENCE|latest",
			Short: verb + " the payment order of an application (latest: the newest waiting)",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				o, err := open()
				if err != nil {
					return err
				}
				defer o.DB.Close()
				ref, err := payRef(cmd.Context(), o, args[0])
				if err != nil {
					return err
				}
				p, err := o.DecidePayment(cmd.Context(), ref, approve)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "order %s: %s (MOP %d.%02d)\n", p.Reference, p.Status, p.Amount/100, p.Amount%100)
				return nil
			},
		})
	}
	return pay
}

func smsCmd(open opener) *cobra.Command {
	sms := &cobra.Command{Use: "sms", Short: "The simulated SMS gateway"}
	sms.AddCommand(&cobra.Command{
		Use:   "last",
		Short: "Show the last one-time code sent (for testers)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := open()
			if err != nil {
				return err
			}
			defer o.DB.Close()
			v, err := o.LastOTP(cmd.Context())
			if err != nil {
				return err
			}
			state := fmt.Sprintf("%d tries left", v.AttemptsLeft)
			if v.Verified {
				state = "verified"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "code %s to %s, expires %s, %s\n", v.Code, v.Phone, v.ExpiresAt.Local().Format(time.TimeOnly), state)
			return nil
		},
	})
	return sms
}
