//! Backups, restores and the integrity check of a shop's database (`recsys-server backup`,
//! `restore`, `check`). A SQLite database is copied online (the server keeps serving; the copy
//! is the database at one moment); a PostgreSQL one is backed up with `pg_dump`
//! (`recsys_store::POSTGRES_BACKUP`, docs/deploy.md). Every copy is checked before it is called
//! good: orders add up from their lines, no stock below zero, the file sound, and every active
//! model version loads.

use std::path::Path;
use std::time::Instant;

use recsys_core::Persist;
use recsys_core::factory::AnyRecommender;
use recsys_store::{IntegrityReport, Store, StoreOptions};
use serde::Serialize;

/// What a check found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    #[serde(flatten)]
    pub integrity: IntegrityReport,
    /// Active model versions that were loaded.
    pub models_loaded: usize,
    /// Active model versions that did not load, with why.
    pub model_problems: Vec<String>,
    pub seconds: f64,
}

impl CheckReport {
    pub fn is_sound(&self) -> bool {
        self.integrity.is_sound() && self.model_problems.is_empty()
    }

    /// One line for a person.
    pub fn summary(&self) -> String {
        let i = &self.integrity;
        let mut line = format!(
            "{} orders, {} products, {} active model versions",
            i.orders,
            i.products,
            self.models_loaded + self.model_problems.len()
        );
        if self.is_sound() {
            line.push_str(": sound");
        } else {
            line.push_str(&format!(
                ": NOT SOUND ({} orders do not add up, {} products below zero stock, {} database \
                 problems, {} model versions do not load)",
                i.orders_not_adding_up,
                i.negative_stock,
                i.engine_problems.len(),
                self.model_problems.len()
            ));
        }
        line
    }
}

/// Checks the database behind `store`.
pub async fn check(store: &Store) -> Result<CheckReport, String> {
    let started = Instant::now();
    let integrity = store
        .check_integrity()
        .await
        .map_err(|e| format!("integrity check: {e}"))?;
    let versions = store
        .active_model_versions()
        .await
        .map_err(|e| format!("model versions: {e}"))?;
    let mut models_loaded = 0;
    let mut model_problems = Vec::new();
    for version in versions {
        let label = format!("{} v{} (id {})", version.name, version.version, version.id);
        let blob = match store.model_blob(version.id).await {
            Ok(b) => b,
            Err(e) => {
                model_problems.push(format!("{label}: {e}"));
                continue;
            }
        };
        match tokio::task::spawn_blocking(move || AnyRecommender::from_bytes(&blob)).await {
            Ok(Ok(_)) => models_loaded += 1,
            Ok(Err(e)) => model_problems.push(format!("{label}: {e}")),
            Err(e) => model_problems.push(format!("{label}: {e}")),
        }
    }
    Ok(CheckReport {
        integrity,
        models_loaded,
        model_problems,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Copies the database behind `store` to `to` (SQLite) and checks the copy.
pub async fn backup(store: &Store, to: &Path) -> Result<CheckReport, String> {
    store.backup_to(to).await.map_err(|e| e.to_string())?;
    let copy = open(to).await?;
    let report = check(&copy).await;
    copy.close().await;
    report
}

/// Makes the backup `from` the SQLite database `database_url`: the backup is never changed;
/// it is copied beside the target, opened (migrated forward if it came from an older release)
/// and checked there, and only a sound copy is moved into place. An existing database is never
/// overwritten.
pub async fn restore(from: &Path, database_url: &str) -> Result<CheckReport, String> {
    let target = crate::config::sqlite_file(database_url).ok_or_else(|| {
        "restore writes a SQLite database (RECSYS_DATABASE_URL sqlite://...); a PostgreSQL \
         backup is restored with pg_restore (docs/deploy.md)"
            .to_string()
    })?;
    if !from.is_file() {
        return Err(format!("{}: no such backup file", from.display()));
    }
    if target.exists() {
        return Err(format!(
            "{} exists: restore never overwrites a database; stop the server and move it aside \
             first, or restore to another --database-url",
            target.display()
        ));
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let part = target.with_extension("restoring");
    let _ = std::fs::remove_file(&part);
    std::fs::copy(from, &part).map_err(|e| format!("copy {}: {e}", from.display()))?;
    let copy = open(&part).await?;
    let report = check(&copy).await;
    // the copy's write-ahead log is folded into the file when the last connection closes
    copy.close().await;
    let report = report?;
    if !report.is_sound() {
        remove_with_wal(&part);
        return Err(format!(
            "the backup {} is not sound, nothing was restored: {}",
            from.display(),
            report.summary()
        ));
    }
    std::fs::rename(&part, &target).map_err(|e| format!("{}: {e}", target.display()))?;
    Ok(report)
}

async fn open(file: &Path) -> Result<Store, String> {
    Store::connect_with(
        &format!("sqlite://{}", file.display()),
        StoreOptions {
            max_connections: Some(1),
            ..StoreOptions::default()
        },
    )
    .await
    .map_err(|e| format!("{}: {e}", file.display()))
}

fn remove_with_wal(file: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}
