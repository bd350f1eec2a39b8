//! Embeds the web app's release bundle as the app's frontend and declares the app's commands.
//!
//! The bundle is `cargo xtask web`'s output (`$KINO_WEB_DIR`, else `web-bundle` in the target
//! directory). It is copied without its `.br`/`.gz` twins (Tauri compresses what it embeds) and
//! handed to `tauri::generate_context!` through `TAURI_CONFIG`, so the app always carries the
//! UI it was built with. Without a bundle the app embeds a page that says how to build one, so
//! `cargo check` works on a fresh clone.

use std::path::{Path, PathBuf};

/// Every command the webview may call; each gets `allow-`/`deny-` permissions, and the
/// capability in `capabilities/` grants exactly these to the app's own pages.
const COMMANDS: &[&str] = &[
    "start",
    "choose_server",
    "forget_server",
    "set_token",
    "download_qualities",
    "download_add",
    "download_list",
    "download_pause",
    "download_resume",
    "download_remove",
    "offline_progress",
    "files_choose",
    "file_read",
    "file_put",
];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let bundle = std::env::var_os("KINO_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir(&out).join("web-bundle"));
    println!("cargo:rerun-if-env-changed=KINO_WEB_DIR");
    println!("cargo:rerun-if-changed={}", bundle.display());
    let frontend = out.join("frontend");
    let _ = std::fs::remove_dir_all(&frontend);
    std::fs::create_dir_all(&frontend).expect("creating the frontend directory");
    if bundle.join("index.html").is_file() {
        copy(&bundle, &frontend).expect("copying the web bundle");
    } else {
        println!(
            "cargo:warning=no web bundle at {}: the app shows how to build one (cargo xtask web)",
            bundle.display()
        );
        std::fs::write(frontend.join("index.html"), MISSING).expect("writing the placeholder");
    }
    let config = serde_json::json!({ "build": { "frontendDist": frontend } });
    println!("cargo:rustc-env=TAURI_CONFIG={config}");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build");
}

/// `OUT_DIR` is `<target>/<profile>/build/native-<hash>/out`.
fn target_dir(out: &Path) -> PathBuf {
    out.ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&dest)?;
            copy(&path, &dest)?;
        } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz")) {
            std::fs::copy(&path, &dest)?;
        }
    }
    Ok(())
}

const MISSING: &str = "<!doctype html><meta charset=utf-8><title>Kino</title>\
<p>This build of Kino has no user interface: run <code>cargo xtask web</code>, then build the app again.</p>";
