//! Training a serving model from the store: the shop's events become the interaction matrix,
//! its products the content catalog; the model is fitted off the async threads, evaluated on a
//! seeded hold-out, and saved as a new version of the model name (then activated by the caller).

use std::sync::Arc;
use std::time::Instant;

use recsys_core::als::AlsParams;
use recsys_core::content::{Catalog, ContentParams};
use recsys_core::eval::{ranking_metrics_at_k, train_test_split};
use recsys_core::factory::{HybridMember, RecommenderConfig};
use recsys_core::{Id, Persist, Recommender};
use recsys_store::{EventWeights, ModelVersion, NewModelVersion, ProductQuery, Store};
use serde_json::json;

use crate::error::{ApiError, ApiResult};

/// The shop's default model: ALS, content and popularity blended 0.7 / 0.2 / 0.1, with
/// settings that suit implicit feedback of a few thousand users.
pub fn default_config() -> RecommenderConfig {
    RecommenderConfig::Hybrid {
        members: vec![
            HybridMember {
                weight: 0.7,
                model: RecommenderConfig::Als(
                    AlsParams::new()
                        .factors(64)
                        .iterations(15)
                        .regularization(0.05)
                        .alpha(1.0)
                        .seed(42),
                ),
            },
            HybridMember {
                weight: 0.2,
                model: RecommenderConfig::Content(ContentParams::new().field_weight("name", 2.0)),
            },
            HybridMember {
                weight: 0.1,
                model: RecommenderConfig::Popular,
            },
        ],
    }
}

/// The catalog's texts for the content model: name and description of every product.
pub async fn content_catalog(store: &Store) -> ApiResult<Catalog> {
    let mut catalog = Catalog::new(&["name", "description"]);
    for p in store.all_products(&ProductQuery::default()).await? {
        catalog.push(Id::Int(p.id), &[p.name.as_str(), p.description.as_str()])?;
    }
    Ok(catalog)
}

/// What a training run produced.
#[derive(Debug)]
pub struct Trained {
    pub version: ModelVersion,
    pub seconds: f64,
}

/// Fits `config` on the store's events, evaluates it (precision, NDCG and coverage at 10 on a
/// seeded 80/20 split, fitted again on the 80) and saves it as a new version of `name`.
pub async fn train(store: &Store, name: &str, config: RecommenderConfig) -> ApiResult<Trained> {
    config.validate()?;
    let started = Instant::now();
    let data = store.interactions(&EventWeights::default(), None).await?;
    if data.nnz() == 0 {
        return Err(ApiError::Conflict(
            "there are no events to train on yet".into(),
        ));
    }
    let catalog = Arc::new(content_catalog(store).await?);
    let fit_config = config.clone();
    let (model, metrics) = tokio::task::spawn_blocking(move || -> ApiResult<_> {
        let (train, test) = train_test_split(&data, 0.8, 42)?;
        let mut held_out = fit_config.build(Some(&catalog))?;
        held_out.fit(&train)?;
        let m = ranking_metrics_at_k(&held_out, &train, &test, 10)?;
        let mut model = fit_config.build(Some(&catalog))?;
        model.fit(&data)?;
        let metrics = json!({
            "precision_at_10": m.precision,
            "ndcg_at_10": m.ndcg,
            "map_at_10": m.map,
            "coverage": m.coverage,
            "evaluated_users": m.users,
            "users": data.n_users(),
            "items": data.n_items(),
            "interactions": data.nnz(),
        });
        Ok((model, metrics))
    })
    .await
    .map_err(ApiError::internal)??;
    let blob = model.to_bytes()?;
    let mut metrics = metrics;
    metrics["train_seconds"] = json!(started.elapsed().as_secs_f64());
    let version = store
        .save_model_version(&NewModelVersion {
            name: name.to_string(),
            kind: config.name().to_string(),
            config_id: None,
            params: serde_json::to_value(&config).map_err(ApiError::internal)?,
            metrics,
            blob,
        })
        .await?;
    Ok(Trained {
        version,
        seconds: started.elapsed().as_secs_f64(),
    })
}
