-- Kiosk settings changed by staff at run time (e.g. maintenance mode). Every change is
-- also an audit event.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
