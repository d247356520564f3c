-- Sign-in second factors (issue 12). Times are Unix milliseconds.

-- An application's sign-in policy (keycadence-signin's Policy as JSON) and the tenant whose
-- users sign in through it: only that tenant's API keys create sign-ins for the application.
CREATE TABLE sign_in_apps (
    app_ref BIGINT PRIMARY KEY REFERENCES verify_apps(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    policy TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A sign-in: its state, the user's delivery addresses and code records (JSON). The browser's
-- token is kept only as a SHA-256. `version` makes every update a compare-and-swap.
CREATE TABLE sign_ins (
    id TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    app_ref BIGINT NOT NULL REFERENCES verify_apps(id),
    user_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    record TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expire_at BIGINT NOT NULL
);
CREATE INDEX sign_ins_expiry ON sign_ins (expire_at);

-- Every text issued to type, so that none is issued twice, and the user's recent words are
-- kept out of their next texts.
CREATE TABLE sign_in_texts (
    text TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sign_in_texts_user ON sign_in_texts (tenant_id, user_id, created_at);
