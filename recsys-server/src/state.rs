//! What every handler shares: the store, the account service, the serving model, the catalog
//! cache and the analytics queue. Cheap to clone (one `Arc`).

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;
use recsys_store::{BackendKind, Store, StoreOptions};

use crate::auth::Auth;
use crate::auth::throttle::RateLimiter;
use crate::config::Settings;
use crate::services::catalog::CatalogCache;
use crate::services::experiments::Experiments;
use crate::services::list_cache::ListCache;
use crate::services::models::Models;
use crate::services::recorder::{Recorder, RecorderTask};
use crate::services::worker::TrainingWorker;
use crate::ttl_cache::TtlCache;

/// The shared state of one server process.
#[derive(Debug)]
pub struct Shared {
    pub store: Store,
    pub settings: Settings,
    pub auth: Auth,
    pub models: Models,
    pub experiments: Experiments,
    pub catalog: CatalogCache,
    pub recorder: Recorder,
    pub metrics: PrometheusHandle,
    pub rate_limit: Option<RateLimiter>,
    /// This process's training worker (identity and wake-up).
    pub worker: TrainingWorker,
    /// Each user's bought products (what their lists leave out).
    pub purchases: TtlCache<crate::services::recommend::IdSet>,
    /// Customers' histories as the models see them, trusted for the same time.
    pub histories: TtlCache<Arc<crate::services::recommend::History>>,
    /// The model's lists by what decides them.
    pub lists: ListCache,
    /// Product pictures (disk or S3).
    pub images: crate::services::images::Images,
    pub started: Instant,
}

/// A handle to [`Shared`].
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Shared>);

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The process-wide Prometheus recorder (the `metrics` facade has one global recorder; tests
/// build many apps in one process).
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ])
                .expect("static buckets are valid");
            match builder.install_recorder() {
                Ok(handle) => handle,
                // another recorder is installed (an embedding program's): render ours anyway
                Err(_) => metrics_exporter_prometheus::PrometheusBuilder::new()
                    .build_recorder()
                    .handle(),
            }
        })
        .clone()
}

/// The JWT secret: the configured one, or on SQLite one generated on first start and kept in a
/// file beside the database (mode 0600), so restarts keep sessions valid.
pub fn jwt_secret(settings: &Settings) -> Result<Vec<u8>, String> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.clone());
    }
    let Some(db) = settings.sqlite_file() else {
        // an in-memory database lives as long as the process: so may its secret
        return crate::auth::tokens::random_hex(32)
            .map(String::into_bytes)
            .map_err(|e| e.to_string());
    };
    let path = db.with_extension("jwt-secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_string();
        if s.len() >= 32 {
            return Ok(s.into_bytes());
        }
    }
    let secret = crate::auth::tokens::random_hex(32).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("jwt-secret.part");
    std::fs::write(&tmp, &secret).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600));
    }
    std::fs::rename(&tmp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(secret.into_bytes())
}

impl AppState {
    /// Connects to the database (migrating it), loads the catalog and the active model, and
    /// starts the analytics writer. The returned task must be finished on shutdown.
    pub async fn build(settings: Settings) -> Result<(AppState, RecorderTask), String> {
        if let Some(dir) = settings
            .sqlite_file()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let store = Store::connect_with(
            &settings.database_url,
            StoreOptions {
                max_connections: settings.db_pool,
                acquire_timeout: settings.db_acquire_timeout,
                ..StoreOptions::default()
            },
        )
        .await
        .map_err(|e| format!("database: {e}"))?;
        let secret = jwt_secret(&settings)?;
        let auth = Auth::new(store.clone(), &secret, &settings).await?;
        let catalog = CatalogCache::load(store.clone(), &settings.currency)
            .await
            .map_err(|e| format!("catalog: {e}"))?;
        let models = Models::new(store.clone());
        if let Err(e) = models.sync().await {
            tracing::error!(error = %e, "the active model could not be loaded; serving without it");
        }
        let experiments = Experiments::default();
        if let Err(e) = experiments.sync(&store, &models).await {
            tracing::error!(error = %e, "the running experiments could not be loaded");
        }
        let (recorder, task) = Recorder::start(store.clone());
        let rate_limit = (settings.rate_limit_per_s > 0)
            .then(|| RateLimiter::new(settings.rate_limit_per_s, settings.rate_burst));
        let purchases = TtlCache::new(settings.user_cache_ttl);
        let histories = TtlCache::new(settings.user_cache_ttl);
        let lists = ListCache::new(settings.list_cache_entries, settings.list_cache_bytes);
        let images = crate::services::images::Images::open(
            settings.image_store.clone(),
            settings.image_max_bytes,
        )
        .await?;
        let state = AppState(Arc::new(Shared {
            store,
            settings,
            auth,
            models,
            experiments,
            catalog,
            recorder,
            metrics: prometheus(),
            rate_limit,
            purchases,
            histories,
            lists,
            images,
            worker: TrainingWorker::default(),
            started: Instant::now(),
        }));
        Ok((state, task))
    }

    pub fn backend_name(&self) -> &'static str {
        match self.store.backend_kind() {
            BackendKind::Postgres => "postgres",
            BackendKind::Sqlite => "sqlite",
        }
    }
}
