package kiosk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// BackOffice is the port to the DSI back office.
type BackOffice interface {
	// Lookup returns what the back office knows of a resident, by hashed subject:
	// current travel documents, One Account status and pending applications.
	Lookup(ctx context.Context, subject string) (ResidentRecord, error)
	// Submit delivers one application. The idempotency key makes a repeated delivery
	// (after a timeout, a restart) a no-op that returns the same answer.
	Submit(ctx context.Context, idempotencyKey string, msg ApplicationMessage) (SubmitAnswer, error)
}

// SubmitAnswer is what the back office answers to a delivered application.
type SubmitAnswer struct {
	// CollectFrom is the earliest day the new document can be collected (zero when
	// nothing is collected, or the back office does not know yet).
	CollectFrom Date
}

// ErrBackOfficeUnavailable is wrapped by adapters when the back office cannot be reached.
var ErrBackOfficeUnavailable = errors.New("back office unavailable")

// ApplicationMessage is what the back office receives for an application (the outbox
// payload, as JSON). Subject is the keyed hash; the form holds only what the service
// asked for.
type ApplicationMessage struct {
	Reference string            `json:"reference"`
	Service   ServiceID         `json:"service"`
	Subject   string            `json:"subject"`
	KioskID   string            `json:"kiosk_id"`
	Language  Language          `json:"language"`
	Fee       int               `json:"fee_avos"`
	Form      map[string]string `json:"form"`
	// Sealed holds the secret fields (passwords) sealed to the back office's key, as
	// base64; they never appear in Form. See SecretSealer.
	Sealed    map[string]string `json:"sealed,omitempty"`
	CreatedAt string            `json:"created_at"` // RFC 3339, UTC
	// Verified says how the resident proved who they are: "face" or "pin" with the
	// card, "eid" with the eID code and the face against the back office's photo.
	Verified string `json:"verified"`
	// Photo is the document photo of a renewal, passport or travel permit.
	Photo *ApplicationPhoto `json:"photo,omitempty"`
	// AuditHead ("row:mac") is the kiosk's audit chain head when the message was
	// queued; the back office keeps it so the kiosk's log can be checked against a
	// copy held outside the kiosk. Set by the Deliverer, not part of the payload.
	AuditHead string `json:"audit_head,omitempty"`
}

// OutboxMessage is one queued message for the back office, as the store returns it.
type OutboxMessage struct {
	ID             int64
	IdempotencyKey string
	Kind           string
	Payload        []byte
	Attempts       int
	AuditHead      string // audit chain head when queued (see ApplicationMessage.AuditHead)
}

// OutboxQueue is the delivery side of the outbox: the store keeps the messages, their
// attempts and the backoff schedule.
type OutboxQueue interface {
	// Due returns undelivered messages whose next attempt is due, oldest first.
	Due(ctx context.Context, limit int) ([]OutboxMessage, error)
	// Queued returns the undelivered message with this idempotency key, due or not;
	// ErrNotQueued when there is none (never queued, or delivered already).
	Queued(ctx context.Context, key string) (OutboxMessage, error)
	MarkDelivered(ctx context.Context, id int64) error
	// MarkFailed records a failed attempt (attempts is the count before this one)
	// and schedules the next.
	MarkFailed(ctx context.Context, id int64, attempts int, cause error) error
}

// ErrUnknownOutboxKind is wrapped when a queued message has a kind nobody delivers.
var ErrUnknownOutboxKind = errors.New("unknown outbox message kind")

// ErrNotQueued is wrapped when the outbox holds no undelivered message with a key.
var ErrNotQueued = errors.New("no undelivered outbox message with this key")

// Deliverer sends due outbox messages to the back office. Each message goes with its
// idempotency key, so a message delivered but not marked (crash, timeout) is sent
// again harmlessly.
type Deliverer struct {
	Queue      OutboxQueue
	BackOffice BackOffice
	Batch      int           // messages per round (default 20)
	Timeout    time.Duration // per message (default 15s)
	OnError    func(error)   // failed deliveries, for the log (no personal data)
}

// DeliverDue makes one round and returns how many messages were delivered. A failed
// message does not stop the round; err reports only queue failures.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	batch := d.Batch
	if batch <= 0 {
		batch = 20
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	due, err := d.Queue.Due(ctx, batch)
	if err != nil {
		return 0, fmt.Errorf("outbox: listing due messages: %w", err)
	}
	delivered := 0
	for _, m := range due {
		if ctx.Err() != nil {
			return delivered, ctx.Err()
		}
		mctx, cancel := context.WithTimeout(ctx, timeout)
		_, err := d.deliver(mctx, m)
		cancel()
		if err != nil {
			if d.OnError != nil {
				d.OnError(fmt.Errorf("outbox: delivering %s (attempt %d): %w", m.IdempotencyKey, m.Attempts+1, err))
			}
			if merr := d.Queue.MarkFailed(ctx, m.ID, m.Attempts, err); merr != nil {
				return delivered, fmt.Errorf("outbox: marking %s failed: %w", m.IdempotencyKey, merr)
			}
			continue
		}
		if err := d.Queue.MarkDelivered(ctx, m.ID); err != nil {
			return delivered, fmt.Errorf("outbox: marking %s delivered: %w", m.IdempotencyKey, err)
		}
		delivered++
	}
	return delivered, nil
}

// Outbox is what the session asks of the outbox: deliver one saved application now.
type Outbox interface {
	DeliverNow(ctx context.Context, key string) (SubmitAnswer, error)
}

var _ Outbox = (*Deliverer)(nil)

// DeliverNow delivers the queued message with this key at once, out of turn, and
// returns the back office's answer: the session sends a fresh application this way
// so that its receipt carries the collection date. A failure is left to the regular
// rounds (the message stays due, its backoff untouched) and returned.
func (d *Deliverer) DeliverNow(ctx context.Context, key string) (SubmitAnswer, error) {
	m, err := d.Queue.Queued(ctx, key)
	if err != nil {
		return SubmitAnswer{}, fmt.Errorf("outbox: %s: %w", key, err)
	}
	ans, err := d.deliver(ctx, m)
	if err != nil {
		return SubmitAnswer{}, fmt.Errorf("outbox: delivering %s now: %w", key, err)
	}
	if err := d.Queue.MarkDelivered(ctx, m.ID); err != nil && d.OnError != nil {
		// Delivered all the same, and the answer is the back office's: the next round
		// sends it again under the same key, which the back office answers as a repeat.
		d.OnError(fmt.Errorf("outbox: marking %s delivered: %w", key, err))
	}
	return ans, nil
}

func (d *Deliverer) deliver(ctx context.Context, m OutboxMessage) (SubmitAnswer, error) {
	switch m.Kind {
	case OutboxKindApplication:
		var msg ApplicationMessage
		if err := json.Unmarshal(m.Payload, &msg); err != nil {
			return SubmitAnswer{}, fmt.Errorf("decoding application: %w", err)
		}
		if msg.Reference != m.IdempotencyKey {
			return SubmitAnswer{}, fmt.Errorf("application %s queued under key %s", msg.Reference, m.IdempotencyKey)
		}
		msg.AuditHead = m.AuditHead
		return d.BackOffice.Submit(ctx, m.IdempotencyKey, msg)
	}
	return SubmitAnswer{}, fmt.Errorf("%w: %q", ErrUnknownOutboxKind, m.Kind)
}

// Run delivers every interval until ctx ends.
func (d *Deliverer) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := d.DeliverDue(ctx); err != nil && d.OnError != nil && ctx.Err() == nil {
			d.OnError(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// SecretSealer encrypts a resident's secret (the One Account service password) to the
// back office's public key, so the kiosk never writes it in a form it could read back:
// the application, the outbox, the WAL and the logs only ever hold the ciphertext.
// context binds the ciphertext to one application (its reference).
type SecretSealer interface {
	Seal(secret []byte, context string) ([]byte, error)
}
