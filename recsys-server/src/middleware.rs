//! The layers every request goes through: request ids, per-client rate limits, metrics, and one
//! rule for error bodies (anything the framework or a layer answers with an error status and no
//! problem body gets one; every 5xx body carries the request id and nothing else internal).

use std::time::Instant;

use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::client::ClientAddr;
use crate::error::{ApiError, ProblemMarker, problem_response};
use crate::state::AppState;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Finds the request's client once (`client::ClientAddr`, by the trusted proxies) and keeps it
/// in the request for the extractor, the rate limit and, as `client::CURRENT`, the audit log.
pub async fn client_addr(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let client = ClientAddr::of(
        req.extensions(),
        req.headers(),
        &state.settings.trusted_proxies,
    );
    req.extensions_mut().insert(client.clone());
    crate::client::CURRENT.scope(client, next.run(req)).await
}

tokio::task_local! {
    /// The id of the request this task serves, for the log lines written while serving it.
    static CURRENT_REQUEST: std::sync::Arc<str>;
}

/// The id of the request being served (`-` outside one): what every warning or error logged
/// while serving a request names it by. The request's span carries it too, but that span is
/// recorded only at `debug`: built and formatted for every request, it cost about 12% of the
/// cached-list throughput at `info`, the level a production server runs at.
pub fn current_request_id() -> std::sync::Arc<str> {
    CURRENT_REQUEST
        .try_with(std::sync::Arc::clone)
        .unwrap_or_else(|_| std::sync::Arc::from("-"))
}

/// A request id for every request: the client's `X-Request-Id` if it sent a sane one, else a
/// new UUID; echoed in the response, and named by the log lines written while serving it
/// ([`current_request_id`]).
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| crate::ids::uuid().to_string(), str::to_string);
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert(REQUEST_ID.clone(), value.clone());
    let span = tracing::debug_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    tracing::debug!(parent: &span, "started");
    let mut response = {
        use tracing::Instrument;
        CURRENT_REQUEST
            .scope(id.into(), next.run(req).instrument(span))
            .await
    };
    response.headers_mut().insert(REQUEST_ID.clone(), value);
    response
}

/// Per-client request budget (when configured): 429 with `Retry-After` past it.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(limiter) = &state.rate_limit {
        let (mut parts, body) = req.into_parts();
        let Ok(ClientAddr(client)) = ClientAddr::from_request_parts(&mut parts, &state).await;
        if let Err(wait) = limiter.take(&client) {
            return ApiError::TooManyRequests {
                detail: format!("too many requests; try again in {wait} s"),
                retry_after_s: wait,
            }
            .into_response();
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    next.run(req).await
}

/// What the pages may load and do: only this origin's scripts (no inline script, no eval),
/// styles and connections; images also as `data:` and from `https:` hosts (a product's picture
/// may live on the shop's own host: `image_url`); never framed by another site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: https:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The browser security headers on every response (a handler's own choice of one wins):
/// the content security policy, `nosniff`, no referrer to other sites, no framing, and
/// `Strict-Transport-Security` when the server was started with `--hsts`.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if state.settings.hsts {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

/// Requests by route and status, and their latency.
pub async fn metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Every error response as problem+json: a bare 404/405/408/... from the router or a layer
/// (no body, no content type) gets a problem body; a 5xx problem gets the request id.
pub async fn problems(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let ours = response.extensions().get::<ProblemMarker>().is_some();
    if ours && !status.is_server_error() {
        return response;
    }
    if !ours && response.headers().contains_key(header::CONTENT_TYPE) {
        // a body a handler chose on purpose (a 503 readiness report, say)
        return response;
    }
    let retry = response.headers().get(header::RETRY_AFTER).cloned();
    let error = if ours {
        // our own 5xx: its body is generic already; rebuild it to carry the request id
        ApiError::Internal(String::new())
    } else {
        bare(status)
    };
    let mut problem = error.problem(id);
    // a status without a variant of its own keeps its number
    problem.status = status.as_u16();
    let mut out = problem_response(&problem, None);
    if let Some(r) = retry {
        out.headers_mut().insert(header::RETRY_AFTER, r);
    }
    out
}

fn bare(status: StatusCode) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::NotFound("no such resource".into()),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::MethodNotAllowed("this method is not allowed here".into())
        }
        StatusCode::REQUEST_TIMEOUT => ApiError::Timeout("the request took too long".into()),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge("the request body is over the size limit".into())
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("unsupported content type".into())
        }
        StatusCode::NOT_ACCEPTABLE => ApiError::BadRequest("no acceptable representation".into()),
        s if s.is_server_error() => ApiError::Internal(String::new()),
        s => ApiError::BadRequest(s.canonical_reason().unwrap_or("bad request").into()),
    }
}

/// A panic in a handler: logged, answered as a 500 problem (the connection stays up).
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into());
    ApiError::Internal(format!("handler panicked: {detail}")).into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    use super::*;

    async fn boom() -> &'static str {
        panic!("secret internals: the database password is hunter2")
    }

    #[tokio::test]
    async fn a_panic_is_a_500_problem_with_the_request_id_and_nothing_internal() {
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(axum::middleware::from_fn(problems))
            .layer(axum::middleware::from_fn(request_id));
        let response = app
            .oneshot(
                Request::get("/boom")
                    .header("x-request-id", "req-42")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["x-request-id"], "req-42");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "internal_error");
        assert_eq!(body["request_id"], "req-42");
        assert!(!body.to_string().contains("hunter2"), "{body}");
    }
}
