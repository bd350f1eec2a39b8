//! Installs what the build and the tests need, only when it is missing: Debian packages
//! through apt, the wasm target through rustup, wasm-bindgen and Garage through cargo, and
//! esbuild, wasm-opt and axe-core through npm into a tools directory outside the work tree.

use crate::sh;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The Garage release the tests run as their S3 store.
const GARAGE_VERSION: &str = "2.5.0";
/// The WebDriver front for Tauri apps the desktop tests use.
const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// Where npm-installed tools live: `$KINO_TOOLS`, else `~/.cache/kino/tools`.
pub fn tools_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("KINO_TOOLS") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".cache/kino/tools")
}

/// axe-core's browser script, which the browser tests inject to check each page's
/// accessibility.
pub fn axe_script() -> PathBuf {
    tools_dir().join("node_modules/axe-core/axe.min.js")
}

/// PATH with the npm tools and cargo's bin directory (where `cargo install` puts its tools) in
/// front.
pub fn path_with_tools() -> String {
    let mut parts = vec![tools_dir().join("node_modules/.bin").display().to_string()];
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        parts.push(home.join("bin").display().to_string());
    }
    parts.push(std::env::var("PATH").unwrap_or_default());
    parts.join(":")
}

fn apt(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            sh::output(sh::cmd("dpkg-query").args(["-W", "-f", "${Status}", p]))
                .is_none_or(|s| !s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root = sh::output(sh::cmd("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let sudo: &[&str] = if root { &[] } else { &["sudo"] };
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = sudo.to_vec();
        all.extend_from_slice(args);
        sh::run(
            sh::cmd(all[0])
                .args(&all[1..])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    };
    run(&["apt-get", "update", "-qq"])?;
    let mut args = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    run(&args).with_context(|| format!("installing {}", missing.join(" ")))
}

/// ffmpeg and ffprobe.
pub fn media_tools() -> Result<()> {
    apt(&["ffmpeg"])
}

/// Chromium and its WebDriver, for the end-to-end tests.
pub fn browser() -> Result<()> {
    apt(&["chromium", "chromium-driver"])
}

/// nginx, the edge in front of the api replicas (`deploy/nginx/`), and systemd's
/// `systemd-analyze`, which checks the shipped units (`deploy/systemd/`).
pub fn edge() -> Result<()> {
    apt(&["nginx", "systemd"])
}

/// wrk, the load generator of `bench edge`.
pub fn load_generator() -> Result<()> {
    apt(&["wrk"])
}

/// The system libraries the Tauri shell links against.
pub fn native_libs() -> Result<()> {
    apt(&[
        "libwebkit2gtk-4.1-dev",
        "libsoup-3.0-dev",
        "libjavascriptcoregtk-4.1-dev",
        "librsvg2-dev",
        "libssl-dev",
        "pkg-config",
        "build-essential",
    ])
}

/// What the desktop app's tests drive it with: a virtual display, a session bus (the
/// single-instance hand-over), WebKit's WebDriver and the GStreamer plugins its player needs
/// (fMP4 demuxing, H.264 and AAC decoding), and `tauri-driver` in front of them.
pub fn desktop_app() -> Result<()> {
    apt(&[
        "xvfb",
        "dbus-daemon",
        "webkit2gtk-driver",
        "gstreamer1.0-plugins-good",
        "gstreamer1.0-plugins-bad",
        "gstreamer1.0-libav",
        // Answers the system's file chooser in the upload test, as a user's keys would.
        "xdotool",
    ])?;
    // It has no --version: ask cargo what it installed.
    let installed = sh::output(sh::cmd("cargo").args(["install", "--list"])).unwrap_or_default();
    if !installed.contains(&format!("tauri-driver v{TAURI_DRIVER_VERSION}:")) {
        sh::step(
            &format!("installing tauri-driver {TAURI_DRIVER_VERSION}"),
            "about 30 s, once per machine",
            || {
                sh::run(
                    sh::cmd("cargo")
                        .args(["install", "--locked", "tauri-driver", "--version"])
                        .arg(TAURI_DRIVER_VERSION)
                        .current_dir(std::env::temp_dir()),
                )
            },
        )?;
    }
    Ok(())
}

fn wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen")
}

/// Garage, the S3 implementation the tests and benchmarks run against (a separate process),
/// and rclone, which the deployment guide backs its bucket up with. Returns the path of
/// Garage's binary.
pub fn object_store() -> Result<PathBuf> {
    apt(&["rclone"])?;
    if !version_of("garage").is_some_and(|v| v.contains(GARAGE_VERSION)) {
        sh::step(
            &format!("installing Garage {GARAGE_VERSION} from source"),
            "about 8 min cold, once per machine",
            || {
                sh::run(
                    sh::cmd("cargo")
                        // Only what the tests use: the sqlite metadata engine, bundled so no system
                        // library is needed; no LMDB, K2V or metrics (a third less to compile).
                        .args(["install", "--locked", &format!("garage@{GARAGE_VERSION}")])
                        .args(["--no-default-features", "--features", "sqlite,bundled-libs"])
                        .current_dir(std::env::temp_dir()),
                )
            },
        )?;
    }
    let path = sh::output(
        sh::cmd("sh")
            .args(["-c", "command -v garage"])
            .env("PATH", path_with_tools()),
    )
    .context("garage is not on PATH after installing it")?;
    Ok(PathBuf::from(path.trim()))
}

fn version_of(program: &str) -> Option<String> {
    sh::output(
        sh::cmd(program)
            .arg("--version")
            .env("PATH", path_with_tools()),
    )
}

/// The wasm target, a wasm-bindgen matching Cargo.lock, esbuild and wasm-opt.
pub fn web_toolchain(root: &Path) -> Result<()> {
    let targets =
        sh::output(sh::cmd("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        sh::run(sh::cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let wb = wasm_bindgen_version(root)?;
    if !version_of("wasm-bindgen").is_some_and(|v| v.split_whitespace().any(|w| w == wb)) {
        // Not --locked: its lockfile pins a crate version the registry may no longer serve.
        sh::step(
            &format!("installing wasm-bindgen-cli {wb}"),
            "about 2.5 min, once per machine",
            || {
                sh::run(
                    sh::cmd("cargo")
                        .args(["install", "wasm-bindgen-cli", "--version", &wb])
                        .current_dir(std::env::temp_dir()),
                )
            },
        )?;
    }
    let tools = tools_dir();
    let bin = tools.join("node_modules/.bin");
    if !bin.join("esbuild").exists() || !bin.join("wasm-opt").exists() || !axe_script().exists() {
        std::fs::create_dir_all(&tools)?;
        sh::run(
            sh::cmd("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    "esbuild@0.28",
                    "binaryen@132",
                    "axe-core@4",
                ])
                .current_dir(&tools),
        )?;
    }
    Ok(())
}
