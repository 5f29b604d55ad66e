package kiosk

// The session flow as data: which event moves which state where, under which guard,
// doing which actions. The Machine interprets this table; tests read it as a table.

// AnyState in Rule.From matches every state. Rules are tried in order, so a state's
// own rules come before the AnyState ones.
const AnyState State = "*"

// Guard names a condition the machine evaluates for the event at hand. The empty
// guard always holds.
type Guard string

const (
	GuardNone             Guard = ""
	GuardFaceMatched      Guard = "face_matched"      // the decision on screen is live and matched
	GuardFaceAttemptLeft  Guard = "face_attempt_left" // fewer than MaxAttempts face attempts used
	GuardPINTriesLeft     Guard = "pin_tries_left"    // Event.Tries > 0
	GuardPINComplete      Guard = "pin_complete"      // enough digits typed to submit
	GuardEligible         Guard = "eligible"          // Event.Service is eligible on the menu
	GuardFormValid        Guard = "form_valid"        // the form validates
	GuardInService        Guard = "in_service"        // reader present and not in maintenance
	GuardNeedsPayment     Guard = "needs_payment"     // the chosen service has a fee
	GuardPaid             Guard = "paid"              // Event.Payment is paid
	GuardPaymentOpen      Guard = "payment_open"      // an order is open (not final): cancelling must ask the payment side
	GuardPaymentWithdrawn Guard = "payment_withdrawn" // Event.Payment ended unpaid after the resident asked to cancel
	GuardStaffCard        Guard = "staff_card"        // Event.Read is a staff card and staff mode exists here
	GuardStaffAvailable   Guard = "staff_available"   // this kiosk has staff mode
	GuardStaffAccepted    Guard = "staff_accepted"    // Event: the staff PIN was right
	GuardStaffByCard      Guard = "staff_by_card"     // staff mode was opened with a staff card (it must be taken out)
	GuardMaintenance      Guard = "maintenance"       // staff switched maintenance on
	GuardEligibleChecked  Guard = "eligible_checked"  // Event.Service is eligible and starts with the data check

	// One Account (oneaccount.go).
	GuardOneAccountOpen Guard = "one_account_open" // Event.Service is One Account, eligible, and this kiosk reaches the service
	GuardOneAccountBind Guard = "one_account_bind" // ... and the resident has an account whose eID is not bound: bind only
	GuardPhoneValid     Guard = "phone_valid"      // a Macau mobile number was typed
	GuardCodeComplete   Guard = "code_complete"    // a code was sent and all its digits typed
	GuardResendAllowed  Guard = "resend_allowed"   // the resend cooldown is over
	GuardEmailValid     Guard = "email_valid"      // no e-mail, or one that looks like one
	GuardTermsAccepted  Guard = "terms_accepted"   // the resident accepted the terms
	GuardPasswordValid  Guard = "password_valid"   // no service password, or a good one typed twice
	GuardNoPassword     Guard = "no_password"      // Event.Value: "continue without a password"
	GuardAccountExists  Guard = "account_exists"   // Event.Err: the resident had an account already
	GuardCodeAgain      Guard = "code_again"       // Event.Err: the verified code is no longer good
	GuardBound          Guard = "bound"            // Event: the binding is bound
	GuardBindRetry      Guard = "bind_retry"       // the binding failed in a way trying again may fix
)

// Action names one effect of a transition. Entry actions of the target state (see
// OnEnter) run after the rule's own actions.
type Action string

const (
	ActWipe           Action = "wipe"            // drop every piece of the resident's data, end device work
	ActResetPrefs     Action = "reset_prefs"     // language and display modes back to defaults
	ActSetLanguage    Action = "set_language"    // Event.Language
	ActToggleLarge    Action = "toggle_large"    //
	ActToggleContrast Action = "toggle_contrast" //
	ActMoreTime       Action = "more_time"       // restart the screen timer
	ActAuditEnd       Action = "audit_end"       // audit the session end with the reason
	ActStartRead      Action = "start_read"      // read the card in the background
	ActReadProgress   Action = "read_progress"   //
	ActAcceptRead     Action = "accept_read"     // keep the read, hash the subject
	ActSetReason      Action = "set_reason"      // Snapshot.Message = Event.Reason
	ActStartFace      Action = "start_face"      // next attempt: random challenge, verify in the background
	ActFaceProgress   Action = "face_progress"   //
	ActFaceDecided    Action = "face_decided"    //
	ActFaceError      Action = "face_error"      //
	ActQueryPINTries  Action = "query_pin_tries" // ask the card without spending a try
	ActPINTries       Action = "pin_tries"       // Event.Tries
	ActPINDigit       Action = "pin_digit"       //
	ActPINBackspace   Action = "pin_backspace"   //
	ActPINShort       Action = "pin_short"       // notice: PIN too short
	ActVerifyPIN      Action = "verify_pin"      // present the PIN in the background
	ActPINOK          Action = "pin_ok"          //
	ActPINWrong       Action = "pin_wrong"       //
	ActPINBlocked     Action = "pin_blocked"     //
	ActLoadServices   Action = "load_services"   // ask the back office, decide eligibility
	ActServicesLoaded Action = "services_loaded" //
	ActChooseService  Action = "choose_service"  // start the service's form
	ActFormInput      Action = "form_input"      //
	ActFormErrors     Action = "form_errors"     // show the validation problems
	ActBuildSummary   Action = "build_summary"   //
	ActPaymentEnter   Action = "payment_enter"   // the amount and the ways to pay; one way: start it
	ActStartPayment   Action = "start_payment"   // Event.Value method: hold the application, open the order, poll it
	ActPaymentUpdate  Action = "payment_update"  // Event.Payment: show it; unpaid and final: release the held application
	ActPaymentError   Action = "payment_error"   //
	ActCancelPayment  Action = "cancel_payment"  // ask the payment side to cancel the open order
	ActStaffEnter     Action = "staff_enter"     // staff PIN screen (by card or gesture), audited
	ActStaffPINSubmit Action = "staff_pin_submit"
	ActStaffPINResult Action = "staff_pin_result" // in, or a wrong try towards the lock
	ActStaffPage      Action = "staff_page"
	ActStaffAction    Action = "staff_action"
	ActStaffInput     Action = "staff_input"
	ActStaffData      Action = "staff_data"
	ActStaffDone      Action = "staff_done"
	ActSubmit         Action = "submit"        // save, queue for the back office, print
	ActSubmitted      Action = "submitted"     //
	ActSubmitFailed   Action = "submit_failed" //
	ActMaintenance    Action = "maintenance"   // remember maintenance on/off (Event.Kind)
	ActReader         Action = "reader"        // remember reader lost/returned (Event.Kind)

	// One Account (oneaccount.go).
	ActOAStart          Action = "oa_start"           // a new One Account session
	ActOABindOnly       Action = "oa_bind_only"       // the resident has an account: binding only
	ActOAInput          Action = "oa_input"           // Event.Field, Event.Value on the current step
	ActOAPhoneError     Action = "oa_phone_error"     //
	ActOASendCode       Action = "oa_send_code"       // have the back office send an SMS code
	ActOACodeSent       Action = "oa_code_sent"       //
	ActOASendFailed     Action = "oa_send_failed"     //
	ActOACodeShort      Action = "oa_code_short"      //
	ActOAVerify         Action = "oa_verify"          // check the typed code with the back office
	ActOAVerified       Action = "oa_verified"        //
	ActOAVerifyFailed   Action = "oa_verify_failed"   // wrong, expired, locked, unreachable
	ActOAEmailError     Action = "oa_email_error"     //
	ActOATermsPage      Action = "oa_terms_page"      //
	ActOAAcceptTerms    Action = "oa_accept_terms"    //
	ActOATermsNotice    Action = "oa_terms_notice"    // "accept the terms to go on"
	ActOAPasswordErrors Action = "oa_password_errors" //
	ActOANoPassword     Action = "oa_no_password"     // forget what was typed: no service password
	ActOAOpen           Action = "oa_open"            // seal the password, open the account
	ActOAOpened         Action = "oa_opened"          // audited
	ActOAOpenFailed     Action = "oa_open_failed"     //
	ActOABindStart      Action = "oa_bind_start"      // binding QR, polled, renewed when it lapses
	ActOABindUpdate     Action = "oa_bind_update"     // bound: audited
	ActOABindFailed     Action = "oa_bind_failed"     //
)

// Rule is one row of the transition table. To == "" keeps the state (no entry actions,
// the screen timer keeps running unless the event is resident activity).
type Rule struct {
	From State
	On   EventKind
	If   Guard
	To   State
	Do   []Action
	// Message, when set, becomes Snapshot.Message on entering To.
	Message MsgKey
}

// Counter and problem reasons set by the table.
const (
	ReasonCardNotGenuine   MsgKey = "reason.card_not_genuine"
	ReasonCardUnreadable   MsgKey = "reason.card_unreadable"
	ReasonCardNotAnswering MsgKey = "reason.card_not_answering"
	ReasonPINBlocked       MsgKey = "reason.pin_blocked"
	ReasonPINUnavailable   MsgKey = "reason.pin_unavailable"
	ReasonSubmitFailed     MsgKey = "reason.submit_failed"
	ReasonReaderLost       MsgKey = "reason.reader_lost"
	ReasonMaintenance      MsgKey = "reason.maintenance"
	ReasonFaceUnavailable  MsgKey = "reason.face_unavailable"
	// ReasonDataChangeCounter: the card's data is wrong or must change (a name, a date):
	// only the counter can, with documents.
	ReasonDataChangeCounter MsgKey = "reason.data_change_counter"
	// A paid application that could not be saved: the money goes back (or, when even
	// the refund could not be asked for, the reference settles it either way).
	ReasonPaidRefunded      MsgKey = "reason.paid_refunded"
	ReasonPaidRefundPending MsgKey = "reason.paid_refund_pending"
)

// cardStates are the states in which a resident's card is (or should be) in the
// reader: pulling it ends and wipes the session.
var cardStates = []State{
	StateReading, StateCardProblem, StateFace, StateFaceResult, StatePIN,
	StateServiceMenu, StateCheckData, StatePhoto, StatePhotoReview, StateServiceForm, StateSummary, StatePayment, StateSubmitting, StateDone,
	StateTakeCard, StateCounter,
	StateOAPhone, StateOACode, StateOAEmail, StateOATerms, StateOAPassword, StateOAOpening, StateOABind, StateOADone,
}

// cancelStates are the screens with an "end" button that sends the resident to take
// their card.
var cancelStates = []State{
	StateCardProblem, StateFace, StateFaceResult, StatePIN, StateServiceMenu, StateCheckData, StatePhoto, StatePhotoReview,
	StateServiceForm, StateSummary, StatePayment, StateDone, StateCounter,
	StateOAPhone, StateOACode, StateOAEmail, StateOATerms, StateOAPassword, StateOABind, StateOADone,
}

// timeoutToTakeCard are the screens whose timeout ends the session while the card is in.
var timeoutToTakeCard = []State{
	StateCardProblem, StateFace, StateFaceResult, StatePIN, StateServiceMenu, StateCheckData, StatePhoto, StatePhotoReview,
	StateServiceForm, StateSummary, StatePayment, StateDone, StateCounter,
	StateOAPhone, StateOACode, StateOAEmail, StateOATerms, StateOAPassword, StateOABind, StateOADone,
}

// staffLeaves are the ways out of the staff screens for each of kinds.
func staffLeaves(kinds ...EventKind) []Rule {
	var out []Rule
	for _, s := range []State{StateStaffPIN, StateStaff} {
		for _, k := range kinds {
			if k != EvCardRemoved {
				out = append(out, Rule{From: s, On: k, If: GuardStaffByCard, To: StateTakeCard})
			}
			out = append(out,
				Rule{From: s, On: k, If: GuardInService, To: StateAttract},
				Rule{From: s, On: k, To: StateOutOfService, Message: ReasonMaintenance})
		}
	}
	return out
}

func each(states []State, r Rule) []Rule {
	out := make([]Rule, len(states))
	for i, s := range states {
		r.From = s
		out[i] = r
	}
	return out
}

func rules(groups ...[]Rule) []Rule {
	var out []Rule
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Transitions is the session flow.
var Transitions = rules(
	eidRules(), // first: in an eID session its rows win over the card's
	photoRules(),
	[]Rule{
		{From: StateAttract, On: EvStart, To: StateInsertCard, Do: []Action{ActSetLanguage}},
		{From: StateAttract, On: EvCardInserted, To: StateReading},
		{From: StateInsertCard, On: EvCardInserted, To: StateReading},
		{From: StateInsertCard, On: EvCancel, To: StateAttract},
		{From: StateInsertCard, On: EvTimeout, To: StateAttract},

		{From: StateReading, On: EvReadProgress, Do: []Action{ActReadProgress}},
		{From: StateReading, On: EvReadOK, If: GuardStaffCard, To: StateStaffPIN, Do: []Action{ActStaffEnter}},
		{From: StateReading, On: EvReadOK, To: StateFace, Do: []Action{ActAcceptRead}},
		{From: StateReading, On: EvReadFailed, To: StateCardProblem, Do: []Action{ActSetReason}},
		{From: StateCardProblem, On: EvContinue, To: StateTakeCard},

		{From: StateFace, On: EvFaceProgress, Do: []Action{ActFaceProgress}},
		{From: StateFace, On: EvFaceDecided, To: StateFaceResult, Do: []Action{ActFaceDecided}},
		{From: StateFace, On: EvFaceError, To: StatePIN, Do: []Action{ActFaceError}, Message: ReasonFaceUnavailable},
		{From: StateFaceResult, On: EvContinue, If: GuardFaceMatched, To: StateServiceMenu},
		{From: StateFaceResult, On: EvContinue, If: GuardFaceAttemptLeft, To: StateFace},
		{From: StateFaceResult, On: EvContinue, To: StatePIN},

		{From: StatePIN, On: EvPINTries, If: GuardPINTriesLeft, Do: []Action{ActPINTries}},
		{From: StatePIN, On: EvPINTries, To: StateCounter, Do: []Action{ActPINBlocked}, Message: ReasonPINBlocked},
		{From: StatePIN, On: EvPINDigit, Do: []Action{ActPINDigit}},
		{From: StatePIN, On: EvPINBackspace, Do: []Action{ActPINBackspace}},
		{From: StatePIN, On: EvPINSubmit, If: GuardPINComplete, Do: []Action{ActVerifyPIN}},
		{From: StatePIN, On: EvPINSubmit, Do: []Action{ActPINShort}},
		{From: StatePIN, On: EvPINOK, To: StateServiceMenu, Do: []Action{ActPINOK}},
		{From: StatePIN, On: EvPINWrong, If: GuardPINTriesLeft, Do: []Action{ActPINWrong}},
		{From: StatePIN, On: EvPINWrong, To: StateCounter, Do: []Action{ActPINBlocked}, Message: ReasonPINBlocked},
		{From: StatePIN, On: EvPINBlocked, To: StateCounter, Do: []Action{ActPINBlocked}, Message: ReasonPINBlocked},
		{From: StatePIN, On: EvPINError, To: StateCounter, Message: ReasonPINUnavailable},

		{From: StateServiceMenu, On: EvServicesLoaded, Do: []Action{ActServicesLoaded}},
		{From: StateServiceMenu, On: EvChooseService, If: GuardOneAccountBind, To: StateOABind, Do: []Action{ActChooseService, ActOABindOnly}},
		{From: StateServiceMenu, On: EvChooseService, If: GuardOneAccountOpen, To: StateOAPhone, Do: []Action{ActChooseService, ActOAStart}},
		{From: StateServiceMenu, On: EvChooseService, If: GuardEligibleChecked, To: StateCheckData, Do: []Action{ActChooseService}},
		{From: StateServiceMenu, On: EvChooseService, If: GuardEligible, To: StateServiceForm, Do: []Action{ActChooseService}},

		// What the card says, confirmed before a document is applied for; a change to
		// anything but the form's own fields is a counter task.
		{From: StateCheckData, On: EvContinue, To: StateServiceForm},
		{From: StateCheckData, On: EvDataWrong, To: StateCounter, Message: ReasonDataChangeCounter},
		{From: StateCheckData, On: EvBack, To: StateServiceMenu},

		{From: StateServiceForm, On: EvFormInput, Do: []Action{ActFormInput}},
		{From: StateServiceForm, On: EvContinue, If: GuardFormValid, To: StateSummary, Do: []Action{ActBuildSummary}},
		{From: StateServiceForm, On: EvContinue, Do: []Action{ActFormErrors}},
		{From: StateServiceForm, On: EvBack, To: StateServiceMenu},

		{From: StateSummary, On: EvConfirm, If: GuardNeedsPayment, To: StatePayment},
		{From: StateSummary, On: EvConfirm, To: StateSubmitting},
		{From: StateSummary, On: EvBack, To: StateServiceForm},

		// Nothing is submitted unpaid: only a paid order leads to the submission.
		{From: StatePayment, On: EvChoosePayment, Do: []Action{ActStartPayment}},
		{From: StatePayment, On: EvPaymentUpdate, If: GuardPaid, To: StateSubmitting, Do: []Action{ActPaymentUpdate}},
		{From: StatePayment, On: EvPaymentUpdate, If: GuardPaymentWithdrawn, To: StateSummary, Do: []Action{ActPaymentUpdate}},
		{From: StatePayment, On: EvPaymentUpdate, Do: []Action{ActPaymentUpdate}},
		{From: StatePayment, On: EvPaymentError, Do: []Action{ActPaymentError}},
		{From: StatePayment, On: EvCancelPayment, If: GuardPaymentOpen, Do: []Action{ActCancelPayment}},
		{From: StatePayment, On: EvCancelPayment, To: StateSummary},
		{From: StatePayment, On: EvBack, If: GuardPaymentOpen, Do: []Action{ActCancelPayment}},
		{From: StatePayment, On: EvBack, To: StateSummary},
		{From: StatePayment, On: EvSubmitFailed, To: StateCounter, Do: []Action{ActSubmitFailed}, Message: ReasonSubmitFailed},

		{From: StateSubmitting, On: EvSubmitted, To: StateDone, Do: []Action{ActSubmitted}},
		{From: StateSubmitting, On: EvSubmitFailed, To: StateCounter, Do: []Action{ActSubmitFailed}, Message: ReasonSubmitFailed},

		{From: StateDone, On: EvContinue, To: StateTakeCard},
		{From: StateDone, On: EvAnotherService, To: StateServiceMenu},

		{From: StateCounter, On: EvContinue, To: StateTakeCard},

		// One Account for the verified resident: mobile number and SMS code, e-mail,
		// terms, service password; the back office opens it; then the eID binding QR.
		{From: StateOAPhone, On: EvFormInput, Do: []Action{ActOAInput}},
		{From: StateOAPhone, On: EvContinue, If: GuardPhoneValid, Do: []Action{ActOASendCode}},
		{From: StateOAPhone, On: EvContinue, Do: []Action{ActOAPhoneError}},
		{From: StateOAPhone, On: EvOTPSent, To: StateOACode, Do: []Action{ActOACodeSent}},
		{From: StateOAPhone, On: EvOTPSendFailed, Do: []Action{ActOASendFailed}},
		{From: StateOAPhone, On: EvBack, To: StateServiceMenu},

		{From: StateOACode, On: EvFormInput, Do: []Action{ActOAInput}},
		{From: StateOACode, On: EvContinue, If: GuardCodeComplete, Do: []Action{ActOAVerify}},
		{From: StateOACode, On: EvContinue, Do: []Action{ActOACodeShort}},
		{From: StateOACode, On: EvOTPVerified, To: StateOAEmail, Do: []Action{ActOAVerified}},
		{From: StateOACode, On: EvOTPFailed, Do: []Action{ActOAVerifyFailed}},
		{From: StateOACode, On: EvResendCode, If: GuardResendAllowed, Do: []Action{ActOASendCode}},
		{From: StateOACode, On: EvOTPSent, Do: []Action{ActOACodeSent}},
		{From: StateOACode, On: EvOTPSendFailed, Do: []Action{ActOASendFailed}},
		{From: StateOACode, On: EvBack, To: StateOAPhone},

		// The code is verified: from here Back does not return to it.
		{From: StateOAEmail, On: EvFormInput, Do: []Action{ActOAInput}},
		{From: StateOAEmail, On: EvContinue, If: GuardEmailValid, To: StateOATerms},
		{From: StateOAEmail, On: EvContinue, Do: []Action{ActOAEmailError}},

		{From: StateOATerms, On: EvTermsPage, Do: []Action{ActOATermsPage}},
		{From: StateOATerms, On: EvAcceptTerms, Do: []Action{ActOAAcceptTerms}},
		{From: StateOATerms, On: EvContinue, If: GuardTermsAccepted, To: StateOAPassword},
		{From: StateOATerms, On: EvContinue, Do: []Action{ActOATermsNotice}},
		{From: StateOATerms, On: EvBack, To: StateOAEmail},

		{From: StateOAPassword, On: EvFormInput, Do: []Action{ActOAInput}},
		{From: StateOAPassword, On: EvContinue, If: GuardNoPassword, To: StateOAOpening, Do: []Action{ActOANoPassword, ActOAOpen}},
		{From: StateOAPassword, On: EvContinue, If: GuardPasswordValid, To: StateOAOpening, Do: []Action{ActOAOpen}},
		{From: StateOAPassword, On: EvContinue, Do: []Action{ActOAPasswordErrors}},
		{From: StateOAPassword, On: EvBack, To: StateOATerms},

		// Not opened is said so on the password step; an account that exists already
		// (opened by an earlier try that timed out) goes on to the binding.
		{From: StateOAOpening, On: EvAccountOpened, To: StateOABind, Do: []Action{ActOAOpened}},
		{From: StateOAOpening, On: EvAccountFailed, If: GuardAccountExists, To: StateOABind, Do: []Action{ActOAOpenFailed}},
		{From: StateOAOpening, On: EvAccountFailed, If: GuardCodeAgain, To: StateOAPhone, Do: []Action{ActOAOpenFailed}},
		{From: StateOAOpening, On: EvAccountFailed, To: StateOAPassword, Do: []Action{ActOAOpenFailed}},

		{From: StateOABind, On: EvBindingUpdate, If: GuardBound, To: StateOADone, Do: []Action{ActOABindUpdate}},
		{From: StateOABind, On: EvBindingUpdate, Do: []Action{ActOABindUpdate}},
		{From: StateOABind, On: EvBindingFailed, Do: []Action{ActOABindFailed}},
		{From: StateOABind, On: EvContinue, If: GuardBindRetry, To: StateOABind},
		{From: StateOABind, On: EvContinue, To: StateTakeCard, Do: []Action{ActAuditEnd}},

		{From: StateOADone, On: EvContinue, To: StateTakeCard},
		{From: StateOADone, On: EvAnotherService, To: StateServiceMenu},

		// Staff mode. The hidden gesture works where no resident is being served.
		{From: StateAttract, On: EvStaffGesture, If: GuardStaffAvailable, To: StateStaffPIN, Do: []Action{ActStaffEnter}},
		{From: StateOutOfService, On: EvStaffGesture, If: GuardStaffAvailable, To: StateStaffPIN, Do: []Action{ActStaffEnter}},
		{From: StateStaffPIN, On: EvPINDigit, Do: []Action{ActPINDigit}},
		{From: StateStaffPIN, On: EvPINBackspace, Do: []Action{ActPINBackspace}},
		{From: StateStaffPIN, On: EvPINSubmit, Do: []Action{ActStaffPINSubmit}},
		{From: StateStaffPIN, On: EvStaffPINResult, If: GuardStaffAccepted, To: StateStaff, Do: []Action{ActStaffPINResult}},
		{From: StateStaffPIN, On: EvStaffPINResult, Do: []Action{ActStaffPINResult}},
		{From: StateStaff, On: EvStaffPage, Do: []Action{ActStaffPage}},
		{From: StateStaff, On: EvStaffAction, Do: []Action{ActStaffAction}},
		{From: StateStaff, On: EvStaffInput, Do: []Action{ActStaffInput}},
		{From: StateStaff, On: EvStaffData, Do: []Action{ActStaffData}},
		{From: StateStaff, On: EvStaffDone, Do: []Action{ActStaffDone}},
		// Staff switch maintenance themselves: remember it, stay.
		{From: StateStaff, On: EvMaintenanceOn, Do: []Action{ActMaintenance}},
		{From: StateStaff, On: EvMaintenanceOff, Do: []Action{ActMaintenance}},
		{From: StateStaffPIN, On: EvMaintenanceOn, Do: []Action{ActMaintenance}},
		{From: StateStaffPIN, On: EvMaintenanceOff, Do: []Action{ActMaintenance}},
		// Leaving staff mode (audited on the way out, see Machine.enterState): a staff
		// card must be taken out; a kiosk left in maintenance stays out of service.
		{From: StateTakeCard, On: EvCardRemoved, If: GuardMaintenance, To: StateOutOfService, Message: ReasonMaintenance},
	},
	staffLeaves(EvStaffExit, EvTimeout, EvCancel, EvCardRemoved),
	[]Rule{

		// The card stays in the reader until the resident takes it: keep asking.
		{From: StateTakeCard, On: EvTimeout, To: StateTakeCard},

		{From: StateOutOfService, On: EvReaderReturned, If: GuardInService, To: StateAttract, Do: []Action{ActReader}},
		{From: StateOutOfService, On: EvReaderReturned, Do: []Action{ActReader}},
		{From: StateOutOfService, On: EvMaintenanceOff, If: GuardInService, To: StateAttract, Do: []Action{ActMaintenance}},
		{From: StateOutOfService, On: EvMaintenanceOff, Do: []Action{ActMaintenance}},
		// Out of service swallows the resident's screen events (no language on this screen).
		{From: StateOutOfService, On: EvSetLanguage},
		{From: StateOutOfService, On: EvToggleLargeText},
		{From: StateOutOfService, On: EvToggleContrast},
	},
	each(cardStates, Rule{On: EvCardRemoved, To: StateAttract, Do: []Action{ActAuditEnd}, Message: MsgSessionEnded}),
	each(cancelStates, Rule{On: EvCancel, To: StateTakeCard, Do: []Action{ActAuditEnd}}),
	each(timeoutToTakeCard, Rule{On: EvTimeout, To: StateTakeCard, Do: []Action{ActAuditEnd}}),
	[]Rule{
		{From: AnyState, On: EvReaderLost, To: StateOutOfService, Do: []Action{ActAuditEnd, ActReader}, Message: ReasonReaderLost},
		{From: AnyState, On: EvReaderReturned, Do: []Action{ActReader}},
		{From: AnyState, On: EvMaintenanceOn, To: StateOutOfService, Do: []Action{ActAuditEnd, ActMaintenance}, Message: ReasonMaintenance},
		{From: AnyState, On: EvMaintenanceOff, Do: []Action{ActMaintenance}},
		{From: AnyState, On: EvSetLanguage, Do: []Action{ActSetLanguage}},
		{From: AnyState, On: EvToggleLargeText, Do: []Action{ActToggleLarge}},
		{From: AnyState, On: EvToggleContrast, Do: []Action{ActToggleContrast}},
		{From: AnyState, On: EvMoreTime, Do: []Action{ActMoreTime}},
	},
)

// OnEnter lists the actions run on entering a state (also when re-entering it through
// a rule with To set).
var OnEnter = map[State][]Action{
	StateAttract:      {ActWipe, ActResetPrefs},
	StateReading:      {ActStartRead},
	StateEIDScan:      {ActStartEIDScan},
	StateEIDCheck:     {ActStartEIDCheck},
	StateFace:         {ActStartFace},
	StatePhoto:        {ActStartPhoto},
	StatePIN:          {ActQueryPINTries},
	StateServiceMenu:  {ActLoadServices},
	StatePayment:      {ActPaymentEnter},
	StateSubmitting:   {ActSubmit},
	StateTakeCard:     {ActWipe},
	StateOutOfService: {ActWipe},
	StateCardProblem:  {ActWipe},
	StateCounter:      {ActWipe},
	StateOABind:       {ActOABindStart},
}

// isStaffState: the staff screens (their timer is StaffIdle).
func isStaffState(s State) bool { return s == StateStaffPIN || s == StateStaff }

// Timed reports whether a state has a screen timer. Busy screens (reading, the eID
// check, submitting) wait for their device or the back office with its own time
// limit; the attract and out-of-service screens wait forever.
func Timed(s State) bool {
	switch s {
	case StateAttract, StateOutOfService, StateReading, StateSubmitting, StateEIDCheck, StateOAOpening:
		return false
	}
	return true
}

// activity lists the resident's own events: they restart the screen timer and take
// back a "need more time?" question.
var activity = map[EventKind]bool{
	EvStart: true, EvSetLanguage: true, EvToggleLargeText: true, EvToggleContrast: true,
	EvMoreTime: true, EvContinue: true, EvBack: true, EvPINDigit: true, EvPINBackspace: true,
	EvPINSubmit: true, EvChooseService: true, EvFormInput: true, EvConfirm: true,
	EvAnotherService: true, EvChoosePayment: true, EvCancelPayment: true,
	EvStaffPage: true, EvStaffAction: true, EvStaffInput: true, EvDataWrong: true,
	EvRetakePhoto: true, EvUseMyPhoto: true,
	EvResendCode: true, EvTermsPage: true, EvAcceptTerms: true,
}

// GuardFunc answers a guard for the machine's current session and event.
type GuardFunc func(g Guard) bool

// Match finds the rule for an event in state from. guard answers the non-empty
// guards. ok is false when the event does nothing in that state.
func Match(table []Rule, from State, on EventKind, guard GuardFunc) (Rule, bool) {
	for _, r := range table {
		if r.On != on || (r.From != from && r.From != AnyState) {
			continue
		}
		if r.If != GuardNone && !guard(r.If) {
			continue
		}
		return r, true
	}
	return Rule{}, false
}
