//! Kino for desktop and mobile: a Tauri 2 shell around the same web UI the api serves.
//!
//! The window opens the Kino server the user chose (or `KINO_API_URL`), so the app always runs
//! the UI version that matches its server. Without a server it shows a local start page that
//! asks for one; the choice is kept in the app's config directory.

mod server;

use tauri::{Manager, WebviewUrl, WebviewWindowBuilder};

/// Opens `url` in the main window and remembers it.
#[tauri::command]
fn open_server(app: tauri::AppHandle, url: String) -> Result<(), String> {
    let url = server::parse(&url)?;
    server::save(&app, &url).map_err(|e| format!("could not save the address: {e}"))?;
    let window = app.get_webview_window("main").ok_or("the window is gone")?;
    window.navigate(url).map_err(|e| e.to_string())
}

/// Starts the app.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![open_server])
        .setup(|app| {
            let start = server::configured(app.handle())
                .map(WebviewUrl::External)
                .unwrap_or_else(|| WebviewUrl::App("index.html".into()));
            WebviewWindowBuilder::new(app, "main", start)
                .title("Kino")
                .inner_size(1280.0, 800.0)
                .build()?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("Kino failed to start");
}
