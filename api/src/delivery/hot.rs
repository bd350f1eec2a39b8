//! Media objects recently served, kept in memory: a hot segment then costs no store request
//! (no file read on one machine, no S3 round trip in a cluster) and no hop to the blocking
//! pool, which is what keeps `/media`'s tail latency near a static file server's.
//!
//! Only objects under a version prefix are kept. They never change once written (a new
//! transcode writes a new version, a first playable version has its own number), so an entry
//! stays right until evicted. Whether the viewer may read the object is checked on every
//! request before this is asked, so a video made private or deleted serves nothing from here.

use crate::error::{ApiError, Code};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use shared::store::{ObjectMeta, ObjectStore, Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Objects larger than this are streamed from the store each time; only their metadata is
/// kept. A 6 s segment of the top rung is about 4.5 MB.
const LARGEST: u64 = 8 * 1024 * 1024;

/// An object's metadata, and its bytes when it is small enough to keep.
#[derive(Debug)]
pub struct Hot {
    pub meta: ObjectMeta,
    pub bytes: Option<Bytes>,
}

/// The cache; `None` inside when configured with no memory.
#[derive(Debug)]
pub struct HotMedia {
    cache: Option<moka::future::Cache<String, Arc<Hot>>>,
    asked: AtomicU64,
    loaded: AtomicU64,
}

impl HotMedia {
    /// A cache holding at most `bytes` of objects (0: none).
    pub fn new(bytes: u64) -> Self {
        let cache = (bytes > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(bytes)
                .weigher(|key: &String, hot: &Arc<Hot>| {
                    let size = hot.bytes.as_ref().map_or(0, Bytes::len) + key.len() + 128;
                    u32::try_from(size).unwrap_or(u32::MAX)
                })
                .build()
        });
        HotMedia {
            cache,
            asked: AtomicU64::new(0),
            loaded: AtomicU64::new(0),
        }
    }

    /// The object at `key`, from memory or (once for any number of requests at the same time)
    /// from the store. A missing object is `media_not_found`.
    pub async fn get(&self, store: &Store, key: &str) -> Result<Arc<Hot>, Arc<ApiError>> {
        let Some(cache) = &self.cache else {
            return load(store, key).await.map(Arc::new).map_err(Arc::new);
        };
        self.asked.fetch_add(1, Ordering::Relaxed);
        cache
            .try_get_with(key.to_owned(), async {
                self.loaded.fetch_add(1, Ordering::Relaxed);
                load(store, key).await.map(Arc::new)
            })
            .await
    }

    /// Look-ups so far, and how many of them read the store.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.asked.load(Ordering::Relaxed),
            self.loaded.load(Ordering::Relaxed),
        )
    }
}

async fn load(store: &Store, key: &str) -> Result<Hot, ApiError> {
    let missing = |e: StoreError| match e {
        StoreError::NotFound(_) => ApiError::new(Code::MediaNotFound, "no such media"),
        e => ApiError::from(e),
    };
    let meta = store.head(key).await.map_err(missing)?;
    if meta.size > LARGEST {
        return Ok(Hot { meta, bytes: None });
    }
    let mut stream = store.read_range(key, 0, meta.size).await.map_err(missing)?;
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next().await {
        chunks.push(chunk.map_err(|e| ApiError::from(StoreError::Io(e)))?);
    }
    // A file is read in one piece: kept as it came, without a copy.
    let bytes = match <[Bytes; 1]>::try_from(chunks) {
        Ok([one]) => one,
        Err(chunks) => {
            let mut all = BytesMut::with_capacity(meta.size as usize);
            chunks.iter().for_each(|c| all.extend_from_slice(c));
            all.freeze()
        }
    };
    if bytes.len() as u64 != meta.size {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "{key} changed while it was read: {} bytes, not {}",
            bytes.len(),
            meta.size
        )));
    }
    Ok(Hot {
        meta,
        bytes: Some(bytes),
    })
}
