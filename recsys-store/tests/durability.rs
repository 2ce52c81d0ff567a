//! Durability and integrity: what was written is there after the store (and, for Postgres, the
//! server itself) was stopped and started again; tampered model bytes are caught.
//!
//! This file is its own test binary and `cargo test` runs test binaries one at a time, so
//! stopping the shared Postgres server here cannot disturb the conformance suite.

mod common;

use std::process::Command;
use std::sync::OnceLock;

use common::TestDb;
use recsys_store::*;
use serde_json::json;
use sqlx::Connection;

/// The restart test holds this exclusively; other Postgres tests of this binary share it, so none
/// of them runs while the server is down.
fn server_lock() -> &'static tokio::sync::RwLock<()> {
    static LOCK: OnceLock<tokio::sync::RwLock<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::RwLock::new(()))
}

struct Written {
    user: User,
    product: Product,
    order: Order,
    version: ModelVersion,
    vector: Vec<f32>,
}

async fn write_a_bit_of_everything(store: &Store) -> Written {
    let user = store
        .create_user(&NewUser::new(
            "durable@example.com",
            PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").unwrap(),
            Role::User,
        ))
        .await
        .unwrap();
    let mut p = NewProduct::new("DUR-1", "Durable tea", 450, 10);
    p.attributes = json!({"grams": 100});
    let product = store.create_product(&p).await.unwrap();
    store.add_to_cart(user.id, product.id, 2).await.unwrap();
    let order = store.checkout(user.id).await.unwrap();
    let events: Vec<NewEvent> = (0..1000)
        .map(|i| NewEvent::new(user.id, product.id, EventKind::View, 1.0).at(i))
        .collect();
    store.record_events(&events).await.unwrap();
    let version = store
        .save_model_version(&NewModelVersion {
            name: "als".into(),
            kind: "als".into(),
            config_id: None,
            params: json!({}),
            metrics: json!({"ndcg@10": 0.3}),
            blob: (0..=255u8).cycle().take(100_000).collect(),
        })
        .await
        .unwrap();
    store.activate_model_version(version.id).await.unwrap();
    store.create_embedding_space("als", 4).await.unwrap();
    let vector = vec![0.5, -1.0, 2.0, 0.25];
    store
        .put_embeddings("als", &[(product.id, vector.clone())])
        .await
        .unwrap();
    Written {
        user,
        product,
        order,
        version,
        vector,
    }
}

async fn check_everything_is_there(store: &Store, w: &Written) {
    assert_eq!(store.user(w.user.id).await.unwrap(), w.user);
    assert_eq!(store.product(w.product.id).await.unwrap().stock, 8);
    assert_eq!(store.order(w.order.id).await.unwrap(), w.order);
    assert_eq!(
        store.count_events().await.unwrap(),
        1000 + 2,
        "1000 views, one cart add, one purchase"
    );
    assert_eq!(
        store.active_model_version("als").await.unwrap().unwrap().id,
        w.version.id
    );
    assert_eq!(store.model_blob(w.version.id).await.unwrap().len(), 100_000);
    assert_eq!(
        store.embedding("als", w.product.id).await.unwrap(),
        Some(w.vector.clone())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_data_survives_closing_and_reopening() {
    let db = TestDb::sqlite().await;
    let written = write_a_bit_of_everything(&db.store).await;
    db.store.close().await;
    let reopened = Store::connect(&db.url).await.unwrap();
    check_everything_is_there(&reopened, &written).await;
    reopened.close().await;
    db.finish().await;
}

fn server_script(command: &str) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/start-postgres.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(command)
        .output()
        .expect("run scripts/start-postgres.sh");
    assert!(
        out.status.success(),
        "start-postgres.sh {command} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres: RECSYS_TEST_POSTGRES_URL, run with --include-ignored (scripts/test.sh does)"]
async fn postgres_data_survives_a_server_restart() {
    let _exclusive = server_lock().write().await;
    let db = TestDb::postgres().await;
    let written = write_a_bit_of_everything(&db.store).await;
    db.store.close().await;

    server_script("stop"); // fast shutdown: disconnects every client, checkpoints, exits
    let down = sqlx::PgConnection::connect(&db.url).await;
    assert!(down.is_err(), "the server should be down");
    server_script("start");

    let reopened = Store::connect(&db.url).await.unwrap();
    check_everything_is_there(&reopened, &written).await;
    reopened.close().await;
    db.finish().await;
}

async fn tamper_with_a_model_blob(db: &TestDb, id: i64) {
    let sql = "UPDATE model_versions SET blob = $1 WHERE id = $2";
    let tampered = b"not the bytes that were saved".to_vec();
    match db.store.backend_kind() {
        BackendKind::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query(sql)
                .bind(tampered)
                .bind(id)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        BackendKind::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query(sql)
                .bind(tampered)
                .bind(id)
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

async fn tampered_model_bytes_are_corrupt(db: TestDb) {
    let v = db
        .store
        .save_model_version(&NewModelVersion {
            name: "als".into(),
            kind: "als".into(),
            config_id: None,
            params: json!({}),
            metrics: json!({}),
            blob: b"the real model".to_vec(),
        })
        .await
        .unwrap();
    tamper_with_a_model_blob(&db, v.id).await;
    let read = db.store.model_blob(v.id).await;
    assert!(matches!(read, Err(StoreError::Corrupt { .. })), "{read:?}");
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_tampered_model_bytes_are_corrupt() {
    tampered_model_bytes_are_corrupt(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres: RECSYS_TEST_POSTGRES_URL, run with --include-ignored (scripts/test.sh does)"]
async fn postgres_tampered_model_bytes_are_corrupt() {
    let _shared = server_lock().read().await;
    let db = TestDb::postgres().await;
    tampered_model_bytes_are_corrupt(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_urls_are_configuration_errors() {
    let err = Store::connect("mysql://user:secret@host/db")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
    assert!(
        !err.to_string().contains("secret"),
        "the message must not leak the password: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_sqlite_store_keeps_its_data_while_open() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let written = write_a_bit_of_everything(&store).await;
    // a second handle shares the one connection, so it sees the same database
    let clone = store.clone();
    check_everything_is_there(&clone, &written).await;
    store.close().await;
}
