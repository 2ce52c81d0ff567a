//! What a fit starts from, for handles made before they are trained.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{AnyRecommender, RecommenderConfig};
use crate::content::Catalog;
use crate::error::{Error, Result};
use crate::hybrid::Hybrid;
use crate::interactions::Interactions;
use crate::persist::Persist;
use crate::recommender::{FitControl, Recommender};

/// A recommender as the bindings' objects hold it: made first (`ALS(factors=64)`,
/// `Hybrid([(als, 0.7), (popular, 0.3)])`), trained by a later `fit`, and trainable again.
/// Every fit goes through the core's one shape (settings train a model); this only says which
/// settings.
#[derive(Clone, Debug)]
pub enum Spec {
    /// Settings, with the catalog that content settings index.
    Config {
        /// The recommender's settings.
        config: RecommenderConfig,
        /// The item texts, for content settings (and hybrids with a content member).
        catalog: Option<Arc<Catalog>>,
    },
    /// A trained model; fitting trains it again with its settings ([`AnyRecommender::refit`]).
    Trained(Arc<AnyRecommender>),
    /// A blend of the members, each trained by the blend's fit, in fallback order.
    Hybrid(Vec<(Spec, f32)>),
}

impl Spec {
    /// The settings `config`, with `catalog` for content models (required when there are
    /// any: checked here, not at the fit).
    pub fn config(config: RecommenderConfig, catalog: Option<Arc<Catalog>>) -> Result<Self> {
        config.validate()?;
        if catalog.is_none() && config.needs_catalog() {
            return Err(crate::factory::missing_catalog());
        }
        Ok(Spec::Config { config, catalog })
    }

    /// A blend of `members` with their weights: single models (no blend inside a blend),
    /// weights finite and >= 0, one of them > 0.
    pub fn hybrid(members: Vec<(Spec, f32)>) -> Result<Self> {
        if members.iter().any(|(m, _)| m.kind() == "hybrid") {
            return Err(crate::hybrid::nested_hybrid());
        }
        crate::hybrid::check_weights(&members.iter().map(|(_, w)| *w).collect::<Vec<_>>())?;
        Ok(Spec::Hybrid(members))
    }

    /// The kind of model a fit makes (`"als"`, `"content"`, `"popular"`, `"hybrid"`).
    pub fn kind(&self) -> &'static str {
        match self {
            Spec::Config { config, .. } => config.name(),
            Spec::Trained(m) => m.kind(),
            Spec::Hybrid(_) => "hybrid",
        }
    }

    /// The trained model, if this is one.
    pub fn trained(&self) -> Option<&Arc<AnyRecommender>> {
        match self {
            Spec::Trained(m) => Some(m),
            _ => None,
        }
    }

    /// Trains a model on `data` (the spec itself is unchanged), watched and stoppable through
    /// `control`.
    pub fn fit(&self, data: &Interactions, control: &FitControl<'_>) -> Result<AnyRecommender> {
        match self {
            Spec::Config { config, catalog } => {
                config.fit_controlled(data, catalog.as_ref(), control)
            }
            Spec::Trained(m) => m.refit(data, control),
            Spec::Hybrid(members) => {
                let fitted = members
                    .iter()
                    .map(|(m, w)| Ok((m.fit(data, control)?, *w)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(AnyRecommender::Hybrid(Box::new(Hybrid::new(fitted)?)))
            }
        }
    }
}

/// A spec as a file holds it: settings and trained models as themselves. Catalogs are not kept (as a content model's file keeps its index, not
/// its texts). One level only: a hybrid's members are single, so a crafted file cannot nest.
#[derive(Serialize, Deserialize)]
enum Stored {
    Single(Box<Member>),
    Hybrid(Vec<(Member, f32)>),
}

#[derive(Serialize, Deserialize)]
enum Member {
    Config(StoredConfig),
    Trained(Box<AnyRecommender>),
}

/// [`RecommenderConfig`] in a form the file format can hold (its JSON form is tagged by a
/// field, which a binary format cannot read back), one level deep.
#[derive(Serialize, Deserialize)]
enum StoredConfig {
    Single(SingleConfig),
    Hybrid(Vec<(SingleConfig, f32)>),
}

#[derive(Serialize, Deserialize)]
enum SingleConfig {
    Als(crate::als::AlsParams),
    Content(crate::content::ContentParams),
    Popular,
}

impl SingleConfig {
    fn of(config: &RecommenderConfig) -> Result<SingleConfig> {
        Ok(match config {
            RecommenderConfig::Als(p) => SingleConfig::Als(p.clone()),
            RecommenderConfig::Content(p) => SingleConfig::Content(p.clone()),
            RecommenderConfig::Popular {} => SingleConfig::Popular,
            RecommenderConfig::Hybrid { .. } => {
                return Err(crate::hybrid::nested_hybrid());
            }
        })
    }

    fn config(self) -> RecommenderConfig {
        match self {
            SingleConfig::Als(p) => RecommenderConfig::Als(p),
            SingleConfig::Content(p) => RecommenderConfig::Content(p),
            SingleConfig::Popular => RecommenderConfig::Popular {},
        }
    }
}

impl StoredConfig {
    fn of(config: &RecommenderConfig) -> Result<StoredConfig> {
        Ok(match config {
            RecommenderConfig::Hybrid { members } => StoredConfig::Hybrid(
                members
                    .iter()
                    .map(|m| Ok((SingleConfig::of(&m.model)?, m.weight)))
                    .collect::<Result<_>>()?,
            ),
            single => StoredConfig::Single(SingleConfig::of(single)?),
        })
    }

    fn config(self) -> RecommenderConfig {
        match self {
            StoredConfig::Single(c) => c.config(),
            StoredConfig::Hybrid(members) => RecommenderConfig::Hybrid {
                members: members
                    .into_iter()
                    .map(|(c, weight)| super::HybridMember {
                        weight,
                        model: c.config(),
                    })
                    .collect(),
            },
        }
    }
}

impl Member {
    fn of(spec: &Spec) -> Result<Member> {
        Ok(match spec {
            Spec::Config { config, .. } => Member::Config(StoredConfig::of(config)?),
            Spec::Trained(m) => Member::Trained(Box::new(m.as_ref().clone())),
            Spec::Hybrid(_) => {
                return Err(crate::hybrid::nested_hybrid());
            }
        })
    }

    fn spec(self) -> Result<Spec> {
        Ok(match self {
            Member::Config(config) => {
                // files keep no catalog: content settings read back ask for one at the fit
                let config = config.config();
                config
                    .validate()
                    .map_err(|e| Error::CorruptModel(format!("settings: {e}")))?;
                Spec::Config {
                    config,
                    catalog: None,
                }
            }
            Member::Trained(m) => {
                m.check_loaded()?;
                Spec::Trained(Arc::new(*m))
            }
        })
    }
}

impl Spec {
    /// The spec in the versioned, checksummed file format: a trained model's own file (kind
    /// `recommender`, what [`AnyRecommender::load`](crate::Persist::load) reads), otherwise the
    /// settings (kind `recommender_spec`), so an object saved before its fit loads as it was.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let stored = match self {
            Spec::Trained(m) => return m.to_bytes(),
            Spec::Hybrid(members) => Stored::Hybrid(
                members
                    .iter()
                    .map(|(m, w)| Ok((Member::of(m)?, *w)))
                    .collect::<Result<_>>()?,
            ),
            single => Stored::Single(Box::new(Member::of(single)?)),
        };
        stored.to_bytes()
    }

    /// Writes [`to_bytes`](Self::to_bytes)'s bytes to `path`, atomically as
    /// [`Persist::save`] does.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        crate::persist::write_atomically(path.as_ref(), &self.to_bytes()?)
    }

    /// Reads [`to_bytes`](Self::to_bytes)'s bytes (either kind), checking settings as
    /// [`Spec::config`] and [`Spec::hybrid`] check their input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Spec> {
        let stored = match AnyRecommender::from_bytes(bytes) {
            Ok(m) => return Ok(Spec::Trained(Arc::new(m))),
            // neither a model nor a spec: the model file's error
            Err(e) => Stored::from_bytes(bytes).map_err(|_| e)?,
        };
        match stored {
            Stored::Single(m) => m.spec(),
            Stored::Hybrid(members) => Spec::hybrid(
                members
                    .into_iter()
                    .map(|(m, w)| Ok((m.spec()?, w)))
                    .collect::<Result<_>>()?,
            )
            .map_err(|e| Error::CorruptModel(format!("hybrid members: {e}"))),
        }
    }
}

impl Persist for Stored {
    const KIND: &'static str = "recommender_spec";
    const VERSION: u32 = 1;
}
