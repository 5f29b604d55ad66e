package office_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/cmd/kiosk-backoffice/internal/office"
	"github.com/macau-dsi/kiosk/kiosk"
)

func app(h *harness, ref string, svc kiosk.ServiceID, card string, fee int) kiosk.ApplicationMessage {
	return kiosk.ApplicationMessage{
		Reference: ref, Service: svc, Subject: h.hasher.Hash(card), KioskID: testKiosk, Language: kiosk.LangPT,
		Fee: fee, Form: map[string]string{kiosk.FieldCollectionOffice: "office_central", kiosk.FieldPhoneNumber: testPhone},
		CreatedAt: "2026-11-28T01:59:00Z", Verified: "face",
	}
}

func problemCode(err error) string {
	var e *backoffice.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return ""
}

// TestContractWalk drives every operation of the contract through the kiosk's client
// against the reference back office, with each request and answer checked against
// api/backoffice.yaml by the recorder (kin-openapi's openapi3filter).
func TestContractWalk(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	ctx := context.Background()
	demo := h.hasher.Hash(cardDemo)

	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}

	// Lookup: the demo card's coherent record.
	r, err := c.Resident(ctx, demo)
	if err != nil {
		t.Fatal(err)
	}
	today := kiosk.DateOf(h.clock.Now().In(kiosk.MacauTime))
	if r.Residency != backoffice.Permanent || r.Nationality != "CHN" || !r.MyPhotoOnFile || r.Passport == nil ||
		r.Passport.Expiry != today.AddMonths(4).String() || r.TravelPermit != nil || r.OneAccount.Status != backoffice.AccountNone {
		t.Fatalf("demo resident = %+v", r)
	}
	rec, err := c.Lookup(ctx, demo)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Passport == nil || rec.Passport.Expiry != today.AddMonths(4) || rec.OneAccount.Exists {
		t.Fatalf("Lookup = %+v", rec)
	}

	// Payment order keyed by the reference: asking again after a "crash" (new key)
	// finds the same order.
	o1, err := c.CreatePaymentOrder(ctx, "order-"+testRef+"-1", testRef, backoffice.PaymentOrderRequest{Service: kiosk.ServicePassport, Amount: passportFee})
	if err != nil {
		t.Fatal(err)
	}
	if h.last().status != http.StatusCreated || o1.Status != backoffice.OrderPending || o1.Currency != "MOP" || o1.QRPayload == "" {
		t.Fatalf("order = %+v (status %d)", o1, h.last().status)
	}
	o2, err := c.CreatePaymentOrder(ctx, "order-"+testRef+"-2", testRef, backoffice.PaymentOrderRequest{Service: kiosk.ServicePassport, Amount: passportFee})
	if err != nil || h.last().status != http.StatusOK || o2.QRPayload != o1.QRPayload || !o2.CreatedAt.Equal(o1.CreatedAt) {
		t.Fatalf("order asked again = %+v, %v (status %d)", o2, err, h.last().status)
	}
	if _, err := c.CreatePaymentOrder(ctx, "order-"+testRef+"-3", testRef, backoffice.PaymentOrderRequest{Service: kiosk.ServicePassport, Amount: passportFee + 1}); !errors.Is(err, backoffice.ErrConflict) {
		t.Fatalf("same reference, other amount: %v", err)
	}

	// Nothing is submitted unpaid.
	msg := app(h, testRef, kiosk.ServicePassport, cardDemo, passportFee)
	if _, err := c.Submit(ctx, testRef, msg); !errors.Is(err, backoffice.ErrConflict) || problemCode(err) != backoffice.CodePaymentRequired {
		t.Fatalf("unpaid submission: %v", err)
	}
	if _, err := h.office.DecidePayment(ctx, testRef, true); err != nil {
		t.Fatal(err)
	}
	if o, err := c.PaymentOrder(ctx, testRef); err != nil || o.Status != backoffice.OrderPaid || o.PaidAt == nil {
		t.Fatalf("paid order = %+v, %v", o, err)
	}
	// The outbox retries under the same key once paid: the refusal was not kept. The
	// answer has the earliest collection day: 10 working days after Saturday 28
	// November in Macau.
	ans, err := c.Submit(ctx, testRef, msg)
	if err != nil {
		t.Fatal(err)
	}
	if want := (kiosk.Date{Year: 2026, Month: time.December, Day: 11}); ans.CollectFrom != want {
		t.Fatalf("collection date %v, want %v", ans.CollectFrom, want)
	}
	if got, err := c.Application(ctx, testRef); err != nil || got.Status != backoffice.ApplicationReceived || got.CollectFrom != "2026-12-11" {
		t.Fatalf("application = %+v, %v", got, err)
	}
	var listed strings.Builder // testers see it too
	if err := h.office.List(ctx, &listed); err != nil || !strings.Contains(listed.String(), "2026-12-11") {
		t.Fatalf("kiosk-backoffice list: %v\n%s", err, listed.String())
	}
	var seq int64
	var mac string
	if err := h.office.DB.QueryRow(`SELECT seq, mac FROM audit_anchors WHERE kiosk_id = ?`, testKiosk).Scan(&seq, &mac); err != nil || seq != 7 || mac != strings.Repeat("ab", 32) {
		t.Fatalf("audit anchor kept = %d %s, %v", seq, mac, err)
	}
	if r, err := c.Resident(ctx, demo); err != nil || len(r.Pending) != 1 || r.Pending[0].Service != kiosk.ServicePassport {
		t.Fatalf("pending after submission = %+v, %v", r.Pending, err)
	}

	// Cancel and refund.
	if _, err := c.CancelPaymentOrder(ctx, "cancel-"+testRef, testRef); !errors.Is(err, backoffice.ErrConflict) || problemCode(err) != backoffice.CodeOrderPaid {
		t.Fatalf("cancelling a paid order: %v", err)
	}
	if o, err := c.RefundPaymentOrder(ctx, "refund-"+testRef, testRef, backoffice.RefundStaff); err != nil || o.Status != backoffice.OrderRefunded || o.RefundedAt == nil {
		t.Fatalf("refund = %+v, %v", o, err)
	}
	if _, err := c.RefundPaymentOrder(ctx, "refund-"+testRef+"-again", testRef, backoffice.RefundStaff); problemCode(err) != backoffice.CodeOrderNotPaid {
		t.Fatalf("refunding twice: %v", err)
	}
	if _, err := c.CreatePaymentOrder(ctx, "order-"+testRef2, testRef2, backoffice.PaymentOrderRequest{Service: kiosk.ServiceIDRenewal, Amount: 9000}); err != nil {
		t.Fatal(err)
	}
	if o, err := c.CancelPaymentOrder(ctx, "cancel-"+testRef2, testRef2); err != nil || o.Status != backoffice.OrderCancelled {
		t.Fatalf("cancel = %+v, %v", o, err)
	}
	if _, err := h.office.DecidePayment(ctx, testRef2, true); err == nil {
		t.Fatal("the wallet paid a cancelled order")
	}

	// Card terminal: a card order has no QR, no wallet can pay it, the terminal's
	// approval makes it paid (even after a cancel that raced the tap), the same
	// approval again is answered with the paid order, another one is refused.
	co, err := c.CreatePaymentOrder(ctx, "order-"+testRef3, testRef3, backoffice.PaymentOrderRequest{Service: kiosk.ServicePassport, Amount: passportFee, Method: backoffice.MethodCard})
	if err != nil || co.Method != backoffice.MethodCard || co.QRPayload != "" || co.Status != backoffice.OrderPending {
		t.Fatalf("card order = %+v, %v", co, err)
	}
	if _, err := c.CreatePaymentOrder(ctx, "order-"+testRef3+"-qr", testRef3, backoffice.PaymentOrderRequest{Service: kiosk.ServicePassport, Amount: passportFee}); !errors.Is(err, backoffice.ErrConflict) {
		t.Fatalf("same reference, other method: %v", err)
	}
	if _, err := h.office.DecidePayment(ctx, testRef3, true); err == nil {
		t.Fatal("the wallet paid a card order")
	}
	capture := backoffice.CardCapture{ApprovalCode: "A1B2C3", Amount: passportFee, TerminalID: "sim-01"}
	if _, err := c.CaptureCardPayment(ctx, "capture-"+testRef3+"-0", testRef3, backoffice.CardCapture{ApprovalCode: "A1B2C3", Amount: passportFee - 1, TerminalID: "sim-01"}); !errors.Is(err, backoffice.ErrConflict) {
		t.Fatalf("capture of another amount: %v", err)
	}
	if _, err := c.CancelPaymentOrder(ctx, "cancel-"+testRef3, testRef3); err != nil {
		t.Fatal(err)
	}
	paid, err := c.CaptureCardPayment(ctx, "capture-"+testRef3+"-1", testRef3, capture)
	if err != nil || paid.Status != backoffice.OrderPaid || paid.ProviderRef != "A1B2C3" || paid.PaidAt == nil {
		t.Fatalf("capture after a racing cancel = %+v, %v", paid, err)
	}
	if again, err := c.CaptureCardPayment(ctx, "capture-"+testRef3+"-2", testRef3, capture); err != nil || again.Status != backoffice.OrderPaid {
		t.Fatalf("the same approval again = %+v, %v", again, err)
	}
	if _, err := c.CaptureCardPayment(ctx, "capture-"+testRef3+"-3", testRef3, backoffice.CardCapture{ApprovalCode: "ZZZZ99", Amount: passportFee, TerminalID: "sim-01"}); !errors.Is(err, backoffice.ErrConflict) {
		t.Fatalf("a second approval: %v", err)
	}
	if _, err := c.CaptureCardPayment(ctx, "capture-"+testRef2, testRef2, capture); !errors.Is(err, backoffice.ErrConflict) {
		t.Fatalf("capture of a QR order: %v", err)
	}
	if _, err := c.Submit(ctx, testRef3, app(h, testRef3, kiosk.ServicePassport, cardDemo, passportFee)); err != nil {
		t.Fatalf("application paid by card: %v", err)
	}

	// One Account: SMS code, a wrong try, the right code, the account with its password.
	unb := h.hasher.Hash(cardMinor)
	ch, err := c.SendOTP(ctx, "otp-0001", backoffice.OTPRequest{Subject: unb, Phone: testPhone, Purpose: backoffice.OTPPurposeOneAccount, Language: kiosk.LangEN})
	if err != nil || ch.CodeLength != 6 {
		t.Fatalf("SendOTP = %+v, %v", ch, err)
	}
	sms, err := h.office.LastOTP(ctx)
	if err != nil || sms.ChallengeID != ch.ChallengeID || strings.Contains(sms.Phone, testPhone) {
		t.Fatalf("LastOTP = %+v, %v", sms, err)
	}
	wrong := "000000"
	if sms.Code == wrong {
		wrong = "111111"
	}
	_, err = c.VerifyOTP(ctx, "otp-1-v1", ch.ChallengeID, wrong)
	var be *backoffice.Error
	if !errors.As(err, &be) || !errors.Is(err, backoffice.ErrInvalid) || be.Code() != backoffice.CodeOTPWrong || be.Problem.AttemptsLeft == nil || *be.Problem.AttemptsLeft != 2 {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := c.CreateOneAccount(ctx, "acct-early", backoffice.OneAccountRequest{Subject: unb, Phone: testPhone, OTPChallengeID: ch.ChallengeID, Language: kiosk.LangEN}); problemCode(err) != backoffice.CodeOTPNotVerified {
		t.Fatalf("account before the code is verified: %v", err)
	}
	if v, err := c.VerifyOTP(ctx, "otp-1-v2", ch.ChallengeID, sms.Code); err != nil || !v.Verified {
		t.Fatalf("right code = %+v, %v", v, err)
	}
	// A password sealed for another challenge does not open: nothing is opened.
	if _, err := c.CreateOneAccount(ctx, "acct-wrong-seal", backoffice.OneAccountRequest{Subject: unb, Phone: testPhone, OTPChallengeID: ch.ChallengeID,
		Language: kiosk.LangEN, SealedServicePassword: h.seal("3971", "another-challenge")}); problemCode(err) != backoffice.CodeInvalidRequest {
		t.Fatalf("password sealed for another challenge: %v", err)
	}
	acct, err := c.CreateOneAccount(ctx, "acct-0001", backoffice.OneAccountRequest{Subject: unb, Phone: testPhone, OTPChallengeID: ch.ChallengeID,
		Language: kiosk.LangEN, Email: "chan@example.mo", SealedServicePassword: h.seal("3971", ch.ChallengeID)})
	if err != nil || acct.Status != backoffice.AccountActive || !acct.ServicePasswordSet {
		t.Fatalf("account = %+v, %v", acct, err)
	}
	var hash, email string
	if err := h.office.DB.QueryRow(`SELECT password_hash, account_email FROM residents WHERE subject = ?`, unb).Scan(&hash, &email); err != nil ||
		strings.Contains(hash, "3971") || !strings.HasPrefix(hash, "pbkdf2-sha256$") || email != "chan@example.mo" {
		t.Fatalf("stored password = %q, e-mail %q, %v", hash, email, err)
	}
	if _, err := c.CreateOneAccount(ctx, "acct-0002", backoffice.OneAccountRequest{Subject: unb, Phone: testPhone, OTPChallengeID: ch.ChallengeID, Language: kiosk.LangEN}); problemCode(err) != backoffice.CodeAccountExists {
		t.Fatalf("second account: %v", err)
	}

	// eID binding: the kiosk shows the QR, the app scans it, the kiosk sees it bound.
	b, err := c.StartEIDBinding(ctx, "bind-0001", unb)
	if err != nil || b.Status != backoffice.BindingPending || !strings.HasPrefix(b.QRPayload, "DSI1.B.") {
		t.Fatalf("binding = %+v, %v", b, err)
	}
	if got, err := c.EIDBinding(ctx, b.BindingID); err != nil || got.Status != backoffice.BindingPending {
		t.Fatalf("polled binding = %+v, %v", got, err)
	}
	if _, err := h.office.ScanBinding(ctx, brokenSignature(b.QRPayload)); err == nil {
		t.Fatal("the app accepted a QR with a broken signature")
	}
	if _, err := h.office.ScanBinding(ctx, b.QRPayload); err != nil {
		t.Fatal(err)
	}
	if got, err := c.EIDBinding(ctx, b.BindingID); err != nil || got.Status != backoffice.BindingBound || got.BoundAt == nil || got.QRPayload != "" {
		t.Fatalf("binding after scan = %+v, %v", got, err)
	}
	if rec, err := c.Lookup(ctx, unb); err != nil || !rec.OneAccount.Exists || !rec.OneAccount.DeviceBound {
		t.Fatalf("record after binding = %+v, %v", rec, err)
	}
	if _, err := c.StartEIDBinding(ctx, "bind-0002", unb); problemCode(err) != backoffice.CodeAlreadyBound {
		t.Fatalf("binding twice: %v", err)
	}

	// eID login: the app's code verifies once.
	qr, err := h.office.EIDLoginQR(ctx, unb)
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.VerifyEIDLogin(ctx, "login-001", qr)
	if err != nil || l.Subject != unb {
		t.Fatalf("eID login = %+v, %v", l, err)
	}
	// With the identification record and the reference photo the face match needs.
	if id, err := l.Identity(); err != nil || id.Holder.BirthDate.IsZero() || id.Holder.Residency == "" ||
		id.Holder.Names.Primary == "" || len(id.Holder.Photo.Data) < 1000 {
		t.Fatalf("eID login identity = %+v, %v", id, err)
	}
	if _, err := c.VerifyEIDLogin(ctx, "login-002", qr); problemCode(err) != backoffice.CodeQRReplayed {
		t.Fatalf("eID code used twice: %v", err)
	}
	if _, err := c.VerifyEIDLogin(ctx, "login-003", b.QRPayload); problemCode(err) != backoffice.CodeQRInvalid {
		t.Fatalf("a binding QR used as a login code: %v", err)
	}
	// No reference photo on file: refused, and the code is not spent by it.
	var photo []byte
	h.office.DB.QueryRow(`SELECT photo FROM residents WHERE subject = ?`, unb).Scan(&photo)
	h.office.DB.Exec(`UPDATE residents SET photo = NULL WHERE subject = ?`, unb)
	qrNoPhoto, _ := h.office.EIDLoginQR(ctx, unb)
	if _, err := c.VerifyEIDLogin(ctx, "login-005", qrNoPhoto); problemCode(err) != backoffice.CodeConflict {
		t.Fatalf("eID login without a reference photo: %v", err)
	}
	h.office.DB.Exec(`UPDATE residents SET photo = ? WHERE subject = ?`, photo, unb)
	if _, err := c.VerifyEIDLogin(ctx, "login-006", qrNoPhoto); err != nil {
		t.Fatalf("the same code once the photo is back: %v", err)
	}
	qr2, _ := h.office.EIDLoginQR(ctx, unb)
	h.clock.Add(2 * time.Minute)
	if _, err := c.VerifyEIDLogin(ctx, "login-004", qr2); !errors.Is(err, backoffice.ErrGone) {
		t.Fatalf("expired eID code: %v", err)
	}

	// Every operation of the contract was exercised, each with a success.
	ops := h.ops()
	for _, path := range h.doc.Paths.InMatchingOrder() {
		for _, op := range h.doc.Paths.Value(path).Operations() {
			st := ops[op.OperationID]
			if !slices.ContainsFunc(st, func(s int) bool { return s >= 200 && s < 300 }) {
				t.Errorf("operation %s never succeeded (statuses %v)", op.OperationID, st)
			}
		}
	}
}

// TestSeededRecords: each demo card's record is what its scenario says.
func TestSeededRecords(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	ctx := context.Background()
	today := kiosk.DateOf(h.clock.Now().In(kiosk.MacauTime))
	for _, tc := range []struct {
		card  string
		check func(r backoffice.Resident) bool
	}{
		{cardNonPerm, func(r backoffice.Resident) bool {
			return r.Residency == backoffice.NonPermanent && r.Passport == nil && r.TravelPermit != nil && r.TravelPermit.Expiry == today.AddMonths(3).String()
		}},
		{cardMinor, func(r backoffice.Resident) bool {
			return r.Passport != nil && r.Passport.Expiry == today.AddMonths(30).String() && !r.MyPhotoOnFile
		}},
		{cardPending, func(r backoffice.Resident) bool {
			return len(r.Pending) == 1 && r.Pending[0].Service == kiosk.ServiceIDRenewal
		}},
		{cardBound, func(r backoffice.Resident) bool {
			return r.Nationality == "PRT" && r.OtherTravel && !r.CounterOnly && r.OneAccount.Status == backoffice.AccountActive && r.OneAccount.DeviceBound
		}},
		{"10293847", func(r backoffice.Resident) bool { return r.CounterOnly && !r.OtherTravel }},
		{cardUnbound, func(r backoffice.Resident) bool {
			return r.OneAccount.Status == backoffice.AccountActive && !r.OneAccount.DeviceBound
		}},
	} {
		r, err := c.Resident(ctx, h.hasher.Hash(tc.card))
		if err != nil || !tc.check(r) {
			t.Errorf("card %s: %+v, %v", tc.card, r, err)
		}
	}
}

// TestExpiries: an unpaid order, a binding QR and a login code stop working after
// their time, whoever asks.
func TestExpiries(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	ctx := context.Background()
	if _, err := c.CreatePaymentOrder(ctx, "order-exp-0001", testRef, backoffice.PaymentOrderRequest{Service: kiosk.ServicePassport, Amount: passportFee}); err != nil {
		t.Fatal(err)
	}
	b, err := c.StartEIDBinding(ctx, "bind-exp-0001", h.hasher.Hash(cardUnbound))
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Add(office.OrderTTL)
	if o, err := c.PaymentOrder(ctx, testRef); err != nil || o.Status != backoffice.OrderExpired {
		t.Fatalf("order after its time: %+v, %v", o, err)
	}
	if _, err := h.office.DecidePayment(ctx, testRef, true); err == nil {
		t.Fatal("the wallet paid an expired order")
	}
	if got, err := c.EIDBinding(ctx, b.BindingID); err != nil || got.Status != backoffice.BindingExpired || got.QRPayload != "" {
		t.Fatalf("binding after its time: %+v, %v", got, err)
	}
	if _, err := h.office.ScanBinding(ctx, b.QRPayload); err == nil {
		t.Fatal("the app bound with an expired QR")
	}
	if rec, _ := c.Lookup(ctx, h.hasher.Hash(cardUnbound)); rec.OneAccount.DeviceBound {
		t.Fatal("bound through an expired QR")
	}
}

// brokenSignature changes one character in the middle of the payload's last part (the
// signature), always to a different one: overwriting its end could leave the decoded
// bytes unchanged (base64's last character carries unused bits).
func brokenSignature(qr string) string {
	b := []byte(qr)
	i := strings.LastIndexByte(qr, '.') + (len(qr)-strings.LastIndexByte(qr, '.'))/2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
