//! `/api/v1/admin/analytics/...` and `/api/v1/admin/audit-log`: the dashboard's numbers.
//! Overview and recommendation traffic are read live; daily figures come from the daily
//! rollups, which run every ten minutes for today and yesterday and on demand (idempotent: a
//! day rolled up again is recomputed, never counted twice). Admin permission `analytics`.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use recsys_store::{
    AuditEntry, AuditFilter, DailyTotals, Day, Overview, Paged, RecMetricsDay, SearchStat,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::{Admin, perm};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::audit;
use crate::routes::catalog::page;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/analytics/overview", get(overview))
        .route("/api/v1/admin/analytics/daily-users", get(daily_users))
        .route("/api/v1/admin/analytics/search", get(search))
        .route(
            "/api/v1/admin/analytics/recommendations",
            get(recommendations),
        )
        .route("/api/v1/admin/analytics/rollup", post(rollup))
        .route("/api/v1/admin/audit-log", get(audit_log))
}

/// The most days one request covers.
const MAX_DAYS: i64 = 366;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DayRange {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today, UTC).
    pub to: Option<String>,
}

fn day(field: &'static str, s: &str) -> ApiResult<Day> {
    s.parse()
        .map_err(|_| ApiError::field(field, format!("expected a date as YYYY-MM-DD, got '{s}'")))
}

fn days_between(from: Day, to: Day) -> i64 {
    (to.start_ms() - from.start_ms()) / 86_400_000
}

impl DayRange {
    /// The checked range: from <= to, at most `MAX_DAYS` days.
    fn days(&self) -> ApiResult<(Day, Day)> {
        let to = match &self.to {
            Some(s) => day("to", s)?,
            None => Day::today(),
        };
        let from = match &self.from {
            Some(s) => day("from", s)?,
            None => Day::of(to.start_ms() - 29 * 86_400_000),
        };
        if from > to {
            return Err(ApiError::field("from", "must not be after 'to'"));
        }
        if days_between(from, to) >= MAX_DAYS {
            return Err(ApiError::field(
                "from",
                format!("a range covers at most {MAX_DAYS} days"),
            ));
        }
        Ok((from, to))
    }
}

/// Users, active users today and in the last 7 days, orders, revenue, the ten best sellers.
#[utoipa::path(get, path = "/api/v1/admin/analytics/overview", tag = "analytics", security(("bearer" = [])),
    responses((status = 200, body = Overview), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn overview(
    State(state): State<AppState>,
    _admin: Admin<perm::Analytics>,
) -> ApiResult<axum::Json<Overview>> {
    Ok(axum::Json(
        state.store.overview(recsys_store::now_ms(), 10).await?,
    ))
}

/// Active users, events, orders, revenue and searches per day (from the daily rollups).
#[utoipa::path(get, path = "/api/v1/admin/analytics/daily-users", tag = "analytics", security(("bearer" = [])), params(DayRange),
    responses((status = 200, body = Vec<DailyTotals>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn daily_users(
    State(state): State<AppState>,
    _admin: Admin<perm::Analytics>,
    ApiQuery(range): ApiQuery<DayRange>,
) -> ApiResult<axum::Json<Vec<DailyTotals>>> {
    let (from, to) = range.days()?;
    Ok(axum::Json(state.store.daily_totals(from, to).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Queries per list (1 to 100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchDay {
    #[schema(value_type = String)]
    pub day: Day,
    pub searches: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchAnalytics {
    /// The most searched queries.
    pub top: Vec<SearchStat>,
    /// Queries that found nothing: what the catalog lacks.
    pub zero_results: Vec<SearchStat>,
    /// Searches per day (from the daily rollups).
    pub trend: Vec<SearchDay>,
}

/// Top queries, zero-result queries and searches per day.
#[utoipa::path(get, path = "/api/v1/admin/analytics/search", tag = "analytics", security(("bearer" = [])), params(SearchParams),
    responses((status = 200, body = SearchAnalytics), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    _admin: Admin<perm::Analytics>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<axum::Json<SearchAnalytics>> {
    let (from, to) = DayRange {
        from: p.from,
        to: p.to,
    }
    .days()?;
    let limit = page(p.limit, None, 20, 100)?.limit;
    let (since, until) = (from.start_ms(), to.next().start_ms());
    let top = state.store.top_searches(since, until, limit, false).await?;
    let zero_results = state.store.top_searches(since, until, limit, true).await?;
    let trend = state
        .store
        .daily_totals(from, to)
        .await?
        .into_iter()
        .map(|d| SearchDay {
            day: d.day,
            searches: d.activity.searches,
        })
        .collect();
    Ok(axum::Json(SearchAnalytics {
        top,
        zero_results,
        trend,
    }))
}

/// Recommendation impressions, clicks and CTR per day, model version and placement.
#[utoipa::path(get, path = "/api/v1/admin/analytics/recommendations", tag = "analytics", security(("bearer" = [])), params(DayRange),
    responses((status = 200, body = Vec<RecMetricsDay>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn recommendations(
    State(state): State<AppState>,
    _admin: Admin<perm::Analytics>,
    ApiQuery(range): ApiQuery<DayRange>,
) -> ApiResult<axum::Json<Vec<RecMetricsDay>>> {
    let (from, to) = range.days()?;
    Ok(axum::Json(state.store.rec_metrics_daily(from, to).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollupIn {
    /// First day (default: yesterday).
    pub from: Option<String>,
    /// Last day (default: today).
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RolledUp {
    pub days: i64,
    /// Users active on those days, summed over the days.
    pub active_user_days: u64,
}

/// Recomputes the daily rollups of a range of days (idempotent).
#[utoipa::path(post, path = "/api/v1/admin/analytics/rollup", tag = "analytics", security(("bearer" = [])), request_body = RollupIn,
    responses((status = 200, body = RolledUp), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn rollup(
    State(state): State<AppState>,
    admin: Admin<perm::Analytics>,
    ApiJson(r): ApiJson<RollupIn>,
) -> ApiResult<axum::Json<RolledUp>> {
    let today = Day::today();
    let to = r.to.clone().unwrap_or_else(|| today.to_string());
    let from = r
        .from
        .clone()
        .unwrap_or_else(|| Day::of(today.start_ms() - 86_400_000).to_string());
    let (from, to) = DayRange {
        from: Some(from),
        to: Some(to),
    }
    .days()?;
    let done = roll_up(&state, from, to).await?;
    audit(
        &state,
        admin.user.id,
        "analytics.rollup",
        "daily_user_metrics",
        format!("{from}..{to}"),
        None,
        serde_json::to_value(&done).ok(),
    )
    .await?;
    Ok(axum::Json(done))
}

/// Rolls up every day of `from..=to`.
pub async fn roll_up(state: &AppState, from: Day, to: Day) -> ApiResult<RolledUp> {
    let (mut d, mut days, mut active) = (from, 0, 0);
    while d <= to {
        active += state.store.rollup_day(d).await?;
        days += 1;
        d = d.next();
    }
    Ok(RolledUp {
        days,
        active_user_days: active,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub actor_id: Option<i64>,
    /// `product.update`, `ml.activate`, ...
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// From this time (ms since the epoch).
    pub since: Option<i64>,
    /// Before this time (ms since the epoch).
    pub until: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// The audit log, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/admin/audit-log", tag = "analytics", security(("bearer" = [])), params(AuditParams),
    responses((status = 200, body = Paged<AuditEntry>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn audit_log(
    State(state): State<AppState>,
    _admin: Admin<perm::Analytics>,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<axum::Json<Paged<AuditEntry>>> {
    let page = page(p.limit, p.offset, 50, 100)?;
    Ok(axum::Json(
        state
            .store
            .audit_log(
                &AuditFilter {
                    actor_id: p.actor_id,
                    action: p.action,
                    target_type: p.target_type,
                    target_id: p.target_id,
                    since: p.since,
                    until: p.until,
                },
                page,
            )
            .await?,
    ))
}
