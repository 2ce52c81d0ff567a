//! The names most programs need, in one `use recsys_core::prelude::*;`: the data types, the
//! traits, and every algorithm's entry point.

pub use crate::als::{AlsParams, ImplicitAls, Solver};
pub use crate::content::{Catalog, ContentParams, ContentRecommender, TfidfParams};
pub use crate::factory::{AnyRecommender, RecommenderConfig};
pub use crate::gbdt::{Dataset, Gbdt, GbdtParams, Objective};
pub use crate::hybrid::Hybrid;
pub use crate::kmeans::{KMeans, KMeansParams};
pub use crate::popularity::Popularity;
pub use crate::{
    Confidence, Error, Id, Interactions, ItemFilter, Persist, RecommendOptions, Recommender,
    Result, Scored,
};
