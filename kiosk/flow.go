package kiosk

import (
	"time"
)

// State is one screen of the resident's path. The UI renders exactly one screen per
// state; the names double as stable keys for screen titles ("screen.<state>").
type State string

const (
	StateAttract      State = "attract"        // language choice, waiting for a resident
	StateInsertCard   State = "insert_card"    // "please insert your card"
	StateReading      State = "reading"        // reading and verifying the chip (progress)
	StateCardProblem  State = "card_problem"   // not genuine / expired / unreadable: go to the counter
	StateFace         State = "face"           // live preview, guidance, liveness challenge
	StateFaceResult   State = "face_result"    // matched, or failed with attempts left
	StatePIN          State = "pin"            // PIN fallback after the face attempts are used up
	StateServiceMenu  State = "service_menu"   // services with eligibility and reasons
	StateCheckData    State = "check_data"     // the card's data for the resident to confirm
	StateServiceForm  State = "service_form"   // the chosen service's fields
	StateSummary      State = "summary"        // what will be submitted, with the fee
	StatePayment      State = "payment"        // pay the fee: wallet QR or card terminal
	StateSubmitting   State = "submitting"     // saving, queueing and printing (busy)
	StateDone         State = "done"           // receipt reference
	StateTakeCard     State = "take_card"      // "please take your card"
	StateOutOfService State = "out_of_service" // reader gone or maintenance
	StateCounter      State = "counter"        // "please go to the counter" with a reason
	StateStaffPIN     State = "staff_pin"      // staff mode: the staff PIN (staff card or hidden gesture)
	StateStaff        State = "staff"          // staff mode: health, counts, audit, maintenance, face, export, restart

	// One Account and eID binding (oneaccount.go).
	StateOAPhone    State = "one_account_phone"    // the mobile number for the SMS code
	StateOACode     State = "one_account_code"     // the SMS code, on the keypad; resend after a cooldown
	StateOAEmail    State = "one_account_email"    // optional e-mail
	StateOATerms    State = "one_account_terms"    // the terms, paged; accepted to go on
	StateOAPassword State = "one_account_password" // the optional service password, explained
	StateOAOpening  State = "one_account_opening"  // the back office opens the account (busy)
	StateOABind     State = "one_account_bind"     // the binding QR with its countdown, polled
	StateOADone     State = "one_account_done"     // account open, eID bound
)

// States lists every state, in path order, for tests and for the UI's screen registry.
var States = []State{
	StateAttract, StateInsertCard, StateEIDScan, StateEIDCheck, StateEIDProblem, StateReading, StateCardProblem, StateFace,
	StateFaceResult, StatePIN, StateServiceMenu, StateCheckData, StatePhoto, StatePhotoReview, StateServiceForm, StateSummary,
	StatePayment, StateSubmitting, StateDone, StateTakeCard, StateOutOfService, StateCounter,
	StateStaffPIN, StateStaff,
	StateOAPhone, StateOACode, StateOAEmail, StateOATerms, StateOAPassword, StateOAOpening, StateOABind, StateOADone,
}

// Language is a screen language. The UI loads its translation file by this code.
type Language string

const (
	LangZhHant Language = "zh-Hant"
	LangPT     Language = "pt"
	LangEN     Language = "en"
)

// Languages lists the supported languages in the order the attract screen shows them.
var Languages = []Language{LangZhHant, LangPT, LangEN}

// Valid reports whether l is a supported language.
func (l Language) Valid() bool {
	for _, x := range Languages {
		if l == x {
			return true
		}
	}
	return false
}

// MsgKey is a translation key. The domain never produces text: the UI looks every key
// up in assets/ (zh-Hant, pt, en). AllMsgKeys lists them so a test can check that each
// language has each key.
type MsgKey string

// ServiceID names a kiosk service. The values are also Application.Service.
type ServiceID string

const (
	ServiceIDRenewal    ServiceID = "id-renewal"
	ServicePassport     ServiceID = "passport"
	ServiceTravelPermit ServiceID = "travel-permit"
	ServiceOneAccount   ServiceID = "one-account"
)

// Services lists the services in menu order.
var Services = []ServiceID{ServiceIDRenewal, ServicePassport, ServiceTravelPermit, ServiceOneAccount}

// EventKind says what happened. Devices, timers and the UI post events; only the
// machine changes state.
type EventKind string

const (
	// From the resident (the UI posts these).
	EvStart           EventKind = "start"             // touched the attract screen / chose a language there
	EvSetLanguage     EventKind = "set_language"      // Event.Language; any screen
	EvToggleLargeText EventKind = "toggle_large_text" // any screen
	EvToggleContrast  EventKind = "toggle_contrast"   // any screen
	EvMoreTime        EventKind = "more_time"         // "yes, I need more time"
	EvCancel          EventKind = "cancel"            // "end / cancel" button
	EvContinue        EventKind = "continue"          // the screen's main "continue / OK" button
	EvBack            EventKind = "back"              // the screen's "back" button
	EvPINDigit        EventKind = "pin_digit"         // Event.Value is one digit "0".."9"
	EvPINBackspace    EventKind = "pin_backspace"     // delete the last digit
	EvPINSubmit       EventKind = "pin_submit"        // "OK" on the PIN keypad
	EvChooseService   EventKind = "choose_service"    // Event.Service
	EvFormInput       EventKind = "form_input"        // Event.Field, Event.Value (whole new value)
	EvConfirm         EventKind = "confirm"           // "submit" on the summary
	EvAnotherService  EventKind = "another_service"   // from Done: back to the menu
	EvDataWrong       EventKind = "data_wrong"        // "something is wrong" on the data check: a counter task
	EvChoosePayment   EventKind = "choose_payment"    // Event.Value: a PaymentMethod
	EvCancelPayment   EventKind = "cancel_payment"    // "cancel payment": back to the summary
	EvStaffGesture    EventKind = "staff_gesture"     // the hidden staff gesture on the attract or out-of-service screen
	EvStaffPage       EventKind = "staff_page"        // Event.Value: a StaffPage*
	EvStaffAction     EventKind = "staff_action"      // Event.Value: a StaffAct*
	EvStaffInput      EventKind = "staff_input"       // Event.Field ("match", "detect"), Event.Value (whole new value)
	EvStaffExit       EventKind = "staff_exit"        // leave staff mode
	EvStaffPINResult  EventKind = "staff_pin_result"  // Event.Value staff id, Event.Err
	EvStaffData       EventKind = "staff_data"        // Event.Value page, Event.Staff
	EvStaffDone       EventKind = "staff_done"        // Event.Reason result, Event.Value detail
	EvTick            EventKind = "tick"              // the screen timer; the machine's own ticker posts it
	EvTimeout         EventKind = "timeout"           // posted by the machine when a screen timed out twice
	EvMaintenanceOn   EventKind = "maintenance_on"    // staff put the kiosk out of service
	EvMaintenanceOff  EventKind = "maintenance_off"   // staff put it back in service
	EvCardInserted    EventKind = "card_inserted"     // from the card watcher
	EvCardRemoved     EventKind = "card_removed"      // from the card watcher
	EvReaderLost      EventKind = "reader_lost"       // from the card watcher
	EvReaderReturned  EventKind = "reader_returned"   // from the card watcher
	EvReadProgress    EventKind = "read_progress"     // Event.Progress
	EvReadOK          EventKind = "read_ok"           // Event.Read
	EvReadFailed      EventKind = "read_failed"       // Event.Reason
	EvFaceProgress    EventKind = "face_progress"     // Event.Face
	EvFaceDecided     EventKind = "face_decided"      // Event.Decision
	EvFaceError       EventKind = "face_error"        // Event.Err: the camera or pipeline failed
	EvPINTries        EventKind = "pin_tries"         // Event.Tries: answer to "how many tries left?"
	EvPINOK           EventKind = "pin_ok"            // the card accepted the PIN
	EvPINWrong        EventKind = "pin_wrong"         // Event.Tries left
	EvPINBlocked      EventKind = "pin_blocked"       // the card is blocked
	EvPINError        EventKind = "pin_error"         // Event.Err: the card could not answer
	EvServicesLoaded  EventKind = "services_loaded"   // Event.ServiceViews
	EvPaymentUpdate   EventKind = "payment_update"    // Event.Payment: the order as it stands now
	EvPaymentError    EventKind = "payment_error"     // Event.Err: the payment could not start or be asked
	EvSubmitted       EventKind = "submitted"         // Event.Reference (and Event.Reason: printer warning)
	EvSubmitFailed    EventKind = "submit_failed"     // Event.Err

	// One Account (oneaccount.go). The resident's:
	EvResendCode  EventKind = "resend_code"  // "send the code again"
	EvTermsPage   EventKind = "terms_page"   // Event.Value "next" or "prev"
	EvAcceptTerms EventKind = "accept_terms" // Event.Value "yes" or "no"
	// The back office's answers (the machine's own work posts these).
	EvOTPSent       EventKind = "otp_sent"        // a code was sent
	EvOTPSendFailed EventKind = "otp_send_failed" // Event.Err
	EvOTPVerified   EventKind = "otp_verified"    // the code was right
	EvOTPFailed     EventKind = "otp_failed"      // Event.Err: wrong, expired, locked, unreachable
	EvAccountOpened EventKind = "account_opened"  //
	EvAccountFailed EventKind = "account_failed"  // Event.Err
	EvBindingUpdate EventKind = "binding_update"  // the binding as it stands (new QR, bound)
	EvBindingFailed EventKind = "binding_failed"  // Event.Err
)

// Event is one thing that happened. Only the fields its Kind names are set.
type Event struct {
	Kind EventKind

	Language     Language
	Value        string
	Field        string
	Service      ServiceID
	Progress     ReadProgress
	Read         *CardRead
	Reason       MsgKey
	Face         FaceProgress
	Decision     FaceDecision
	Tries        int
	ServiceViews []ServiceView
	Reference    string
	Payment      PaymentOrder
	Staff        *StaffView
	Err          error
	Photo        *NewPhoto // EvPhotoTaken
	MyPhoto      bool      // EvServicesLoaded: the back office has a My Photo on file

	// gen is the session generation an asynchronous result belongs to. Results of a
	// session that has ended (card pulled, timeout) are dropped by the machine.
	gen uint64
	// subject travels with a submission's result, so that its audit row names the
	// right resident even when the session ended before the result arrived.
	subject string
	// receipt travels with a submission's result to the done screen.
	receipt *Receipt
	// oa carries the One Account service's results (oneaccount.go).
	oa *oaResult
	// barrier is closed by the machine when it handles the event (see Machine.Sync).
	barrier chan struct{}
}

// FaceView is what the face screen shows.
type FaceView struct {
	Attempt            int       // 1-based attempt in progress or just finished
	MaxAttempts        int       // 3
	Guidance           Guidance  // position / quality guidance, translated by the UI ("guide.<g>")
	Challenge          Challenge // empty until the quality gate passed ("challenge.<c>")
	ChallengeRemaining time.Duration
	// Frame is the latest camera picture for the live preview. Shared, read-only;
	// dropped when the face step ends.
	Frame *Frame
	// Matched is set on the result screen: true when live and matched.
	Matched bool
	// AttemptsLeft is how many face attempts remain after this one.
	AttemptsLeft int
	// Failure says why a failed attempt failed (FaceFailure): "" when matched.
	Failure MsgKey
	// NoPIN: an eID session has no card, so no PIN to fall back on: the counter is next.
	NoPIN bool
}

// ServiceView is one service on the menu.
type ServiceView struct {
	ID       ServiceID
	Eligible bool
	Reason   MsgKey // why not, when !Eligible ("reason.*")
	Fee      int    // avos (1/100 MOP)
}

// FieldKind tells the UI which input to draw (our own keyboard / keypad, choices).
type FieldKind string

const (
	FieldPhone    FieldKind = "phone"    // digits keypad
	FieldPassword FieldKind = "password" // 4-digit keypad, shown masked
	FieldChoice   FieldKind = "choice"   // one of Options
	FieldText     FieldKind = "text"     // free text on our own keyboard (an address, an occupation)
)

// FieldView is one form field as the UI shows it. Secret values are masked here: the
// snapshot never carries a password, only how many digits were typed.
type FieldView struct {
	Name     string    // stable id, also the label key "field.<name>"
	Kind     FieldKind //
	Value    string    // current value; "••••" style mask for passwords
	Length   int       // characters typed (for masked fields)
	MaxLen   int       // the field's length limit (FieldSpec.MaxLen): the keypad stops there
	Required bool
	Options  []string // for FieldChoice: option ids, label keys "option.<name>.<id>"
	Error    MsgKey   // validation problem after "continue", "" if fine
}

// SummaryLine is one line of the summary: a label key and a display value (option
// values are keys, see ValueIsKey).
type SummaryLine struct {
	Label      MsgKey
	Value      string
	ValueIsKey bool
}

// SummaryView is the summary screen.
type SummaryView struct {
	Service ServiceID
	Lines   []SummaryLine
	Fee     int // avos
}

// HolderView is the only holder data a screen shows: the name on the menu screen
// greeting. Nothing else of the card reaches the UI.
type HolderView struct {
	NameChinese    string
	NamePortuguese string // or the MRZ name when the card has no Portuguese name
}

// Snapshot is the read-only picture the UI renders. The machine publishes a new one on
// every change; slices and pointers in it are fresh copies (except Face.Frame) and must
// not be modified.
type Snapshot struct {
	Seq   uint64 // increases with every published snapshot
	State State

	Language     Language
	LargeText    bool
	HighContrast bool
	Demo         bool // show the DEMO banner

	// Screen timer: Countdown is the time left before the screen gives up (or, when
	// AskMoreTime, before the "need more time?" question expires).
	Countdown   time.Duration
	TimerOn     bool // false on screens without a timer (attract, busy screens)
	AskMoreTime bool

	// Message is the main message key of the screen ("msg.*", "reason.*"), e.g. the
	// reason on the card problem and counter screens. Notice is a secondary one, e.g.
	// "msg.printer_unavailable" on the done screen.
	Message MsgKey
	Notice  MsgKey
	Busy    bool // waiting for a device or the back office: show a spinner, ignore taps
	// Submitted is how many applications this session already submitted: End keeps
	// them, so its confirmation must not say that nothing will be submitted.
	Submitted int

	Progress     float64 // reading: 0..1
	ProgressStep string  // reading: e.g. "DG2"

	Face FaceView

	// EIDOffered: the insert-card screen offers "show your eID" instead (EvEIDStart).
	EIDOffered bool
	EID        *EIDView // the eID scan screen

	PINTriesLeft int  // -1 until the card answered
	PINLength    int  // digits typed so far (never the digits)
	PINDigits    int  // digits the PIN has (PINPolicy.Length): the places the screen draws
	PINLastTry   bool // warn: the next wrong PIN blocks the card

	Holder   *HolderView
	Services []ServiceView
	Service  ServiceID // the chosen service
	Form     []FieldView
	Summary  *SummaryView

	Payment *PaymentView // the payment screen
	Data    *DataView    // the data check: what the card says
	Photo   *PhotoView   // the photo step (live and review)

	StaffPIN *StaffPINView // the staff PIN screen
	Staff    *StaffView    // the staff screens

	Reference string   // the receipt reference on the done screen
	Receipt   *Receipt // what the done screen shows besides the reference (as printed)

	OneAccount *OneAccountView // the One Account screens
}

// PaymentView is the payment screen: the amount, the ways to pay, and once the
// resident chose one, what to do (the wallet QR, or "tap your card").
type PaymentView struct {
	Amount  int             // avos
	Methods []PaymentMethod // offered, in order
	Method  PaymentMethod   // chosen; "" while choosing
	Status  PaymentStatus   // of the order; "" before it exists
	// QR is the payload to show as a QR code for the wallet app (method qr, pending).
	QR string
	// Cancelling: the resident asked to cancel and the kiosk is waiting for the
	// payment side to confirm (money may have been taken meanwhile).
	Cancelling bool
}

// Flow is what the UI needs of the session: it posts the resident's events and renders
// the snapshots it is given. *Machine implements it; the UI holds no flow state.
type Flow interface {
	// Post queues an event; it never blocks the caller for long.
	Post(ev Event)
	// Snapshot returns the current snapshot.
	Snapshot() Snapshot
	// Subscribe calls fn with every new snapshot (and once at once with the current
	// one), from the machine's goroutine: fn must not block. cancel stops the calls.
	Subscribe(fn func(Snapshot)) (cancel func())
}

// DataView is what the card says about the resident, shown for them to confirm before
// a document is applied for. It is on screen only: nothing of it is stored, and the
// card number is partly masked.
type DataView struct {
	NameChinese    string
	NamePortuguese string
	BirthDate      Date
	Sex            string // M, F or X
	CardNumber     string // masked: first and last characters only
	IssueDate      Date
	ExpiryDate     Date // zero: no expiry
	Residency      Residency
	// Editable names the fields the resident may change here (renewal: address,
	// telephone, occupation, emergency contact); anything else is a counter task.
	Editable []string
}
