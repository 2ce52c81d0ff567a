//! Gradient-boosted decision trees in the manner of LightGBM: quantile-binned features with a
//! learned direction for missing values, leaf-wise growth from gradient histograms (with the
//! subtraction trick), bagging and feature sampling, and three objectives: LambdaMART ranking,
//! binary log loss and L2 regression. Defaults are LightGBM's.
//!
//! - [`Dataset`]: features (NaN = missing), labels, weights, query groups; SVMlight / LETOR
//!   loader.
//! - [`GbdtParams`] -> [`Gbdt`]: training with validation and early stopping, batch prediction,
//!   feature importance, persistence.
//! - [`Gbdt::from_lightgbm_text`]: LightGBM's text model format, read for inference.
//! - [`metrics`]: NDCG@k, MAP@k, AUC, log loss, RMSE.

mod binning;
mod dataset;
mod forest;
mod grow;
mod lightgbm;
pub mod metrics;
mod model;
mod objective;
mod params;
mod tree;

pub use dataset::Dataset;
pub use model::{Evaluation, Gbdt, Importance};
pub use params::{GbdtParams, MAX_CATEGORY, Objective};
