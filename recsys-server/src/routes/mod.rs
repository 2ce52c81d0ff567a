//! One file per resource, each with its own `router()`. Handlers extract, call a service or the
//! store, and map the result; SQL lives in `recsys-store`, algorithms in `recsys-core`.

pub mod admin_catalog;
pub mod admin_ml;
pub mod admin_users;
pub mod analytics;
pub mod auth;
pub mod cart;
pub mod catalog;
pub mod events;
pub mod health;
pub mod orders;
pub mod recommendations;

use recsys_store::NewAuditEntry;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Appends an admin's write to the audit log, with the record before and after.
pub async fn audit(
    state: &AppState,
    actor: i64,
    action: &str,
    target_type: &str,
    target_id: impl ToString,
    before: Option<Value>,
    after: Option<Value>,
) -> ApiResult<()> {
    state
        .store
        .append_audit(&NewAuditEntry {
            actor_id: Some(actor),
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
