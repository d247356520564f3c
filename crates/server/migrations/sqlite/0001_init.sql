-- keycadence-server schema (SQLite). Times are Unix milliseconds.
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    settings TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    api_key TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    external_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    verify_day INTEGER NOT NULL DEFAULT 0,
    verify_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, external_id)
);

-- One row per enrolled pattern; the bucket is (user, is_mobile, kind, text_id, position).
CREATE TABLE patterns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    is_mobile INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    text_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    pattern TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, digest)
);
CREATE INDEX patterns_bucket ON patterns (user_id, is_mobile, kind, text_id, position, id);

-- Replay protection: SHA-256 of every enrolled ('enrol') and verified ('verify') pattern.
CREATE TABLE pattern_digests (
    user_id INTEGER NOT NULL REFERENCES users(id),
    digest TEXT NOT NULL,
    source TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, digest)
);
CREATE INDEX pattern_digests_seen ON pattern_digests (source, seen_at);
