package office

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/sealbox"
)

// Rules of the reference back office.
const (
	OrderTTL        = 15 * time.Minute // a payment QR is valid this long
	OTPTTL          = 5 * time.Minute
	OTPAttempts     = 3
	OTPPerHour      = 5 // SMS sent per subject per hour
	BindingTTL      = 2 * time.Minute
	EIDLoginTTL     = time.Minute
	pbkdf2Rounds    = 100_000
	otpDigits       = 6
	opaqueIDBytes   = 18 // 24 base64url characters
	currencyMOP     = "MOP"
	govPayQRPrefix  = "GOVPAY1"
	pendingOnlyFrom = backoffice.ApplicationReceived
)

func (o *Office) handlers() map[string]handler {
	return map[string]handler{
		"health":             o.health,
		"getResident":        o.getResident,
		"submitApplication":  o.submitApplication,
		"getApplication":     o.getApplication,
		"createPaymentOrder": o.createPaymentOrder,
		"getPaymentOrder":    o.getPaymentOrder,
		"cancelPaymentOrder": o.cancelPaymentOrder,
		"refundPaymentOrder": o.refundPaymentOrder,
		"captureCardPayment": o.captureCardPayment,
		"sendOTP":            o.sendOTP,
		"verifyOTP":          o.verifyOTP,
		"createOneAccount":   o.createOneAccount,
		"startEIDBinding":    o.startEIDBinding,
		"getEIDBinding":      o.getEIDBinding,
		"verifyEIDLogin":     o.verifyEIDLogin,
	}
}

// walletTxn is the simulated wallet's transaction id (12 upper-case hex digits).
func walletTxn() string {
	b := make([]byte, 8)
	rand.Read(b)
	return fmt.Sprintf("%012X", new(big.Int).SetBytes(b[:6]))
}

func opaqueID() string {
	b := make([]byte, opaqueIDBytes)
	rand.Read(b)
	return b64.EncodeToString(b)
}

func checkKiosk(q *request, bodyKiosk string) error {
	if bodyKiosk != q.kiosk {
		return problem(http.StatusForbidden, backoffice.CodeForbidden, "kiosk_id does not match the client certificate")
	}
	return nil
}

func (o *Office) health(ctx context.Context, q *request) (int, any, error) {
	if err := o.DB.PingContext(ctx); err != nil {
		return 0, nil, problem(http.StatusServiceUnavailable, backoffice.CodeUnavailable, "database unavailable")
	}
	t := q.now
	return http.StatusOK, backoffice.Health{Status: "ok", Time: &t}, nil
}

// resident reads one resident's record, pending applications included.
func (o *Office) resident(ctx context.Context, db queryer, subject string, now time.Time) (backoffice.Resident, error) {
	r := backoffice.Resident{Subject: subject, Pending: []backoffice.PendingApplication{}}
	var pass, permit, locked sql.NullString
	var photo, bound int
	err := db.QueryRowContext(ctx, `SELECT residency, nationality, passport_expiry, travel_permit_expiry, my_photo, other_travel, counter_only, account_status, device_bound, password_locked_until
		FROM residents WHERE subject = ?`, subject).Scan(&r.Residency, &r.Nationality, &pass, &permit, &photo, &r.OtherTravel, &r.CounterOnly, &r.OneAccount.Status, &bound, &locked)
	if isNoRows(err) {
		return r, problem(http.StatusNotFound, backoffice.CodeNotFound, "no resident with this subject")
	}
	if err != nil {
		return r, err
	}
	if pass.Valid {
		r.Passport = &backoffice.TravelDocument{Expiry: pass.String}
	}
	if permit.Valid {
		r.TravelPermit = &backoffice.TravelDocument{Expiry: permit.String}
	}
	r.MyPhotoOnFile = photo == 1
	r.OneAccount.DeviceBound = bound == 1
	if t := nullTS(locked); t != nil && t.After(now) {
		r.OneAccount.PasswordLockedUntil = t
	}
	rows, err := db.QueryContext(ctx, `SELECT service, submitted_on FROM seeded_pending WHERE subject = ?
		UNION ALL SELECT service, substr(received_at, 1, 10) FROM applications WHERE subject = ? AND status = ?
		ORDER BY 2, 1`, subject, subject, pendingOnlyFrom)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var p backoffice.PendingApplication
		if err := rows.Scan(&p.Service, &p.SubmittedOn); err != nil {
			return r, err
		}
		r.Pending = append(r.Pending, p)
	}
	return r, rows.Err()
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (o *Office) getResident(ctx context.Context, q *request) (int, any, error) {
	r, err := o.resident(ctx, o.DB, q.params["subject"], q.now)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, r, nil
}

func (o *Office) submitApplication(ctx context.Context, q *request) (int, any, error) {
	var a backoffice.ApplicationSubmission
	if err := q.decode(&a); err != nil {
		return 0, nil, err
	}
	if err := checkKiosk(q, a.KioskID); err != nil {
		return 0, nil, err
	}
	var out backoffice.ApplicationReceipt
	err := o.DB.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM residents WHERE subject = ?`, a.Subject).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return problem(http.StatusUnprocessableEntity, backoffice.CodeInvalidRequest, "no resident with this subject")
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM applications WHERE reference = ?`, a.Reference).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return problem(http.StatusConflict, backoffice.CodeConflict, "an application with this reference was already received")
		}
		if a.Fee > 0 && !o.AllowUnpaid {
			var status string
			var amount int
			err := tx.QueryRowContext(ctx, `SELECT status, amount FROM orders WHERE reference = ?`, a.Reference).Scan(&status, &amount)
			if isNoRows(err) || (err == nil && (status != backoffice.OrderPaid || amount != a.Fee)) {
				return problem(http.StatusConflict, backoffice.CodePaymentRequired, "the application's payment order is not paid with this fee")
			}
			if err != nil {
				return err
			}
		}
		photoSource, photo, err := checkPhoto(ctx, tx, a)
		if err != nil {
			return err
		}
		form, err := json.Marshal(a.Form)
		if err != nil {
			return err
		}
		var sealed any
		if len(a.Sealed) > 0 {
			b, err := json.Marshal(a.Sealed)
			if err != nil {
				return err
			}
			sealed = string(b)
		}
		from := collectFrom(a.Service, q.now)
		var fromCol any
		if from != "" {
			fromCol = from
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO applications(reference, subject, service, kiosk_id, language, fee, verified, form, sealed, created_at, received_at, status, anchor_seq, anchor_mac, collect_from, photo_source, photo)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.Reference, a.Subject, string(a.Service), a.KioskID, string(a.Language), a.Fee, a.Verified, string(form), sealed, a.CreatedAt, ts(q.now),
			backoffice.ApplicationReceived, a.AuditAnchor.Seq, a.AuditAnchor.MAC, fromCol, photoSource, photo); err != nil {
			return err
		}
		// The anchor is kept per kiosk; a head that goes backwards means rows were
		// deleted from the kiosk's audit log, and is flagged (the application itself
		// is still real and accepted).
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(seq) FROM audit_anchors WHERE kiosk_id = ?`, a.KioskID).Scan(&last); err != nil {
			return err
		}
		regressed := last.Valid && a.AuditAnchor.Seq < last.Int64
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_anchors(kiosk_id, seq, mac, reference, received_at, regressed) VALUES (?, ?, ?, ?, ?, ?)`,
			a.KioskID, a.AuditAnchor.Seq, a.AuditAnchor.MAC, a.Reference, ts(q.now), regressed); err != nil {
			return err
		}
		out = backoffice.ApplicationReceipt{Reference: a.Reference, Status: backoffice.ApplicationReceived, ReceivedAt: q.now, CollectFrom: from}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, out, nil
}

func (o *Office) getApplication(ctx context.Context, q *request) (int, any, error) {
	var r backoffice.ApplicationReceipt
	var at string
	var from sql.NullString
	err := o.DB.QueryRowContext(ctx, `SELECT reference, status, received_at, collect_from FROM applications WHERE reference = ?`, q.params["reference"]).Scan(&r.Reference, &r.Status, &at, &from)
	if isNoRows(err) {
		return 0, nil, problem(http.StatusNotFound, backoffice.CodeNotFound, "no application with this reference")
	}
	if err != nil {
		return 0, nil, err
	}
	r.ReceivedAt, r.CollectFrom = parseTS(at), from.String
	return http.StatusOK, r, nil
}

// collectionWorkingDays is how many working days the reference back office plans
// between receiving an application for a document and the document being ready at
// the collection office. It is this reference server's assumption, the same for the
// three documents: DSI's own processing times decide in production, and its back
// office answers them.
const collectionWorkingDays = 10

// collectFrom is the earliest collection day of an application received at
// received: collectionWorkingDays working days (Monday to Friday, in Macau; public
// holidays are not modelled) after the day it arrived. "" for One Account, where
// nothing is collected.
func collectFrom(service kiosk.ServiceID, received time.Time) string {
	if service == kiosk.ServiceOneAccount {
		return ""
	}
	d := received.In(kiosk.MacauTime) // a fixed zone: AddDate moves by whole days
	for left := collectionWorkingDays; left > 0; {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			left--
		}
	}
	return kiosk.DateOf(d).String()
}

// order reads a payment order, expiring a pending one whose time is up.
func (o *Office) order(ctx context.Context, db execQueryer, ref string, now time.Time) (backoffice.PaymentOrder, error) {
	var p backoffice.PaymentOrder
	var created, expires string
	var paid, refunded, provider sql.NullString
	err := db.QueryRowContext(ctx, `SELECT reference, service, amount, status, method, provider_ref, qr, created_at, expires_at, paid_at, refunded_at FROM orders WHERE reference = ?`, ref).
		Scan(&p.Reference, &p.Service, &p.Amount, &p.Status, &p.Method, &provider, &p.QRPayload, &created, &expires, &paid, &refunded)
	if isNoRows(err) {
		return p, problem(http.StatusNotFound, backoffice.CodeNotFound, "no payment order with this reference")
	}
	if err != nil {
		return p, err
	}
	p.Currency = currencyMOP
	p.ProviderRef = provider.String
	p.CreatedAt, p.ExpiresAt = parseTS(created), parseTS(expires)
	p.PaidAt, p.RefundedAt = nullTS(paid), nullTS(refunded)
	if p.Status == backoffice.OrderPending && !now.Before(p.ExpiresAt) {
		if _, err := db.ExecContext(ctx, `UPDATE orders SET status = ? WHERE reference = ? AND status = ?`, backoffice.OrderExpired, ref, backoffice.OrderPending); err != nil {
			return p, err
		}
		p.Status = backoffice.OrderExpired
	}
	return p, nil
}

type execQueryer interface {
	queryer
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (o *Office) createPaymentOrder(ctx context.Context, q *request) (int, any, error) {
	var r backoffice.PaymentOrderRequest
	if err := q.decode(&r); err != nil {
		return 0, nil, err
	}
	if err := checkKiosk(q, r.KioskID); err != nil {
		return 0, nil, err
	}
	ref := q.params["reference"]
	status := http.StatusCreated
	var out backoffice.PaymentOrder
	err := o.DB.withTx(ctx, func(tx *sql.Tx) error {
		method := r.Method
		if method == "" {
			method = backoffice.MethodQR
		}
		existing, err := o.order(ctx, tx, ref, q.now)
		if err == nil {
			// A kiosk that crashed after asking finds its order again.
			if existing.Amount != r.Amount || existing.Service != r.Service || existing.Method != method {
				return problem(http.StatusConflict, backoffice.CodeConflict, "a payment order with this reference exists for another amount or service")
			}
			status, out = http.StatusOK, existing
			return nil
		}
		if _, ok := err.(*apiError); !ok {
			return err
		}
		qr := "" // a card order is paid at the terminal: nothing to scan
		if method == backoffice.MethodQR {
			qr = fmt.Sprintf("%s|ref=%s|amt=%d|cur=%s", govPayQRPrefix, ref, r.Amount, currencyMOP)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO orders(reference, service, amount, kiosk_id, status, method, qr, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ref, string(r.Service), r.Amount, r.KioskID, backoffice.OrderPending, method, qr, ts(q.now), ts(q.now.Add(OrderTTL))); err != nil {
			return err
		}
		out, err = o.order(ctx, tx, ref, q.now)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return status, out, nil
}

func (o *Office) getPaymentOrder(ctx context.Context, q *request) (int, any, error) {
	p, err := o.order(ctx, o.DB, q.params["reference"], q.now)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}

// changeOrder reads the order ref, lets change act on it, and reads it again, all in
// one transaction: every change to an order (cancel, refund, card capture, the
// simulated wallet) goes through here.
func (o *Office) changeOrder(ctx context.Context, ref string, now time.Time, change func(tx *sql.Tx, p backoffice.PaymentOrder) error) (backoffice.PaymentOrder, error) {
	var out backoffice.PaymentOrder
	err := o.DB.withTx(ctx, func(tx *sql.Tx) error {
		p, err := o.order(ctx, tx, ref, now)
		if err != nil {
			return err
		}
		if err := change(tx, p); err != nil {
			return err
		}
		out, err = o.order(ctx, tx, ref, now)
		return err
	})
	return out, err
}

func (o *Office) cancelPaymentOrder(ctx context.Context, q *request) (int, any, error) {
	out, err := o.changeOrder(ctx, q.params["reference"], q.now, func(tx *sql.Tx, p backoffice.PaymentOrder) error {
		switch p.Status {
		case backoffice.OrderPaid, backoffice.OrderRefunded:
			return problem(http.StatusConflict, backoffice.CodeOrderPaid, "the order is paid: refund it instead")
		case backoffice.OrderPending, backoffice.OrderDeclined:
			_, err := tx.ExecContext(ctx, `UPDATE orders SET status = ? WHERE reference = ?`, backoffice.OrderCancelled, p.Reference)
			return err
		}
		return nil // cancelled or expired already: nothing to do
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (o *Office) refundPaymentOrder(ctx context.Context, q *request) (int, any, error) {
	var r backoffice.RefundRequest
	if err := q.decode(&r); err != nil {
		return 0, nil, err
	}
	out, err := o.changeOrder(ctx, q.params["reference"], q.now, func(tx *sql.Tx, p backoffice.PaymentOrder) error {
		if p.Status != backoffice.OrderPaid {
			return problem(http.StatusConflict, backoffice.CodeOrderNotPaid, "only a paid order is refunded (this one is "+p.Status+")")
		}
		_, err := tx.ExecContext(ctx, `UPDATE orders SET status = ?, refunded_at = ?, refund_reason = ? WHERE reference = ?`,
			backoffice.OrderRefunded, ts(q.now), r.Reason, p.Reference)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// captureCardPayment records the terminal's approval of a card order. The approval
// is a fact (the money is taken): it makes the order paid even if it was cancelled or
// expired meanwhile, so the application it pays for is accepted.
func (o *Office) captureCardPayment(ctx context.Context, q *request) (int, any, error) {
	var r backoffice.CardCapture
	if err := q.decode(&r); err != nil {
		return 0, nil, err
	}
	out, err := o.changeOrder(ctx, q.params["reference"], q.now, func(tx *sql.Tx, p backoffice.PaymentOrder) error {
		switch {
		case p.Method != backoffice.MethodCard:
			return problem(http.StatusConflict, backoffice.CodeConflict, "not a card order: a wallet pays it")
		case p.Amount != r.Amount:
			return problem(http.StatusConflict, backoffice.CodeConflict, "the approved amount is not the order's")
		case p.Status == backoffice.OrderRefunded:
			return problem(http.StatusConflict, backoffice.CodeOrderClosed, "the order was refunded")
		case p.Status == backoffice.OrderPaid && p.ProviderRef == r.ApprovalCode:
			return nil // the same approval again (a retry after a lost answer)
		case p.Status == backoffice.OrderPaid:
			return problem(http.StatusConflict, backoffice.CodeConflict, "the order is already paid with another approval")
		}
		_, err := tx.ExecContext(ctx, `UPDATE orders SET status = ?, paid_at = ?, provider_ref = ?, terminal_id = ? WHERE reference = ?`,
			backoffice.OrderPaid, ts(q.now), r.ApprovalCode, r.TerminalID, p.Reference)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// LatestPending is the reference of the newest pending wallet order, for testers
// (and the demo's buttons) who do not type references: `pay approve latest`.
func (o *Office) LatestPending(ctx context.Context) (string, error) {
	var ref string
	err := o.DB.QueryRowContext(ctx, `SELECT reference FROM orders WHERE status = ? AND method = ? AND expires_at > ? ORDER BY created_at DESC LIMIT 1`,
		backoffice.OrderPending, backoffice.MethodQR, ts(o.now())).Scan(&ref)
	if isNoRows(err) {
		return "", problem(http.StatusNotFound, backoffice.CodeNotFound, "no wallet order is waiting to be paid")
	}
	return ref, err
}

// ExpirePayment is the simulated wallet's clock: a pending order's time is up now.
func (o *Office) ExpirePayment(ctx context.Context, ref string) (backoffice.PaymentOrder, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	return o.changeOrder(ctx, ref, now, func(tx *sql.Tx, p backoffice.PaymentOrder) error {
		if p.Status != backoffice.OrderPending {
			return problem(http.StatusConflict, backoffice.CodeOrderClosed, "the order is "+p.Status+", not pending")
		}
		_, err := tx.ExecContext(ctx, `UPDATE orders SET expires_at = ? WHERE reference = ?`, ts(now), ref)
		return err
	})
}

// DecidePayment is the simulated wallet: approve or decline a pending order.
func (o *Office) DecidePayment(ctx context.Context, ref string, approve bool) (backoffice.PaymentOrder, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	return o.changeOrder(ctx, ref, now, func(tx *sql.Tx, p backoffice.PaymentOrder) error {
		if p.Status != backoffice.OrderPending {
			return problem(http.StatusConflict, backoffice.CodeOrderClosed, "the order is "+p.Status+", not pending")
		}
		if p.Method != backoffice.MethodQR {
			return problem(http.StatusConflict, backoffice.CodeConflict, "a card order is paid at the kiosk's terminal, not by a wallet")
		}
		var err error
		if approve {
			_, err = tx.ExecContext(ctx, `UPDATE orders SET status = ?, paid_at = ?, provider_ref = ? WHERE reference = ?`, backoffice.OrderPaid, ts(now), "W"+walletTxn(), ref)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE orders SET status = ? WHERE reference = ?`, backoffice.OrderDeclined, ref)
		}
		return err
	})
}

func (o *Office) sendOTP(ctx context.Context, q *request) (int, any, error) {
	var r backoffice.OTPRequest
	if err := q.decode(&r); err != nil {
		return 0, nil, err
	}
	var out backoffice.OTPChallenge
	err := o.DB.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM residents WHERE subject = ?`, r.Subject).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return problem(http.StatusBadRequest, backoffice.CodeInvalidRequest, "no resident with this subject")
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM otp WHERE subject = ? AND created_at > ?`, r.Subject, ts(q.now.Add(-time.Hour))).Scan(&n); err != nil {
			return err
		}
		if n >= OTPPerHour {
			return problem(http.StatusTooManyRequests, backoffice.CodeRateLimited, "too many codes sent to this resident in the last hour")
		}
		max := new(big.Int).Exp(big.NewInt(10), big.NewInt(otpDigits), nil)
		c, err := rand.Int(rand.Reader, max)
		if err != nil {
			return err
		}
		code := fmt.Sprintf("%0*d", otpDigits, c)
		out = backoffice.OTPChallenge{ChallengeID: opaqueID(), ExpiresAt: q.now.Add(OTPTTL), CodeLength: otpDigits}
		_, err = tx.ExecContext(ctx, `INSERT INTO otp(id, subject, phone, code, created_at, expires_at, attempts_left) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			out.ChallengeID, r.Subject, r.Phone, code, ts(q.now), ts(out.ExpiresAt), OTPAttempts)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, out, nil
}

func (o *Office) verifyOTP(ctx context.Context, q *request) (int, any, error) {
	var r backoffice.OTPVerifyRequest
	if err := q.decode(&r); err != nil {
		return 0, nil, err
	}
	id := q.params["challenge_id"]
	var outErr error
	err := o.DB.withTx(ctx, func(tx *sql.Tx) error {
		var code, expires string
		var left, verified int
		err := tx.QueryRowContext(ctx, `SELECT code, expires_at, attempts_left, verified FROM otp WHERE id = ?`, id).Scan(&code, &expires, &left, &verified)
		if isNoRows(err) {
			return problem(http.StatusNotFound, backoffice.CodeNotFound, "no such challenge")
		}
		if err != nil {
			return err
		}
		switch {
		case verified == 1:
			return nil // verified before (a retry with a new key): still right
		case !q.now.Before(parseTS(expires)):
			return problem(http.StatusGone, backoffice.CodeOTPExpired, "the code expired: send a new one")
		case left <= 0:
			return problem(http.StatusTooManyRequests, backoffice.CodeOTPLocked, "too many wrong codes: send a new one")
		case r.Code != code:
			left--
			if _, err := tx.ExecContext(ctx, `UPDATE otp SET attempts_left = ? WHERE id = ?`, left, id); err != nil {
				return err
			}
			// Commit the spent attempt, answer the problem after.
			p := backoffice.NewProblem(http.StatusUnprocessableEntity, backoffice.CodeOTPWrong, "wrong code")
			p.AttemptsLeft = &left
			outErr = &apiError{p}
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE otp SET verified = 1 WHERE id = ?`, id)
		return err
	})
	if err == nil {
		err = outErr
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, backoffice.OTPVerification{ChallengeID: id, Verified: true}, nil
}

func hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	k, err := pbkdf2.Key(sha256.New, pw, salt, pbkdf2Rounds, 32)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", pbkdf2Rounds, hex.EncodeToString(salt), hex.EncodeToString(k)), nil
}

// openPassword opens the sealed service password (bound to the challenge) with the
// back office's key and hashes it; the clear digits live only in this call.
func (o *Office) openPassword(r backoffice.OneAccountRequest) (sql.NullString, error) {
	if r.SealedServicePassword == "" {
		return sql.NullString{}, nil
	}
	if o.SealKey == nil {
		return sql.NullString{}, problem(http.StatusServiceUnavailable, backoffice.CodeUnavailable, "this back office has no key to open sealed passwords")
	}
	ct, err := base64.StdEncoding.DecodeString(r.SealedServicePassword)
	if err != nil {
		return sql.NullString{}, problem(http.StatusBadRequest, backoffice.CodeInvalidRequest, "sealed_service_password is not base64")
	}
	pw, err := sealbox.Open(o.SealKey, ct, r.OTPChallengeID)
	defer clear(pw)
	if err != nil {
		return sql.NullString{}, problem(http.StatusUnprocessableEntity, backoffice.CodeInvalidRequest, "the sealed service password does not open for this challenge")
	}
	if len(pw) != 4 || strings.Trim(string(pw), "0123456789") != "" {
		return sql.NullString{}, problem(http.StatusUnprocessableEntity, backoffice.CodeInvalidRequest, "the service password must be 4 digits")
	}
	h, err := hashPassword(string(pw))
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: h, Valid: true}, nil
}

func (o *Office) createOneAccount(ctx context.Context, q *request) (int, any, error) {
	var r backoffice.OneAccountRequest
	if err := q.decode(&r); err != nil {
		return 0, nil, err
	}
	if err := checkKiosk(q, r.KioskID); err != nil {
		return 0, nil, err
	}
	pwHash, err := o.openPassword(r)
	if err != nil {
		return 0, nil, err
	}
	var out backoffice.OneAccount
	err = o.DB.withTx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT account_status FROM residents WHERE subject = ?`, r.Subject).Scan(&status)
		if isNoRows(err) {
			return problem(http.StatusUnprocessableEntity, backoffice.CodeInvalidRequest, "no resident with this subject")
		}
		if err != nil {
			return err
		}
		if status != backoffice.AccountNone {
			return problem(http.StatusConflict, backoffice.CodeAccountExists, "the resident already has a One Account")
		}
		var subject, phone string
		var verified, used int
		err = tx.QueryRowContext(ctx, `SELECT subject, phone, verified, used FROM otp WHERE id = ?`, r.OTPChallengeID).Scan(&subject, &phone, &verified, &used)
		if isNoRows(err) || (err == nil && (subject != r.Subject || phone != r.Phone || verified != 1 || used != 0)) {
			return problem(http.StatusUnprocessableEntity, backoffice.CodeOTPNotVerified, "no verified, unused SMS code for this resident and phone")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE otp SET used = 1 WHERE id = ?`, r.OTPChallengeID); err != nil {
			return err
		}
		out = backoffice.OneAccount{AccountID: opaqueID(), Status: backoffice.AccountActive, CreatedAt: q.now, ServicePasswordSet: pwHash.Valid}
		_, err = tx.ExecContext(ctx, `UPDATE residents SET account_status = ?, account_id = ?, account_phone = ?, account_email = NULLIF(?, ''), account_kiosk = ?, account_created_at = ?, password_hash = ?, device_bound = 0
			WHERE subject = ?`, backoffice.AccountActive, out.AccountID, r.Phone, r.Email, r.KioskID, ts(q.now), pwHash, r.Subject)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, out, nil
}

func (o *Office) startEIDBinding(ctx context.Context, q *request) (int, any, error) {
	var r backoffice.EIDBindingRequest
	if err := q.decode(&r); err != nil {
		return 0, nil, err
	}
	if err := checkKiosk(q, r.KioskID); err != nil {
		return 0, nil, err
	}
	var out backoffice.EIDBinding
	err := o.DB.withTx(ctx, func(tx *sql.Tx) error {
		var status string
		var bound int
		err := tx.QueryRowContext(ctx, `SELECT account_status, device_bound FROM residents WHERE subject = ?`, r.Subject).Scan(&status, &bound)
		if isNoRows(err) {
			return problem(http.StatusNotFound, backoffice.CodeNotFound, "no resident with this subject")
		}
		if err != nil {
			return err
		}
		if status != backoffice.AccountActive {
			return problem(http.StatusConflict, backoffice.CodeAccountMissing, "the resident has no active One Account")
		}
		if bound == 1 {
			return problem(http.StatusConflict, backoffice.CodeAlreadyBound, "the eID is already bound to a phone: rebinding is a counter task")
		}
		out = backoffice.EIDBinding{BindingID: opaqueID(), Status: backoffice.BindingPending, ExpiresAt: q.now.Add(BindingTTL)}
		if out.QRPayload, err = signQR(o.Key, qrKindBind, bindClaims{BindingID: out.BindingID, Exp: out.ExpiresAt.Unix()}); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO bindings(id, subject, kiosk_id, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			out.BindingID, r.Subject, r.KioskID, backoffice.BindingPending, ts(q.now), ts(out.ExpiresAt))
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, out, nil
}

func (o *Office) binding(ctx context.Context, db queryer, id string, now time.Time) (backoffice.EIDBinding, string, error) {
	var b backoffice.EIDBinding
	var subject, expires string
	var bound sql.NullString
	err := db.QueryRowContext(ctx, `SELECT id, subject, status, expires_at, bound_at FROM bindings WHERE id = ?`, id).Scan(&b.BindingID, &subject, &b.Status, &expires, &bound)
	if isNoRows(err) {
		return b, "", problem(http.StatusNotFound, backoffice.CodeNotFound, "no such binding")
	}
	if err != nil {
		return b, "", err
	}
	b.ExpiresAt, b.BoundAt = parseTS(expires), nullTS(bound)
	if b.Status == backoffice.BindingPending && !now.Before(b.ExpiresAt) {
		b.Status = backoffice.BindingExpired
	}
	return b, subject, nil
}

func (o *Office) getEIDBinding(ctx context.Context, q *request) (int, any, error) {
	b, _, err := o.binding(ctx, o.DB, q.params["binding_id"], q.now)
	if err != nil {
		return 0, nil, err
	}
	if b.Status == backoffice.BindingPending {
		if b.QRPayload, err = signQR(o.Key, qrKindBind, bindClaims{BindingID: b.BindingID, Exp: b.ExpiresAt.Unix()}); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, b, nil
}

// ScanBinding is the One Account app's side: it scanned the kiosk's binding QR.
func (o *Office) ScanBinding(ctx context.Context, payload string) (backoffice.EIDBinding, error) {
	var c bindClaims
	if err := verifyQR(o.Key.Public().(ed25519.PublicKey), qrKindBind, payload, &c); err != nil {
		return backoffice.EIDBinding{}, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	if now.Unix() >= c.Exp {
		return backoffice.EIDBinding{}, problem(http.StatusGone, backoffice.CodeQRExpired, "the binding QR expired: start again at the kiosk")
	}
	var out backoffice.EIDBinding
	err := o.DB.withTx(ctx, func(tx *sql.Tx) error {
		b, subject, err := o.binding(ctx, tx, c.BindingID, now)
		if err != nil {
			return err
		}
		if b.Status != backoffice.BindingPending {
			return problem(http.StatusConflict, backoffice.CodeQRReplayed, "the binding is "+b.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bindings SET status = ?, bound_at = ? WHERE id = ?`, backoffice.BindingBound, ts(now), b.BindingID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE residents SET device_bound = 1 WHERE subject = ?`, subject); err != nil {
			return err
		}
		out, _, err = o.binding(ctx, tx, b.BindingID, now)
		return err
	})
	return out, err
}

// EIDLoginQR is the One Account app's dynamic eID code for a resident whose eID is
// bound to a phone.
func (o *Office) EIDLoginQR(ctx context.Context, subject string) (string, error) {
	return o.EIDLoginQRFor(ctx, subject, EIDLoginTTL)
}

// EIDLoginQRFor is EIDLoginQR valid for ttl (at most EIDLoginTTL): testers make a
// code that expires before it is shown.
func (o *Office) EIDLoginQRFor(ctx context.Context, subject string, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > EIDLoginTTL {
		return "", fmt.Errorf("an eID code is valid for more than 0 and at most %s", EIDLoginTTL)
	}
	var accountID sql.NullString
	var bound int
	err := o.DB.QueryRowContext(ctx, `SELECT account_id, device_bound FROM residents WHERE subject = ?`, subject).Scan(&accountID, &bound)
	if isNoRows(err) {
		return "", fmt.Errorf("no resident with this subject")
	}
	if err != nil {
		return "", err
	}
	if !accountID.Valid || bound != 1 {
		return "", fmt.Errorf("this resident's eID is not bound to a phone")
	}
	// exp is whole seconds: round up, so a code is never shorter-lived than asked.
	exp := o.now().Add(ttl)
	return signQR(o.Key, qrKindLogin, loginClaims{AccountID: accountID.String, Nonce: opaqueID(), Exp: exp.Add(time.Second - 1).Truncate(time.Second).Unix()})
}

func (o *Office) verifyEIDLogin(ctx context.Context, q *request) (int, any, error) {
	var r backoffice.EIDLoginRequest
	if err := q.decode(&r); err != nil {
		return 0, nil, err
	}
	if err := checkKiosk(q, r.KioskID); err != nil {
		return 0, nil, err
	}
	var c loginClaims
	if err := verifyQR(o.Key.Public().(ed25519.PublicKey), qrKindLogin, r.QRPayload, &c); err != nil {
		return 0, nil, problem(http.StatusUnprocessableEntity, backoffice.CodeQRInvalid, "not a valid eID code")
	}
	if q.now.Unix() >= c.Exp {
		return 0, nil, problem(http.StatusGone, backoffice.CodeQRExpired, "the eID code expired: show a fresh one")
	}
	var out backoffice.EIDLogin
	err := o.DB.withTx(ctx, func(tx *sql.Tx) error {
		var subject string
		var bound int
		var holder, format sql.NullString
		var photo []byte
		err := tx.QueryRowContext(ctx, `SELECT subject, device_bound, holder, photo, photo_format FROM residents WHERE account_id = ? AND account_status = ?`,
			c.AccountID, backoffice.AccountActive).Scan(&subject, &bound, &holder, &photo, &format)
		if isNoRows(err) || (err == nil && bound != 1) {
			return problem(http.StatusUnprocessableEntity, backoffice.CodeQRInvalid, "no bound eID for this code")
		}
		if err != nil {
			return err
		}
		var h backoffice.EIDHolder
		if !holder.Valid || len(photo) == 0 || json.Unmarshal([]byte(holder.String), &h) != nil {
			// Checked before the nonce is spent: the same code works once the record is complete.
			return problem(http.StatusConflict, backoffice.CodeConflict, "no identification record or reference photo on file: the card is needed")
		}
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO eid_nonces(nonce, used_at) VALUES (?, ?)`, c.Nonce, ts(q.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem(http.StatusConflict, backoffice.CodeQRReplayed, "this eID code was already used")
		}
		out = backoffice.EIDLogin{Subject: subject, VerifiedAt: q.now, Holder: h,
			Photo: backoffice.ReferencePhoto{Format: format.String, Data: photo}}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// checkPhoto decides an application's document photo: a JPEG taken at the kiosk, or
// the My Photo on file, which the resident may choose only when there is one. A
// service that prints no photo carries none.
func checkPhoto(ctx context.Context, tx *sql.Tx, a backoffice.ApplicationSubmission) (source, jpegData any, err error) {
	p := a.Photo
	if p == nil {
		return nil, nil, nil
	}
	if !kiosk.NeedsPhoto(a.Service) {
		return nil, nil, problem(http.StatusUnprocessableEntity, backoffice.CodeInvalidRequest, "this service takes no photo")
	}
	switch p.Source {
	case kiosk.PhotoSourceKiosk:
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.JPEG))
		if err != nil || cfg.Width < 240 || cfg.Height*35 < cfg.Width*44 || cfg.Height*35 > cfg.Width*46 {
			return nil, nil, problem(http.StatusUnprocessableEntity, backoffice.CodeInvalidRequest, "the photo is not a 35:45 JPEG at least 240 pixels wide")
		}
		return p.Source, p.JPEG, nil
	case kiosk.PhotoSourceMyPhoto:
		var on int
		if err := tx.QueryRowContext(ctx, `SELECT my_photo FROM residents WHERE subject = ?`, a.Subject).Scan(&on); err != nil {
			return nil, nil, err
		}
		if on != 1 {
			return nil, nil, problem(http.StatusUnprocessableEntity, backoffice.CodeInvalidRequest, "no My Photo on file for this resident")
		}
		return p.Source, nil, nil
	}
	return nil, nil, problem(http.StatusUnprocessableEntity, backoffice.CodeInvalidRequest, "unknown photo source")
}
