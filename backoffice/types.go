package backoffice

import (
	"fmt"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// The wire types of api/backoffice.yaml. The reference back office (cmd/kiosk-backoffice)
// uses them too; the contract tests check both sides against the document, so a field
// renamed here and not there (or the reverse) fails a test.

// Residency is the kind of resident identity card.
type Residency string

const (
	Permanent    Residency = "permanent"
	NonPermanent Residency = "non-permanent"
)

// TravelDocument is a current travel document: only its expiry (YYYY-MM-DD).
type TravelDocument struct {
	Expiry string `json:"expiry"`
}

// One Account statuses.
const (
	AccountNone      = "none"
	AccountActive    = "active"
	AccountSuspended = "suspended"
)

// OneAccountStatus is the resident's One Account as the back office knows it.
type OneAccountStatus struct {
	Status              string     `json:"status"`
	DeviceBound         bool       `json:"device_bound"`
	PasswordLockedUntil *time.Time `json:"password_locked_until,omitempty"`
}

// PendingApplication is an application the back office is still processing.
type PendingApplication struct {
	Service     kiosk.ServiceID `json:"service"`
	SubmittedOn string          `json:"submitted_on"`
}

// Resident is the answer to a lookup by keyed subject.
type Resident struct {
	Subject       string               `json:"subject"`
	Residency     Residency            `json:"residency"`
	Nationality   string               `json:"nationality"`
	Passport      *TravelDocument      `json:"passport"`
	TravelPermit  *TravelDocument      `json:"travel_permit"`
	OtherTravel   bool                 `json:"other_travel_document"`
	CounterOnly   bool                 `json:"counter_only"`
	OneAccount    OneAccountStatus     `json:"one_account"`
	Pending       []PendingApplication `json:"pending_applications"`
	MyPhotoOnFile bool                 `json:"my_photo_on_file"`
}

// Record is the part of the resident the kiosk's rules use (kiosk.ResidentRecord).
// The residency is not mapped: the card itself carries it (DG12, signed), and the
// kiosk's rules trust the card over any record.
func (r Resident) Record() (kiosk.ResidentRecord, error) {
	out := kiosk.ResidentRecord{
		Nationality:         r.Nationality,
		OtherTravelDocument: r.OtherTravel,
		CounterOnly:         r.CounterOnly,
		MyPhoto:             r.MyPhotoOnFile,
	}
	var err error
	if out.Passport, err = r.Passport.kiosk("passport"); err != nil {
		return kiosk.ResidentRecord{}, err
	}
	if out.TravelPermit, err = r.TravelPermit.kiosk("travel_permit"); err != nil {
		return kiosk.ResidentRecord{}, err
	}
	out.OneAccount = kiosk.OneAccountStatus{
		Exists:      r.OneAccount.Status != "" && r.OneAccount.Status != AccountNone,
		DeviceBound: r.OneAccount.DeviceBound,
	}
	if r.OneAccount.PasswordLockedUntil != nil {
		out.OneAccount.PasswordLockedUntil = *r.OneAccount.PasswordLockedUntil
	}
	for _, p := range r.Pending {
		out.Pending = append(out.Pending, p.Service)
	}
	return out, nil
}

func (d *TravelDocument) kiosk(field string) (*kiosk.TravelDocument, error) {
	if d == nil {
		return nil, nil
	}
	date, err := ParseDate(d.Expiry)
	if err != nil {
		return nil, fmt.Errorf("backoffice: resident %s expiry: %w", field, err)
	}
	return &kiosk.TravelDocument{Expiry: date}, nil
}

// ParseDate reads a contract date (YYYY-MM-DD) as a calendar date.
func ParseDate(s string) (kiosk.Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return kiosk.Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return kiosk.DateOf(t), nil
}

// AuditAnchor is the kiosk's audit chain head: the last row's sequence number and its
// chain MAC in lower-case hex (Seq 0 and 64 zeros for an empty log).
type AuditAnchor struct {
	Seq int64  `json:"seq"`
	MAC string `json:"mac"`
}

// ApplicationSubmission is one application as delivered: the kiosk's outbox message
// plus the audit chain head at delivery.
type ApplicationSubmission struct {
	kiosk.ApplicationMessage
	// Sealed holds secret fields sealed to the back office's key (base64), never in
	// Form. Declared here as well as (soon) in kiosk.ApplicationMessage: the outer
	// field wins in encoding/json, and Submit copies the message through JSON, so
	// whatever the kiosk sealed is sent either way.
	Sealed      map[string]string `json:"sealed,omitempty"`
	AuditAnchor AuditAnchor       `json:"audit_anchor"`
}

// Application statuses.
const (
	ApplicationReceived = "received"
)

// ApplicationReceipt is the back office's acknowledgement of an application.
type ApplicationReceipt struct {
	Reference  string    `json:"reference"`
	Status     string    `json:"status"`
	ReceivedAt time.Time `json:"received_at"`
	// CollectFrom is the earliest collection day (YYYY-MM-DD, Macau), "" when nothing
	// is collected or the back office does not know yet.
	CollectFrom string `json:"collect_from,omitempty"`
}

// PaymentOrderRequest asks for the payment order of an application.
type PaymentOrderRequest struct {
	Service kiosk.ServiceID `json:"service"`
	Amount  int             `json:"amount_avos"`
	KioskID string          `json:"kiosk_id"`
	// Method is MethodQR (also when empty) or MethodCard.
	Method string `json:"method,omitempty"`
}

// Payment methods of an order.
const (
	MethodQR   = "qr"
	MethodCard = "card"
)

// CardCapture is a card terminal's approval, which makes a card order paid.
type CardCapture struct {
	ApprovalCode string `json:"approval_code"`
	Amount       int    `json:"amount_avos"`
	TerminalID   string `json:"terminal_id"`
}

// Payment order statuses.
const (
	OrderPending   = "pending"
	OrderPaid      = "paid"
	OrderDeclined  = "declined"
	OrderCancelled = "cancelled"
	OrderExpired   = "expired"
	OrderRefunded  = "refunded"
)

// PaymentOrder is an application's payment order, keyed by the application reference.
type PaymentOrder struct {
	Reference string          `json:"reference"`
	Service   kiosk.ServiceID `json:"service"`
	Amount    int             `json:"amount_avos"`
	Currency  string          `json:"currency"`
	Status    string          `json:"status"`
	Method    string          `json:"method"`
	// ProviderRef is the wallet's transaction id or the terminal's approval code,
	// once paid.
	ProviderRef string     `json:"provider_ref,omitempty"`
	QRPayload   string     `json:"qr_payload"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	PaidAt      *time.Time `json:"paid_at,omitempty"`
	RefundedAt  *time.Time `json:"refunded_at,omitempty"`
}

// Refund reasons.
const (
	RefundSubmissionFailed  = "submission-failed"
	RefundResidentCancelled = "resident-cancelled"
	RefundDuplicatePayment  = "duplicate-payment"
	RefundStaff             = "staff"
)

// RefundRequest says why a paid order is refunded.
type RefundRequest struct {
	Reason string `json:"reason"`
}

// OTPPurposeOneAccount is the only OTP purpose so far.
const OTPPurposeOneAccount = "one-account"

// OTPRequest asks for an SMS one-time code.
type OTPRequest struct {
	Subject  string         `json:"subject"`
	Phone    string         `json:"phone"`
	Purpose  string         `json:"purpose"`
	Language kiosk.Language `json:"language"`
}

// OTPChallenge is a sent code, to be verified by its id.
type OTPChallenge struct {
	ChallengeID string    `json:"challenge_id"`
	ExpiresAt   time.Time `json:"expires_at"`
	CodeLength  int       `json:"code_length"`
}

// OTPVerifyRequest carries the code the resident typed.
type OTPVerifyRequest struct {
	Code string `json:"code"`
}

// OTPVerification is a right code.
type OTPVerification struct {
	ChallengeID string `json:"challenge_id"`
	Verified    bool   `json:"verified"`
}

// OneAccountRequest opens a One Account. The service password is optional and
// travels only in this synchronous call, sealed to the back office's key (base64 of
// sealbox's ciphertext, context the challenge id): the kiosk never stores it.
type OneAccountRequest struct {
	Subject               string         `json:"subject"`
	Phone                 string         `json:"phone"`
	OTPChallengeID        string         `json:"otp_challenge_id"`
	KioskID               string         `json:"kiosk_id"`
	Language              kiosk.Language `json:"language"`
	TermsAccepted         bool           `json:"terms_accepted"`
	Email                 string         `json:"email,omitempty"`
	SealedServicePassword string         `json:"sealed_service_password,omitempty"`
}

// OneAccount is an opened account.
type OneAccount struct {
	AccountID          string    `json:"account_id"`
	Status             string    `json:"status"`
	CreatedAt          time.Time `json:"created_at"`
	ServicePasswordSet bool      `json:"service_password_set"`
}

// EIDBindingRequest starts binding a resident's eID to a phone.
type EIDBindingRequest struct {
	Subject string `json:"subject"`
	KioskID string `json:"kiosk_id"`
}

// eID binding statuses.
const (
	BindingPending = "pending"
	BindingBound   = "bound"
	BindingExpired = "expired"
)

// EIDBinding is a binding session; QRPayload is set only while it is pending.
type EIDBinding struct {
	BindingID string     `json:"binding_id"`
	Status    string     `json:"status"`
	QRPayload string     `json:"qr_payload,omitempty"`
	ExpiresAt time.Time  `json:"expires_at"`
	BoundAt   *time.Time `json:"bound_at,omitempty"`
}

// EIDLoginRequest carries an eID QR code read by the kiosk's camera.
type EIDLoginRequest struct {
	QRPayload string `json:"qr_payload"`
	KioskID   string `json:"kiosk_id"`
}

// EIDLogin is a verified eID QR: the resident's subject, identification record and
// reference photo (an eID session has no card to read them from).
type EIDLogin struct {
	Subject    string         `json:"subject"`
	VerifiedAt time.Time      `json:"verified_at"`
	Holder     EIDHolder      `json:"holder"`
	Photo      ReferencePhoto `json:"photo"`
}

// EIDNames are the holder's names as the card stores them.
type EIDNames struct {
	Chinese    string `json:"chinese,omitempty"`
	Portuguese string `json:"portuguese,omitempty"`
	Primary    string `json:"primary"`
	Secondary  string `json:"secondary,omitempty"`
}

// EIDHolder is what the card's DG1, DG11 and DG12 would say, from DSI's records;
// dates are YYYY-MM-DD, CardExpiry "" when the card has no expiry.
type EIDHolder struct {
	Names       EIDNames  `json:"names"`
	Sex         string    `json:"sex"`
	BirthDate   string    `json:"birth_date"`
	Residency   Residency `json:"residency"`
	Nationality string    `json:"nationality"`
	CardIssue   string    `json:"card_issue_date"`
	CardExpiry  string    `json:"card_expiry_date,omitempty"`
}

// MaxReferencePhoto bounds the reference photo (the contract's limit before base64).
const MaxReferencePhoto = 192 << 10

// ReferencePhoto is an encoded face image; Data is base64 on the wire ([]byte).
type ReferencePhoto struct {
	Format string `json:"format"` // jpeg or jp2
	Data   []byte `json:"data"`
}

// Identity turns a verified login into what the kiosk's session uses. A record the
// kiosk cannot use (a bad date, no photo) is an error, never a half-filled holder.
func (l EIDLogin) Identity() (*kiosk.EIDIdentity, error) {
	bad := func(what string, err error) (*kiosk.EIDIdentity, error) {
		if err != nil {
			return nil, fmt.Errorf("backoffice: eID login %s: %w", what, err)
		}
		return nil, fmt.Errorf("backoffice: eID login %s", what)
	}
	h := l.Holder
	day := func(s string) (time.Time, error) {
		if _, err := ParseDate(s); err != nil {
			return time.Time{}, err
		}
		return time.Parse(time.DateOnly, s)
	}
	birth, err := day(h.BirthDate)
	if err != nil {
		return bad("birth date", err)
	}
	issue, err := day(h.CardIssue)
	if err != nil {
		return bad("card issue date", err)
	}
	var expiry time.Time
	if h.CardExpiry != "" {
		if expiry, err = day(h.CardExpiry); err != nil {
			return bad("card expiry date", err)
		}
	}
	switch {
	case l.Photo.Format != "jpeg" && l.Photo.Format != "jp2":
		return bad("photo format "+fmt.Sprintf("%q", l.Photo.Format), nil)
	case len(l.Photo.Data) == 0 || len(l.Photo.Data) > MaxReferencePhoto:
		return bad(fmt.Sprintf("photo of %d bytes", len(l.Photo.Data)), nil)
	case h.Residency != Permanent && h.Residency != NonPermanent:
		return bad("residency", nil)
	}
	return &kiosk.EIDIdentity{
		Subject: l.Subject,
		Holder: kiosk.CardHolder{
			Names:       kiosk.Names{Chinese: h.Names.Chinese, Portuguese: h.Names.Portuguese, Primary: h.Names.Primary, Secondary: h.Names.Secondary},
			Sex:         h.Sex,
			BirthDate:   birth,
			IssueDate:   issue,
			ExpiryDate:  expiry,
			Nationality: h.Nationality,
			Residency:   kiosk.Residency(h.Residency),
			Photo:       kiosk.FacePhoto{Format: l.Photo.Format, Data: l.Photo.Data},
		},
	}, nil
}

// Health is the back office's liveness answer.
type Health struct {
	Status string     `json:"status"`
	Time   *time.Time `json:"time,omitempty"`
}
