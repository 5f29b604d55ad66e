package kiosk

import (
	"context"
	"time"
)

// Clock is injected so that timeouts and dates are testable.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

// AuditEvent is one row of the append-only audit log. Subject is never a raw card
// number: adapters store a keyed hash of it.
type AuditEvent struct {
	At      time.Time
	Actor   string // "resident", "staff:<id>", "system"
	Action  string // e.g. "card.read", "face.verify", "application.submit"
	Subject string // hashed card number or application reference
	Detail  string // no personal data
}

// Application is a service request made at the kiosk.
type Application struct {
	Reference string
	Service   string // "id-renewal", "passport", "travel-permit", "one-account"
	Subject   string // hashed card number
	Fee       int    // in avos (1/100 MOP)
	Payload   []byte // service-specific JSON sent to the back office
	CreatedAt time.Time
}

// Store is the port to the kiosk's local database.
type Store interface {
	Audit(ctx context.Context, e AuditEvent) error
	// SaveApplication stores the application and, in the same transaction, queues its
	// Payload for the back office (kind OutboxKindApplication, idempotency key = the
	// reference) and appends e, the audit row that records the submission: a crash
	// leaves all three or none, never an application sent without a trace. The caller
	// must not audit the same submission again.
	SaveApplication(ctx context.Context, a Application, e AuditEvent) error

	// A paid service's application is held while the resident pays: saved (so a crash
	// cannot lose a paid application) but not queued. Each call is one transaction
	// with its audit row e.
	//
	// HoldApplication saves a awaiting payment.
	HoldApplication(ctx context.Context, a Application, e AuditEvent) error
	// ReleaseApplication queues a held application for the back office: it was paid.
	ReleaseApplication(ctx context.Context, reference string, e AuditEvent) error
	// DropApplication ends a held application that was not paid; its payload is wiped.
	DropApplication(ctx context.Context, reference string, e AuditEvent) error
	// HeldApplications lists applications still held that were created before
	// createdBefore (oldest first): what a crash left between payment and submission.
	HeldApplications(ctx context.Context, createdBefore time.Time) ([]Application, error)
}
