package kiosk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MachineConfig tunes the session. Zero values take the defaults in parentheses.
type MachineConfig struct {
	KioskID         string
	DefaultLanguage Language      // (zh-Hant) language of the attract screen
	ScreenTimeout   time.Duration // (60s) idle time before "need more time?"
	MoreTimeGrace   time.Duration // (20s) how long "need more time?" waits
	FaceAttempts    int           // (3) face attempts before the PIN fallback
	PIN             PINPolicy     // (DefaultPINPolicy) the card PIN's length and tries
	Fees            Fees          // (DefaultFees)
	OfficeHours     *OfficeHours  // (DefaultOfficeHours) when staff are at hand: wider renewal rule
	Demo            bool          // show the DEMO banner
	Location        *time.Location
	// TickEvery drives the screen timer from a real ticker (default 1s); a negative
	// value leaves it to the caller to post EvTick (tests do, with a fake clock).
	TickEvery time.Duration

	// Time limits of device and back-office work (defaults 30s, 90s, 15s, 10s, 20s).
	ReadTimeout, FaceTimeout, PINTimeout, LookupTimeout, SubmitTimeout time.Duration
	// PhotoTimeout bounds one try of the photo step (default 45s): past it the try is
	// used up without a photo.
	PhotoTimeout time.Duration
	// PaymentTimeout bounds one payment try (default 5m): past it the order is
	// cancelled. PaymentPoll is how often a pending order is asked about (default 2s).
	PaymentTimeout, PaymentPoll time.Duration
	// DeliverTimeout bounds the delivery of a fresh application before its receipt is
	// printed (default 5s): past it the receipt says the collection date comes by SMS
	// and the outbox delivers later.
	DeliverTimeout time.Duration
	// BindingPoll is how often an eID binding is asked about while its QR is shown (default 2s).
	BindingPoll time.Duration
	// VerifyURLBase is the verification address printed in the receipt's QR code.
	VerifyURLBase string
}

func (c *MachineConfig) defaults() error {
	setDur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	setDur(&c.ScreenTimeout, 60*time.Second)
	setDur(&c.MoreTimeGrace, 20*time.Second)
	setDur(&c.ReadTimeout, 30*time.Second)
	setDur(&c.FaceTimeout, 90*time.Second)
	setDur(&c.PINTimeout, 15*time.Second)
	setDur(&c.LookupTimeout, 10*time.Second)
	setDur(&c.SubmitTimeout, 20*time.Second)
	setDur(&c.PhotoTimeout, 45*time.Second)
	setDur(&c.PaymentTimeout, 5*time.Minute)
	setDur(&c.PaymentPoll, 2*time.Second)
	setDur(&c.DeliverTimeout, 5*time.Second)
	setDur(&c.BindingPoll, 2*time.Second)
	setDur(&c.TickEvery, time.Second)
	if c.DefaultLanguage == "" {
		c.DefaultLanguage = LangZhHant
	}
	if !c.DefaultLanguage.Valid() {
		return fmt.Errorf("session: unknown language %q", c.DefaultLanguage)
	}
	if c.FaceAttempts == 0 {
		c.FaceAttempts = 3
	}
	if c.PIN == (PINPolicy{}) {
		c.PIN = DefaultPINPolicy
	}
	if err := c.PIN.Validate(); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if c.Fees == nil {
		c.Fees = DefaultFees
	}
	if c.OfficeHours == nil {
		h := DefaultOfficeHours
		c.OfficeHours = &h
	}
	if err := c.Fees.Validate(); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if c.Location == nil {
		c.Location = MacauTime
	}
	if c.ScreenTimeout < 0 || c.MoreTimeGrace < 0 || c.FaceAttempts < 1 {
		return errors.New("session: negative timeout or no face attempts")
	}
	return nil
}

// Deps are the ports the session uses. Printer may be nil (no printer).
type Deps struct {
	Card       CardReader
	Face       FaceVerifier
	Photo      PortraitCamera // nil: no photo step (the application goes without a photo)
	Store      Store
	BackOffice BackOffice
	Printer    Printer
	Clock      Clock
	Rand       io.Reader // crypto/rand.Reader in production
	Subjects   SubjectHasher
	Sealer     SecretSealer // seals passwords to the back office: never stored in clear
	Payments   Payments     // nil: this kiosk takes no money (paid services are not offered)
	Staff      StaffDesk    // nil: no staff mode on this kiosk
	// EID and QR: the eID start (both nil: the kiosk offers the card only).
	EID       EIDVerifier
	QR        QRScanner
	StaffAuth StaffAuth // nil: staff enter with a staff card only
	// OneAccounts is the back office's One Account and eID service; nil: the service
	// is not offered here (the menu says why).
	OneAccounts OneAccounts
	// OnError hears failures that do not change the flow (an audit row that could not
	// be written, a stale result dropped with an error). Messages carry no personal data.
	OnError func(error)
	// Outbox delivers a saved application at once, so that its receipt carries the
	// back office's collection date; nil: the outbox's own rounds deliver it and the
	// receipt says the date comes by SMS.
	Outbox Outbox
}

// Machine runs one kiosk's sessions: it owns the state, interprets Transitions, starts
// device work in the background, runs the screen timer and publishes snapshots.
// Everything but Post, Snapshot and Subscribe runs on the goroutine of Run.
type Machine struct {
	cfg  MachineConfig
	deps Deps
	refs References

	events  chan Event
	done    chan struct{}
	runOnce sync.Once
	runCtx  context.Context
	ops     []context.CancelFunc
	opWG    sync.WaitGroup

	mu   sync.Mutex
	snap Snapshot
	subs map[int]func(Snapshot)
	next int

	// Session state, touched only by the Run goroutine.
	state       State
	gen         uint64 // bumped by every wipe: results of older work are dropped
	lang        Language
	large, hc   bool
	message     MsgKey
	notice      MsgKey
	busy        bool
	deadline    time.Time
	asked       bool
	readerOK    bool
	maintenance bool

	read        *CardRead
	subject     string
	verifiedBy  string // "face", "pin", or "eid" (eID code, then face)
	progress    ReadProgress
	face        FaceView
	faceAttempt int
	pin         []byte
	pinTries    int
	services    []ServiceView
	pending     []ServiceID // submitted in this session
	service     ServiceID
	form        map[string]string
	formErrs    map[string]MsgKey
	summary     *SummaryView
	reference   string
	receipt     *Receipt
	pay         *PaymentView
	held        *heldApplication // saved awaiting payment; settled when the session ends
	photo       photoState
	staff       staffState // survives the resident's wipe: the lock must
	endNotice   MsgKey     // the take-card screen's word on what was submitted (EndNotice)
	eid         bool       // the session started with the eID: no card in the reader
	eidCode     string     // the scanned code, until the back office is asked
	eidView     EIDView
	oa          *oaSession       // the One Account steps (oneaccount.go)
	oaStatus    OneAccountStatus // the resident's One Account, from the menu's lookup
}

var _ Flow = (*Machine)(nil)

// NewMachine checks the configuration and the ports.
func NewMachine(cfg MachineConfig, deps Deps) (*Machine, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	switch {
	case deps.Card == nil:
		return nil, errors.New("session: no card reader")
	case deps.Face == nil:
		return nil, errors.New("session: no face verifier")
	case deps.Store == nil:
		return nil, errors.New("session: no store")
	case deps.BackOffice == nil:
		return nil, errors.New("session: no back office")
	case deps.Clock == nil:
		return nil, errors.New("session: no clock")
	case deps.Rand == nil:
		return nil, errors.New("session: no randomness")
	case deps.Subjects == nil:
		return nil, errors.New("session: no subject hasher")
	case deps.Sealer == nil:
		return nil, errors.New("session: no secret sealer (the back office's public key)")
	}
	if deps.Printer == nil {
		deps.Printer = NoPrinter{}
	}
	if deps.Payments == nil {
		deps.Payments = NoPayments{}
	}
	m := &Machine{
		cfg:      cfg,
		deps:     deps,
		refs:     References{Rand: deps.Rand, Location: cfg.Location},
		events:   make(chan Event, 512),
		done:     make(chan struct{}),
		subs:     map[int]func(Snapshot){},
		state:    StateAttract,
		lang:     cfg.DefaultLanguage,
		readerOK: true,
		pinTries: -1,
	}
	m.snap = m.build(deps.Clock.Now())
	return m, nil
}

// Post queues an event for the machine. It blocks only while the queue is full and
// returns at once after Run has ended.
func (m *Machine) Post(ev Event) {
	ev.gen, ev.subject, ev.barrier, ev.receipt, ev.oa = 0, "", nil, nil, nil // only the machine's own work sets these
	select {
	case m.events <- ev:
	case <-m.done:
	}
}

// evBarrier is the internal event of Sync.
const evBarrier EventKind = "barrier"

// Sync returns once the machine has handled every event this goroutine posted before
// the call, and published their snapshots (or when ctx ends or Run has ended). Tests use
// it as a barrier; the kiosk itself never needs it.
func (m *Machine) Sync(ctx context.Context) error {
	ch := make(chan struct{})
	select {
	case m.events <- Event{Kind: evBarrier, barrier: ch}:
	case <-m.done:
		return errors.New("session: not running")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ch:
		return nil
	case <-m.done:
		return errors.New("session: not running")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Snapshot returns the latest published snapshot.
func (m *Machine) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap
}

// Subscribe calls fn with the current snapshot now (on the caller's goroutine) and with
// every later one (on the machine's goroutine). fn must return quickly.
func (m *Machine) Subscribe(fn func(Snapshot)) (cancel func()) {
	m.mu.Lock()
	id := m.next
	m.next++
	m.subs[id] = fn
	cur := m.snap
	m.mu.Unlock()
	fn(cur)
	return func() {
		m.mu.Lock()
		delete(m.subs, id)
		m.mu.Unlock()
	}
}

// Run processes events until ctx ends, then wipes the session. It watches the card
// reader and, with TickEvery set, drives the screen timer. It may be called once.
func (m *Machine) Run(ctx context.Context) error {
	first := false
	m.runOnce.Do(func() { first = true })
	if !first {
		return errors.New("session: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		m.wipe()
		close(m.done)
		m.opWG.Wait()
		m.drain()
	}()
	m.runCtx = ctx
	watch, err := m.deps.Card.Watch(ctx)
	if err != nil {
		return fmt.Errorf("watching the card reader: %w", err)
	}
	go m.forwardCard(ctx, watch)
	if m.cfg.TickEvery > 0 {
		go m.ticker(ctx)
	}
	m.enterState(m.deps.Clock.Now(), StateAttract, "", Event{})
	m.publish()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-m.events:
			m.handle(ev)
		}
	}
}

// drain wipes card reads left in the queue after Run ended.
func (m *Machine) drain() {
	for {
		select {
		case ev := <-m.events:
			ev.Read.Wipe()
			ev.Photo.Wipe()
		default:
			return
		}
	}
}

func (m *Machine) forwardCard(ctx context.Context, watch <-chan CardEvent) {
	kinds := map[CardEventKind]EventKind{
		CardInserted: EvCardInserted, CardRemoved: EvCardRemoved,
		ReaderLost: EvReaderLost, ReaderReturned: EvReaderReturned,
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ce, ok := <-watch:
			if !ok {
				// The watcher gave up: without it a pulled card would go unnoticed.
				m.Post(Event{Kind: EvReaderLost})
				return
			}
			if k, ok := kinds[ce.Kind]; ok {
				m.Post(Event{Kind: k})
			}
		}
	}
}

func (m *Machine) ticker(ctx context.Context) {
	t := time.NewTicker(m.cfg.TickEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Post(Event{Kind: EvTick})
		}
	}
}

// handle applies one event.
func (m *Machine) handle(ev Event) {
	// Any card read not kept by the session is wiped when we are done with the event.
	defer func() {
		if ev.Read != nil && ev.Read != m.read {
			ev.Read.Wipe()
		}
		if ev.Photo != nil && ev.Photo != m.photo.taken {
			ev.Photo.Wipe()
		}
	}()
	if ev.gen != 0 && ev.gen != m.gen {
		// Result of work for a session that has ended. The application's own audit
		// row was written with it (SaveApplication); this one records that the
		// resident never saw the receipt.
		if ev.Kind == EvSubmitted {
			m.auditAs(m.deps.Clock.Now(), ev.subject, "system", "application.receipt",
				"reference="+ev.Reference+" receipt=not_shown")
		}
		return
	}
	if oaResults[ev.Kind] && ev.oa == nil {
		return // a back-office answer that did not come from the machine's own work
	}
	if ev.Kind == evBarrier {
		if ev.barrier != nil {
			close(ev.barrier)
		}
		return
	}
	now := m.deps.Clock.Now()
	if ev.Kind == EvTick {
		m.tick(now)
		m.publish()
		return
	}
	if activity[ev.Kind] || ((ev.Kind == EvFaceProgress || ev.Kind == EvPhotoProgress) && ev.Face.Guidance != GuideNoFace && ev.Face.Guidance != "") {
		m.touch(now)
	}
	r, ok := Match(Transitions, m.state, ev.Kind, func(g Guard) bool { return m.guard(g, ev) })
	if !ok {
		if activity[ev.Kind] {
			m.publish() // the timer restarted
		}
		return
	}
	if r.To != "" {
		m.enterState(now, r.To, r.Message, ev, r.Do...)
	} else {
		for _, a := range r.Do {
			m.do(now, a, ev)
		}
	}
	m.publish()
}

// enterState switches to s: stops the old state's work, runs the rule's actions, then
// the entry actions of s, and restarts the screen timer.
func (m *Machine) enterState(now time.Time, s State, msg MsgKey, ev Event, actions ...Action) {
	m.cancelOps()
	prev := m.state
	if isStaffState(prev) && !isStaffState(s) {
		m.staffExit(now, ev) // every way out of staff mode is audited with who and why
	}
	m.state = s
	m.message, m.notice, m.busy = msg, "", false
	for _, a := range actions {
		m.doFrom(now, a, ev, prev)
	}
	for _, a := range OnEnter[s] {
		m.doFrom(now, a, ev, prev)
	}
	m.resetTimer(now)
}

func (m *Machine) guard(g Guard, ev Event) bool {
	if answer, ok := m.eidGuard(g); ok {
		return answer
	}
	switch g {
	case GuardFaceMatched:
		return m.face.Matched
	case GuardFaceAttemptLeft:
		return m.faceAttempt < m.cfg.FaceAttempts
	case GuardPINTriesLeft:
		return ev.Tries > 0
	case GuardPINComplete:
		return !m.busy && m.cfg.PIN.Complete(m.pin)
	case GuardEligible:
		for _, s := range m.services {
			if s.ID == ev.Service {
				return s.Eligible
			}
		}
		return false
	case GuardFormValid:
		return ValidateForm(m.service, m.form) == nil
	case GuardNeedsPayment:
		return m.cfg.Fees[m.service] > 0
	case GuardPaid:
		return m.held != nil && ev.Payment.Reference == m.held.app.Reference && ev.Payment.Status == PayPaid
	case GuardPaymentOpen:
		return m.held != nil && m.pay != nil && m.pay.Method != ""
	case GuardPaymentWithdrawn:
		return m.held != nil && ev.Payment.Reference == m.held.app.Reference && m.pay != nil && m.pay.Cancelling &&
			ev.Payment.Status.Final() && ev.Payment.Status != PayPaid
	case GuardEligibleChecked:
		return m.guard(GuardEligible, ev) && ChecksData(ev.Service)
	case GuardPhotoStep, GuardPhotoTaken, GuardPhotoTryLeft, GuardMyPhotoOnFile:
		return m.photoGuard(g)
	case GuardStaffCard:
		// An expired staff card opens nothing: staff leave with their card.
		return m.deps.Staff != nil && ev.Read != nil && ev.Read.Holder.StaffID != "" &&
			(ev.Read.Holder.ExpiryDate.IsZero() || !DateOf(ev.Read.Holder.ExpiryDate).Before(m.today(m.deps.Clock.Now())))
	case GuardStaffAvailable:
		return m.deps.Staff != nil
	case GuardStaffAccepted:
		return ev.Err == nil && ev.Value != ""
	case GuardStaffByCard:
		return m.staff.byCard != ""
	case GuardMaintenance:
		return m.maintenance
	case GuardInService:
		reader := m.readerOK || ev.Kind == EvReaderReturned
		maint := m.maintenance && ev.Kind != EvMaintenanceOff
		return reader && !maint
	}
	if ok, known := m.oneAccountGuard(g, ev); known {
		return ok
	}
	m.report(fmt.Errorf("session: unknown guard %q", g))
	return false
}

func (m *Machine) do(now time.Time, a Action, ev Event) { m.doFrom(now, a, ev, m.state) }

func (m *Machine) doFrom(now time.Time, a Action, ev Event, prev State) {
	switch a {
	case ActWipe:
		m.wipe()
	case ActResetPrefs:
		m.lang, m.large, m.hc = m.cfg.DefaultLanguage, false, false
		m.endNotice, m.eid = "", false
	case ActSetLanguage:
		if ev.Language.Valid() {
			m.lang = ev.Language
		}
	case ActToggleLarge:
		m.large = !m.large
	case ActToggleContrast:
		m.hc = !m.hc
	case ActMoreTime:
		m.resetTimer(now)
	case ActAuditEnd:
		// Every early end runs this: it is also where the take-card screen learns
		// whether anything was submitted (the wipe on entering it forgets m.pending).
		m.endNotice = EndNotice(ev.Kind, len(m.pending))
		if prev != StateAttract && prev != StateInsertCard && prev != StateOutOfService {
			actor := "system"
			if ev.Kind == EvCancel {
				actor = "resident"
			}
			action := "session.end"
			switch ev.Kind {
			case EvCancel:
				action = "session.cancel"
			case EvTimeout:
				action = "session.timeout"
			}
			m.audit(now, actor, action, "event="+string(ev.Kind)+" state="+string(prev))
		}
	case ActStartRead:
		m.startRead(now)
	case ActReadProgress:
		m.progress = ev.Progress
	case ActAcceptRead:
		m.read = ev.Read
		m.subject = m.deps.Subjects.Hash(ev.Read.Holder.DocumentNumber)
		m.audit(now, "system", "card.read", "ok access="+ev.Read.Access)
	case ActSetReason:
		m.message = ev.Reason
		if ev.Kind == EvReadFailed {
			m.audit(now, "system", "card.read", "failed reason="+string(ev.Reason))
		}
	case ActStartFace:
		m.startFace(now)
	case ActStartPhoto, ActPhotoProgress, ActPhotoTaken, ActPhotoError, ActAcceptPhoto, ActUseMyPhoto:
		m.photoDo(now, a, ev)
	case ActFaceProgress:
		fv := m.face
		fv.Guidance, fv.Challenge, fv.ChallengeRemaining = ev.Face.Guidance, ev.Face.Challenge, ev.Face.Remaining
		if ev.Face.Frame.Image != nil {
			f := ev.Face.Frame
			fv.Frame = &f
		}
		m.face = fv
	case ActFaceDecided:
		d := ev.Decision
		m.face.Frame, m.face.Guidance, m.face.Challenge, m.face.ChallengeRemaining = nil, "", "", 0
		m.face.Matched = d.Live && d.Match
		m.face.AttemptsLeft = m.cfg.FaceAttempts - m.faceAttempt
		m.face.Failure = FaceFailure(d)
		if m.eid {
			m.face.Failure = eidFaceFailure(m.face.Failure)
		}
		if m.face.Matched {
			m.verifiedBy = "face"
			if m.eid {
				m.verifiedBy = "eid" // the back office's eID code, then the face against its photo
			}
		}
		m.audit(now, "system", "face.verify", fmt.Sprintf("attempt=%d live=%t match=%t score=%.3f threshold=%.3f challenge=%s reason=%s",
			m.faceAttempt, d.Live, d.Match, d.Score, d.Threshold, d.Challenge, d.Reason))
	case ActFaceError:
		m.face = FaceView{}
		m.audit(now, "system", "face.verify", "error="+errText(ev.Err))
	case ActQueryPINTries:
		m.startPINTries()
	case ActPINTries:
		m.busy = false
		m.pinTries = ev.Tries
	case ActPINDigit:
		if !m.busy && len(ev.Value) == 1 && ev.Value[0] >= '0' && ev.Value[0] <= '9' && len(m.pin) < m.cfg.PIN.Length {
			m.pin = append(m.pin, ev.Value[0])
			m.notice = ""
		}
	case ActPINBackspace:
		if !m.busy && len(m.pin) > 0 {
			m.pin[len(m.pin)-1] = 0
			m.pin = m.pin[:len(m.pin)-1]
		}
	case ActPINShort:
		if !m.busy {
			m.notice = MsgPINTooShort
		}
	case ActVerifyPIN:
		m.startVerifyPIN()
	case ActPINOK:
		m.busy = false
		m.verifiedBy = "pin"
		m.audit(now, "resident", "pin.verify", "ok")
	case ActPINWrong:
		m.busy = false
		m.pinTries = ev.Tries
		m.notice = MsgPINWrong
		m.audit(now, "resident", "pin.verify", "wrong tries_left="+strconv.Itoa(ev.Tries))
	case ActPINBlocked:
		m.audit(now, "resident", "pin.verify", "blocked")
	case ActLoadServices:
		m.startLoadServices(now)
	case ActServicesLoaded:
		m.busy = false
		m.services = ev.ServiceViews
		m.photo.myPhoto = ev.MyPhoto
		if ev.oa != nil {
			m.oaStatus = ev.oa.account
		}
		var ok []string
		for _, s := range m.services {
			if s.Eligible {
				ok = append(ok, string(s.ID))
			}
		}
		m.audit(now, "system", "services.menu", "eligible="+strings.Join(ok, ","))
	case ActChooseService:
		m.service = ev.Service
		m.form, m.formErrs, m.summary = map[string]string{}, nil, nil
		// A photo is taken for one application: the tries start again with the next.
		myPhoto := m.photo.myPhoto
		m.photo.wipe()
		m.photo.myPhoto = myPhoto
		m.audit(now, "resident", "service.choose", "service="+string(ev.Service))
	case ActFormInput:
		for _, f := range FormFor(m.service) {
			if f.Name == ev.Field {
				if v, ok := NormalizeInput(f, ev.Value); ok {
					m.form[f.Name] = v
					delete(m.formErrs, f.Name)
				}
			}
		}
	case ActFormErrors:
		m.formErrs = ValidateForm(m.service, m.form)
	case ActBuildSummary:
		m.formErrs = nil
		m.summary = buildSummary(m.service, m.form, m.cfg.Fees[m.service])
		m.summary.Lines = append(m.summary.Lines, m.photoSummary()...)
	case ActSubmit:
		m.startSubmit(now)
	case ActSubmitted:
		m.reference = ev.Reference
		m.receipt = ev.receipt
		m.notice = ev.Reason
		m.pending = append(m.pending, m.service)
		// Audited by SaveApplication, in the application's own transaction.
	case ActSubmitFailed:
		if ev.Reason != "" {
			m.message = ev.Reason // what happens to the resident's money
		}
		m.audit(now, "system", "application.submit", "failed error="+errText(ev.Err))
	case ActStaffEnter:
		m.staffEnter(now, ev)
	case ActStaffPINSubmit:
		m.staffPINSubmit(now)
	case ActStaffPINResult:
		m.staffPINResult(now, ev)
	case ActStaffPage:
		if ev.Value == StaffPageHealth || ev.Value == StaffPageAudit || ev.Value == StaffPageFace {
			m.staffLoad(ev.Value)
		}
	case ActStaffAction:
		m.staffAction(now, ev)
	case ActStaffInput:
		m.staffInput(ev)
	case ActStaffData:
		m.staffData(ev)
	case ActStaffDone:
		m.staffDone(ev)
	case ActPaymentEnter:
		m.paymentEnter(now)
	case ActStartPayment:
		m.startPayment(now, PaymentMethod(ev.Value))
	case ActPaymentUpdate:
		m.paymentUpdate(now, ev.Payment)
	case ActPaymentError:
		m.paymentError(now, ev.Err)
	case ActCancelPayment:
		m.cancelPayment()
	case ActMaintenance:
		m.maintenance = ev.Kind == EvMaintenanceOn
	case ActReader:
		m.readerOK = ev.Kind != EvReaderLost
	default:
		if !m.eidDo(a, ev) && !m.doOneAccount(now, a, ev) {
			m.report(fmt.Errorf("session: unknown action %q", a))
		}
	}
}

// wipe drops everything of the resident: photo bytes zeroed, PIN digits zeroed,
// holder data, form values and results dropped, work in progress stopped.
func (m *Machine) wipe() {
	m.gen++
	m.cancelOps()
	if m.read != nil {
		m.read.Wipe()
		m.read = nil
	}
	for i := range m.pin {
		m.pin[i] = 0
	}
	m.pin = m.pin[:0]
	for k := range m.form {
		delete(m.form, k)
	}
	m.form, m.formErrs, m.summary, m.service = nil, nil, nil, ""
	m.settleHeld()
	m.subject, m.verifiedBy, m.reference, m.receipt, m.pay = "", "", "", nil, nil
	m.progress, m.face, m.faceAttempt = ReadProgress{}, FaceView{}, 0
	m.photo.wipe()
	m.pinTries, m.services, m.pending = -1, nil, nil
	// m.eid survives the wipe (the counter screen wipes on entry and must still know
	// there is no card to take): it says how the session started, nothing personal.
	m.eidCode, m.eidView = "", EIDView{}
	m.oa.wipe()
	m.oa, m.oaStatus = nil, OneAccountStatus{}
	m.busy = false
}

// --- timer ---------------------------------------------------------------

func (m *Machine) resetTimer(now time.Time) {
	m.asked = false
	m.deadline = time.Time{}
	switch {
	case isStaffState(m.state):
		m.deadline = now.Add(StaffIdle)
	case Timed(m.state):
		m.deadline = now.Add(m.cfg.ScreenTimeout)
	}
}

func (m *Machine) touch(now time.Time) {
	if !m.deadline.IsZero() {
		m.resetTimer(now)
	}
}

func (m *Machine) tick(now time.Time) {
	if m.deadline.IsZero() || now.Before(m.deadline) {
		return
	}
	if !m.asked {
		m.asked = true
		m.deadline = now.Add(m.cfg.MoreTimeGrace)
		return
	}
	m.handle(Event{Kind: EvTimeout})
}

// --- background work -------------------------------------------------------

// goOp runs f in the background for the current session. f's events are posted with
// the session's generation; once the op is cancelled (state left, session wiped) its
// events are dropped instead of posted.
func (m *Machine) goOp(timeout time.Duration, f func(ctx context.Context, post func(Event))) {
	base := m.runCtx
	if base == nil {
		base = context.Background()
	}
	opCtx, cancel := context.WithCancel(base)
	m.ops = append(m.ops, cancel)
	gen := m.gen
	post := func(ev Event) {
		ev.gen = gen
		// A submission's result is delivered even after the session ended, so that
		// the saved application is audited; everything else of an ended op is dropped.
		cancelled := opCtx.Done()
		if ev.Kind == EvSubmitted {
			cancelled = nil
		}
		select {
		case <-cancelled:
			ev.Read.Wipe()
			ev.Photo.Wipe()
			return
		default:
		}
		select {
		case m.events <- ev:
		case <-cancelled:
			ev.Read.Wipe()
			ev.Photo.Wipe()
		case <-m.done:
			ev.Read.Wipe()
			ev.Photo.Wipe()
		}
	}
	m.opWG.Add(1)
	go func() {
		defer m.opWG.Done()
		defer cancel()
		ctx, stop := context.WithTimeout(opCtx, timeout)
		defer stop()
		f(ctx, post)
	}()
}

func (m *Machine) cancelOps() {
	for _, c := range m.ops {
		c()
	}
	m.ops = m.ops[:0]
}

func (m *Machine) today(now time.Time) Date { return DateOf(now.In(m.cfg.Location)) }

func (m *Machine) startRead(now time.Time) {
	m.eid = false // a card after all
	m.audit(now, "system", "session.start", "")
	m.progress = ReadProgress{}
	card := m.deps.Card
	m.goOp(m.cfg.ReadTimeout, func(ctx context.Context, post func(Event)) {
		read, err := card.Read(ctx, func(p ReadProgress) { post(Event{Kind: EvReadProgress, Progress: p}) })
		switch {
		case err != nil:
			read.Wipe()
			post(Event{Kind: EvReadFailed, Reason: readReason(err), Err: err})
		case read == nil:
			post(Event{Kind: EvReadFailed, Reason: ReasonCardUnreadable})
		case !read.Verified:
			read.Wipe()
			post(Event{Kind: EvReadFailed, Reason: ReasonCardNotGenuine})
		default:
			// An expired card is still the resident's proof of identity: renewing it
			// is what they came for. The menu decides what it allows (renewal only).
			post(Event{Kind: EvReadOK, Read: read})
		}
	})
}

// readReason: a card that reads but is not genuine or has expired is decided above from
// the read itself (Verified, the expiry date); an error means the card could not be read.
// A card that stopped answering (the adapter gives up at its deadline) is told
// apart: taking it out and putting it back usually helps, unlike an unreadable one.
func readReason(err error) MsgKey {
	if errors.Is(err, context.DeadlineExceeded) {
		return ReasonCardNotAnswering
	}
	return ReasonCardUnreadable
}

func (m *Machine) startFace(now time.Time) {
	m.faceAttempt++
	m.face = FaceView{Attempt: m.faceAttempt, MaxAttempts: m.cfg.FaceAttempts}
	if m.read == nil {
		m.report(errors.New("session: face step without a card read"))
		return
	}
	ch, err := PickChallenge(m.deps.Rand)
	if err != nil {
		m.report(err)
		ch = ChallengeBlink
	}
	// The verifier gets its own copy of the photo, wiped when it returns: the session
	// can then wipe its copy at any moment without racing the verifier.
	ref := FacePhoto{Format: m.read.Holder.Photo.Format, Data: bytes.Clone(m.read.Holder.Photo.Data)}
	face := m.deps.Face
	m.goOp(m.cfg.FaceTimeout, func(ctx context.Context, post func(Event)) {
		defer ref.Wipe()
		d, err := face.Verify(ctx, ref, ch, func(p FaceProgress) { post(Event{Kind: EvFaceProgress, Face: p}) })
		if errors.Is(err, context.DeadlineExceeded) {
			// Out of time is a failed attempt, not a broken camera.
			post(Event{Kind: EvFaceDecided, Decision: FaceDecision{Challenge: ch, Reason: "timeout"}})
			return
		}
		if err != nil {
			post(Event{Kind: EvFaceError, Err: err})
			return
		}
		post(Event{Kind: EvFaceDecided, Decision: d})
	})
}

func (m *Machine) startPINTries() {
	m.busy = true
	m.pinTries = -1
	card := m.deps.Card
	m.goOp(m.cfg.PINTimeout, func(ctx context.Context, post func(Event)) {
		n, err := card.PINTriesLeft(ctx)
		switch {
		case errors.Is(err, ErrCardBlocked):
			post(Event{Kind: EvPINTries, Tries: 0})
		case err != nil:
			post(Event{Kind: EvPINError, Err: err})
		default:
			post(Event{Kind: EvPINTries, Tries: n})
		}
	})
}

func (m *Machine) startVerifyPIN() {
	if m.busy {
		return
	}
	m.busy = true
	m.notice = ""
	// The digits move to a copy that only the card call holds and that is zeroed when
	// it returns; the session's own buffer is zeroed now. Never a string: a string
	// cannot be wiped.
	pin := bytes.Clone(m.pin)
	for i := range m.pin {
		m.pin[i] = 0
	}
	m.pin = m.pin[:0]
	before := m.pinTries
	card := m.deps.Card
	m.goOp(m.cfg.PINTimeout, func(ctx context.Context, post func(Event)) {
		defer clear(pin)
		err := card.VerifyPIN(ctx, pin)
		var wrong *WrongPINError
		switch {
		case err == nil:
			post(Event{Kind: EvPINOK})
		case errors.As(err, &wrong):
			post(Event{Kind: EvPINWrong, Tries: wrong.TriesLeft})
		case errors.Is(err, ErrWrongPIN):
			// No count from the card: assume one try was spent.
			post(Event{Kind: EvPINWrong, Tries: max(before-1, 0)})
		case errors.Is(err, ErrCardBlocked):
			post(Event{Kind: EvPINBlocked})
		default:
			post(Event{Kind: EvPINError, Err: err})
		}
	})
}

func (m *Machine) startLoadServices(now time.Time) {
	m.busy = true
	m.services = nil
	if m.read == nil {
		m.report(errors.New("session: service menu without a card read"))
		return
	}
	el := Eligibility{
		BirthDate:  DateOf(m.read.Holder.BirthDate),
		IssueDate:  DateOf(m.read.Holder.IssueDate),
		Residency:  m.read.Holder.Residency,
		Today:      m.today(now),
		Now:        now,
		OfficeOpen: m.cfg.OfficeHours.At(now.In(m.cfg.Location)),
	}
	if !m.read.Holder.ExpiryDate.IsZero() {
		el.CardExpiry = DateOf(m.read.Holder.ExpiryDate)
	}
	pending := append([]ServiceID(nil), m.pending...)
	fees := m.cfg.Fees
	methods := m.deps.Payments.Methods()
	subject := m.subject
	bo := m.deps.BackOffice
	oneAccounts := m.deps.OneAccounts != nil
	m.goOp(m.cfg.LookupTimeout, func(ctx context.Context, post func(Event)) {
		rec, err := bo.Lookup(ctx, subject)
		el.Record, el.RecordErr = rec, err
		el.Record.Pending = append(el.Record.Pending, pending...)
		views := ServiceViews(el, fees)
		for i := range views {
			switch {
			case len(methods) == 0 && views[i].Eligible && views[i].Fee > 0:
				// No way to take money here: a paid service cannot be completed.
				views[i].Eligible, views[i].Reason = false, ReasonPaymentUnavailable
			case !oneAccounts && views[i].Eligible && views[i].ID == ServiceOneAccount:
				views[i].Eligible, views[i].Reason = false, ReasonOneAccountOffline
			}
		}
		post(Event{Kind: EvServicesLoaded, ServiceViews: views, MyPhoto: err == nil && rec.MyPhoto,
			oa: &oaResult{account: rec.OneAccount}})
	})
}

// ServiceViews decides every service for the menu.
func ServiceViews(el Eligibility, fees Fees) []ServiceView {
	out := make([]ServiceView, 0, len(Services))
	for _, s := range Services {
		ok, why := el.Check(s)
		out = append(out, ServiceView{ID: s, Eligible: ok, Reason: why, Fee: fees[s]})
	}
	return out
}

func buildSummary(s ServiceID, form map[string]string, fee int) *SummaryView {
	sv := &SummaryView{Service: s, Fee: fee}
	sv.Lines = append(sv.Lines, SummaryLine{Label: SummaryService, Value: string(ServiceKey(s)), ValueIsKey: true})
	for _, f := range FormFor(s) {
		v := form[f.Name]
		switch {
		case f.Name == FieldPasswordConfirm:
			continue
		case v == "" && !f.Required && f.Kind != FieldPassword:
			continue // left as on record: nothing to confirm
		case f.Kind == FieldPassword:
			state := SummaryPasswordNotSet
			if v != "" {
				state = SummaryPasswordSet
			}
			sv.Lines = append(sv.Lines, SummaryLine{Label: FieldKey(f.Name), Value: string(state), ValueIsKey: true})
		case f.Kind == FieldChoice:
			sv.Lines = append(sv.Lines, SummaryLine{Label: FieldKey(f.Name), Value: string(OptionKey(f.Name, v)), ValueIsKey: true})
		default:
			sv.Lines = append(sv.Lines, SummaryLine{Label: FieldKey(f.Name), Value: v})
		}
	}
	return sv
}

// prepared is an application ready to be saved, with its receipt and the audit row of
// its submission.
type prepared struct {
	app       Application
	receipt   Receipt
	submitted AuditEvent
}

// prepare builds the application of the current form under a fresh reference: the
// payload (secrets sealed), its receipt and its submission's audit row.
func (m *Machine) prepare(now time.Time) (prepared, error) {
	ref, err := m.refs.New(now)
	if err != nil {
		return prepared{}, err
	}
	form, sealed, err := m.sealForm(ref)
	if err != nil {
		return prepared{}, err
	}
	msg := ApplicationMessage{
		Reference: ref, Service: m.service, Subject: m.subject, KioskID: m.cfg.KioskID,
		Language: m.lang, Fee: m.cfg.Fees[m.service], Form: form, Sealed: sealed,
		CreatedAt: now.UTC().Format(time.RFC3339), Verified: m.verifiedBy, Photo: m.applicationPhoto(),
	}
	payload, err := json.Marshal(msg)
	if err != nil {
		return prepared{}, fmt.Errorf("encoding application: %w", err)
	}
	return prepared{
		app: Application{Reference: ref, Service: string(m.service), Subject: m.subject, Fee: msg.Fee, Payload: payload, CreatedAt: now},
		receipt: Receipt{Reference: ref, Service: m.service, Fee: msg.Fee, At: now, Language: m.lang, KioskID: m.cfg.KioskID,
			VerifyURL: VerifyURL(m.cfg.VerifyURLBase, ref), Office: form[FieldCollectionOffice], Demo: m.cfg.Demo},
		submitted: AuditEvent{At: now, Actor: "resident", Action: "application.submit", Subject: m.subject,
			Detail: "service=" + string(m.service) + " reference=" + ref},
	}, nil
}

func (m *Machine) startSubmit(now time.Time) {
	m.busy = true
	if h := m.held; h != nil {
		m.held = nil // the submission owns it now
		m.submitHeld(h)
		return
	}
	p, err := m.prepare(now)
	if err != nil {
		m.goOp(time.Second, func(_ context.Context, post func(Event)) { post(Event{Kind: EvSubmitFailed, Err: err}) })
		return
	}
	store := m.deps.Store
	timeout := m.cfg.SubmitTimeout
	m.goOp(timeout, func(ctx context.Context, post func(Event)) {
		// Once confirmed, the application is saved and queued even if the card is
		// pulled meanwhile: a saved application that never reaches the outbox would
		// be lost. Only the receipt depends on the session still running.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		// Saved, queued for the back office and audited in one transaction; the
		// reference is the idempotency key, so a retried delivery is one application.
		if err := store.SaveApplication(sctx, p.app, p.submitted); err != nil {
			post(Event{Kind: EvSubmitFailed, Err: fmt.Errorf("saving application: %w", err)})
			return
		}
		m.printAndPost(ctx, post, p.receipt, p.submitted.Subject)
	})
}

// printAndPost prints the receipt of a saved application and reports the submission.
// The application is first delivered out of turn, for the back office's collection
// date; when that fails or takes too long it stays queued and the receipt goes without
// the date (the resident is told it by SMS).
func (m *Machine) printAndPost(ctx context.Context, post func(Event), r Receipt, subject string) {
	if m.deps.Outbox != nil {
		dctx, cancel := context.WithTimeout(ctx, m.cfg.DeliverTimeout)
		ans, err := m.deps.Outbox.DeliverNow(dctx, r.Reference)
		cancel()
		if err != nil {
			m.report(err)
		}
		r.CollectFrom = ans.CollectFrom
	}
	var notice MsgKey
	if err := m.deps.Printer.PrintReceipt(ctx, r); err != nil {
		notice = MsgPrinterUnavailable
	}
	post(Event{Kind: EvSubmitted, Reference: r.Reference, Reason: notice, Service: r.Service, subject: subject, receipt: &r})
}

// sealForm splits the form into what the back office may read (the plain values) and
// the secrets, each sealed to the back office's key and bound to the reference, so no
// password ever reaches the database, the outbox or a log in clear. The confirmation
// field only served the check on screen and is dropped.
func (m *Machine) sealForm(ref string) (plain, sealed map[string]string, err error) {
	plain = map[string]string{}
	for _, f := range FormFor(m.service) {
		v := m.form[f.Name]
		switch {
		case f.Name == FieldPasswordConfirm || v == "":
		case f.Kind == FieldPassword:
			secret := []byte(v)
			ct, err := m.deps.Sealer.Seal(secret, ref)
			clear(secret)
			if err != nil {
				return nil, nil, fmt.Errorf("sealing %s: %w", f.Name, err)
			}
			if sealed == nil {
				sealed = map[string]string{}
			}
			sealed[f.Name] = base64.StdEncoding.EncodeToString(ct)
		default:
			plain[f.Name] = v
		}
	}
	return plain, sealed, nil
}

// --- output ----------------------------------------------------------------

func (m *Machine) audit(now time.Time, actor, action, detail string) {
	m.auditAs(now, m.subject, actor, action, detail)
}

func (m *Machine) auditAs(now time.Time, subject, actor, action, detail string) {
	ctx := m.runCtx
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := m.deps.Store.Audit(ctx, AuditEvent{At: now, Actor: actor, Action: action, Subject: subject, Detail: detail})
	if err != nil {
		m.report(fmt.Errorf("audit %s: %w", action, err))
	}
}

func (m *Machine) report(err error) {
	if m.deps.OnError != nil {
		m.deps.OnError(err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// holderScreens are the screens that greet the resident by name, after the face or
// PIN has proved who they are.
var holderScreens = map[State]bool{StateServiceMenu: true, StateCheckData: true, StateServiceForm: true, StateSummary: true, StateDone: true}

// build makes the snapshot of the current state. Each screen gets only its own data.
func (m *Machine) build(now time.Time) Snapshot {
	s := Snapshot{
		State: m.state, Language: m.lang, LargeText: m.large, HighContrast: m.hc, Demo: m.cfg.Demo,
		Message: m.message, Notice: m.notice, Busy: m.busy, PINTriesLeft: -1, Submitted: len(m.pending),
	}
	if !m.deadline.IsZero() {
		s.TimerOn = true
		s.AskMoreTime = m.asked
		s.Countdown = max(m.deadline.Sub(now), 0)
	}
	if m.state == StateTakeCard && m.endNotice != "" {
		s.Message = m.endNotice
	}
	switch m.state {
	case StateReading:
		s.ProgressStep = m.progress.Step
		if m.progress.Of > 0 {
			s.Progress = min(float64(m.progress.Done)/float64(m.progress.Of), 1)
		}
	case StateFace, StateFaceResult:
		s.Face = m.face
		s.Face.NoPIN = m.eid
	case StateInsertCard:
		s.EIDOffered = m.deps.EID != nil && m.deps.QR != nil
	case StateEIDScan:
		v := m.eidView
		s.EID = &v
	case StatePIN:
		s.PINTriesLeft = m.pinTries
		s.PINLength = len(m.pin)
		s.PINDigits = m.cfg.PIN.Length
		s.PINLastTry = m.pinTries == 1
	case StateServiceMenu:
		s.Services = append([]ServiceView(nil), m.services...)
	case StateServiceForm:
		s.Service = m.service
		for _, f := range FormFor(m.service) {
			v := m.form[f.Name]
			fv := FieldView{Name: f.Name, Kind: f.Kind, Value: v, Length: len(v), MaxLen: f.MaxLen, Required: f.Required,
				Options: append([]string(nil), f.Options...), Error: m.formErrs[f.Name]}
			if f.Kind == FieldPassword {
				fv.Value = strings.Repeat("•", len(v))
			}
			s.Form = append(s.Form, fv)
		}
	case StateSummary, StateSubmitting:
		s.Service = m.service
		if m.summary != nil {
			sv := *m.summary
			sv.Lines = append([]SummaryLine(nil), sv.Lines...)
			s.Summary = &sv
		}
	case StatePhoto, StatePhotoReview:
		s.Service = m.service
		s.Photo = m.photoView()
		s.Face.Frame = m.photo.frame
	case StateCheckData:
		s.Service = m.service
		if m.read != nil {
			s.Data = dataView(m.read.Holder, m.service)
		}
	case StateStaffPIN:
		s.PINLength, s.PINDigits = len(m.pin), m.cfg.PIN.Length
		s.StaffPIN = &StaffPINView{Length: len(m.pin), TriesLeft: StaffMaxTries - m.staff.wrong, ByCard: m.staff.byCard != ""}
		if m.staffLocked(now) {
			s.StaffPIN.LockedUntil = m.staff.lockedUntil
		}
	case StateStaff:
		v := m.staff.view
		v.Overview.Health = append([]HealthItem(nil), v.Overview.Health...)
		v.Overview.Counts = append([]Count(nil), v.Overview.Counts...)
		v.Audit = append([]AuditEvent(nil), v.Audit...)
		v.Draft = maps.Clone(v.Draft)
		s.Staff = &v
	case StatePayment:
		s.Service = m.service
		if m.pay != nil {
			pv := *m.pay
			pv.Methods = append([]PaymentMethod(nil), pv.Methods...)
			s.Payment = &pv
		}
	case StateOAPhone, StateOACode, StateOAEmail, StateOATerms, StateOAPassword, StateOAOpening, StateOABind, StateOADone:
		s.Service = m.service
		s.OneAccount = m.oneAccountView(now)
	case StateDone:
		s.Service = m.service
		s.Reference = m.reference
		if m.receipt != nil {
			r := *m.receipt
			s.Receipt = &r
		}
	}
	if holderScreens[m.state] && m.verifiedBy != "" && m.read != nil {
		n := m.read.Holder.Names
		pt := n.Portuguese
		if pt == "" {
			pt = strings.TrimSpace(n.Primary + " " + n.Secondary)
		}
		s.Holder = &HolderView{NameChinese: n.Chinese, NamePortuguese: pt}
	}
	return s
}

func (m *Machine) publish() {
	s := m.build(m.deps.Clock.Now())
	m.mu.Lock()
	s.Seq = m.snap.Seq + 1
	m.snap = s
	ids := make([]int, 0, len(m.subs))
	for id := range m.subs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	fns := make([]func(Snapshot), 0, len(ids))
	for _, id := range ids {
		fns = append(fns, m.subs[id])
	}
	m.mu.Unlock()
	for _, fn := range fns {
		fn(s)
	}
}
