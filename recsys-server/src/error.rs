//! The one error type of the HTTP API and its one translation into a response: an RFC 9457
//! `application/problem+json` body with `type`, `title`, `status`, `detail`, a machine-readable
//! `code` and, for validation, `errors: [{field, message}]`.
//!
//! Store and core errors are translated here, once. A 5xx body says nothing internal: the
//! detail goes to the log with the request id, and the body carries the request id only.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use recsys_store::StoreError;

use crate::middleware::current_request_id;
use serde::Serialize;
use utoipa::ToSchema;

/// A field that failed validation.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// What every error response carries (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` kinds use the code instead).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, machine-readable: `validation_failed`, `not_found`, `unauthorized`, ...
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id (also in the `X-Request-Id` header), for 5xx reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after_s: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// Anything else: logged in full, answered as a bare 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A validation error of one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let (field, message) = (field.into(), message.into());
        ApiError::Validation {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError { field, message }],
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(e.to_string())
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use ApiError::*;
        match self {
            BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", "Bad request"),
            Validation { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Invalid input",
            ),
            Unauthorized(_) => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
            ),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
            ),
            Timeout(_) => (StatusCode::REQUEST_TIMEOUT, "timeout", "Request timeout"),
            Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Request body too large",
            ),
            UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
            ),
            TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
            ),
            Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal server error",
            ),
        }
    }

    /// The problem body of this error (5xx without detail).
    pub fn problem(&self, request_id: Option<String>) -> Problem {
        let (status, code, title) = self.parts();
        let (detail, errors) = match self {
            ApiError::Internal(_) => (
                "the server could not complete the request; report the request id".to_string(),
                Vec::new(),
            ),
            ApiError::Validation { detail, errors } => (detail.clone(), errors.clone()),
            other => (other.to_string(), Vec::new()),
        };
        Problem {
            kind: format!("https://recsys.dev/problems/{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            code: code.into(),
            errors,
            request_id: if status.is_server_error() {
                request_id
            } else {
                None
            },
        }
    }
}

/// A problem response: status, `application/problem+json`, and `Retry-After` where it applies.
pub fn problem_response(problem: &Problem, retry_after_s: Option<u64>) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(s) = retry_after_s {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    response
}

/// `Retry-After` of a 503: what a client should wait before asking again.
const UNAVAILABLE_RETRY_AFTER_S: u64 = 2;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            // the only place the detail of a 5xx goes
            tracing::error!(request_id = %current_request_id(), error = %detail, "request failed");
        }
        let retry = match &self {
            ApiError::TooManyRequests { retry_after_s, .. } => Some(*retry_after_s),
            ApiError::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_S),
            _ => None,
        };
        // the request id is filled in by the problem middleware, which sees the headers
        let mut response = problem_response(&self.problem(None), retry);
        response.extensions_mut().insert(ProblemMarker);
        response
    }
}

/// Marks responses whose body is a problem made by [`ApiError`], so the middleware that adds the
/// request id to 5xx bodies knows it may rewrite them.
#[derive(Clone, Copy, Debug)]
pub struct ProblemMarker;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, id } => {
                ApiError::NotFound(format!("{entity} {id} not found"))
            }
            StoreError::Conflict { entity, field } => {
                ApiError::Conflict(format!("a {entity} with this {field} already exists"))
            }
            e @ StoreError::InsufficientStock { .. } => ApiError::Conflict(e.to_string()),
            StoreError::Invalid { field, reason } => ApiError::field(field, reason),
            e @ (StoreError::InvalidState { .. } | StoreError::InUse { .. }) => {
                ApiError::Conflict(e.to_string())
            }
            StoreError::Core(e) => e.into(),
            StoreError::Unavailable(e) => {
                tracing::warn!(request_id = %current_request_id(), error = %e, "the database is unavailable");
                metrics::counter!("recsys_database_unavailable_total").increment(1);
                ApiError::Unavailable("the database is unavailable; try again shortly".into())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// A core error as the error table in `docs/architecture.md` says (by its kind; the field of a
/// validation error names what to change).
impl From<recsys_core::Error> for ApiError {
    fn from(e: recsys_core::Error) -> Self {
        use recsys_core::{Error as E, ErrorKind as K};
        match e.kind() {
            K::InvalidArgument => {
                let field = match &e {
                    E::InvalidParam { param, .. } => (*param).to_owned(),
                    E::InvalidConfig { path, .. } => path.clone(),
                    E::NotPositiveDefinite(_) => "regularization".to_owned(),
                    _ => "input".to_owned(),
                };
                ApiError::field(field, e.to_string())
            }
            K::UnknownId => ApiError::NotFound(e.to_string()),
            K::NotFitted => ApiError::Unavailable(e.to_string()),
            K::Cancelled => ApiError::Conflict(e.to_string()),
            K::CorruptModel | K::Io => ApiError::Internal(e.to_string()),
        }
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of the error table in docs/architecture.md: variant -> cells after it.
    fn error_table() -> Vec<(String, Vec<String>)> {
        let doc = include_str!("../../docs/architecture.md");
        let start = doc
            .find("| core variant |")
            .expect("the error table in docs/architecture.md");
        doc[start..]
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<String> = l
                    .trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().trim_matches('`').to_owned())
                    .collect();
                (cells[0].clone(), cells[1..].to_vec())
            })
            .collect()
    }

    #[test]
    fn every_core_error_answers_as_the_error_table_says() {
        let table = error_table();
        let examples = recsys_core::Error::examples();
        let mut rows: Vec<&str> = table.iter().map(|(v, _)| v.as_str()).collect();
        let mut variants: Vec<&str> = examples.iter().map(|e| e.variant()).collect();
        rows.sort_unstable();
        variants.sort_unstable();
        assert_eq!(rows, variants, "one row per core variant");
        for e in examples {
            let variant = e.variant();
            let row = &table.iter().find(|(v, _)| v == variant).unwrap().1;
            let kind = e.kind().name();
            let problem = ApiError::from(e).problem(None);
            assert_eq!(row[0], kind, "{variant}: kind");
            assert_eq!(row[1], problem.status.to_string(), "{variant}: status");
            assert_eq!(row[2], problem.code, "{variant}: code");
            let field = problem.errors.first().map(|f| f.field.as_str());
            match row[3].as_str() {
                "" => assert_eq!(field, None, "{variant}: field"),
                "the parameter" => assert_eq!(field, Some("factors"), "{variant}: field"),
                "the path in the config" => {
                    assert_eq!(field, Some("config.factorz"), "{variant}: field")
                }
                named => assert_eq!(field, Some(named), "{variant}: field"),
            }
        }
    }
}
