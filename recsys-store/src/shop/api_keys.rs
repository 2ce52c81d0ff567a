//! API keys of the service API (a shop's own storefront calling the server). The store keeps a
//! hash of each key, never the key (the server makes both and shows the key once), its first
//! characters for telling keys apart, its name and scopes. Revoking keeps the row: the audit log
//! names the key that wrote.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::store::{Store, with_pool};
use crate::time::{Millis, now_ms};
use crate::validate;

/// A key to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    /// The key's first characters (`rk_1a2b3c4d`), shown in lists.
    pub prefix: String,
    /// A hash of the key (the key itself is never stored).
    pub key_hash: String,
    /// What the key may do (`catalog:write`, ...): at least one, each a short label.
    pub scopes: Vec<String>,
    /// The admin who made it.
    pub created_by: Option<i64>,
}

/// A stored key (without its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    /// When a request last used it (updated at most once per the server's cache window).
    pub last_used_at: Option<Millis>,
    /// When it was revoked; a revoked key is refused.
    pub revoked_at: Option<Millis>,
}

impl ApiKey {
    pub fn active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

type KeyRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    i64,
    Option<i64>,
    Option<i64>,
);

const KEY_COLUMNS: &str =
    "id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at";

fn key_from_row(r: KeyRow) -> ApiKey {
    ApiKey {
        id: r.0,
        name: r.1,
        prefix: r.2,
        scopes: r.3.split_whitespace().map(str::to_string).collect(),
        created_by: r.4,
        created_at: r.5,
        last_used_at: r.6,
        revoked_at: r.7,
    }
}

fn check_hash(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > 128 || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(StoreError::invalid(
            field,
            "must be 1 to 128 visible ASCII characters",
        ));
    }
    Ok(())
}

impl Store {
    /// Stores a new key.
    pub async fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKey> {
        validate::text("name", &key.name, validate::MAX_NAME, true)?;
        check_hash("prefix", &key.prefix)?;
        check_hash("key_hash", &key.key_hash)?;
        if key.scopes.is_empty() {
            return Err(StoreError::invalid(
                "scopes",
                "a key needs at least one scope",
            ));
        }
        for scope in &key.scopes {
            validate::label("scopes", scope)?;
            if scope.chars().any(char::is_whitespace) {
                return Err(StoreError::invalid(
                    "scopes",
                    format!("'{scope}' contains white space"),
                ));
            }
        }
        if let Some(admin) = key.created_by {
            self.user(admin).await?;
        }
        let sql = format!(
            "INSERT INTO api_keys (name, prefix, key_hash, scopes, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {KEY_COLUMNS}"
        );
        let row: KeyRow = with_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(key.name.trim()).bind(&key.prefix).bind(&key.key_hash).bind(key.scopes.join(" "))
            .bind(key.created_by).bind(now_ms())
            .fetch_one(pool).await)?;
        Ok(key_from_row(row))
    }

    /// Every key, revoked ones too, newest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id DESC");
        let rows: Vec<KeyRow> = with_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool).await)?;
        Ok(rows.into_iter().map(key_from_row).collect())
    }

    /// The key with this hash, revoked or not, marked used now if it is not revoked.
    pub async fn use_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>> {
        check_hash("key_hash", key_hash)?;
        let update = format!(
            "UPDATE api_keys SET last_used_at = $2 WHERE key_hash = $1 AND revoked_at IS NULL \
             RETURNING {KEY_COLUMNS}"
        );
        let select = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = $1");
        let row: Option<KeyRow> = with_pool!(self, pool => {
            let used: Option<KeyRow> = sqlx::query_as(sqlx::AssertSqlSafe(update))
                .bind(key_hash).bind(now_ms()).fetch_optional(pool).await?;
            match used {
                Some(row) => Ok::<_, StoreError>(Some(row)),
                None => Ok(sqlx::query_as(sqlx::AssertSqlSafe(select))
                    .bind(key_hash).fetch_optional(pool).await?),
            }
        })?;
        Ok(row.map(key_from_row))
    }

    /// Revokes a key (a key revoked before keeps its first revocation time).
    pub async fn revoke_api_key(&self, id: i64) -> Result<ApiKey> {
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 \
             RETURNING {KEY_COLUMNS}"
        );
        let row: Option<KeyRow> = with_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id).bind(now_ms()).fetch_optional(pool).await)?;
        row.map(key_from_row)
            .ok_or_else(|| StoreError::not_found("api key", id))
    }
}
