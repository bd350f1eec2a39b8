//! Kino for desktop (and, in time, mobile): a Tauri 2 app whose frontend is the Kino web
//! app's release bundle, embedded at build time (see `build.rs`).
//!
//! The UI talks to the server the user picked (`server`), keeps its session in the OS
//! credential store (`credentials`), and opens `kino://` links in the running instance
//! (`links`). The webview's pages are the app's own: navigation anywhere else is refused, and
//! only the app's pages may call its commands (`commands`, granted in `capabilities/`).

mod commands;
mod credentials;
mod downloads;
mod files;
mod links;
mod server;

use tauri::{Manager, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_deep_link::DeepLinkExt;

/// How often the app settles with its server (progress watched offline, gone videos).
const SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

/// Whether a URL is one of the app's own pages (the embedded bundle's origin).
fn own_page(url: &url::Url) -> bool {
    matches!(
        (url.scheme(), url.host_str()),
        ("tauri", Some("localhost")) | ("http" | "https", Some("tauri.localhost"))
    )
}

/// Shows `route` in the running window, as if the user had followed a link to it.
fn open(app: &tauri::AppHandle, route: &str) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let target = serde_json::to_string(route).unwrap_or_default();
    // The router follows the address on `popstate`, so the page changes without a reload.
    let _ = window.eval(format!(
        "history.pushState(null, '', {target}); dispatchEvent(new PopStateEvent('popstate'));"
    ));
    let _ = window.unminimize();
    let _ = window.set_focus();
}

/// The commands the webview may call (which pages may call them is the capability's say).
fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::start,
        commands::choose_server,
        commands::forget_server,
        commands::set_token,
        commands::download_qualities,
        commands::download_add,
        commands::download_list,
        commands::download_pause,
        commands::download_resume,
        commands::download_remove,
        commands::offline_progress,
        commands::files_choose,
        commands::file_read,
        commands::file_put
    ])
}

/// Starts the app.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    builder()
        .run(tauri::generate_context!())
        .expect("Kino failed to start");
}

fn builder() -> tauri::Builder<tauri::Wry> {
    let mut builder = tauri::Builder::default();
    #[cfg(desktop)]
    {
        // A second launch (a `kino://` link opened from elsewhere) hands its arguments to
        // this instance, through the deep-link plugin, and exits.
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.set_focus();
            }
        }));
    }
    with_commands(builder)
        .plugin(tauri_plugin_deep_link::init())
        // Used by `files_choose` only: no page is granted the plugin's own commands.
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let paths = app.path();
            app.manage(commands::AppState::new(
                paths.app_config_dir()?,
                paths.app_data_dir()?,
            ));
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let state = handle.state::<commands::AppState>();
                state.downloads.start().await;
                // Settles with the server whenever it answers: offline progress, gone videos.
                loop {
                    if let Some(server) = state.current() {
                        downloads::sync::once(&state.downloads, &state.outbox, &server).await;
                    }
                    tokio::time::sleep(SYNC_EVERY).await;
                }
            });
            let links = app.deep_link();
            #[cfg(any(target_os = "linux", windows))]
            if let Err(e) = links.register_all() {
                // Links then work only once the app is installed from its package.
                eprintln!("kino: could not register kino:// links: {e}");
            }
            let handle = app.handle().clone();
            links.on_open_url(move |event| {
                if let Some(route) = event.urls().iter().find_map(links::route) {
                    open(&handle, &route);
                }
            });
            let first = links::from_args(std::env::args()).unwrap_or_else(|| "/".into());
            WebviewWindowBuilder::new(
                app,
                "main",
                WebviewUrl::App(first.trim_start_matches('/').into()),
            )
            .title("Kino")
            .inner_size(1280.0, 800.0)
            .min_inner_size(360.0, 480.0)
            .on_navigation(own_page)
            .build()?;
            let state = app.state::<commands::AppState>();
            let _ = state
                .chooser
                .set(files::system_chooser(app.handle().clone()));
            Ok(())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder};

    /// The app's real capabilities and commands, on the mock runtime: a call from `page`.
    fn call_from(page: &str) -> Result<tauri::ipc::InvokeResponseBody, serde_json::Value> {
        let dir = tempfile::tempdir().unwrap();
        let app = with_commands(mock_builder())
            .manage(commands::AppState::new(
                dir.path().join("config"),
                dir.path().join("data"),
            ))
            .build(tauri::generate_context!(test = true))
            .unwrap();
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        get_ipc_response(
            &webview,
            tauri::webview::InvokeRequest {
                cmd: "start".into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: page.parse().unwrap(),
                body: InvokeBody::default(),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
    }

    #[test]
    fn only_the_apps_own_pages_may_call_its_commands() {
        assert!(call_from("tauri://localhost/").is_ok());
        for remote in [
            "https://kino.example/",
            "http://127.0.0.1:8080/",
            "http://localhost:8080/watch/1",
        ] {
            let refused = call_from(remote).expect_err(remote);
            assert!(
                refused.to_string().contains("not allowed"),
                "{remote}: {refused}"
            );
        }
    }

    #[test]
    fn only_the_apps_own_pages_may_load() {
        let ok = |s: &str| own_page(&url::Url::parse(s).unwrap());
        assert!(ok("tauri://localhost/watch/1"));
        assert!(ok("http://tauri.localhost/"));
        assert!(!ok("https://kino.example/"));
        assert!(!ok("http://127.0.0.1:8080/"));
        assert!(!ok("file:///etc/passwd"));
    }
}
