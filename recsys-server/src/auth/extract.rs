//! Auth as extractors: a handler that takes [`CurrentUser`] needs a valid bearer token of an
//! active user (401 otherwise), [`MaybeUser`] takes one if present, and [`Admin<P>`] needs an
//! active user whose role has permission `P` (403 otherwise).

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use recsys_store::Role;

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
