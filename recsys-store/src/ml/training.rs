//! Training runs as a job queue: a run is queued, claimed by exactly one worker (Postgres:
//! `FOR UPDATE SKIP LOCKED`; SQLite: its single writer), which keeps a heartbeat with its
//! progress while it trains, and ends succeeded (saving its model version in the same
//! transaction), failed (with the error), or cancelled. A run whose worker stops beating (the
//! process was killed) is failed by [`Store::fail_stale_training_runs`], so no run stays
//! "running" forever and no version is ever half-written.

use serde::{Deserialize, Serialize};
use sqlx::types::Json;

use crate::error::{Result, StoreError};
use crate::ml::models::{ModelVersion, NewModelVersion, insert_version};
use crate::page::{Page, Paged};
use crate::store::{Backend, Store, with_pool, with_tx};
use crate::time::{Millis, now_ms};
use crate::validate;

/// Where a training run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the run has ended.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled
        )
    }

    fn parse(s: &str) -> Result<RunStatus> {
        [
            RunStatus::Queued,
            RunStatus::Running,
            RunStatus::Succeeded,
            RunStatus::Failed,
            RunStatus::Cancelled,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt {
            what: "training_runs.status".into(),
            reason: format!("unknown status '{s}'"),
        })
    }
}

/// One training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainingRun {
    pub id: i64,
    pub model_name: String,
    pub config_id: Option<i64>,
    pub status: RunStatus,
    pub params: serde_json::Value,
    pub created_at: Millis,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub error: Option<String>,
    pub model_version_id: Option<i64>,
    /// What the worker last reported (iteration, loss, elapsed, stage, ...).
    pub progress: serde_json::Value,
    /// The worker that claimed it.
    pub worker: Option<String>,
    pub heartbeat_at: Option<Millis>,
    pub cancel_requested: bool,
}

type RunRow = (
    i64,
    String,
    Option<i64>,
    String,
    Json<serde_json::Value>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Json<serde_json::Value>,
    Option<String>,
    Option<i64>,
    bool,
);

macro_rules! run_columns {
    () => {
        "id, model_name, config_id, status, params, created_at, started_at, finished_at, error, model_version_id, progress, worker, heartbeat_at, cancel_requested"
    };
}

fn run_from_row(r: RunRow) -> Result<TrainingRun> {
    Ok(TrainingRun {
        id: r.0,
        model_name: r.1,
        config_id: r.2,
        status: RunStatus::parse(&r.3)?,
        params: r.4.0,
        created_at: r.5,
        started_at: r.6,
        finished_at: r.7,
        error: r.8,
        model_version_id: r.9,
        progress: r.10.0,
        worker: r.11,
        heartbeat_at: r.12,
        cancel_requested: r.13,
    })
}

/// The claim lost: the run is no longer this worker's running run.
fn lost(id: i64, worker: &str) -> StoreError {
    StoreError::InvalidState {
        entity: "training run",
        id: id.to_string(),
        reason: format!("is not running on worker '{worker}' any more"),
    }
}

fn clean_error(error: &str) -> String {
    error.replace('\0', "").chars().take(10_000).collect()
}

impl Store {
    /// Queues a training run.
    pub async fn create_training_run(
        &self,
        model_name: &str,
        config_id: Option<i64>,
        params: &serde_json::Value,
    ) -> Result<TrainingRun> {
        validate::label("model_name", model_name)?;
        validate::json("params", params, false)?;
        let sql = concat!(
            "INSERT INTO training_runs (model_name, config_id, status, params, created_at) VALUES ($1, $2, 'queued', $3, $4) RETURNING ",
            run_columns!()
        );
        let row: RunRow = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(model_name).bind(config_id).bind(Json(params)).bind(now_ms()).fetch_one(pool).await)?;
        run_from_row(row)
    }

    /// Claims the oldest queued run for `worker` (it becomes running, with a first heartbeat).
    /// Concurrent claimers, in this process or another, never get the same run.
    pub async fn claim_training_run(&self, worker: &str) -> Result<Option<TrainingRun>> {
        validate::label("worker", worker)?;
        // Postgres: a claimer skips rows another claimer has locked; SQLite has one writer
        let pick = match self.backend {
            Backend::Postgres(_) => {
                "SELECT id FROM training_runs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
            }
            Backend::Sqlite(_) => {
                "SELECT id FROM training_runs WHERE status = 'queued' ORDER BY id LIMIT 1"
            }
        };
        let sql = format!(
            "UPDATE training_runs SET status = 'running', started_at = $2, heartbeat_at = $2, worker = $1 \
             WHERE id = ({pick}) AND status = 'queued' RETURNING {}",
            run_columns!()
        );
        let row: Option<RunRow> = with_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(worker).bind(now_ms()).fetch_optional(pool).await)?;
        row.map(run_from_row).transpose()
    }

    /// The worker's heartbeat with its progress. Returns whether a cancel was asked for;
    /// `InvalidState` when the run is no longer this worker's (failed as stale, say).
    pub async fn heartbeat_training_run(
        &self,
        id: i64,
        worker: &str,
        progress: &serde_json::Value,
    ) -> Result<bool> {
        validate::json("progress", progress, false)?;
        let cancel: Option<bool> = with_pool!(self, pool => sqlx::query_scalar(
            "UPDATE training_runs SET heartbeat_at = $3, progress = $4 \
             WHERE id = $1 AND worker = $2 AND status = 'running' RETURNING cancel_requested")
            .bind(id).bind(worker).bind(now_ms()).bind(Json(progress)).fetch_optional(pool).await)?;
        cancel.ok_or_else(|| lost(id, worker))
    }

    /// Ends a running run as succeeded: saves its model version and links it, in one
    /// transaction (a crash leaves either both or neither).
    pub async fn succeed_training_run(
        &self,
        id: i64,
        worker: &str,
        model: &NewModelVersion,
    ) -> Result<(TrainingRun, ModelVersion)> {
        self.check_new_version(model)?;
        with_tx!(self, tx => {
            let version = insert_version!(tx, model);
            let row: Option<RunRow> = sqlx::query_as(concat!(
                "UPDATE training_runs SET status = 'succeeded', finished_at = $3, model_version_id = $4 ",
                "WHERE id = $1 AND worker = $2 AND status = 'running' RETURNING ", run_columns!()))
                .bind(id).bind(worker).bind(now_ms()).bind(version.id)
                .fetch_optional(&mut *tx).await?;
            let run = run_from_row(row.ok_or_else(|| lost(id, worker))?)?;
            Ok((run, version))
        })
    }

    /// Ends this worker's running run as failed (with the error) or cancelled.
    pub async fn end_training_run(
        &self,
        id: i64,
        worker: &str,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<TrainingRun> {
        if !matches!(status, RunStatus::Failed | RunStatus::Cancelled) {
            return Err(StoreError::invalid(
                "status",
                "a run ends here as failed or cancelled (a success saves its version)",
            ));
        }
        let sql = concat!(
            "UPDATE training_runs SET status = $3, finished_at = $4, error = $5 ",
            "WHERE id = $1 AND worker = $2 AND status = 'running' RETURNING ",
            run_columns!()
        );
        let row: Option<RunRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(id).bind(worker).bind(status.as_str()).bind(now_ms()).bind(error.map(clean_error))
            .fetch_optional(pool).await)?;
        run_from_row(row.ok_or_else(|| lost(id, worker))?)
    }

    /// Cancels a run: a queued one at once, a running one by asking its worker (which stops
    /// at its next step). A run that has ended is `InvalidState`.
    pub async fn cancel_training_run(&self, id: i64) -> Result<TrainingRun> {
        let sql = concat!(
            "UPDATE training_runs SET ",
            "status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END, ",
            "finished_at = CASE WHEN status = 'queued' THEN $2 ELSE finished_at END, ",
            "cancel_requested = TRUE ",
            "WHERE id = $1 AND status IN ('queued', 'running') RETURNING ",
            run_columns!()
        );
        let row: Option<RunRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(id).bind(now_ms()).fetch_optional(pool).await)?;
        match row {
            Some(row) => run_from_row(row),
            None => {
                let run = self.training_run(id).await?;
                Err(StoreError::InvalidState {
                    entity: "training run",
                    id: id.to_string(),
                    reason: format!("is {} already", run.status.as_str()),
                })
            }
        }
    }

    /// Fails every running run whose worker has not beaten for `stale_after_ms` (its process
    /// died): returns them.
    pub async fn fail_stale_training_runs(&self, stale_after_ms: i64) -> Result<Vec<TrainingRun>> {
        if stale_after_ms <= 0 {
            return Err(StoreError::invalid("stale_after_ms", "must be > 0"));
        }
        let now = now_ms();
        let error = format!(
            "the worker stopped during training (no heartbeat for {:.1} s); no version was saved",
            stale_after_ms as f64 / 1000.0
        );
        let sql = concat!(
            "UPDATE training_runs SET status = 'failed', finished_at = $2, error = $3 ",
            "WHERE status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $1) RETURNING ",
            run_columns!()
        );
        let rows: Vec<RunRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(now - stale_after_ms).bind(now).bind(&error).fetch_all(pool).await)?;
        rows.into_iter().map(run_from_row).collect()
    }

    /// The run with this id.
    pub async fn training_run(&self, id: i64) -> Result<TrainingRun> {
        let sql = concat!(
            "SELECT ",
            run_columns!(),
            " FROM training_runs WHERE id = $1"
        );
        let row: Option<RunRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
        run_from_row(row.ok_or_else(|| StoreError::not_found("training run", id))?)
    }

    /// Runs, newest first, of one model name or of all.
    pub async fn list_training_runs(
        &self,
        model_name: Option<&str>,
        page: Page,
    ) -> Result<Paged<TrainingRun>> {
        let page = page.check()?;
        let list = concat!(
            "SELECT ",
            run_columns!(),
            " FROM training_runs WHERE ($1 IS NULL OR model_name = $1) ORDER BY id DESC LIMIT $2 OFFSET $3"
        );
        let (rows, total): (Vec<RunRow>, i64) = with_pool!(self, pool => {
            let rows = sqlx::query_as(list).bind(model_name).bind(page.limit).bind(page.offset).fetch_all(pool).await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM training_runs WHERE ($1 IS NULL OR model_name = $1)")
                .bind(model_name).fetch_one(pool).await?;
            Ok::<_, StoreError>((rows, total))
        })?;
        Ok(Paged::new(
            rows.into_iter().map(run_from_row).collect::<Result<_>>()?,
            total,
            page,
        ))
    }
}
