//! One file per resource, each with its own `router()`. Handlers extract, call a service or the
//! store, and map the result; SQL lives in `recsys-store`, algorithms in `recsys-core`.

pub mod admin_catalog;
pub mod auth;
pub mod cart;
pub mod catalog;
pub mod events;
pub mod health;
pub mod orders;
pub mod recommendations;

use crate::error::ApiError;

/// Any path the API does not have.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such resource".into())
}
