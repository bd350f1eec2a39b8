//! The commands the app's own pages may call (and, by the capability in `capabilities/`, the
//! only ones; remote pages get none).

use crate::credentials;
use crate::downloads::{self, Downloads, sync::Outbox};
use crate::files::{self, Chosen, ChosenFile, PutFailure};
use crate::server::{self, Servers};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What the app keeps while it runs.
pub struct AppState {
    pub config_dir: PathBuf,
    pub servers: Mutex<Servers>,
    pub http: reqwest::Client,
    pub downloads: Arc<Downloads>,
    pub outbox: Outbox,
    pub chosen: Chosen,
    /// The system's file chooser, set once the window exists.
    pub chooser: std::sync::OnceLock<files::Chooser>,
    /// For upload parts: no overall limit (each part sets its own), a bounded connect.
    pub uploads: reqwest::Client,
}

impl AppState {
    /// The app's state from its config directory (servers) and data directory (downloads).
    pub fn new(config_dir: PathBuf, data_dir: PathBuf) -> AppState {
        let servers = Servers::load(&config_dir);
        let _ = std::fs::create_dir_all(&data_dir);
        AppState {
            config_dir,
            servers: Mutex::new(servers),
            downloads: Downloads::open(data_dir.join("downloads")),
            outbox: Outbox::open(data_dir),
            chosen: Chosen::default(),
            chooser: std::sync::OnceLock::new(),
            uploads: reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("an HTTP client with the default TLS set-up"),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("an HTTP client with the default TLS set-up"),
        }
    }

    fn servers(&self) -> std::sync::MutexGuard<'_, Servers> {
        self.servers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The server the app talks to.
    pub fn current(&self) -> Option<String> {
        self.servers().current.clone()
    }

    fn save(&self, servers: &Servers) -> Result<(), String> {
        servers
            .save(&self.config_dir)
            .map_err(|e| format!("could not save the server list: {e}"))
    }
}

/// What the UI needs before it draws anything.
#[derive(Serialize)]
pub struct Start {
    /// The server the app talks to; `None` until the user picks one.
    server: Option<String>,
    /// Servers picked before, most recent first.
    servers: Vec<String>,
    /// The session kept for `server`.
    token: Option<String>,
}

#[tauri::command]
pub fn start(state: tauri::State<'_, AppState>) -> Start {
    let servers = state.servers().clone();
    let token = servers.current.as_deref().and_then(credentials::token);
    Start {
        server: servers.current,
        servers: servers.known,
        token,
    }
}

/// Makes `url` the app's server once it answers as Kino; returns its origin.
#[tauri::command]
pub async fn choose_server(
    state: tauri::State<'_, AppState>,
    url: String,
) -> Result<String, String> {
    let origin = server::parse(&url)?;
    server::check(&state.http, &origin).await?;
    let mut servers = state.servers().clone();
    servers.choose(&origin);
    state.save(&servers)?;
    *state.servers() = servers;
    Ok(origin)
}

/// Forgets a remembered server and the session kept for it; returns the servers left.
#[tauri::command]
pub fn forget_server(
    state: tauri::State<'_, AppState>,
    url: String,
) -> Result<Vec<String>, String> {
    let mut servers = state.servers().clone();
    servers.forget(&url);
    state.save(&servers)?;
    credentials::set_token(&url, None)?;
    let known = servers.known.clone();
    *state.servers() = servers;
    Ok(known)
}

/// Keeps the session for the current server (or forgets it with `None`).
#[tauri::command]
pub fn set_token(state: tauri::State<'_, AppState>, token: Option<String>) -> Result<(), String> {
    let current = state.servers().current.clone();
    let origin = current.ok_or("no server is chosen")?;
    credentials::set_token(&origin, token.as_deref())
}

fn current(state: &AppState) -> Result<String, String> {
    state
        .current()
        .ok_or_else(|| "no server is chosen".to_owned())
}

/// The qualities a video can be downloaded in (heights, highest first).
#[tauri::command]
pub async fn download_qualities(
    state: tauri::State<'_, AppState>,
    video_id: String,
) -> Result<Vec<u32>, String> {
    state
        .downloads
        .qualities(&current(&state)?, &video_id)
        .await
}

/// Starts downloading a video (or resumes its download).
#[tauri::command]
pub fn download_add(
    state: tauri::State<'_, AppState>,
    video_id: String,
    title: String,
    height: u32,
) -> Result<(), String> {
    state
        .downloads
        .add(&current(&state)?, &video_id, &title, height)
}

/// Every download, newest first, with its progress.
#[tauri::command]
pub fn download_list(state: tauri::State<'_, AppState>) -> Vec<downloads::View> {
    state.downloads.list()
}

#[tauri::command]
pub fn download_pause(state: tauri::State<'_, AppState>, video_id: String) {
    state.downloads.pause(&video_id)
}

#[tauri::command]
pub fn download_resume(state: tauri::State<'_, AppState>, video_id: String) {
    state.downloads.resume(&video_id)
}

/// Cancels a download, or deletes a finished one.
#[tauri::command]
pub fn download_remove(state: tauri::State<'_, AppState>, video_id: String) {
    state.downloads.remove(&video_id)
}

/// Where the viewer is in a download played offline: kept with it, and owed to the server.
#[tauri::command]
pub fn offline_progress(
    state: tauri::State<'_, AppState>,
    video_id: String,
    position_s: f64,
) -> Result<(), String> {
    state.downloads.set_position(&video_id, position_s);
    state.outbox.queue(&current(&state)?, &video_id, position_s);
    Ok(())
}

/// Opens the system's file chooser over the window; the files the user chose (none when they
/// closed it), each known to the page by an id only.
#[tauri::command]
pub async fn files_choose(
    state: tauri::State<'_, AppState>,
    kind: files::Kind,
) -> Result<Vec<ChosenFile>, String> {
    let chooser = state
        .chooser
        .get()
        .ok_or("this build of the app has no file chooser")?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    chooser(kind, tx);
    let paths = rx
        .await
        .map_err(|_| "the file chooser closed without an answer".to_owned())?;
    paths.iter().map(|p| state.chosen.add(p)).collect()
}

/// Bytes `start..end` of a chosen file, as raw bytes (no JSON).
#[tauri::command]
pub async fn file_read(
    state: tauri::State<'_, AppState>,
    id: String,
    start: u64,
    end: u64,
) -> Result<tauri::ipc::Response, String> {
    let bytes = state.chosen.read(&id, start, end).await?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// PUTs bytes `start..end` of a chosen file to an upload part's URL; the receiver's ETag.
#[tauri::command]
pub async fn file_put(
    state: tauri::State<'_, AppState>,
    id: String,
    start: u64,
    end: u64,
    url: String,
) -> Result<String, PutFailure> {
    state
        .chosen
        .put(&state.uploads, &id, start, end, &url)
        .await
}
