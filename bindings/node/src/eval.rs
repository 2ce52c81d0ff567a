//! `evaluation`: splits and ranking metrics as implicit defines them.

use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use recsys_core::eval;

use crate::error::{IntoJs, Result};
use crate::interactions::Interactions;
use crate::options::count;
use crate::recommender::Recommender;
use crate::task::{Job, spawn};

/// Every interaction goes to train with probability `trainFraction` (default 0.8), else to
/// test: `[train, test]`.
#[napi]
pub fn train_test_split(
    data: &Interactions,
    train_fraction: Option<f64>,
    seed: Option<f64>,
) -> Result<Vec<Interactions>> {
    let (train, test) = eval::train_test_split(
        &data.inner,
        train_fraction.unwrap_or(0.8),
        seed.map_or(Ok(0), |s| count("seed", s))? as u64,
    )
    .js()?;
    Ok(vec![Interactions::of(train), Interactions::of(test)])
}

/// `k` interactions of each user with more than `k` go to test: `[train, test]`.
#[napi]
pub fn leave_k_out_split(
    data: &Interactions,
    k: Option<f64>,
    train_only_fraction: Option<f64>,
    seed: Option<f64>,
) -> Result<Vec<Interactions>> {
    let (train, test) = eval::leave_k_out_split(
        &data.inner,
        k.map_or(Ok(1), |k| count("k", k))?,
        train_only_fraction.unwrap_or(0.0),
        seed.map_or(Ok(0), |s| count("seed", s))? as u64,
    )
    .js()?;
    Ok(vec![Interactions::of(train), Interactions::of(test)])
}

/// The metrics of `rankingMetricsAtK`.
#[napi(object)]
pub struct RankingMetrics {
    pub precision: f64,
    pub map: f64,
    pub ndcg: f64,
    pub auc: f64,
    /// Share of the catalog that appears in some list.
    pub coverage: f64,
    /// Users with test interactions (those evaluated).
    pub users: u32,
}

/// Precision, MAP, NDCG and AUC at `k` (default 10) of `model` (fitted on `train`) on the
/// held-out `test`, off the event loop.
#[napi(ts_return_type = "Promise<RankingMetrics>")]
pub fn ranking_metrics_at_k(
    model: &Recommender,
    train: &Interactions,
    test: &Interactions,
    k: Option<f64>,
) -> AsyncTask<Job<eval::RankingMetrics, RankingMetrics>> {
    let model = model.model();
    let (train, test) = (train.inner.clone(), test.inner.clone());
    let k = k.map_or(Ok(10), |k| count("k", k));
    spawn(
        move || eval::ranking_metrics_at_k(model?.as_ref(), &train, &test, k?).js(),
        |m| {
            Ok(RankingMetrics {
                precision: m.precision,
                map: m.map,
                ndcg: m.ndcg,
                auc: m.auc,
                coverage: m.coverage,
                users: m.users as u32,
            })
        },
    )
}
