//! Offline downloads: one rung of a video (its playlist, init segment and segments), its audio,
//! every subtitle track and the poster, kept under the app's data directory
//! (`downloads/{video_id}/media/...` at the server's own relative paths, beside
//! `download.json`), fetched a few files at a time with pause, resume (after a restart too) and
//! cancel, and played back through `serve`'s loopback server.

mod fetch;
mod hls;
mod manifest;
mod serve;
pub mod sync;

use crate::credentials;
use fetch::{CANCEL, Failure, PAUSE, RUN};
use futures::StreamExt;
use manifest::{Manifest, State};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Files fetched at once.
const PARALLEL_FILES: usize = 4;

/// The poster's name among a download's files (the media files all live in sub-directories).
const POSTER: &str = "poster.jpg";

/// A running download's handles.
struct Running {
    control: Arc<AtomicU8>,
    /// Bytes in of the files being fetched.
    received: Arc<AtomicU64>,
}

pub struct Downloads {
    root: PathBuf,
    manifests: Mutex<HashMap<String, Manifest>>,
    running: Mutex<HashMap<String, Running>>,
    http: reqwest::Client,
    /// The loopback server's base URL, once it listens.
    local: OnceLock<String>,
}

/// A download as the UI shows it.
#[derive(Debug, Serialize)]
pub struct View {
    video_id: String,
    title: String,
    height: u32,
    state: State,
    error: Option<String>,
    bytes_done: u64,
    bytes_total: u64,
    /// Where the player finds it, once complete.
    master_url: Option<String>,
    poster_url: Option<String>,
    position_s: f64,
    duration_s: f64,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A media link from the api, whole (they may be relative to it).
fn absolute(server: &str, url: &str) -> String {
    if url.starts_with('/') {
        format!("{server}{url}")
    } else {
        url.to_owned()
    }
}

impl Downloads {
    /// Reads what `root` holds; a directory without a manifest (a cancel cut short) goes.
    pub fn open(root: PathBuf) -> Arc<Downloads> {
        let mut manifests = HashMap::new();
        if let Ok(dirs) = std::fs::read_dir(&root) {
            for dir in dirs.flatten() {
                match Manifest::load(&dir.path()) {
                    Some(m) => {
                        manifests.insert(m.video_id.clone(), m);
                    }
                    None => {
                        let _ = std::fs::remove_dir_all(dir.path());
                    }
                }
            }
        }
        Arc::new(Downloads {
            root,
            manifests: Mutex::new(manifests),
            running: Mutex::new(HashMap::new()),
            http: reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .read_timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("an HTTP client with the default TLS set-up"),
            local: OnceLock::new(),
        })
    }

    /// Starts the loopback server and the downloads a restart interrupted.
    pub async fn start(self: &Arc<Self>) {
        match serve::start(self.root.clone()).await {
            Ok(base) => {
                let _ = self.local.set(base);
            }
            Err(e) => eprintln!("kino: downloads cannot be played: {e}"),
        }
        let interrupted: Vec<String> = self
            .manifests()
            .values()
            .filter(|m| m.state == State::Downloading)
            .map(|m| m.video_id.clone())
            .collect();
        for id in interrupted {
            self.spawn(id);
        }
    }

    fn manifests(&self) -> std::sync::MutexGuard<'_, HashMap<String, Manifest>> {
        self.manifests.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// Updates a download's manifest (in memory and on disk); false when it is gone.
    fn update(&self, id: &str, f: impl FnOnce(&mut Manifest)) -> bool {
        let mut all = self.manifests();
        let Some(m) = all.get_mut(id) else {
            return false;
        };
        f(m);
        if let Err(e) = m.save(&self.dir(id)) {
            eprintln!("kino: could not save download {id}: {e}");
        }
        true
    }

    pub fn list(&self) -> Vec<View> {
        let running: HashMap<String, u64> = self
            .running()
            .iter()
            .map(|(id, r)| (id.clone(), r.received.load(Ordering::Relaxed)))
            .collect();
        let mut views: Vec<(u64, View)> = self
            .manifests()
            .values()
            .map(|m| {
                // While it runs, the files being fetched count by what is in of them so far.
                let bytes_done = match running.get(&m.video_id) {
                    Some(in_flight) => {
                        m.files
                            .iter()
                            .filter(|f| f.done)
                            .map(|f| f.size)
                            .sum::<u64>()
                            + in_flight
                    }
                    None => m.bytes_done(),
                };
                let complete = m.complete();
                let local = self
                    .local
                    .get()
                    .map(|b| format!("{b}/{}/media", m.video_id));
                let poster_in = m.files.iter().any(|f| f.path == POSTER && f.done);
                (
                    m.created_ms,
                    View {
                        video_id: m.video_id.clone(),
                        title: m.title.clone(),
                        height: m.height,
                        state: m.state,
                        error: m.error.clone(),
                        bytes_done,
                        bytes_total: if complete {
                            bytes_done
                        } else {
                            m.expected.max(bytes_done)
                        },
                        master_url: local
                            .as_ref()
                            .filter(|_| complete)
                            .map(|l| format!("{l}/master.m3u8")),
                        poster_url: local
                            .as_ref()
                            .filter(|_| poster_in)
                            .map(|l| format!("{l}/{POSTER}")),
                        position_s: m.position_s,
                        duration_s: m.duration_s,
                    },
                )
            })
            .collect();
        views.sort_by_key(|v| std::cmp::Reverse(v.0));
        views.into_iter().map(|(_, v)| v).collect()
    }

    /// The heights the server offers for a video.
    pub async fn qualities(&self, server: &str, video_id: &str) -> Result<Vec<u32>, String> {
        let (master, _) = self.master(server, video_id).await?;
        Ok(master.heights())
    }

    /// The video's master playlist and its URL, read afresh (links are signed and expire).
    async fn master(
        &self,
        server: &str,
        video_id: &str,
    ) -> Result<(hls::Master, Playback), String> {
        let token = credentials::token(server);
        let api = shared::client::connect(server, token.as_deref());
        let video = api.get_video(video_id).await.map_err(|e| {
            let (status, _, message) = shared::client::error_code(&e);
            match status {
                Some(404) => "This video is no longer available.".to_owned(),
                Some(_) => message,
                None => format!("The server could not be reached: {message}"),
            }
        })?;
        let video = video.into_inner();
        let playback = video.playback.ok_or("This video cannot be played yet.")?;
        let master_url = absolute(server, &playback.master_url);
        let text = self
            .http
            .get(&master_url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("The server could not be reached: {e}"))?
            .text()
            .await
            .map_err(|e| format!("The server could not be reached: {e}"))?;
        let base = master_url
            .rsplit_once('/')
            .map(|(b, _)| format!("{b}/"))
            .unwrap_or_default();
        Ok((
            hls::parse_master(&text)?,
            Playback {
                base,
                poster: absolute(server, &playback.poster_url),
                duration_s: video.duration_s.unwrap_or(0.0),
            },
        ))
    }

    /// Starts downloading a video at `height` from `server` (or resumes it).
    pub fn add(
        self: &Arc<Self>,
        server: &str,
        video_id: &str,
        title: &str,
        height: u32,
    ) -> Result<(), String> {
        hls::safe(video_id)
            .ok()
            .filter(|id| !id.contains('/'))
            .ok_or("not a video id")?;
        {
            let mut all = self.manifests();
            match all.get(video_id) {
                Some(m) if m.state != State::Failed => {}
                _ => {
                    let m = Manifest {
                        video_id: video_id.to_owned(),
                        title: title.to_owned(),
                        height,
                        server: server.to_owned(),
                        state: State::Downloading,
                        error: None,
                        files: Vec::new(),
                        expected: 0,
                        duration_s: 0.0,
                        position_s: 0.0,
                        created_ms: now_ms(),
                    };
                    m.save(&self.dir(video_id))
                        .map_err(|e| format!("could not start the download: {e}"))?;
                    all.insert(video_id.to_owned(), m);
                }
            }
        }
        self.resume(video_id);
        Ok(())
    }

    pub fn pause(&self, id: &str) {
        if let Some(r) = self.running().get(id) {
            r.control.store(PAUSE, Ordering::Relaxed);
        }
        self.update(id, |m| {
            if m.state == State::Downloading {
                m.state = State::Paused;
            }
        });
    }

    pub fn resume(self: &Arc<Self>, id: &str) {
        let mut go = false;
        self.update(id, |m| {
            if m.state != State::Done {
                m.state = State::Downloading;
                m.error = None;
                go = true;
            }
        });
        if go {
            self.spawn(id.to_owned());
        }
    }

    /// Cancels a download or deletes a finished one, with its files.
    pub fn remove(&self, id: &str) {
        if let Some(r) = self.running().get(id) {
            r.control.store(CANCEL, Ordering::Relaxed);
        }
        self.manifests().remove(id);
        let _ = std::fs::remove_dir_all(self.dir(id));
    }

    /// Where the viewer stopped watching a download.
    pub fn set_position(&self, id: &str, position_s: f64) {
        self.update(id, |m| m.position_s = position_s);
    }

    /// The downloads of `server`'s videos.
    pub fn of_server(&self, server: &str) -> Vec<String> {
        self.manifests()
            .values()
            .filter(|m| m.server == server)
            .map(|m| m.video_id.clone())
            .collect()
    }

    fn spawn(self: &Arc<Self>, id: String) {
        let (control, received) = {
            let mut running = self.running();
            if let Some(r) = running.get(&id) {
                // Paused a moment ago and not yet stopped: it goes on.
                r.control.store(RUN, Ordering::Relaxed);
                return;
            }
            let r = Running {
                control: Arc::new(AtomicU8::new(RUN)),
                received: Arc::new(AtomicU64::new(0)),
            };
            let handles = (r.control.clone(), r.received.clone());
            running.insert(id.clone(), r);
            handles
        };
        let this = self.clone();
        tauri::async_runtime::spawn(async move {
            let result = this.fetch_all(&id, &control, &received).await;
            this.running().remove(&id);
            match result {
                Ok(()) => {
                    this.update(&id, |m| m.state = State::Done);
                }
                Err(Failure::Stopped) if control.load(Ordering::Relaxed) == CANCEL => {
                    let _ = std::fs::remove_dir_all(this.dir(&id));
                }
                // Resumed while it was stopping: start it again.
                Err(Failure::Stopped) if control.load(Ordering::Relaxed) == RUN => this.spawn(id),
                Err(Failure::Stopped) => {
                    this.update(&id, |m| m.state = State::Paused);
                }
                Err(Failure::Expired) => {
                    this.update(&id, |m| {
                        m.state = State::Failed;
                        m.error = Some("The server refused the video's links.".into());
                    });
                }
                Err(Failure::Other(e)) => {
                    this.update(&id, |m| {
                        m.state = State::Failed;
                        m.error = Some(e);
                    });
                }
            }
        });
    }

    /// Reads the playlists afresh, then fetches every file not yet in.
    async fn fetch_all(
        &self,
        id: &str,
        control: &Arc<AtomicU8>,
        received: &Arc<AtomicU64>,
    ) -> Result<(), Failure> {
        let dir = self.dir(id).join("media");
        // A link may expire mid-way (a long download, a laptop asleep): fresh links, once more.
        for _ in 0..3 {
            let (server, height) = {
                let all = self.manifests();
                let m = all.get(id).ok_or(Failure::Stopped)?;
                (m.server.clone(), m.height)
            };
            let (master, playback) = self.master(&server, id).await.map_err(Failure::Other)?;
            let rung = master.pick(height);
            let mut paths = Vec::new();
            let mut playlists = vec![("master.m3u8".to_owned(), master.only(rung))];
            for uri in master.playlists(rung).map_err(Failure::Other)? {
                let text = self
                    .http
                    .get(format!("{}{uri}", playback.base))
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| Failure::Other(format!("The server could not be reached: {e}")))?
                    .text()
                    .await
                    .map_err(|e| Failure::Other(format!("The server could not be reached: {e}")))?;
                paths.extend(hls::media_files(&uri, &text).map_err(Failure::Other)?);
                playlists.push((uri, text));
            }
            paths.push(POSTER.to_owned());
            for (path, text) in &playlists {
                write(&dir.join(path), text.as_bytes()).map_err(Failure::Other)?;
            }
            let files = {
                let mut all = self.manifests();
                let m = all.get_mut(id).ok_or(Failure::Stopped)?;
                m.relist(paths);
                m.duration_s = playback.duration_s;
                m.expected = rung.bandwidth * playback.duration_s.ceil() as u64 / 8;
                let _ = m.save(&self.dir(id));
                m.files.clone()
            };
            // A few files at a time: one at a time leaves the link idle between files.
            let fetches = files.into_iter().filter(|f| !f.done).map(|mut entry| {
                let url = if entry.path == POSTER {
                    playback.poster.clone()
                } else {
                    format!("{}{}", playback.base, entry.path)
                };
                let dir = &dir;
                async move {
                    let result =
                        fetch::file(&self.http, &url, dir, &mut entry, control, received).await;
                    self.update(id, |m| {
                        if let Some(e) = m.files.iter_mut().find(|e| e.path == entry.path) {
                            *e = entry;
                        }
                    });
                    result
                }
            });
            let mut results = futures::stream::iter(fetches).buffer_unordered(PARALLEL_FILES);
            let mut expired = false;
            while let Some(result) = results.next().await {
                match result {
                    Ok(()) => {}
                    Err(Failure::Expired) => expired = true,
                    Err(e) => return Err(e),
                }
            }
            if !expired {
                return Ok(());
            }
        }
        Err(Failure::Expired)
    }
}

/// What a download needs from the video's playback links.
struct Playback {
    /// The master playlist's directory, which every playlist's path is relative to.
    base: String,
    poster: String,
    duration_s: f64,
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("could not write the download: {e}"))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("could not write the download: {e}"))
}
