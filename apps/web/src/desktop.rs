//! The desktop app's webview: the server is the one the user chose in the app, the session
//! token lives in the OS credential store behind the app's commands (never in web storage),
//! and everything else is the browser's.

use crate::browser::Browser;
use serde::Deserialize;
use serde_json::{Value, json};
use std::cell::RefCell;
use ui::{Download, DownloadAction, FileData, FileKind, LocalFuture, Platform, PutError, Servers};
use web_sys::wasm_bindgen::{JsCast, JsValue};

/// Whether the page runs inside the desktop app (which injects its IPC bridge).
pub fn present() -> bool {
    internals().is_some()
}

fn internals() -> Option<JsValue> {
    let window = web_sys::window()?;
    js_sys::Reflect::get(&window, &"__TAURI_INTERNALS__".into())
        .ok()
        .filter(|v| v.is_object())
}

/// Calls one of the app's commands through its bridge; the command's answer as the bridge
/// gives it.
async fn call(command: &str, args: Value) -> Result<JsValue, String> {
    let bridge = internals().ok_or("the app's bridge is missing")?;
    let call: js_sys::Function = js_sys::Reflect::get(&bridge, &"invoke".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or("the app's bridge cannot call commands")?;
    let args = js_sys::JSON::parse(&args.to_string()).map_err(|e| format!("{e:?}"))?;
    let promise: js_sys::Promise = call
        .call2(&bridge, &command.into(), &args)
        .map_err(describe)?
        .dyn_into()
        .map_err(|_| "the app's bridge gave no promise".to_owned())?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(describe)
}

/// Calls one of the app's commands; its error is a message for the user.
async fn invoke<T: for<'de> Deserialize<'de>>(command: &str, args: Value) -> Result<T, String> {
    let value = call(command, args).await?;
    let text = js_sys::JSON::stringify(&value)
        .map(String::from)
        .unwrap_or_else(|_| "null".into());
    serde_json::from_str(&text).map_err(|e| format!("the app answered {command} oddly: {e}"))
}

/// Calls a command that answers with raw bytes (no JSON on the way).
async fn invoke_bytes(command: &str, args: Value) -> Result<Vec<u8>, String> {
    let value = call(command, args).await?;
    Ok(js_sys::Uint8Array::new(&value).to_vec())
}

/// A command's error: its message, or the JSON of a structured one.
fn describe(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::JSON::stringify(&e).ok().map(String::from))
        .unwrap_or_else(|| format!("{e:?}"))
}

#[derive(Deserialize)]
struct Start {
    server: Option<String>,
    servers: Vec<String>,
    token: Option<String>,
}

pub struct Desktop {
    server: Option<String>,
    servers: Vec<String>,
    token: RefCell<Option<String>>,
}

impl Desktop {
    pub async fn start() -> Result<Desktop, String> {
        let s: Start = invoke("start", json!({})).await?;
        Ok(Desktop {
            server: s.server,
            servers: s.servers,
            token: RefCell::new(s.token),
        })
    }
}

/// Says on the page why the app could not start.
pub fn fail(message: &str) {
    if let Some(main) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("main"))
    {
        main.set_text_content(Some(&format!("Kino could not start: {message}")));
    }
}

impl Platform for Desktop {
    fn api_base(&self) -> String {
        self.server.clone().unwrap_or_default()
    }

    fn load(&self, key: &str) -> Option<String> {
        Browser.load(key)
    }

    fn save(&self, key: &str, value: Option<&str>) {
        Browser.save(key, value)
    }

    fn read_range(
        &self,
        file: &FileData,
        start: u64,
        end: u64,
    ) -> LocalFuture<Result<Vec<u8>, String>> {
        match file.inner().downcast_ref::<ChosenFile>() {
            Some(chosen) => Box::pin(chosen.read(start, end)),
            None => Browser.read_range(file, start, end),
        }
    }

    fn put_range(
        &self,
        file: &FileData,
        start: u64,
        end: u64,
        url: &str,
    ) -> LocalFuture<Result<String, PutError>> {
        let Some(chosen) = file.inner().downcast_ref::<ChosenFile>() else {
            return Browser.put_range(file, start, end, url);
        };
        let args = json!({ "id": chosen.id, "start": start, "end": end, "url": url });
        Box::pin(async move {
            // The app reads the part from disk and sends it; the page sees only the answer.
            match invoke::<String>("file_put", args).await {
                Ok(etag) => Ok(etag),
                Err(e) => Err(match serde_json::from_str::<PutFailure>(&e) {
                    Ok(PutFailure::Retry(m)) => PutError::Retry(m),
                    Ok(PutFailure::Refused(m)) => PutError::Refused(m),
                    Ok(PutFailure::Read(m)) => PutError::Read(m),
                    Err(_) => PutError::Retry(e),
                }),
            }
        })
    }

    fn chooses_files(&self) -> bool {
        true
    }

    fn choose_files(&self, kind: FileKind) -> LocalFuture<Result<Vec<FileData>, String>> {
        let kind = match kind {
            FileKind::Videos => "videos",
            FileKind::Subtitles => "subtitles",
        };
        Box::pin(async move {
            let chosen: Vec<ChosenFile> = invoke("files_choose", json!({ "kind": kind })).await?;
            Ok(chosen.into_iter().map(FileData::new).collect())
        })
    }

    fn sleep(&self, ms: u32) -> LocalFuture<()> {
        Browser.sleep(ms)
    }

    fn now_ms(&self) -> f64 {
        Browser.now_ms()
    }

    fn load_token(&self) -> Option<String> {
        self.token.borrow().clone()
    }

    fn save_token(&self, token: Option<&str>) {
        *self.token.borrow_mut() = token.map(str::to_owned);
        let token = token.map(str::to_owned);
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = invoke::<Value>("set_token", json!({ "token": token })).await {
                web_sys::console::error_1(&format!("the session could not be kept: {e}").into());
            }
        });
    }

    fn servers(&self) -> Option<Servers> {
        Some(Servers {
            current: self.server.clone(),
            known: self.servers.clone(),
        })
    }

    fn choose_server(&self, url: &str) -> LocalFuture<Result<(), String>> {
        let url = url.to_owned();
        Box::pin(async move {
            let _origin: String = invoke("choose_server", json!({ "url": url })).await?;
            // Everything on screen belongs to the old server: start the app afresh.
            if let Some(w) = web_sys::window() {
                let _ = w.location().assign("/");
            }
            Ok(())
        })
    }

    fn forget_server(&self, url: &str) -> LocalFuture<Result<Vec<String>, String>> {
        let url = url.to_owned();
        Box::pin(async move { invoke("forget_server", json!({ "url": url })).await })
    }

    fn can_download(&self) -> bool {
        true
    }

    fn download_qualities(&self, video_id: &str) -> LocalFuture<Result<Vec<u32>, String>> {
        let args = json!({ "videoId": video_id });
        Box::pin(async move { invoke("download_qualities", args).await })
    }

    fn download_add(
        &self,
        video_id: &str,
        title: &str,
        height: u32,
    ) -> LocalFuture<Result<(), String>> {
        let args = json!({ "videoId": video_id, "title": title, "height": height });
        Box::pin(async move { invoke::<Value>("download_add", args).await.map(|_| ()) })
    }

    fn download_list(&self) -> LocalFuture<Result<Vec<Download>, String>> {
        Box::pin(async move { invoke("download_list", json!({})).await })
    }

    fn download_control(
        &self,
        video_id: &str,
        action: DownloadAction,
    ) -> LocalFuture<Result<(), String>> {
        let command = match action {
            DownloadAction::Pause => "download_pause",
            DownloadAction::Resume => "download_resume",
            DownloadAction::Remove => "download_remove",
        };
        let args = json!({ "videoId": video_id });
        Box::pin(async move { invoke::<Value>(command, args).await.map(|_| ()) })
    }

    fn offline_progress(&self, video_id: &str, position_s: f64) {
        let args = json!({ "videoId": video_id, "positionS": position_s });
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = invoke::<Value>("offline_progress", args).await {
                web_sys::console::error_1(&format!("the position could not be kept: {e}").into());
            }
        });
    }
}

/// A file chosen through the app's chooser: the app holds its path, the page only its id.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChosenFile {
    id: String,
    name: String,
    size: u64,
    modified_ms: u64,
    content_type: Option<String>,
}

/// Why the app could not send a part (its `PutFailure`).
#[derive(Deserialize)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
enum PutFailure {
    Retry(String),
    Refused(String),
    Read(String),
}

impl ChosenFile {
    fn read(
        &self,
        start: u64,
        end: u64,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, String>> + 'static {
        let args = json!({ "id": self.id, "start": start, "end": end });
        async move { invoke_bytes("file_read", args).await }
    }
}

impl dioxus::html::NativeFileData for ChosenFile {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn last_modified(&self) -> u64 {
        self.modified_ms
    }

    /// The page never learns where the file is.
    fn path(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(&self.name)
    }

    fn content_type(&self) -> Option<String> {
        self.content_type.clone()
    }

    fn read_bytes(
        &self,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<bytes::Bytes, dioxus::CapturedError>>>,
    > {
        let read = self.read(0, self.size);
        Box::pin(async move {
            read.await
                .map(bytes::Bytes::from)
                .map_err(dioxus::CapturedError::from_display)
        })
    }

    fn read_string(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, dioxus::CapturedError>>>>
    {
        let read = self.read(0, self.size);
        Box::pin(async move {
            let bytes = read.await.map_err(dioxus::CapturedError::from_display)?;
            String::from_utf8(bytes)
                .map_err(|_| dioxus::CapturedError::from_display("the file is not UTF-8 text"))
        })
    }

    /// A stream must be `Send`, which the webview's bridge is not: the Studio reads chosen
    /// files by range through the platform instead.
    fn byte_stream(
        &self,
    ) -> std::pin::Pin<
        Box<
            dyn futures::Stream<Item = Result<bytes::Bytes, dioxus::CapturedError>>
                + Send
                + 'static,
        >,
    > {
        Box::pin(futures::stream::once(async {
            Err(dioxus::CapturedError::from_display(
                "a chosen file is read by range through the app",
            ))
        }))
    }

    fn inner(&self) -> &dyn std::any::Any {
        self
    }
}
