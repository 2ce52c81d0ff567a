//! The database going away under load: PostgreSQL stopped for 20 s while customers browse, get
//! recommendations and fill carts through the real binary, then started again.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use common::binary::Server;
use common::private_postgres::PrivatePostgres;
use common::{Backend, TestApp};
use serde_json::json;

const UP: u8 = 0;
const DOWN: u8 = 1;
const BACK: u8 = 2;
const CHANGING: u8 = 3;

/// One answered request: the phase it was sent in, its status, how long it took, and for a
/// recommendation list how many items it showed.
struct Answer {
    phase: u8,
    path: String,
    status: u16,
    took: Duration,
    shown: i64,
}

/// Impressions recorded so far, over every model version and placement.
async fn impressions(url: &str) -> i64 {
    let store = recsys_store::Store::connect(url).await.unwrap();
    let (from, to) = (
        recsys_store::Day::from_ymd(2000, 1, 1).unwrap(),
        recsys_store::Day::today().next(),
    );
    let n = store
        .rec_metrics(None, from, to)
        .await
        .unwrap()
        .iter()
        .map(|m| m.impressions)
        .sum();
    store.close().await;
    n
}

/// While the database is down `/health/ready` is 503 and requests that need it get 503 problem
/// answers within the acquire timeout (never a 500, a hang to the request timeout or a crash);
/// once it is back the same process is ready again within 5 s, and the impressions of every list
/// it showed meanwhile are written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres: RECSYS_TEST_POSTGRES_URL, run with --include-ignored (scripts/test.sh does)"]
async fn postgres_down_for_20_s_under_load_is_503_then_recovers_without_a_restart() {
    let pg = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .unwrap()
        .expect("a private Postgres cluster from the test server's binaries");
    let pg = Arc::new(pg);
    let url = pg.url();
    let app = TestApp::new(Backend::At(url.clone())).await;
    app.train().await;
    let products = Arc::new(app.products.clone());
    app.finish().await;
    let impressions_before = impressions(&url).await;

    let server = Arc::new(
        tokio::task::spawn_blocking({
            let url = url.clone();
            move || {
                Server::start_with(
                    &url,
                    &["--request-timeout", "10", "--db-acquire-timeout", "2"],
                )
            }
        })
        .await
        .unwrap(),
    );
    let phase = Arc::new(AtomicU8::new(UP));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for i in 0..4usize {
        let (server, phase, stop, products) = (
            server.clone(),
            phase.clone(),
            stop.clone(),
            products.clone(),
        );
        clients.push(std::thread::spawn(move || {
            let token = server.sign_in(&format!("customer{i}@test.dev"), common::PASSWORD);
            let mut answers = Vec::new();
            for k in 0usize.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let (method, path, body) = match k % 3 {
                    0 => ("GET", "/api/v1/products/recommendations".to_string(), None),
                    1 => (
                        "GET",
                        format!("/api/v1/products?limit=5&offset={}", k % 50),
                        None,
                    ),
                    _ => (
                        "PUT",
                        format!("/api/v1/cart/items/{}", products[(i * 7 + k) % 50]),
                        Some(json!({"quantity": 1})),
                    ),
                };
                let sent_in = phase.load(Ordering::SeqCst);
                let started = Instant::now();
                let (status, body) = server
                    .try_call(method, &path, Some(&token), body.as_ref())
                    .unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"));
                let shown = if status == 200 && k % 3 == 0 {
                    body["items"].as_array().map_or(0, |a| a.len() as i64)
                } else {
                    0
                };
                if status == 503 {
                    assert_eq!(body["status"], 503, "a problem answer: {body}");
                }
                // a request that was under way when the phase changed belongs to neither
                let phase = if phase.load(Ordering::SeqCst) == sent_in {
                    sent_in
                } else {
                    CHANGING
                };
                answers.push(Answer {
                    phase,
                    path: format!("{method} {path}"),
                    status,
                    took: started.elapsed(),
                    shown,
                });
                std::thread::sleep(Duration::from_millis(20));
            }
            answers
        }));
    }

    let ready = |server: &Server| server.call("GET", "/health/ready", None, None).0;
    let timeline = tokio::task::spawn_blocking({
        let (server, pg, phase) = (server.clone(), pg.clone(), phase.clone());
        move || {
            std::thread::sleep(Duration::from_secs(2));
            assert_eq!(ready(&server), 200);
            // the phase changes before the stop begins: an answer of the fast shutdown is DOWN's
            phase.store(DOWN, Ordering::SeqCst);
            pg.stop_server();
            let down_at = Instant::now();
            let mut ready_while_down = Vec::new();
            while down_at.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_secs(1));
                ready_while_down.push(ready(&server));
                let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))
                    .unwrap_or_default();
                assert!(
                    status
                        .lines()
                        .any(|l| l.starts_with("State:") && !l.contains('Z')),
                    "the server is alive: {status}"
                );
            }
            pg.start_server();
            phase.store(BACK, Ordering::SeqCst);
            let back_at = Instant::now();
            while ready(&server) != 200 {
                assert!(
                    back_at.elapsed() < Duration::from_secs(30),
                    "not ready 30 s after the database came back"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            let recovered_in = back_at.elapsed();
            std::thread::sleep(Duration::from_secs(2));
            (ready_while_down, recovered_in)
        }
    });
    let (ready_while_down, recovered_in) = timeline.await.unwrap();
    stop.store(true, Ordering::SeqCst);
    let answers: Vec<Answer> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();

    assert!(
        ready_while_down.iter().skip(3).all(|s| *s == 503),
        "/health/ready while the database is down: {ready_while_down:?}"
    );
    assert!(
        recovered_in <= Duration::from_secs(5),
        "ready again {recovered_in:?} after the database came back"
    );
    for a in &answers {
        assert!(
            matches!(a.status, 200 | 201 | 204 | 409 | 503),
            "{} answered {} (sent while {})",
            a.path,
            a.status,
            ["up", "down", "back", "changing"][a.phase as usize]
        );
        assert!(
            a.took < Duration::from_secs(5),
            "{} took {:?}: longer than the acquire timeout allows",
            a.path,
            a.took
        );
    }
    let down: Vec<&Answer> = answers.iter().filter(|a| a.phase == DOWN).collect();
    assert!(
        down.iter().filter(|a| a.status == 503).count() >= 10,
        "requests that need the database get 503 while it is down"
    );
    assert!(
        answers
            .iter()
            .filter(|a| a.phase == UP)
            .all(|a| a.status != 503),
        "no 503 before the outage"
    );
    let last: Vec<&Answer> = answers.iter().rev().take(8).collect();
    assert!(
        last.iter().all(|a| (200..300).contains(&a.status)),
        "served again after recovery"
    );

    // the impressions of every list shown, also those queued while the database was down, are
    // written by the time the process has stopped
    let shown: i64 = answers.iter().map(|a| a.shown).sum();
    let shown_while_down: i64 = down.iter().map(|a| a.shown).sum();
    assert!(
        shown_while_down > 0,
        "lists were shown from memory while the database was down"
    );
    let server = Arc::try_unwrap(server).ok().unwrap();
    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    assert!(status.success());
    assert_eq!(
        impressions(&url).await - impressions_before,
        shown,
        "impressions recorded = items shown ({shown_while_down} of them while the database was down)"
    );
    drop(pg);
}
