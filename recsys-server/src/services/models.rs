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
use recsys_core::Persist;
use recsys_core::factory::{AnyRecommender, RECOMMENDER_NAMES};
use recsys_store::{ModelVersion, Store};

use crate::error::{ApiError, ApiResult};

/// The model name whose active version serves the shop.
pub const SERVING_MODEL: &str = "hybrid";

/// A store error reading a version's bytes, with a checksum mismatch as a 409 naming it.
fn damaged(version_id: i64) -> impl Fn(recsys_store::StoreError) -> ApiError {
    move |e| match e {
        recsys_store::StoreError::Corrupt { .. } => ApiError::Conflict(format!(
            "model version {version_id} is damaged and cannot be served: {e}"
        )),
        other => other.into(),
    }
}

/// A loaded model version.
#[derive(Debug)]
pub struct Serving {
    pub version: ModelVersion,
    /// The fitted model alone: a customer's history is read per customer when a list is made
    /// (`AppState::history`), so loading a version reads no events and experiment arms share
    /// nothing but the store.
    pub model: AnyRecommender,
    pub loaded_at: Instant,
    /// `name@vN`, as responses report it.
    label: String,
}

impl Serving {
    /// `name@vN`, as responses report it.
    pub fn label(&self) -> &str {
        &self.label
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
        let serving = self.prepare(version).await?;
        self.install(serving);
        Ok(())
    }

    /// Reads and deserializes a version (its checksum checked by the store): a damaged
    /// version is an error here, before anything changes.
    async fn prepare(&self, version: ModelVersion) -> ApiResult<Serving> {
        let blob = self
            .store
            .model_blob(version.id)
            .await
            .map_err(damaged(version.id))?;
        let id = version.id;
        let model = tokio::task::spawn_blocking(move || {
            let model = AnyRecommender::from_bytes(&blob);
            drop(blob);
            crate::services::memory::release_freed();
            model
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| {
            ApiError::Conflict(format!(
                "model version {id} is damaged and cannot be served: {e}"
            ))
        })?;
        Ok(Serving {
            label: format!("{}@v{}", version.name, version.version),
            version,
            model,
            loaded_at: Instant::now(),
        })
    }

    /// A version loaded for serving beside the active one (an experiment's arm).
    pub async fn load_version(&self, version_id: i64) -> ApiResult<Arc<Serving>> {
        let version = self.store.model_version(version_id).await?;
        Ok(Arc::new(self.prepare(version).await?))
    }

    fn install(&self, serving: Serving) {
        let serving = Arc::new(serving);
        tracing::info!(model = %serving.label(), "serving model loaded");
        self.current.store(Some(serving));
        metrics::counter!("recsys_model_loads_total").increment(1);
    }

    /// Makes a version the active one of its name: it is loaded first (a damaged version is
    /// refused and nothing changes), then activated in the store (every replica follows within
    /// its poll), then, for the serving model, swapped in here at once.
    pub async fn activate(&self, version_id: i64) -> ApiResult<ModelVersion> {
        let version = self.store.model_version(version_id).await?;
        if !RECOMMENDER_NAMES.contains(&version.kind.as_str()) {
            // not a recommender (a segmentation): the bytes' checksum is what can be checked
            self.store
                .model_blob(version_id)
                .await
                .map_err(damaged(version_id))?;
            return Ok(self.store.activate_model_version(version_id).await?);
        }
        let mut serving = self.prepare(version).await?;
        let active = self.store.activate_model_version(version_id).await?;
        if active.name == SERVING_MODEL {
            serving.version = active.clone();
            self.install(serving);
        }
        Ok(active)
    }

    /// Activates the version before the active one of `name` (the same checks as
    /// [`activate`](Self::activate)).
    pub async fn rollback(&self, name: &str) -> ApiResult<ModelVersion> {
        let versions = self.store.list_model_versions(name).await?;
        let Some(active) = versions.iter().find(|v| v.active) else {
            return Err(ApiError::Conflict(format!(
                "model '{name}' has no active version to roll back from"
            )));
        };
        // newest first: the first older than the active one
        let Some(previous) = versions.iter().find(|v| v.version < active.version) else {
            return Err(ApiError::Conflict(format!(
                "model '{name}' has no version before v{} to roll back to",
                active.version
            )));
        };
        self.activate(previous.id).await
    }
}
