//! Recommendation lists: personalized (or popular for visitors), similar items, bought together.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::MaybeUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::services::experiments;
use crate::services::recommend::{
    ListRequest, Recommendations, check_session, parse_recommendation_id, record_click,
};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/products/recommendations", get(recommendations))
        .route("/api/v1/products/recommendations/clicks", post(click))
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
) -> ApiResult<Recommendations> {
    let req = ListRequest {
        user_id: user.0.map(|u| u.id),
        n: p.limit.unwrap_or(10),
        category: p.category,
        exclude: id_list("exclude", p.exclude.as_deref())?,
        context: id_list("context", p.context.as_deref())?,
        placement: p.placement.unwrap_or_else(|| "home".into()),
        session: p.session,
    };
    state.recommend(req).await
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
) -> ApiResult<Recommendations> {
    state
        .similar(id, p.limit.unwrap_or(10), user.0.map(|u| u.id))
        .await
}

/// Products most often bought in the same order as this one.
#[utoipa::path(get, path = "/api/v1/products/{id}/bought-together", tag = "recommendations",
    params(("id" = i64, Path), ListParams),
    responses((status = 200, body = Recommendations), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn bought_together(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Recommendations> {
    state.bought_together(id, p.limit.unwrap_or(10)).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClickIn {
    /// The `recommendation_id` of the list the click was in.
    pub recommendation_id: String,
    /// A visitor's session id (as given to the list): the experiment arm it counts for.
    pub session: Option<String>,
}

/// Counts a click on a recommendation list for its model version, placement and experiment arm,
/// for visitors too (a signed-in customer's click is better sent to `/api/v1/events`, which also
/// keeps it as training data). Nothing about the visitor is stored.
#[utoipa::path(post, path = "/api/v1/products/recommendations/clicks", tag = "recommendations",
    security((), ("bearer" = [])), request_body = ClickIn,
    responses((status = 204, description = "counted"), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn click(
    State(state): State<AppState>,
    user: MaybeUser,
    ApiJson(c): ApiJson<ClickIn>,
) -> ApiResult<StatusCode> {
    let origin = parse_recommendation_id(&c.recommendation_id).ok_or_else(|| {
        ApiError::field(
            "recommendation_id",
            "is not the recommendation_id of a recommendations response",
        )
    })?;
    let user_id = user.0.map(|u| u.id);
    if let (None, Some(s)) = (user_id, &c.session) {
        check_session(s)?;
    }
    let subject = experiments::subject(user_id, c.session.as_deref());
    match origin.experiment {
        // an experiment's click needs someone it can be counted for
        Some(_) if subject.is_none() => Err(ApiError::field(
            "session",
            "a list an experiment served needs the session id it was fetched with",
        )),
        _ => {
            record_click(&state.recorder, origin, subject.as_deref());
            Ok(StatusCode::NO_CONTENT)
        }
    }
}
