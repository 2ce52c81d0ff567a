//! ALS hyper-parameters: a builder whose [`validate`](AlsParams::validate) names any bad setting.

use serde::{Deserialize, Serialize};

use crate::confidence::Confidence;
use crate::error::{Error, Result};

/// How each user's (item's) least-squares problem is solved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Solver {
    /// A few conjugate-gradient steps warm-started from the previous factors (Takacs, Pilaszy &
    /// Tikk 2011): O(n_u * f) per step instead of O(f^3), at a slightly higher loss per sweep.
    ConjugateGradient {
        /// CG steps per row and sweep; >= 1 (default 3).
        steps: usize,
    },
    /// The exact solution by Cholesky factorization of the `f x f` normal equations.
    Cholesky,
}

impl Default for Solver {
    fn default() -> Self {
        Solver::ConjugateGradient { steps: 3 }
    }
}

/// `"cg"` (or `"conjugate_gradient"`, 3 steps) or `"cholesky"`, as the bindings spell it.
impl std::str::FromStr for Solver {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cg" | "conjugate_gradient" => Ok(Solver::default()),
            "cholesky" => Ok(Solver::Cholesky),
            other => Err(Error::param("solver", "'cg' or 'cholesky'", other)),
        }
    }
}

/// Settings of implicit-feedback ALS. Defaults follow `implicit` 0.7 where it has the setting.
///
/// ```
/// use recsys_core::als::{AlsParams, Solver};
/// let p = AlsParams::new().factors(32).iterations(10).solver(Solver::Cholesky).seed(7);
/// assert!(p.validate().is_ok());
/// assert_eq!(
///     AlsParams::new().factors(0).validate().unwrap_err().to_string(),
///     "factors must be >= 1, got 0"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AlsParams {
    /// Latent factors per user and item (>= 1).
    pub factors: usize,
    /// L2 regularization (>= 0).
    pub regularization: f32,
    /// Alternating sweeps (>= 1).
    pub iterations: usize,
    /// How a strength becomes a confidence.
    pub confidence: Confidence,
    /// How each row's least-squares problem is solved.
    pub solver: Solver,
    /// Seed of the starting factors.
    pub seed: u64,
    /// Whether to compute the training loss after each sweep.
    pub calculate_loss: bool,
    /// Stop when the loss improves by less than this fraction in a sweep.
    pub early_stop_tolerance: Option<f64>,
    /// Threads for fitting and batch calls (`None`: the caller's rayon pool).
    pub num_threads: Option<usize>,
}

impl Default for AlsParams {
    fn default() -> Self {
        AlsParams {
            factors: 100,
            regularization: 0.01,
            iterations: 15,
            confidence: Confidence::default(),
            solver: Solver::default(),
            seed: 0,
            calculate_loss: false,
            early_stop_tolerance: None,
            num_threads: None,
        }
    }
}

/// Largest factor count accepted: the exact solver's per-thread scratch is `factors^2` floats.
const MAX_FACTORS: usize = 4096;

impl AlsParams {
    /// The defaults, implicit's (and the Python and Node bindings'): 100 factors, regularization
    /// 0.01, 15 iterations, confidence `alpha * r` with alpha 1, CG with 3 steps; seed 0.
    pub fn new() -> Self {
        Self::default()
    }
    /// Latent dimension; 1..=4096.
    pub fn factors(mut self, v: usize) -> Self {
        self.factors = v;
        self
    }
    /// L2 penalty on every factor vector; >= 0.
    pub fn regularization(mut self, v: f32) -> Self {
        self.regularization = v;
        self
    }
    /// Full sweeps (users then items); 0 keeps the seeded random start (as implicit does).
    pub fn iterations(mut self, v: usize) -> Self {
        self.iterations = v;
        self
    }
    /// Strength-to-confidence mapping.
    pub fn confidence(mut self, v: Confidence) -> Self {
        self.confidence = v;
        self
    }
    /// Confidence `alpha * r` ([`Confidence::Scaled`]): what `alpha` means in implicit and in
    /// every recsys binding, so the same setting trains the same model in every language.
    pub fn alpha(self, alpha: f32) -> Self {
        self.confidence(Confidence::Scaled { alpha })
    }
    /// Confidence `1 + alpha * r` ([`Confidence::Linear`], the paper's eq. 6): every observed
    /// pair counts for more than an unobserved one, whatever its strength.
    pub fn linear_alpha(self, alpha: f32) -> Self {
        self.confidence(Confidence::Linear { alpha })
    }
    /// Least-squares solver.
    pub fn solver(mut self, v: Solver) -> Self {
        self.solver = v;
        self
    }
    /// Seed of the initial factors; the same seed and data give identical factors.
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }
    /// Compute the training loss after every iteration (reported to the progress callback).
    pub fn calculate_loss(mut self, v: bool) -> Self {
        self.calculate_loss = v;
        self
    }
    /// Stop once an iteration improves the training loss by less than this fraction of it
    /// (implies computing the loss); > 0.
    pub fn early_stop(mut self, relative_tolerance: f64) -> Self {
        self.early_stop_tolerance = Some(relative_tolerance);
        self
    }
    /// Threads for fitting and batch calls; `None` uses rayon's global pool.
    pub fn num_threads(mut self, v: Option<usize>) -> Self {
        self.num_threads = v;
        self
    }

    /// Latent dimension.
    pub fn n_factors(&self) -> usize {
        self.factors
    }
    /// The confidence mapping.
    pub fn confidence_mapping(&self) -> Confidence {
        self.confidence
    }

    /// Checks every setting; the error names the first bad one and its allowed range.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_FACTORS).contains(&self.factors) {
            let expected = if self.factors == 0 { ">= 1" } else { "<= 4096" };
            return Err(Error::param("factors", expected, self.factors));
        }
        if !(self.regularization.is_finite() && self.regularization >= 0.0) {
            return Err(Error::param(
                "regularization",
                "a finite number >= 0",
                self.regularization,
            ));
        }
        self.confidence.validate()?;
        if let Solver::ConjugateGradient { steps } = self.solver
            && steps == 0
        {
            return Err(Error::param("cg steps", ">= 1", steps));
        }
        if let Some(t) = self.early_stop_tolerance
            && !(t.is_finite() && t > 0.0)
        {
            return Err(Error::param("early_stop", "a finite fraction > 0", t));
        }
        if self.num_threads == Some(0) {
            return Err(Error::param(
                "num_threads",
                ">= 1 (or None for all cores)",
                0,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_setting_is_named() {
        let cases: Vec<(AlsParams, &str)> = vec![
            (AlsParams::new().factors(0), "factors must be >= 1, got 0"),
            (
                AlsParams::new().factors(5000),
                "factors must be <= 4096, got 5000",
            ),
            (
                AlsParams::new().regularization(-0.1),
                "regularization must be a finite number >= 0, got -0.1",
            ),
            (
                AlsParams::new().regularization(f32::NAN),
                "regularization must be a finite number >= 0, got NaN",
            ),
            (
                AlsParams::new().alpha(-1.0),
                "alpha must be a finite number > 0, got -1",
            ),
            (
                AlsParams::new().solver(Solver::ConjugateGradient { steps: 0 }),
                "cg steps must be >= 1, got 0",
            ),
            (
                AlsParams::new().early_stop(0.0),
                "early_stop must be a finite fraction > 0, got 0",
            ),
            (
                AlsParams::new().num_threads(Some(0)),
                "num_threads must be >= 1 (or None for all cores), got 0",
            ),
        ];
        for (p, msg) in cases {
            assert_eq!(p.validate().unwrap_err().to_string(), msg);
        }
        assert!(AlsParams::new().regularization(0.0).validate().is_ok());
    }

    #[test]
    fn alpha_means_what_it_means_in_implicit_and_the_bindings() {
        // c = alpha * r, as Python's and Node's `alpha`; the paper's 1 + alpha * r by its own name
        assert_eq!(AlsParams::new().alpha(40.0).confidence.apply(2.0), 80.0);
        assert_eq!(
            AlsParams::new().linear_alpha(40.0).confidence.apply(2.0),
            81.0
        );
        // the defaults are implicit's: `AlsParams::new()` is `AlternatingLeastSquares()`
        assert_eq!(AlsParams::new(), AlsParams::new().alpha(1.0));
        assert_eq!(
            (AlsParams::new().factors, AlsParams::new().regularization),
            (100, 0.01)
        );
    }
}
