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
/// `{"kind": "hybrid", "members": [{"weight": 1.0, "model": {"kind": "popular"}}]}`. Every
/// level refuses a field it does not have (a misspelt setting is an error, never a default in
/// silence); [`from_json`](Self::from_json) says where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum RecommenderConfig {
    /// [`ImplicitAls`](crate::als::ImplicitAls).
    Als(AlsParams),
    /// [`ContentRecommender`](crate::content::ContentRecommender) (needs a catalog when built).
    Content(ContentParams),
    /// [`Popularity`]. A variant without settings is written `Popular {}` so that serde
    /// refuses fields it does not have, as it does for the others (a unit variant of a tagged
    /// enum ignores them); the JSON and the model files are the same either way.
    Popular {},
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

/// `T` from `value`, which sits at `path` of a config; an error names the deepest place it
/// can. serde reads a tagged config whole before it looks at the fields, so it can say that a
/// config was wrong but not where inside it: the error is located by reading the part it
/// stopped at again, by its kind (a hybrid's members one by one, a model's settings alone).
fn read_at<T: serde::de::DeserializeOwned>(value: &serde_json::Value, path: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let (mut here, mut part) = (path.to_owned(), Some(value));
        for segment in e.path().iter() {
            use serde_path_to_error::Segment;
            part = match segment {
                Segment::Seq { index } => {
                    here.push_str(&format!("[{index}]"));
                    part.and_then(|v| v.get(index))
                }
                Segment::Map { key } => {
                    here.push_str(&format!(".{key}"));
                    part.and_then(|v| v.get(key))
                }
                Segment::Enum { .. } | Segment::Unknown => part,
            };
        }
        part.and_then(|part| inside_config(part, &here))
            .unwrap_or_else(|| {
                let reason = e.into_inner().to_string();
                // where the tagged config itself has a field it does not know, the path stops
                // at the config: the field is the last step
                if let Some(field) = unknown_field(&reason)
                    && !here.ends_with(&format!(".{field}"))
                {
                    here.push_str(&format!(".{field}"));
                }
                Error::InvalidConfig { path: here, reason }
            })
    })
}

/// The field serde names in its "unknown field `name`, ..." message.
fn unknown_field(reason: &str) -> Option<&str> {
    reason.strip_prefix("unknown field `")?.split('`').next()
}

/// The error inside the tagged config `part` (at `path`), when it has one serde can place.
fn inside_config(part: &serde_json::Value, path: &str) -> Option<Error> {
    let settings = || {
        let mut v = part.clone();
        v.as_object_mut().map(|o| o.remove("kind"));
        v
    };
    match part.get("kind")?.as_str()? {
        "als" => read_at::<AlsParams>(&settings(), path).err(),
        "content" => read_at::<ContentParams>(&settings(), path).err(),
        "hybrid" => part
            .get("members")?
            .as_array()?
            .iter()
            .enumerate()
            .find_map(|(i, m)| read_at::<HybridMember>(m, &format!("{path}.members[{i}]")).err()),
        _ => None,
    }
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
            "popular" => RecommenderConfig::Popular {},
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
                        model: RecommenderConfig::Popular {},
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

    /// Settings from their JSON text, checked: a field unknown at any depth, a value of the
    /// wrong type or out of range is [`Error::InvalidConfig`] naming where
    /// (`members[1].model: unknown field `factorz`, expected one of ...`). The one parser of
    /// configs that arrive as text (the server's admin API and both bindings use it).
    ///
    /// ```
    /// use recsys_core::factory::RecommenderConfig;
    /// let c = RecommenderConfig::from_json(r#"{"kind": "als", "factors": 8}"#).unwrap();
    /// assert_eq!(c.name(), "als");
    /// let e = RecommenderConfig::from_json(r#"{"kind": "als", "factorz": 8}"#).unwrap_err();
    /// assert!(e.to_string().contains("unknown field `factorz`"), "{e}");
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::InvalidConfig {
                path: "config".to_owned(),
                reason: e.to_string(),
            })?;
        Self::from_json_value(&value)
    }

    /// [`from_json`](Self::from_json) of JSON already parsed.
    pub fn from_json_value(value: &serde_json::Value) -> Result<Self> {
        let config: Self = read_at(value, "config")?;
        config.validate()?;
        Ok(config)
    }

    /// The name of this kind of recommender.
    pub fn name(&self) -> &'static str {
        match self {
            RecommenderConfig::Als(_) => "als",
            RecommenderConfig::Content(_) => "content",
            RecommenderConfig::Popular {} => "popular",
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
            RecommenderConfig::Popular {} => Ok(()),
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
            RecommenderConfig::Popular {} => AnyRecommender::Popular(Popularity::fit(data)?),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        match RecommenderConfig::from_json(text) {
            Err(e @ Error::InvalidConfig { .. }) => e.to_string(),
            other => panic!("{text}: expected InvalidConfig, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_field_is_refused_at_any_depth_naming_where() {
        let cases = [
            (
                r#"{"kind": "als", "factorz": 8}"#,
                "config.factorz:",
                "`factorz`",
            ),
            (
                r#"{"kind": "popular", "window": 7}"#,
                "config.window:",
                "`window`",
            ),
            (
                r#"{"kind": "hybrid", "members": [], "weights": [1]}"#,
                "config.weights:",
                "`weights`",
            ),
            (
                r#"{"kind": "hybrid", "members": [{"weight": 1, "model": {"kind": "popular"}, "extra": 1}]}"#,
                "config.members[0].extra:",
                "`extra`",
            ),
            (
                r#"{"kind": "hybrid", "members": [{"weight": 1, "model": {"kind": "popular"}}, {"weight": 1, "model": {"kind": "als", "factorz": 8}}]}"#,
                "config.members[1].model.factorz:",
                "`factorz`",
            ),
            (
                r#"{"kind": "content", "tfidf": {"min_dff": 2}}"#,
                "config.tfidf.min_dff:",
                "`min_dff`",
            ),
        ];
        for (text, at, field) in cases {
            let message = refused(text);
            assert!(
                message.contains(&format!("invalid config at {at}")),
                "{text}: {message}"
            );
            assert!(
                message.contains(&format!("unknown field {field}")),
                "{text}: {message}"
            );
        }
    }

    #[test]
    fn a_wrong_type_an_unknown_kind_and_trailing_text_are_refused() {
        let wrong_type = refused(r#"{"kind": "als", "factors": "many"}"#);
        assert!(
            wrong_type.contains("invalid type: string \"many\""),
            "{wrong_type}"
        );
        let kind = refused(r#"{"kind": "svd"}"#);
        assert!(kind.contains("unknown variant `svd`"), "{kind}");
        let trailing = refused(r#"{"kind": "popular"} x"#);
        // text that is not JSON says where in the text
        assert!(
            trailing.contains("trailing characters at line 1 column 21"),
            "{trailing}"
        );
    }

    #[test]
    fn a_known_config_reads_back_as_written_and_values_are_checked() {
        for name in RECOMMENDER_NAMES {
            let config = RecommenderConfig::named(name).unwrap();
            let text = serde_json::to_string(&config).unwrap();
            assert_eq!(RecommenderConfig::from_json(&text).unwrap(), config);
        }
        let e = RecommenderConfig::from_json(r#"{"kind": "als", "factors": 0}"#).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidParam {
                    param: "factors",
                    ..
                }
            ),
            "{e}"
        );
    }
}
