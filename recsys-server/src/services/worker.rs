//! The training worker: one job at a time per process, claimed from the store's queue (so with
//! several replicas each run is trained by exactly one), fitted on a blocking thread while a
//! heartbeat writes its progress every second and hears cancel requests. A run whose process
//! died stops beating and is failed by whichever worker looks next; its version was never
//! written (a version is saved in the same transaction that ends the run).
//!
//! Also the schedule: a retraining of the serving model queued every N hours or after M new
//! events, when configured.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use recsys_core::factory::RecommenderConfig;
use recsys_core::{FitControl, FitProgress};
use recsys_store::{NewAuditEntry, RunStatus, TrainingRun};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::error::{ApiError, ApiResult};
use crate::services::models::SERVING_MODEL;
use crate::services::training;
use crate::state::AppState;

/// How often a running job writes its heartbeat and progress.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A running run with no heartbeat for this long belongs to a dead process.
pub const STALE_AFTER_MS: i64 = 10_000;

/// This process's worker identity and its wake-up call.
#[derive(Debug)]
pub struct TrainingWorker {
    /// `<host>:<pid>:<random>`: unique per process start.
    pub id: String,
    wake: Notify,
    /// The run this process is training now.
    current: Mutex<Option<i64>>,
}

impl Default for TrainingWorker {
    fn default() -> Self {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "host".into());
        let random = uuid::Uuid::new_v4().simple().to_string();
        TrainingWorker {
            id: format!("{host}:{}:{}", std::process::id(), &random[..8]),
            wake: Notify::new(),
            current: Mutex::new(None),
        }
    }
}

impl TrainingWorker {
    /// Tells the loop a run was queued (other replicas find it at their next poll).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The run being trained now, if any.
    pub fn current(&self) -> Option<i64> {
        self.current.lock().ok().and_then(|c| *c)
    }

    fn set_current(&self, run: Option<i64>) {
        if let Ok(mut c) = self.current.lock() {
            *c = run;
        }
    }
}

/// The params a queued run carries: the settings to fit.
pub fn run_params(config: &RecommenderConfig) -> ApiResult<Value> {
    Ok(json!({ "config": serde_json::to_value(config).map_err(ApiError::internal)? }))
}

impl AppState {
    /// Queues a run of `model` with `config`; refused while a run of that model is queued
    /// (it would train on the same data).
    pub async fn queue_training(
        &self,
        model: &str,
        config: &RecommenderConfig,
    ) -> ApiResult<TrainingRun> {
        let queued = self
            .store
            .list_training_runs(Some(model), recsys_store::Page::new(20, 0))
            .await?;
        if let Some(q) = queued.items.iter().find(|r| r.status == RunStatus::Queued) {
            return Err(ApiError::Conflict(format!(
                "run {} of model '{model}' is already queued",
                q.id
            )));
        }
        let run = self
            .store
            .create_training_run(model, None, &run_params(config)?)
            .await?;
        self.worker.wake();
        Ok(run)
    }

    /// Trains one claimed run to its end and records how it ended.
    pub async fn execute_run(&self, run: TrainingRun) -> TrainingRun {
        let id = run.id;
        let started = Instant::now();
        let worker = self.worker.id.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(Mutex::new(json!({"stage": "reading the events"})));
        let heartbeat = {
            let (state, stop, progress, worker) =
                (self.clone(), stop.clone(), progress.clone(), worker.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(HEARTBEAT);
                loop {
                    tick.tick().await;
                    let mut now = progress.lock().map(|p| p.clone()).unwrap_or(Value::Null);
                    now["elapsed_s"] = json!(started.elapsed().as_secs_f64());
                    match state.store.heartbeat_training_run(id, &worker, &now).await {
                        Ok(false) => {}
                        Ok(true) => stop.store(true, Ordering::Relaxed),
                        Err(e) => {
                            tracing::warn!(run = id, error = %e, "training heartbeat failed; stopping the run");
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
            })
        };
        self.worker.set_current(Some(id));
        let outcome = self.train_claimed(&run, stop.clone(), progress).await;
        self.worker.set_current(None);
        heartbeat.abort();
        let stopped = stop.load(Ordering::Relaxed);
        let ended = match outcome {
            Ok(new) => match self.store.succeed_training_run(id, &worker, &new).await {
                Ok((run, version)) => {
                    tracing::info!(run = id, model = %version.name, version = version.version,
                        seconds = started.elapsed().as_secs_f64(), "training run succeeded");
                    if let Err(e) = self.maybe_auto_activate(&version).await {
                        tracing::error!(run = id, error = %e, "auto-activation failed");
                    }
                    Ok(run)
                }
                Err(e) => Err(e),
            },
            Err(_) if stopped => {
                self.store
                    .end_training_run(id, &worker, RunStatus::Cancelled, Some("cancelled"))
                    .await
            }
            Err(e) => {
                tracing::warn!(run = id, error = %e, "training run failed");
                self.store
                    .end_training_run(id, &worker, RunStatus::Failed, Some(&e.to_string()))
                    .await
            }
        };
        match ended {
            Ok(run) => run,
            Err(e) => {
                // the claim was lost (failed as stale meanwhile): the store's record stands
                tracing::error!(run = id, error = %e, "training run could not be recorded");
                self.store.training_run(id).await.unwrap_or(run)
            }
        }
    }

    async fn train_claimed(
        &self,
        run: &TrainingRun,
        stop: Arc<AtomicBool>,
        progress: Arc<Mutex<Value>>,
    ) -> ApiResult<recsys_store::NewModelVersion> {
        let config = RecommenderConfig::from_json_value(&run.params["config"])?;
        let (store, name) = (self.store.clone(), run.model_name.clone());
        let runtime = tokio::runtime::Handle::current();
        // the whole run on one blocking thread, reading its data included: what it allocates is
        // freed on that thread and given back to the system at the end (services/memory.rs)
        tokio::task::spawn_blocking(move || {
            let input = runtime.block_on(training::load_training_data(&store, &name))?;
            let report = |p: &FitProgress| {
                if let Ok(mut now) = progress.lock() {
                    now["model"] = json!(p.model);
                    now["iteration"] = json!(p.iteration + 1);
                    now["iterations"] = json!(p.iterations);
                    now["loss"] = json!(p.loss);
                }
            };
            let stage = |s: &'static str| {
                if let Ok(mut now) = progress.lock() {
                    *now = json!({ "stage": s });
                }
            };
            let control = FitControl::default()
                .with_progress(&report)
                .with_stop(&stop);
            let version = training::fit_version(&name, &config, &input, &control, &stage);
            drop(input);
            crate::services::memory::release_freed();
            version
        })
        .await
        .map_err(ApiError::internal)?
    }

    async fn maybe_auto_activate(&self, version: &recsys_store::ModelVersion) -> ApiResult<()> {
        let Some(margin) = self.settings.auto_activate_margin else {
            return Ok(());
        };
        let new = version.metrics["ndcg_at_10"].as_f64().unwrap_or(0.0);
        let better = match version.metrics["active"]["ndcg_at_10"].as_f64() {
            None => true,
            Some(active) => new >= active * (1.0 + margin) && new > active,
        };
        if better {
            self.models.activate(version.id).await?;
            self.store
                .append_audit(&NewAuditEntry {
                    actor_id: None,
                    api_key_id: None,
                    client_addr: None,
                    action: "model.auto_activate".into(),
                    target_type: "model_version".into(),
                    target_id: Some(version.id.to_string()),
                    before: None,
                    after: Some(json!({"name": version.name, "version": version.version, "ndcg_at_10": new})),
                })
                .await?;
            tracing::info!(model = %version.name, version = version.version, "new version activated automatically");
        }
        Ok(())
    }

    /// Fails runs of dead workers, then trains queued runs one after another.
    pub async fn work_queue(&self) -> ApiResult<()> {
        for run in self.store.fail_stale_training_runs(STALE_AFTER_MS).await? {
            tracing::warn!(run = run.id, worker = ?run.worker, "training run of a stopped worker marked failed");
        }
        while let Some(run) = self.store.claim_training_run(&self.worker.id).await? {
            tracing::info!(run = run.id, model = %run.model_name, "training run claimed");
            self.execute_run(run).await;
        }
        Ok(())
    }

    /// Queues a run and trains it here and now (runs queued before it are trained first):
    /// what the demo's first start and the tests use. Returns the run as it ended.
    pub async fn train_now(
        &self,
        model: &str,
        config: &RecommenderConfig,
    ) -> ApiResult<TrainingRun> {
        let ours = self.queue_training(model, config).await?;
        while let Some(run) = self.store.claim_training_run(&self.worker.id).await? {
            let id = run.id;
            let ended = self.execute_run(run).await;
            if id == ours.id {
                return Ok(ended);
            }
        }
        // another worker claimed it: wait for its end
        loop {
            let run = self.store.training_run(ours.id).await?;
            if run.status.is_final() {
                return Ok(run);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// On a clean shutdown: the run being trained is ended as failed at once (instead of when
    /// its heartbeat is found stale), so it can be queued again.
    pub async fn abandon_current_run(&self) {
        if let Some(id) = self.worker.current()
            && let Err(e) = self
                .store
                .end_training_run(
                    id,
                    &self.worker.id,
                    RunStatus::Failed,
                    Some("the server shut down during training"),
                )
                .await
        {
            tracing::warn!(run = id, error = %e, "the interrupted run could not be marked failed");
        }
    }

    /// Queues a retraining of the serving model when the schedule says it is due.
    pub async fn schedule(&self) -> ApiResult<()> {
        let (every, after) = (
            self.settings.retrain_every,
            self.settings.retrain_after_events,
        );
        if every.is_none() && after.is_none() {
            return Ok(());
        }
        let runs = self
            .store
            .list_training_runs(Some(SERVING_MODEL), recsys_store::Page::new(1, 0))
            .await?;
        let last = runs.items.first();
        if last.is_some_and(|r| !r.status.is_final()) {
            return Ok(());
        }
        let since = last.map(|r| r.created_at);
        let due_by_time = every.is_some_and(|e| {
            since.is_none_or(|t| recsys_store::now_ms() - t >= e.as_millis() as i64)
        });
        let due_by_events = match (after, since) {
            (Some(n), Some(t)) => self.store.count_events_since(t).await? >= n as i64,
            (Some(_), None) => true,
            _ => false,
        };
        if due_by_time || due_by_events {
            let config = match self.store.active_model_version(SERVING_MODEL).await? {
                Some(v) => {
                    serde_json::from_value(v.params).unwrap_or_else(|_| training::default_config())
                }
                None => training::default_config(),
            };
            let run = self.queue_training(SERVING_MODEL, &config).await?;
            tracing::info!(run = run.id, "scheduled retraining queued");
        }
        Ok(())
    }
}

/// The worker loop: wakes on a queued run of this process or every `poll`.
pub async fn run(state: AppState, poll: Duration) {
    loop {
        if let Err(e) = state.schedule().await {
            tracing::warn!(error = %e, "training schedule check failed");
        }
        if let Err(e) = state.work_queue().await {
            tracing::error!(error = %e, "training queue failed");
        }
        tokio::select! {
            _ = state.worker.wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
