//! GBDT settings. Names and defaults are LightGBM's, so a user can compare like for like.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What the trees are fitted to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Objective {
    /// Squared error (`regression` / `l2`).
    #[default]
    Regression,
    /// Log loss on labels 0 and 1 (`binary`).
    Binary,
    /// LambdaMART with NDCG-driven pairwise lambdas (`lambdarank`); needs query groups.
    LambdaRank {
        /// Only pairs with a document in the first this many positions count (default 30).
        truncation_level: usize,
        /// Gain of each integer relevance label; `None` is `2^label - 1` for labels 0..=30.
        label_gain: Option<Vec<f64>>,
        /// Normalize each query's lambdas as LightGBM's `lambdarank_norm` (default true).
        norm: bool,
    },
}

impl Objective {
    /// LambdaMART with LightGBM's defaults.
    pub fn lambdarank() -> Self {
        Objective::LambdaRank {
            truncation_level: 30,
            label_gain: None,
            norm: true,
        }
    }

    /// The ranking settings a binding takes beside the objective's name: for `LambdaRank`,
    /// `truncation_level` (when given) and `label_gain` replace its own; other objectives have
    /// neither and come back unchanged.
    pub fn with_ranking(mut self, truncation: Option<usize>, gains: Option<Vec<f64>>) -> Self {
        if let Objective::LambdaRank {
            truncation_level,
            label_gain,
            ..
        } = &mut self
        {
            if let Some(t) = truncation {
                *truncation_level = t;
            }
            *label_gain = gains;
        }
        self
    }

    /// LightGBM's name of the objective.
    pub fn name(&self) -> &'static str {
        match self {
            Objective::Regression => "regression",
            Objective::Binary => "binary",
            Objective::LambdaRank { .. } => "lambdarank",
        }
    }
}

/// LightGBM's names: `"regression"` (or `"l2"`), `"binary"`, `"lambdarank"` (its defaults).
impl std::str::FromStr for Objective {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "regression" | "l2" => Ok(Objective::Regression),
            "binary" => Ok(Objective::Binary),
            "lambdarank" => Ok(Objective::lambdarank()),
            other => Err(Error::param(
                "objective",
                "'regression', 'binary' or 'lambdarank'",
                other,
            )),
        }
    }
}

/// Settings of gradient-boosted trees; defaults equal LightGBM's.
///
/// ```
/// use recsys_core::gbdt::{GbdtParams, Objective};
/// let p = GbdtParams::new(Objective::Binary).num_iterations(50).num_leaves(15);
/// assert!(p.validate().is_ok());
/// assert_eq!(
///     GbdtParams::new(Objective::Binary).learning_rate(0.0).validate().unwrap_err().to_string(),
///     "learning_rate must be a finite number > 0, got 0"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GbdtParams {
    pub(crate) objective: Objective,
    pub(crate) num_iterations: usize,
    pub(crate) learning_rate: f64,
    pub(crate) num_leaves: usize,
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_data_in_leaf: usize,
    pub(crate) min_sum_hessian_in_leaf: f64,
    pub(crate) lambda_l2: f64,
    pub(crate) min_gain_to_split: f64,
    pub(crate) max_bin: usize,
    pub(crate) bagging_fraction: f64,
    pub(crate) bagging_freq: usize,
    pub(crate) feature_fraction: f64,
    pub(crate) seed: u64,
    pub(crate) early_stopping_rounds: Option<usize>,
    pub(crate) eval_at: Vec<usize>,
    pub(crate) categorical_features: Vec<usize>,
    pub(crate) max_cat_to_onehot: usize,
    pub(crate) max_cat_threshold: usize,
    pub(crate) cat_smooth: f64,
    pub(crate) cat_l2: f64,
    pub(crate) min_data_per_group: usize,
}

/// The largest category a categorical feature may hold (values are truncated to integers; a
/// split stores its categories as a bitset, so the bound keeps a node's set small).
pub const MAX_CATEGORY: u32 = (1 << 20) - 1;

impl Default for GbdtParams {
    fn default() -> Self {
        GbdtParams {
            objective: Objective::Regression,
            num_iterations: 100,
            learning_rate: 0.1,
            num_leaves: 31,
            max_depth: None,
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l2: 0.0,
            min_gain_to_split: 0.0,
            max_bin: 255,
            bagging_fraction: 1.0,
            bagging_freq: 0,
            feature_fraction: 1.0,
            seed: 0,
            early_stopping_rounds: None,
            eval_at: vec![1, 2, 3, 4, 5],
            categorical_features: Vec::new(),
            max_cat_to_onehot: 4,
            max_cat_threshold: 32,
            cat_smooth: 10.0,
            cat_l2: 10.0,
            min_data_per_group: 100,
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, v: $ty) -> Self {
                self.$name = v;
                self
            }
        )*
    };
}

impl GbdtParams {
    /// LightGBM's defaults for `objective`.
    pub fn new(objective: Objective) -> Self {
        GbdtParams {
            objective,
            ..Self::default()
        }
    }

    setters! {
        /// The objective.
        objective: Objective,
        /// Boosting rounds (trees); >= 1 (default 100).
        num_iterations: usize,
        /// Shrinkage of every tree; > 0 (default 0.1).
        learning_rate: f64,
        /// Most leaves per tree; >= 2 (default 31).
        num_leaves: usize,
        /// Deepest a leaf may be; `None` for no limit (default).
        max_depth: Option<usize>,
        /// Fewest training rows in a leaf (default 20).
        min_data_in_leaf: usize,
        /// Smallest sum of hessians in a leaf; >= 0 (default 1e-3).
        min_sum_hessian_in_leaf: f64,
        /// L2 penalty on leaf values; >= 0 (default 0).
        lambda_l2: f64,
        /// Smallest gain a split must bring; >= 0 (default 0).
        min_gain_to_split: f64,
        /// Most bins per feature, 2..=255 (default 255).
        max_bin: usize,
        /// Fraction of rows each bagged tree sees, in (0, 1] (default 1).
        bagging_fraction: f64,
        /// Re-draw the bag every this many rounds; 0 disables bagging (default 0).
        bagging_freq: usize,
        /// Fraction of features each tree may split on, in (0, 1] (default 1).
        feature_fraction: f64,
        /// Seed of bagging and feature sampling.
        seed: u64,
        /// Stop when the first validation metric has not improved for this many rounds.
        early_stopping_rounds: Option<usize>,
        /// Cut-offs of NDCG@k / MAP@k for ranking (default 1..=5, as LightGBM).
        eval_at: Vec<usize>,
        /// Features whose values are categories (LightGBM's `categorical_feature`): the integer
        /// part of a value, 0..=[`MAX_CATEGORY`], is its category; NaN and negative values are
        /// missing. A split sends a set of categories left, everything else (missing values and
        /// categories unseen in training included) right.
        categorical_features: Vec<usize>,
        /// A categorical feature with at most this many categories is split one category
        /// against the rest; >= 1 (default 4).
        max_cat_to_onehot: usize,
        /// Most categories on the left of a split of a feature with more; >= 1 (default 32).
        max_cat_threshold: usize,
        /// Smoothing of the gradient-to-hessian ratio categories are ordered by, and the fewest
        /// rows a category needs to be tried; >= 0 (default 10).
        cat_smooth: f64,
        /// Extra L2 penalty in the gain of many-category splits; >= 0 (default 10).
        cat_l2: f64,
        /// Fewest rows per group of categories added to a split's left side; >= 1 (default 100).
        min_data_per_group: usize,
    }

    /// The objective.
    pub fn objective_kind(&self) -> &Objective {
        &self.objective
    }

    /// Checks every setting; the error names the first bad one and its allowed range.
    pub fn validate(&self) -> Result<()> {
        let fraction = |v: f64| v.is_finite() && v > 0.0 && v <= 1.0;
        let non_negative = |v: f64| v.is_finite() && v >= 0.0;
        if self.num_iterations == 0 {
            return Err(Error::param("num_iterations", ">= 1", 0));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::param(
                "learning_rate",
                "a finite number > 0",
                self.learning_rate,
            ));
        }
        if self.num_leaves < 2 {
            return Err(Error::param("num_leaves", ">= 2", self.num_leaves));
        }
        if self.max_depth == Some(0) {
            return Err(Error::param("max_depth", ">= 1 (or None for no limit)", 0));
        }
        if !non_negative(self.min_sum_hessian_in_leaf) {
            return Err(Error::param(
                "min_sum_hessian_in_leaf",
                "a finite number >= 0",
                self.min_sum_hessian_in_leaf,
            ));
        }
        if !non_negative(self.lambda_l2) {
            return Err(Error::param(
                "lambda_l2",
                "a finite number >= 0",
                self.lambda_l2,
            ));
        }
        if !non_negative(self.min_gain_to_split) {
            return Err(Error::param(
                "min_gain_to_split",
                "a finite number >= 0",
                self.min_gain_to_split,
            ));
        }
        if !(2..=255).contains(&self.max_bin) {
            return Err(Error::param("max_bin", "in 2..=255", self.max_bin));
        }
        if !fraction(self.bagging_fraction) {
            return Err(Error::param(
                "bagging_fraction",
                "in (0, 1]",
                self.bagging_fraction,
            ));
        }
        if !fraction(self.feature_fraction) {
            return Err(Error::param(
                "feature_fraction",
                "in (0, 1]",
                self.feature_fraction,
            ));
        }
        if self.early_stopping_rounds == Some(0) {
            return Err(Error::param("early_stopping_rounds", ">= 1 (or None)", 0));
        }
        if self.max_cat_to_onehot == 0 {
            return Err(Error::param("max_cat_to_onehot", ">= 1", 0));
        }
        if self.max_cat_threshold == 0 {
            return Err(Error::param("max_cat_threshold", ">= 1", 0));
        }
        if self.min_data_per_group == 0 {
            return Err(Error::param("min_data_per_group", ">= 1", 0));
        }
        for (name, v) in [("cat_smooth", self.cat_smooth), ("cat_l2", self.cat_l2)] {
            if !non_negative(v) {
                return Err(Error::param(name, "a finite number >= 0", v));
            }
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(&dup) = self.categorical_features.iter().find(|&&f| !seen.insert(f)) {
            return Err(Error::param(
                "categorical_features",
                "distinct feature indices",
                format!("{dup} twice"),
            ));
        }
        if self.eval_at.is_empty() || self.eval_at.contains(&0) {
            return Err(Error::param(
                "eval_at",
                "a non-empty list of cut-offs >= 1",
                format!("{:?}", self.eval_at),
            ));
        }
        if let Objective::LambdaRank {
            truncation_level,
            label_gain,
            ..
        } = &self.objective
        {
            if *truncation_level == 0 {
                return Err(Error::param("lambdarank_truncation_level", ">= 1", 0));
            }
            if let Some(g) = label_gain
                && (g.is_empty() || g.iter().any(|v| !v.is_finite() || *v < 0.0))
            {
                return Err(Error::param(
                    "label_gain",
                    "a non-empty list of finite gains >= 0",
                    format!("{g:?}"),
                ));
            }
        }
        Ok(())
    }
}
