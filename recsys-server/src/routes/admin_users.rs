//! `/api/v1/admin/users`: list customers and admins, see one with their segment, change a
//! role or deactivate (which ends their sessions: refresh tokens revoked, access tokens
//! refused within the user cache time). Admin permission `users`; writes audit-logged.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use recsys_store::{Role, UserFilter, UserSegment, UserUpdate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::{Admin, perm};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::audit;
use crate::routes::auth::UserView;
use crate::routes::catalog::page;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/users", get(list))
        .route("/api/v1/admin/users/{id}", get(one).patch(update))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Part of the e-mail address (case-insensitive).
    pub email: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Users, newest first.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])), params(UserListParams),
    responses((status = 200, body = UserPage), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin<perm::Users>,
    ApiQuery(p): ApiQuery<UserListParams>,
) -> ApiResult<axum::Json<UserPage>> {
    let page = page(p.limit, p.offset, 20, 100)?;
    let found = state
        .store
        .list_users(
            &UserFilter {
                role: p.role,
                active: p.active,
                email_contains: p.email,
            },
            page,
        )
        .await?;
    Ok(axum::Json(UserPage {
        items: found.items.iter().map(UserView::from).collect(),
        total: found.total,
        limit: found.limit,
        offset: found.offset,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentOf {
    pub segment: i64,
    /// The segmentation (a version of the `segments` model) that assigned it.
    pub model_version_id: Option<i64>,
    pub assigned_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUserView {
    #[serde(flatten)]
    pub user: UserView,
    /// The customer's segment from the latest segmentation, if they have one.
    pub segment: Option<SegmentOf>,
}

fn segment_of(s: UserSegment) -> SegmentOf {
    SegmentOf {
        segment: s.segment,
        model_version_id: s.model_version_id,
        assigned_at: s.assigned_at,
    }
}

/// One user with their segment.
#[utoipa::path(get, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AdminUserView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn one(
    State(state): State<AppState>,
    _admin: Admin<perm::Users>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<AdminUserView>> {
    let user = state.store.user(id).await?;
    let segment = state.store.user_segment(id).await?.map(segment_of);
    Ok(axum::Json(AdminUserView {
        user: UserView::from(&user),
        segment,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// A new password (8 to 256 characters): for a customer imported without one, or one
    /// who lost theirs. Their sessions end.
    #[schema(min_length = 8, max_length = 256, format = Password)]
    pub password: Option<String>,
}

/// Changes a user's role, active flag or password. An admin cannot demote or deactivate
/// themself (the shop would be left without the admin making the change).
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = UserPatch,
    responses((status = 200, body = AdminUserView), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, description = "an admin changing themself", body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    admin: Admin<perm::Users>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(p): ApiJson<UserPatch>,
) -> ApiResult<axum::Json<AdminUserView>> {
    if id == admin.user.id && (p.active == Some(false) || p.role == Some(Role::User)) {
        return Err(ApiError::Conflict(
            "an admin cannot demote or deactivate their own account".into(),
        ));
    }
    let password_hash = match p.password {
        Some(password) => {
            crate::auth::password::Passwords::check_new(&password)?;
            Some(state.auth.passwords.hash(password).await?)
        }
        None => None,
    };
    let new_password = password_hash.is_some();
    let before = state.store.user(id).await?;
    let after = state
        .store
        .update_user(
            id,
            &UserUpdate {
                role: p.role,
                active: p.active,
                password_hash,
                ..Default::default()
            },
        )
        .await?;
    if (before.active && !after.active) || new_password {
        state.store.revoke_user_refresh_tokens(id).await?;
    }
    state.auth.forget_user(id);
    audit(
        &state,
        admin.user.id,
        "user.update",
        "user",
        id,
        serde_json::to_value(UserView::from(&before)).ok(),
        serde_json::to_value(UserView::from(&after)).ok(),
    )
    .await?;
    let segment = state.store.user_segment(id).await?.map(segment_of);
    Ok(axum::Json(AdminUserView {
        user: UserView::from(&after),
        segment,
    }))
}
