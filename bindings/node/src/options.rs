//! The option objects JavaScript passes to constructors, turned into the core's settings. Each
//! field left out keeps the core's default; the core validates the values (`fit` or the
//! constructor throws `INVALID_ARGUMENT` naming the setting).

use std::collections::HashMap;

use napi::Either;
use napi_derive::napi;
use recsys_core::als::{AlsParams, Solver};
use recsys_core::content::{ContentParams, DocumentFrequency, StopWords, TfidfParams};
use recsys_core::gbdt::{GbdtParams, Objective};
use recsys_core::kmeans::KMeansParams;

use crate::error::{IntoJs, Result, invalid};

/// A whole number >= 0 that JavaScript passed (as every number, a double): napi's own `u32`
/// conversion would turn -1 into 4294967295 and 2.5 into 2 in silence, so counts arrive as
/// `f64` and are checked here, naming the option.
pub fn count(name: &str, v: f64) -> Result<usize> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) {
        Ok(v as usize)
    } else {
        Err(invalid(format!(
            "{name} must be a whole number >= 0, got {v}"
        )))
    }
}

/// [`count`] of every value of a list option, in one message: "`name` must hold whole numbers
/// >= 0, got -1".
pub fn counts(name: &str, values: &[f64]) -> Result<Vec<usize>> {
    values
        .iter()
        .map(|&v| {
            count(name, v)
                .map_err(|_| invalid(format!("{name} must hold whole numbers >= 0, got {v}")))
        })
        .collect()
}

fn seed(value: Option<i64>) -> Result<Option<u64>> {
    value
        .map(|s| u64::try_from(s).map_err(|_| invalid(format!("seed must be >= 0, got {s}"))))
        .transpose()
}

/// Settings of `ALS` (implicit's names and defaults; `alpha` scales the values into
/// confidences as implicit does).
#[napi(object)]
#[derive(Default)]
pub struct AlsOptions {
    pub factors: Option<f64>,
    pub regularization: Option<f64>,
    pub alpha: Option<f64>,
    pub iterations: Option<f64>,
    /// `"cg"` (default) or `"cholesky"`.
    pub solver: Option<String>,
    /// Conjugate-gradient steps per row and sweep (default 3).
    pub cg_steps: Option<f64>,
    pub seed: Option<i64>,
    /// Threads of this model's own pool; left out, the shared pool (all cores).
    pub num_threads: Option<f64>,
    /// Compute the training loss after each iteration (reported to `onProgress`).
    pub calculate_loss: Option<bool>,
}

impl AlsOptions {
    /// implicit 0.7's defaults: 100 factors, 0.01, alpha 1, 15 iterations, 3 CG steps.
    pub fn params(self) -> Result<AlsParams> {
        let mut p = AlsParams::new().alpha(self.alpha.unwrap_or(1.0) as f32);
        if let Some(v) = self.factors {
            p = p.factors(count("factors", v)?);
        }
        if let Some(v) = self.regularization {
            p = p.regularization(v as f32);
        }
        if let Some(v) = self.iterations {
            p = p.iterations(count("iterations", v)?);
        }
        let mut solver = match self.solver {
            Some(s) => s.parse::<Solver>().js()?,
            None => Solver::default(),
        };
        if let (Solver::ConjugateGradient { steps }, Some(v)) = (&mut solver, self.cg_steps) {
            *steps = count("cgSteps", v)?;
        }
        p = p.solver(solver);
        if let Some(v) = seed(self.seed)? {
            p = p.seed(v);
        }
        p = p.num_threads(
            self.num_threads
                .map(|v| count("numThreads", v))
                .transpose()?,
        );
        if let Some(v) = self.calculate_loss {
            p = p.calculate_loss(v);
        }
        p.validate().js()?;
        Ok(p)
    }
}

/// Settings of `TfidfVectorizer` (scikit-learn's names and defaults).
#[napi(object)]
#[derive(Default)]
pub struct TfidfOptions {
    pub lowercase: Option<bool>,
    /// `"english"` or a list of words.
    pub stop_words: Option<Either<String, Vec<String>>>,
    /// `[min, max]` word n-gram lengths (default `[1, 1]`).
    pub ngram_range: Option<Vec<f64>>,
    /// Below 1: a fraction of the documents; otherwise a count (default 1).
    pub min_df: Option<f64>,
    /// Up to 1: a fraction of the documents (default 1); above 1, a count.
    pub max_df: Option<f64>,
    pub max_features: Option<f64>,
    pub sublinear_tf: Option<bool>,
    pub smooth_idf: Option<bool>,
    pub use_idf: Option<bool>,
    /// `"l2"` (default), `"l1"` or `"none"`.
    pub norm: Option<String>,
}

/// A JavaScript number as a document-frequency bound (JavaScript has no int/float split):
/// numbers below 1 and non-integers are fractions, other integers counts; `1` is the fraction
/// "all documents" for `maxDf` (`whole_is_fraction`) and the count 1 for `minDf`.
fn frequency(v: f64, whole_is_fraction: bool) -> DocumentFrequency {
    if v < 1.0 || (whole_is_fraction && v == 1.0) || v.fract() != 0.0 {
        DocumentFrequency::Fraction(v)
    } else {
        DocumentFrequency::Count(v as usize)
    }
}

impl TfidfOptions {
    pub fn params(self) -> Result<TfidfParams> {
        let mut p = TfidfParams::new();
        if let Some(v) = self.lowercase {
            p = p.lowercase(v);
        }
        if let Some(v) = self.stop_words {
            p = p.stop_words(match v {
                Either::A(name) => name.parse().js()?,
                Either::B(list) => StopWords::Custom(list),
            });
        }
        if let Some(range) = self.ngram_range {
            let [min, max] = range[..] else {
                return Err(invalid(format!(
                    "ngramRange must be [min, max], got {} numbers",
                    range.len()
                )));
            };
            p = p.ngram_range(count("ngramRange", min)?, count("ngramRange", max)?);
        }
        if let Some(v) = self.min_df {
            p = p.min_df(frequency(v, false));
        }
        if let Some(v) = self.max_df {
            p = p.max_df(frequency(v, true));
        }
        p = p.max_features(
            self.max_features
                .map(|v| count("maxFeatures", v))
                .transpose()?,
        );
        if let Some(v) = self.sublinear_tf {
            p = p.sublinear_tf(v);
        }
        if let Some(v) = self.smooth_idf {
            p = p.smooth_idf(v);
        }
        if let Some(v) = self.use_idf {
            p = p.use_idf(v);
        }
        if let Some(v) = self.norm {
            p = p.norm(v.parse().js()?);
        }
        p.validate().js()?;
        Ok(p)
    }
}

/// Settings of `ContentRecommender`: field weights (fields not named weigh 1) and the
/// vectorizer shared by every field.
#[napi(object)]
#[derive(Default)]
pub struct ContentOptions {
    pub field_weights: Option<HashMap<String, f64>>,
    pub tfidf: Option<TfidfOptions>,
}

impl ContentOptions {
    pub fn params(self) -> Result<ContentParams> {
        let mut p = ContentParams::new().tfidf(self.tfidf.unwrap_or_default().params()?);
        for (field, w) in self.field_weights.unwrap_or_default() {
            p = p.field_weight(&field, w as f32);
        }
        Ok(p)
    }
}

/// Settings of `KMeans` (scikit-learn's names and defaults).
#[napi(object)]
#[derive(Default)]
pub struct KMeansOptions {
    pub n_clusters: Option<f64>,
    /// `"k-means++"` (default) or `"random"`.
    pub init: Option<String>,
    pub n_init: Option<f64>,
    pub max_iter: Option<f64>,
    pub tol: Option<f64>,
    pub seed: Option<i64>,
}

impl KMeansOptions {
    pub fn params(self) -> Result<KMeansParams> {
        let mut p = KMeansParams::new(self.n_clusters.map_or(Ok(8), |k| count("nClusters", k))?);
        if let Some(v) = self.init {
            p = p.init(v.parse().js()?);
        }
        if let Some(v) = self.n_init {
            p = p.n_init(count("nInit", v)?);
        }
        if let Some(v) = self.max_iter {
            p = p.max_iter(count("maxIter", v)?);
        }
        if let Some(v) = self.tol {
            p = p.tol(v);
        }
        if let Some(v) = seed(self.seed)? {
            p = p.seed(v);
        }
        p.validate().js()?;
        Ok(p)
    }
}

/// Settings of the gradient-boosted trees (LightGBM's parameter names and defaults).
#[napi(object)]
#[derive(Default)]
pub struct GbdtOptions {
    /// `"regression"`, `"binary"` or `"lambdarank"`; set by `GbdtRegressor` / `GbdtClassifier` /
    /// `GbdtRanker`.
    pub objective: Option<String>,
    pub num_iterations: Option<f64>,
    pub learning_rate: Option<f64>,
    pub num_leaves: Option<f64>,
    /// Left out or <= 0: no limit.
    pub max_depth: Option<i32>,
    pub min_data_in_leaf: Option<f64>,
    pub min_sum_hessian_in_leaf: Option<f64>,
    pub lambda_l2: Option<f64>,
    pub min_gain_to_split: Option<f64>,
    pub max_bin: Option<f64>,
    pub bagging_fraction: Option<f64>,
    pub bagging_freq: Option<f64>,
    pub feature_fraction: Option<f64>,
    pub seed: Option<i64>,
    pub early_stopping_rounds: Option<f64>,
    /// Cut-offs of NDCG@k / MAP@k for ranking validation (default 1..5).
    pub eval_at: Option<Vec<f64>>,
    /// Ranking: gain of each integer label (default `2^label - 1`).
    pub label_gain: Option<Vec<f64>>,
    /// Ranking: pairs count only with a document in the first this many places (default 30).
    pub lambdarank_truncation_level: Option<f64>,
    /// Columns holding categories (LightGBM's `categorical_feature`): integers 0..=1048575, NaN
    /// or negative for missing; split by sets of categories.
    pub categorical_features: Option<Vec<f64>>,
    /// At most this many categories: one against the rest (default 4).
    pub max_cat_to_onehot: Option<f64>,
    /// Most categories on a split's left side (default 32).
    pub max_cat_threshold: Option<f64>,
    /// Smoothing of the ordering of categories, and the fewest rows a category needs (default 10).
    pub cat_smooth: Option<f64>,
    /// Extra L2 penalty of many-category splits (default 10).
    pub cat_l2: Option<f64>,
    /// Fewest rows per group of categories added to a split (default 100).
    pub min_data_per_group: Option<f64>,
}

impl GbdtOptions {
    pub fn params(self) -> Result<GbdtParams> {
        let objective = match &self.objective {
            Some(name) => name.parse::<Objective>().js()?,
            None => Objective::Regression,
        }
        .with_ranking(
            self.lambdarank_truncation_level
                .map(|v| count("lambdarankTruncationLevel", v))
                .transpose()?,
            self.label_gain,
        );
        let mut p = GbdtParams::new(objective);
        if let Some(v) = self.num_iterations {
            p = p.num_iterations(count("numIterations", v)?);
        }
        if let Some(v) = self.learning_rate {
            p = p.learning_rate(v);
        }
        if let Some(v) = self.num_leaves {
            p = p.num_leaves(count("numLeaves", v)?);
        }
        p = p.max_depth(
            self.max_depth
                .and_then(|d| usize::try_from(d).ok())
                .filter(|&d| d > 0),
        );
        if let Some(v) = self.min_data_in_leaf {
            p = p.min_data_in_leaf(count("minDataInLeaf", v)?);
        }
        if let Some(v) = self.min_sum_hessian_in_leaf {
            p = p.min_sum_hessian_in_leaf(v);
        }
        if let Some(v) = self.lambda_l2 {
            p = p.lambda_l2(v);
        }
        if let Some(v) = self.min_gain_to_split {
            p = p.min_gain_to_split(v);
        }
        if let Some(v) = self.max_bin {
            p = p.max_bin(count("maxBin", v)?);
        }
        if let Some(v) = self.bagging_fraction {
            p = p.bagging_fraction(v);
        }
        if let Some(v) = self.bagging_freq {
            p = p.bagging_freq(count("baggingFreq", v)?);
        }
        if let Some(v) = self.feature_fraction {
            p = p.feature_fraction(v);
        }
        if let Some(v) = seed(self.seed)? {
            p = p.seed(v);
        }
        p = p.early_stopping_rounds(
            self.early_stopping_rounds
                .map(|v| count("earlyStoppingRounds", v))
                .transpose()?,
        );
        if let Some(v) = self.eval_at {
            p = p.eval_at(counts("evalAt", &v)?);
        }
        if let Some(v) = self.categorical_features {
            p = p.categorical_features(counts("categoricalFeatures", &v)?);
        }
        if let Some(v) = self.max_cat_to_onehot {
            p = p.max_cat_to_onehot(count("maxCatToOnehot", v)?);
        }
        if let Some(v) = self.max_cat_threshold {
            p = p.max_cat_threshold(count("maxCatThreshold", v)?);
        }
        if let Some(v) = self.cat_smooth {
            p = p.cat_smooth(v);
        }
        if let Some(v) = self.cat_l2 {
            p = p.cat_l2(v);
        }
        if let Some(v) = self.min_data_per_group {
            p = p.min_data_per_group(count("minDataPerGroup", v)?);
        }
        p.validate().js()?;
        Ok(p)
    }
}
