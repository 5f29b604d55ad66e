package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/macau-dsi/kiosk/cardio"
	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
)

func init() {
	cardGroup().AddCommand(cardReadCmd())
}

type cardReadFlags struct {
	reader       string
	bac          string
	can          string
	allowVirtual bool
	photo        string
	json         bool
	trustStore   string
	short        bool
}

// cardReadOutput is what --json prints. Dates are YYYY-MM-DD.
type cardReadOutput struct {
	DocumentNumber string      `json:"document_number"`
	Names          kiosk.Names `json:"names"`
	Sex            string      `json:"sex"`
	BirthDate      string      `json:"birth_date"`
	IssueDate      string      `json:"issue_date,omitempty"`
	ExpiryDate     string      `json:"expiry_date"`
	Nationality    string      `json:"nationality"`
	// Residency is "permanent", "non-permanent" or "" (the card does not say).
	Residency kiosk.Residency `json:"residency"`
	// StaffID is set on a DSI staff card (DG12 5F1B "DSI-STAFF:<id>"): it opens
	// staff mode after the card's PIN, if the card is verified.
	StaffID        string        `json:"staff_id,omitempty"`
	Photo          photoOutput   `json:"photo"`
	Access         string        `json:"access"`
	PassiveAuth    []kiosk.Check `json:"passive_auth"`
	Verified       bool          `json:"verified"`
	Reader         string        `json:"reader"`
	APDUs          int           `json:"apdus"`
	ExtendedLength bool          `json:"extended_length"`
	ElapsedMS      float64       `json:"elapsed_ms"`
}

type photoOutput struct {
	Format string `json:"format"`
	Bytes  int    `json:"bytes"`
	File   string `json:"file,omitempty"`
}

func cardReadCmd() *cobra.Command {
	f := &cardReadFlags{}
	c := &cobra.Command{
		Use:   "read",
		Short: "Read and verify a resident card (BAC, secure messaging, passive authentication)",
		Long: `Read the card in a PC/SC reader, authenticate with BAC (key from the card's
EF.CardInfo, or --bac) or with PACE and the card access number (--can, on cards whose
EF.CardAccess offers PACE), read EF.COM, DG1, DG2, DG11, DG12 and EF.SOD, and verify
them against the CSCA trust store (card.trust_store). Exit status 1 when the card is
not verified; its data is still printed, marked UNVERIFIED.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Flag values live in the command; clear them after each run so that
			// in-process callers (tests) start from the defaults.
			defer resetFlags(cmd.Flags())
			return runCardRead(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), *f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.reader, "reader", "", "PC/SC reader name or prefix (default: card.reader, else the first reader with a card)")
	fl.StringVar(&f.bac, "bac", "", "BAC key DOCNO,YYMMDD,YYMMDD: document number, date of birth, date of expiry (check digits computed)")
	fl.StringVar(&f.can, "can", "", "card access number (6 digits printed on the card): PACE instead of BAC")
	fl.BoolVar(&f.allowVirtual, "allow-virtual", false, "allow vpcd's virtual readers (never in production)")
	fl.StringVar(&f.photo, "photo", "", "write the chip's face image to this file")
	fl.BoolVar(&f.json, "json", false, "print JSON")
	fl.StringVar(&f.trustStore, "trust-store", "", "CSCA trust store folder (default: card.trust_store)")
	fl.BoolVar(&f.short, "short-apdus", false, "never use extended-length APDUs")
	return c
}

func resetFlags(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		_ = f.Value.Set(f.DefValue)
		f.Changed = false
	})
}

// parseBAC reads DOCNO,YYMMDD,YYMMDD.
func parseBAC(s string) (*icao.BACKey, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return nil, errors.New("--bac wants DOCNO,YYMMDD,YYMMDD")
	}
	k := icao.BACKey{DocumentNumber: strings.TrimSpace(parts[0]), BirthDate: strings.TrimSpace(parts[1]), ExpiryDate: strings.TrimSpace(parts[2])}
	if _, err := k.MRZInformation(); err != nil {
		return nil, fmt.Errorf("--bac: %w", err)
	}
	for _, d := range []string{k.BirthDate, k.ExpiryDate} {
		if _, err := time.Parse("060102", d); err != nil {
			return nil, fmt.Errorf("--bac: %q is not a date YYMMDD", d)
		}
	}
	return &k, nil
}

func runCardRead(ctx context.Context, stdout, stderr io.Writer, f cardReadFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if f.bac != "" && f.can != "" {
		return usageError{errors.New("give either --bac or --can, not both")}
	}
	var key *icao.BACKey
	if f.bac != "" {
		if key, err = parseBAC(f.bac); err != nil {
			return usageError{err}
		}
	}
	if f.can != "" && (len(f.can) != 6 || strings.Trim(f.can, "0123456789") != "") {
		return usageError{errors.New("--can wants the 6-digit card access number")}
	}
	if f.allowVirtual && cfg.Kiosk.Mode == config.ModeProduction {
		return usageError{errors.New("--allow-virtual is refused when kiosk.mode is production")}
	}
	reader := cfg.Card.Reader
	if f.reader != "" {
		reader = f.reader
	}
	storeDir := cfg.Card.TrustStore
	if f.trustStore != "" {
		storeDir = f.trustStore
	}
	// A broken or empty trust store does not stop the read: the card is then shown
	// unverified, with the reason in the chain step.
	trust, terr := lds.LoadTrustStore(storeDir)
	if terr != nil {
		fmt.Fprintf(stderr, "warning: %v: the card cannot be verified\n", terr)
	}
	r := cardio.NewPCSCReader(cardio.PCSCConfig{
		Reader: reader, AllowVirtual: f.allowVirtual || cfg.Card.AllowVirtual, Trust: trust, Key: key, CAN: f.can,
		ReadTimeout: cfg.Card.ReadTimeout, ShortAPDUs: f.short,
	})
	start := time.Now()
	read, err := r.Read(ctx, nil)
	if err != nil {
		return err
	}
	defer read.Wipe()
	elapsed := time.Since(start)
	h := read.Holder
	out := cardReadOutput{
		DocumentNumber: h.DocumentNumber, Names: h.Names, Sex: h.Sex, Nationality: h.Nationality, Residency: h.Residency, StaffID: h.StaffID,
		BirthDate: day(h.BirthDate), IssueDate: day(h.IssueDate), ExpiryDate: day(h.ExpiryDate),
		Photo:  photoOutput{Format: h.Photo.Format, Bytes: len(h.Photo.Data)},
		Access: read.Access, PassiveAuth: read.PassiveAuth, Verified: read.Verified,
		Reader: r.LastReader, APDUs: r.LastStats.APDUs, ExtendedLength: r.LastStats.Extended,
		ElapsedMS: float64(elapsed.Microseconds()) / 1000,
	}
	if f.photo != "" {
		if err := os.WriteFile(f.photo, h.Photo.Data, 0o600); err != nil {
			return fmt.Errorf("writing the photo: %w", err)
		}
		out.Photo.File = f.photo
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		printCardRead(stdout, out)
	}
	if !read.Verified {
		return errFailure
	}
	return nil
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// residencyText says plainly when the card does not state the residency: the
// kiosk then offers no service, and an empty field would hide why.
func residencyText(r kiosk.Residency) string {
	if r == "" {
		return "not stated on the card"
	}
	return string(r)
}

func printCardRead(w io.Writer, o cardReadOutput) {
	if !o.Verified {
		fmt.Fprintln(w, "*** UNVERIFIED CARD: passive authentication failed; do not trust the data below ***")
	}
	fmt.Fprintf(w, "Document number  %s\n", o.DocumentNumber)
	fmt.Fprintf(w, "Name (中文)       %s\n", o.Names.Chinese)
	fmt.Fprintf(w, "Name (português) %s\n", o.Names.Portuguese)
	fmt.Fprintf(w, "MRZ name         %s, %s\n", o.Names.Primary, o.Names.Secondary)
	fmt.Fprintf(w, "Sex              %s\n", o.Sex)
	fmt.Fprintf(w, "Date of birth    %s\n", o.BirthDate)
	fmt.Fprintf(w, "Date of issue    %s\n", o.IssueDate)
	fmt.Fprintf(w, "Date of expiry   %s\n", o.ExpiryDate)
	fmt.Fprintf(w, "Nationality      %s\n", o.Nationality)
	fmt.Fprintf(w, "Residency        %s\n", residencyText(o.Residency))
	if o.StaffID != "" {
		// Only on a staff card: a resident's card has no staff line at all.
		fmt.Fprintf(w, "Staff ID         %s (DSI staff card: opens staff mode with its PIN)\n", o.StaffID)
	}
	fmt.Fprintf(w, "Photo            %s, %d bytes %s\n", o.Photo.Format, o.Photo.Bytes, o.Photo.File)
	fmt.Fprintf(w, "Access           %s (%d APDUs, extended length %v, %.1f ms)\n", o.Access, o.APDUs, o.ExtendedLength, o.ElapsedMS)
	fmt.Fprintln(w, "Passive authentication:")
	for _, c := range o.PassiveAuth {
		status := "OK  "
		if !c.OK {
			status = "FAIL"
		}
		fmt.Fprintf(w, "  %s %-14s %s\n", status, c.Name, c.Detail)
	}
	if o.Verified {
		fmt.Fprintln(w, "Verified: yes")
	} else {
		fmt.Fprintln(w, "Verified: NO")
	}
}
