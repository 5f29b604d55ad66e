package kiosk

// SubjectHasher turns a card number into the keyed hash that stands for the resident
// in the audit log, in applications and towards the back office. store.SubjectKey
// implements it with a per-kiosk HMAC key.
type SubjectHasher interface {
	Hash(cardNumber string) string
}

// SubjectHasherFunc adapts a function to SubjectHasher.
type SubjectHasherFunc func(cardNumber string) string

// Hash calls f.
func (f SubjectHasherFunc) Hash(cardNumber string) string { return f(cardNumber) }

// OutboxKindApplication is the outbox kind of a submitted application; its payload is
// the JSON of ApplicationMessage.
const OutboxKindApplication = "application.submit"
