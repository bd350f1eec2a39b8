//! Kino's automation, in Rust so it runs wherever cargo does.
//!
//! - `cargo xtask up`: install what is missing, build the web app, start `kino` on :8080.
//! - `cargo xtask test`: install what is missing (tests also need Chromium), build the web
//!   app and the `kino` binary, then run every test of the workspace and the transcode
//!   benchmark on a 2-second clip.
//! - `cargo xtask codegen`: rewrite `openapi/kino.openapi.json` and `openapi/schema.graphql`.
//! - `cargo xtask lint`: rustfmt and clippy, warnings as errors.
//! - `cargo xtask bench [transcode|upload|api|sync|web|tv]`: the benchmarks (all without an
//!   argument).
//! - `cargo xtask tv --server URL [--out DIR]`: the Tizen and webOS shells for that server.
//! - `cargo xtask cluster up|down|status [--port P]`: the whole deployment on loopback;
//!   `cargo xtask cluster chaos`: that deployment under load while its parts fail, reported.

mod bench;
mod prereqs;
mod sh;
mod tv;
mod web;

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("up") => up(&root),
        Some("test") => test(&root, &args[1..]),
        Some("codegen") => codegen(),
        Some("lint") => lint(),
        Some("web") => build_web(&root).map(|dir| println!("{}", dir.display())),
        Some("bench") => bench::run(&root, &args[1..]),
        Some("seed") => seed(&args[1..]),
        Some("tv") => tv::run(&root, &args[1..]),
        Some("cluster") => cluster(&root, &args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <up|test|codegen|lint|web|bench|seed|tv|cluster>");
            std::process::exit(2);
        }
    }
}

/// The checkout `cargo xtask` was run in. `cargo run` names the package's directory at run
/// time; the path compiled in is only a fallback, because one target directory serves every
/// clone of the workspace and cargo reuses an xtask built from another clone's path.
fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The cargo target directory in use.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Builds the web app and returns the directory holding index.html.
fn build_web(root: &Path) -> Result<PathBuf> {
    web::build(root)
}

fn up(root: &Path) -> Result<()> {
    prereqs::media_tools()?;
    let web = build_web(root)?;
    sh::step(
        "building kino in release",
        "about 19 min cold, seconds warm",
        || {
            sh::run(sh::cmd("cargo").args([
                "build",
                "--release",
                "--package",
                "api",
                "--bin",
                "kino",
            ]))
        },
    )?;
    let kino = target_dir(root).join("release/kino");
    println!("Kino: http://localhost:8080 (data under ./data; Ctrl-C stops it)");
    sh::run(
        sh::cmd(kino)
            .args([
                "--listen",
                "127.0.0.1:8080",
                "--data-dir",
                "data",
                "--web-dir",
            ])
            .arg(&web),
    )
}

/// `cluster up` builds what the tests build (one feature resolution, nothing compiled twice)
/// and starts the deployment of `testkit::cluster` under `.cluster`; `down` and `status` read
/// its record. `chaos` builds the same and runs the chaos and load run on a fresh cluster
/// under `.cluster-chaos` (see `tests/examples/chaos.rs`).
fn cluster(root: &Path, args: &[String]) -> Result<()> {
    let command = args.first().map(String::as_str);
    let chaos = command == Some("chaos");
    let launcher = target_dir(root).join(if chaos {
        "debug/examples/chaos"
    } else {
        "debug/examples/cluster"
    });
    let mut cmd = sh::cmd(&launcher);
    if chaos {
        cmd.args(&args[1..])
            .arg("--dir")
            .arg(root.join(".cluster-chaos"));
    } else {
        cmd.args(args).arg("--dir").arg(root.join(".cluster"));
    }
    if matches!(command, Some("up" | "chaos")) {
        prereqs::media_tools()?;
        prereqs::edge()?;
        let garage = prereqs::object_store()?;
        let web = build_web(root)?;
        sh::step(
            "building kino, kino-transcoder, the database server and the launcher",
            "about 15 min cold, seconds warm",
            || sh::run(sh::cmd("cargo").args(["build", "--workspace", "--all-targets"])),
        )?;
        cmd.env("KINO_BIN", target_dir(root).join("debug/kino"))
            .env("KINO_SURREAL_BIN", target_dir(root).join("debug/surreal"))
            .env("KINO_GARAGE_BIN", garage)
            .env("KINO_WEB_DIR", web);
    } else if !launcher.is_file() {
        println!("no cluster has been started from this checkout");
        return Ok(());
    }
    sh::run(&mut cmd)
}

fn test(root: &Path, extra: &[String]) -> Result<()> {
    prereqs::media_tools()?;
    prereqs::browser()?;
    prereqs::native_libs()?;
    prereqs::desktop_app()?;
    prereqs::edge()?;
    let garage = prereqs::object_store()?;
    sh::run(sh::cmd("cargo").args(["fmt", "--all", "--check"]))
        .context("code is not formatted: run cargo fmt")?;
    let web = build_web(root)?;
    sh::step("clippy", "about 8 min cold, a minute warm", clippy)
        .context("clippy found warnings: run cargo xtask lint")?;
    // The shared crate's promise: without features it builds for the browser.
    sh::run(sh::cmd("cargo").args([
        "check",
        "--package",
        "shared",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    // One feature resolution for everything: building `kino` on its own would resolve its
    // dependencies' features differently and compile the whole tree a second time. The test
    // build produces `target/debug/kino` as the api's integration tests need it anyway.
    sh::step(
        "building every test",
        "about 9 min cold, a minute warm",
        || sh::run(sh::cmd("cargo").args(["test", "--workspace", "--all-targets", "--no-run"])),
    )?;
    let kino = target_dir(root).join("debug/kino");
    sh::run(
        sh::cmd("cargo")
            .args(["test", "--workspace", "--all-targets"])
            .args(extra)
            .env("KINO_BIN", &kino)
            .env("KINO_APP_BIN", target_dir(root).join("debug/kino-app"))
            .env("KINO_SURREAL_BIN", target_dir(root).join("debug/surreal"))
            .env("KINO_WEB_DIR", &web)
            .env("KINO_AXE", prereqs::axe_script())
            .env("KINO_GARAGE_BIN", &garage),
    )?;
    // The transcode benchmark on a 2-second clip, so it keeps working between the runs that
    // measure; its figures only mean something at full size, in `cargo xtask bench`. Built
    // with the workspace's feature resolution, like everything above.
    sh::run(sh::cmd("cargo").args(["build", "--workspace", "--example", "bench_transcode"]))?;
    sh::run(
        sh::cmd(target_dir(root).join("debug/examples/bench_transcode"))
            .env("KINO_BENCH_SECONDS", "2"),
    )
}

/// `cargo xtask seed --videos N [KINO FLAGS]`: fills the database `kino` would use (the same
/// flags, e.g. `--data-dir`, `--db`) with a realistic catalogue.
fn seed(args: &[String]) -> Result<()> {
    let mut videos = "1000".to_owned();
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--videos" => videos = it.next().context("--videos takes a number")?.clone(),
            other => rest.push(other.to_owned()),
        }
    }
    videos
        .parse::<usize>()
        .with_context(|| format!("--videos {videos} is not a number"))?;
    sh::run(
        sh::cmd("cargo")
            .args(["run", "--quiet", "--package", "api", "--bin", "kino", "--"])
            .args(["--seed-videos", &videos])
            .args(&rest),
    )
}

fn codegen() -> Result<()> {
    sh::run(sh::cmd("cargo").args([
        "run",
        "--quiet",
        "--package",
        "api",
        "--bin",
        "kino",
        "--",
        "--export-schemas",
        "openapi",
    ]))?;
    println!("wrote openapi/kino.openapi.json and openapi/schema.graphql");
    Ok(())
}

fn lint() -> Result<()> {
    prereqs::native_libs()?;
    sh::run(sh::cmd("cargo").args(["fmt", "--all", "--check"]))?;
    clippy()
}

/// Clippy with warnings as errors, on the workspace and on the web app's wasm32 build.
fn clippy() -> Result<()> {
    sh::run(sh::cmd("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    sh::run(sh::cmd("cargo").args([
        "clippy",
        "--package",
        "web",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))
}
