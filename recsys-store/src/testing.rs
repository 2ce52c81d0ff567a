//! Fresh, empty databases for tests (the store's, the server's, yours): a new SQLite file in the
//! temp folder, or a new database on the Postgres server named by `RECSYS_TEST_POSTGRES_URL`
//! (`scripts/test.sh` starts one with `scripts/start-postgres.sh`). The Postgres tests are
//! `#[ignore]`d, so that a plain `cargo test` reports them as skipped, never as passed; run them
//! with `-- --include-ignored` (scripts/test.sh does), where a missing server is a failure.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::Connection;

use crate::store::postgres_url_with_database;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A name no other test of this or another process uses at the same time.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The admin URL of the test Postgres server.
///
/// # Panics
/// Without `RECSYS_TEST_POSTGRES_URL`: a test that needs the server was asked to run.
pub fn postgres_admin_url() -> String {
    match std::env::var("RECSYS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "RECSYS_TEST_POSTGRES_URL is not set: this test needs a Postgres server (scripts/start-postgres.sh starts one; plain `cargo test` skips these tests)"
        ),
    }
}

#[derive(Debug)]
enum Place {
    File(PathBuf),
    Database { admin_url: String, name: String },
}

/// An empty database that [`remove`](TestDatabase::remove) deletes again.
#[derive(Debug)]
pub struct TestDatabase {
    /// What to connect to (`Store::connect`, a server's `RECSYS_DATABASE_URL`).
    pub url: String,
    place: Place,
}

impl TestDatabase {
    /// A new SQLite file (created on first connect).
    pub fn sqlite(prefix: &str) -> TestDatabase {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name(prefix)));
        TestDatabase {
            url: format!("sqlite://{}", path.display()),
            place: Place::File(path),
        }
    }

    /// A new database on the test Postgres server.
    ///
    /// # Panics
    /// When no server is named, it cannot be reached or refuses to create a database.
    pub async fn postgres(prefix: &str) -> TestDatabase {
        let admin_url = postgres_admin_url();
        let name = unique_name(prefix);
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to the test Postgres server");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        admin.close().await.ok();
        TestDatabase {
            url: postgres_url_with_database(&admin_url, &name),
            place: Place::Database { admin_url, name },
        }
    }

    /// The SQLite file, if it is one.
    pub fn file(&self) -> Option<&std::path::Path> {
        match &self.place {
            Place::File(p) => Some(p),
            Place::Database { .. } => None,
        }
    }

    /// Deletes the database (close every connection to it first).
    pub async fn remove(self) {
        match self.place {
            Place::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Place::Database { admin_url, name } => {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            }
        }
    }
}
