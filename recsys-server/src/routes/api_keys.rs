//! `/api/v1/admin/api-keys`: the service API's keys. An admin (permission `users`: keys are
//! credentials) makes a key with a name and scopes, sees it once, lists keys by name and first
//! characters, and revokes them. Writes audit-logged.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use recsys_store::ApiKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::api_keys::Scope;
use crate::auth::extract::{Admin, perm};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::routes::audit;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/api-keys", get(list).post(create))
        .route("/api/v1/admin/api-keys/{id}", delete(revoke))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyIn {
    /// What the key is for ("storefront sync"), 1 to 200 characters.
    pub name: String,
    /// At least one.
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    /// The key itself: shown this once, never again (the server keeps only its hash).
    pub key: String,
    pub api_key: ApiKey,
}

/// The service API's keys, revoked ones too, newest first.
#[utoipa::path(get, path = "/api/v1/admin/api-keys", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<ApiKey>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin<perm::Users>,
) -> ApiResult<axum::Json<Vec<ApiKey>>> {
    Ok(axum::Json(state.store.api_keys().await?))
}

/// Makes a key for the service API (`/api/v1/service/...`); the answer holds the key, once.
#[utoipa::path(post, path = "/api/v1/admin/api-keys", tag = "admin", security(("bearer" = [])), request_body = NewKeyIn,
    responses((status = 201, body = CreatedKey), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    admin: Admin<perm::Users>,
    ApiJson(body): ApiJson<NewKeyIn>,
) -> ApiResult<(StatusCode, axum::Json<CreatedKey>)> {
    let (key, api_key) = state
        .auth
        .api_keys
        .create(&body.name, &body.scopes, admin.user.id)
        .await?;
    audit(
        &state,
        admin.user.id,
        "api_key.create",
        "api_key",
        api_key.id,
        None,
        serde_json::to_value(&api_key).ok(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedKey { key, api_key })))
}

/// Revokes a key: refused at once by this server, by every other replica within the user
/// cache time (`RECSYS_USER_CACHE_TTL`).
#[utoipa::path(delete, path = "/api/v1/admin/api-keys/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ApiKey), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    admin: Admin<perm::Users>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<ApiKey>> {
    let key = state.auth.api_keys.revoke(id).await?;
    audit(
        &state,
        admin.user.id,
        "api_key.revoke",
        "api_key",
        id,
        None,
        serde_json::to_value(&key).ok(),
    )
    .await?;
    Ok(axum::Json(key))
}
