//! A fresh, migrated database per test on either backend (`recsys_store::testing`).
#![allow(dead_code)]

use recsys_store::testing::TestDatabase;
use recsys_store::{Store, StoreOptions};

pub struct TestDb {
    pub store: Store,
    pub url: String,
    database: TestDatabase,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let database = TestDatabase::sqlite("recsys_test");
        let store = Store::connect(&database.url)
            .await
            .expect("open a fresh SQLite store");
        TestDb {
            store,
            url: database.url.clone(),
            database,
        }
    }

    pub async fn postgres() -> TestDb {
        TestDb::postgres_with(StoreOptions::default()).await
    }

    pub async fn postgres_with(options: StoreOptions) -> TestDb {
        let database = TestDatabase::postgres("recsys_test").await;
        let store = Store::connect_with(&database.url, options)
            .await
            .expect("open a fresh Postgres store");
        TestDb {
            store,
            url: database.url.clone(),
            database,
        }
    }

    /// Closes the store and removes its database.
    pub async fn finish(self) {
        self.store.close().await;
        self.database.remove().await;
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
                #[ignore = "needs Postgres: RECSYS_TEST_POSTGRES_URL, run with --include-ignored (scripts/test.sh does)"]
                async fn $name() {
                    let db = $crate::common::TestDb::postgres().await;
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
    };
}
