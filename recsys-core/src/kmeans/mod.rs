//! K-Means clustering: our own rayon implementation (Hamerly-accelerated Lloyd, greedy
//! k-means++, mini-batch variant), deterministic for a seed whatever the thread count.
//!
//! - [`KMeansParams`] -> [`KMeans`]: full-batch clustering with scikit-learn's semantics
//!   (initialization, `tol` relative to the data's variance, empty clusters re-seeded with the
//!   farthest points).
//! - [`MiniBatchParams`]: the mini-batch variant for data too large for full passes.

mod init;
mod lloyd;
mod minibatch;
mod model;
mod params;
mod silhouette;

pub use minibatch::MiniBatchParams;
pub use model::KMeans;
pub use params::{Init, KMeansParams};
pub use silhouette::silhouette_score;
