//! Implicit-feedback alternating least squares.
//!
//! - [`AlsParams`]: settings, validated on fit.
//! - [`ImplicitAls`]: the model (unfitted until [`fit`](AlsParams::fit)); implements
//!   [`Recommender`](crate::Recommender) and [`Persist`](crate::Persist).
//! - `solve`: the per-row conjugate-gradient and Cholesky solvers and the training loss.

mod model;
mod params;
mod solve;

pub use crate::recommender::FitProgress;
pub use model::{Explanation, ImplicitAls};
pub use params::{AlsParams, Solver};
