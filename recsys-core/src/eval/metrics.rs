//! Ranking metrics at a cut-off `k`, with `implicit.evaluation.ranking_metrics_at_k`'s
//! definitions. For every user with at least one test item, the model recommends `k` items
//! (filtering the user's train items); with `T` the user's test items, `hit_j` whether the
//! j-th recommendation (1-based) is in `T`, and `I` the number of items:
//!
//! - **precision@k** = (sum over users of hits) / (sum over users of `min(k, |T|)`): pooled,
//!   not a mean of per-user ratios.
//! - **MAP@k** = mean over users of `(sum_j hit_j * hits_so_far_j / j) / min(k, |T|)`.
//! - **NDCG@k** = mean over users of `(sum_j hit_j / log2(j + 1)) / IDCG`, with
//!   `IDCG = sum_{j=1}^{min(k,|T|)} 1 / log2(j + 1)` (binary relevance).
//! - **AUC@k** = mean over users of `auc / (|T| * (I - |T|))` where, walking the list, each miss
//!   adds the hits so far, and the unranked remainder adds
//!   `(hits + |T|) / 2 * ((I - |T|) - misses)`.
//! - **coverage** (not in `implicit`) = distinct items recommended to the evaluated users / `I`.
//!
//! A user the model cannot serve (`UnknownUser`: a content model and a user with no training
//! history) is evaluated with an empty list, scoring 0, never left out.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::interactions::Interactions;
use crate::recommender::{RecommendOptions, Recommender};

/// Every metric of one evaluation run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankingMetrics {
    /// Pooled precision@k.
    pub precision: f64,
    /// MAP@k.
    pub map: f64,
    /// NDCG@k.
    pub ndcg: f64,
    /// AUC@k.
    pub auc: f64,
    /// Catalog coverage of the recommended lists.
    pub coverage: f64,
    /// Users that had test items (and were evaluated).
    pub users: usize,
}

/// Users per recommend_batch call.
const EVAL_BATCH: usize = 2048;

/// Evaluates `model` (fitted on `train`) on the held-out `test` interactions.
pub fn ranking_metrics_at_k(
    model: &dyn Recommender,
    train: &Interactions,
    test: &Interactions,
    k: usize,
) -> Result<RankingMetrics> {
    if k == 0 {
        return Err(Error::param("k", ">= 1", k));
    }
    let n_items = model.item_ids().len();
    let t = test.by_user();
    let users: Vec<usize> = (0..t.nrows()).filter(|&u| !t.row(u).0.is_empty()).collect();
    // the gain at rank j (0-based); a list is never longer than the catalog, so positions past
    // it are misses counted at once below (a k of 10**12 costs no memory or time)
    let gain = |j: usize| 1.0 / ((j + 2) as f64).log2();
    let (mut relevant, mut pr_div, mut map, mut ndcg, mut auc) = (0f64, 0f64, 0f64, 0f64, 0f64);
    let mut recommended: HashSet<crate::Id> = HashSet::new();
    let options = RecommendOptions::default();
    for chunk in users.chunks(EVAL_BATCH) {
        let ids: Vec<crate::Id> = chunk.iter().map(|&u| test.users().id(u as u32)).collect();
        let lists = match model.recommend_batch(&ids, train, k, &options) {
            Ok(lists) => lists,
            // a model that cannot serve some of these users (content, for a user with no
            // history in train): ask one by one; those it cannot serve count with an empty list
            Err(Error::UnknownUser(_)) => ids
                .iter()
                .map(|id| match model.recommend(id, train, k, &options) {
                    Ok(list) => Ok(list),
                    Err(Error::UnknownUser(_)) => Ok(Vec::new()),
                    Err(e) => Err(e),
                })
                .collect::<Result<Vec<_>>>()?,
            Err(e) => return Err(e),
        };
        for (&u, list) in chunk.iter().zip(&lists) {
            let likes: HashSet<crate::Id> =
                t.row(u).0.iter().map(|&i| test.items().id(i)).collect();
            let n_pos = likes.len() as f64;
            let n_neg = n_items as f64 - n_pos;
            let cutoff = k.min(likes.len());
            pr_div += cutoff as f64;
            let idcg: f64 = (0..cutoff).map(gain).sum();
            let (mut hit, mut miss, mut ap, mut user_auc) = (0f64, 0f64, 0f64, 0f64);
            let shown = list.len().min(k);
            for (j, s) in list[..shown].iter().enumerate() {
                if likes.contains(&s.id) {
                    relevant += 1.0;
                    hit += 1.0;
                    ap += hit / (j + 1) as f64;
                    ndcg += gain(j) / idcg;
                } else {
                    miss += 1.0;
                    user_auc += hit;
                }
            }
            // the ranks a shorter list leaves empty are misses too
            let empty = (k - shown) as f64;
            miss += empty;
            user_auc += hit * empty;
            user_auc += (hit + n_pos) / 2.0 * (n_neg - miss);
            map += ap / cutoff as f64;
            if n_neg > 0.0 {
                auc += user_auc / (n_pos * n_neg);
            }
            recommended.extend(list.iter().map(|s| s.id.clone()));
        }
    }
    let total = users.len() as f64;
    let mean = |x: f64| if total > 0.0 { x / total } else { 0.0 };
    Ok(RankingMetrics {
        precision: if pr_div > 0.0 { relevant / pr_div } else { 0.0 },
        map: mean(map),
        ndcg: mean(ndcg),
        auc: mean(auc),
        coverage: if n_items > 0 {
            recommended.len() as f64 / n_items as f64
        } else {
            0.0
        },
        users: users.len(),
    })
}

/// Pooled precision@k (see the module docs).
pub fn precision_at_k(
    model: &dyn Recommender,
    train: &Interactions,
    test: &Interactions,
    k: usize,
) -> Result<f64> {
    Ok(ranking_metrics_at_k(model, train, test, k)?.precision)
}
/// MAP@k (see the module docs).
pub fn mean_average_precision_at_k(
    model: &dyn Recommender,
    train: &Interactions,
    test: &Interactions,
    k: usize,
) -> Result<f64> {
    Ok(ranking_metrics_at_k(model, train, test, k)?.map)
}
/// NDCG@k (see the module docs).
pub fn ndcg_at_k(
    model: &dyn Recommender,
    train: &Interactions,
    test: &Interactions,
    k: usize,
) -> Result<f64> {
    Ok(ranking_metrics_at_k(model, train, test, k)?.ndcg)
}
/// AUC@k (see the module docs).
pub fn auc_at_k(
    model: &dyn Recommender,
    train: &Interactions,
    test: &Interactions,
    k: usize,
) -> Result<f64> {
    Ok(ranking_metrics_at_k(model, train, test, k)?.auc)
}
