//! `/api/v1/admin/ml/...`: the model lifecycle (training runs, versions, activation and
//! rollback), A/B experiments and customer segments. Admin permission `ml`; every write is in
//! the audit log.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use recsys_core::FitControl;
use recsys_core::Id;
use recsys_core::kmeans::KMeansParams;
use recsys_core::segments::{Activity, SEGMENT_FEATURES, segment_auto};
use recsys_store::{Experiment, ModelVersion, NewExperiment, NewModelVersion, Paged, TrainingRun};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::{Admin, perm};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::audit;
use crate::routes::catalog::page;
use crate::services::experiments::{ArmResult, results};
use crate::services::models::SERVING_MODEL;
use crate::services::recommend::check_placement;
use crate::services::training;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/ml/train", post(train))
        .route("/api/v1/admin/ml/runs", get(runs))
        .route("/api/v1/admin/ml/runs/{id}", get(run))
        .route("/api/v1/admin/ml/runs/{id}/cancel", post(cancel))
        .route("/api/v1/admin/ml/models", get(models))
        .route(
            "/api/v1/admin/ml/models/{name}/versions/{version}/activate",
            post(activate),
        )
        .route("/api/v1/admin/ml/models/{name}/rollback", post(rollback))
        .route(
            "/api/v1/admin/ml/experiments",
            post(create_experiment).get(experiments),
        )
        .route("/api/v1/admin/ml/experiments/{id}", get(experiment))
        .route(
            "/api/v1/admin/ml/experiments/{id}/stop",
            post(stop_experiment),
        )
        .route(
            "/api/v1/admin/ml/segments",
            post(run_segments).get(segments),
        )
}

fn json_of<T: Serialize>(v: &T) -> Option<Value> {
    serde_json::to_value(v).ok()
}

// ---- training -----------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainRequest {
    /// `als`, `content`, `popular` or `hybrid` (the one the shop serves).
    pub model: String,
    /// The core's `RecommenderConfig` of that kind (`{"kind": "als", "factors": 32, ...}`);
    /// unknown fields are refused. Default: the shop's settings for the model.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Value>,
}

/// Queues a training run; a worker fits it, evaluates it and the active version on a hold-out
/// of the newest 20% of interactions, and saves a new version.
#[utoipa::path(post, path = "/api/v1/admin/ml/train", tag = "ml", security(("bearer" = [])), request_body = TrainRequest,
    responses((status = 202, description = "queued", body = TrainingRun), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 409, description = "a run of this model is already queued", body = Problem), (status = 422, body = Problem)))]
pub async fn train(
    State(state): State<AppState>,
    admin: Admin<perm::Ml>,
    ApiJson(req): ApiJson<TrainRequest>,
) -> ApiResult<(StatusCode, axum::Json<TrainingRun>)> {
    let config = match &req.config {
        None => training::config_for(&req.model)?,
        Some(sent) => {
            training::config_for(&req.model)?;
            training::parse_config(&req.model, sent)?
        }
    };
    let run = state.queue_training(&req.model, &config).await?;
    audit(
        &state,
        admin.user.id,
        "ml.train",
        "training_run",
        run.id,
        None,
        json_of(&run),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(run)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunListParams {
    /// Only runs of this model name.
    pub model: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// Training runs, newest first, with their state and progress.
#[utoipa::path(get, path = "/api/v1/admin/ml/runs", tag = "ml", security(("bearer" = [])), params(RunListParams),
    responses((status = 200, body = Paged<TrainingRun>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn runs(
    State(state): State<AppState>,
    _admin: Admin<perm::Ml>,
    ApiQuery(p): ApiQuery<RunListParams>,
) -> ApiResult<axum::Json<Paged<TrainingRun>>> {
    let page = page(p.limit, p.offset, 20, 100)?;
    Ok(axum::Json(
        state
            .store
            .list_training_runs(p.model.as_deref(), page)
            .await?,
    ))
}

/// One run: state, progress (stage, iteration, loss, elapsed), error, the version it made.
#[utoipa::path(get, path = "/api/v1/admin/ml/runs/{id}", tag = "ml", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = TrainingRun), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn run(
    State(state): State<AppState>,
    _admin: Admin<perm::Ml>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<TrainingRun>> {
    Ok(axum::Json(state.store.training_run(id).await?))
}

/// Cancels a queued run at once, a running one at its next step.
#[utoipa::path(post, path = "/api/v1/admin/ml/runs/{id}/cancel", tag = "ml", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = TrainingRun), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, description = "the run has ended", body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    admin: Admin<perm::Ml>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<TrainingRun>> {
    let run = state.store.cancel_training_run(id).await?;
    audit(
        &state,
        admin.user.id,
        "ml.cancel",
        "training_run",
        id,
        None,
        json_of(&run),
    )
    .await?;
    Ok(axum::Json(run))
}

// ---- versions -----------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelSlot {
    pub name: String,
    /// Whether the shop's recommendations come from this name's active version.
    pub serving: bool,
    pub active_version: Option<i64>,
    /// Newest first, with params and offline metrics.
    pub versions: Vec<ModelVersion>,
}

/// Every model name with its versions, metrics and which one is active.
#[utoipa::path(get, path = "/api/v1/admin/ml/models", tag = "ml", security(("bearer" = [])),
    responses((status = 200, body = Vec<ModelSlot>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn models(
    State(state): State<AppState>,
    _admin: Admin<perm::Ml>,
) -> ApiResult<axum::Json<Vec<ModelSlot>>> {
    let mut out = Vec::new();
    for name in state.store.model_names().await? {
        let versions = state.store.list_model_versions(&name).await?;
        out.push(ModelSlot {
            serving: name == SERVING_MODEL,
            active_version: versions.iter().find(|v| v.active).map(|v| v.version),
            name,
            versions,
        });
    }
    Ok(axum::Json(out))
}

async fn version_by_number(state: &AppState, name: &str, version: i64) -> ApiResult<ModelVersion> {
    state
        .store
        .list_model_versions(name)
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or_else(|| ApiError::NotFound(format!("model {name} has no version {version}")))
}

/// Activates a version (loaded and checked first: a damaged one is refused with 409 and the
/// current one keeps serving). Every replica serves it within its model poll.
#[utoipa::path(post, path = "/api/v1/admin/ml/models/{name}/versions/{version}/activate", tag = "ml", security(("bearer" = [])),
    params(("name" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = ModelVersion), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, description = "damaged version, or a concurrent activation", body = Problem)))]
pub async fn activate(
    State(state): State<AppState>,
    admin: Admin<perm::Ml>,
    ApiPath((name, version)): ApiPath<(String, i64)>,
) -> ApiResult<axum::Json<ModelVersion>> {
    let target = version_by_number(&state, &name, version).await?;
    let before = state.store.active_model_version(&name).await?;
    let active = state.models.activate(target.id).await?;
    audit(
        &state,
        admin.user.id,
        "ml.activate",
        "model_version",
        active.id,
        json_of(&before),
        json_of(&active),
    )
    .await?;
    Ok(axum::Json(active))
}

/// Activates the version before the active one.
#[utoipa::path(post, path = "/api/v1/admin/ml/models/{name}/rollback", tag = "ml", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 200, body = ModelVersion), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, description = "nothing to roll back to, or damaged", body = Problem)))]
pub async fn rollback(
    State(state): State<AppState>,
    admin: Admin<perm::Ml>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<axum::Json<ModelVersion>> {
    let before = state.store.active_model_version(&name).await?;
    let active = state.models.rollback(&name).await?;
    audit(
        &state,
        admin.user.id,
        "ml.rollback",
        "model_version",
        active.id,
        json_of(&before),
        json_of(&active),
    )
    .await?;
    Ok(axum::Json(active))
}

// ---- experiments --------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArmIn {
    pub model_version: i64,
    /// Share of the traffic (> 0; the weights need not sum to 1).
    pub weight: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperimentIn {
    pub name: String,
    /// The placement whose lists the arms serve (`home`, ...).
    pub placement: String,
    /// Arm 0 is the control. `model_version` is the version's id (`GET /ml/models`).
    pub arms: Vec<ArmIn>,
    /// Hours after a click in which the clicker's cart adds and purchases count (default 24).
    pub attribution_hours: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExperimentView {
    #[serde(flatten)]
    pub experiment: Experiment,
    /// Per arm: counts, rates with 95% intervals, and the difference to the control.
    pub results: Vec<ArmResult>,
}

/// Starts an experiment in a placement (one at a time per placement).
#[utoipa::path(post, path = "/api/v1/admin/ml/experiments", tag = "ml", security(("bearer" = [])), request_body = ExperimentIn,
    responses((status = 201, body = ExperimentView), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, description = "unknown model version", body = Problem),
              (status = 409, description = "the placement has a running experiment, or an arm cannot be served", body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_experiment(
    State(state): State<AppState>,
    admin: Admin<perm::Ml>,
    ApiJson(x): ApiJson<ExperimentIn>,
) -> ApiResult<(StatusCode, axum::Json<ExperimentView>)> {
    check_placement(&x.placement)?;
    let hours = x.attribution_hours.unwrap_or(24.0);
    if !(hours.is_finite() && hours > 0.0 && hours <= 24.0 * 30.0) {
        return Err(ApiError::field(
            "attribution_hours",
            "must be more than 0 and at most 720 (30 days)",
        ));
    }
    // every arm must be servable before traffic is split (and is then served as loaded here)
    let mut loaded = Vec::with_capacity(x.arms.len());
    for a in &x.arms {
        loaded.push(state.models.load_version(a.model_version).await?);
    }
    let created = state
        .store
        .create_experiment(&NewExperiment {
            name: x.name,
            placement: x.placement,
            attribution_window_ms: (hours * 3_600_000.0) as i64,
            created_by: Some(admin.user.id),
            arms: x.arms.iter().map(|a| (a.model_version, a.weight)).collect(),
        })
        .await?;
    audit(
        &state,
        admin.user.id,
        "ml.experiment.create",
        "experiment",
        created.id,
        None,
        json_of(&created),
    )
    .await?;
    state
        .experiments
        .sync_with(&state.store, &state.models, loaded)
        .await?;
    let view = experiment_view(&state, created).await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

async fn experiment_view(state: &AppState, experiment: Experiment) -> ApiResult<ExperimentView> {
    let counts = state.store.experiment_counts(experiment.id).await?;
    Ok(ExperimentView {
        results: results(&experiment.arms, &counts),
        experiment,
    })
}

/// Every experiment, newest first (without results).
#[utoipa::path(get, path = "/api/v1/admin/ml/experiments", tag = "ml", security(("bearer" = [])),
    responses((status = 200, body = Vec<Experiment>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn experiments(
    State(state): State<AppState>,
    _admin: Admin<perm::Ml>,
) -> ApiResult<axum::Json<Vec<Experiment>>> {
    Ok(axum::Json(state.store.list_experiments(false).await?))
}

/// An experiment with its per-arm results.
#[utoipa::path(get, path = "/api/v1/admin/ml/experiments/{id}", tag = "ml", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ExperimentView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn experiment(
    State(state): State<AppState>,
    _admin: Admin<perm::Ml>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<ExperimentView>> {
    let x = state.store.experiment(id).await?;
    Ok(axum::Json(experiment_view(&state, x).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StopIn {
    /// The winning arm: its model version is activated.
    pub winner_arm: Option<i64>,
}

/// Stops an experiment; with a winner, activates the winner's version.
#[utoipa::path(post, path = "/api/v1/admin/ml/experiments/{id}/stop", tag = "ml", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = StopIn,
    responses((status = 200, body = ExperimentView), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, description = "stopped already", body = Problem), (status = 422, body = Problem)))]
pub async fn stop_experiment(
    State(state): State<AppState>,
    admin: Admin<perm::Ml>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(stop): ApiJson<StopIn>,
) -> ApiResult<axum::Json<ExperimentView>> {
    let before = state.store.experiment(id).await?;
    let stopped = state.store.stop_experiment(id, stop.winner_arm).await?;
    audit(
        &state,
        admin.user.id,
        "ml.experiment.stop",
        "experiment",
        id,
        json_of(&before),
        json_of(&stopped),
    )
    .await?;
    state.experiments.sync(&state.store, &state.models).await?;
    if let Some(w) = stopped.winner_arm
        && let Some(arm) = stopped.arms.iter().find(|a| a.arm == w)
    {
        let active = state.models.activate(arm.model_version_id).await?;
        audit(
            &state,
            admin.user.id,
            "ml.activate",
            "model_version",
            active.id,
            None,
            json_of(&active),
        )
        .await?;
    }
    Ok(axum::Json(experiment_view(&state, stopped).await?))
}

// ---- segments -----------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentsIn {
    /// Number of segments (2 to 12); default: the best silhouette among 2 to 6.
    pub k: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SegmentView {
    pub segment: i64,
    pub users: i64,
    /// Days since the last order.
    pub recency_days: f64,
    /// Order lines.
    pub frequency: f64,
    /// Spent, in cents.
    pub monetary_cents: f64,
    pub category_diversity: f64,
    /// What the means say, e.g. "loyal big spenders".
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SegmentsView {
    pub k: usize,
    pub silhouette: Option<f64>,
    /// Silhouette per k tried (when k was chosen automatically).
    pub tried: Vec<(usize, f64)>,
    pub segments: Vec<SegmentView>,
    pub computed_at: i64,
}

/// The model name segmentations are saved under: each run is a version (the clustering as its
/// bytes, this summary as its metrics), and the active one is what the segment table holds.
pub const SEGMENTS_MODEL: &str = "segments";

/// Segments the customers with RFM features + K-Means (the core's) on the orders, replaces the
/// segment table, and answers the segments' sizes and means.
#[utoipa::path(post, path = "/api/v1/admin/ml/segments", tag = "ml", security(("bearer" = [])), request_body = SegmentsIn,
    responses((status = 200, body = SegmentsView), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 409, description = "not enough customers with orders", body = Problem), (status = 422, body = Problem)))]
pub async fn run_segments(
    State(state): State<AppState>,
    admin: Admin<perm::Ml>,
    ApiJson(req): ApiJson<SegmentsIn>,
) -> ApiResult<axum::Json<SegmentsView>> {
    if let Some(k) = req.k
        && !(2..=12).contains(&k)
    {
        return Err(ApiError::field(
            "k",
            format!("must be between 2 and 12, got {k}"),
        ));
    }
    let rows = state.store.purchase_activity().await?;
    let activity: Vec<Activity> = rows
        .into_iter()
        .map(|line| Activity {
            user: Id::Int(line.user_id),
            timestamp: line.ordered_at / 1000,
            value: line.cents as f64,
            category: line.category_id.map(Id::Int),
        })
        .collect();
    let customers: std::collections::HashSet<&Id> = activity.iter().map(|a| &a.user).collect();
    let ks: Vec<usize> = match req.k {
        Some(k) => vec![k],
        None => (2..=6).collect(),
    };
    if customers.len() < ks[ks.len() - 1] * 2 {
        return Err(ApiError::Conflict(format!(
            "{} customers have orders: too few for {} segments",
            customers.len(),
            ks[ks.len() - 1]
        )));
    }
    let now = recsys_store::now_ms() / 1000;
    let params = KMeansParams::new(2).n_init(4).seed(7);
    let auto = tokio::task::spawn_blocking(move || {
        segment_auto(&activity, &ks, &params, Some(now), &FitControl::none())
    })
    .await
    .map_err(ApiError::internal)??;
    let seg = &auto.segmentation;
    let assignments: Vec<(i64, i64)> = seg
        .users
        .iter()
        .zip(&seg.labels)
        .filter_map(|(id, &l)| match id {
            Id::Int(u) => Some((u, l as i64)),
            Id::Str(_) => None,
        })
        .collect();
    let segments: Vec<SegmentView> = seg
        .segments
        .iter()
        .zip(&auto.labels)
        .enumerate()
        .map(|(i, (s, label))| {
            let rfm = s.rfm();
            SegmentView {
                segment: i as i64,
                users: s.size as i64,
                recency_days: rfm.recency_days,
                frequency: rfm.frequency,
                monetary_cents: rfm.monetary,
                category_diversity: rfm.category_diversity,
                label: (*label).to_owned(),
            }
        })
        .collect();
    let view = SegmentsView {
        k: seg.segments.len(),
        silhouette: seg.silhouette,
        tried: auto.tried.clone(),
        segments,
        computed_at: recsys_store::now_ms(),
    };
    // the version, the segment table and the activation in one transaction
    let version = state
        .store
        .save_segmentation(
            &NewModelVersion {
                name: SEGMENTS_MODEL.into(),
                kind: "kmeans".into(),
                config_id: None,
                params: json!({"k": view.k, "features": SEGMENT_FEATURES}),
                metrics: serde_json::to_value(&view).map_err(ApiError::internal)?,
                blob: serde_json::to_vec(seg).map_err(ApiError::internal)?,
            },
            &assignments,
        )
        .await?;
    audit(
        &state,
        admin.user.id,
        "ml.segments",
        "model_version",
        version.id,
        None,
        json_of(&view),
    )
    .await?;
    Ok(axum::Json(view))
}

/// The latest segmentation: sizes, recency/frequency/monetary means in real units, labels.
#[utoipa::path(get, path = "/api/v1/admin/ml/segments", tag = "ml", security(("bearer" = [])),
    responses((status = 200, body = SegmentsView), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, description = "no segmentation has run", body = Problem)))]
pub async fn segments(
    State(state): State<AppState>,
    _admin: Admin<perm::Ml>,
) -> ApiResult<axum::Json<SegmentsView>> {
    let view = state
        .store
        .active_model_version(SEGMENTS_MODEL)
        .await?
        .and_then(|v| serde_json::from_value::<SegmentsView>(v.metrics).ok())
        .ok_or_else(|| ApiError::NotFound("no segmentation has run yet (POST this path)".into()))?;
    // the sizes as the table has them now
    let sizes = state.store.segment_sizes().await?;
    let mut view = view;
    for s in &mut view.segments {
        s.users = sizes
            .iter()
            .find(|z| z.segment == s.segment)
            .map_or(0, |z| z.users);
    }
    Ok(axum::Json(view))
}
