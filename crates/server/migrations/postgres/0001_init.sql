-- keycadence-server schema (PostgreSQL). Times are Unix milliseconds.
CREATE TABLE tenants (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    settings TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    api_key TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    external_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    verify_day BIGINT NOT NULL DEFAULT 0,
    verify_count BIGINT NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, external_id)
);

-- One row per enrolled pattern; the bucket is (user, is_mobile, kind, text_id, position).
CREATE TABLE patterns (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    is_mobile BIGINT NOT NULL,
    kind BIGINT NOT NULL,
    text_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    pattern TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, digest)
);
CREATE INDEX patterns_bucket ON patterns (user_id, is_mobile, kind, text_id, position, id);

-- Replay protection: SHA-256 of every enrolled ('enrol') and verified ('verify') pattern.
CREATE TABLE pattern_digests (
    user_id BIGINT NOT NULL REFERENCES users(id),
    digest TEXT NOT NULL,
    source TEXT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, digest)
);
CREATE INDEX pattern_digests_seen ON pattern_digests (source, seen_at);
