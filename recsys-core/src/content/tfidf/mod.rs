//! TF-IDF weighting with scikit-learn's `TfidfVectorizer` semantics, so that for the same
//! settings the vocabulary order and the weights are the same.
//!
//! - vocabulary: every term kept after the `min_df` / `max_df` / `max_features` pruning, in
//!   sorted order (`max_features` keeps the most frequent terms over the corpus; ties at the cut
//!   are broken alphabetically, where numpy's unstable sort may choose differently);
//! - `tf` = the count of the term in the document, or `1 + ln(count)` with `sublinear_tf`;
//! - `idf` = `ln((1 + n) / (1 + df)) + 1` with `smooth_idf` (default), else `ln(n / df) + 1`;
//! - each row is then scaled to unit L2 (default) or L1 norm.
//!
//! Layout: `params.rs` (the settings), `vocabulary.rs` (fitting: counting, pruning, weighting),
//! `model.rs` (the fitted model, transform, persistence).

mod model;
mod params;
mod vocabulary;

pub use model::TfidfModel;
pub use params::{DocumentFrequency, Norm, StopWords, TfidfParams};
