//! Recommender settings by name.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::AnyRecommender;
use crate::als::AlsParams;
use crate::content::{Catalog, ContentParams};
use crate::error::{Error, Result};
use crate::hybrid::Hybrid;
use crate::interactions::Interactions;
use crate::popularity::Popularity;
use crate::recommender::FitControl;

/// The settings of one recommender, tagged by its name.
///
/// In JSON: `{"kind": "als", "factors": 64, "iterations": 10}`,
/// `{"kind": "hybrid", "members": [{"weight": 1.0, "model": {"kind": "popular"}}]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RecommenderConfig {
    /// [`ImplicitAls`](crate::als::ImplicitAls).
    Als(AlsParams),
    /// [`ContentRecommender`](crate::content::ContentRecommender) (needs a catalog when built).
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

/// The error for content settings fitted without a catalog.
pub(crate) fn missing_catalog() -> Error {
    Error::param(
        "catalog",
        "a catalog of item texts for the content recommender",
        "none",
    )
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

    /// Whether fitting needs a catalog: content settings, or a hybrid with a content member.
    pub fn needs_catalog(&self) -> bool {
        match self {
            RecommenderConfig::Content(_) => true,
            RecommenderConfig::Hybrid { members } => {
                members.iter().any(|m| m.model.needs_catalog())
            }
            _ => false,
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
                    return Err(crate::hybrid::nested_hybrid());
                }
                crate::hybrid::check_weights(
                    &members.iter().map(|m| m.weight).collect::<Vec<_>>(),
                )?;
                members.iter().try_for_each(|m| m.model.validate())
            }
        }
    }

    /// Trains a recommender with these settings on `data`; content members index `catalog`
    /// (required when there are any). The settings are checked first.
    pub fn fit(
        &self,
        data: &Interactions,
        catalog: Option<&Arc<Catalog>>,
    ) -> Result<AnyRecommender> {
        self.fit_controlled(data, catalog, &FitControl::none())
    }

    /// [`fit`](Self::fit) watched and stoppable through `control`, which is checked before each
    /// model (each member of a hybrid) and between ALS iterations.
    pub fn fit_controlled(
        &self,
        data: &Interactions,
        catalog: Option<&Arc<Catalog>>,
        control: &FitControl<'_>,
    ) -> Result<AnyRecommender> {
        self.validate()?;
        control.check()?;
        Ok(match self {
            RecommenderConfig::Als(p) => AnyRecommender::Als(p.fit_controlled(data, control)?),
            RecommenderConfig::Content(p) => {
                let catalog = catalog.ok_or_else(missing_catalog)?;
                AnyRecommender::Content(p.fit(Arc::clone(catalog))?)
            }
            RecommenderConfig::Popular => AnyRecommender::Popular(Popularity::fit(data)?),
            RecommenderConfig::Hybrid { members } => {
                let fitted = members
                    .iter()
                    .map(|m| Ok((m.model.fit_controlled(data, catalog, control)?, m.weight)))
                    .collect::<Result<Vec<_>>>()?;
                AnyRecommender::Hybrid(Box::new(Hybrid::new(fitted)?))
            }
        })
    }
}
