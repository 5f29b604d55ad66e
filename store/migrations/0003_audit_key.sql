-- The audit chain becomes keyed: each new row's hash is HMAC-SHA256 with a key kept
-- outside the database (store.audit_key_file), so that nobody with only the file can
-- recompute it. Rows written before this migration keep their plain SHA-256 hash
-- (keyed = 0); in the same transaction the store appends one keyed "audit.rekey" row
-- that chains to the last of them, so they are covered by the key from then on
-- (see rekeyLegacyChain). A plain row after a keyed one is never valid.
ALTER TABLE audit ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;

-- The audit head ("seq:mac") when the message was queued: the back office keeps it, so
-- the kiosk's log can later be checked against a head held outside the kiosk.
ALTER TABLE outbox ADD COLUMN audit_head TEXT NOT NULL DEFAULT '';
