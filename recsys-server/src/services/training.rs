//! Training a model from the store: the shop's events become the interaction matrix, its
//! products the content catalog. A run is evaluated on a seeded hold-out of the newest 20% of
//! interactions (NDCG, precision, MAP and coverage at 10, over at most [`EVAL_USERS`] of the
//! customers in the hold-out, a seeded sample, so a shop of a million customers is not scored
//! customer by customer twice per run), and so is the active version of the
//! same name, refitted with its own settings on the same split, so the two numbers compare;
//! then it is fitted on everything. All of it off the async threads, watched and stoppable
//! through a [`FitControl`].

use std::sync::Arc;
use std::time::Instant;

use recsys_core::als::AlsParams;
use recsys_core::content::{Catalog, ContentParams};
use recsys_core::eval::{RankingMetrics, newest_split, ranking_metrics_at_k, sample_users};
use recsys_core::factory::{HybridMember, RECOMMENDER_NAMES, RecommenderConfig};
use recsys_core::{FitControl, Id, Interactions, Persist};
use recsys_store::{EventWeights, NewModelVersion, Store};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};

/// The share of the newest interactions held out for evaluation, and the split's seed.
pub const HOLD_OUT: f64 = 0.2;
pub const SPLIT_SEED: u64 = 42;
/// Metrics are taken at this cut-off.
pub const AT_K: usize = 10;
/// The most hold-out customers a run is evaluated on (a seeded sample beyond it: the standard
/// error of the mean NDCG is then about 0.003).
pub const EVAL_USERS: usize = 10_000;

fn als_defaults() -> AlsParams {
    AlsParams::new()
        .factors(64)
        .iterations(15)
        .regularization(0.05)
        // 1 + r: a single view still counts for more than an item never seen (scaled, `alpha * r`,
        // would weigh a value-1 event like an unobserved pair)
        .linear_alpha(1.0)
        .seed(42)
}

/// The shop's default model: ALS, content and popularity blended 0.7 / 0.2 / 0.1, with
/// settings that suit implicit feedback of a few thousand users.
pub fn default_config() -> RecommenderConfig {
    RecommenderConfig::Hybrid {
        members: vec![
            HybridMember {
                weight: 0.7,
                model: RecommenderConfig::Als(als_defaults()),
            },
            HybridMember {
                weight: 0.2,
                model: RecommenderConfig::Content(ContentParams::new().field_weight("name", 2.0)),
            },
            HybridMember {
                weight: 0.1,
                model: RecommenderConfig::Popular {},
            },
        ],
    }
}

/// The settings a model name trains with when none are given.
pub fn config_for(model: &str) -> ApiResult<RecommenderConfig> {
    Ok(match model {
        "hybrid" => default_config(),
        "als" => RecommenderConfig::Als(als_defaults()),
        "content" => RecommenderConfig::Content(ContentParams::new().field_weight("name", 2.0)),
        "popular" => RecommenderConfig::Popular {},
        other => {
            return Err(ApiError::field(
                "model",
                format!(
                    "unknown model '{other}': one of {}",
                    RECOMMENDER_NAMES.join(", ")
                ),
            ));
        }
    })
}

/// Reads a config sent by a client: the core's `RecommenderConfig` (strict: a field it does
/// not have is refused, naming where), of the kind `model` names.
pub fn parse_config(model: &str, sent: &Value) -> ApiResult<RecommenderConfig> {
    let config = RecommenderConfig::from_json_value(sent)?;
    if config.name() != model {
        return Err(ApiError::field(
            "config",
            format!(
                "is a '{}' config, but the model to train is '{model}'",
                config.name()
            ),
        ));
    }
    Ok(config)
}

/// The catalog's texts for the content model: name and description of every product.
pub async fn content_catalog(store: &Store) -> ApiResult<Catalog> {
    let mut catalog = Catalog::new(&["name", "description"]);
    for p in store.all_products().await? {
        catalog.push(Id::Int(p.id), &[p.name.as_str(), p.description.as_str()])?;
    }
    Ok(catalog)
}

/// What a training job needs, read from the store before the heavy work starts.
pub struct TrainingData {
    pub data: Interactions,
    /// Each `(user, product)` pair's newest event time.
    pub times: Vec<(i64, i64, i64)>,
    pub catalog: Arc<Catalog>,
    /// The active version's settings, to evaluate it on the same split.
    pub baseline: Option<(i64, RecommenderConfig)>,
}

/// Reads the events, the catalog and the active version of `name`.
pub async fn load_training_data(store: &Store, name: &str) -> ApiResult<TrainingData> {
    let (data, times) = store.timed_interactions(&EventWeights::default()).await?;
    if data.nnz() == 0 {
        return Err(ApiError::Conflict(
            "there are no events to train on yet".into(),
        ));
    }
    let catalog = Arc::new(content_catalog(store).await?);
    let baseline = match store.active_model_version(name).await? {
        Some(v) => serde_json::from_value::<RecommenderConfig>(v.params.clone())
            .ok()
            .map(|c| (v.id, c)),
        None => None,
    };
    Ok(TrainingData {
        data,
        times,
        catalog,
        baseline,
    })
}

fn metrics_json(m: &RankingMetrics) -> Value {
    json!({
        "ndcg_at_10": m.ndcg,
        "precision_at_10": m.precision,
        "map_at_10": m.map,
        "coverage": m.coverage,
        "evaluated_users": m.users,
    })
}

/// The hold-out split every run of a store's events uses.
pub fn split(
    data: &Interactions,
    times: &[(i64, i64, i64)],
) -> ApiResult<(Interactions, Interactions)> {
    Ok(newest_split(
        data,
        times.iter().copied(),
        HOLD_OUT,
        SPLIT_SEED,
    )?)
}

/// Fits `config` on the hold-out's train part and measures it on its test part.
pub fn evaluate(
    config: &RecommenderConfig,
    catalog: &Arc<Catalog>,
    train: &Interactions,
    test: &Interactions,
    control: &FitControl<'_>,
) -> ApiResult<RankingMetrics> {
    let model = config.fit_controlled(train, Some(catalog), control)?;
    Ok(ranking_metrics_at_k(&model, train, test, AT_K)?)
}

/// Evaluates `config` (and the baseline) and fits it on all the data: the version to save.
/// Blocking and CPU-heavy: run it on a blocking thread. `stage` is told what is happening.
pub fn fit_version(
    name: &str,
    config: &RecommenderConfig,
    input: &TrainingData,
    control: &FitControl<'_>,
    stage: &(dyn Fn(&'static str) + Sync),
) -> ApiResult<NewModelVersion> {
    let started = Instant::now();
    let (train, held_out) = split(&input.data, &input.times)?;
    let test = sample_users(&held_out, EVAL_USERS, SPLIT_SEED)?;
    stage("evaluating");
    let candidate = evaluate(config, &input.catalog, &train, &test, control)?;
    let mut metrics = metrics_json(&candidate);
    if let Some((version_id, baseline)) = &input.baseline {
        stage("evaluating the active version");
        let active = evaluate(baseline, &input.catalog, &train, &test, control)?;
        metrics["active"] = metrics_json(&active);
        metrics["active"]["model_version_id"] = json!(version_id);
    }
    stage("fitting on all interactions");
    let model = config.fit_controlled(&input.data, Some(&input.catalog), control)?;
    let blob = model.to_bytes()?;
    metrics["hold_out"] = json!({
        "split": "newest",
        "test_fraction": HOLD_OUT,
        "seed": SPLIT_SEED,
        "train_interactions": train.nnz(),
        "test_interactions": held_out.nnz(),
        "evaluated_interactions": test.nnz(),
        "max_evaluated_users": EVAL_USERS,
    });
    metrics["users"] = json!(input.data.n_users());
    metrics["items"] = json!(input.data.n_items());
    metrics["interactions"] = json!(input.data.nnz());
    metrics["train_seconds"] = json!(started.elapsed().as_secs_f64());
    Ok(NewModelVersion {
        name: name.to_string(),
        kind: config.name().to_string(),
        config_id: None,
        params: serde_json::to_value(config).map_err(ApiError::internal)?,
        metrics,
        blob,
    })
}
