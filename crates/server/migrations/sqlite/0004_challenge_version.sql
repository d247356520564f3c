-- A TOTP challenge's version: every update is a compare-and-swap on it, so that two requests
-- racing on one pending challenge (an approving code and a deny) cannot both succeed.
ALTER TABLE totp_challenges ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
