package cardio

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ebfe/scard"

	"github.com/macau-dsi/kiosk/cardio/icao"
	"github.com/macau-dsi/kiosk/cardio/lds"
	"github.com/macau-dsi/kiosk/kiosk"
)

var _ kiosk.CardReader = (*PCSCReader)(nil)

// PCSCConfig configures a PCSCReader.
type PCSCConfig struct {
	// Reader is the reader to use (exact name, or a prefix of it); empty picks the
	// first allowed reader with a card, else the first allowed reader.
	Reader string
	// AllowVirtual permits readers named like vpcd's ("Virtual PCD"). Tests and demo only.
	AllowVirtual bool
	// Trust is the CSCA trust store for passive authentication.
	Trust *lds.TrustStore
	// Key, when set, is the BAC key (the --bac flag); otherwise EF.CardInfo gives it.
	Key *icao.BACKey
	// CAN asks for PACE-CAN instead of BAC (only `kiosk card read --can`).
	CAN string
	// Clock dates certificate checks; kiosk.SystemClock when nil.
	Clock kiosk.Clock
	// Rand for BAC; crypto/rand when nil.
	Rand io.Reader
	// ReadTimeout bounds each card operation (Read, PINTriesLeft, VerifyPIN) and
	// every PC/SC call in it, including waiting for an earlier one; 20 s when zero.
	ReadTimeout time.Duration
	// PINLength is the number of digits of the card's PIN (the kiosk's PIN policy);
	// VerifyPIN refuses any other length without sending it. DefaultPINLength when zero.
	PINLength int
	// ShortAPDUs never uses extended length (for cards or readers that mishandle it).
	ShortAPDUs bool
	// PollInterval is how often Watch re-lists readers, and its first wait before
	// retrying a lost pcscd (doubling up to 5 s; 1 s when zero).
	PollInterval time.Duration
	// Logger gets Watch's reader-lost and reader-back lines (slog.Default when nil).
	Logger *slog.Logger
}

// ErrVirtualReader is returned when the only readers are vpcd's virtual ones and
// they are not allowed.
var ErrVirtualReader = errors.New("virtual card readers are not allowed (card.allow_virtual)")

// IsVirtualReader says whether a reader name looks like vsmartcard's vpcd ("Virtual PCD 00 00").
func IsVirtualReader(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "virtual pcd") || strings.Contains(n, "vpcd")
}

// PCSCReader is the kiosk.CardReader over PC/SC (pcsc-lite through ebfe/scard).
type PCSCReader struct {
	cfg PCSCConfig

	// sem holds one card operation at a time. It is a channel, not a mutex, so that
	// waiting for it is bounded by the operation's deadline: an operation abandoned
	// on a mute card keeps it until pcscd returns (see exclusive).
	sem chan struct{}
	// lastTriesReported is the PIN counter last told to the caller (PINTriesLeft
	// or a WrongPINError); VerifyPIN sends the last try only after the caller was told "1".
	lastTriesReported int
	// LastStats describes the last Read (APDU count, extended length).
	LastStats Stats
	// hungAfter: Watch's grace for a pcscd that does not answer (hungAfter).
	hungAfter time.Duration
	// LastReader is the reader the last Read used (the configured one, or the one
	// chosen because it held a card).
	LastReader string
}

// NewPCSCReader makes a reader; nothing is opened until it is used.
func NewPCSCReader(cfg PCSCConfig) *PCSCReader {
	if cfg.Clock == nil {
		cfg.Clock = kiosk.SystemClock{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 20 * time.Second
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.PINLength == 0 {
		cfg.PINLength = DefaultPINLength
	}
	return &PCSCReader{cfg: cfg, lastTriesReported: -1, sem: make(chan struct{}, 1), hungAfter: hungAfter}
}

// pcscError carries a PC/SC error and the kiosk sentinel it means.
type pcscError struct {
	kind error
	op   string
	err  error
}

func (e *pcscError) Error() string   { return fmt.Sprintf("%s: %v (%v)", e.op, e.kind, e.err) }
func (e *pcscError) Unwrap() []error { return []error{e.kind, e.err} }

// mapErr turns PC/SC errors into kiosk sentinels: the card gone (also mid-read)
// unwraps to kiosk.ErrCardRemoved, pcscd or the reader gone to kiosk.ErrReaderGone.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se scard.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("%s: %w", op, err)
	}
	switch se {
	case scard.ErrRemovedCard, scard.ErrResetCard, scard.ErrNoSmartcard, scard.ErrUnpoweredCard, scard.ErrUnresponsiveCard, scard.ErrCommDataLost:
		if se == scard.ErrNoSmartcard && op == "connecting" {
			return &pcscError{kiosk.ErrNoCard, op, err}
		}
		return &pcscError{kiosk.ErrCardRemoved, op, err}
	case scard.ErrNoService, scard.ErrServiceStopped, scard.ErrReaderUnavailable, scard.ErrUnknownReader,
		scard.ErrNoReadersAvailable, scard.ErrInvalidHandle, scard.ErrCommError, scard.ErrShutdown:
		return &pcscError{kiosk.ErrReaderGone, op, err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// conn is one open card connection; it implements apdu.Transceiver.
type conn struct {
	ctx  *scard.Context
	card *scard.Card
	name string
	atr  []byte
}

func (c *conn) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(cmd) == 0 {
		return nil, errors.New("empty command")
	}
	r, err := c.card.Transmit(cmd)
	if err != nil {
		return nil, mapErr("transmitting", err)
	}
	if len(r) < 2 {
		// No status word: the card stopped answering. pcscd reports a card pulled
		// from vpcd mid-command this way before it notices the removal; a mute card
		// is as gone for the kiosk, which asks the resident to insert it again.
		if _, serr := c.card.Status(); serr != nil {
			return nil, mapErr("transmitting", serr)
		}
		return nil, &pcscError{kiosk.ErrCardRemoved, "transmitting", errors.New("card gave no answer")}
	}
	return r, nil
}

// close disconnects; reset after an interrupted operation.
func (c *conn) close(reset bool) {
	if c.card != nil {
		// Otherwise leave the card as it is: the PIN state of this session must
		// survive between Read and VerifyPIN, and a reset would cost the next read time.
		how := scard.LeaveCard
		if reset {
			how = scard.ResetCard
		}
		c.card.Disconnect(how)
	}
	if c.ctx != nil {
		c.ctx.Release()
	}
}

// readers lists the readers this kiosk may use.
func (r *PCSCReader) readers(ctx *scard.Context) ([]string, error) {
	names, err := ctx.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr("listing readers", err)
	}
	var out []string
	for _, n := range names {
		if IsVirtualReader(n) && !r.cfg.AllowVirtual {
			continue
		}
		if r.cfg.Reader != "" && n != r.cfg.Reader && !strings.HasPrefix(n, r.cfg.Reader) {
			continue
		}
		out = append(out, n)
	}
	if len(out) == 0 && len(names) > 0 && !r.cfg.AllowVirtual && slices.ContainsFunc(names, IsVirtualReader) && r.cfg.Reader == "" {
		return nil, ErrVirtualReader
	}
	if len(out) == 0 && r.cfg.Reader != "" && IsVirtualReader(r.cfg.Reader) && !r.cfg.AllowVirtual {
		return nil, ErrVirtualReader
	}
	return out, nil
}

// open connects to the card in the chosen reader.
func (r *PCSCReader) open() (*conn, error) {
	sc, err := scard.EstablishContext()
	if err != nil {
		return nil, mapErr("opening PC/SC", err)
	}
	c := &conn{ctx: sc}
	names, err := r.readers(sc)
	if err != nil {
		c.close(false)
		return nil, err
	}
	if len(names) == 0 {
		c.close(false)
		return nil, &pcscError{kiosk.ErrReaderGone, "choosing a reader", errors.New("no card reader")}
	}
	// Prefer a reader that has a card.
	states := make([]scard.ReaderState, len(names))
	for i, n := range names {
		states[i] = scard.ReaderState{Reader: n, CurrentState: scard.StateUnaware}
	}
	c.name = names[0]
	if err := sc.GetStatusChange(states, 0); err == nil {
		for _, s := range states {
			if s.EventState&scard.StatePresent != 0 {
				c.name = s.Reader
				break
			}
		}
	}
	card, err := sc.Connect(c.name, scard.ShareExclusive, scard.ProtocolAny)
	if errors.Is(err, scard.ErrSharingViolation) {
		card, err = sc.Connect(c.name, scard.ShareShared, scard.ProtocolAny)
	}
	if err != nil {
		c.close(false)
		return nil, mapErr("connecting", err)
	}
	c.card = card
	if st, err := card.Status(); err == nil {
		c.atr = st.Atr
	}
	return c, nil
}

// ErrCardNotAnswering is returned when a card operation did not finish within its
// deadline: the card (or the reader's driver) stopped answering. The PC/SC call
// still waiting is left behind and cleaned up when it returns; until then, later
// operations on this reader wait for it (within their own deadline).
var ErrCardNotAnswering = errors.New("the card did not answer in time")

// timeoutError is ErrCardNotAnswering for an operation, also unwrapping to the
// context's error (context.DeadlineExceeded) so callers that treat timeouts alike
// still do.
type timeoutError struct {
	op    string
	limit time.Duration
	ctx   error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("%s: %v (limit %v)", e.op, ErrCardNotAnswering, e.limit)
}
func (e *timeoutError) Unwrap() []error { return []error{ErrCardNotAnswering, e.ctx} }

// exclusive runs one card operation: it opens the card, calls f, and closes the
// card, all on a goroutine of its own, and returns f's error, or a timeoutError as
// soon as ctx (bounded by cfg.ReadTimeout) ends, whichever comes first.
//
// Why a goroutine: pcsc-lite's SCardTransmit waits for the reader driver with no
// time limit, and nothing else unblocks it. SCardCancel only ends
// SCardGetStatusChange; SCardDisconnect, SCardStatus and SCardReleaseContext on the
// same context wait for the client library's lock the transmit holds; a fresh
// context cannot connect (sharing violation). Measured with pcsc-lite 1.9.9 and
// vpcd: a frozen card keeps SCardTransmit blocked until it answers or leaves the
// reader (TestFrozenCardRead). So the caller is let go on time and the blocked
// goroutine finishes when pcscd returns; it then resets and releases the card.
// Until it does it keeps r.sem, so the next operation waits (bounded) instead of
// racing it for the reader.
//
// commit runs on the caller's goroutine, with r.sem still held, only when f
// finished in time: state shared between operations (PIN warnings, stats) is only
// touched there.
func (r *PCSCReader) exclusive(ctx context.Context, op string, f func(ctx context.Context, c *conn) error, commit func(err error)) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ReadTimeout)
	limit := r.cfg.ReadTimeout
	if dl, ok := ctx.Deadline(); ok {
		limit = time.Until(dl).Round(time.Millisecond)
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		cancel()
		return &timeoutError{op + " (the reader is still busy with an earlier operation)", limit, ctx.Err()}
	}
	done := make(chan error)      // f's result, if the caller still waits
	gaveUp := make(chan struct{}) // closed when the caller stopped waiting
	go func() {
		defer cancel()
		err := r.withCard(ctx, f)
		select {
		case done <- err: // the caller releases r.sem after commit
		case <-gaveUp:
			<-r.sem
		}
	}()
	select {
	case err := <-done:
		if commit != nil {
			commit(err)
		}
		<-r.sem
		return err
	case <-ctx.Done():
		close(gaveUp)
		return &timeoutError{op, limit, ctx.Err()}
	}
}

// withCard opens the card, runs f and closes the card. After a timeout (ctx ended)
// the card is reset: whatever the interrupted operation left on it (a secure
// messaging session, a selected file) must not outlive it.
func (r *PCSCReader) withCard(ctx context.Context, f func(ctx context.Context, c *conn) error) error {
	c, err := r.open()
	if err != nil {
		return err
	}
	err = f(ctx, c)
	c.close(ctx.Err() != nil)
	return err
}

// Read opens the card, authenticates, reads and verifies it. A card that fails
// passive authentication is returned with Verified false and no error; the caller
// refuses it (kiosk.ErrCardNotGenuine is for the resident's message). A card that
// stops answering gives an error that unwraps to ErrCardNotAnswering and
// context.DeadlineExceeded within cfg.ReadTimeout.
func (r *PCSCReader) Read(ctx context.Context, progress func(kiosk.ReadProgress)) (*kiosk.CardRead, error) {
	var (
		read   *kiosk.CardRead
		st     Stats
		reader string
	)
	now := r.cfg.Clock.Now()
	if progress != nil {
		// An abandoned read may still report progress from its goroutine: never
		// after Read has returned (the caller's screen has moved on).
		var mu sync.Mutex
		report := progress
		defer func() {
			mu.Lock()
			report = nil
			mu.Unlock()
		}()
		progress = func(p kiosk.ReadProgress) {
			mu.Lock()
			defer mu.Unlock()
			if report != nil {
				report(p)
			}
		}
	}
	err := r.exclusive(ctx, "reading the card", func(ctx context.Context, c *conn) error {
		var err error
		reader = c.name
		read, st, err = ReadCard(ctx, c, ReadOptions{
			Key: r.cfg.Key, CAN: r.cfg.CAN, Trust: r.cfg.Trust, Now: now, Rand: r.cfg.Rand,
			ATR: c.atr, ForceShort: r.cfg.ShortAPDUs, Progress: progress,
		})
		return err
	}, func(err error) {
		r.LastStats, r.LastReader = st, reader
		if err == nil {
			r.lastTriesReported = -1
		}
	})
	var te *timeoutError
	switch {
	case errors.As(err, &te):
		// The read goes on without us until pcscd returns; what it gets is dropped.
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("reading the card: %w", err)
	}
	return read, nil
}

// PINTriesLeft asks the card for its PIN counter without spending a try.
func (r *PCSCReader) PINTriesLeft(ctx context.Context) (int, error) {
	var n int
	err := r.exclusive(ctx, "asking the PIN counter", func(ctx context.Context, c *conn) error {
		var err error
		n, err = PINTriesLeft(ctx, c)
		return err
	}, func(err error) {
		if err == nil {
			r.lastTriesReported = n
		}
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// VerifyPIN presents the PIN. With one try left on the card it is sent only if this
// reader already told the caller "1 try left" (PINTriesLeft or a WrongPINError), so
// the resident has been warned; otherwise ErrPINNotWarned and no VERIFY.
func (r *PCSCReader) VerifyPIN(ctx context.Context, pin []byte) error {
	// The caller wipes pin when this returns, which may be before a VERIFY left
	// waiting for a mute card is sent: that one works on its own copy, wiped when
	// it is done.
	own := bytes.Clone(pin)
	return r.exclusive(ctx, "verifying the PIN", func(ctx context.Context, c *conn) error {
		defer clear(own)
		return VerifyPIN(ctx, c, own, r.cfg.PINLength, r.lastTriesReported == 1) // r.sem is held here
	}, func(err error) {
		var wp *kiosk.WrongPINError
		switch {
		case err == nil:
			r.lastTriesReported = PINTries
		case errors.As(err, &wp):
			r.lastTriesReported = wp.TriesLeft
		case errors.Is(err, ErrPINNotWarned):
			r.lastTriesReported = 1 // told now: the next call may go ahead
		}
	})
}

// pnpReader is pcsc-lite's pseudo reader that changes when readers come and go.
const pnpReader = `\\?PnP?\Notification`

// Watch posts card and reader events until ctx ends: CardInserted/CardRemoved per
// allowed reader (a card already present at start is reported as inserted),
// ReaderLost when a reader or pcscd goes away and ReaderReturned when it is back;
// the PC/SC context is re-established after pcscd restarts. A kiosk started while
// pcscd is down, or with no allowed reader, gets ReaderLost (Reader "") at once and
// ReaderReturned when a reader appears: it is out of service meanwhile, not dead.
// Only a configuration that can never work (ErrVirtualReader) is an error.
func (r *PCSCReader) Watch(ctx context.Context) (<-chan kiosk.CardEvent, error) {
	sc, err := scard.EstablishContext()
	if err == nil {
		if _, err := r.readers(sc); errors.Is(err, ErrVirtualReader) {
			sc.Release()
			return nil, err
		}
	} else {
		sc = nil // pcscd is not there (yet): the watcher waits for it
	}
	ch := make(chan kiosk.CardEvent, 16)
	go r.watch(ctx, sc, ch)
	return ch, nil
}

// maxRetry caps the backoff between attempts to reach a pcscd that is down.
const maxRetry = 5 * time.Second

// hungAfter is how long past its own timeout Watch waits for a PC/SC call before it
// takes pcscd for gone (PCSCReader.hungAfter; tests shorten it).
const hungAfter = 5 * time.Second

var errPcscdHung = errors.New("pcscd does not answer")

// establish is scard.EstablishContext with a deadline (pcsc-lite's client waits for
// pcscd's answer without one); a context that comes too late is released.
func establish(limit time.Duration) (*scard.Context, error) {
	type result struct {
		sc  *scard.Context
		err error
	}
	done := make(chan result, 1)
	go func() {
		sc, err := scard.EstablishContext()
		done <- result{sc, err}
	}()
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case r := <-done:
		return r.sc, r.err
	case <-t.C:
		go func() {
			if r := <-done; r.sc != nil {
				r.sc.Release()
			}
		}()
		return nil, errPcscdHung
	}
}

func (r *PCSCReader) watch(ctx context.Context, sc *scard.Context, ch chan<- kiosk.CardEvent) {
	defer close(ch)
	log := r.cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	emit := func(k kiosk.CardEventKind, reader string) bool {
		select {
		case ch <- kiosk.CardEvent{Kind: k, Reader: reader}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	// Cancel a blocking GetStatusChange when ctx ends.
	var scMu sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		scMu.Lock()
		cur := sc
		scMu.Unlock()
		if cur != nil {
			cur.Cancel() // outside the lock: on a hung pcscd it does not return
		}
	})
	defer stop()
	defer func() {
		scMu.Lock()
		if sc != nil {
			sc.Release()
		}
		scMu.Unlock()
	}()

	present := map[string]bool{} // known readers → card present
	lost := map[string]bool{}    // readers reported lost, to report their return ("": none at all)
	last := map[string]scard.StateFlag{}
	var pnp scard.StateFlag
	// retry is the backoff while pcscd cannot be reached: PollInterval doubling up
	// to maxRetry, back to PollInterval once it answers.
	retry := r.cfg.PollInterval
	backoff := func() bool {
		ok := sleep(ctx, retry)
		retry = min(2*retry, max(maxRetry, r.cfg.PollInterval))
		return ok
	}
	// noReader reports, once, that the kiosk has no reader at all (pcscd down, or
	// no allowed reader): ReaderLost with no name.
	noReader := func(why error) bool {
		if len(lost) > 0 || len(present) > 0 {
			return true // already reported per reader, or a reader is still there
		}
		lost[""] = true
		log.Warn("card reader unavailable: out of service until it is back", "error", why)
		return emit(kiosk.ReaderLost, "")
	}
	// loseReader reports a reader gone (and its card with it); false when ctx ended.
	loseReader := func(n string, why error) bool {
		if present[n] && !emit(kiosk.CardRemoved, n) {
			return false
		}
		log.Warn("card reader lost", "reader", n, "error", why)
		if !emit(kiosk.ReaderLost, n) {
			return false
		}
		lost[n] = true
		delete(present, n)
		delete(last, n)
		return true
	}
	// dropContext loses every reader and releases a stale PC/SC context so the next
	// round re-establishes it; false when ctx ended.
	dropContext := func(why error) bool {
		for n := range present {
			if !loseReader(n, why) {
				return false
			}
		}
		if !noReader(why) {
			return false
		}
		scMu.Lock()
		if sc != nil {
			sc.Release()
			sc = nil
		}
		scMu.Unlock()
		return backoff()
	}
	// bounded runs one PC/SC call of the loop with a deadline. pcsc-lite's client
	// waits for pcscd without one (a stopped or hung pcscd would hang the watcher,
	// and the kiosk would look in service): past PollInterval+hungAfter the call is
	// left to finish on its own, its context released when it does, and pcscd
	// counts as gone.
	bounded := func(f func(*scard.Context) error) error {
		cur := sc
		done := make(chan error, 1)
		go func() { done <- f(cur) }()
		t := time.NewTimer(r.cfg.PollInterval + r.hungAfter)
		defer t.Stop()
		abandon := errPcscdHung
		select {
		case err := <-done:
			return err
		case <-t.C:
		case <-ctx.Done():
			abandon = ctx.Err()
		}
		scMu.Lock()
		if sc == cur {
			sc = nil
		}
		scMu.Unlock()
		go func() {
			<-done
			cur.Release()
		}()
		return abandon
	}
	for ctx.Err() == nil {
		if sc == nil {
			nsc, err := establish(r.cfg.PollInterval + r.hungAfter)
			if err != nil {
				if !noReader(mapErr("opening PC/SC", err)) || !backoff() {
					return
				}
				continue
			}
			scMu.Lock()
			sc = nsc
			scMu.Unlock()
			pnp = 0
		}
		var names []string
		err := bounded(func(sc *scard.Context) (err error) {
			names, err = r.readers(sc)
			return err
		})
		if err != nil && !errors.Is(err, ErrVirtualReader) {
			// pcscd gone: every reader is lost until the context comes back.
			if !dropContext(err) {
				return
			}
			continue
		}
		retry = r.cfg.PollInterval
		// Readers that went away.
		for n := range present {
			if !slices.Contains(names, n) && !loseReader(n, errors.New("no longer listed by pcscd")) {
				return
			}
		}
		if len(names) == 0 && !noReader(errors.New("no allowed card reader")) {
			return
		}
		states := make([]scard.ReaderState, 0, len(names)+1)
		for _, n := range names {
			if _, known := present[n]; !known {
				if lost[n] || lost[""] {
					delete(lost, n)
					delete(lost, "")
					log.Info("card reader back", "reader", n)
					if !emit(kiosk.ReaderReturned, n) {
						return
					}
				}
				present[n] = false
			}
			// Wait for a change from the state last seen (unaware the first time, so
			// a card already in the reader is reported at once).
			states = append(states, scard.ReaderState{Reader: n, CurrentState: last[n]})
		}
		states = append(states, scard.ReaderState{Reader: pnpReader, CurrentState: pnp})
		err = bounded(func(sc *scard.Context) error { return sc.GetStatusChange(states, r.cfg.PollInterval) })
		switch {
		case err == nil, errors.Is(err, scard.ErrTimeout):
		case errors.Is(err, scard.ErrCancelled), ctx.Err() != nil:
			return
		case errors.Is(err, scard.ErrUnknownReader), errors.Is(err, scard.ErrReaderUnavailable):
			continue // a reader vanished between listing and waiting: list again
		default:
			// pcscd stopped or the context went stale: re-establish it.
			if !dropContext(mapErr("waiting for card events", err)) {
				return
			}
			continue
		}
		if err != nil {
			continue
		}
		for _, s := range states {
			if s.Reader == pnpReader {
				pnp = s.EventState &^ scard.StateChanged
				continue
			}
			last[s.Reader] = s.EventState &^ scard.StateChanged
			if s.EventState&(scard.StateUnknown|scard.StateUnavailable) != 0 {
				continue // handled as a vanished reader on the next listing
			}
			now := s.EventState&scard.StatePresent != 0 && s.EventState&scard.StateMute == 0
			if now != present[s.Reader] {
				present[s.Reader] = now
				k := kiosk.CardRemoved
				if now {
					k = kiosk.CardInserted
				}
				if !emit(k, s.Reader) {
					return
				}
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
