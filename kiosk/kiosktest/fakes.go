// Package kiosktest has scriptable fakes of every kiosk port (card reader, face
// verifier, store and outbox, back office, printer, clock, randomness, subject hasher)
// and a harness that runs a real kiosk.Machine on them, for the session's tests and
// the UI's.
package kiosktest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// Compile-time checks that the fakes satisfy the ports.
var (
	_ kiosk.Clock         = (*Clock)(nil)
	_ kiosk.CardReader    = (*Card)(nil)
	_ kiosk.FaceVerifier  = (*Face)(nil)
	_ kiosk.Store         = (*Store)(nil)
	_ kiosk.OutboxQueue   = (*Store)(nil)
	_ kiosk.BackOffice    = (*BackOffice)(nil)
	_ kiosk.Printer       = (*Printer)(nil)
	_ kiosk.SubjectHasher = Subjects{}
)

// Clock is a settable clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Rand is deterministic randomness for references and challenges.
func Rand(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := 0; i < 8; i++ {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(s)
}

// Subjects hashes card numbers without a key (tests only): "subj-" and 16 hex digits.
type Subjects struct{}

// Hash returns a stable, non-reversible stand-in for the card number.
func (Subjects) Hash(n string) string {
	h := sha256.Sum256([]byte("kiosktest:" + n))
	return "subj-" + hex.EncodeToString(h[:8])
}

// Gate holds a fake device call until the test releases it (or the call's ctx ends).
// The zero Gate does not hold.
type Gate struct {
	mu sync.Mutex
	ch chan struct{}
}

// Hold makes the next calls wait until Release.
func (g *Gate) Hold() {
	g.mu.Lock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	g.mu.Unlock()
}

// Release lets waiting and later calls through.
func (g *Gate) Release() {
	g.mu.Lock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
	g.mu.Unlock()
}

func (g *Gate) wait(ctx context.Context) error {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Card is a scriptable card reader. Insert/Remove/LoseReader post watcher events.
type Card struct {
	mu        sync.Mutex
	events    chan kiosk.CardEvent
	read      *kiosk.CardRead
	readErr   error
	progress  []kiosk.ReadProgress
	pin       string
	tries     int
	triesErr  error
	verifyErr error
	reads     int
	verifies  int
	handed    []*kiosk.CardRead
	photos    [][]byte

	// ReadGate holds Read until released (for "card pulled while reading").
	ReadGate Gate
	// PINGate holds PINTriesLeft and VerifyPIN until released.
	PINGate Gate
}

// NewCard returns a reader whose card reads as read (cloned per Read), with PIN pin
// and tries tries left.
func NewCard(read *kiosk.CardRead, pin string, tries int) *Card {
	return &Card{
		events: make(chan kiosk.CardEvent, 64),
		read:   read, pin: pin, tries: tries,
		progress: []kiosk.ReadProgress{{Step: "COM", Done: 1, Of: 4}, {Step: "DG1", Done: 2, Of: 4}, {Step: "DG2", Done: 3, Of: 4}, {Step: "SOD", Done: 4, Of: 4}},
	}
}

// SetRead changes what the next Read returns.
func (c *Card) SetRead(read *kiosk.CardRead, err error) {
	c.mu.Lock()
	c.read, c.readErr = read, err
	c.mu.Unlock()
}

// SetPIN changes the PIN and the tries left.
func (c *Card) SetPIN(pin string, tries int) {
	c.mu.Lock()
	c.pin, c.tries = pin, tries
	c.mu.Unlock()
}

// SetPINErrors makes PINTriesLeft / VerifyPIN fail with these errors (nil: normal).
func (c *Card) SetPINErrors(tries, verify error) {
	c.mu.Lock()
	c.triesErr, c.verifyErr = tries, verify
	c.mu.Unlock()
}

// Insert posts a card insertion.
func (c *Card) Insert() { c.events <- kiosk.CardEvent{Kind: kiosk.CardInserted, Reader: "fake"} }

// Remove posts a card removal.
func (c *Card) Remove() { c.events <- kiosk.CardEvent{Kind: kiosk.CardRemoved, Reader: "fake"} }

// LoseReader posts a reader loss.
func (c *Card) LoseReader() { c.events <- kiosk.CardEvent{Kind: kiosk.ReaderLost, Reader: "fake"} }

// ReturnReader posts the reader's return.
func (c *Card) ReturnReader() {
	c.events <- kiosk.CardEvent{Kind: kiosk.ReaderReturned, Reader: "fake"}
}

// Watch returns the event channel (one watcher at a time).
func (c *Card) Watch(ctx context.Context) (<-chan kiosk.CardEvent, error) {
	return c.events, nil
}

// Read returns a fresh copy of the scripted read, after posting progress.
func (c *Card) Read(ctx context.Context, progress func(kiosk.ReadProgress)) (*kiosk.CardRead, error) {
	c.mu.Lock()
	c.reads++
	read, err, steps := c.read, c.readErr, c.progress
	c.mu.Unlock()
	for i, p := range steps {
		if i == len(steps)/2 {
			if err := c.ReadGate.wait(ctx); err != nil {
				return nil, err
			}
		}
		progress(p)
	}
	if err != nil {
		return nil, err
	}
	if read == nil {
		return nil, kiosk.ErrNoCard
	}
	cp := *read
	cp.Holder.Photo.Data = bytes.Clone(read.Holder.Photo.Data)
	cp.PassiveAuth = append([]kiosk.Check(nil), read.PassiveAuth...)
	out := &cp
	c.mu.Lock()
	c.handed = append(c.handed, out)
	c.photos = append(c.photos, out.Holder.Photo.Data)
	c.mu.Unlock()
	return out, nil
}

// Handed returns the reads given to the session, to check that they were wiped.
func (c *Card) Handed() []*kiosk.CardRead {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*kiosk.CardRead(nil), c.handed...)
}

// HandedPhotos returns the photo byte slices given to the session (the same backing
// arrays), to check that they were zeroed and not just dropped.
func (c *Card) HandedPhotos() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.photos...)
}

// Forget drops the record of handed reads (long benchmarks).
func (c *Card) Forget() {
	c.mu.Lock()
	c.handed, c.photos = nil, nil
	c.mu.Unlock()
}

// Reads counts Read calls.
func (c *Card) Reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// PINTriesLeft reports the tries left (ErrCardBlocked at 0).
func (c *Card) PINTriesLeft(ctx context.Context) (int, error) {
	if err := c.PINGate.wait(ctx); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.triesErr != nil {
		return 0, c.triesErr
	}
	return c.tries, nil
}

// VerifyPIN behaves like the chip: 63Cx on a wrong PIN, blocked at 0 tries.
func (c *Card) VerifyPIN(ctx context.Context, pin []byte) error {
	if err := c.PINGate.wait(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.verifies++
	if c.verifyErr != nil {
		return c.verifyErr
	}
	if c.tries <= 0 {
		return kiosk.ErrCardBlocked
	}
	if string(pin) != c.pin { // the fake's own PIN is not a secret
		c.tries--
		if c.tries == 0 {
			return kiosk.ErrCardBlocked
		}
		return &kiosk.WrongPINError{TriesLeft: c.tries}
	}
	c.tries = kiosk.DefaultPINPolicy.Tries
	return nil
}

// Verifies counts VerifyPIN calls.
func (c *Card) Verifies() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.verifies
}

// Face is a scriptable face verifier: each Verify posts Progress, then returns the next
// decision of the script (the last one repeats).
type Face struct {
	mu        sync.Mutex
	decisions []kiosk.FaceDecision
	errs      []error
	calls     int
	refs      []int // photo sizes received
	chs       []kiosk.Challenge

	// Progress is posted by every Verify before it decides.
	Progress []kiosk.FaceProgress
	// Gate holds Verify after the progress until released (for "card pulled during
	// the face step").
	Gate Gate
}

// Match is a decision that passes; NoMatch one that does not.
var (
	Match   = kiosk.FaceDecision{Live: true, Match: true, Score: 0.62, Threshold: 0.45, Reason: "match"}
	NoMatch = kiosk.FaceDecision{Live: true, Match: false, Score: 0.21, Threshold: 0.45, Reason: "no_match"}
	NotLive = kiosk.FaceDecision{Live: false, Match: true, Score: 0.70, Threshold: 0.45, Reason: "not_live"}
)

// NewFace scripts the decisions of successive attempts.
func NewFace(decisions ...kiosk.FaceDecision) *Face {
	return &Face{
		decisions: decisions,
		Progress: []kiosk.FaceProgress{
			{Guidance: kiosk.GuideMoveCloser},
			{Guidance: kiosk.GuideOK},
			{Guidance: kiosk.GuideOK, Challenge: kiosk.ChallengeBlink, Remaining: 5 * time.Second},
		},
	}
}

// Script replaces the decisions; errs (may be shorter) makes attempt i fail with errs[i].
func (f *Face) Script(errs []error, decisions ...kiosk.FaceDecision) {
	f.mu.Lock()
	f.decisions, f.errs, f.calls = decisions, errs, 0
	f.mu.Unlock()
}

// Verify implements kiosk.FaceVerifier.
func (f *Face) Verify(ctx context.Context, ref kiosk.FacePhoto, ch kiosk.Challenge, progress func(kiosk.FaceProgress)) (kiosk.FaceDecision, error) {
	f.mu.Lock()
	i := f.calls
	f.calls++
	f.refs = append(f.refs, len(ref.Data))
	f.chs = append(f.chs, ch)
	steps := append([]kiosk.FaceProgress(nil), f.Progress...)
	var d kiosk.FaceDecision
	if n := len(f.decisions); n > 0 {
		d = f.decisions[min(i, n-1)]
	}
	var err error
	if i < len(f.errs) {
		err = f.errs[i]
	}
	f.mu.Unlock()
	if len(ref.Data) == 0 {
		return kiosk.FaceDecision{}, errors.New("fake face: empty reference photo")
	}
	for _, p := range steps {
		if p.Challenge != "" {
			p.Challenge = ch
		}
		progress(p)
	}
	if err := f.Gate.wait(ctx); err != nil {
		return kiosk.FaceDecision{}, err
	}
	if err != nil {
		return kiosk.FaceDecision{}, err
	}
	d.Challenge = ch
	return d, nil
}

// Forget drops the record of calls (long benchmarks); the script restarts.
func (f *Face) Forget() {
	f.mu.Lock()
	f.refs, f.chs, f.calls = nil, nil, 0
	f.mu.Unlock()
}

// Calls counts Verify calls; Challenges lists the challenges asked.
func (f *Face) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Challenges lists the challenges of each Verify call.
func (f *Face) Challenges() []kiosk.Challenge {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]kiosk.Challenge(nil), f.chs...)
}

// Store is an in-memory store and outbox.
type Store struct {
	mu                            sync.Mutex
	audit                         []kiosk.AuditEvent
	apps                          []kiosk.Application
	outbox                        []OutboxMessage
	keys                          map[string]bool
	held                          map[string]*HeldApplication
	AuditErr, SaveErr, EnqueueErr error
	ReleaseErr                    error
}

// HeldApplication is an application saved awaiting payment, and how it ended.
type HeldApplication struct {
	App   kiosk.Application
	State string // "held", "released", "dropped"
}

// OutboxMessage is one queued message.
type OutboxMessage struct {
	ID        int64
	Key, Kind string
	Payload   []byte
	Attempts  int
	Delivered bool
	LastErr   string
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{keys: map[string]bool{}, held: map[string]*HeldApplication{}} }

// HoldApplication saves a awaiting payment (not queued) and appends e.
func (s *Store) HoldApplication(ctx context.Context, a kiosk.Application, e kiosk.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.SaveErr != nil {
		return s.SaveErr
	}
	if _, dup := s.held[a.Reference]; dup {
		return errors.New("fake store: duplicate reference")
	}
	a.Payload = bytes.Clone(a.Payload)
	s.held[a.Reference] = &HeldApplication{App: a, State: "held"}
	s.audit = append(s.audit, e)
	return nil
}

// ReleaseApplication queues a held application, as SaveApplication would have.
func (s *Store) ReleaseApplication(ctx context.Context, ref string, e kiosk.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ReleaseErr != nil {
		return s.ReleaseErr
	}
	h, ok := s.held[ref]
	if !ok || h.State != "held" {
		return fmt.Errorf("fake store: no held application %s", ref)
	}
	h.State = "released"
	s.apps = append(s.apps, h.App)
	s.enqueueLocked(ref, kiosk.OutboxKindApplication, h.App.Payload)
	s.audit = append(s.audit, e)
	return nil
}

// DropApplication ends a held application unpaid.
func (s *Store) DropApplication(ctx context.Context, ref string, e kiosk.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.held[ref]
	if !ok || h.State != "held" {
		return fmt.Errorf("fake store: no held application %s", ref)
	}
	h.State = "dropped"
	h.App.Payload = nil
	s.audit = append(s.audit, e)
	return nil
}

// HeldApplications lists applications still held, created before t.
func (s *Store) HeldApplications(ctx context.Context, before time.Time) ([]kiosk.Application, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []kiosk.Application
	for _, h := range s.held {
		if h.State == "held" && h.App.CreatedAt.Before(before) {
			out = append(out, h.App)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// Held returns every application that was held, with how it ended.
func (s *Store) Held() map[string]HeldApplication {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]HeldApplication{}
	for k, v := range s.held {
		out[k] = *v
	}
	return out
}

// Audit appends an event.
func (s *Store) Audit(ctx context.Context, e kiosk.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.AuditErr != nil {
		return s.AuditErr
	}
	s.audit = append(s.audit, e)
	return nil
}

// SaveApplication stores a, queues it and appends e, all or nothing as store.DB does
// in one transaction; a duplicate reference is an error as in SQLite.
func (s *Store) SaveApplication(ctx context.Context, a kiosk.Application, e kiosk.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.SaveErr != nil {
		return s.SaveErr
	}
	if s.AuditErr != nil {
		return s.AuditErr
	}
	for _, x := range s.apps {
		if x.Reference == a.Reference {
			return errors.New("fake store: duplicate reference")
		}
	}
	if s.EnqueueErr != nil {
		return s.EnqueueErr
	}
	a.Payload = bytes.Clone(a.Payload)
	s.apps = append(s.apps, a)
	// Queued and audited with the application, as store.DB does in one transaction.
	s.enqueueLocked(a.Reference, kiosk.OutboxKindApplication, a.Payload)
	s.audit = append(s.audit, e)
	return nil
}

// Enqueue queues a message; the same key twice is a no-op.
func (s *Store) Enqueue(ctx context.Context, key, kind string, payload []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.EnqueueErr != nil {
		return s.EnqueueErr
	}
	s.enqueueLocked(key, kind, payload)
	return nil
}

func (s *Store) enqueueLocked(key, kind string, payload []byte) {
	if s.keys[key] {
		return
	}
	s.keys[key] = true
	s.outbox = append(s.outbox, OutboxMessage{ID: int64(len(s.outbox) + 1), Key: key, Kind: kind, Payload: bytes.Clone(payload)})
}

// Due returns undelivered messages, oldest first (the fake has no backoff schedule:
// every undelivered message is due).
func (s *Store) Due(ctx context.Context, limit int) ([]kiosk.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []kiosk.OutboxMessage
	for _, m := range s.outbox {
		if !m.Delivered && len(out) < limit {
			out = append(out, kiosk.OutboxMessage{ID: m.ID, IdempotencyKey: m.Key, Kind: m.Kind, Payload: bytes.Clone(m.Payload), Attempts: m.Attempts})
		}
	}
	return out, nil
}

// Queued returns the undelivered message with key.
func (s *Store) Queued(ctx context.Context, key string) (kiosk.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.outbox {
		if m.Key == key && !m.Delivered {
			return kiosk.OutboxMessage{ID: m.ID, IdempotencyKey: m.Key, Kind: m.Kind, Payload: bytes.Clone(m.Payload), Attempts: m.Attempts}, nil
		}
	}
	return kiosk.OutboxMessage{}, kiosk.ErrNotQueued
}

// MarkDelivered records a delivery.
func (s *Store) MarkDelivered(ctx context.Context, id int64) error {
	return s.mark(id, func(m *OutboxMessage) { m.Delivered = true; m.Attempts++ })
}

// MarkFailed records a failed attempt.
func (s *Store) MarkFailed(ctx context.Context, id int64, attempts int, cause error) error {
	return s.mark(id, func(m *OutboxMessage) {
		m.Attempts++
		if cause != nil {
			m.LastErr = cause.Error()
		}
	})
}

func (s *Store) mark(id int64, f func(*OutboxMessage)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.outbox {
		if s.outbox[i].ID == id {
			f(&s.outbox[i])
			return nil
		}
	}
	return errors.New("fake store: no outbox message " + strconv.FormatInt(id, 10))
}

// Forget drops the audit log, applications and outbox (long benchmarks).
func (s *Store) Forget() {
	s.mu.Lock()
	s.audit, s.apps, s.outbox, s.keys, s.held = nil, nil, nil, map[string]bool{}, map[string]*HeldApplication{}
	s.mu.Unlock()
}

// Events returns the audit log.
func (s *Store) Events() []kiosk.AuditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]kiosk.AuditEvent(nil), s.audit...)
}

// Applications returns the saved applications.
func (s *Store) Applications() []kiosk.Application {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]kiosk.Application(nil), s.apps...)
}

// Outbox returns the queued messages.
func (s *Store) Outbox() []OutboxMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]OutboxMessage(nil), s.outbox...)
}

// BackOffice is a fake back office keyed by hashed subject.
type BackOffice struct {
	mu        sync.Mutex
	records   map[string]kiosk.ResidentRecord
	submitted map[string]kiosk.ApplicationMessage
	LookupErr error
	SubmitErr error
	// Answer is what Submit answers (the collection date).
	Answer kiosk.SubmitAnswer
	// Gate holds Lookup until released.
	Gate Gate
}

// NewBackOffice returns a back office that knows nobody.
func NewBackOffice() *BackOffice {
	return &BackOffice{records: map[string]kiosk.ResidentRecord{}, submitted: map[string]kiosk.ApplicationMessage{}}
}

// Set records what the back office knows of subject.
func (b *BackOffice) Set(subject string, r kiosk.ResidentRecord) {
	b.mu.Lock()
	b.records[subject] = r
	b.mu.Unlock()
}

// Lookup implements kiosk.BackOffice.
func (b *BackOffice) Lookup(ctx context.Context, subject string) (kiosk.ResidentRecord, error) {
	if err := b.Gate.wait(ctx); err != nil {
		return kiosk.ResidentRecord{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.LookupErr != nil {
		return kiosk.ResidentRecord{}, b.LookupErr
	}
	return b.records[subject], nil
}

// Submit implements kiosk.BackOffice, idempotent by key.
func (b *BackOffice) Submit(ctx context.Context, key string, msg kiosk.ApplicationMessage) (kiosk.SubmitAnswer, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.SubmitErr != nil {
		return kiosk.SubmitAnswer{}, b.SubmitErr
	}
	if _, ok := b.submitted[key]; !ok {
		b.submitted[key] = msg
	}
	return b.Answer, nil
}

// Submitted returns how many distinct applications arrived.
func (b *BackOffice) Submitted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.submitted)
}

// Printer records receipts.
type Printer struct {
	mu       sync.Mutex
	receipts []kiosk.Receipt
	Err      error
	// Gate holds PrintReceipt until released (for "card pulled while submitting").
	Gate Gate
}

// PrintReceipt records r or fails with Err.
func (p *Printer) PrintReceipt(ctx context.Context, r kiosk.Receipt) error {
	if err := p.Gate.wait(ctx); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Err != nil {
		return p.Err
	}
	p.receipts = append(p.receipts, r)
	return nil
}

// Receipts returns the printed receipts.
func (p *Printer) Receipts() []kiosk.Receipt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]kiosk.Receipt(nil), p.receipts...)
}
