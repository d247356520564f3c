-- Enrolled patterns are biometric data: they are stored sealed (AES-256-GCM under the at-rest
-- key, see src/db/sealed_patterns.rs). `sealed` holds the sealed text and `key_id` the hex id
-- of the key that sealed it, so a key rotation finds the rows still under an old key. The
-- server seals the rows stored before this migration on its first start and empties their
-- `pattern`; SQLite cannot drop the column's NOT NULL, so it stays, always ''.
ALTER TABLE patterns ADD COLUMN sealed BLOB;
ALTER TABLE patterns ADD COLUMN key_id TEXT;
CREATE INDEX patterns_key_id ON patterns (key_id);
