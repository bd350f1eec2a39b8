//! `cargo xtask bench web`: what a first visit downloads, how soon the watch page shows its
//! first frame and how soon the home page paints its largest element, in headless Chromium
//! against the real `kino` binary on loopback (`KINO_BIN`, serving `KINO_WEB_DIR`).
//!
//! Each figure is printed beside its baseline from the same run: the transfer beside the same
//! files uncompressed and a repeat visit, the timings beside their goals. Cold runs open a new
//! browser profile each time; warm runs revisit in one session (assets cached as immutable).

use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use testkit::browser::{Screen, element, start_browser_as};
use testkit::catalog::{clip, creator, upload, wait_published};
use testkit::kino;

fn runs() -> usize {
    std::env::var("KINO_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10)
}

async fn js(b: &fantoccini::Client, script: &str) -> Value {
    b.execute(script, vec![]).await.expect("script runs")
}

/// Waits for `script` to return a number and returns it.
async fn number(b: &fantoccini::Client, script: &str) -> f64 {
    for _ in 0..600 {
        if let Some(n) = js(b, script).await.as_f64() {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no figure from {script}");
}

const FIRST_FRAME: &str =
    "const m = performance.getEntriesByName('kino:first-frame')[0]; return m ? m.startTime : null;";

/// Collects largest-contentful-paint entries (only observers see them): the paint of the
/// first poster is the figure.
const WATCH_LCP: &str = "window.__poster = null; \
    new PerformanceObserver((list) => { for (const e of list.getEntries()) \
      if (e.element && e.element.tagName === 'IMG' && window.__poster === null) window.__poster = e.startTime; }) \
    .observe({ type: 'largest-contentful-paint', buffered: true }); return null;";

/// When a rail's poster was painted, once it has been.
const HOME_PAINTED: &str = "return window.__poster;";

/// Bytes on the wire and decoded of the app's own files: the page, its wasm, JS and CSS;
/// hls.js (loaded by the watch page only), api calls and media are left out.
const TRANSFER: &str = "const nav = performance.getEntriesByType('navigation')[0]; \
    const app = performance.getEntriesByType('resource') \
      .filter(e => e.name.includes('/assets/') && !e.name.includes('/assets/hls-')); \
    return { wire: nav.transferSize + app.reduce((s, e) => s + e.transferSize, 0), \
             decoded: nav.decodedBodySize + app.reduce((s, e) => s + e.decodedBodySize, 0), \
             files: app.length + 1 };";

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut ms: Vec<f64>, goal_ms: f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let (p50, p95) = (pct(&ms, 0.5), pct(&ms, 0.95));
    println!(
        "{name:<34} p50 {:>6.0} ms  p95 {:>6.0} ms  goal p50 <= {goal_ms:.0} ms: {:.2}x  ({} runs)",
        p50,
        p95,
        p50 / goal_ms,
        ms.len()
    );
}

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().unwrap();
    let web =
        PathBuf::from(std::env::var_os("KINO_WEB_DIR").expect("KINO_WEB_DIR names the web bundle"));
    let server = kino::start(
        data.path(),
        &kino::Options {
            workers: 1,
            db: Some("mem://".into()),
            web_dir: Some(web),
            env: Vec::new(),
            listen: None,
        },
    );
    let base = server.url.clone();
    println!("kino: {}", kino::bin().display());
    let api = creator(&base, "bench@example.com").await;
    let id = upload(&api, &clip(data.path()).await).await;
    wait_published(&api, &id).await;
    let watch = format!("{base}/watch/{id}");
    let n = runs();

    // What a first visit downloads, and a second one.
    let (_d, b) = start_browser_as(Screen::Desktop).await;
    b.goto(&base).await.unwrap();
    element(&b, ".rail .card").await;
    let first = js(&b, TRANSFER).await;
    b.goto(&base).await.unwrap();
    element(&b, ".rail .card").await;
    let again = js(&b, TRANSFER).await;
    b.close().await.unwrap();
    let kb = |v: &Value, k: &str| v[k].as_f64().unwrap() / 1000.0;
    println!(
        "first page transfer (as served)    {:>7.1} KB in {} files  uncompressed {:.1} KB: {:.2}x  repeat visit {:.1} KB  goal <= 400 KB: {:.2}x",
        kb(&first, "wire"),
        first["files"],
        kb(&first, "decoded"),
        kb(&first, "wire") / kb(&first, "decoded"),
        kb(&again, "wire"),
        kb(&first, "wire") / 400.0
    );

    // Time to first frame, cold: a new profile per run.
    let mut cold = Vec::new();
    let mut lcp_cold = Vec::new();
    for _ in 0..n {
        let (_d, b) = start_browser_as(Screen::Desktop).await;
        b.goto(&watch).await.unwrap();
        cold.push(number(&b, FIRST_FRAME).await);
        b.goto("about:blank").await.unwrap();
        b.close().await.unwrap();
        let (_d, b) = start_browser_as(Screen::Desktop).await;
        b.goto(&base).await.unwrap();
        js(&b, WATCH_LCP).await;
        lcp_cold.push(number(&b, HOME_PAINTED).await);
        b.close().await.unwrap();
    }
    // Warm: the same session revisits.
    let (_d, b) = start_browser_as(Screen::Desktop).await;
    b.goto(&watch).await.unwrap();
    number(&b, FIRST_FRAME).await;
    let mut warm = Vec::new();
    let mut lcp_warm = Vec::new();
    for _ in 0..n {
        b.goto("about:blank").await.unwrap();
        b.goto(&watch).await.unwrap();
        warm.push(number(&b, FIRST_FRAME).await);
        b.goto("about:blank").await.unwrap();
        b.goto(&base).await.unwrap();
        js(&b, WATCH_LCP).await;
        lcp_warm.push(number(&b, HOME_PAINTED).await);
    }
    b.close().await.unwrap();
    summary("time to first frame, cold", cold, 1000.0);
    summary("time to first frame, warm", warm, 1000.0);
    summary("home largest paint, cold", lcp_cold, 1000.0);
    summary("home largest paint, warm", lcp_warm, 1000.0);
}
