//! One file per resource, each with its own `router()`. Handlers extract, call a service or the
//! store, and map the result; SQL lives in `recsys-store`, algorithms in `recsys-core`.

pub mod admin_catalog;
pub mod admin_ml;
pub mod admin_users;
pub mod analytics;
pub mod api_keys;
pub mod auth;
pub mod cart;
pub mod catalog;
pub mod events;
pub mod health;
pub mod images;
pub mod orders;
pub mod recommendations;
pub mod service;

use recsys_store::NewAuditEntry;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Who wrote: an admin (by user id) or a service API key.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    User(i64),
    Key(i64),
}

impl From<i64> for Actor {
    fn from(user: i64) -> Actor {
        Actor::User(user)
    }
}

/// Appends a write to the audit log, with the record before and after.
pub async fn audit(
    state: &AppState,
    actor: impl Into<Actor>,
    action: &str,
    target_type: &str,
    target_id: impl ToString,
    before: Option<Value>,
    after: Option<Value>,
) -> ApiResult<()> {
    let (actor_id, api_key_id) = match actor.into() {
        Actor::User(id) => (Some(id), None),
        Actor::Key(id) => (None, Some(id)),
    };
    state
        .store
        .append_audit(&NewAuditEntry {
            actor_id,
            api_key_id,
            client_addr: crate::client::current(),
            action: action.into(),
            target_type: target_type.into(),
            target_id: Some(target_id.to_string()),
            before,
            after,
        })
        .await?;
    Ok(())
}

/// Any path the API does not have.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such resource".into())
}
