package office

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/seed"
)

// NewHTTPServer wraps the handler with the timeouts a server on a network needs.
// TLS handshake failures are logged by net/http (peer address and reason only).
func NewHTTPServer(h http.Handler, tlsConf *tls.Config, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          errorLog,
	}
}

// Seed inserts the records that are not there yet; what the back office received
// or changed since (accounts opened, bindings) is kept.
func (o *Office) Seed(ctx context.Context, rs []seed.Resident) (int, error) {
	added := 0
	err := o.DB.withTx(ctx, func(tx *sql.Tx) error {
		for _, r := range rs {
			var accountID, locked any
			if r.Account != backoffice.AccountNone {
				accountID = opaqueID()
			}
			if !r.PasswordLockedUntil.IsZero() {
				locked = ts(r.PasswordLockedUntil)
			}
			holder, err := json.Marshal(r.Holder)
			if err != nil {
				return err
			}
			var photo, format any
			if len(r.Photo) > 0 {
				photo, format = r.Photo, r.PhotoFormat
			}
			res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO residents(subject, label, residency, nationality, passport_expiry, travel_permit_expiry, my_photo, other_travel, counter_only, account_status, account_id, device_bound, password_locked_until, holder, photo, photo_format)
				VALUES (?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.Subject, r.Label, string(r.Residency), r.Nationality, r.PassportExpiry, r.PermitExpiry, r.MyPhoto, r.OtherTravel, r.CounterOnly, r.Account, accountID, r.DeviceBound, locked, string(holder), photo, format)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			if n == 0 {
				// Known already: a record seeded before the eID start gets its
				// identification record and photo now, nothing else changes.
				if _, err := tx.ExecContext(ctx, `UPDATE residents SET holder = ?, photo = ?, photo_format = ? WHERE subject = ? AND holder IS NULL`,
					string(holder), photo, format, r.Subject); err != nil {
					return err
				}
				continue
			}
			added++
			for _, s := range r.Pending {
				if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO seeded_pending(subject, service, submitted_on) VALUES (?, ?, ?)`, r.Subject, string(s), r.PendingOn); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return added, err
}

// maskPhone keeps the last two digits, enough for a tester to tell phones apart.
func maskPhone(p string) string {
	if len(p) <= 2 {
		return strings.Repeat("•", len(p))
	}
	return strings.Repeat("•", len(p)-2) + p[len(p)-2:]
}

// List writes what the back office holds and received, for testers. Subjects are
// shown cut to 8 characters, phones masked; no password hash, no OTP code.
func (o *Office) List(ctx context.Context, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	section := func(title string, header string, query string, args ...any) error {
		fmt.Fprintf(tw, "\n== %s\n%s\n", title, header)
		rows, err := o.DB.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			cells := make([]string, len(cols))
			for i, v := range vals {
				cells[i] = "-"
				if v.Valid && v.String != "" {
					cells[i] = v.String
				}
				if cols[i] == "phone" && v.Valid {
					cells[i] = maskPhone(v.String)
				}
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
			n++
		}
		if n == 0 {
			fmt.Fprintln(tw, "(none)")
		}
		return rows.Err()
	}
	steps := []struct{ title, header, query string }{
		{"residents", "SUBJECT\tRESIDENCY\tNAT\tPASSPORT\tPERMIT\tOTHER-DOC\tCOUNTER\tPHOTO\tACCOUNT\tBOUND\tPROFILE",
			`SELECT substr(subject,1,8)||'…', residency, nationality, passport_expiry, travel_permit_expiry, other_travel, counter_only, my_photo, account_status, device_bound, label FROM residents ORDER BY label`},
		{"applications", "REFERENCE\tSERVICE\tSUBJECT\tKIOSK\tFEE\tVERIFIED\tSTATUS\tRECEIVED\tCOLLECT FROM",
			`SELECT reference, service, substr(subject,1,8)||'…', kiosk_id, fee, verified, status, received_at, collect_from FROM applications ORDER BY received_at`},
		{"payment orders", "REFERENCE\tSERVICE\tAMOUNT\tKIOSK\tMETHOD\tSTATUS\tPROVIDER REF\tCREATED\tPAID\tREFUNDED",
			`SELECT reference, service, amount, kiosk_id, method, status, provider_ref, created_at, paid_at, refunded_at FROM orders ORDER BY created_at`},
		{"One Accounts opened", "SUBJECT\tKIOSK\tphone\tPASSWORD\tBOUND\tCREATED",
			`SELECT substr(subject,1,8)||'…', account_kiosk, account_phone AS phone, CASE WHEN password_hash IS NULL THEN 'no' ELSE 'set' END, device_bound, account_created_at FROM residents WHERE account_created_at IS NOT NULL ORDER BY account_created_at`},
		{"eID bindings", "BINDING\tSUBJECT\tKIOSK\tSTATUS\tEXPIRES\tBOUND",
			`SELECT id, substr(subject,1,8)||'…', kiosk_id, status, expires_at, bound_at FROM bindings ORDER BY created_at`},
		{"audit anchors (per kiosk, newest last)", "KIOSK\tSEQ\tMAC\tREFERENCE\tRECEIVED\tREGRESSED",
			`SELECT kiosk_id, seq, substr(mac,1,16)||'…', reference, received_at, CASE regressed WHEN 1 THEN 'YES: rows missing on the kiosk' ELSE 'no' END FROM audit_anchors ORDER BY kiosk_id, id`},
	}
	for _, s := range steps {
		if err := section(s.title, s.header, s.query); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// OTPView is the last SMS code, for testers (the simulated SMS gateway).
type OTPView struct {
	ChallengeID  string
	Phone        string // masked
	Code         string
	ExpiresAt    time.Time
	AttemptsLeft int
	Verified     bool
}

// LastOTP returns the newest SMS code.
func (o *Office) LastOTP(ctx context.Context) (OTPView, error) {
	var v OTPView
	var phone, exp string
	err := o.DB.QueryRowContext(ctx, `SELECT id, phone, code, expires_at, attempts_left, verified FROM otp ORDER BY created_at DESC LIMIT 1`).
		Scan(&v.ChallengeID, &phone, &v.Code, &exp, &v.AttemptsLeft, &v.Verified)
	if isNoRows(err) {
		return v, fmt.Errorf("no SMS code sent yet")
	}
	v.Phone, v.ExpiresAt = maskPhone(phone), parseTS(exp)
	return v, err
}
