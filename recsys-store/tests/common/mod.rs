//! A fresh, migrated database per test on either backend.
//!
//! SQLite: a new file in the temp folder. Postgres: a new database on the server named by
//! `RECSYS_TEST_POSTGRES_URL` (`scripts/test.sh` starts one with `scripts/start-postgres.sh`).
//! Without that variable the Postgres tests are skipped with a message, except under `CI=true`,
//! where a missing database is a failure.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use recsys_store::{Store, StoreOptions, postgres_url_with_database};
use sqlx::Connection;

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "recsys_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The admin URL of the test Postgres server, or `None` (skip) outside CI.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("RECSYS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "CI=true but RECSYS_TEST_POSTGRES_URL is not set: the Postgres suite must run in CI (scripts/test.sh starts the server)"
            )
        }
        _ => {
            eprintln!(
                "RECSYS_TEST_POSTGRES_URL is not set: skipping the Postgres side (run scripts/start-postgres.sh)"
            );
            None
        }
    }
}

pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Database { admin_url: String, name: String },
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url)
            .await
            .expect("open a fresh SQLite store");
        TestDb {
            store,
            url,
            cleanup: Cleanup::File(path),
        }
    }

    pub async fn postgres() -> Option<TestDb> {
        TestDb::postgres_with(StoreOptions::default()).await
    }

    pub async fn postgres_with(options: StoreOptions) -> Option<TestDb> {
        let admin_url = postgres_admin_url()?;
        let name = unique_name();
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to the test Postgres server");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        admin.close().await.ok();
        let url = postgres_url_with_database(&admin_url, &name);
        let store = Store::connect_with(&url, options)
            .await
            .expect("open a fresh Postgres store");
        Some(TestDb {
            store,
            url,
            cleanup: Cleanup::Database { admin_url, name },
        })
    }

    /// Closes the store and removes its database.
    pub async fn finish(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
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

/// Defines each listed `async fn name(store: &Store)` as a test on both backends:
/// `sqlite::name` and `postgres::name`, each on a fresh database.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::common::TestDb::sqlite().await;
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::common::TestDb::postgres().await else { return };
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
    };
}
