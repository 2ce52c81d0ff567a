//! API keys of the service API: a shop that keeps its own storefront calls the server with one,
//! server to server. An admin makes a key with a name and scopes; the key (`rk_` and 40 hex
//! digits) is shown once and the store keeps its SHA-256. A key is checked against the store
//! at most once per `Settings::user_cache_ttl` on each replica, so a revoked key stops working
//! on every replica within that window, as a deactivated user's tokens do. Requests are
//! limited per key (`Settings::api_key_rate_per_s`).

use std::sync::Arc;

use recsys_store::{ApiKey, NewApiKey, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::throttle::RateLimiter;
use super::tokens::{random_hex, secret_hash};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult};
use crate::ttl_cache::TtlCache;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    /// Upsert categories and products.
    #[serde(rename = "catalog:write")]
    CatalogWrite,
    /// Upsert customers and send their events (feedback).
    #[serde(rename = "events:write")]
    EventsWrite,
    /// Ask for recommendations.
    #[serde(rename = "recommend:read")]
    RecommendRead,
    /// Read the shop's records back in the export format.
    #[serde(rename = "export:read")]
    ExportRead,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::CatalogWrite,
        Scope::EventsWrite,
        Scope::RecommendRead,
        Scope::ExportRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CatalogWrite => "catalog:write",
            Scope::EventsWrite => "events:write",
            Scope::RecommendRead => "recommend:read",
            Scope::ExportRead => "export:read",
        }
    }

    /// Whether using the scope writes (and so is written to the audit log).
    pub fn writes(self) -> bool {
        matches!(self, Scope::CatalogWrite | Scope::EventsWrite)
    }
}

/// The start of every key.
pub const KEY_PREFIX: &str = "rk_";
/// Random bytes in a key (hex: twice as many digits).
const KEY_BYTES: usize = 20;
/// Characters of a key kept in clear to tell keys apart.
const SHOWN: usize = KEY_PREFIX.len() + 8;

/// The keys service.
#[derive(Debug)]
pub struct ApiKeys {
    store: Store,
    /// Keys by their hash, as last read from the store.
    keys: TtlCache<Arc<ApiKey>, String>,
    limiter: Option<RateLimiter>,
}

impl ApiKeys {
    pub fn new(store: Store, settings: &Settings) -> ApiKeys {
        let rate = settings.api_key_rate_per_s;
        ApiKeys {
            store,
            keys: TtlCache::new(settings.user_cache_ttl),
            limiter: (rate > 0).then(|| RateLimiter::new(rate, rate.saturating_mul(10))),
        }
    }

    /// Makes a key: the key itself (shown this once) and what is stored of it.
    pub async fn create(
        &self,
        name: &str,
        scopes: &[Scope],
        admin: i64,
    ) -> ApiResult<(String, ApiKey)> {
        if scopes.is_empty() {
            return Err(ApiError::field("scopes", "a key needs at least one scope"));
        }
        let mut names: Vec<String> = Vec::new();
        for scope in scopes {
            if !names.iter().any(|n| n == scope.as_str()) {
                names.push(scope.as_str().to_string());
            }
        }
        let key = format!("{KEY_PREFIX}{}", random_hex(KEY_BYTES)?);
        let stored = self
            .store
            .create_api_key(&NewApiKey {
                name: name.to_string(),
                prefix: key[..SHOWN].to_string(),
                key_hash: secret_hash(&key),
                scopes: names,
                created_by: Some(admin),
            })
            .await?;
        Ok((key, stored))
    }

    /// Revokes a key; this replica refuses it at once, the others within the cache's window.
    pub async fn revoke(&self, id: i64) -> ApiResult<ApiKey> {
        let key = self.store.revoke_api_key(id).await?;
        // the cache is keyed by hash, which the store does not give back: forget them all
        // (revoking is rare; the next request of each key reads it again)
        self.keys.clear();
        Ok(key)
    }

    /// The key a request presents, if it is one of ours, not revoked, within its rate and has
    /// `scope`.
    pub async fn check(&self, presented: &str, scope: Scope) -> ApiResult<Arc<ApiKey>> {
        if !presented.starts_with(KEY_PREFIX)
            || presented.len() != KEY_PREFIX.len() + 2 * KEY_BYTES
            || !presented[KEY_PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit())
        {
            return Err(ApiError::Unauthorized(format!(
                "the API key is not valid (a key is '{KEY_PREFIX}' and {} hex digits)",
                2 * KEY_BYTES
            )));
        }
        let hash = secret_hash(presented);
        let key = match self.keys.get(&hash) {
            Some(key) => key,
            None => {
                let key = self
                    .store
                    .use_api_key(&hash)
                    .await?
                    .ok_or_else(|| ApiError::Unauthorized("the API key is not valid".into()))?;
                let key = Arc::new(key);
                self.keys.put(hash, Arc::clone(&key));
                key
            }
        };
        if !key.active() {
            return Err(ApiError::Unauthorized(format!(
                "the API key '{}' was revoked",
                key.name
            )));
        }
        if let Some(limiter) = &self.limiter
            && let Err(wait) = limiter.take(&key.id.to_string())
        {
            return Err(ApiError::TooManyRequests {
                detail: format!(
                    "the API key '{}' is over its rate; try again in {wait} s",
                    key.name
                ),
                retry_after_s: wait,
            });
        }
        if !key.scopes.iter().any(|s| s == scope.as_str()) {
            return Err(ApiError::Forbidden(format!(
                "the API key '{}' does not have the '{}' scope (it has: {})",
                key.name,
                scope.as_str(),
                key.scopes.join(", ")
            )));
        }
        Ok(key)
    }
}
