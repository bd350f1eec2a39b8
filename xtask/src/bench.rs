//! Benchmarks print ratios against a baseline measured in the same run.

use crate::sh;
use anyhow::{Result, bail};
use std::path::Path;
use std::process::Command;

/// `cargo run --release` of a package's example, from the workspace root.
fn example(root: &Path, package: &str, name: &str) -> Command {
    let mut cmd = sh::cmd("cargo");
    cmd.args([
        "run",
        "--release",
        "--quiet",
        "--package",
        package,
        "--example",
        name,
    ])
    .current_dir(root);
    cmd
}

/// Builds the api under test as it would run in production.
fn release_kino(root: &Path) -> Result<()> {
    sh::run(
        sh::cmd("cargo")
            .args(["build", "--release", "--package", "api", "--bin", "kino"])
            .current_dir(root),
    )
}

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None => {
            run(root, &["transcode".to_owned()])?;
            run(root, &["upload".to_owned()])?;
            run(root, &["api".to_owned()])?;
            run(root, &["search".to_owned()])?;
            run(root, &["sync".to_owned()])?;
            run(root, &["web".to_owned()])?;
            run(root, &["tv".to_owned()])?;
            run(root, &["app".to_owned()])?;
            run(root, &["edge".to_owned()])
        }
        Some("transcode") => {
            crate::prereqs::media_tools()?;
            sh::run(&mut example(root, "transcoder", "bench_transcode"))
        }
        Some("upload") => {
            let garage = crate::prereqs::object_store()?;
            // The Studio's side runs the web app in Chromium.
            crate::prereqs::browser()?;
            crate::prereqs::web_toolchain(root)?;
            let web = crate::web::build(root)?;
            release_kino(root)?;
            sh::run(
                example(root, "cli", "bench_upload")
                    .env("KINO_BIN", crate::target_dir(root).join("release/kino"))
                    .env("KINO_GARAGE_BIN", garage)
                    .env("KINO_WEB_DIR", web),
            )
        }
        // In-process on an embedded database, with its hello-world baseline in the same
        // runtime; sizes come from KINO_BENCH_VIDEOS and KINO_BENCH_SEARCH_VIDEOS.
        Some("api") => sh::run(&mut example(root, "api", "bench_api")),
        // Kino's search against a bare tantivy index of the same catalogue (the size from
        // KINO_BENCH_SEARCH_VIDEOS).
        Some("search") => sh::run(&mut example(root, "api", "bench_search")),
        // The embedded database synced at every commit against flushing left to the OS.
        Some("sync") => sh::run(&mut example(root, "api", "bench_sync")),
        // The release `kino`'s media delivery against nginx from disk under wrk, and the
        // shipped edge in front of it; the launcher is built like `cluster up`'s.
        Some("edge") => {
            crate::prereqs::edge()?;
            crate::prereqs::load_generator()?;
            crate::prereqs::web_toolchain(root)?;
            let web = crate::web::build(root)?;
            release_kino(root)?;
            sh::run(sh::cmd("cargo").args(["build", "--workspace", "--all-targets"]))?;
            let target = crate::target_dir(root);
            sh::run(
                sh::cmd(target.join("debug/examples/bench_edge"))
                    .env("KINO_BIN", target.join("release/kino"))
                    .env("KINO_WEB_DIR", web),
            )
        }
        // The browser's view of the app: built like the tests build it (the web bundle, then
        // the workspace's debug binaries and examples in the test build's one feature
        // resolution, so nothing is compiled twice), timed in Chromium.
        // The TV app's focus moves and its time to first frame, the same way.
        // The desktop app under a virtual display, the same way.
        Some(which @ ("web" | "tv" | "app")) => {
            crate::prereqs::media_tools()?;
            crate::prereqs::browser()?;
            if which == "app" {
                crate::prereqs::native_libs()?;
                crate::prereqs::desktop_app()?;
            }
            crate::prereqs::web_toolchain(root)?;
            let web = crate::web::build(root)?;
            sh::run(sh::cmd("cargo").args(["test", "--workspace", "--all-targets", "--no-run"]))?;
            // The test build compiles examples as test harnesses: build the program itself,
            // with the same feature resolution so nothing else is rebuilt.
            let example = format!("bench_{which}");
            sh::run(sh::cmd("cargo").args(["build", "--workspace", "--example", &example]))?;
            let target = crate::target_dir(root);
            sh::run(
                sh::cmd(target.join("debug/examples").join(&example))
                    .env("KINO_BIN", target.join("debug/kino"))
                    .env("KINO_APP_BIN", target.join("debug/kino-app"))
                    .env("KINO_WEB_DIR", web),
            )
        }
        Some(other) => {
            bail!(
                "unknown benchmark `{other}` (known: transcode, upload, api, search, sync, web, tv, app, edge)"
            )
        }
    }
}
