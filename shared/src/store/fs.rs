//! The filesystem backend: objects are files under a root directory; multipart parts are files
//! under `uploads/{id}/` whose names carry their number and ETag, so listing needs no reads.

use super::stats::{Attempt, STORE};
use super::{
    ByteStream, Multipart, ObjectMeta, ObjectStore, StoreError, StoredPart, check_key, quoted,
    same_etag,
};
use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::fs;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// A store in a local directory.
#[derive(Debug, Clone)]
pub struct FsStore {
    root: PathBuf,
}

/// Ranges up to this long are read in one go.
const WHOLE_READ_MAX: u64 = 4 * 1024 * 1024;

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

    fn part_dir(&self, upload: &Multipart) -> Result<PathBuf, StoreError> {
        if !crate::layout::is_safe_id(&upload.id) {
            return Err(StoreError::InvalidKey(upload.id.clone()));
        }
        Ok(self.root.join("uploads").join(&upload.id))
    }

    fn temp_path(&self) -> PathBuf {
        self.root.join(".tmp").join(format!("{:016x}", rand_u64()))
    }

    /// Moves a finished temporary file into place durably: its data is on disk before the
    /// rename, and the rename is on disk (the directory synced) before the caller is told the
    /// object is stored, so a crash never leaves an acknowledged object empty or missing.
    async fn commit(&self, tmp: &Path, dest: &Path) -> Result<(), StoreError> {
        fs::File::open(tmp).await?.sync_all().await?;
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).await?;
        }
        fs::rename(tmp, dest).await?;
        if let Some(parent) = dest.parent() {
            sync_dir(parent).await?;
        }
        Ok(())
    }

    fn part_name(number: u32, etag: &str) -> String {
        format!("{number:05}.{}.part", etag.trim_matches('"'))
    }
}

/// Runs one operation and counts it in the store's figures (`store::stats`), as the S3
/// backend counts its requests: a missing object is `refused`, an I/O error `failed`.
async fn timed<T>(
    method: &'static str,
    op: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = std::time::Instant::now();
    let r = op.await;
    let outcome = match &r {
        Ok(_) => Attempt::Ok,
        Err(StoreError::NotFound(_)) => Attempt::Refused,
        Err(_) => Attempt::Failed,
    };
    STORE.attempt(method, outcome, started.elapsed().as_secs_f64(), false);
    r
}

impl ObjectStore for FsStore {
    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        timed("HEAD", async {
            let p = self.path(key)?;
            let m = fs::metadata(&p).await.map_err(not_found(key))?;
            if !m.is_file() {
                return Err(StoreError::NotFound(key.to_owned()));
            }
            Ok(meta_of(&m))
        })
        .await
    }

    async fn read_range(&self, key: &str, offset: u64, len: u64) -> Result<ByteStream, StoreError> {
        timed("GET", async {
            let p = self.path(key)?;
            // Each step of tokio's file I/O is a hop to the blocking pool: a segment (1-4 MB)
            // is opened and read in one hop, which is what makes `/media` keep up with a static
            // file server; longer ranges stream in 1 MiB reads.
            if len <= WHOLE_READ_MAX {
                let key = key.to_owned();
                let read = tokio::task::spawn_blocking(move || -> io::Result<Vec<u8>> {
                    use std::io::{Read, Seek};
                    let mut f = std::fs::File::open(&p)?;
                    f.seek(io::SeekFrom::Start(offset))?;
                    let mut buf = Vec::with_capacity(len as usize);
                    f.take(len).read_to_end(&mut buf)?;
                    Ok(buf)
                })
                .await
                .map_err(io::Error::other)?
                .map_err(not_found(&key))?;
                let whole: ByteStream =
                    Box::pin(futures::stream::once(async move { Ok(Bytes::from(read)) }));
                return Ok(whole);
            }
            let mut f = fs::File::open(&p).await.map_err(not_found(key))?;
            f.seek(io::SeekFrom::Start(offset)).await?;
            let chunks: ByteStream = Box::pin(tokio_util::io::ReaderStream::with_capacity(
                f.take(len),
                1024 * 1024,
            ));
            Ok(chunks)
        })
        .await
    }

    async fn put_file(&self, key: &str, src: &Path) -> Result<ObjectMeta, StoreError> {
        timed("PUT", async {
            let dest = self.path(key)?;
            let tmp = self.temp_path();
            fs::copy(src, &tmp).await?;
            self.commit(&tmp, &dest).await?;
            self.head(key).await
        })
        .await
    }

    async fn put_bytes(&self, key: &str, data: Bytes) -> Result<ObjectMeta, StoreError> {
        timed("PUT", async {
            let dest = self.path(key)?;
            let tmp = self.temp_path();
            fs::write(&tmp, &data).await?;
            self.commit(&tmp, &dest).await?;
            self.head(key).await
        })
        .await
    }

    async fn get_to_file(&self, key: &str, dest: &Path) -> Result<u64, StoreError> {
        timed("GET", async {
            let p = self.path(key)?;
            fs::copy(&p, dest).await.map_err(not_found(key))
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        timed("DELETE", async {
            match fs::remove_file(self.path(key)?).await {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            }
        })
        .await
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<(), StoreError> {
        let trimmed = prefix.trim_end_matches('/');
        let p = self.path(trimmed)?;
        match fs::remove_dir_all(&p).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn create_multipart(&self, key: &str) -> Result<Multipart, StoreError> {
        check_key(key)?;
        let upload = Multipart {
            key: key.to_owned(),
            id: format!("{:016x}{:016x}", rand_u64(), rand_u64()),
        };
        fs::create_dir_all(self.part_dir(&upload)?).await?;
        Ok(upload)
    }

    fn part_url(
        &self,
        _upload: &Multipart,
        _number: u32,
        _size: u64,
        _ttl: Duration,
    ) -> Option<String> {
        None
    }

    async fn put_part(
        &self,
        upload: &Multipart,
        number: u32,
        expected: u64,
        mut body: ByteStream,
    ) -> Result<StoredPart, StoreError> {
        let dir = self.part_dir(upload)?;
        if fs::metadata(&dir).await.is_err() {
            return Err(StoreError::NoSuchUpload(upload.id.clone()));
        }
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
        let etag = quoted(&hex::encode(hash.finalize())[..32]);
        // A re-sent part replaces the earlier copy.
        for old in self
            .list_parts(upload)
            .await?
            .into_iter()
            .filter(|p| p.number == number)
        {
            let _ = fs::remove_file(dir.join(Self::part_name(number, &old.etag))).await;
        }
        fs::rename(&tmp, dir.join(Self::part_name(number, &etag))).await?;
        sync_dir(&dir).await?;
        Ok(StoredPart { number, size, etag })
    }

    async fn list_parts(&self, upload: &Multipart) -> Result<Vec<StoredPart>, StoreError> {
        let dir = self.part_dir(upload)?;
        let mut out = Vec::new();
        let mut rd = match fs::read_dir(&dir).await {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NoSuchUpload(upload.id.clone()));
            }
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
                etag: quoted(tag),
            });
        }
        out.sort_by_key(|p| p.number);
        Ok(out)
    }

    async fn complete_multipart(
        &self,
        upload: &Multipart,
        parts: &[(u32, String)],
    ) -> Result<ObjectMeta, StoreError> {
        let dir = self.part_dir(upload)?;
        let dest = self.path(&upload.key)?;
        let stored = self.list_parts(upload).await?;
        let tmp = self.temp_path();
        let mut out = fs::File::create(&tmp).await?;
        let result = async {
            for (number, etag) in parts {
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
                let mut f = fs::File::open(dir.join(Self::part_name(*number, &part.etag))).await?;
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
        self.abort_multipart(upload).await?;
        self.head(&upload.key).await
    }

    async fn abort_multipart(&self, upload: &Multipart) -> Result<(), StoreError> {
        let dir = self.part_dir(upload)?;
        match fs::remove_dir_all(&dir).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Makes a directory's entries (a rename into it) durable.
async fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    fs::File::open(dir).await?.sync_all().await?;
    Ok(())
}

fn rand_u64() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mixed = nanos
        ^ (u64::from(std::process::id()) << 48)
        ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32);
    // SplitMix64 finaliser: spreads the bits so ids do not share long prefixes.
    let mut z = mixed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `kino_store_requests_total{method="HEAD",outcome="refused"}` as written now.
    fn refused_heads() -> f64 {
        let mut out = crate::metrics::Exposition::default();
        STORE.write(&mut out);
        out.into_string()
            .lines()
            .find_map(|l| {
                l.strip_prefix(r#"kino_store_requests_total{method="HEAD",outcome="refused"} "#)
            })
            .map_or(0.0, |v| v.parse().unwrap())
    }

    #[tokio::test]
    async fn operations_on_the_directory_are_counted_like_requests() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).await.unwrap();
        let before = refused_heads();
        let missing = store.head("videos/none/v1/master.m3u8").await;
        assert!(matches!(missing, Err(StoreError::NotFound(_))));
        assert!(refused_heads() >= before + 1.0);
    }
}
