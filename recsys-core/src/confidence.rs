//! Confidence weighting of implicit feedback (Hu, Koren & Volinsky 2008, section 4).
//!
//! An observed interaction of strength `r` is a positive preference held with confidence `c(r)`;
//! unobserved pairs are negative preferences with confidence 1.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How an interaction strength `r >= 0` becomes a confidence `c` (`c >= 1` for `Linear` and
/// `Log`; `Scaled` leaves the scale to the caller, as `implicit` does).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Confidence {
    /// `c = 1 + alpha * r` (the paper's eq. 6).
    Linear {
        /// Weight of the observed strength; > 0.
        alpha: f32,
    },
    /// `c = 1 + alpha * ln(1 + r / eps)` (the paper's eq. 7), for heavy-tailed counts.
    Log {
        /// Weight of the observed strength; > 0.
        alpha: f32,
        /// Scale of the strength; > 0.
        eps: f32,
    },
    /// `c = alpha * r`: `implicit`'s convention (the matrix value, times `alpha`, is the
    /// confidence), so that the same matrix gives the same model. Entries whose `c` is below 1
    /// count as weaker than an unobserved pair, exactly as in `implicit`.
    Scaled {
        /// Weight of the observed strength; > 0.
        alpha: f32,
    },
}

/// `Scaled { alpha: 1 }`: implicit's default, and every binding's.
impl Default for Confidence {
    fn default() -> Self {
        Confidence::Scaled { alpha: 1.0 }
    }
}

impl Confidence {
    /// The confidence of strength `r`.
    #[inline]
    pub fn apply(&self, r: f32) -> f32 {
        match *self {
            Confidence::Linear { alpha } => 1.0 + alpha * r,
            Confidence::Log { alpha, eps } => 1.0 + alpha * (r / eps).ln_1p(),
            Confidence::Scaled { alpha } => alpha * r,
        }
    }

    /// The weight of the observed strength, whichever the form.
    pub fn alpha(&self) -> f32 {
        match *self {
            Confidence::Linear { alpha }
            | Confidence::Log { alpha, .. }
            | Confidence::Scaled { alpha } => alpha,
        }
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        let (alpha, eps) = match *self {
            Confidence::Linear { alpha } | Confidence::Scaled { alpha } => (alpha, None),
            Confidence::Log { alpha, eps } => (alpha, Some(eps)),
        };
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(Error::param("alpha", "a finite number > 0", alpha));
        }
        if let Some(eps) = eps
            && !(eps.is_finite() && eps > 0.0)
        {
            return Err(Error::param("eps", "a finite number > 0", eps));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_and_validation() {
        assert_eq!(Confidence::Linear { alpha: 40.0 }.apply(2.0), 81.0);
        let log = Confidence::Log {
            alpha: 2.0,
            eps: 0.5,
        };
        assert!((log.apply(1.0) - (1.0 + 2.0 * 3f32.ln())).abs() < 1e-6);
        assert_eq!(log.apply(0.0), 1.0);
        assert_eq!(Confidence::Scaled { alpha: 2.0 }.apply(3.0), 6.0);
        assert!(Confidence::Scaled { alpha: -1.0 }.validate().is_err());
        assert!(Confidence::Linear { alpha: 0.0 }.validate().is_err());
        assert!(Confidence::Linear { alpha: f32::NAN }.validate().is_err());
        let e = Confidence::Log {
            alpha: 1.0,
            eps: -1.0,
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.to_string(), "eps must be a finite number > 0, got -1");
    }
}
