//! The real binary as separate processes: two replicas on one Postgres database serve the same
//! data, and SIGTERM lets the process write the impressions it had queued before it exits.

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, TestApp};
use serde_json::{Value, json};

/// A free port on loopback.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(database_url: &str) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_recsys-server"))
            .args([
                "--database-url",
                database_url,
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .args(["--web-dir", "/nonexistent", "--model-poll", "0.2"])
            .env("RECSYS_JWT_SECRET", "s".repeat(40))
            .env("RECSYS_LOG_LEVEL", "warn")
            .env("RECSYS_ARGON2_MEMORY_KIB", "8")
            .env("RECSYS_ARGON2_ITERATIONS", "1")
            .stdout(Stdio::null())
            .spawn()
            .expect("start recsys-server");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok((200, _)) = server.try_call("GET", "/health/live", None, None) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("recsys-server did not start on port {port}");
    }

    /// One HTTP/1.1 request with `Connection: close`: (status, JSON body or null).
    fn try_call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> std::io::Result<(u16, Value)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !body.is_empty() {
            request.push_str("Content-Type: application/json\r\n");
        }
        if let Some(t) = token {
            request.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        stream.write_all(request.as_bytes())?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let text = String::from_utf8_lossy(&response);
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let rest = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(rest)
        } else {
            rest.to_string()
        };
        Ok((status, serde_json::from_str(&rest).unwrap_or(Value::Null)))
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.try_call(method, path, token, body.as_ref()).unwrap()
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: kill with a valid pid of our own child and a valid signal number
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_serve_the_same_data() {
    let Some(app) = TestApp::new(Backend::Postgres).await else {
        return;
    };
    app.train().await;
    let url = app.url.clone();
    let (a, b) = tokio::task::spawn_blocking(move || (Server::start(&url), Server::start(&url)))
        .await
        .unwrap();
    let checks = tokio::task::spawn_blocking(move || {
        let (status, reg) = a.call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({"email": "both@example.com", "password": "replicated pw"})),
        );
        assert_eq!(status, 201, "{reg}");
        // signed up on A, signed in on B: the account and the secret are shared
        let (status, login) = b.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "both@example.com", "password": "replicated pw"})),
        );
        assert_eq!(status, 200, "{login}");
        let token_b = login["access_token"].as_str().unwrap().to_string();
        let token_a = reg["access_token"].as_str().unwrap().to_string();
        let (_, products) = a.call("GET", "/api/v1/products?limit=1", None, None);
        let p = products["items"][0]["id"].as_i64().unwrap();
        let (status, _) = a.call(
            "PUT",
            &format!("/api/v1/cart/items/{p}"),
            Some(&token_a),
            Some(json!({"quantity": 2})),
        );
        assert_eq!(status, 200);
        let (_, cart) = b.call("GET", "/api/v1/cart", Some(&token_b), None);
        assert_eq!(cart["item_count"], 2, "B sees the cart A filled");
        let (status, order) = b.call("POST", "/api/v1/orders", Some(&token_b), None);
        assert_eq!(status, 201, "{order}");
        let (_, orders) = a.call("GET", "/api/v1/orders", Some(&token_a), None);
        assert_eq!(orders["total"], 1, "A lists the order B took");
        // a refresh token rotated on A is used up on B too
        let refresh = reg["refresh_token"].as_str().unwrap();
        let (status, _) = a.call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        );
        assert_eq!(status, 200);
        let (status, _) = b.call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        );
        assert_eq!(status, 401, "reuse is detected across replicas");
        // both serve the active model
        let (_, ra) = a.call(
            "GET",
            "/api/v1/products/recommendations?limit=3",
            Some(&token_a),
            None,
        );
        let (_, rb) = b.call(
            "GET",
            "/api/v1/products/recommendations?limit=3",
            Some(&token_b),
            None,
        );
        assert_eq!(ra["model_version"], rb["model_version"]);
        assert_eq!(
            ra["items"], rb["items"],
            "the same user gets the same list from either"
        );
        assert!(a.terminate().success());
        assert!(b.terminate().success());
    });
    checks.await.unwrap();
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_writes_the_queued_impressions_before_exit() {
    let app = TestApp::new(Backend::Sqlite).await.unwrap();
    let version = app.train().await;
    let url = app.url.clone();
    let served = tokio::task::spawn_blocking(move || {
        let server = Server::start(&url);
        let mut shown = 0;
        for _ in 0..5 {
            let (status, list) = server.call(
                "GET",
                "/api/v1/products/recommendations?limit=7&placement=sigterm",
                None,
                None,
            );
            assert_eq!(status, 200, "{list}");
            shown += list["items"].as_array().unwrap().len() as i64;
        }
        // at once: the writer batches every quarter second, so these are still queued
        assert!(server.terminate().success(), "a clean exit");
        shown
    })
    .await
    .unwrap();
    assert_eq!(served, 35);
    let today = recsys_store::Day::today();
    let metrics = app
        .state
        .store
        .rec_metrics(None, today, today)
        .await
        .unwrap();
    let row = metrics
        .iter()
        .find(|m| m.model_version_id == version && m.placement == "sigterm")
        .expect("the impressions were written");
    assert_eq!(row.impressions, served);
    app.finish().await;
}

/// Polls `f` every 50 ms until it returns `Some`, for at most `limit`.
fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<(T, Duration)> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(v) = f() {
            return Some((v, start.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn admin_login(server: &Server) -> String {
    let (status, login) = server.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": common::ADMIN_EMAIL, "password": common::ADMIN_PASSWORD})),
    );
    assert_eq!(status, 200, "{login}");
    login["access_token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_follow_an_activation_and_run_each_job_once() {
    let Some(app) = TestApp::new(Backend::Postgres).await else {
        return;
    };
    app.train().await;
    let url = app.url.clone();
    let checks = tokio::task::spawn_blocking(move || {
        let (a, b) = (Server::start(&url), Server::start(&url));
        let admin = admin_login(&a);
        // three jobs queued through A; the two replicas' workers share them
        let mut runs = Vec::new();
        for model in ["popular", "content", "hybrid"] {
            let (status, run) = a.call(
                "POST",
                "/api/v1/admin/ml/train",
                Some(&admin),
                Some(json!({"model": model})),
            );
            assert_eq!(status, 202, "{run}");
            runs.push(run["id"].as_i64().unwrap());
        }
        let ended = wait_for(Duration::from_secs(120), || {
            let (_, list) = b.call("GET", "/api/v1/admin/ml/runs?limit=100", Some(&admin), None);
            let items = list["items"].as_array()?.clone();
            items
                .iter()
                .filter(|r| runs.contains(&r["id"].as_i64().unwrap()))
                .all(|r| r["status"] == "succeeded")
                .then_some(items)
        })
        .expect("the jobs finish");
        let (_, models) = a.call("GET", "/api/v1/admin/ml/models", Some(&admin), None);
        let versions: usize = models
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["versions"].as_array().unwrap().len())
            .sum();
        // the trained default (1) plus one version per job: no job ran twice
        assert_eq!(versions, 1 + runs.len(), "{models}");
        let workers: std::collections::HashSet<&str> = ended
            .0
            .iter()
            .filter_map(|r| r["worker"].as_str())
            .collect();
        eprintln!("jobs were run by {} worker(s): {workers:?}", workers.len());

        // activation through A is served by B within its poll
        let (status, v) = a.call(
            "POST",
            "/api/v1/admin/ml/models/hybrid/versions/2/activate",
            Some(&admin),
            None,
        );
        assert_eq!(status, 200, "{v}");
        let (_, delay) = wait_for(Duration::from_secs(10), || {
            let (_, list) = b.call(
                "GET",
                "/api/v1/products/recommendations?limit=3",
                None,
                None,
            );
            (list["model_version"] == "hybrid@v2").then_some(())
        })
        .expect("B serves the activated version");
        eprintln!(
            "replica pickup delay after activation: {} ms (model poll 0.2 s)",
            delay.as_millis()
        );
        assert!(a.terminate().success());
        assert!(b.terminate().success());
    });
    checks.await.unwrap();
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_training_leaves_no_version_and_the_run_is_failed_after_restart() {
    let app = TestApp::new(Backend::Sqlite).await.unwrap();
    let version = app.train().await;
    let url = app.url.clone();
    let store = app.state.store.clone();
    let (run_id, mut server) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            let server = Server::start(&url);
            let admin = admin_login(&server);
            let long = json!({"kind": "als", "factors": 128, "iterations": 100000, "seed": 1});
            let (status, run) = server.call(
                "POST",
                "/api/v1/admin/ml/train",
                Some(&admin),
                Some(json!({"model": "als", "config": long})),
            );
            assert_eq!(status, 202, "{run}");
            let id = run["id"].as_i64().unwrap();
            wait_for(Duration::from_secs(60), || {
                let (_, r) = server.call(
                    "GET",
                    &format!("/api/v1/admin/ml/runs/{id}"),
                    Some(&admin),
                    None,
                );
                r["progress"]["iteration"].as_i64().filter(|&i| i >= 2)
            })
            .expect("training reports progress");
            (id, server)
        }
    })
    .await
    .unwrap();
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let run = store.training_run(run_id).await.unwrap();
    assert_eq!(
        run.status,
        recsys_store::RunStatus::Running,
        "nobody ended it"
    );
    assert!(store.list_model_versions("als").await.unwrap().is_empty());

    let restarted = tokio::task::spawn_blocking(move || Server::start(&url))
        .await
        .unwrap();
    let failed = {
        let mut found = None;
        for _ in 0..300 {
            let r = store.training_run(run_id).await.unwrap();
            if r.status.is_final() {
                found = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        found.expect("the run is ended after the restart")
    };
    assert_eq!(failed.status, recsys_store::RunStatus::Failed);
    assert!(
        failed.error.as_deref().unwrap().contains("no heartbeat"),
        "{failed:?}"
    );
    assert!(
        store.list_model_versions("als").await.unwrap().is_empty(),
        "no half-written version"
    );
    let active = store.active_model_version("hybrid").await.unwrap().unwrap();
    assert_eq!(active.id, version, "the active version is untouched");
    tokio::task::spawn_blocking(move || {
        let (status, list) = restarted.call(
            "GET",
            "/api/v1/products/recommendations?limit=3",
            None,
            None,
        );
        assert_eq!(
            (status, list["model_version"].as_str()),
            (200, Some("hybrid@v1"))
        );
        assert!(restarted.terminate().success());
    })
    .await
    .unwrap();
    app.finish().await;
}
