//! Product pictures: an admin (`POST /api/v1/admin/images`) or a shop's service key with
//! `catalog:write` (`POST /api/v1/service/images`) uploads one as the request's body; the answer's
//! `url` is what a product's `image_url` is set to. `GET /images/{name}` serves it with a year of
//! caching (a name is the hash of its bytes, so it never changes).

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::auth::extract::{Admin, Service, perm, scope};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::{Actor, audit};
use crate::services::images::StoredImage;
use crate::state::AppState;

/// A picture's bytes as a request body (in the OpenAPI document: a binary string, not an array
/// of integers).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PictureBytes(#[allow(dead_code)] Vec<u8>);

pub fn router(max_bytes: usize) -> Router<AppState> {
    // the body may be the largest picture taken, whatever the limit of other requests
    let upload_limit = DefaultBodyLimit::max(max_bytes);
    Router::new()
        .route(
            "/api/v1/admin/images",
            post(admin_upload).layer(upload_limit),
        )
        .route(
            "/api/v1/service/images",
            post(service_upload).layer(upload_limit),
        )
        .route("/images/{name}", get(image))
}

/// Stores a picture (JPEG, PNG or WebP, read from the bytes; at most `--image-max-bytes`) without
/// its metadata and answers the `url` to give a product as `image_url`.
#[utoipa::path(post, path = "/api/v1/admin/images", tag = "admin", security(("bearer" = [])),
    request_body(content = PictureBytes, content_type = "application/octet-stream",
        description = "the picture's bytes (JPEG, PNG or WebP)"),
    responses((status = 201, body = StoredImage), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn admin_upload(
    State(state): State<AppState>,
    admin: Admin<perm::Catalog>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<StoredImage>)> {
    upload(&state, Actor::User(admin.user.id), body).await
}

/// The same upload for a shop's own storefront, with a `catalog:write` key.
#[utoipa::path(post, path = "/api/v1/service/images", tag = "service", security(("api_key" = [])),
    request_body(content = PictureBytes, content_type = "application/octet-stream",
        description = "the picture's bytes (JPEG, PNG or WebP)"),
    responses((status = 201, body = StoredImage), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn service_upload(
    State(state): State<AppState>,
    service: Service<scope::CatalogWrite>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<StoredImage>)> {
    upload(&state, Actor::Key(service.key.id), body).await
}

async fn upload(
    state: &AppState,
    actor: Actor,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<StoredImage>)> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => state.images.too_large(None),
        _ => ApiError::BadRequest(format!("the picture could not be read: {rejection}")),
    })?;
    let stored = state.images.store(&body).await?;
    metrics::counter!("recsys_images_stored_total").increment(1);
    audit(
        state,
        actor,
        "image.upload",
        "image",
        &stored.url,
        None,
        serde_json::to_value(&stored).ok(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(stored)))
}

/// A stored picture, cached for a year (`immutable`: its name is the hash of its bytes).
#[utoipa::path(get, path = "/images/{name}", tag = "catalog",
    params(("name" = String, Path, description = "<sha256>.<jpg|png|webp>")),
    responses((status = 200, description = "the picture", content_type = "image/*"),
              (status = 304, description = "not modified"), (status = 404, body = Problem)))]
pub async fn image(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let etag = format!("\"{}\"", name.split('.').next().unwrap_or_default());
    let not_found = || ApiError::NotFound(format!("no picture is stored as '{name}'"));
    if !recsys_store::is_image_name(&name) {
        return Err(not_found());
    }
    let cache = HeaderValue::from_static(crate::web::IMMUTABLE);
    let etag_value = HeaderValue::from_str(&etag).map_err(ApiError::internal)?;
    if crate::web::is_fresh(&headers, &etag_value) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::CACHE_CONTROL, cache), (header::ETAG, etag_value)],
        )
            .into_response());
    }
    let (bytes, format) = state.images.read(&name).await?.ok_or_else(not_found)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CACHE_CONTROL, cache),
            (header::ETAG, etag_value),
        ],
        Body::from(bytes),
    )
        .into_response())
}
