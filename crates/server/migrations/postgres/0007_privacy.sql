-- Privacy of stored personal data (issue 18). Times are Unix milliseconds.

-- One-off conversions of stored data the server does on start (they need its keys, so they
-- cannot be SQL migrations): a row says the conversion is done. 'keyed_replay_digests' keys
-- the replay digests stored before this migration (see src/db/replay_digests.rs).
CREATE TABLE store_conversions (
    name TEXT PRIMARY KEY,
    done_at BIGINT NOT NULL
);

-- When the user last enrolled or had a verification booked: enrolments unused for the
-- tenant's enrolment_retention_days are removed (see src/privacy/retention.rs).
ALTER TABLE users ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
UPDATE users SET last_used_at = created_at;
CREATE INDEX users_last_used ON users (tenant_id, last_used_at);

-- What was done with personal data, by whom (the API key id, or 'cli'/'server'), when. The user
-- is named only by a keyed hash of tenant and user id (user_ref), and detail holds counts and
-- outcome codes: never a pattern, a code or a secret (see src/privacy/audit.rs).
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    tenant_id BIGINT,
    actor TEXT NOT NULL,
    user_ref TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_user ON audit_log (tenant_id, user_ref, id);
CREATE INDEX audit_log_at ON audit_log (at);
