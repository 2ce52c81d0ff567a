//! Auth as extractors: a handler that takes [`CurrentUser`] needs a valid bearer token of an
//! active user (401 otherwise), [`MaybeUser`] takes one if present, [`Admin<P>`] needs an
//! active user whose role has permission `P` (403 otherwise), and [`Service<S>`] a service API
//! key with scope `S`.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderName;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use recsys_store::{ApiKey, Role};

use super::api_keys::{KEY_PREFIX, Scope};
use super::{Permission, permissions};
use crate::error::ApiError;
use crate::state::AppState;

/// The signed-in user of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn may(&self, permission: Permission) -> bool {
        permissions(self.role).contains(&permission)
    }
}

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not text".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be 'Bearer <access token>'".into(),
        )),
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<CurrentUser>, ApiError> {
    let Some(token) = bearer(parts)? else {
        return Ok(None);
    };
    let (id, _claims) = state.auth.keys.check(token)?;
    // the role and active flag are the user's current ones, not the token's
    let (active, role) = state.auth.user_status(id).await?;
    if !active {
        return Err(ApiError::Unauthorized("this account is deactivated".into()));
    }
    Ok(Some(CurrentUser { id, role }))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(*user);
        }
        let user = authenticate(parts, state).await?.ok_or_else(|| {
            ApiError::Unauthorized("sign in: this needs a bearer access token".into())
        })?;
        parts.extensions.insert(user);
        Ok(user)
    }
}

/// The signed-in user if the request has a token (an invalid token is still 401).
#[derive(Debug, Clone, Copy)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(MaybeUser(authenticate(parts, state).await?))
    }
}

/// A permission as a type, for [`Admin<P>`].
pub trait NamedPermission: Send + Sync {
    const PERMISSION: Permission;
}

macro_rules! permission_types {
    ($($name:ident => $variant:ident),* $(,)?) => {
        /// Permissions as types: `Admin<perm::Catalog>`.
        pub mod perm {
            $(
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                impl super::NamedPermission for $name {
                    const PERMISSION: super::Permission = super::Permission::$variant;
                }
            )*
        }
    };
}

permission_types!(
    Catalog => Catalog,
    Orders => Orders,
    Users => Users,
    Ml => Ml,
    Analytics => Analytics,
);

/// A signed-in user with permission `P`.
#[derive(Debug, Clone, Copy)]
pub struct Admin<P> {
    pub user: CurrentUser,
    _permission: PhantomData<P>,
}

impl<P: NamedPermission> FromRequestParts<AppState> for Admin<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if !user.may(P::PERMISSION) {
            return Err(ApiError::Forbidden(format!(
                "this needs the '{}' permission",
                P::PERMISSION.as_str()
            )));
        }
        Ok(Admin {
            user,
            _permission: PhantomData,
        })
    }
}

/// A scope as a type, for [`Service<S>`].
pub trait NamedScope: Send + Sync {
    const SCOPE: Scope;
}

macro_rules! scope_types {
    ($($name:ident),* $(,)?) => {
        /// Scopes as types: `Service<scope::CatalogWrite>`.
        pub mod scope {
            $(
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                impl super::NamedScope for $name {
                    const SCOPE: super::Scope = super::Scope::$name;
                }
            )*
        }
    };
}

scope_types!(CatalogWrite, EventsWrite, RecommendRead, ExportRead);

/// The header a service API key may also come in.
pub static API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// A request of the service API made with a valid, unrevoked key that has scope `S`:
/// `X-API-Key: rk_...` or `Authorization: Bearer rk_...`.
#[derive(Debug, Clone)]
pub struct Service<S> {
    pub key: Arc<ApiKey>,
    _scope: PhantomData<S>,
}

impl<S: NamedScope> FromRequestParts<AppState> for Service<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = match parts.headers.get(&API_KEY_HEADER) {
            Some(value) => value
                .to_str()
                .map_err(|_| ApiError::Unauthorized("the X-API-Key header is not text".into()))?
                .trim(),
            None => match bearer(parts) {
                Ok(Some(token)) if token.starts_with(KEY_PREFIX) => token,
                _ => {
                    return Err(ApiError::Unauthorized(format!(
                        "this needs a service API key: 'X-API-Key: {KEY_PREFIX}...' or \
                         'Authorization: Bearer {KEY_PREFIX}...' (an admin makes one in the \
                         dashboard)"
                    )));
                }
            },
        };
        let key = state.auth.api_keys.check(presented, S::SCOPE).await?;
        Ok(Service {
            key,
            _scope: PhantomData,
        })
    }
}
