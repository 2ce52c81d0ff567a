//! Training (boosting rounds with validation and early stopping) and the fitted model.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::binning::{BIN_SAMPLE, BinnedMatrix, fit_bins};
use super::dataset::Dataset;
use super::forest::Forest;
use super::grow::Learner;
use super::metrics;
use super::objective::{Targets, default_label_gain, gradients, initial_score};
use super::params::{GbdtParams, MAX_CATEGORY, Objective};
use super::tree::Tree;
use crate::error::{Error, Result};
use crate::persist::Persist;
use crate::recommender::{FitControl, FitProgress};
use crate::rng::SplitMix64;

/// One evaluation of a metric after a boosting round.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// 0-based round.
    pub iteration: usize,
    /// Metric name (`ndcg@10`, `auc`, `binary_logloss`, `rmse`, ...).
    pub metric: String,
    /// Its value on the validation set.
    pub value: f64,
}

/// How feature importance is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Importance {
    /// Number of splits on the feature.
    Split,
    /// Total gain of the splits on the feature.
    Gain,
}

/// LightGBM's `importance_type` names: `"split"` or `"gain"`.
impl std::str::FromStr for Importance {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "split" => Ok(Importance::Split),
            "gain" => Ok(Importance::Gain),
            other => Err(Error::param("importance", "'split' or 'gain'", other)),
        }
    }
}

/// A fitted boosted-tree ensemble.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gbdt {
    params: GbdtParams,
    n_features: usize,
    init_score: f64,
    trees: Vec<Tree>,
    best_iteration: Option<usize>,
    /// The trees laid out for prediction, built on first use (not persisted).
    #[serde(skip)]
    forest: Derived<Forest>,
}

/// A value derived from the rest of a struct and built on first use: no part of its equality,
/// and a clone shares nothing with the original (it builds its own).
struct Derived<T>(std::sync::OnceLock<T>);

impl<T> Default for Derived<T> {
    fn default() -> Self {
        Derived(std::sync::OnceLock::new())
    }
}

impl<T> Clone for Derived<T> {
    fn clone(&self) -> Self {
        Derived::default()
    }
}

impl<T> PartialEq for Derived<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> std::fmt::Debug for Derived<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(derived)")
    }
}

/// The label gains in force for the objective.
fn gains_of(objective: &Objective) -> Vec<f64> {
    match objective {
        Objective::LambdaRank {
            label_gain: Some(g),
            ..
        } => g.clone(),
        _ => default_label_gain(),
    }
}

/// Checks labels and groups against the objective.
fn check_data(p: &GbdtParams, ds: &Dataset, gains: &[f64], what: &str) -> Result<()> {
    match &p.objective {
        Objective::Binary => {
            if let Some(at) = ds.labels().iter().position(|&y| y != 0.0 && y != 1.0) {
                return Err(Error::InvalidInput {
                    row: at + 1,
                    reason: format!(
                        "{what}: binary labels must be 0 or 1, got {}",
                        ds.labels()[at]
                    ),
                });
            }
        }
        Objective::LambdaRank { .. } => {
            if ds.groups().is_none() {
                return Err(Error::Shape(format!(
                    "{what}: lambdarank needs query groups (with_groups)"
                )));
            }
            if ds.weights().is_some() {
                return Err(Error::param(
                    "weights",
                    "absent for lambdarank (per-row weights are not used in ranking)",
                    "given",
                ));
            }
            if let Some(at) = ds
                .labels()
                .iter()
                .position(|&y| y < 0.0 || y.fract() != 0.0 || y as usize >= gains.len())
            {
                return Err(Error::InvalidInput {
                    row: at + 1,
                    reason: format!(
                        "{what}: ranking labels must be integers in 0..{} (the label gain table), got {}",
                        gains.len(),
                        ds.labels()[at]
                    ),
                });
            }
        }
        Objective::Regression => {}
    }
    let d = ds.n_features();
    if let Some(&f) = p.categorical_features.iter().find(|&&f| f >= d) {
        return Err(Error::param(
            "categorical_features",
            "indices of features of the data",
            format!("{f} for {d} features"),
        ));
    }
    for &f in &p.categorical_features {
        let too_large = |v: f32| v >= (MAX_CATEGORY + 1) as f32;
        if let Some(r) = (0..ds.n_rows()).find(|&r| too_large(ds.row(r)[f])) {
            return Err(Error::InvalidInput {
                row: r + 1,
                reason: format!(
                    "{what}: feature {f} is categorical and {} is not a category (integers 0..={MAX_CATEGORY}; NaN or a negative value for missing)",
                    ds.row(r)[f]
                ),
            });
        }
    }
    Ok(())
}

impl GbdtParams {
    /// Trains on `train`, reporting every round's validation metrics (when `valid` is given)
    /// to `progress`; with `early_stopping_rounds`, stops when the first metric has not improved
    /// for that many rounds and keeps the best round's trees.
    pub fn fit_with_progress(
        &self,
        train: &Dataset,
        valid: Option<&Dataset>,
        progress: impl FnMut(&[Evaluation]),
    ) -> Result<Gbdt> {
        self.fit_controlled(train, valid, &FitControl::none(), progress)
    }

    /// [`fit_with_progress`](Self::fit_with_progress) watched and stoppable through `control`:
    /// checked before each boosting round (a stop is [`Error::Cancelled`]), and told after each
    /// round (`loss` is the first validation metric, when there is a validation set).
    pub fn fit_controlled(
        &self,
        train: &Dataset,
        valid: Option<&Dataset>,
        control: &FitControl<'_>,
        mut progress: impl FnMut(&[Evaluation]),
    ) -> Result<Gbdt> {
        self.validate()?;
        let gains = gains_of(&self.objective);
        check_data(self, train, &gains, "training data")?;
        if let Some(v) = valid {
            check_data(self, v, &gains, "validation data")?;
            if v.n_features() != train.n_features() {
                return Err(Error::Shape(format!(
                    "validation data has {} features, training data {}",
                    v.n_features(),
                    train.n_features()
                )));
            }
        }
        let n = train.n_rows();
        let mut rng = SplitMix64::new(self.seed);
        let sample: Vec<usize> = if n <= BIN_SAMPLE {
            (0..n).collect()
        } else {
            let mut all: Vec<usize> = (0..n).collect();
            for i in 0..BIN_SAMPLE {
                let j = i + rng.below(n - i);
                all.swap(i, j);
            }
            all.truncate(BIN_SAMPLE);
            all.sort_unstable();
            all
        };
        let mut categorical = vec![false; train.n_features()];
        self.categorical_features
            .iter()
            .for_each(|&f| categorical[f] = true);
        let bins = fit_bins(train, self.max_bin, &sample, &categorical);
        let binned = BinnedMatrix::new(train, &bins);
        let learner = Learner::new(self, &bins, &binned);

        let init = initial_score(&self.objective, train.labels(), train.weights());
        let mut scores = vec![init; n];
        let mut valid_scores = valid.map(|v| vec![init; v.n_rows()]);
        let train_bounds = train.group_bounds();
        let valid_bounds = valid.and_then(Dataset::group_bounds);
        let (mut grad, mut hess) = (vec![0f32; n], vec![0f32; n]);
        let all_rows: Vec<u32> = (0..n as u32).collect();
        let mut bag = all_rows.clone();
        let mut trees: Vec<Tree> = Vec::new();
        let mut best: Option<(usize, f64)> = None;
        let mut best_iteration = None;
        let d = train.n_features();
        for it in 0..self.num_iterations {
            control.check()?;
            let started = std::time::Instant::now();
            let targets = Targets {
                labels: train.labels(),
                weights: train.weights(),
                groups: train_bounds.as_deref(),
                gains: &gains,
            };
            gradients(&self.objective, &scores, &targets, &mut grad, &mut hess);
            if self.bagging_freq > 0 && self.bagging_fraction < 1.0 && it % self.bagging_freq == 0 {
                bag = all_rows
                    .iter()
                    .copied()
                    .filter(|_| rng.next_f64() < self.bagging_fraction)
                    .collect();
                if bag.is_empty() {
                    bag = all_rows.clone();
                }
            }
            let mut allowed = vec![true; d];
            if self.feature_fraction < 1.0 {
                let keep = ((d as f64 * self.feature_fraction).ceil() as usize).clamp(1, d);
                let mut idx: Vec<usize> = (0..d).collect();
                rng.shuffle(&mut idx);
                allowed = vec![false; d];
                idx[..keep].iter().for_each(|&f| allowed[f] = true);
            }
            let (mut tree, members) = learner.grow(&bag, &grad, &hess, &allowed);
            if tree.nodes.is_empty() && it > 0 {
                // nothing left to split on: LightGBM stops here too
                break;
            }
            tree.leaves
                .iter_mut()
                .for_each(|v| *v *= self.learning_rate);
            if bag.len() == n {
                // every row is in exactly one leaf's range: no need to walk the tree
                for (&(s, e), &v) in members.ranges.iter().zip(&tree.leaves) {
                    for &r in &members.order[s..e] {
                        scores[r as usize] += v;
                    }
                }
            } else {
                scores
                    .par_iter_mut()
                    .enumerate()
                    .for_each(|(r, s)| *s += tree.predict_binned(&binned.columns, &bins, r));
            }
            if let (Some(v), Some(vs)) = (valid, valid_scores.as_mut()) {
                vs.par_iter_mut()
                    .enumerate()
                    .for_each(|(r, s)| *s += tree.predict(v.row(r)));
            }
            trees.push(tree);
            let evals = match (valid, valid_scores.as_ref()) {
                (Some(v), Some(vs)) => {
                    let evals = self.evaluate_scores(vs, v, valid_bounds.as_deref(), &gains, it);
                    progress(&evals);
                    evals
                }
                _ => Vec::new(),
            };
            control.report(&FitProgress {
                model: "gbdt",
                iteration: it,
                iterations: self.num_iterations,
                elapsed: started.elapsed(),
                loss: evals.first().map(|e| e.value),
            });
            if let (Some(rounds), Some(first)) = (self.early_stopping_rounds, evals.first()) {
                let better = |a: f64, b: f64| {
                    if higher_is_better(&first.metric) {
                        a > b
                    } else {
                        a < b
                    }
                };
                if best.is_none_or(|(_, b)| better(first.value, b)) {
                    best = Some((it, first.value));
                } else if it - best.map_or(0, |b| b.0) >= rounds {
                    break;
                }
            }
        }
        if let (Some(_), Some((b, _))) = (self.early_stopping_rounds, best) {
            trees.truncate(b + 1);
            best_iteration = Some(b);
        }
        Ok(Gbdt {
            params: self.clone(),
            n_features: d,
            init_score: init,
            trees,
            best_iteration,
            forest: Derived::default(),
        })
    }

    /// Trains without a validation set or progress reports.
    pub fn fit(&self, train: &Dataset) -> Result<Gbdt> {
        self.fit_with_progress(train, None, |_| {})
    }

    fn evaluate_scores(
        &self,
        scores: &[f64],
        ds: &Dataset,
        bounds: Option<&[usize]>,
        gains: &[f64],
        it: usize,
    ) -> Vec<Evaluation> {
        let eval = |metric: String, value: f64| Evaluation {
            iteration: it,
            metric,
            value,
        };
        match &self.objective {
            Objective::Regression => vec![eval("rmse".into(), metrics::rmse(scores, ds.labels()))],
            Objective::Binary => {
                let p: Vec<f64> = scores.iter().map(|&s| 1.0 / (1.0 + (-s).exp())).collect();
                vec![
                    eval("binary_logloss".into(), metrics::log_loss(&p, ds.labels())),
                    eval("auc".into(), metrics::auc(scores, ds.labels())),
                ]
            }
            Objective::LambdaRank { .. } => {
                let bounds = bounds.expect("checked: ranking data has groups");
                self.eval_at
                    .iter()
                    .map(|&k| {
                        eval(
                            format!("ndcg@{k}"),
                            metrics::ndcg_at_k(scores, ds.labels(), bounds, gains, k),
                        )
                    })
                    .collect()
            }
        }
    }
}

fn higher_is_better(metric: &str) -> bool {
    metric.starts_with("ndcg") || metric.starts_with("map") || metric == "auc"
}

impl Gbdt {
    /// This model if its objective is of `expected`'s kind (a regressor, a classifier, a
    /// ranker), otherwise [`Error::WrongModelKind`]: what a typed loader checks.
    pub fn expect_objective(self, expected: &Objective) -> Result<Self> {
        if self.params.objective.name() == expected.name() {
            Ok(self)
        } else {
            Err(Error::WrongModelKind {
                expected: expected.name(),
                found: self.params.objective.name().to_owned(),
            })
        }
    }

    /// A model from its trees (`init_score` is added to their sum).
    pub(crate) fn from_parts(
        params: GbdtParams,
        n_features: usize,
        init_score: f64,
        trees: Vec<Tree>,
    ) -> Gbdt {
        Gbdt {
            params,
            n_features,
            init_score,
            trees,
            best_iteration: None,
            forest: Derived::default(),
        }
    }

    /// The trees and the score their sum starts from.
    pub(crate) fn trees(&self) -> (&[Tree], f64) {
        (&self.trees, self.init_score)
    }

    /// Raw scores (log-odds for binary) of every row of `ds`, in parallel.
    pub fn predict(&self, ds: &Dataset) -> Result<Vec<f64>> {
        self.predict_rows(ds.features(), ds.n_features())
    }

    /// Raw scores of a row-major feature matrix with `n_features` columns.
    pub fn predict_rows(&self, features: &[f32], n_features: usize) -> Result<Vec<f64>> {
        if n_features != self.n_features || !features.len().is_multiple_of(self.n_features) {
            return Err(Error::Shape(format!(
                "the model expects rows of {} features, got {} values as rows of {n_features}",
                self.n_features,
                features.len()
            )));
        }
        let forest = self.forest.0.get_or_init(|| Forest::new(&self.trees));
        Ok(forest.predict(features, self.n_features, self.init_score))
    }

    /// Probabilities of class 1 (binary objective only).
    pub fn predict_proba(&self, ds: &Dataset) -> Result<Vec<f64>> {
        self.predict_proba_rows(ds.features(), ds.n_features())
    }

    /// Probabilities of class 1 of a row-major feature matrix (binary objective only).
    pub fn predict_proba_rows(&self, features: &[f32], n_features: usize) -> Result<Vec<f64>> {
        if self.params.objective != Objective::Binary {
            return Err(Error::param(
                "objective",
                "binary for probabilities",
                self.params.objective.name(),
            ));
        }
        Ok(self
            .predict_rows(features, n_features)?
            .into_iter()
            .map(|s| 1.0 / (1.0 + (-s).exp()))
            .collect())
    }

    /// The validation metrics of this model on `ds`.
    pub fn evaluate(&self, ds: &Dataset) -> Result<Vec<Evaluation>> {
        let gains = gains_of(&self.params.objective);
        check_data(&self.params, ds, &gains, "evaluation data")?;
        let scores = self.predict(ds)?;
        Ok(self.params.evaluate_scores(
            &scores,
            ds,
            ds.group_bounds().as_deref(),
            &gains,
            self.trees.len().saturating_sub(1),
        ))
    }

    /// Importance of every feature.
    pub fn feature_importance(&self, kind: Importance) -> Vec<f64> {
        let mut out = vec![0f64; self.n_features];
        for node in self.trees.iter().flat_map(|t| &t.nodes) {
            out[node.feature as usize] += match kind {
                Importance::Split => 1.0,
                Importance::Gain => node.gain,
            };
        }
        out
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }
    /// The round early stopping kept (0-based), if it ran.
    pub fn best_iteration(&self) -> Option<usize> {
        self.best_iteration
    }
    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// The settings.
    pub fn params(&self) -> &GbdtParams {
        &self.params
    }
}

impl Persist for Gbdt {
    const KIND: &'static str = "gbdt";
    /// 2: the zero-as-missing and categorical rules of models read from LightGBM (appended
    /// variants: version 1 payloads read unchanged).
    const VERSION: u32 = 2;

    fn check_loaded(&self) -> Result<()> {
        self.params.validate()?;
        if self.n_features == 0 {
            return Err(Error::CorruptModel("a forest over zero features".into()));
        }
        if !self.init_score.is_finite()
            || !self.trees.iter().all(|t| t.is_consistent(self.n_features))
        {
            return Err(Error::CorruptModel(
                "a tree refers to nodes, leaves or features it does not have".into(),
            ));
        }
        Ok(())
    }
}
