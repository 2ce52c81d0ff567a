//! Recommender settings by name.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::AnyRecommender;
use crate::als::{AlsParams, ImplicitAls};
use crate::content::{Catalog, ContentParams, ContentRecommender};
use crate::error::{Error, Result};
use crate::hybrid::Hybrid;
use crate::popularity::Popularity;
use crate::recommender::Recommender;

/// The settings of one recommender, tagged by its name.
///
/// In JSON: `{"kind": "als", "factors": 64, "iterations": 10}`,
/// `{"kind": "hybrid", "members": [{"weight": 1.0, "model": {"kind": "popular"}}]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RecommenderConfig {
    /// [`ImplicitAls`].
    Als(AlsParams),
    /// [`ContentRecommender`] (needs a catalog when built).
    Content(ContentParams),
    /// [`Popularity`].
    Popular,
    /// [`Hybrid`] of the members, in fallback order.
    Hybrid {
        /// The blended recommenders.
        members: Vec<HybridMember>,
    },
}

/// One member of a hybrid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HybridMember {
    /// Blend weight (>= 0).
    pub weight: f32,
    /// The member's settings.
    pub model: RecommenderConfig,
}

/// Every name [`RecommenderConfig::named`] knows.
pub const RECOMMENDER_NAMES: [&str; 4] = ["als", "content", "popular", "hybrid"];

impl RecommenderConfig {
    /// The default settings of the recommender called `name`. The default hybrid blends ALS
    /// (0.7), content (0.2) and popularity (0.1), falling back in that order.
    pub fn named(name: &str) -> Result<Self> {
        Ok(match name {
            "als" => RecommenderConfig::Als(AlsParams::new()),
            "content" => RecommenderConfig::Content(ContentParams::new()),
            "popular" => RecommenderConfig::Popular,
            "hybrid" => RecommenderConfig::Hybrid {
                members: vec![
                    HybridMember {
                        weight: 0.7,
                        model: RecommenderConfig::Als(AlsParams::new()),
                    },
                    HybridMember {
                        weight: 0.2,
                        model: RecommenderConfig::Content(ContentParams::new()),
                    },
                    HybridMember {
                        weight: 0.1,
                        model: RecommenderConfig::Popular,
                    },
                ],
            },
            other => {
                return Err(Error::param(
                    "recommender",
                    "one of als, content, popular, hybrid",
                    other,
                ));
            }
        })
    }

    /// The name of this kind of recommender.
    pub fn name(&self) -> &'static str {
        match self {
            RecommenderConfig::Als(_) => "als",
            RecommenderConfig::Content(_) => "content",
            RecommenderConfig::Popular => "popular",
            RecommenderConfig::Hybrid { .. } => "hybrid",
        }
    }

    /// Checks the settings (of each member for a hybrid, whose members are single models).
    pub fn validate(&self) -> Result<()> {
        match self {
            RecommenderConfig::Als(p) => p.validate(),
            RecommenderConfig::Content(p) => p.tfidf.validate(),
            RecommenderConfig::Popular => Ok(()),
            RecommenderConfig::Hybrid { members } => {
                if members
                    .iter()
                    .any(|m| matches!(m.model, RecommenderConfig::Hybrid { .. }))
                {
                    return Err(Error::param(
                        "members",
                        "single models (a hybrid cannot be a member of a hybrid)",
                        "a hybrid",
                    ));
                }
                members.iter().try_for_each(|m| m.model.validate())
            }
        }
    }

    /// An unfitted recommender with these settings. `catalog` is required by content members.
    pub fn build(&self, catalog: Option<&Arc<Catalog>>) -> Result<AnyRecommender> {
        self.validate()?;
        Ok(match self {
            RecommenderConfig::Als(p) => AnyRecommender::Als(ImplicitAls::new(p.clone())),
            RecommenderConfig::Content(p) => {
                let catalog = catalog.ok_or_else(|| {
                    Error::param(
                        "catalog",
                        "a catalog of item texts for the content recommender",
                        "none",
                    )
                })?;
                AnyRecommender::Content(ContentRecommender::new(p.clone(), Arc::clone(catalog)))
            }
            RecommenderConfig::Popular => AnyRecommender::Popular(Popularity::new()),
            RecommenderConfig::Hybrid { members } => {
                let built = members
                    .iter()
                    .map(|m| Ok((m.model.build(catalog)?, m.weight)))
                    .collect::<Result<Vec<_>>>()?;
                AnyRecommender::Hybrid(Box::new(Hybrid::new(built)?))
            }
        })
    }

    /// [`build`](Self::build) as a trait object.
    pub fn build_boxed(&self, catalog: Option<&Arc<Catalog>>) -> Result<Box<dyn Recommender>> {
        Ok(Box::new(self.build(catalog)?))
    }
}
