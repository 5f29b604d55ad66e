package kiosk

import "sort"

// Message keys the session sets besides the reasons.
const (
	MsgSessionEnded       MsgKey = "msg.session_ended"
	MsgPINTooShort        MsgKey = "msg.pin_too_short"
	MsgPINWrong           MsgKey = "msg.pin_wrong"
	MsgPrinterUnavailable MsgKey = "msg.printer_unavailable"

	SummaryService        MsgKey = "summary.service"
	SummaryPasswordSet    MsgKey = "summary.password_set"
	SummaryPasswordNotSet MsgKey = "summary.password_not_set"
)

// ServiceKey is the name key of a service ("service.passport").
func ServiceKey(s ServiceID) MsgKey { return MsgKey("service." + string(s)) }

// FieldKey is the label key of a form field ("field.phone").
func FieldKey(name string) MsgKey { return MsgKey("field." + name) }

// OptionKey is the label key of a choice ("option.collection_office.office_central").
func OptionKey(field, option string) MsgKey { return MsgKey("option." + field + "." + option) }

// GuidanceKey and ChallengeKey name the face screen's instructions.
func GuidanceKey(g Guidance) MsgKey   { return MsgKey("guide." + string(g)) }
func ChallengeKey(c Challenge) MsgKey { return MsgKey("challenge." + string(c)) }

// ScreenKey is the title key of a state's screen ("screen.face").
func ScreenKey(s State) MsgKey { return MsgKey("screen." + string(s)) }

// AllMsgKeys lists every translation key the domain can put in a snapshot, sorted.
// The UI's translation test checks each against every language file; the UI adds
// its own keys (buttons, labels) on top.
func AllMsgKeys() []MsgKey {
	set := map[MsgKey]bool{}
	add := func(ks ...MsgKey) {
		for _, k := range ks {
			if k != "" {
				set[k] = true
			}
		}
	}
	add(MsgSessionEnded, MsgPINTooShort, MsgPINWrong, MsgPrinterUnavailable,
		SummaryService, SummaryPasswordSet, SummaryPasswordNotSet,
		ReasonCardNotGenuine, ReasonCardUnreadable, ReasonCardNotAnswering, ReasonPINBlocked,
		ReasonPINUnavailable, ReasonSubmitFailed, ReasonReaderLost, ReasonMaintenance, ReasonFaceUnavailable,
		FormRequired, FormPhoneInvalid, FormPasswordLength, FormPasswordWeak, FormPasswordMismatch, FormChoiceInvalid)
	add(EligibilityReasons...)
	add(OneAccountMsgKeys()...)
	add(MsgEndedNothingSubmitted, MsgEndedSubmitted, MsgTimedOutNothingSubmitted, MsgTimedOutSubmitted)
	add(FaceFailures...)
	add(EIDReasons...)
	add(MsgStaffPINWrong, MsgStaffLocked, MsgStaffSaved, MsgStaffExported, MsgStaffFailed, MsgStaffInvalid, MsgStaffRestarting)
	for _, n := range StaffHealthNames {
		add(MsgKey("staff.health." + n))
	}
	for _, n := range StaffCountNames {
		add(MsgKey("staff.count." + n))
	}
	add(MsgPaymentDeclined, MsgPaymentExpired, MsgPaymentCancelled, MsgPaymentUnavailable, ReasonPaymentUnavailable,
		ReasonPaidRefunded, ReasonPaidRefundPending)
	add(photoKeys()...)
	for _, r := range Transitions {
		add(r.Message)
	}
	for _, s := range States {
		add(ScreenKey(s))
	}
	for _, s := range Services {
		add(ServiceKey(s))
		for _, f := range FormFor(s) {
			add(FieldKey(f.Name))
			for _, o := range f.Options {
				add(OptionKey(f.Name, o))
			}
		}
	}
	for _, g := range []Guidance{GuideOK, GuideNoFace, GuideMoveCloser, GuideMoveBack, GuideCentre,
		GuideFaceCamera, GuideTooDark, GuideTooBright, GuideOnePerson, GuideHoldStill,
		GuideStraightHead, GuideOpenEyes, GuideGlassesGlare, GuideCloseMouth, GuideEvenLight, GuidePlainBackground, GuideNaturalColour} {
		add(GuidanceKey(g))
	}
	for _, c := range []Challenge{ChallengeBlink, ChallengeTurnLeft, ChallengeTurnRight, ChallengeAny} {
		add(ChallengeKey(c))
	}
	out := make([]MsgKey, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
