-- Refresh tokens of signed-in sessions, stored as SHA-256 hashes (never the token). Each refresh
-- marks its token used and issues the next one of the same family; a used token presented again
-- revokes the whole family (someone else holds a copy).
CREATE TABLE refresh_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    family     TEXT   NOT NULL,
    token_hash TEXT   NOT NULL CONSTRAINT refresh_tokens_hash_key UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
