//! A/B experiments: arms (model versions with weights) compete in one placement; impressions
//! and clicks are counted per arm as they happen, and a subject's cart adds and purchases count
//! for the arm whose list they clicked within the experiment's attribution window. At most one
//! experiment runs per placement.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::store::{Store, with_pool, with_tx};
use crate::time::{Millis, now_ms};
use crate::validate;

/// Where an experiment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ExperimentStatus {
    Running,
    Stopped,
}

/// What happened to a subject in an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentEventKind {
    Impression,
    Click,
    AddToCart,
    Purchase,
}

impl ExperimentEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExperimentEventKind::Impression => "impression",
            ExperimentEventKind::Click => "click",
            ExperimentEventKind::AddToCart => "add_to_cart",
            ExperimentEventKind::Purchase => "purchase",
        }
    }
}

/// One arm: a model version and its share of the traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Arm {
    /// 0, 1, ... in the order given; arm 0 is the control.
    pub arm: i64,
    pub model_version_id: i64,
    pub weight: f64,
}

/// An experiment and its arms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Experiment {
    pub id: i64,
    pub name: String,
    pub placement: String,
    pub status: ExperimentStatus,
    /// Milliseconds after a click in which the clicker's cart adds and purchases count.
    pub attribution_window_ms: i64,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    pub stopped_at: Option<Millis>,
    pub winner_arm: Option<i64>,
    pub arms: Vec<Arm>,
}

/// An experiment to start.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExperiment {
    pub name: String,
    pub placement: String,
    pub attribution_window_ms: i64,
    pub created_by: Option<i64>,
    /// `(model_version_id, weight)`, control first.
    pub arms: Vec<(i64, f64)>,
}

/// One event to count for an arm.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentEvent {
    pub experiment_id: i64,
    pub arm: i64,
    /// `u<user id>` or `s<session id>`.
    pub subject: String,
    pub kind: ExperimentEventKind,
    pub value_cents: i64,
    pub at: Millis,
}

/// The raw counts of one arm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmCounts {
    pub arm: i64,
    pub impressions: i64,
    pub clicks: i64,
    pub add_to_carts: i64,
    pub purchases: i64,
    pub revenue_cents: i64,
    /// Sum of squared purchase values (cents²), for the revenue interval.
    pub revenue_sq: f64,
}

type ExperimentRow = (
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    i64,
    Option<i64>,
    Option<i64>,
);

const EXPERIMENT_COLUMNS: &str = "id, name, placement, status, attribution_window, created_by, created_at, stopped_at, winner_arm";

/// The longest attribution window: 30 days.
pub const MAX_ATTRIBUTION_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

impl Store {
    /// Starts an experiment. Two or more arms, each an existing model version with a finite
    /// weight > 0; a placement with a running experiment is a `Conflict`.
    pub async fn create_experiment(&self, new: &NewExperiment) -> Result<Experiment> {
        validate::label("name", &new.name)?;
        validate::label("placement", &new.placement)?;
        if !(1..=MAX_ATTRIBUTION_WINDOW_MS).contains(&new.attribution_window_ms) {
            return Err(StoreError::invalid(
                "attribution_window_ms",
                format!("must be between 1 and {MAX_ATTRIBUTION_WINDOW_MS}"),
            ));
        }
        if !(2..=10).contains(&new.arms.len()) {
            return Err(StoreError::invalid(
                "arms",
                format!("an experiment has 2 to 10 arms, got {}", new.arms.len()),
            ));
        }
        for (i, &(version, weight)) in new.arms.iter().enumerate() {
            if !(weight.is_finite() && weight > 0.0) {
                return Err(StoreError::invalid(
                    "arms",
                    format!("arm {i}: weight must be a finite number > 0, got {weight}"),
                ));
            }
            if new.arms[..i].iter().any(|&(v, _)| v == version) {
                return Err(StoreError::invalid(
                    "arms",
                    format!("arm {i}: model version {version} is already arm of this experiment"),
                ));
            }
            self.model_version(version).await?;
        }
        let now = now_ms();
        let id: i64 = with_tx!(self, tx => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO experiments (name, placement, status, attribution_window, created_by, created_at) \
                 VALUES ($1, $2, 'running', $3, $4, $5) RETURNING id")
                .bind(&new.name).bind(&new.placement).bind(new.attribution_window_ms)
                .bind(new.created_by).bind(now).fetch_one(&mut *tx).await?;
            for (arm, &(version, weight)) in new.arms.iter().enumerate() {
                sqlx::query("INSERT INTO experiment_arms (experiment_id, arm, model_version_id, weight) VALUES ($1, $2, $3, $4)")
                    .bind(id).bind(arm as i64).bind(version).bind(weight).execute(&mut *tx).await?;
            }
            Ok(id)
        })?;
        self.experiment(id).await
    }

    /// The experiment with this id.
    pub async fn experiment(&self, id: i64) -> Result<Experiment> {
        let sql = format!("SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE id = $1");
        let row: Option<ExperimentRow> = with_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id).fetch_optional(pool).await)?;
        let row = row.ok_or_else(|| StoreError::not_found("experiment", id))?;
        Ok(self.with_arms(vec![row]).await?.remove(0))
    }

    /// Experiments, newest first; only running ones when `running_only`.
    pub async fn list_experiments(&self, running_only: bool) -> Result<Vec<Experiment>> {
        let sql = format!(
            "SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE ($1 = FALSE OR status = 'running') ORDER BY id DESC LIMIT 1000"
        );
        let rows: Vec<ExperimentRow> = with_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(running_only).fetch_all(pool).await)?;
        self.with_arms(rows).await
    }

    async fn with_arms(&self, rows: Vec<ExperimentRow>) -> Result<Vec<Experiment>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let arms: Vec<(i64, i64, f64)> = with_pool!(self, pool => sqlx::query_as(
                "SELECT arm, model_version_id, weight FROM experiment_arms WHERE experiment_id = $1 ORDER BY arm")
                .bind(r.0).fetch_all(pool).await)?;
            let status = match r.3.as_str() {
                "running" => ExperimentStatus::Running,
                "stopped" => ExperimentStatus::Stopped,
                other => {
                    return Err(StoreError::Corrupt {
                        what: "experiments.status".into(),
                        reason: format!("unknown status '{other}'"),
                    });
                }
            };
            out.push(Experiment {
                id: r.0,
                name: r.1,
                placement: r.2,
                status,
                attribution_window_ms: r.4,
                created_by: r.5,
                created_at: r.6,
                stopped_at: r.7,
                winner_arm: r.8,
                arms: arms
                    .into_iter()
                    .map(|(arm, model_version_id, weight)| Arm {
                        arm,
                        model_version_id,
                        weight,
                    })
                    .collect(),
            });
        }
        Ok(out)
    }

    /// Stops a running experiment, recording the winning arm if one is named (activating its
    /// version is the caller's next step).
    pub async fn stop_experiment(&self, id: i64, winner_arm: Option<i64>) -> Result<Experiment> {
        let experiment = self.experiment(id).await?;
        if let Some(w) = winner_arm
            && !experiment.arms.iter().any(|a| a.arm == w)
        {
            return Err(StoreError::invalid(
                "winner_arm",
                format!(
                    "experiment {id} has arms 0 to {}, not {w}",
                    experiment.arms.len() - 1
                ),
            ));
        }
        let changed = with_pool!(self, pool => sqlx::query(
            "UPDATE experiments SET status = 'stopped', stopped_at = $2, winner_arm = $3 WHERE id = $1 AND status = 'running'")
            .bind(id).bind(now_ms()).bind(winner_arm).execute(pool).await.map(|r| r.rows_affected()))?;
        if changed == 0 {
            return Err(StoreError::InvalidState {
                entity: "experiment",
                id: id.to_string(),
                reason: "is stopped already".into(),
            });
        }
        self.experiment(id).await
    }

    /// Appends events (impressions and clicks as they are served and reported).
    pub async fn record_experiment_events(&self, events: &[ExperimentEvent]) -> Result<u64> {
        for e in events {
            validate::label("subject", &e.subject)?;
            validate::at_least("value_cents", e.value_cents, 0)?;
        }
        if events.is_empty() {
            return Ok(0);
        }
        with_tx!(self, tx => {
            for chunk in events.chunks(1000) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO experiment_events (experiment_id, arm, subject, kind, value_cents, at) ");
                insert.push_values(chunk, |mut row, e| {
                    row.push_bind(e.experiment_id).push_bind(e.arm).push_bind(&e.subject)
                        .push_bind(e.kind.as_str()).push_bind(e.value_cents).push_bind(e.at);
                });
                insert.build().execute(&mut *tx).await?;
            }
            Ok(())
        })?;
        Ok(events.len() as u64)
    }

    /// Counts a cart add or purchase of `subject` for every running experiment whose list the
    /// subject clicked within its attribution window (for the arm clicked). Returns how many
    /// experiments it counted for.
    pub async fn attribute_to_experiments(
        &self,
        subject: &str,
        kind: ExperimentEventKind,
        value_cents: i64,
    ) -> Result<u64> {
        if !matches!(
            kind,
            ExperimentEventKind::AddToCart | ExperimentEventKind::Purchase
        ) {
            return Err(StoreError::invalid(
                "kind",
                "only cart adds and purchases are attributed; impressions and clicks are recorded",
            ));
        }
        validate::at_least("value_cents", value_cents, 0)?;
        let sql = "INSERT INTO experiment_events (experiment_id, arm, subject, kind, value_cents, at) \
             SELECT DISTINCT e.experiment_id, e.arm, e.subject, $2, $3, $4 \
             FROM experiment_events e JOIN experiments x ON x.id = e.experiment_id \
             WHERE e.subject = $1 AND e.kind = 'click' AND x.status = 'running' AND e.at >= $4 - x.attribution_window";
        let n = with_pool!(self, pool => sqlx::query(sql)
            .bind(subject).bind(kind.as_str()).bind(value_cents).bind(now_ms()).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Per-arm counts of an experiment, every arm listed (zeros included), by arm.
    pub async fn experiment_counts(&self, id: i64) -> Result<Vec<ArmCounts>> {
        let experiment = self.experiment(id).await?;
        let rows: Vec<(i64, String, i64, i64, f64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT arm, kind, COUNT(*), CAST(COALESCE(SUM(value_cents), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CAST(value_cents AS DOUBLE PRECISION) * value_cents), 0) AS DOUBLE PRECISION) \
             FROM experiment_events WHERE experiment_id = $1 GROUP BY arm, kind")
            .bind(id).fetch_all(pool).await)?;
        let mut out: Vec<ArmCounts> = experiment
            .arms
            .iter()
            .map(|a| ArmCounts {
                arm: a.arm,
                ..ArmCounts::default()
            })
            .collect();
        for (arm, kind, count, sum, sq) in rows {
            let Some(c) = out.iter_mut().find(|c| c.arm == arm) else {
                continue;
            };
            match kind.as_str() {
                "impression" => c.impressions = count,
                "click" => c.clicks = count,
                "add_to_cart" => c.add_to_carts = count,
                "purchase" => {
                    c.purchases = count;
                    c.revenue_cents = sum;
                    c.revenue_sq = sq;
                }
                _ => {}
            }
        }
        Ok(out)
    }
}
