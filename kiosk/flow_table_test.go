package kiosk

import (
	"slices"
	"strings"
	"testing"
)

// guards answers guards from a fixed set of true ones.
func guards(on ...Guard) GuardFunc {
	return func(g Guard) bool { return slices.Contains(on, g) }
}

func TestTransitionTable(t *testing.T) {
	type tc struct {
		from   State
		on     EventKind
		guards []Guard
		to     State // "" stays
		do     []Action
		none   bool // no rule: the event is ignored in that state
		msg    MsgKey
	}
	cases := []tc{
		{from: StateAttract, on: EvStart, to: StateInsertCard, do: []Action{ActSetLanguage}},
		{from: StateAttract, on: EvCardInserted, to: StateReading},
		{from: StateAttract, on: EvCardRemoved, none: true},
		{from: StateAttract, on: EvTimeout, none: true},
		{from: StateAttract, on: EvContinue, none: true},
		{from: StateInsertCard, on: EvCardInserted, to: StateReading},
		{from: StateInsertCard, on: EvTimeout, to: StateAttract},
		{from: StateInsertCard, on: EvCancel, to: StateAttract},
		{from: StateReading, on: EvReadProgress, do: []Action{ActReadProgress}},
		{from: StateReading, on: EvReadOK, to: StateFace, do: []Action{ActAcceptRead}},
		{from: StateReading, on: EvReadFailed, to: StateCardProblem, do: []Action{ActSetReason}},
		{from: StateReading, on: EvCardRemoved, to: StateAttract, do: []Action{ActAuditEnd}, msg: MsgSessionEnded},
		{from: StateReading, on: EvTimeout, none: true},
		{from: StateReading, on: EvCancel, none: true},
		{from: StateCardProblem, on: EvContinue, to: StateTakeCard},
		{from: StateCardProblem, on: EvTimeout, to: StateTakeCard, do: []Action{ActAuditEnd}},
		{from: StateFace, on: EvFaceProgress, do: []Action{ActFaceProgress}},
		{from: StateFace, on: EvFaceDecided, to: StateFaceResult, do: []Action{ActFaceDecided}},
		{from: StateFace, on: EvFaceError, to: StatePIN, do: []Action{ActFaceError}, msg: ReasonFaceUnavailable},
		{from: StateFace, on: EvCardRemoved, to: StateAttract, do: []Action{ActAuditEnd}, msg: MsgSessionEnded},
		{from: StateFaceResult, on: EvContinue, guards: []Guard{GuardFaceMatched, GuardFaceAttemptLeft}, to: StateServiceMenu},
		{from: StateFaceResult, on: EvContinue, guards: []Guard{GuardFaceMatched}, to: StateServiceMenu},
		{from: StateFaceResult, on: EvContinue, guards: []Guard{GuardFaceAttemptLeft}, to: StateFace},
		{from: StateFaceResult, on: EvContinue, to: StatePIN},
		{from: StatePIN, on: EvPINTries, guards: []Guard{GuardPINTriesLeft}, do: []Action{ActPINTries}},
		{from: StatePIN, on: EvPINTries, to: StateCounter, do: []Action{ActPINBlocked}, msg: ReasonPINBlocked},
		{from: StatePIN, on: EvPINDigit, do: []Action{ActPINDigit}},
		{from: StatePIN, on: EvPINSubmit, guards: []Guard{GuardPINComplete}, do: []Action{ActVerifyPIN}},
		{from: StatePIN, on: EvPINSubmit, do: []Action{ActPINShort}},
		{from: StatePIN, on: EvPINOK, to: StateServiceMenu, do: []Action{ActPINOK}},
		{from: StatePIN, on: EvPINWrong, guards: []Guard{GuardPINTriesLeft}, do: []Action{ActPINWrong}},
		{from: StatePIN, on: EvPINWrong, to: StateCounter, do: []Action{ActPINBlocked}, msg: ReasonPINBlocked},
		{from: StatePIN, on: EvPINBlocked, to: StateCounter, do: []Action{ActPINBlocked}, msg: ReasonPINBlocked},
		{from: StatePIN, on: EvPINError, to: StateCounter, msg: ReasonPINUnavailable},
		{from: StatePIN, on: EvTimeout, to: StateTakeCard, do: []Action{ActAuditEnd}},
		{from: StateServiceMenu, on: EvServicesLoaded, do: []Action{ActServicesLoaded}},
		{from: StateServiceMenu, on: EvChooseService, guards: []Guard{GuardEligible}, to: StateServiceForm, do: []Action{ActChooseService}},
		{from: StateServiceMenu, on: EvChooseService, none: true},
		{from: StateServiceMenu, on: EvCancel, to: StateTakeCard, do: []Action{ActAuditEnd}},
		{from: StateServiceForm, on: EvFormInput, do: []Action{ActFormInput}},
		{from: StateServiceForm, on: EvContinue, guards: []Guard{GuardFormValid}, to: StateSummary, do: []Action{ActBuildSummary}},
		{from: StateServiceForm, on: EvContinue, do: []Action{ActFormErrors}},
		{from: StateServiceForm, on: EvBack, to: StateServiceMenu},
		{from: StateSummary, on: EvConfirm, to: StateSubmitting},
		{from: StateSummary, on: EvBack, to: StateServiceForm},
		{from: StateSubmitting, on: EvSubmitted, to: StateDone, do: []Action{ActSubmitted}},
		{from: StateSubmitting, on: EvSubmitFailed, to: StateCounter, do: []Action{ActSubmitFailed}, msg: ReasonSubmitFailed},
		{from: StateSubmitting, on: EvCancel, none: true},
		{from: StateSubmitting, on: EvTimeout, none: true},
		{from: StateDone, on: EvContinue, to: StateTakeCard},
		{from: StateDone, on: EvAnotherService, to: StateServiceMenu},
		{from: StateTakeCard, on: EvCardRemoved, to: StateAttract, do: []Action{ActAuditEnd}, msg: MsgSessionEnded},
		{from: StateTakeCard, on: EvTimeout, to: StateTakeCard},
		{from: StateTakeCard, on: EvCancel, none: true},
		{from: StateCounter, on: EvContinue, to: StateTakeCard},
		{from: StateOutOfService, on: EvReaderReturned, guards: []Guard{GuardInService}, to: StateAttract, do: []Action{ActReader}},
		{from: StateOutOfService, on: EvReaderReturned, do: []Action{ActReader}},
		{from: StateOutOfService, on: EvMaintenanceOff, guards: []Guard{GuardInService}, to: StateAttract, do: []Action{ActMaintenance}},
		{from: StateOutOfService, on: EvCardInserted, none: true},
		{from: StateOutOfService, on: EvSetLanguage},
		// Any state.
		{from: StateSummary, on: EvReaderLost, to: StateOutOfService, do: []Action{ActAuditEnd, ActReader}, msg: ReasonReaderLost},
		{from: StateAttract, on: EvMaintenanceOn, to: StateOutOfService, do: []Action{ActAuditEnd, ActMaintenance}, msg: ReasonMaintenance},
		{from: StateFace, on: EvSetLanguage, do: []Action{ActSetLanguage}},
		{from: StateDone, on: EvToggleLargeText, do: []Action{ActToggleLarge}},
		{from: StatePIN, on: EvToggleContrast, do: []Action{ActToggleContrast}},
		{from: StateServiceForm, on: EvMoreTime, do: []Action{ActMoreTime}},
	}
	for _, c := range cases {
		name := string(c.from) + "/" + string(c.on)
		r, ok := Match(Transitions, c.from, c.on, guards(c.guards...))
		if c.none {
			if ok {
				t.Errorf("%s %v: want no rule, got %+v", name, c.guards, r)
			}
			continue
		}
		if !ok {
			t.Errorf("%s %v: no rule", name, c.guards)
			continue
		}
		if r.To != c.to || !slices.Equal(r.Do, c.do) || r.Message != c.msg {
			t.Errorf("%s %v: got to=%q do=%v msg=%q, want to=%q do=%v msg=%q", name, c.guards, r.To, r.Do, r.Message, c.to, c.do, c.msg)
		}
	}
}

// Every state a card can be in must end on card removal; no rule may lead nowhere.
func TestTransitionTableShape(t *testing.T) {
	known := map[State]bool{}
	for _, s := range States {
		known[s] = true
	}
	for i, r := range Transitions {
		if r.From != AnyState && !known[r.From] {
			t.Errorf("rule %d: unknown from state %q", i, r.From)
		}
		if r.To != "" && !known[r.To] {
			t.Errorf("rule %d: unknown to state %q", i, r.To)
		}
		if r.To == "" && r.Message != "" {
			t.Errorf("rule %d (%s/%s): a message on a rule that keeps the state is never shown", i, r.From, r.On)
		}
	}
	for _, s := range States {
		r, ok := Match(Transitions, s, EvReaderLost, guards())
		if !ok || r.To != StateOutOfService {
			t.Errorf("%s: reader lost does not go out of service", s)
		}
		// In service (reader present, no maintenance), as a resident finds the kiosk.
		r, ok = Match(Transitions, s, EvCardRemoved, guards(GuardInService))
		switch s {
		case StateAttract, StateInsertCard, StateOutOfService, StateEIDScan, StateEIDCheck, StateEIDProblem:
			// No card in the reader: the eID start's screens have none to lose either.
			if ok {
				t.Errorf("%s: card removal should be ignored, got %+v", s, r)
			}
		default:
			if !ok || r.To != StateAttract {
				t.Errorf("%s: card removal must end the session, got %+v ok=%t", s, r, ok)
			}
		}
		// Every timed screen must do something when its timer runs out.
		if Timed(s) {
			if _, ok := Match(Transitions, s, EvTimeout, guards()); !ok {
				t.Errorf("%s: timed screen without a timeout rule", s)
			}
		}
		// Every state but the attract screen must be reachable.
		if s == StateAttract {
			continue
		}
		reached := false
		for _, r := range Transitions {
			if r.To == s && r.From != s {
				reached = true
			}
		}
		if !reached {
			t.Errorf("%s: no rule leads there", s)
		}
	}
	// Screens that show resident data wipe it on the way out to the "take your card"
	// and counter screens.
	for _, s := range []State{StateAttract, StateTakeCard, StateCounter, StateCardProblem, StateOutOfService} {
		if !slices.Contains(OnEnter[s], ActWipe) {
			t.Errorf("entering %s does not wipe the session", s)
		}
	}
}

func TestAllMsgKeys(t *testing.T) {
	keys := AllMsgKeys()
	if !slices.IsSorted(keys) {
		t.Fatal("not sorted")
	}
	for _, want := range []MsgKey{ReasonPassportNotDue, MsgSessionEnded, "screen.pin", "service.one-account",
		"field.phone", "option.collection_office.office_islands", "guide.too_dark", "challenge.turn-left", FormPasswordWeak} {
		if !slices.Contains(keys, want) {
			t.Errorf("AllMsgKeys lacks %q", want)
		}
	}
	for _, k := range keys {
		if k == "" {
			t.Error("empty key")
		}
	}
}

func TestDiagram(t *testing.T) {
	d := Diagram(Transitions)
	for _, s := range States {
		if s != StateOutOfService && !strings.Contains(d, string(s)+" -->") {
			t.Errorf("diagram has no arrow out of %s", s)
		}
	}
	if !strings.Contains(d, "face_result --> pin: continue\n") || !strings.Contains(d, "face_result --> face: continue [face_attempt_left]") {
		t.Errorf("diagram lacks the face fallback:\n%s", d)
	}
}
