//! Builds the web app with plain cargo: the `web` crate for wasm32, `wasm-bindgen` at the
//! lockfile's version, `wasm-opt` and `esbuild`. The Dioxus CLI would do the same steps but
//! takes longer to install from source than everything else the tests need; doing them here
//! also lets the bundle be exactly what the server wants to serve:
//!
//! - every asset under `assets/` is named by a hash of its content, so the server can mark
//!   it immutable and a new build never meets a stale cached file;
//! - every text asset has `.br` and `.gz` siblings compressed once, at the highest levels;
//! - `index.html` links the stylesheet in its head (no flash of unstyled content), preloads
//!   the wasm and names hls.js in a `<meta>` so the player loads it only on the watch page.

use crate::{prereqs, sh, target_dir};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The bundle's directory under the target directory.
pub fn bundle_dir(root: &Path) -> PathBuf {
    target_dir(root).join("web-bundle")
}

/// Builds the bundle and returns the directory holding `index.html`.
pub fn build(root: &Path) -> Result<PathBuf> {
    prereqs::web_toolchain(root)?;
    let path = prereqs::path_with_tools();
    sh::step(
        "compiling the web app for wasm32",
        "about 2 min cold, seconds warm",
        || {
            sh::run(sh::cmd("cargo").args([
                "build",
                "--package",
                "web",
                "--target",
                "wasm32-unknown-unknown",
                "--profile",
                "wasm-release",
            ]))
        },
    )
    .context("compiling the web app")?;
    let wasm = target_dir(root).join("wasm32-unknown-unknown/wasm-release/web.wasm");

    let stage = target_dir(root).join("web-stage");
    reset(&stage)?;
    step("wasm-bindgen");
    sh::run(
        sh::cmd("wasm-bindgen")
            .args(["--target", "web", "--no-typescript", "--out-name", "kino"])
            .arg("--out-dir")
            .arg(&stage)
            .arg(&wasm)
            .env("PATH", &path),
    )?;
    step("wasm-opt -Oz");
    let optimized = stage.join("kino.opt.wasm");
    sh::run(
        sh::cmd("wasm-opt")
            .arg("-Oz")
            // The features rustc's wasm32 target emits by default.
            .args([
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
                "--strip-debug",
                "--strip-producers",
            ])
            .arg(stage.join("kino_bg.wasm"))
            .arg("-o")
            .arg(&optimized)
            .env("PATH", &path),
    )?;
    step("esbuild");
    // One module: the bindings and the snippets they import (Dioxus's interpreter).
    let js = stage.join("kino.min.js");
    sh::run(
        sh::cmd("esbuild")
            .arg(stage.join("kino.js"))
            .args([
                "--bundle",
                "--format=esm",
                "--minify",
                "--log-level=warning",
            ])
            .arg(format!("--outfile={}", js.display()))
            .env("PATH", &path),
    )?;
    let css = stage.join("main.min.css");
    sh::run(
        sh::cmd("esbuild")
            .arg(root.join("apps/ui/assets/main.css"))
            // `--bundle` inlines the stylesheets main.css imports (the TV app's).
            .args(["--bundle", "--minify", "--log-level=warning"])
            .arg(format!("--outfile={}", css.display()))
            .env("PATH", &path),
    )?;

    let out = target_dir(root).join("web-bundle.new");
    reset(&out)?;
    std::fs::create_dir_all(out.join("assets"))?;
    let js = publish(&out, &js, "kino", "js")?;
    let wasm = publish(&out, &optimized, "kino", "wasm")?;
    let css = publish(&out, &css, "main", "css")?;
    let hls = publish(&out, &root.join("apps/ui/assets/hls.min.js"), "hls", "js")?;
    let template = std::fs::read_to_string(root.join("apps/web/index.html"))
        .context("reading apps/web/index.html")?;
    let mut html = template;
    for (key, url) in [
        ("{css}", &css),
        ("{js}", &js),
        ("{wasm}", &wasm),
        ("{hls}", &hls),
    ] {
        if !html.contains(key) {
            bail!("apps/web/index.html has no {key} placeholder");
        }
        html = html.replace(key, url);
    }
    std::fs::write(out.join("index.html"), &html)?;
    compress(&out.join("index.html"))?;
    std::fs::copy(
        root.join("apps/ui/assets/hls.js.LICENSE"),
        out.join("assets/hls.js.LICENSE"),
    )?;

    // Swap the finished bundle in at once, so a running server never sees half of one.
    let dir = bundle_dir(root);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::rename(&out, &dir)?;
    report(&dir)?;
    Ok(dir)
}

fn step(what: &str) {
    eprintln!("web: {what}");
}

fn reset(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// Copies `file` to `assets/{stem}-{hash}.{ext}` with its compressed siblings and returns the
/// URL path it is served at.
fn publish(out: &Path, file: &Path, stem: &str, ext: &str) -> Result<String> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let hash = hex(&Sha256::digest(&bytes)[..8]);
    let name = format!("{stem}-{hash}.{ext}");
    let dest = out.join("assets").join(&name);
    std::fs::write(&dest, &bytes)?;
    compress(&dest)?;
    Ok(format!("/assets/{name}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `file.br` and `file.gz` next to `file`.
fn compress(file: &Path) -> Result<()> {
    let bytes = std::fs::read(file)?;
    let mut br = Vec::new();
    {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut br, &params)?;
    }
    std::fs::write(with_suffix(file, "br"), &br)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    std::fs::write(with_suffix(file, "gz"), gz.finish()?)?;
    Ok(())
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

/// Prints each file's size as stored and as sent with brotli.
fn report(dir: &Path) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("assets"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e != "br" && e != "gz"))
        .collect();
    files.push(dir.join("index.html"));
    files.sort();
    for f in files {
        let raw = std::fs::metadata(&f)?.len();
        let br = std::fs::metadata(with_suffix(&f, "br"))
            .map(|m| m.len())
            .ok();
        let name = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
        match br {
            Some(b) => eprintln!("web: {name:<40} {:>9} B, {:>8} B as brotli", raw, b),
            None => eprintln!("web: {name:<40} {raw:>9} B"),
        }
    }
    Ok(())
}
