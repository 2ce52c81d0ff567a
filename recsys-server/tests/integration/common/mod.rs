//! A fresh server per test on either backend, called through `app()` with `oneshot`, over a
//! small shop generated in code: 60 products in two categories, 40 customers whose events
//! follow two tastes (even and odd products), orders, and a trained, active model.
//!
//! The databases come from `recsys_store::testing`: a new SQLite file, or a new database on the
//! Postgres server named by `RECSYS_TEST_POSTGRES_URL`. The Postgres variants are `#[ignore]`d:
//! `cargo test` reports them as skipped, `-- --include-ignored` runs them (and fails without a
//! server).
#![allow(dead_code)]

pub mod binary;
pub mod private_postgres;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use recsys_server::config::Settings;
use recsys_server::services::{models, training};
use recsys_server::{AppState, app};
use recsys_store::testing::TestDatabase;
use recsys_store::{
    EventKind, NewCategory, NewEvent, NewProduct, NewUser, OrderLineRequest, Role, Store,
};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const ADMIN_EMAIL: &str = "admin@test.dev";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "customer-password";

pub enum Backend {
    Sqlite,
    Postgres,
    /// A database the test made itself (not removed at the end).
    At(String),
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub url: String,
    database: Option<TestDatabase>,
    recorder: Option<recsys_server::services::recorder::RecorderTask>,
    /// Customers of the generated shop, by index: customer{i}@test.dev, [`PASSWORD`].
    pub customers: Vec<i64>,
    pub products: Vec<i64>,
    pub categories: (i64, i64, i64),
}

/// A response, its body parsed as JSON (`Value::Null` if empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        TestApp::with(backend, |_| {}).await
    }

    /// A test server whose settings `tune` may change first.
    pub async fn with(backend: Backend, tune: impl FnOnce(&mut Settings)) -> TestApp {
        let database = match backend {
            Backend::Sqlite => Some(TestDatabase::sqlite("recsys_srv")),
            Backend::Postgres => Some(TestDatabase::postgres("recsys_srv").await),
            Backend::At(_) => None,
        };
        let url = match (&database, backend) {
            (Some(database), _) => database.url.clone(),
            (None, Backend::At(url)) => url,
            (None, _) => unreachable!(),
        };
        let mut settings = Settings::for_tests(&url);
        settings.user_cache_ttl = std::time::Duration::ZERO;
        settings.web_dir = Some("/nonexistent".into());
        tune(&mut settings);
        let (state, recorder) = AppState::build(settings).await.unwrap();
        state
            .auth
            .ensure_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .unwrap();
        let (customers, products, categories) = seed(&state).await;
        state.catalog.reload().await.unwrap();
        let router = app(state.clone());
        TestApp {
            state,
            router,
            url,
            database,
            recorder: Some(recorder),
            customers,
            products,
            categories,
        }
    }

    /// Trains the default model on the shop's events and activates it.
    /// Trains the serving model with the shop's settings and activates it: the version id.
    pub async fn train(&self) -> i64 {
        self.train_with(training::default_config()).await
    }

    pub async fn train_with(&self, config: recsys_core::factory::RecommenderConfig) -> i64 {
        let run = self
            .state
            .train_now(models::SERVING_MODEL, &config)
            .await
            .unwrap();
        let version = run
            .model_version_id
            .unwrap_or_else(|| panic!("training failed: {:?}", run.error));
        self.state.models.activate(version).await.unwrap();
        version
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// A login as if it came over a connection from `peer`, with `X-Forwarded-For` if given.
    pub async fn login_from(
        &self,
        email: &str,
        password: &str,
        peer: &str,
        forwarded_for: Option<&str>,
    ) -> Reply {
        let mut req =
            Request::post("/api/v1/auth/login").header("content-type", "application/json");
        if let Some(f) = forwarded_for {
            req = req.header("x-forwarded-for", f);
        }
        let req = req
            .body(Body::from(
                json!({"email": email, "password": password}).to_string(),
            ))
            .unwrap();
        self.send(from_peer(req, peer)).await
    }

    /// An access token of customer `i`.
    pub async fn customer_token(&self, i: usize) -> String {
        let r = self.login(&format!("customer{i}@test.dev"), PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn admin_token(&self) -> String {
        let r = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["access_token"].as_str().unwrap().to_string()
    }

    /// Writes what the analytics queue holds and stops it (for tests that read the analytics).
    pub async fn flush_recorder(&mut self) {
        if let Some(r) = self.recorder.take() {
            r.finish().await;
        }
    }

    pub async fn finish(mut self) {
        self.flush_recorder().await;
        self.state.store.close().await;
        if let Some(database) = self.database.take() {
            if let Some(file) = database.file() {
                let _ = std::fs::remove_file(file.with_extension("jwt-secret"));
            }
            database.remove().await;
        }
    }
}

/// `req` as if it came over a connection from `peer` (an IP address).
pub fn from_peer(mut req: Request<Body>, peer: &str) -> Request<Body> {
    let ip: std::net::IpAddr = peer.parse().unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
            ip, 40_000,
        )));
    req
}

/// The generated shop. Products 0..60 alternate between two categories under one root; even
/// customers like even products, odd customers odd ones; each customer bought two products.
async fn seed(state: &AppState) -> (Vec<i64>, Vec<i64>, (i64, i64, i64)) {
    let store: &Store = &state.store;
    let root = store
        .create_category(&NewCategory {
            name: "Books".into(),
            slug: "books".into(),
            parent_id: None,
        })
        .await
        .unwrap();
    let fiction = store
        .create_category(&NewCategory {
            name: "Fiction".into(),
            slug: "fiction".into(),
            parent_id: Some(root.id),
        })
        .await
        .unwrap();
    let science = store
        .create_category(&NewCategory {
            name: "Science".into(),
            slug: "science".into(),
            parent_id: Some(root.id),
        })
        .await
        .unwrap();
    let mut products = Vec::new();
    let words = ["dragon quest saga", "quantum physics primer"];
    for i in 0..60i64 {
        let mut p = NewProduct::new(
            format!("SKU-{i:03}"),
            format!("Book {i} {}", words[(i % 2) as usize]),
            1000 + i * 10,
            100,
        );
        p.description = format!(
            "A {} book number {i}",
            if i % 2 == 0 { "fantasy" } else { "science" }
        );
        p.category_id = Some(if i % 2 == 0 { fiction.id } else { science.id });
        products.push(store.create_product(&p).await.unwrap().id);
    }
    let hash = state
        .auth
        .passwords
        .hash(PASSWORD.to_string())
        .await
        .unwrap();
    let mut customers = Vec::new();
    let mut events = Vec::new();
    for u in 0..40usize {
        let mut new = NewUser::new(format!("customer{u}@test.dev"), hash.clone(), Role::User);
        new.display_name = format!("Customer {u}");
        let id = store.create_user(&new).await.unwrap().id;
        customers.push(id);
        for k in 0..12usize {
            let p = products[(u % 2 + 2 * ((u * 7 + k * 5) % 30)) % 60];
            events.push(NewEvent::new(id, p, EventKind::View, 1.0));
        }
    }
    store.record_events(&events).await.unwrap();
    for (u, &id) in customers.iter().enumerate().skip(2) {
        let lines = [0usize, 1].map(|k| OrderLineRequest {
            product_id: products[(u % 2 + 2 * ((u + k * 3) % 30)) % 60],
            quantity: 1,
        });
        store.place_order(id, &lines).await.unwrap();
    }
    (customers, products, (root.id, fiction.id, science.id))
}

/// Runs each named test on a fresh SQLite app and a fresh Postgres app.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::common::TestApp::new($crate::common::Backend::Sqlite).await;
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs Postgres: RECSYS_TEST_POSTGRES_URL, run with --include-ignored (scripts/test.sh does)"]
                async fn $name() {
                    let app = $crate::common::TestApp::new($crate::common::Backend::Postgres).await;
                    super::$name(app).await;
                }
            )*
        }
    };
}

/// The test S3 API server (moto's server mode, started by scripts/test.sh, which also sets the
/// `AWS_*` variables the image store reads).
///
/// # Panics
/// Without `RECSYS_TEST_S3_ENDPOINT`: a test that needs the server was asked to run.
pub fn s3_endpoint() -> String {
    match std::env::var("RECSYS_TEST_S3_ENDPOINT") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "RECSYS_TEST_S3_ENDPOINT is not set: this test needs an S3 API server (scripts/start-s3.sh starts one; plain `cargo test` skips it)"
        ),
    }
}

/// A new bucket of its own on the test S3 server (moto takes unsigned requests).
pub async fn s3_bucket(endpoint: &str) -> String {
    // reqwest is built with rustls and no provider of its own: the server's (ring)
    let _ = rustls::crypto::ring::default_provider().install_default();
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let bucket = format!(
        "recsys-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "making bucket {bucket}: {}",
        r.status()
    );
    bucket
}

/// The bucket's listing (S3's XML).
pub async fn s3_list(endpoint: &str, bucket: &str) -> String {
    reqwest::Client::new()
        .get(format!("{endpoint}/{bucket}?list-type=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Makes a key with these scopes through the admin API: (key, its id).
pub async fn make_key(app: &TestApp, scopes: &[&str]) -> (String, i64) {
    let admin = app.admin_token().await;
    let r = app
        .post(
            "/api/v1/admin/api-keys",
            Some(&admin),
            json!({"name": format!("shop {}", scopes.join(" ")), "scopes": scopes}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let key = r.body["key"].as_str().unwrap().to_string();
    (key, r.body["api_key"]["id"].as_i64().unwrap())
}
