-- Sessions: one row per resident session; no personal data beyond the keyed subject hash.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    kiosk_id    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    outcome     TEXT,
    subject     TEXT            -- keyed hash of the card number, never the number
);

-- Applications made at the kiosk, identified by their receipt reference.
CREATE TABLE applications (
    reference   TEXT PRIMARY KEY,
    session_id  TEXT REFERENCES sessions(id),
    service     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    fee_avos    INTEGER NOT NULL CHECK (fee_avos >= 0),
    payload     BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'submitted'
);

-- Messages to the DSI back office, delivered at least once with an idempotency key.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    payload         BLOB NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox(delivered_at, next_attempt_at);

-- Append-only audit log. Each row carries the hash of the previous row, so an edited,
-- inserted or deleted row breaks the chain (see VerifyAudit).
CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

-- Kiosk health samples (devices, disk, queue length), for staff and monitoring.
CREATE TABLE health (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    component  TEXT NOT NULL,
    ok         INTEGER NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX health_at ON health(at);
