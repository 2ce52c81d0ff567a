//! Backups and the integrity check: a sound shop reports sound on both backends; an order whose
//! total no longer adds up is found; a SQLite backup taken while orders are being written is a
//! consistent database; PostgreSQL names pg_dump.

use recsys_store::*;

use super::common::TestDb;
use super::helpers::*;

/// Runs one statement on the database behind `db` outside the store (to damage it on purpose).
async fn raw(db: &TestDb, sql: &str) {
    if db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}

async fn a_shop(store: &Store) -> (User, Product) {
    let ann = user(store, "ann@example.com").await;
    let tea = product(store, "TEA", 450, 100).await;
    let cup = product(store, "CUP", 1200, 10).await;
    for quantity in 1..=3 {
        store
            .place_order(
                ann.id,
                &[
                    OrderLineRequest {
                        product_id: tea.id,
                        quantity,
                    },
                    OrderLineRequest {
                        product_id: cup.id,
                        quantity: 1,
                    },
                ],
            )
            .await
            .unwrap();
    }
    (ann, tea)
}

async fn the_check_finds_an_order_that_does_not_add_up(db: TestDb) {
    a_shop(&db.store).await;
    let report = db.store.check_integrity().await.unwrap();
    assert!(report.is_sound(), "{report:?}");
    assert_eq!((report.orders, report.products), (3, 2));
    raw(
        &db,
        "UPDATE orders SET total_cents = total_cents + 1 WHERE id = (SELECT MIN(id) FROM orders)",
    )
    .await;
    raw(
        &db,
        "DELETE FROM order_lines WHERE order_id = (SELECT MAX(id) FROM orders)",
    )
    .await;
    let report = db.store.check_integrity().await.unwrap();
    assert_eq!(report.orders_not_adding_up, 2, "{report:?}");
    assert!(!report.is_sound());
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_check_finds_an_order_that_does_not_add_up() {
    the_check_finds_an_order_that_does_not_add_up(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres: RECSYS_TEST_POSTGRES_URL, run with --include-ignored (scripts/test.sh does)"]
async fn postgres_the_check_finds_an_order_that_does_not_add_up() {
    the_check_finds_an_order_that_does_not_add_up(TestDb::postgres().await).await;
}

/// A backup while checkouts keep writing: the copy opens, is sound, and holds every order that
/// was acknowledged before the backup began.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_backup_during_writes_is_a_sound_copy() {
    let db = TestDb::sqlite().await;
    let (ann, tea) = a_shop(&db.store).await;
    let writer = {
        let store = db.store.clone();
        tokio::spawn(async move {
            let mut placed = 0;
            for _ in 0..60 {
                store
                    .place_order(
                        ann.id,
                        &[OrderLineRequest {
                            product_id: tea.id,
                            quantity: 1,
                        }],
                    )
                    .await
                    .unwrap();
                placed += 1;
            }
            placed
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let before = db.store.check_integrity().await.unwrap().orders;
    let file = std::env::temp_dir().join(format!("{}.db", testing::unique_name("backup")));
    db.store.backup_to(&file).await.unwrap();
    let placed = writer.await.unwrap();
    assert_eq!(placed, 60);

    let refused = db.store.backup_to(&file).await;
    assert_invalid(refused, "to");

    let copy = Store::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let report = copy.check_integrity().await.unwrap();
    assert!(report.is_sound(), "{report:?}");
    assert!(
        report.orders >= before && report.orders <= 63,
        "{report:?} before {before}"
    );
    let stock = copy.product(tea.id).await.unwrap().stock;
    assert_eq!(
        stock + (report.orders - 3) + 6,
        100,
        "stock and units sold add up in the copy"
    );
    copy.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres: RECSYS_TEST_POSTGRES_URL, run with --include-ignored (scripts/test.sh does)"]
async fn postgres_a_backup_names_pg_dump() {
    let db = TestDb::postgres().await;
    let file = std::env::temp_dir().join(testing::unique_name("pg-backup"));
    match db.store.backup_to(&file).await {
        Err(StoreError::Config(message)) => assert!(message.contains("pg_dump"), "{message}"),
        other => panic!("expected a Config error naming pg_dump, got {other:?}"),
    }
    assert!(!file.exists());
    db.finish().await;
}
