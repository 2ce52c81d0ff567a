//! The audit log: who did what to which record, with the record before and after. Append-only.

use serde::{Deserialize, Serialize};
use sqlx::types::Json;

use crate::error::{Result, StoreError};
use crate::page::{Page, Paged};
use crate::store::{Store, with_pool};
use crate::time::{Millis, now_ms};
use crate::validate;

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAuditEntry {
    /// The user who acted (`None` for the system itself, e.g. a scheduled training run, or
    /// for a service API key).
    pub actor_id: Option<i64>,
    /// The service API key that acted.
    #[serde(default)]
    pub api_key_id: Option<i64>,
    /// The address of the client whose request wrote it (`None` for the system itself).
    #[serde(default)]
    pub client_addr: Option<String>,
    /// What was done: "product.update", "model.activate", ...
    pub action: String,
    /// The kind of record acted on: "product", "model_version", ...
    pub target_type: String,
    pub target_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: Option<i64>,
    /// The service API key that acted.
    pub api_key_id: Option<i64>,
    /// The address of the client whose request wrote it.
    pub client_addr: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub at: Millis,
}

/// Which entries to list; every condition that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub since: Option<Millis>,
    pub until: Option<Millis>,
}

type AuditRow = (
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<Json<serde_json::Value>>,
    Option<Json<serde_json::Value>>,
    i64,
);

impl Store {
    /// Appends an entry and returns it.
    pub async fn append_audit(&self, entry: &NewAuditEntry) -> Result<AuditEntry> {
        validate::label("action", &entry.action)?;
        validate::label("target_type", &entry.target_type)?;
        if let Some(target) = &entry.target_id {
            validate::label("target_id", target)?;
        }
        for (field, json) in [("before", &entry.before), ("after", &entry.after)] {
            if let Some(json) = json {
                validate::json(field, json, false)?;
            }
        }
        if let Some(addr) = &entry.client_addr {
            validate::label("client_addr", addr)?;
        }
        if let Some(actor) = entry.actor_id {
            self.user(actor).await?;
        }
        let row: AuditRow = with_pool!(self, pool => sqlx::query_as(
            "INSERT INTO audit_log (actor_id, action, target_type, target_id, before, after, at, api_key_id, client_addr) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id, actor_id, api_key_id, client_addr, action, target_type, target_id, before, after, at")
            .bind(entry.actor_id).bind(&entry.action).bind(&entry.target_type).bind(&entry.target_id)
            .bind(entry.before.as_ref().map(Json)).bind(entry.after.as_ref().map(Json)).bind(now_ms())
            .bind(entry.api_key_id).bind(&entry.client_addr)
            .fetch_one(pool).await)?;
        Ok(audit_from_row(row))
    }

    /// Entries matching the filter, newest first.
    pub async fn audit_log(&self, filter: &AuditFilter, page: Page) -> Result<Paged<AuditEntry>> {
        let page = page.check()?;
        let condition = "($1 IS NULL OR actor_id = $1) AND ($2 IS NULL OR action = $2) \
                         AND ($3 IS NULL OR target_type = $3) AND ($4 IS NULL OR target_id = $4) \
                         AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6)";
        let list = format!(
            "SELECT id, actor_id, api_key_id, client_addr, action, target_type, target_id, before, after, at FROM audit_log \
             WHERE {condition} ORDER BY at DESC, id DESC LIMIT $7 OFFSET $8"
        );
        let count = format!("SELECT COUNT(*) FROM audit_log WHERE {condition}");
        let f = filter;
        let (rows, total): (Vec<AuditRow>, i64) = with_pool!(self, pool => {
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(list))
                .bind(f.actor_id).bind(&f.action).bind(&f.target_type).bind(&f.target_id).bind(f.since).bind(f.until)
                .bind(page.limit).bind(page.offset)
                .fetch_all(pool).await?;
            let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count))
                .bind(f.actor_id).bind(&f.action).bind(&f.target_type).bind(&f.target_id).bind(f.since).bind(f.until)
                .fetch_one(pool).await?;
            Ok::<_, StoreError>((rows, total))
        })?;
        Ok(Paged::new(
            rows.into_iter().map(audit_from_row).collect(),
            total,
            page,
        ))
    }
}

fn audit_from_row(r: AuditRow) -> AuditEntry {
    AuditEntry {
        id: r.0,
        actor_id: r.1,
        api_key_id: r.2,
        client_addr: r.3,
        action: r.4,
        target_type: r.5,
        target_id: r.6,
        before: r.7.map(|j| j.0),
        after: r.8.map(|j| j.0),
        at: r.9,
    }
}
