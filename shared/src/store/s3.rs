//! The S3 backend: requests signed with rusty_s3 (query-string SigV4), sent with reqwest,
//! bodies streamed both ways. Idempotent requests are retried with exponential backoff on
//! connection errors, timeouts, 5xx and 429; a part upload from a stream is not (its body is
//! gone), and the caller resends the part.
//!
//! A store may list several endpoints of one cluster (Garage nodes): requests go to the
//! first that answers. A refused connection moves every later request, presigned URLs
//! included, to the next endpoint at once, without counting as an attempt; the first is
//! tried again a minute later, so a replica returns to its nearby node once it is back.

use super::stats::{Attempt, STORE};
use super::{
    ByteStream, Multipart, ObjectMeta, ObjectStore, StoreError, StoredPart, check_key, quoted,
    same_etag,
};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use rusty_s3::actions::{
    CompleteMultipartUpload, CreateMultipartUpload, DeleteObjects, ListObjectsV2, ListParts,
    ObjectIdentifier,
};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::AsyncWriteExt;
use url::Url;

/// How long a signature made for an immediate request stays valid.
const REQUEST_TTL: Duration = Duration::from_secs(15 * 60);
/// A single PUT takes at most this much (S3's limit).
const MAX_SINGLE_PUT: u64 = 5 * 1024 * 1024 * 1024;
/// S3 presigned URLs live at most a week.
const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);
/// After moving off the first endpoint, how long before it is tried again.
const FAILBACK_AFTER: Duration = Duration::from_secs(60);

/// Where the bucket is and how to reach it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    /// Where the bucket is served, in order of preference: one, or several nodes of one
    /// cluster.
    pub endpoints: Vec<Url>,
    pub region: String,
    pub path_style: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Attempts per idempotent request (1 = no retry).
    pub max_attempts: u32,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field(
                "endpoints",
                &self.endpoints.iter().map(Url::as_str).collect::<Vec<_>>(),
            )
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl S3Config {
    /// Parses `s3://BUCKET?endpoint=URL[,URL...]&region=REGION[&path_style=true]`. Without an
    /// endpoint the bucket is on AWS in the region (default `us-east-1`); several are nodes of
    /// one cluster, the preferred first.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let bad = |why| StoreError::UnsupportedUrl(url.to_owned(), why);
        let parsed = Url::parse(url).map_err(|_| bad("not a URL"))?;
        let bucket = parsed
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| bad("no bucket: s3://BUCKET?endpoint=..."))?
            .to_owned();
        if !matches!(parsed.path(), "" | "/") {
            return Err(bad("key prefixes are not supported: s3://BUCKET?..."));
        }
        let mut endpoint = None;
        let mut region = "us-east-1".to_owned();
        let mut path_style = false;
        let mut max_attempts = 5;
        for (k, v) in parsed.query_pairs() {
            match &*k {
                "endpoint" => endpoint = Some(v.into_owned()),
                "region" => region = v.into_owned(),
                "path_style" => path_style = matches!(&*v, "true" | "1" | "yes"),
                "max_attempts" => {
                    max_attempts = v
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=20).contains(n))
                        .ok_or_else(|| bad("max_attempts is a number from 1 to 20"))?
                }
                _ => return Err(bad("unknown parameter (endpoint, region, path_style)")),
            }
        }
        let endpoints = match endpoint {
            Some(list) => list
                .split(',')
                .map(|e| Url::parse(e.trim()).map_err(|_| bad("an endpoint is not a URL")))
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![
                Url::parse(&format!("https://s3.{region}.amazonaws.com"))
                    .map_err(|_| bad("invalid region"))?,
            ],
        };
        if endpoints
            .iter()
            .any(|e| !matches!(e.scheme(), "http" | "https"))
        {
            return Err(bad("an endpoint must be http:// or https://"));
        }
        Ok(S3Config {
            bucket,
            endpoints,
            region,
            path_style,
            access_key_id: None,
            secret_access_key: None,
            max_attempts,
        })
    }
}

/// A bucket on an S3 implementation.
#[derive(Clone)]
pub struct S3Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// The bucket at each endpoint, the preferred first.
    buckets: Vec<Bucket>,
    /// The endpoint requests go to now.
    current: AtomicUsize,
    /// When requests moved off the preferred endpoint.
    moved_at: Mutex<Option<Instant>>,
    credentials: Option<Credentials>,
    http: reqwest::Client,
    max_attempts: u32,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket().name())
            .field("url", &self.bucket().base_url().as_str())
            .finish_non_exhaustive()
    }
}

impl S3Store {
    pub fn new(cfg: S3Config) -> Result<Self, StoreError> {
        let style = if cfg.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let buckets = cfg
            .endpoints
            .iter()
            .map(|endpoint| {
                Bucket::new(
                    endpoint.clone(),
                    style,
                    cfg.bucket.clone(),
                    cfg.region.clone(),
                )
                .map_err(|e| {
                    StoreError::UnsupportedUrl(
                        endpoint.to_string(),
                        match e {
                            rusty_s3::BucketError::UnsupportedScheme => "unsupported scheme",
                            rusty_s3::BucketError::MissingHost => "the endpoint has no host",
                            rusty_s3::BucketError::ParseError(_) => {
                                "the bucket name cannot be used in this URL style (try path_style=true)"
                            }
                        },
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if buckets.is_empty() {
            return Err(StoreError::UnsupportedUrl(
                cfg.bucket,
                "no endpoint to reach the bucket at",
            ));
        }
        let credentials = match (cfg.access_key_id, cfg.secret_access_key) {
            (Some(k), Some(s)) => Some(Credentials::new(k, s)),
            _ => Credentials::from_env(),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| StoreError::Io(io::Error::other(e)))?;
        Ok(S3Store {
            inner: Arc::new(Inner {
                buckets,
                current: AtomicUsize::new(0),
                moved_at: Mutex::new(None),
                credentials,
                http,
                max_attempts: cfg.max_attempts,
            }),
        })
    }

    fn bucket(&self) -> &Bucket {
        let b = &self.inner.buckets;
        &b[self.inner.current.load(Ordering::Acquire) % b.len()]
    }

    /// Moves requests off endpoint `from` (which refused a connection) to the next one,
    /// unless another request did already.
    fn move_on(&self, from: usize) {
        let next = (from + 1) % self.inner.buckets.len();
        if self
            .inner
            .current
            .compare_exchange(from, next, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            tracing::warn!(
                from = %self.inner.buckets[from].base_url(),
                to = %self.inner.buckets[next].base_url(),
                "object store endpoint refused a connection; using the next one"
            );
            STORE.moved();
            let mut at = self
                .inner
                .moved_at
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if next == 0 {
                *at = None;
            } else if at.is_none() {
                *at = Some(Instant::now());
            }
        }
    }

    /// Goes back to the preferred endpoint a while after leaving it.
    fn fail_back(&self) {
        let mut at = self
            .inner
            .moved_at
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if at.is_some_and(|t| t.elapsed() >= FAILBACK_AFTER) {
            *at = None;
            self.inner.current.store(0, Ordering::Release);
        }
    }

    fn creds(&self) -> Option<&Credentials> {
        self.inner.credentials.as_ref()
    }

    /// Sends a request built afresh for every attempt, retrying what is worth retrying.
    async fn send(
        &self,
        what: &str,
        build: impl Fn() -> Result<RequestBuilder, StoreError>,
    ) -> Result<Response, StoreError> {
        if self.inner.buckets.len() > 1 {
            self.fail_back();
        }
        let mut attempt = 0;
        // Endpoints left to move to when one refuses a connection.
        let mut others = self.inner.buckets.len() - 1;
        loop {
            attempt += 1;
            let last = attempt >= self.inner.max_attempts;
            let endpoint = self.inner.current.load(Ordering::Acquire);
            let request = build()?
                .build()
                .map_err(|e| StoreError::Io(io::Error::other(format!("{what}: {e}"))))?;
            let method = request.method().clone();
            let started = std::time::Instant::now();
            let answer = self.inner.http.execute(request).await;
            let outcome = match &answer {
                Ok(resp) if resp.status().is_success() => Attempt::Ok,
                Ok(_) => Attempt::Refused,
                Err(_) => Attempt::Failed,
            };
            STORE.attempt(
                method.as_str(),
                outcome,
                started.elapsed().as_secs_f64(),
                attempt > 1,
            );
            match answer {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) if retryable(resp.status()) && !last => {}
                Ok(resp) => return Err(remote_error(what, resp).await),
                Err(e) if e.is_connect() && others > 0 => {
                    // Another node of the cluster holds the same bucket: no backoff, and no
                    // attempt spent.
                    others -= 1;
                    attempt -= 1;
                    self.move_on(endpoint);
                    continue;
                }
                Err(e) if last || !(e.is_connect() || e.is_timeout() || e.is_request()) => {
                    return Err(StoreError::Io(io::Error::other(format!("{what}: {e}"))));
                }
                Err(_) => {}
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
    }

    async fn send_text(
        &self,
        what: &str,
        build: impl Fn() -> Result<RequestBuilder, StoreError>,
    ) -> Result<String, StoreError> {
        let resp = self.send(what, build).await?;
        resp.text()
            .await
            .map_err(|e| StoreError::Io(io::Error::other(format!("{what}: {e}"))))
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.inner.http.request(method, url)
    }

    async fn get(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
    ) -> Result<reqwest::Response, StoreError> {
        check_key(key)?;
        let resp = self
            .send(key, || {
                let url = self
                    .bucket()
                    .get_object(self.creds(), key)
                    .sign(REQUEST_TTL);
                let mut req = self.request(Method::GET, url);
                if let Some((start, end)) = range {
                    req = req.header("range", format!("bytes={start}-{end}"));
                }
                Ok(req)
            })
            .await;
        resp.map_err(|e| not_found(e, key))
    }

    /// A URL that takes a plain `PUT` of a whole object at `key`, valid for `ttl`.
    pub fn presigned_put_url(&self, key: &str, ttl: Duration) -> Result<String, StoreError> {
        check_key(key)?;
        Ok(self
            .bucket()
            .put_object(self.creds(), key)
            .sign(ttl.clamp(Duration::from_secs(1), MAX_PRESIGN))
            .into())
    }

    /// The origins browsers PUT parts to (`scheme://host[:port]` of each endpoint).
    pub fn browser_origins(&self) -> Vec<String> {
        self.inner
            .buckets
            .iter()
            .map(|b| b.base_url().origin().ascii_serialization())
            .collect()
    }

    /// Lets browsers at `origins` PUT parts straight to the bucket and read their ETags.
    pub async fn allow_browser_uploads(&self, origins: &[String]) -> Result<(), StoreError> {
        use base64::Engine as _;
        use md5::{Digest, Md5};
        let mut rule = String::from("<CORSRule>");
        for o in origins {
            rule.push_str(&format!("<AllowedOrigin>{}</AllowedOrigin>", xml_escape(o)));
        }
        for m in ["GET", "PUT", "HEAD"] {
            rule.push_str(&format!("<AllowedMethod>{m}</AllowedMethod>"));
        }
        rule.push_str(
            "<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>\
             <MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule>",
        );
        let body = format!(
            "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{rule}</CORSConfiguration>"
        );
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body.as_bytes()));
        self.send("bucket CORS", || {
            let url = self.sign_bucket_request(Method::PUT, "cors", &[("content-md5", &md5)]);
            Ok(self
                .request(Method::PUT, url)
                .header("content-md5", &md5)
                .body(body.clone()))
        })
        .await?;
        Ok(())
    }

    /// Signs a bucket sub-resource request (`?cors`), which rusty_s3 has no action for.
    fn sign_bucket_request(&self, method: Method, sub: &str, headers: &[(&str, &str)]) -> Url {
        let url = self.bucket().base_url().clone();
        let m = match method {
            Method::PUT => rusty_s3::Method::Put,
            Method::DELETE => rusty_s3::Method::Delete,
            _ => rusty_s3::Method::Get,
        };
        match self.creds() {
            Some(c) => rusty_s3::signing::sign(
                &jiff_now(),
                m,
                url,
                c.key(),
                c.secret(),
                c.token(),
                self.bucket().region(),
                REQUEST_TTL.as_secs(),
                std::iter::once((sub, "")),
                headers.iter().copied(),
            ),
            None => {
                let mut u = url;
                u.set_query(Some(sub));
                u
            }
        }
    }

    /// Uploads one part from a stream (not retried: the stream is consumed).
    async fn upload_part_stream(
        &self,
        upload: &Multipart,
        number: u32,
        size: u64,
        body: ByteStream,
    ) -> Result<String, StoreError> {
        let n = part_number(number)?;
        let url = self
            .bucket()
            .upload_part(self.creds(), &upload.key, n, &upload.id)
            .sign(REQUEST_TTL);
        let counted = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let seen = counted.clone();
        let body = body.inspect_ok(move |c| {
            seen.fetch_add(c.len() as u64, std::sync::atomic::Ordering::Relaxed);
        });
        let result = self
            .request(Method::PUT, url)
            .header("content-length", size)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await;
        let found = counted.load(std::sync::atomic::Ordering::Relaxed);
        match result {
            Ok(resp) if resp.status().is_success() => etag_of(&resp)
                .ok_or_else(|| StoreError::Io(io::Error::other("the store sent no ETag"))),
            Ok(resp) => Err(no_such_upload(remote_error("part", resp).await, upload)),
            Err(_) if found != size => Err(StoreError::PartSize {
                number,
                expected: size,
                found,
            }),
            Err(e) => Err(StoreError::Io(io::Error::other(e))),
        }
    }
}

impl ObjectStore for S3Store {
    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        check_key(key)?;
        let resp = self
            .send(key, || {
                let url = self
                    .bucket()
                    .head_object(self.creds(), key)
                    .sign(REQUEST_TTL);
                Ok(self.request(Method::HEAD, url))
            })
            .await
            .map_err(|e| not_found(e, key))?;
        Ok(meta_of(&resp))
    }

    async fn read_range(&self, key: &str, offset: u64, len: u64) -> Result<ByteStream, StoreError> {
        if len == 0 {
            check_key(key)?;
            return Ok(Box::pin(futures::stream::empty()));
        }
        let resp = self.get(key, Some((offset, offset + len - 1))).await?;
        Ok(Box::pin(resp.bytes_stream().map_err(io::Error::other)))
    }

    async fn put_file(&self, key: &str, src: &Path) -> Result<ObjectMeta, StoreError> {
        check_key(key)?;
        let size = tokio::fs::metadata(src).await?.len();
        if size > MAX_SINGLE_PUT {
            return Err(StoreError::Io(io::Error::other(format!(
                "{} is {size} bytes; single objects are limited to 5 GiB",
                src.display()
            ))));
        }
        // Each attempt streams the file afresh from its start.
        self.send(key, || {
            let file = tokio::fs::File::from_std(std::fs::File::open(src)?);
            let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
                file,
                256 * 1024,
            ));
            let url = self
                .bucket()
                .put_object(self.creds(), key)
                .sign(REQUEST_TTL);
            Ok(self
                .request(Method::PUT, url)
                .header("content-length", size)
                .header("content-type", content_type(key))
                .body(body))
        })
        .await?;
        self.head(key).await
    }

    async fn put_bytes(&self, key: &str, data: Bytes) -> Result<ObjectMeta, StoreError> {
        check_key(key)?;
        self.send(key, || {
            let url = self
                .bucket()
                .put_object(self.creds(), key)
                .sign(REQUEST_TTL);
            Ok(self
                .request(Method::PUT, url)
                .header("content-type", content_type(key))
                .body(data.clone()))
        })
        .await?;
        self.head(key).await
    }

    async fn get_to_file(&self, key: &str, dest: &Path) -> Result<u64, StoreError> {
        let resp = self.get(key, None).await?;
        let mut file = tokio::fs::File::create(dest).await?;
        let mut stream = resp.bytes_stream();
        let mut n = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(io::Error::other)?;
            n += chunk.len() as u64;
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        Ok(n)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        let sent = self
            .send(key, || {
                let url = self
                    .bucket()
                    .delete_object(self.creds(), key)
                    .sign(REQUEST_TTL);
                Ok(self.request(Method::DELETE, url))
            })
            .await;
        match sent {
            Ok(_) | Err(StoreError::Remote { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<(), StoreError> {
        check_key(prefix.trim_end_matches('/'))?;
        if !prefix.ends_with('/') {
            return Err(StoreError::InvalidKey(prefix.to_owned()));
        }
        loop {
            // Deleting what one page listed and listing again from the start needs no
            // continuation token and stays correct if objects appear meanwhile.
            let text = self
                .send(prefix, || {
                    let mut list = ListObjectsV2::new(self.bucket(), self.creds());
                    list.with_prefix(prefix);
                    list.with_max_keys(1000);
                    Ok(self.request(Method::GET, list.sign(REQUEST_TTL)))
                })
                .await?
                .text()
                .await
                .map_err(|e| StoreError::Io(io::Error::other(e)))?;
            let page = ListObjectsV2::parse_response(&text).map_err(xml_error)?;
            if page.contents.is_empty() {
                return Ok(());
            }
            let ids: Vec<ObjectIdentifier> = page
                .contents
                .iter()
                .map(|c| ObjectIdentifier::new(c.key.clone()))
                .collect();
            let text = self
                .send_text(prefix, || {
                    let mut del = DeleteObjects::new(self.bucket(), self.creds(), ids.iter());
                    del.set_quiet(true);
                    let url = del.sign(REQUEST_TTL);
                    let (body, md5) = del.body_with_md5();
                    Ok(self
                        .request(Method::POST, url)
                        .header("content-md5", md5)
                        .body(body))
                })
                .await?;
            if text.contains("<Error>") {
                return Err(StoreError::Remote {
                    status: 200,
                    message: format!("deleting under {prefix}: {}", s3_message(&text)),
                });
            }
        }
    }

    async fn create_multipart(&self, key: &str) -> Result<Multipart, StoreError> {
        check_key(key)?;
        let text = self
            .send_text(key, || {
                let url =
                    CreateMultipartUpload::new(self.bucket(), self.creds(), key).sign(REQUEST_TTL);
                Ok(self.request(Method::POST, url))
            })
            .await?;
        let created = CreateMultipartUpload::parse_response(&text).map_err(xml_error)?;
        Ok(Multipart {
            key: key.to_owned(),
            id: created.upload_id().to_owned(),
        })
    }

    fn part_url(
        &self,
        upload: &Multipart,
        number: u32,
        size: u64,
        ttl: Duration,
    ) -> Option<String> {
        let n = part_number(number).ok()?;
        let mut action = self
            .bucket()
            .upload_part(self.creds(), &upload.key, n, &upload.id);
        // A signed Content-Length: the bucket refuses a body of any other size, so a client
        // cannot store more than the upload declared through a URL it was handed.
        let size = size.to_string();
        action.headers_mut().insert("content-length", size.as_str());
        let url = action.sign(ttl.clamp(Duration::from_secs(60), MAX_PRESIGN));
        Some(url.into())
    }

    async fn put_part(
        &self,
        upload: &Multipart,
        number: u32,
        size: u64,
        body: ByteStream,
    ) -> Result<StoredPart, StoreError> {
        let etag = self.upload_part_stream(upload, number, size, body).await?;
        Ok(StoredPart {
            number,
            size,
            etag: quoted(&etag),
        })
    }

    async fn list_parts(&self, upload: &Multipart) -> Result<Vec<StoredPart>, StoreError> {
        let mut out = Vec::new();
        let mut marker: Option<u16> = None;
        loop {
            let text = self
                .send_text(&upload.key, || {
                    let mut list =
                        ListParts::new(self.bucket(), self.creds(), &upload.key, &upload.id);
                    list.set_max_parts(1000);
                    if let Some(m) = marker {
                        list.set_part_number_marker(m);
                    }
                    Ok(self.request(Method::GET, list.sign(REQUEST_TTL)))
                })
                .await
                .map_err(|e| no_such_upload(e, upload))?;
            let page = ListParts::parse_response(&text).map_err(xml_error)?;
            out.extend(page.parts.iter().map(|p| StoredPart {
                number: u32::from(p.number),
                size: p.size,
                etag: quoted(&p.etag),
            }));
            match page.next_part_number_marker {
                Some(m) if !page.parts.is_empty() && marker != Some(m) => marker = Some(m),
                _ => break,
            }
        }
        out.sort_by_key(|p| p.number);
        out.dedup_by_key(|p| p.number);
        Ok(out)
    }

    async fn complete_multipart(
        &self,
        upload: &Multipart,
        parts: &[(u32, String)],
    ) -> Result<ObjectMeta, StoreError> {
        // The body numbers parts 1..n; check the list is that and matches what is stored,
        // so a bad list fails with the same errors as on every backend.
        let stored = self.list_parts(upload).await?;
        for (i, (number, etag)) in parts.iter().enumerate() {
            if *number as usize != i + 1 {
                return Err(StoreError::MissingPart(i as u32 + 1));
            }
            let part = stored
                .iter()
                .find(|p| p.number == *number)
                .ok_or(StoreError::MissingPart(*number))?;
            if !same_etag(&part.etag, etag) {
                return Err(StoreError::EtagMismatch {
                    number: *number,
                    expected: etag.clone(),
                    found: part.etag.clone(),
                });
            }
        }
        let etags: Vec<String> = parts.iter().map(|(_, e)| quoted(e)).collect();
        let sent = self
            .send_text(&upload.key, || {
                let action = CompleteMultipartUpload::new(
                    self.bucket(),
                    self.creds(),
                    &upload.key,
                    &upload.id,
                    etags.iter().map(String::as_str),
                );
                let url = action.sign(REQUEST_TTL);
                Ok(self.request(Method::POST, url).body(action.body()))
            })
            .await;
        match sent {
            // S3 may answer 200 and still fail, with an error document as the body.
            Ok(text) if text.contains("<Error>") => {
                return Err(StoreError::Remote {
                    status: 200,
                    message: s3_message(&text),
                });
            }
            Ok(_) => {}
            // A retry after a lost answer finds the upload gone and the object in place.
            Err(StoreError::Remote { status: 404, .. }) if self.head(&upload.key).await.is_ok() => {
            }
            Err(e) => return Err(no_such_upload(e, upload)),
        }
        self.head(&upload.key).await
    }

    async fn abort_multipart(&self, upload: &Multipart) -> Result<(), StoreError> {
        let sent = self
            .send(&upload.key, || {
                let url = self
                    .bucket()
                    .abort_multipart_upload(self.creds(), &upload.key, &upload.id)
                    .sign(REQUEST_TTL);
                Ok(self.request(Method::DELETE, url))
            })
            .await;
        match sent {
            Ok(_) | Err(StoreError::Remote { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn retryable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

fn backoff(attempt: u32) -> Duration {
    let base = 100u64 << attempt.min(6);
    // Spread retries of many clients apart.
    let jitter = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()) % (base / 2 + 1))
        .unwrap_or(0);
    Duration::from_millis(base + jitter)
}

fn part_number(number: u32) -> Result<u16, StoreError> {
    u16::try_from(number)
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or(StoreError::MissingPart(number))
}

async fn remote_error(what: &str, resp: Response) -> StoreError {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    StoreError::Remote {
        status,
        message: format!("{what}: {}", s3_message(&text)),
    }
}

fn not_found(e: StoreError, key: &str) -> StoreError {
    match e {
        StoreError::Remote { status: 404, .. } => StoreError::NotFound(key.to_owned()),
        other => other,
    }
}

fn no_such_upload(e: StoreError, upload: &Multipart) -> StoreError {
    match e {
        StoreError::Remote { status: 404, .. } => StoreError::NoSuchUpload(upload.id.clone()),
        other => other,
    }
}

fn xml_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unreadable answer from the object store: {e}"),
    ))
}

/// The `<Code>` and `<Message>` of an S3 error document, or the start of whatever came back.
fn s3_message(text: &str) -> String {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&close)? + start;
        Some(text[start..end].to_owned())
    };
    match (tag("Code"), tag("Message")) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        _ if text.is_empty() => "no details".to_owned(),
        _ => text.chars().take(200).collect(),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn etag_of(resp: &Response) -> Option<String> {
    resp.headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(quoted)
}

fn meta_of(resp: &Response) -> ObjectMeta {
    let h = resp.headers();
    let size = h
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let modified = h
        .get("last-modified")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .map(SystemTime::from)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    ObjectMeta {
        size,
        etag: etag_of(resp).unwrap_or_else(|| quoted(&format!("{size:x}"))),
        modified,
    }
}

fn jiff_now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// The media type an object is served with, from its key.
fn content_type(key: &str) -> &'static str {
    crate::layout::content_type(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_parse_with_defaults_and_refuse_nonsense() {
        let c = S3Config::from_url(
            "s3://media?endpoint=http://127.0.0.1:3900&region=garage&path_style=true",
        )
        .unwrap();
        assert_eq!(c.bucket, "media");
        assert_eq!(c.endpoints[0].as_str(), "http://127.0.0.1:3900/");
        assert_eq!(c.region, "garage");
        assert!(c.path_style);
        let aws = S3Config::from_url("s3://media?region=eu-west-3").unwrap();
        assert_eq!(
            aws.endpoints[0].as_str(),
            "https://s3.eu-west-3.amazonaws.com/"
        );
        let nodes = S3Config::from_url(
            "s3://media?endpoint=http://10.0.0.1:3900,http://10.0.0.2:3900&region=garage",
        )
        .unwrap();
        let hosts: Vec<_> = nodes.endpoints.iter().map(|e| e.host_str()).collect();
        assert_eq!(hosts, [Some("10.0.0.1"), Some("10.0.0.2")]);
        assert!(!aws.path_style);
        for bad in [
            "s3://",
            "s3://b/prefix",
            "s3://b?endpoint=ftp://x",
            "s3://b?colour=blue",
            "s3://b?max_attempts=0",
            "s3://b?endpoint=http://a,ftp://b",
        ] {
            assert!(
                matches!(S3Config::from_url(bad), Err(StoreError::UnsupportedUrl(..))),
                "{bad}"
            );
        }
    }

    #[test]
    fn virtual_host_buckets_put_the_bucket_in_the_host() {
        let mut cfg =
            S3Config::from_url("s3://media?endpoint=https://s3.example.com&region=eu").unwrap();
        cfg.access_key_id = Some("AKIA".into());
        cfg.secret_access_key = Some("secret".into());
        let store = S3Store::new(cfg).unwrap();
        let up = Multipart {
            key: "sources/v/source".into(),
            id: "abc".into(),
        };
        let url = store
            .part_url(&up, 3, 8 << 20, Duration::from_secs(600))
            .unwrap();
        assert!(
            url.starts_with("https://media.s3.example.com/sources/v/source?"),
            "{url}"
        );
        assert!(url.contains("partNumber=3") && url.contains("uploadId=abc"));
        assert!(url.contains("X-Amz-Signature="));
        assert!(url.contains("X-Amz-Expires=600"));
        assert!(
            url.contains("X-Amz-SignedHeaders=content-length%3Bhost"),
            "{url}"
        );
    }

    #[test]
    fn error_documents_are_summarised() {
        let doc =
            "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>";
        assert_eq!(s3_message(doc), "NoSuchKey: gone");
        assert_eq!(s3_message(""), "no details");
    }
}
