//! `POST /api/v1/events`: the signed-in customer's interactions (the training data). A click with
//! a `recommendation_id` also counts for the model version and placement of that list.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use recsys_store::{EventKind, NewEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::extract::CurrentUser;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::extract::ApiJson;
use crate::services::experiments;
use crate::services::recommend::{parse_recommendation_id, record_click};
use crate::state::AppState;

/// The most events in one request.
pub const MAX_BATCH: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/events", post(record))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindParam {
    View,
    Click,
    AddToCart,
    Rating,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventIn {
    pub product_id: i64,
    pub kind: KindParam,
    /// A rating's stars (1 to 5); other kinds: 1 if left out.
    pub value: Option<f64>,
    /// The list a click came from (`recommendation_id` of a recommendations response).
    pub recommendation_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// 1 to 1,000 events.
    #[schema(min_items = 1, max_items = 1000)]
    pub events: Vec<EventIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {
    pub recorded: u64,
}

/// Records a batch of events for the signed-in customer, all or nothing.
#[utoipa::path(post, path = "/api/v1/events", tag = "events", security(("bearer" = [])), request_body = EventBatch,
    responses((status = 202, body = Recorded), (status = 401, body = Problem), (status = 404, description = "unknown product", body = Problem),
              (status = 422, body = Problem)))]
pub async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(batch): ApiJson<EventBatch>,
) -> ApiResult<(StatusCode, axum::Json<Recorded>)> {
    if batch.events.is_empty() || batch.events.len() > MAX_BATCH {
        return Err(ApiError::field(
            "events",
            format!(
                "must hold 1 to {MAX_BATCH} events, got {}",
                batch.events.len()
            ),
        ));
    }
    let mut errors = Vec::new();
    let mut events = Vec::with_capacity(batch.events.len());
    let mut clicks = Vec::new();
    for (i, e) in batch.events.iter().enumerate() {
        let (kind, value) = match (e.kind, e.value) {
            (KindParam::Rating, Some(v)) if (1.0..=5.0).contains(&v) => (EventKind::Rating, v),
            (KindParam::Rating, _) => {
                errors.push(FieldError {
                    field: format!("events[{i}].value"),
                    message: "a rating needs a value from 1 to 5".into(),
                });
                continue;
            }
            (k, v) => {
                let v = v.unwrap_or(1.0);
                if !(v.is_finite() && (0.0..=1e6).contains(&v)) {
                    errors.push(FieldError {
                        field: format!("events[{i}].value"),
                        message: "must be a number from 0 to 1,000,000".into(),
                    });
                    continue;
                }
                let kind = match k {
                    KindParam::View => EventKind::View,
                    KindParam::Click => EventKind::Click,
                    KindParam::AddToCart => EventKind::AddToCart,
                    KindParam::Rating => EventKind::Rating,
                };
                (kind, v)
            }
        };
        if let Some(rec) = &e.recommendation_id {
            match parse_recommendation_id(rec) {
                Some(origin) if matches!(e.kind, KindParam::Click) => clicks.push(origin),
                Some(_) => {}
                None => errors.push(FieldError {
                    field: format!("events[{i}].recommendation_id"),
                    message: "is not the recommendation_id of a recommendations response".into(),
                }),
            }
        }
        events.push(NewEvent::new(user.id, e.product_id, kind, value));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            detail: format!("{} of the events are invalid", errors.len()),
            errors,
        });
    }
    let recorded = state.store.record_events(&events).await?;
    let subject = experiments::user_subject(user.id);
    for origin in clicks {
        record_click(&state.recorder, origin, Some(&subject));
    }
    Ok((StatusCode::ACCEPTED, axum::Json(Recorded { recorded })))
}
