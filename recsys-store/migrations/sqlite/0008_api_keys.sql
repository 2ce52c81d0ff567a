-- API keys of the service API: a shop's own storefront calls recsys server to server with one.
-- Only a hash of each key is stored (the key is shown once, when it is made); `prefix` is its
-- first characters, for telling keys apart in lists. `scopes` is space-separated. A revoked key
-- keeps its row (the audit log names it).
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT   NOT NULL,
    prefix       TEXT   NOT NULL,
    key_hash     TEXT   NOT NULL CONSTRAINT api_keys_key_hash_key UNIQUE,
    scopes       TEXT   NOT NULL,
    created_by   BIGINT REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
-- what a key wrote is attributed to it
ALTER TABLE audit_log ADD COLUMN api_key_id BIGINT REFERENCES api_keys (id);
