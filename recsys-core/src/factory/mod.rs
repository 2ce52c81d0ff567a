//! Building recommenders from configuration, and the one value that holds any of them.
//!
//! - [`RecommenderConfig`]: typed, validated settings of a recommender by name (`"als"`,
//!   `"content"`, `"popular"`, `"hybrid"`); serde-tagged by `kind`, unknown fields rejected, so a
//!   JSON config with a typo is an error, not a silently ignored setting.
//! - [`AnyRecommender`]: a trained model of any kind in one serializable value; the
//!   bindings and the server hold this, never a re-implementation.
//! - [`Spec`]: what a binding's object holds before and between fits (settings, a trained
//!   model, or a blend of them), trained through the same `fit`.

mod any;
mod config;
mod spec;

pub use any::{AnyRecommender, MAX_CONTEXT};
pub(crate) use config::missing_catalog;
pub use config::{HybridMember, RECOMMENDER_NAMES, RecommenderConfig};
pub use spec::Spec;
