-- Verify payloads already used. A protocol 2.0 payload is kept by its jti, a protocol 1.x
-- payload (accepted only where the application allows them) by a SHA-256 of its text. A row is
-- needed only until the payload would be refused as too old anyway (usable_until, Unix ms).
CREATE TABLE verify_payload_uses (
    app_ref BIGINT NOT NULL REFERENCES verify_apps(id),
    purpose TEXT NOT NULL,
    token TEXT NOT NULL,
    usable_until BIGINT NOT NULL,
    PRIMARY KEY (app_ref, purpose, token)
);
CREATE INDEX verify_payload_uses_expiry ON verify_payload_uses (usable_until);
