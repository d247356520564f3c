-- One-time codes (issue 6): Verify clients and applications, Verify code records, TOTP
-- services, factors, challenges and backup codes. Times are Unix milliseconds. Secrets are
-- stored sealed (AES-256-GCM under the server's at-rest key, hex) or hashed, never in clear.

-- A Verify client (account): its secret derives the payload keys of its applications.
CREATE TABLE verify_clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL UNIQUE,
    sealed_secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- A Verify application: its domain, delivery and code settings (JSON), the sealed SMS
-- gateway token and the SHA-256 of its reset-profile token.
CREATE TABLE verify_apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_ref INTEGER NOT NULL REFERENCES verify_clients(id),
    application_id TEXT NOT NULL UNIQUE,
    domain TEXT NOT NULL,
    settings TEXT NOT NULL,
    sealed_sms_token TEXT,
    reset_token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- The code state of one user of one application (keycadence-otp's OtpRecord as JSON). The user
-- is keyed by an HMAC of its identifier, so e-mail addresses and phone numbers are not stored.
-- `version` makes every update a compare-and-swap.
CREATE TABLE verify_otp_records (
    app_ref INTEGER NOT NULL REFERENCES verify_apps(id),
    user_key TEXT NOT NULL,
    record TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app_ref, user_key)
);

-- A TOTP service of a tenant: issuer and factor defaults (JSON).
CREATE TABLE totp_services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    sid TEXT NOT NULL UNIQUE,
    friendly_name TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- A TOTP factor of an entity (keycadence-otp's TotpFactor as JSON, the secret sealed inside).
CREATE TABLE totp_factors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_ref INTEGER NOT NULL REFERENCES totp_services(id),
    identity TEXT NOT NULL,
    sid TEXT NOT NULL UNIQUE,
    friendly_name TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX totp_factors_entity ON totp_factors (service_ref, identity, id);

CREATE TABLE totp_challenges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    factor_ref INTEGER NOT NULL REFERENCES totp_factors(id) ON DELETE CASCADE,
    sid TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX totp_challenges_factor ON totp_challenges (factor_ref);

-- The backup codes of an entity (keycadence-otp's BackupCodeSet as JSON: argon2id hashes).
CREATE TABLE totp_backup_codes (
    service_ref INTEGER NOT NULL REFERENCES totp_services(id),
    identity TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (service_ref, identity)
);
