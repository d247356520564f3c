-- Enrolled patterns are biometric data: they are stored sealed (AES-256-GCM under the at-rest
-- key, see src/db/sealed_patterns.rs). `sealed` holds the sealed text and `key_id` the hex id
-- of the key that sealed it, so a key rotation finds the rows still under an old key. The
-- server seals the rows stored before this migration on its first start and empties their
-- `pattern` (kept, always '', for the same queries on SQLite, which cannot drop NOT NULL).
ALTER TABLE patterns ADD COLUMN sealed BYTEA;
ALTER TABLE patterns ADD COLUMN key_id TEXT;
CREATE INDEX patterns_key_id ON patterns (key_id);
