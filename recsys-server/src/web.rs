//! The storefront and dashboard pages at `/`: embedded in release builds (`build.rs`), or read
//! from `--web-dir` (front-end work; it wins over the embedded ones), or none (API only). Hashed
//! files under `assets/` are cached for a year; everything else (`index.html`) must be
//! revalidated (`no-cache`, with an `ETag`). A path that is not a file is a client route and gets
//! `index.html`; a missing file under `assets/` is a 404.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/web_files.rs"));
}

/// Where the pages come from.
#[derive(Debug, Clone)]
pub enum Pages {
    Embedded(&'static [(&'static str, &'static [u8])]),
    Dir(PathBuf),
    None,
}

impl Pages {
    /// `--web-dir` if given (no `index.html` there: none), else the embedded pages, if any.
    pub fn choose(web_dir: Option<&PathBuf>) -> Pages {
        match web_dir {
            Some(dir) if dir.join("index.html").is_file() => Pages::Dir(dir.clone()),
            Some(_) => Pages::None,
            None if !embedded::FILES.is_empty() => Pages::Embedded(embedded::FILES),
            None => Pages::None,
        }
    }

    /// One line for the start-up message.
    pub fn describe(&self, web_dir: Option<&PathBuf>) -> String {
        match (self, web_dir) {
            (Pages::Embedded(files), _) => {
                format!("web pages: embedded in the binary ({} files)", files.len())
            }
            (Pages::Dir(dir), _) => format!("web pages: from {}", absolute(dir)),
            (Pages::None, Some(dir)) => format!(
                "web pages: none ({} has no index.html): serving the API only",
                absolute(dir)
            ),
            (Pages::None, None) => "web pages: none in this build (scripts/build-web.sh, then \
                 a release build, embeds them; or --web-dir): serving the API only"
                .into(),
        }
    }
}

fn absolute(dir: &std::path::Path) -> String {
    std::path::absolute(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .display()
        .to_string()
}

/// One embedded file, ready to answer.
struct Asset {
    bytes: &'static [u8],
    content_type: &'static str,
    etag: HeaderValue,
}

fn index(files: &'static [(&'static str, &'static [u8])]) -> &'static HashMap<&'static str, Asset> {
    static INDEX: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    INDEX.get_or_init(|| {
        files
            .iter()
            .map(|&(name, bytes)| {
                let digest = Sha256::digest(bytes);
                let tag: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
                let asset = Asset {
                    bytes,
                    content_type: content_type(name),
                    etag: HeaderValue::from_str(&format!("\"{tag}\""))
                        .expect("hex is a header value"),
                };
                (name, asset)
            })
            .collect()
    })
}

/// `Cache-Control` of a file whose name changes with its bytes (hashed assets, stored pictures).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Whether the request's `If-None-Match` names `etag` (the client's copy is current: 304).
pub fn is_fresh(headers: &axum::http::HeaderMap, etag: &HeaderValue) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.as_bytes() == etag.as_bytes())
}

/// Answers a request for the embedded pages.
pub async fn serve_embedded(
    files: &'static [(&'static str, &'static [u8])],
    req: Request,
) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let files = index(files);
    let path = req.uri().path().trim_start_matches('/');
    let asset = match files.get(path) {
        Some(a) if !path.is_empty() => a,
        _ if path.starts_with("assets/") => return StatusCode::NOT_FOUND.into_response(),
        _ => match files.get("index.html") {
            Some(a) => a,
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let mut response = if is_fresh(req.headers(), &asset.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if req.method() == Method::HEAD {
        let mut head = Response::new(Body::empty());
        head.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(asset.bytes.len()));
        head
    } else {
        Response::new(Body::from(asset.bytes))
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::ETAG, asset.etag.clone());
    response
}

/// `Cache-Control` of the pages, embedded or from a folder.
pub async fn cache_control(req: Request, next: Next) -> Response {
    let hashed = req.uri().path().starts_with("/assets/");
    let mut response = next.run(req).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let policy = if hashed { IMMUTABLE } else { "no-cache" };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

fn content_type(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    static FILES: &[(&str, &[u8])] = &[
        ("index.html", b"<!doctype html><div id=root></div>"),
        ("assets/index-abc123.js", b"console.log(1)"),
        ("favicon.svg", b"<svg/>"),
    ];

    fn app() -> Router {
        Router::new()
            .fallback(|req: Request| serve_embedded(FILES, req))
            .layer(axum::middleware::from_fn(cache_control))
    }

    async fn get(path: &str, etag: Option<&str>) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::get(path);
        if let Some(tag) = etag {
            req = req.header("if-none-match", tag);
        }
        let response = app()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn hashed_assets_are_immutable_and_the_page_revalidates() {
        let (status, headers, body) = get("/assets/index-abc123.js", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "console.log(1)");
        assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );

        let (status, headers, body) = get("/", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("id=root"));
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        assert_eq!(headers["cache-control"], "no-cache");
        let etag = headers["etag"].to_str().unwrap().to_string();
        let (status, headers, body) = get("/", Some(&etag)).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());
        assert_eq!(headers["cache-control"], "no-cache");
        assert_eq!(get("/", Some("\"other\"")).await.0, StatusCode::OK);

        assert_eq!(
            get("/favicon.svg", None).await.1["content-type"],
            "image/svg+xml"
        );
    }

    #[tokio::test]
    async fn client_routes_get_the_page_and_missing_assets_are_404() {
        for route in ["/catalog", "/products/12", "/admin/models"] {
            let (status, headers, body) = get(route, None).await;
            assert_eq!(status, StatusCode::OK, "{route}");
            assert!(body.contains("id=root"), "{route}");
            assert_eq!(headers["cache-control"], "no-cache");
        }
        let (status, headers, _) = get("/assets/index-old999.js", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!headers.contains_key("cache-control"));
    }

    #[test]
    fn a_web_dir_without_pages_serves_none_and_says_where_it_looked() {
        let dir = PathBuf::from("/nonexistent/web");
        let pages = Pages::choose(Some(&dir));
        assert!(matches!(pages, Pages::None));
        assert!(
            pages
                .describe(Some(&dir))
                .contains("/nonexistent/web has no index.html")
        );
    }
}
