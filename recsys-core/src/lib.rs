//! # recsys-core
//!
//! Recommendation algorithms with no I/O dependencies, parallel with rayon and deterministic for
//! a given seed:
//!
//! - [`als`]: implicit-feedback alternating least squares (conjugate gradient or Cholesky);
//! - [`content`]: TF-IDF vectors, content similarity, search (also as you type) and user
//!   profiles over a catalog of item texts;
//! - [`popularity`]: the non-personalized baseline, and [`hybrid`]: a weighted blend of any of
//!   them with cold-start fallback;
//! - [`factory`]: one serializable [`factory::AnyRecommender`] built from a config;
//! - [`kmeans`] (Lloyd with Hamerly's bounds, and mini-batch) and [`segments`]: RFM customer
//!   segments;
//! - [`gbdt`]: gradient-boosted trees (regression, binary, LambdaMART), read and written in
//!   LightGBM's text format;
//! - [`eval`]: splits and ranking metrics as `implicit` defines them;
//! - [`Persist`]: versioned, checksummed model files, every invariant checked on load.
//!
//! The hot loops pick AVX2 + FMA or AVX-512 at run time ([`simd_level`], capped by
//! `RECSYS_SIMD`).
//!
//! Every algorithm lives in its module (`als::ImplicitAls`, `popularity::Popularity`,
//! `content::ContentRecommender`, `kmeans::KMeansParams`, ...); the data types and traits they
//! share are at the root, and [`prelude`] brings the common names in with one `use`.
//!
//! Every algorithm has one shape: its settings train it and return the model
//! (`AlsParams::fit(&data) -> ImplicitAls`, `GbdtParams::fit(&train) -> Gbdt`,
//! `KMeansParams::fit`, `TfidfParams::fit`, `ContentParams::fit(catalog)`, `Popularity::fit`, and
//! `RecommenderConfig::fit` for any recommender by name). A model value is always fitted, so
//! there is no "not fitted" error at run time, and invalid settings are refused by `fit` before
//! any work.
//!
//! ```
//! use recsys_core::prelude::*;
//!
//! let data = Interactions::from_triples([(1, "a", 1.0), (1, "b", 3.0), (2, "b", 1.0), (2, "c", 1.0)])?;
//! let als = AlsParams::new().factors(8).seed(42).fit(&data)?;
//! let recs = als.recommend(&Id::Int(1), &data, 5, &RecommendOptions::default())?;
//! assert_eq!(recs.len(), 1); // "c", the only item user 1 has not seen
//! # Ok::<(), recsys_core::Error>(())
//! ```

pub mod als;
mod confidence;
pub mod content;
mod error;
pub mod eval;
mod factors;
pub mod factory;
pub mod gbdt;
pub mod hybrid;
mod ids;
mod interactions;
pub mod kmeans;
mod linalg;
mod parallel;
mod persist;
pub mod popularity;
pub mod prelude;
mod recommender;
mod rng;
pub mod segments;
mod topk;

pub use confidence::Confidence;
pub use error::{Error, ErrorKind, Result};
pub use factors::Factors;
pub use ids::{Id, IdMap};
pub use interactions::{Csr, CsvOptions, Header, Interactions, InteractionsBuilder};
pub use linalg::{SimdLevel, simd_level};
pub use persist::Persist;
pub use recommender::{
    FitControl, FitProgress, ItemFilter, ItemSet, RecommendOptions, Recommender, Scored,
};
pub use rng::SplitMix64;

/// The repository README's Rust example, compiled and run by `cargo test --doc` (the README's
/// other blocks are Python, TypeScript and shell, which the bindings' tests and rustdoc skip).
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
