//! The model that serves recommendations, held in memory and swapped atomically (arc-swap):
//! a request takes the current one and keeps it for its whole life, so a swap never fails a
//! request and each response says which version answered.
//!
//! The store says which version is active; every replica polls it and loads a newly activated
//! version (checksum checked by the store; a damaged one is refused and the old one keeps
//! serving).

use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwapOption;
use recsys_core::factory::AnyRecommender;
use recsys_core::{Interactions, Persist};
use recsys_store::{EventWeights, ModelVersion, Store};

use crate::error::{ApiError, ApiResult};

/// The model name whose active version serves the shop.
pub const SERVING_MODEL: &str = "hybrid";

/// A loaded model version.
#[derive(Debug)]
pub struct Serving {
    pub version: ModelVersion,
    pub model: AnyRecommender,
    /// The interactions in the store when the version was loaded: each user's history, for
    /// leaving out what they have seen.
    pub history: Interactions,
    pub loaded_at: Instant,
}

impl Serving {
    /// `name@vN`, as responses report it.
    pub fn label(&self) -> String {
        format!("{}@v{}", self.version.name, self.version.version)
    }
}

/// The serving model slot.
#[derive(Debug)]
pub struct Models {
    store: Store,
    current: ArcSwapOption<Serving>,
}

impl Models {
    pub fn new(store: Store) -> Models {
        Models {
            store,
            current: ArcSwapOption::empty(),
        }
    }

    /// The model serving now, if any.
    pub fn current(&self) -> Option<Arc<Serving>> {
        self.current.load_full()
    }

    /// Loads the active version from the store if it is not the one serving. Returns whether
    /// the serving model changed.
    pub async fn sync(&self) -> ApiResult<bool> {
        let Some(active) = self.store.active_model_version(SERVING_MODEL).await? else {
            return Ok(false);
        };
        if self.current().is_some_and(|s| s.version.id == active.id) {
            return Ok(false);
        }
        self.load(active).await?;
        Ok(true)
    }

    /// Loads a version and makes it the serving one.
    pub async fn load(&self, version: ModelVersion) -> ApiResult<()> {
        // the store checks the SHA-256 of the bytes: a damaged version is Corrupt here
        let blob = self.store.model_blob(version.id).await?;
        let history = self
            .store
            .interactions(&EventWeights::default(), None)
            .await?;
        let model = tokio::task::spawn_blocking(move || AnyRecommender::from_bytes(&blob))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| {
                ApiError::Internal(format!(
                    "model version {} cannot be loaded: {e}",
                    version.id
                ))
            })?;
        let serving = Arc::new(Serving {
            version,
            model,
            history,
            loaded_at: Instant::now(),
        });
        tracing::info!(model = %serving.label(), "serving model loaded");
        self.current.store(Some(serving));
        metrics::gauge!("recsys_model_loads_total").increment(1.0);
        Ok(())
    }
}
