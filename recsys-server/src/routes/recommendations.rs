//! Recommendation lists: personalized (or popular for visitors), similar items, bought together.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::extract::MaybeUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::services::recommend::{ListRequest, Recommendations};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/products/recommendations", get(recommendations))
        .route("/api/v1/products/{id}/similar", get(similar))
        .route(
            "/api/v1/products/{id}/bought-together",
            get(bought_together),
        )
}

/// Comma-separated product ids (`1,2,3`), at most 100.
fn id_list(field: &str, value: Option<&str>) -> ApiResult<Vec<i64>> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let ids: Vec<i64> = value
        .split(',')
        .map(|s| s.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::field(field, "must be comma-separated product ids"))?;
    if ids.len() > 100 {
        return Err(ApiError::field(field, "at most 100 ids"));
    }
    Ok(ids)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecommendParams {
    /// 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// Only products in this category or below it.
    pub category: Option<i64>,
    /// Product ids to leave out, comma-separated.
    pub exclude: Option<String>,
    /// For visitors: product ids seen this session, comma-separated (similar items first).
    pub context: Option<String>,
    /// Where the list is shown (analytics): default `home`.
    pub placement: Option<String>,
    /// A visitor's session id (8 to 64 of A-Z, a-z, 0-9, '_', '-'): keeps an anonymous visitor
    /// in one arm of the placement's experiment.
    pub session: Option<String>,
}

/// Recommendations for the signed-in customer (a blend of ALS, content and popularity, with a
/// full list even for a brand-new customer), or popular products for a visitor. Bought,
/// inactive and out-of-stock products are left out.
#[utoipa::path(get, path = "/api/v1/products/recommendations", tag = "recommendations", params(RecommendParams),
    security((), ("bearer" = [])),
    responses((status = 200, body = Recommendations), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn recommendations(
    State(state): State<AppState>,
    user: MaybeUser,
    ApiQuery(p): ApiQuery<RecommendParams>,
) -> ApiResult<axum::Json<Recommendations>> {
    let req = ListRequest {
        user_id: user.0.map(|u| u.id),
        n: p.limit.unwrap_or(10),
        category: p.category,
        exclude: id_list("exclude", p.exclude.as_deref())?,
        context: id_list("context", p.context.as_deref())?,
        placement: p.placement.unwrap_or_else(|| "home".into()),
        session: p.session,
    };
    Ok(axum::Json(state.recommend(req).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// Products similar to this one (ALS item factors blended with content similarity; products
/// nobody bought yet get content neighbours).
#[utoipa::path(get, path = "/api/v1/products/{id}/similar", tag = "recommendations",
    params(("id" = i64, Path), ListParams),
    responses((status = 200, body = Recommendations), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn similar(
    State(state): State<AppState>,
    user: MaybeUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<axum::Json<Recommendations>> {
    Ok(axum::Json(
        state
            .similar(id, p.limit.unwrap_or(10), user.0.map(|u| u.id))
            .await?,
    ))
}

/// Products most often bought in the same order as this one.
#[utoipa::path(get, path = "/api/v1/products/{id}/bought-together", tag = "recommendations",
    params(("id" = i64, Path), ListParams),
    responses((status = 200, body = Recommendations), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn bought_together(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<axum::Json<Recommendations>> {
    Ok(axum::Json(
        state.bought_together(id, p.limit.unwrap_or(10)).await?,
    ))
}
