//! The object store: where uploads, originals and renditions live.
//!
//! One trait, [`ObjectStore`], two backends, picked by URL with [`Store::open`]:
//!
//! - `file:///abs/path` (or a bare path): a directory on local disk ([`FsStore`]), the
//!   all-in-one default;
//! - `s3://BUCKET?endpoint=URL&region=REGION[&path_style=true]`: any S3 implementation
//!   ([`S3Store`]), credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` unless given.
//!
//! Keys are `/`-separated relative paths built by [`crate::layout`]; a key with `..`, an empty
//! segment or a leading `/` is refused by every backend. A reader never sees half an object:
//! the fs store writes to a temporary file and renames it, S3 publishes an object atomically.

mod fs;
mod s3;
pub mod stats;

pub use fs::FsStore;
pub use s3::{S3Config, S3Store};

use bytes::Bytes;
use futures::Stream;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

/// A stream of an object's bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + 'static>>;

/// What can go wrong talking to the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("object `{0}` not found")]
    NotFound(String),
    #[error("invalid object key `{0}`")]
    InvalidKey(String),
    #[error("unsupported store URL `{0}`: {1}")]
    UnsupportedUrl(String, &'static str),
    #[error("the multipart upload `{0}` does not exist (completed, aborted or expired)")]
    NoSuchUpload(String),
    #[error("part {0} is missing")]
    MissingPart(u32),
    #[error("part {number} has {found} bytes, not {expected}")]
    PartSize {
        number: u32,
        expected: u64,
        found: u64,
    },
    #[error("part {number} has ETag {found}, not {expected}")]
    EtagMismatch {
        number: u32,
        expected: String,
        found: String,
    },
    #[error("object store answered {status}: {message}")]
    Remote { status: u16, message: String },
    #[error("store I/O: {0}")]
    Io(#[from] io::Error),
}

/// Size and validator of a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub size: u64,
    /// A strong validator, quoted as HTTP wants it.
    pub etag: String,
    pub modified: SystemTime,
}

/// A part of a multipart upload the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    pub number: u32,
    pub size: u64,
    /// Quoted, as the part's `PUT` answered it.
    pub etag: String,
}

/// A multipart upload in the store: the object it will become and the store's id for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    pub key: String,
    pub id: String,
}

/// What every backend does. All keys are checked; no operation buffers a whole object.
pub trait ObjectStore: Send + Sync {
    fn head(&self, key: &str) -> impl Future<Output = Result<ObjectMeta, StoreError>> + Send;

    /// Streams `len` bytes of an object from `offset`.
    fn read_range(
        &self,
        key: &str,
        offset: u64,
        len: u64,
    ) -> impl Future<Output = Result<ByteStream, StoreError>> + Send;

    /// Stores a local file under `key`.
    fn put_file(
        &self,
        key: &str,
        src: &Path,
    ) -> impl Future<Output = Result<ObjectMeta, StoreError>> + Send;

    fn put_bytes(
        &self,
        key: &str,
        data: Bytes,
    ) -> impl Future<Output = Result<ObjectMeta, StoreError>> + Send;

    /// Copies an object to a local file (the transcoder's scratch copy of a source).
    fn get_to_file(
        &self,
        key: &str,
        dest: &Path,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Removes one object; removing one that is not there is not an error.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes every object whose key starts with `prefix` (which must end in `/`).
    fn delete_prefix(&self, prefix: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Opens a multipart upload that will become `key`.
    fn create_multipart(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Multipart, StoreError>> + Send;

    /// A URL a client can `PUT` part `number` of exactly `size` bytes to without credentials,
    /// valid for `ttl`; `None` when the backend has no such URLs (then the api takes the part
    /// and calls [`ObjectStore::put_part`]). Where the backend can, the size is part of the
    /// signature, so the store itself refuses a larger body.
    fn part_url(&self, upload: &Multipart, number: u32, size: u64, ttl: Duration)
    -> Option<String>;

    /// Stores one part from a byte stream of exactly `size` bytes and returns its ETag.
    fn put_part(
        &self,
        upload: &Multipart,
        number: u32,
        size: u64,
        body: ByteStream,
    ) -> impl Future<Output = Result<StoredPart, StoreError>> + Send;

    /// The parts of an upload the store really has, by part number.
    fn list_parts(
        &self,
        upload: &Multipart,
    ) -> impl Future<Output = Result<Vec<StoredPart>, StoreError>> + Send;

    /// Joins the given parts, in order, into the upload's object and ends the upload.
    fn complete_multipart(
        &self,
        upload: &Multipart,
        parts: &[(u32, String)],
    ) -> impl Future<Output = Result<ObjectMeta, StoreError>> + Send;

    /// Drops every part of an upload; aborting an upload that is gone is not an error.
    fn abort_multipart(
        &self,
        upload: &Multipart,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The object store the api and the transcoder share: one of the backends.
#[derive(Debug, Clone)]
pub enum Store {
    Fs(FsStore),
    S3(S3Store),
}

impl Store {
    /// Opens the store a URL names; S3 credentials come from the environment.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, None).await
    }

    /// Opens the store a URL names, with explicit S3 credentials `(key id, secret)`.
    pub async fn open_with(
        url: &str,
        credentials: Option<(String, String)>,
    ) -> Result<Self, StoreError> {
        if url.starts_with("s3://") {
            let mut cfg = S3Config::from_url(url)?;
            if let Some((key, secret)) = credentials {
                cfg.access_key_id = Some(key);
                cfg.secret_access_key = Some(secret);
            }
            return Ok(Store::S3(S3Store::new(cfg)?));
        }
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(StoreError::UnsupportedUrl(
                    url.to_owned(),
                    "a file URL needs an absolute path",
                ));
            }
            return Ok(Store::Fs(FsStore::open(path).await?));
        }
        if url.contains("://") {
            return Err(StoreError::UnsupportedUrl(
                url.to_owned(),
                "expected file:///path or s3://bucket?endpoint=...",
            ));
        }
        Ok(Store::Fs(FsStore::open(url).await?))
    }

    /// A short name of the backend, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Store::Fs(_) => "fs",
            Store::S3(_) => "s3",
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Store::Fs($s) => $e,
            Store::S3($s) => $e,
        }
    };
}

impl ObjectStore for Store {
    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        dispatch!(self, s => s.head(key).await)
    }
    async fn read_range(&self, key: &str, offset: u64, len: u64) -> Result<ByteStream, StoreError> {
        dispatch!(self, s => s.read_range(key, offset, len).await)
    }
    async fn put_file(&self, key: &str, src: &Path) -> Result<ObjectMeta, StoreError> {
        dispatch!(self, s => s.put_file(key, src).await)
    }
    async fn put_bytes(&self, key: &str, data: Bytes) -> Result<ObjectMeta, StoreError> {
        dispatch!(self, s => s.put_bytes(key, data).await)
    }
    async fn get_to_file(&self, key: &str, dest: &Path) -> Result<u64, StoreError> {
        dispatch!(self, s => s.get_to_file(key, dest).await)
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.delete(key).await)
    }
    async fn delete_prefix(&self, prefix: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.delete_prefix(prefix).await)
    }
    async fn create_multipart(&self, key: &str) -> Result<Multipart, StoreError> {
        dispatch!(self, s => s.create_multipart(key).await)
    }
    fn part_url(
        &self,
        upload: &Multipart,
        number: u32,
        size: u64,
        ttl: Duration,
    ) -> Option<String> {
        dispatch!(self, s => s.part_url(upload, number, size, ttl))
    }
    async fn put_part(
        &self,
        upload: &Multipart,
        number: u32,
        size: u64,
        body: ByteStream,
    ) -> Result<StoredPart, StoreError> {
        dispatch!(self, s => s.put_part(upload, number, size, body).await)
    }
    async fn list_parts(&self, upload: &Multipart) -> Result<Vec<StoredPart>, StoreError> {
        dispatch!(self, s => s.list_parts(upload).await)
    }
    async fn complete_multipart(
        &self,
        upload: &Multipart,
        parts: &[(u32, String)],
    ) -> Result<ObjectMeta, StoreError> {
        dispatch!(self, s => s.complete_multipart(upload, parts).await)
    }
    async fn abort_multipart(&self, upload: &Multipart) -> Result<(), StoreError> {
        dispatch!(self, s => s.abort_multipart(upload).await)
    }
}

/// Refuses keys that could name something outside the store's namespace.
pub(crate) fn check_key(key: &str) -> Result<(), StoreError> {
    let ok = !key.is_empty()
        && !key.starts_with('/')
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..");
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidKey(key.to_owned()))
    }
}

/// Compares ETags with or without their quotes.
pub fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

/// Adds quotes to an ETag that lacks them.
pub(crate) fn quoted(etag: &str) -> String {
    format!("\"{}\"", etag.trim_matches('"'))
}
