//! # recsys-server
//!
//! The recsys shop server: accounts, catalog, search, cart, orders, events and live
//! recommendations over HTTP, on SQLite (embedded) or PostgreSQL, built from `recsys-core` (the
//! models) and `recsys-store` (all SQL). [`app`] builds the router from an [`AppState`];
//! `main.rs` reads the configuration, prepares the state and serves it.
//!
//! Layout: `routes/<resource>.rs` extract, call a service and map the result; `services/` hold
//! the orchestration (serving model, catalog cache, recommendations, training, analytics queue,
//! demo shop); `auth/` the account service and its extractors; `error.rs` the one `ApiError`
//! and its problem+json answer.

pub mod auth;
pub mod client;
pub mod config;
pub mod error;
pub mod extract;
pub mod ids;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod services;
pub mod state;
pub mod ttl_cache;
pub mod web;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::timeout::TimeoutLayer;

pub use state::AppState;

/// The whole HTTP application over `state`.
pub fn app(state: AppState) -> Router {
    let settings = &state.settings;
    let api = Router::new()
        .merge(routes::auth::router())
        .merge(routes::catalog::router())
        .merge(routes::recommendations::router())
        .merge(routes::cart::router())
        .merge(routes::orders::router())
        .merge(routes::events::router())
        .merge(routes::admin_catalog::router())
        .merge(routes::admin_ml::router())
        .merge(routes::admin_users::router())
        .merge(routes::analytics::router())
        .merge(routes::api_keys::router())
        .merge(routes::service::router())
        .merge(routes::health::router())
        .merge(routes::images::router(settings.image_max_bytes))
        .merge(openapi::router());
    let pages: Option<Router> = match web::Pages::choose(settings.web_dir.as_ref()) {
        web::Pages::Embedded(files) => {
            Some(Router::new().fallback(move |req: Request| web::serve_embedded(files, req)))
        }
        web::Pages::Dir(dir) => {
            // files as they are, client routes get index.html; a missing asset is a 404
            let index = ServeFile::new(dir.join("index.html"));
            Some(
                Router::new()
                    .nest_service("/assets", ServeDir::new(dir.join("assets")))
                    .fallback_service(ServeDir::new(&dir).fallback(index)),
            )
        }
        web::Pages::None => None,
    };
    let router = match pages {
        Some(pages) => api
            .route("/api/{*rest}", axum::routing::any(routes::not_found))
            .fallback_service(pages.layer(axum::middleware::from_fn(web::cache_control))),
        None => api.fallback(routes::not_found),
    };
    let cors = cors(&settings.cors_origins);
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::rate_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::client_addr,
        ))
        .layer(axum::middleware::from_fn(middleware::metrics))
        .layer(DefaultBodyLimit::max(settings.body_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(CompressionLayer::new().gzip(true))
        .layer(cors)
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(middleware::problems))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(axum::middleware::from_fn(middleware::request_id))
        .with_state(state)
}

fn cors(origins: &[String]) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([header::HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(600));
    if origins.iter().any(|o| o == "*") {
        base.allow_origin(AllowOrigin::any())
    } else {
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        base.allow_origin(list)
    }
}
