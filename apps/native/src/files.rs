//! Files the user chose for an upload, read by the app itself.
//!
//! The system's chooser returns paths; the page only ever gets an opaque id for each, so it
//! can read and send exactly the files the user chose and no other. Parts go from disk to the
//! upload URL through the app's own HTTP client: the webview neither copies them nor spends
//! its CPU on them, as it would with a `File` from a file input.

use rand::RngCore;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// The most a page may read of a file at once (a subtitle file, a preview of one). Uploads
/// go through [`Chosen::put`], which reads a part at a time.
pub const MAX_READ: u64 = 16 * 1024 * 1024;

/// A chosen file as the page sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChosenFile {
    pub id: String,
    pub name: String,
    pub size: u64,
    /// Milliseconds since the Unix epoch (as a browser's `File.lastModified`).
    pub modified_ms: u64,
    pub content_type: Option<String>,
}

/// Why a part was not sent, in the upload engine's terms.
#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum PutFailure {
    /// Worth another try (the network, a busy or failing server).
    Retry(String),
    /// The receiver will not take it as sent.
    Refused(String),
    /// The file itself could not be read.
    Read(String),
}

/// What kind of file the user is asked for: it sets the chooser's title and filter.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Videos,
    Subtitles,
}

impl Kind {
    pub fn title(self) -> &'static str {
        match self {
            Kind::Videos => "Choose videos to upload",
            Kind::Subtitles => "Choose a WebVTT subtitle file",
        }
    }

    /// The chooser's filter: a name and the extensions it shows.
    pub fn filter(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Kind::Videos => (
                "Videos",
                &[
                    "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "wmv", "flv",
                ],
            ),
            Kind::Subtitles => ("WebVTT subtitles", &["vtt"]),
        }
    }

    pub fn multiple(self) -> bool {
        matches!(self, Kind::Videos)
    }
}

/// Asks the user for files of a kind and sends their paths (none when they closed it).
pub type Chooser = Box<dyn Fn(Kind, tokio::sync::oneshot::Sender<Vec<PathBuf>>) + Send + Sync>;

/// The system's file chooser (GTK on Linux, the platform's own elsewhere), over the main window.
pub fn system_chooser<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> Chooser {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;
    Box::new(move |kind, tx| {
        let (name, extensions) = kind.filter();
        let mut dialog = app
            .dialog()
            .file()
            .set_title(kind.title())
            .add_filter(name, extensions);
        if let Some(window) = app.get_webview_window("main") {
            dialog = dialog.set_parent(&window);
        }
        let paths = |picked: Option<Vec<tauri_plugin_dialog::FilePath>>| {
            picked
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.into_path().ok())
                .collect::<Vec<_>>()
        };
        if kind.multiple() {
            dialog.pick_files(move |picked| {
                let _ = tx.send(paths(picked));
            });
        } else {
            dialog.pick_file(move |picked| {
                let _ = tx.send(paths(picked.map(|p| vec![p])));
            });
        }
    })
}

/// The files chosen since the app started, by id.
#[derive(Default)]
pub struct Chosen {
    files: Mutex<HashMap<String, PathBuf>>,
}

impl Chosen {
    /// Remembers a file the user chose and describes it for the page.
    pub fn add(&self, path: &Path) -> Result<ChosenFile, String> {
        let meta = std::fs::metadata(path)
            .map_err(|e| format!("{} could not be read: {e}", path.display()))?;
        if !meta.is_file() {
            return Err(format!("{} is not a file", path.display()));
        }
        let modified_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as u64);
        let mut raw = [0u8; 16];
        rand::rng().fill_bytes(&mut raw);
        let id = hex::encode(raw);
        self.lock().insert(id.clone(), path.to_owned());
        Ok(ChosenFile {
            id,
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size: meta.len(),
            modified_ms,
            content_type: content_type(path).map(str::to_owned),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, PathBuf>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn path(&self, id: &str) -> Result<PathBuf, String> {
        self.lock().get(id).cloned().ok_or_else(|| {
            "that file was not chosen in this run of the app; choose it again".into()
        })
    }

    /// Bytes `start..end` of a chosen file (at most [`MAX_READ`]).
    pub async fn read(&self, id: &str, start: u64, end: u64) -> Result<Vec<u8>, String> {
        if end < start || end - start > MAX_READ {
            return Err(format!(
                "a read of a file is at most {} MiB",
                MAX_READ / 1024 / 1024
            ));
        }
        read_range(&self.path(id)?, start, end).await
    }

    /// PUTs bytes `start..end` of a chosen file to `url` (an upload's part); the ETag the
    /// receiver gave it.
    pub async fn put(
        &self,
        http: &reqwest::Client,
        id: &str,
        start: u64,
        end: u64,
        url: &str,
    ) -> Result<String, PutFailure> {
        let target = url::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| PutFailure::Refused(format!("not an upload address: {url}")))?;
        let path = self.path(id).map_err(PutFailure::Read)?;
        if end < start {
            return Err(PutFailure::Refused("a part ends before it starts".into()));
        }
        // A part is a few MiB (the api chooses it): held whole, it goes out with its length
        // known, as the receiver checks it.
        let body = read_range(&path, start, end)
            .await
            .map_err(PutFailure::Read)?;
        let len = body.len() as u64;
        let response = http
            .put(target)
            .timeout(part_timeout(len))
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(body)
            .send()
            .await
            .map_err(|e| PutFailure::Retry(format!("the part could not be sent: {e}")))?;
        let status = response.status();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(PutFailure::Retry(format!("HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(PutFailure::Refused(format!(
                "the server refused a part (HTTP {})",
                status.as_u16()
            )));
        }
        response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| PutFailure::Retry("the server sent no ETag".into()))
    }
}

/// Time a part may take: a minute, or as long as it takes at 64 KiB/s, whichever is longer,
/// so a slow link still finishes while a stalled one is retried.
fn part_timeout(len: u64) -> Duration {
    Duration::from_secs(60).max(Duration::from_secs(len / (64 * 1024)))
}

async fn read_range(path: &Path, start: u64, end: u64) -> Result<Vec<u8>, String> {
    let name = path.display();
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| format!("{name} could not be opened: {e}"))?;
    let size = file
        .metadata()
        .await
        .map_err(|e| format!("{name} could not be read: {e}"))?
        .len();
    if end > size {
        return Err(format!(
            "{name} is shorter than when it was chosen ({size} bytes now)"
        ));
    }
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(|e| format!("{name} could not be read: {e}"))?;
    let mut buf = vec![0u8; (end - start) as usize];
    file.read_exact(&mut buf)
        .await
        .map_err(|e| format!("{name} could not be read: {e}"))?;
    Ok(buf)
}

/// The type the api is told, from the file's extension (as a browser guesses it).
fn content_type(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "mkv" => "video/x-matroska",
        "webm" => "video/webm",
        "avi" => "video/x-msvideo",
        "mpg" | "mpeg" => "video/mpeg",
        "ts" => "video/mp2t",
        "wmv" => "video/x-ms-wmv",
        "flv" => "video/x-flv",
        "vtt" => "text/vtt",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        path
    }

    #[tokio::test]
    async fn only_chosen_files_are_read_and_only_what_they_hold() {
        let dir = tempfile::tempdir().unwrap();
        let chosen = Chosen::default();
        let clip = chosen
            .add(&file(dir.path(), "Morning Walk.MP4", b"0123456789"))
            .unwrap();
        assert_eq!(clip.name, "Morning Walk.MP4");
        assert_eq!(clip.size, 10);
        assert_eq!(clip.content_type.as_deref(), Some("video/mp4"));
        assert!(clip.modified_ms > 0);
        assert_eq!(clip.id.len(), 32);
        assert_eq!(chosen.read(&clip.id, 2, 5).await.unwrap(), b"234");
        // An id never handed out, a read past the end, and a read too large are refused.
        assert!(
            chosen
                .read("0123", 0, 1)
                .await
                .unwrap_err()
                .contains("choose it again")
        );
        assert!(
            chosen
                .read(&clip.id, 5, 11)
                .await
                .unwrap_err()
                .contains("shorter")
        );
        assert!(chosen.read(&clip.id, 0, MAX_READ + 1).await.is_err());
        // A directory is not a file to upload.
        assert!(chosen.add(dir.path()).unwrap_err().contains("not a file"));
    }

    #[tokio::test]
    async fn a_part_goes_out_with_its_length_and_refusals_keep_their_kind() {
        use poem::{Route, handler, listener::TcpListener, web::Data};
        use std::sync::Arc;
        use tokio::sync::Mutex as AsyncMutex;

        type Seen = Arc<AsyncMutex<Vec<(String, Vec<u8>)>>>;
        #[handler]
        async fn part(req: &poem::Request, body: poem::Body, seen: Data<&Seen>) -> poem::Response {
            let bytes = body.into_vec().await.unwrap();
            let answer = match req.uri().path() {
                "/busy" => poem::Response::builder()
                    .status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
                    .finish(),
                "/forbidden" => poem::Response::builder()
                    .status(poem::http::StatusCode::FORBIDDEN)
                    .finish(),
                _ => poem::Response::builder().header("etag", "\"abc\"").finish(),
            };
            let length = req
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("none")
                .to_owned();
            seen.0.lock().await.push((length, bytes));
            answer
        }
        let seen: Seen = Arc::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let app = poem::EndpointExt::data(Route::new().at("/*path", poem::put(part)), seen.clone());
        tokio::spawn(poem::Server::new(TcpListener::bind(format!("127.0.0.1:{port}"))).run(app));
        tokio::time::sleep(Duration::from_millis(100)).await;

        let dir = tempfile::tempdir().unwrap();
        let chosen = Chosen::default();
        let clip = chosen
            .add(&file(dir.path(), "a.webm", b"abcdefgh"))
            .unwrap();
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let etag = chosen
            .put(&http, &clip.id, 2, 6, &format!("{base}/part/1"))
            .await
            .unwrap();
        assert_eq!(etag, "\"abc\"");
        assert_eq!(seen.lock().await[0], ("4".to_owned(), b"cdef".to_vec()));
        assert!(matches!(
            chosen
                .put(&http, &clip.id, 0, 8, &format!("{base}/busy"))
                .await,
            Err(PutFailure::Retry(_))
        ));
        assert!(matches!(
            chosen
                .put(&http, &clip.id, 0, 8, &format!("{base}/forbidden"))
                .await,
            Err(PutFailure::Refused(_))
        ));
        assert!(matches!(
            chosen
                .put(&http, &clip.id, 0, 8, "file:///etc/passwd")
                .await,
            Err(PutFailure::Refused(_))
        ));
        assert!(matches!(
            chosen
                .put(&http, "nope", 0, 8, &format!("{base}/part/2"))
                .await,
            Err(PutFailure::Read(_))
        ));
    }
}
