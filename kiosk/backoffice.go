package kiosk

import (
	"context"
	"errors"
)

// BackOffice is the port to the DSI back office.
type BackOffice interface {
	// Lookup returns what the back office knows of a resident, by hashed subject:
	// current travel documents, One Account status and pending applications.
	Lookup(ctx context.Context, subject string) (ResidentRecord, error)
	// Submit delivers one application. The idempotency key makes a repeated delivery
	// (after a timeout, a restart) a no-op that returns the same answer.
	Submit(ctx context.Context, idempotencyKey string, msg ApplicationMessage) error
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
	CreatedAt string            `json:"created_at"` // RFC 3339, UTC
	// Verified says how the resident proved who they are: "face" or "pin".
	Verified string `json:"verified"`
}
