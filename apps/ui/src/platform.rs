//! What the UI needs from the platform it runs on.

pub use dioxus::html::FileData;
pub use shared::upload::PutError;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// A future the platform returns; not `Send`, as browser futures are not.
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Capabilities that differ between the browser, the TV shell and the native apps.
pub trait Platform {
    /// Absolute base URL of the api, without a trailing slash.
    fn api_base(&self) -> String;
    /// A value kept across restarts (the browser's localStorage), if any.
    fn load(&self, key: &str) -> Option<String>;
    /// Keeps a value for the next start (or forgets it with `None`).
    fn save(&self, key: &str, value: Option<&str>);
    /// Reads bytes `start..end` of a file the user picked, without reading the rest, so an
    /// upload holds one part in memory however large the file is.
    fn read_range(
        &self,
        file: &FileData,
        start: u64,
        end: u64,
    ) -> LocalFuture<Result<Vec<u8>, String>>;
    /// PUTs bytes `start..end` of a file the user picked to `url` (a part of an upload) and
    /// returns the ETag the receiver gave it. The platform streams the range from the file,
    /// so a part need not pass through the app's memory.
    fn put_range(
        &self,
        file: &FileData,
        start: u64,
        end: u64,
        url: &str,
    ) -> LocalFuture<Result<String, PutError>>;
    /// Resolves after `ms` milliseconds (timers for hiding controls, countdowns, link refresh).
    fn sleep(&self, ms: u32) -> LocalFuture<()>;
    /// Milliseconds since the Unix epoch, by the device's clock.
    fn now_ms(&self) -> f64;

    /// The session token kept from the last start. The browser keeps it in its storage; the
    /// desktop app in the OS credential store.
    fn load_token(&self) -> Option<String> {
        self.load(TOKEN_KEY)
    }
    /// Keeps the session token for the next start (or forgets it with `None`).
    fn save_token(&self, token: Option<&str>) {
        self.save(TOKEN_KEY, token)
    }

    /// The servers the user may pick between, or `None` where the server is fixed (the web
    /// app talks to the site that served it).
    fn servers(&self) -> Option<Servers> {
        None
    }
    /// Makes `url` the app's server once it answers as a Kino server, then starts the app
    /// afresh against it; the error says why not, for the user.
    fn choose_server(&self, url: &str) -> LocalFuture<Result<(), String>> {
        let _ = url;
        Box::pin(async { Err("This app's server cannot be changed.".to_owned()) })
    }
    /// Forgets a remembered server and its session; returns the servers left.
    fn forget_server(&self, url: &str) -> LocalFuture<Result<Vec<String>, String>> {
        let _ = url;
        Box::pin(async { Err("This app's server cannot be changed.".to_owned()) })
    }

    /// Whether videos can be downloaded to this device to watch offline.
    fn can_download(&self) -> bool {
        false
    }
    /// The qualities (heights) a video can be downloaded in, highest first.
    fn download_qualities(&self, video_id: &str) -> LocalFuture<Result<Vec<u32>, String>> {
        let _ = video_id;
        Box::pin(async { Err(NO_DOWNLOADS.to_owned()) })
    }
    /// Starts downloading a video at a height (or resumes its download).
    fn download_add(
        &self,
        video_id: &str,
        title: &str,
        height: u32,
    ) -> LocalFuture<Result<(), String>> {
        let _ = (video_id, title, height);
        Box::pin(async { Err(NO_DOWNLOADS.to_owned()) })
    }
    /// Every download, newest first.
    fn download_list(&self) -> LocalFuture<Result<Vec<Download>, String>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    /// Pauses, resumes or removes (cancels, deletes) a download.
    fn download_control(
        &self,
        video_id: &str,
        action: DownloadAction,
    ) -> LocalFuture<Result<(), String>> {
        let _ = (video_id, action);
        Box::pin(async { Err(NO_DOWNLOADS.to_owned()) })
    }
    /// Where the viewer is in a download played offline (kept, and sent to the server when
    /// it can be reached).
    fn offline_progress(&self, video_id: &str, position_s: f64) {
        let _ = (video_id, position_s);
    }

    /// Whether files are chosen through the system's own chooser and read by the app itself
    /// (the desktop app), rather than through the page's file input.
    fn chooses_files(&self) -> bool {
        false
    }
    /// Opens the system's chooser; the files the user chose (none when they closed it).
    /// [`Platform::read_range`] and [`Platform::put_range`] read them.
    fn choose_files(&self, kind: FileKind) -> LocalFuture<Result<Vec<FileData>, String>> {
        let _ = kind;
        Box::pin(async { Err("Files are chosen on the page here.".to_owned()) })
    }
}

/// What the user is asked to choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Any number of videos to upload.
    Videos,
    /// One WebVTT file.
    Subtitles,
}

const NO_DOWNLOADS: &str = "Downloads are for the desktop app.";

/// What can be done to a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadAction {
    Pause,
    Resume,
    /// Cancels it, or deletes it once finished.
    Remove,
}

/// A video downloaded (or downloading) to this device.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Download {
    pub video_id: String,
    pub title: String,
    pub height: u32,
    /// `downloading`, `paused`, `done` or `failed`.
    pub state: String,
    pub error: Option<String>,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Where the player finds it, once complete.
    pub master_url: Option<String>,
    pub poster_url: Option<String>,
    pub position_s: f64,
    pub duration_s: f64,
}

const TOKEN_KEY: &str = "kino.token";

/// The servers of an app that lets the user pick one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Servers {
    /// The one the app talks to; `None` until the user picks one.
    pub current: Option<String>,
    /// Servers picked before, most recent first.
    pub known: Vec<String>,
}

/// [`PlatformHandle::media_url`] for render code without the handle at hand.
pub fn media_url(url: &str) -> String {
    match dioxus::prelude::try_consume_context::<PlatformHandle>() {
        Some(p) => p.media_url(url),
        None => url.to_owned(),
    }
}

/// A shareable handle to the platform, provided as Dioxus context by each launcher.
#[derive(Clone)]
pub struct PlatformHandle(pub Rc<dyn Platform>);

impl PlatformHandle {
    /// Media links may be relative to the api (`/media/...`): whole, they also work in a page
    /// the api did not serve (the desktop app's).
    pub fn media_url(&self, url: &str) -> String {
        if url.starts_with('/') && !url.starts_with("//") {
            format!("{}{url}", self.0.api_base())
        } else {
            url.to_owned()
        }
    }

    /// A REST client for the api, signed out.
    pub fn client(&self) -> shared::client::Client {
        shared::client::connect(&self.0.api_base(), None)
    }
}
