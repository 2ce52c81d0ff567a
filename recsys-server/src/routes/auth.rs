//! `/api/v1/auth`: register, login, refresh, logout, me.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use recsys_store::{Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::extract::CurrentUser;
use crate::auth::{Permission, TokenPair, permissions};
use crate::client::ClientAddr;
use crate::error::{ApiResult, Problem};
use crate::extract::ApiJson;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/register", post(register))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/me", get(me))
}

/// A user as the API shows them (never the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub permissions: Vec<Permission>,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    /// The shop's own id of an imported customer.
    pub external_id: Option<String>,
    /// False for a customer imported without a password: they cannot sign in until an admin
    /// sets one.
    pub has_password: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            active: u.active,
            permissions: permissions(u.role).to_vec(),
            created_at: u.created_at,
            last_login_at: u.last_login_at,
            external_id: u.external_id.clone(),
            has_password: u.password_hash.is_some(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    /// 8 to 256 characters.
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    #[serde(default)]
    pub display_name: String,
}

/// A new account and its first session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub user: UserView,
    #[serde(flatten)]
    pub tokens: TokenPair,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Creates a customer account and signs it in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = Registered), (status = 409, description = "e-mail taken", body = Problem),
              (status = 422, body = Problem), (status = 400, body = Problem), (status = 415, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, axum::Json<Registered>)> {
    let (user, tokens) = state
        .auth
        .register(&req.email, req.password, &req.display_name)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Registered {
            user: UserView::from(&user),
            tokens,
        }),
    ))
}

/// Signs in with e-mail and password. Repeated failures for one account or address: 429 with
/// `Retry-After`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem), (status = 403, description = "deactivated", body = Problem),
              (status = 429, body = Problem), (status = 422, body = Problem), (status = 400, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<axum::Json<TokenPair>> {
    let (_, tokens) = state
        .auth
        .login(&req.email, req.password, &client.0)
        .await?;
    Ok(axum::Json(tokens))
}

/// Exchanges a refresh token for a new pair (the old one is used up; using it again signs the
/// session out everywhere).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<axum::Json<TokenPair>> {
    Ok(axum::Json(state.auth.refresh(&req.refresh_token).await?))
}

/// Ends the session of a refresh token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "signed out"), (status = 422, body = Problem)))]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<StatusCode> {
    state.auth.logout(&req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = Problem)))]
pub async fn me(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<axum::Json<UserView>> {
    let user = state.store.user(user.id).await?;
    Ok(axum::Json(UserView::from(&user)))
}
