//! Bad input on every kind of body gets a problem+json answer with the right status; health,
//! metrics, request ids and the OpenAPI document.

use crate::common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Backend, TestApp};
use serde_json::json;

on_both_backends!(
    bad_bodies_get_the_right_problem,
    unknown_routes_and_methods_are_problems_too,
    health_metrics_and_request_ids,
    the_openapi_document_covers_every_route,
);

fn raw(
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    if let Some(c) = content_type {
        r = r.header("content-type", c);
    }
    r.body(body.into()).unwrap()
}

async fn bad_bodies_get_the_right_problem(app: TestApp) {
    let token = app.customer_token(0).await;
    let p = app.products[0];
    let path = format!("/api/v1/cart/items/{p}");
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            raw(
                Method::PUT,
                &path,
                Some(&token),
                Some("application/json"),
                "{\"quantity\": ",
            ),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            raw(
                Method::PUT,
                &path,
                Some(&token),
                Some("text/plain"),
                "{\"quantity\": 1}",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            raw(Method::PUT, &path, Some(&token), None, "{\"quantity\": 1}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            raw(
                Method::PUT,
                &path,
                Some(&token),
                Some("application/json"),
                "{\"quantity\": \"two\"}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::PUT,
                &path,
                Some(&token),
                Some("application/json"),
                "{\"quantity\": 1, \"price\": 0}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::PUT,
                &path,
                Some(&token),
                Some("application/json"),
                "{}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::PUT,
                &path,
                Some(&token),
                Some("application/json"),
                "{\"quantity\": -3}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::PUT,
                &path,
                Some(&token),
                Some("application/json"),
                "{\"quantity\": 99999999999999999999999}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::PUT,
                &path,
                Some(&token),
                Some("application/json"),
                "\"one\"",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::PUT,
                "/api/v1/cart/items/abc",
                Some(&token),
                Some("application/json"),
                "{\"quantity\": 1}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::PUT,
                "/api/v1/cart/items/99999999999999999999",
                Some(&token),
                Some("application/json"),
                "{\"quantity\": 1}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some("application/json"),
                format!(
                    "{{\"email\": \"{}\", \"password\": \"x\"}}",
                    "a".repeat(2 * 1024 * 1024)
                ),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            raw(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some("application/json"),
                "{\"email\": \"not an email\", \"password\": \"long enough\"}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some("application/json"),
                "{\"email\": \"nul\\u0000@x.co\", \"password\": \"long enough\"}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
    ];
    for (req, status, code) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let r = app.send(req).await;
        assert_eq!(r.status, status, "{what}: {}", r.text);
        assert_eq!(
            r.headers["content-type"], "application/problem+json",
            "{what}"
        );
        assert_eq!(r.body["code"], code, "{what}: {}", r.text);
        assert_eq!(r.body["status"], status.as_u16(), "{what}");
        assert!(
            r.body["title"].is_string()
                && r.body["detail"].is_string()
                && r.body["type"].is_string(),
            "{what}"
        );
    }
    // a validation problem names the field
    let r = app
        .send(raw(
            Method::PUT,
            &path,
            Some(&token),
            Some("application/json"),
            "{\"quantity\": -3}",
        ))
        .await;
    assert_eq!(r.body["errors"][0]["field"], "quantity", "{}", r.text);
    let r = app
        .send(raw(
            Method::PUT,
            &path,
            Some(&token),
            Some("application/json"),
            "{\"quantity\": 1, \"price\": 0}",
        ))
        .await;
    assert!(
        r.body["detail"].as_str().unwrap().contains("price"),
        "{}",
        r.text
    );

    // injection strings are data
    let evil = "x'); DELETE FROM users; --";
    let reg = app
        .post("/api/v1/auth/register", None, json!({"email": "evil@example.com", "password": "long enough pw", "display_name": evil}))
        .await;
    assert_eq!(reg.status, StatusCode::CREATED);
    assert_eq!(reg.body["user"]["display_name"], evil);
    let s = app
        .get("/api/v1/search?q=%27%20OR%201%3D1%20--", None)
        .await;
    assert_eq!(s.status, StatusCode::OK);
    let listed = app.get("/api/v1/products?q=%25%27%3B--", None).await;
    assert_eq!(listed.body["total"], 0);
    assert!(
        app.state
            .store
            .user_by_email("customer1@test.dev")
            .await
            .unwrap()
            .is_some()
    );
    app.finish().await;
}

async fn unknown_routes_and_methods_are_problems_too(app: TestApp) {
    let r = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert_eq!(r.body["code"], "not_found");
    let r = app
        .call(Method::DELETE, "/api/v1/categories", None, None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body["code"], "method_not_allowed");
    assert_eq!(r.body["status"], 405);
    app.finish().await;
}

async fn health_metrics_and_request_ids(app: TestApp) {
    assert_eq!(app.get("/health/live", None).await.status, StatusCode::OK);
    let health = app.get("/health", None).await;
    assert_eq!(health.body["database"]["reachable"], true);
    assert!(health.body["process"]["memory_rss_bytes"].as_u64().unwrap() > 0);
    assert_eq!(health.body["catalog_products"], 60);
    app.train().await;
    let ready = app.get("/health/ready", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    let health = app.get("/health", None).await;
    assert_eq!(health.body["models"][0]["name"], "hybrid");

    app.get("/api/v1/products/recommendations", None).await;
    let metrics = app.get("/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    for name in [
        "http_requests_total",
        "http_request_duration_seconds",
        "recsys_recommendations_served_total",
        "recsys_db_pool_connections",
        "recsys_model_active_version",
    ] {
        assert!(metrics.text.contains(name), "{name} missing from /metrics");
    }
    assert!(
        metrics
            .text
            .contains("route=\"/api/v1/products/recommendations\"")
    );

    let kept = app
        .send(
            Request::get("/health/live")
                .header("x-request-id", "trace-me-123")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(kept.headers["x-request-id"], "trace-me-123");
    let made = app.get("/health/live", None).await;
    assert_eq!(made.headers["x-request-id"].to_str().unwrap().len(), 36);

    let gz = app
        .send(
            Request::get("/api/v1/products?limit=100")
                .header("accept-encoding", "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(gz.headers["content-encoding"], "gzip");
    app.finish().await;
}

async fn the_openapi_document_covers_every_route(app: TestApp) {
    let doc = app.get("/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc.body["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/products",
        "/api/v1/products/{id}",
        "/api/v1/products/recommendations",
        "/api/v1/products/{id}/similar",
        "/api/v1/cart/items/{product_id}",
        "/api/v1/orders",
        "/api/v1/events",
        "/api/v1/admin/products/{id}",
        "/api/v1/admin/users/{id}",
        "/api/v1/admin/ml/train",
        "/api/v1/admin/ml/runs/{id}/cancel",
        "/api/v1/admin/ml/models/{name}/versions/{version}/activate",
        "/api/v1/admin/ml/models/{name}/rollback",
        "/api/v1/admin/ml/experiments/{id}/stop",
        "/api/v1/admin/ml/segments",
        "/api/v1/admin/analytics/overview",
        "/api/v1/admin/analytics/recommendations",
        "/api/v1/admin/audit-log",
        "/health",
        "/metrics",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    let login = &doc.body["paths"]["/api/v1/auth/login"]["post"]["responses"];
    assert!(login["401"].is_object() && login["429"].is_object());
    let docs = app.get("/docs/", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(
        docs.text.contains("swagger"),
        "the API page is served from the binary"
    );
    assert!(!docs.text.contains("cdn."), "no outside scripts");
    app.finish().await;
}

/// Every response, API and error alike, carries the browser security headers; HSTS only when
/// asked for.
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new(Backend::Sqlite).await;
    for path in [
        "/health/live",
        "/api/v1/products",
        "/api/v1/nothing-here",
        "/docs/",
    ] {
        let r = app.get(path, None).await;
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe"),
            "{path}: {csp}"
        );
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            r.headers["referrer-policy"],
            "strict-origin-when-cross-origin"
        );
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert!(
            !r.headers.contains_key("strict-transport-security"),
            "{path}"
        );
    }
    app.finish().await;
    let app = TestApp::with(Backend::Sqlite, |s| s.hsts = true).await;
    let r = app.get("/health/live", None).await;
    assert_eq!(
        r.headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    app.finish().await;
}

/// Behind a trusted proxy each forwarded client has its own request budget; a peer that is not
/// trusted is one client whatever it forwards.
#[tokio::test]
async fn the_rate_limit_counts_the_forwarded_client_behind_a_trusted_proxy() {
    let app = TestApp::with(Backend::Sqlite, |s| {
        s.rate_limit_per_s = 1;
        s.rate_burst = 2;
        s.trusted_proxies =
            recsys_server::client::TrustedProxies(vec!["10.0.0.0/8".parse().unwrap()]);
    })
    .await;
    let from = |peer: &str, forwarded: &str| {
        let req = axum::http::Request::get("/health/live")
            .header("x-forwarded-for", forwarded)
            .body(axum::body::Body::empty())
            .unwrap();
        common::from_peer(req, peer)
    };
    for _ in 0..2 {
        assert_eq!(
            app.send(from("10.0.0.1", "198.51.100.1")).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.send(from("10.0.0.1", "198.51.100.1")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.send(from("10.0.0.1", "198.51.100.2")).await.status,
        StatusCode::OK,
        "another client behind the same proxy has its own budget"
    );
    for i in 0..2 {
        let spoofed = format!("192.0.2.{i}");
        assert_eq!(
            app.send(from("203.0.113.5", &spoofed)).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.send(from("203.0.113.5", "192.0.2.99")).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "an untrusted peer is its own address"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_per_client_rate_limit_answers_429() {
    let app = TestApp::with(Backend::Sqlite, |s| {
        s.rate_limit_per_s = 1;
        s.rate_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(app.get("/health/live", None).await.status);
    }
    assert_eq!(&statuses[..3], &[StatusCode::OK; 3]);
    let r = app.get("/health/live", None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
    app.finish().await;
}
