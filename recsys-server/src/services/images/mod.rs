//! Product pictures: checked by their content, stripped of metadata ([`clean`]), named by the
//! SHA-256 of what is kept and stored on local disk (default: `<data dir>/images`) or in an
//! S3-compatible bucket, through one trait (`object_store`). A name never changes its bytes, so
//! the server serves them with a year of caching (`routes/images.rs`), and uploading the same
//! picture twice stores it once.

pub mod clean;

use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use clean::{Cleaned, Format, Refused};

/// Where pictures are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageLocation {
    /// A directory (made when missing).
    Disk(std::path::PathBuf),
    /// `s3://bucket[/prefix]`; credentials, region and endpoint from the standard `AWS_*`
    /// environment variables (`AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP=true` for a local
    /// S3-compatible server).
    S3 { bucket: String, prefix: String },
}

impl ImageLocation {
    /// `s3://bucket[/prefix]` or a directory.
    pub fn parse(value: &str) -> Result<ImageLocation, String> {
        let Some(rest) = value.strip_prefix("s3://") else {
            if value.contains("://") {
                return Err(format!(
                    "--image-store '{value}': a directory or s3://bucket[/prefix]"
                ));
            }
            return Ok(ImageLocation::Disk(value.into()));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("--image-store '{value}' names no bucket"));
        }
        Ok(ImageLocation::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }
}

impl std::fmt::Display for ImageLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageLocation::Disk(dir) => write!(f, "{}", dir.display()),
            ImageLocation::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            ImageLocation::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// A stored picture, as an upload answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoredImage {
    /// What a product's `image_url` is set to: `/images/<sha256>.<jpg|png|webp>`.
    pub url: String,
    pub content_type: String,
    /// Its size after the metadata was left out.
    pub bytes: usize,
    /// Bytes of metadata left out (EXIF with its GPS position, XMP, comments, text chunks).
    pub removed_bytes: usize,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug)]
pub struct Images {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    location: ImageLocation,
    max_bytes: usize,
}

impl Images {
    /// The store at `location`, checked: a directory is made and a bucket is listed (an error
    /// means it cannot be used: wrong credentials, no such bucket, nobody listening).
    pub async fn open(location: ImageLocation, max_bytes: usize) -> Result<Images, String> {
        let (store, prefix): (Arc<dyn ObjectStore>, String) = match &location {
            ImageLocation::Disk(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!("the image directory {} cannot be made: {e}", dir.display())
                })?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| format!("the image directory {}: {e}", dir.display()))?;
                (Arc::new(fs), String::new())
            }
            ImageLocation::S3 { bucket, prefix } => {
                // TLS through rustls with ring, as the database's (a second install is a no-op)
                let _ = rustls::crypto::ring::default_provider().install_default();
                // a bucket that does not answer fails a request in seconds, not after the
                // client's default three minutes of retries
                let retry = object_store::RetryConfig {
                    max_retries: 2,
                    retry_timeout: std::time::Duration::from_secs(10),
                    ..Default::default()
                };
                // (set key by key: replacing the client options would drop AWS_ALLOW_HTTP)
                use object_store::ClientConfigKey::{ConnectTimeout, Timeout};
                use object_store::aws::AmazonS3ConfigKey::Client;
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retry)
                    .with_config(Client(ConnectTimeout), "3s")
                    .with_config(Client(Timeout), "15s")
                    .build()
                    .map_err(|e| format!("the image bucket {location}: {e}"))?;
                (Arc::new(s3), prefix.clone())
            }
        };
        let images = Images {
            store,
            prefix,
            location,
            max_bytes,
        };
        // one page of the listing: an existing bucket or folder answers, even when empty
        let prefix = (!images.prefix.is_empty()).then(|| ObjectPath::from(images.prefix.as_str()));
        match images.store.list_with_delimiter(prefix.as_ref()).await {
            Ok(_) => Ok(images),
            Err(e) => Err(format!(
                "the image store {} cannot be used: {e}",
                images.location
            )),
        }
    }

    pub fn location(&self) -> &ImageLocation {
        &self.location
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    fn path(&self, name: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(name)
        } else {
            ObjectPath::from(format!("{}/{name}", self.prefix))
        }
    }

    /// Checks `bytes`, leaves out their metadata and stores the picture under the hash of what
    /// is kept.
    pub async fn store(&self, bytes: &[u8]) -> ApiResult<StoredImage> {
        if bytes.len() > self.max_bytes {
            return Err(self.too_large(Some(bytes.len())));
        }
        let Cleaned {
            format,
            bytes: kept,
            width,
            height,
        } = clean::clean(bytes).map_err(|refused| match refused {
            Refused::Unsupported(m) => ApiError::UnsupportedMediaType(m),
            Refused::Broken(m) => ApiError::field("image", m),
        })?;
        let name = format!("{:x}.{}", Sha256::digest(&kept), format.extension());
        let stored = StoredImage {
            url: format!("/images/{name}"),
            content_type: format.content_type().to_string(),
            bytes: kept.len(),
            // a JPEG's orientation block may be a few bytes longer than the EXIF it replaced
            removed_bytes: bytes.len().saturating_sub(kept.len()),
            width,
            height,
        };
        self.store
            .put(&self.path(&name), PutPayload::from(kept))
            .await
            .map_err(|e| self.failed("store", &name, e))?;
        Ok(stored)
    }

    /// The answer to a picture of `got` bytes (`None`: more than the limit, not read to the end).
    pub fn too_large(&self, got: Option<usize>) -> ApiError {
        let size = got.map_or("larger than that".to_string(), |n| format!("{n} bytes"));
        ApiError::PayloadTooLarge(format!(
            "a picture may have at most {} bytes (--image-max-bytes); this one is {size}",
            self.max_bytes
        ))
    }

    /// The bytes and format of the stored picture `name` (`<sha256>.<ext>`), `None` when there
    /// is none by that name.
    pub async fn read(&self, name: &str) -> ApiResult<Option<(axum::body::Bytes, Format)>> {
        let Some(format) = name
            .split_once('.')
            .filter(|_| recsys_store::is_image_name(name))
            .and_then(|(_, ext)| Format::of_extension(ext))
        else {
            return Ok(None);
        };
        let got = match self.store.get(&self.path(name)).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.failed("read", name, e)),
        };
        let bytes = got
            .bytes()
            .await
            .map_err(|e| self.failed("read", name, e))?;
        Ok(Some((bytes, format)))
    }

    fn failed(&self, doing: &str, name: &str, e: object_store::Error) -> ApiError {
        tracing::error!(
            request_id = %crate::middleware::current_request_id(),
            store = %self.location,
            image = name,
            error = %e,
            "the image store failed"
        );
        metrics::counter!("recsys_image_store_errors_total").increment(1);
        ApiError::Unavailable(format!(
            "the image store could not {doing} the picture; try again"
        ))
    }
}
