//! The object store: where uploads, originals and renditions live.
//!
//! Selected by URL: `file:///abs/path` (or a bare path) is a directory on local disk. Keys are
//! `/`-separated relative paths built by [`crate::layout`]; a key with `..`, an empty segment or
//! a leading `/` is refused, so no caller can reach outside the store's root.
//!
//! Writes go to a temporary file first and are renamed into place, so a reader never sees half
//! an object and a crash never leaves one behind under its final name.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tokio::fs;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// What can go wrong talking to the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("object `{0}` not found")]
    NotFound(String),
    #[error("invalid object key `{0}`")]
    InvalidKey(String),
    #[error("unsupported store URL `{0}`: expected file:///path")]
    UnsupportedUrl(String),
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
    pub etag: String,
}

/// The object store the api and the transcoder share.
#[derive(Debug, Clone)]
pub enum Store {
    Fs(FsStore),
}

impl Store {
    /// Opens the store a URL names.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(StoreError::UnsupportedUrl(url.to_owned()));
            }
            return Ok(Store::Fs(FsStore::open(path).await?));
        }
        if url.contains("://") {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        Ok(Store::Fs(FsStore::open(url).await?))
    }

    pub async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        match self {
            Store::Fs(s) => s.head(key).await,
        }
    }

    /// Streams `len` bytes of an object from `offset`.
    pub async fn read_range(
        &self,
        key: &str,
        offset: u64,
        len: u64,
    ) -> Result<impl Stream<Item = io::Result<Bytes>> + Send + 'static, StoreError> {
        match self {
            Store::Fs(s) => s.read_range(key, offset, len).await,
        }
    }

    pub async fn put_file(&self, key: &str, src: &Path) -> Result<ObjectMeta, StoreError> {
        match self {
            Store::Fs(s) => s.put_file(key, src).await,
        }
    }

    pub async fn put_bytes(&self, key: &str, data: &[u8]) -> Result<ObjectMeta, StoreError> {
        match self {
            Store::Fs(s) => s.put_bytes(key, data).await,
        }
    }

    /// Copies an object to a local file (the transcoder's scratch copy of a source).
    pub async fn get_to_file(&self, key: &str, dest: &Path) -> Result<u64, StoreError> {
        match self {
            Store::Fs(s) => s.get_to_file(key, dest).await,
        }
    }

    /// Removes every object whose key starts with `prefix` (which must end in `/`).
    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), StoreError> {
        match self {
            Store::Fs(s) => s.delete_prefix(prefix).await,
        }
    }

    /// Stores one part of a multipart upload from a byte stream and returns its ETag. A body
    /// of any other length than `size` is refused and leaves an earlier copy of the part intact.
    pub async fn put_part<S>(
        &self,
        upload_id: &str,
        number: u32,
        size: u64,
        body: S,
    ) -> Result<StoredPart, StoreError>
    where
        S: Stream<Item = io::Result<Bytes>> + Send + Unpin,
    {
        match self {
            Store::Fs(s) => s.put_part(upload_id, number, size, body).await,
        }
    }

    /// The parts of an upload the store really has, by part number.
    pub async fn list_parts(&self, upload_id: &str) -> Result<Vec<StoredPart>, StoreError> {
        match self {
            Store::Fs(s) => s.list_parts(upload_id).await,
        }
    }

    /// Joins the given parts, in order, into the object `key` and drops the upload's parts.
    pub async fn complete_upload(
        &self,
        upload_id: &str,
        parts: &[(u32, String)],
        key: &str,
    ) -> Result<ObjectMeta, StoreError> {
        match self {
            Store::Fs(s) => s.complete_upload(upload_id, parts, key).await,
        }
    }

    /// Drops every part of an upload.
    pub async fn abort_upload(&self, upload_id: &str) -> Result<(), StoreError> {
        match self {
            Store::Fs(s) => s.abort_upload(upload_id).await,
        }
    }
}

/// A store in a local directory.
#[derive(Debug, Clone)]
pub struct FsStore {
    root: PathBuf,
}

fn check_key(key: &str) -> Result<(), StoreError> {
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

fn not_found(key: &str) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |e| {
        if e.kind() == io::ErrorKind::NotFound {
            StoreError::NotFound(key.to_owned())
        } else {
            StoreError::Io(e)
        }
    }
}

fn meta_of(m: &std::fs::Metadata) -> ObjectMeta {
    let modified = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let nanos = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    ObjectMeta {
        size: m.len(),
        etag: format!("\"{:x}-{:x}\"", m.len(), nanos),
        modified,
    }
}

impl FsStore {
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        fs::create_dir_all(root.join(".tmp")).await?;
        Ok(FsStore { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        check_key(key)?;
        Ok(self.root.join(key))
    }

    fn part_dir(&self, upload_id: &str) -> Result<PathBuf, StoreError> {
        if !crate::layout::is_safe_id(upload_id) {
            return Err(StoreError::InvalidKey(upload_id.to_owned()));
        }
        Ok(self.root.join("uploads").join(upload_id))
    }

    fn temp_path(&self) -> PathBuf {
        let n: u64 = rand_u64();
        self.root.join(".tmp").join(format!("{n:016x}"))
    }

    async fn commit(&self, tmp: &Path, dest: &Path) -> Result<(), StoreError> {
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).await?;
        }
        fs::rename(tmp, dest).await?;
        Ok(())
    }

    pub async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        let p = self.path(key)?;
        let m = fs::metadata(&p).await.map_err(not_found(key))?;
        if !m.is_file() {
            return Err(StoreError::NotFound(key.to_owned()));
        }
        Ok(meta_of(&m))
    }

    pub async fn read_range(
        &self,
        key: &str,
        offset: u64,
        len: u64,
    ) -> Result<impl Stream<Item = io::Result<Bytes>> + Send + 'static, StoreError> {
        let p = self.path(key)?;
        let mut f = fs::File::open(&p).await.map_err(not_found(key))?;
        f.seek(io::SeekFrom::Start(offset)).await?;
        Ok(tokio_util::io::ReaderStream::with_capacity(
            f.take(len),
            64 * 1024,
        ))
    }

    pub async fn put_file(&self, key: &str, src: &Path) -> Result<ObjectMeta, StoreError> {
        let dest = self.path(key)?;
        let tmp = self.temp_path();
        fs::copy(src, &tmp).await?;
        self.commit(&tmp, &dest).await?;
        self.head(key).await
    }

    pub async fn put_bytes(&self, key: &str, data: &[u8]) -> Result<ObjectMeta, StoreError> {
        let dest = self.path(key)?;
        let tmp = self.temp_path();
        fs::write(&tmp, data).await?;
        self.commit(&tmp, &dest).await?;
        self.head(key).await
    }

    pub async fn get_to_file(&self, key: &str, dest: &Path) -> Result<u64, StoreError> {
        let p = self.path(key)?;
        fs::copy(&p, dest).await.map_err(not_found(key))
    }

    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), StoreError> {
        let trimmed = prefix.trim_end_matches('/');
        let p = self.path(trimmed)?;
        match fs::remove_dir_all(&p).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn put_part<S>(
        &self,
        upload_id: &str,
        number: u32,
        expected: u64,
        mut body: S,
    ) -> Result<StoredPart, StoreError>
    where
        S: Stream<Item = io::Result<Bytes>> + Send + Unpin,
    {
        let dir = self.part_dir(upload_id)?;
        let tmp = self.temp_path();
        let mut file = fs::File::create(&tmp).await?;
        let mut hash = Sha256::new();
        let mut size = 0u64;
        let write = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                hash.update(&chunk);
                size += chunk.len() as u64;
                file.write_all(&chunk).await?;
            }
            file.flush().await?;
            file.sync_data().await
        };
        if let Err(e) = write.await {
            let _ = fs::remove_file(&tmp).await;
            return Err(e.into());
        }
        if size != expected {
            let _ = fs::remove_file(&tmp).await;
            return Err(StoreError::PartSize {
                number,
                expected,
                found: size,
            });
        }
        let etag = format!("\"{}\"", &hex::encode(hash.finalize())[..32]);
        fs::create_dir_all(&dir).await?;
        // The ETag travels with the part in its file name, so listing parts needs no reads.
        let name = format!("{number:05}.{}.part", etag.trim_matches('"'));
        // A re-sent part replaces the earlier copy.
        for old in self
            .list_parts(upload_id)
            .await?
            .into_iter()
            .filter(|p| p.number == number)
        {
            let _ = fs::remove_file(
                dir.join(format!("{number:05}.{}.part", old.etag.trim_matches('"'))),
            )
            .await;
        }
        fs::rename(&tmp, dir.join(name)).await?;
        Ok(StoredPart { number, size, etag })
    }

    pub async fn list_parts(&self, upload_id: &str) -> Result<Vec<StoredPart>, StoreError> {
        let dir = self.part_dir(upload_id)?;
        let mut out = Vec::new();
        let mut rd = match fs::read_dir(&dir).await {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e.into()),
        };
        while let Some(entry) = rd.next_entry().await? {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let mut it = name.splitn(3, '.');
            let (Some(num), Some(tag), Some("part")) = (it.next(), it.next(), it.next()) else {
                continue;
            };
            let Ok(number) = num.parse() else { continue };
            let size = entry.metadata().await?.len();
            out.push(StoredPart {
                number,
                size,
                etag: format!("\"{tag}\""),
            });
        }
        out.sort_by_key(|p| p.number);
        Ok(out)
    }

    pub async fn complete_upload(
        &self,
        upload_id: &str,
        parts: &[(u32, String)],
        key: &str,
    ) -> Result<ObjectMeta, StoreError> {
        let dir = self.part_dir(upload_id)?;
        let dest = self.path(key)?;
        let stored = self.list_parts(upload_id).await?;
        let tmp = self.temp_path();
        let mut out = fs::File::create(&tmp).await?;
        let result = async {
            for (number, etag) in parts {
                let part = stored
                    .iter()
                    .find(|p| p.number == *number)
                    .ok_or(StoreError::MissingPart(*number))?;
                if part.etag.trim_matches('"') != etag.trim_matches('"') {
                    return Err(StoreError::EtagMismatch {
                        number: *number,
                        expected: etag.clone(),
                        found: part.etag.clone(),
                    });
                }
                let name = format!("{number:05}.{}.part", part.etag.trim_matches('"'));
                let mut f = fs::File::open(dir.join(name)).await?;
                tokio::io::copy(&mut f, &mut out).await?;
            }
            out.flush().await?;
            out.sync_data().await?;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp).await;
            return Err(e);
        }
        self.commit(&tmp, &dest).await?;
        self.abort_upload(upload_id).await?;
        self.head(key).await
    }

    pub async fn abort_upload(&self, upload_id: &str) -> Result<(), StoreError> {
        let dir = self.part_dir(upload_id)?;
        match fs::remove_dir_all(&dir).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn rand_u64() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    nanos
        ^ (u64::from(std::process::id()) << 48)
        ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(s: impl Stream<Item = io::Result<Bytes>>) -> Vec<u8> {
        let chunks: Vec<_> = s.collect().await;
        chunks
            .into_iter()
            .flat_map(|c| c.unwrap().to_vec())
            .collect()
    }

    fn body(data: &'static [u8]) -> impl Stream<Item = io::Result<Bytes>> + Send + Unpin {
        futures::stream::iter(data.chunks(3).map(|c| Ok(Bytes::from_static(c))))
    }

    #[tokio::test]
    async fn multipart_upload_joins_parts_in_order_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
        let p2 = store.put_part("up1", 2, 5, body(b"world")).await.unwrap();
        let p1 = store.put_part("up1", 1, 6, body(b"hello ")).await.unwrap();
        let short = store.put_part("up1", 1, 6, body(b"hell")).await;
        assert!(matches!(
            short,
            Err(StoreError::PartSize {
                number: 1,
                expected: 6,
                found: 4
            })
        ));
        let listed = store.list_parts("up1").await.unwrap();
        assert_eq!(listed, vec![p1.clone(), p2.clone()]);
        let bad = store
            .complete_upload("up1", &[(1, p2.etag.clone())], "sources/v/source")
            .await;
        assert!(matches!(
            bad,
            Err(StoreError::EtagMismatch { number: 1, .. })
        ));
        let meta = store
            .complete_upload("up1", &[(1, p1.etag), (2, p2.etag)], "sources/v/source")
            .await
            .unwrap();
        assert_eq!(meta.size, 11);
        let all = collect(store.read_range("sources/v/source", 0, 11).await.unwrap()).await;
        assert_eq!(all, b"hello world");
        let mid = collect(store.read_range("sources/v/source", 6, 3).await.unwrap()).await;
        assert_eq!(mid, b"wor");
        assert!(store.list_parts("up1").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
        assert!(matches!(
            store.head("../x").await,
            Err(StoreError::InvalidKey(_))
        ));
        assert!(matches!(
            store.head("/etc/passwd").await,
            Err(StoreError::InvalidKey(_))
        ));
        assert!(matches!(
            store.head("videos/none").await,
            Err(StoreError::NotFound(_))
        ));
    }
}
