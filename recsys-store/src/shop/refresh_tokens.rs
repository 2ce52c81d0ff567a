//! Refresh tokens of signed-in sessions. The store keeps only a hash of each token (the server
//! makes the token and its hash); tokens of one sign-in form a family, one token after the other.
//!
//! Rotation follows the usual refresh-token reuse detection: a refresh marks its token used and
//! stores the next one of the family; a token that was already used, presented again, means a
//! copy of it is in someone else's hands, and the whole family is revoked.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::store::{Store, with_pool, with_tx};
use crate::time::{Millis, now_ms};

/// A refresh token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    pub user_id: i64,
    /// The sign-in this token belongs to (random, made by the server).
    pub family: String,
    /// A hash of the token (the token itself is never stored).
    pub token_hash: String,
    pub expires_at: Millis,
}

/// What presenting a refresh token for rotation found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Rotation {
    /// The token was valid: it is now used and the next token of its family is stored.
    Rotated { user_id: i64, family: String },
    /// The token had been used before: its whole family is now revoked.
    Reused { user_id: i64 },
    /// The token was revoked (logout, a detected reuse, a deactivated user).
    Revoked,
    /// The token's time is up.
    Expired,
    /// No such token.
    Unknown,
}

/// Token hashes and family ids are the server's own ASCII strings (hex, base64url).
fn check_ascii(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > 128 || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(StoreError::invalid(
            field,
            "must be 1 to 128 visible ASCII characters",
        ));
    }
    Ok(())
}

type TokenRow = (i64, String, i64, Option<i64>, Option<i64>);

impl Store {
    /// Stores the first token of a new sign-in.
    pub async fn create_refresh_token(&self, token: &NewRefreshToken) -> Result<()> {
        check_ascii("family", &token.family)?;
        check_ascii("token_hash", &token.token_hash)?;
        self.user(token.user_id).await?;
        with_pool!(self, pool => sqlx::query(
            "INSERT INTO refresh_tokens (user_id, family, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token.user_id).bind(&token.family).bind(&token.token_hash).bind(now_ms()).bind(token.expires_at)
            .execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Presents the token with hash `token_hash` for rotation. If it is valid, it is marked used
    /// and `next_hash` is stored as the family's next token (valid until `next_expires_at`), in
    /// one transaction: of two rotations of one token at once, one rotates and the other is a
    /// reuse. A reuse revokes the family (that revocation is kept: the outcome is not an error).
    pub async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        next_hash: &str,
        next_expires_at: Millis,
    ) -> Result<Rotation> {
        check_ascii("token_hash", token_hash)?;
        check_ascii("next_hash", next_hash)?;
        let now = now_ms();
        with_tx!(self, tx => {
            // the claim and the validity test are one statement: only one rotation can win
            let claimed: Option<(i64, String)> = sqlx::query_as(
                "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
                 AND revoked_at IS NULL AND expires_at > $2 RETURNING user_id, family")
                .bind(token_hash).bind(now).fetch_optional(&mut *tx).await?;
            if let Some((user_id, family)) = claimed {
                sqlx::query(
                    "INSERT INTO refresh_tokens (user_id, family, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(user_id).bind(&family).bind(next_hash).bind(now).bind(next_expires_at)
                    .execute(&mut *tx).await?;
                return Ok(Rotation::Rotated { user_id, family });
            }
            let row: Option<TokenRow> = sqlx::query_as(
                "SELECT user_id, family, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1")
                .bind(token_hash).fetch_optional(&mut *tx).await?;
            Ok(match row {
                None => Rotation::Unknown,
                Some((_, _, _, _, Some(_))) => Rotation::Revoked,
                Some((user_id, family, _, Some(_), None)) => {
                    sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL")
                        .bind(&family).bind(now).execute(&mut *tx).await?;
                    Rotation::Reused { user_id }
                }
                Some(_) => Rotation::Expired,
            })
        })
    }

    /// Revokes the family of the token with this hash (logout). Returns whether a token matched.
    pub async fn revoke_refresh_family(&self, token_hash: &str) -> Result<bool> {
        check_ascii("token_hash", token_hash)?;
        let family: Option<String> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT family FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash).fetch_optional(pool).await)?;
        let Some(family) = family else {
            return Ok(false);
        };
        with_pool!(self, pool => sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL")
            .bind(&family).bind(now_ms()).execute(pool).await.map(|_| ()))?;
        Ok(true)
    }

    /// Revokes every refresh token of a user (deactivation, password change). Returns how many
    /// were still valid.
    pub async fn revoke_user_refresh_tokens(&self, user_id: i64) -> Result<u64> {
        let now = now_ms();
        let n = with_pool!(self, pool => sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND used_at IS NULL AND expires_at > $2")
            .bind(user_id).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }
}
