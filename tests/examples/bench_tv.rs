//! `cargo xtask bench tv`: the TV app's two figures, in headless Chromium at 1920x1080
//! against the real `kino` (`KINO_BIN`, serving `KINO_WEB_DIR`) on a seeded catalogue.
//!
//! - Key press to the frame that shows focus moved, over a walk through every rail of the
//!   home page (10 rails of 20 cards: New, Popular and eight genres), beside the browser's
//!   own focus move (Tab, which the app leaves alone) on the same page as the baseline.
//! - Enter on a card to its page ready, and Enter on Play to the first decoded frame.

use serde_json::Value;
use std::time::Duration;
use testkit::browser::{Screen, start_browser_as};
use testkit::catalog::{clip, creator, upload_titled, wait_published};
use testkit::kino;

fn videos() -> u64 {
    std::env::var("KINO_BENCH_VIDEOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

async fn js(b: &fantoccini::Client, script: &str) -> Value {
    b.execute(script, vec![]).await.expect("script runs")
}

async fn wait_for(b: &fantoccini::Client, script: &str) -> Value {
    for _ in 0..600 {
        let v = js(b, script).await;
        if !v.is_null() && v != false {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("nothing from {script}");
}

async fn press(b: &fantoccini::Client, value: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let keys = KeyActions::new("remote".to_owned())
        .then(KeyAction::Down { value })
        .then(KeyAction::Up { value });
    b.perform_actions(keys).await.unwrap();
}

/// Records, for every key press, the time from the key event to the first moment after the
/// next frame, when the page shows where focus went.
const MEASURE: &str = "window.__lat = []; \
    document.addEventListener('keydown', (e) => { const t0 = e.timeStamp; \
      const engine = window.__kinoMoveMs; window.__kinoMoveMs = null; \
      requestAnimationFrame(() => setTimeout(() => window.__lat.push([performance.now() - t0, engine]), 0)); }); \
    return true;";

async fn waiting_posters(b: &fantoccini::Client) -> u64 {
    js(
        b,
        "return document.querySelectorAll('.tv-poster img[data-src]').length;",
    )
    .await
    .as_u64()
    .unwrap_or(0)
}

/// Each press's time to the frame, and the focus engine's share of it where it ran.
async fn latencies(b: &fantoccini::Client) -> (Vec<f64>, Vec<f64>) {
    let raw = js(b, "return window.__lat;").await;
    let rows = raw.as_array().expect("latencies were recorded");
    let total = rows.iter().filter_map(|r| r[0].as_f64()).collect();
    let engine = rows.iter().filter_map(|r| r[1].as_f64()).collect();
    (total, engine)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn line(name: &str, mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let (p50, p95) = (pct(&ms, 0.5), pct(&ms, 0.95));
    println!(
        "{name:<40} p50 {p50:>6.1} ms  p95 {p95:>6.1} ms  ({} presses)",
        ms.len()
    );
    (p50, p95)
}

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().unwrap();
    let server = kino::start_seeded(data.path(), videos());
    let base = server.url.clone();
    let api = creator(&base, "bench@example.com").await;
    let id = upload_titled(&api, &clip(data.path()).await, "A test pattern").await;
    wait_published(&api, &id).await;

    let (_d, b) = start_browser_as(Screen::Tv).await;
    b.goto(&format!("{base}/tv")).await.unwrap();
    wait_for(
        &b,
        "return document.activeElement?.getAttribute('data-focus-key') === 'hero:play';",
    )
    .await;
    let shape = js(
        &b,
        "const rails = [...document.querySelectorAll('[data-rail]')]; \
         return { rails: rails.length, cards: rails.map(r => r.querySelectorAll('.tv-card').length) };",
    )
    .await;
    println!(
        "home: {} rails, cards per rail {}",
        shape["rails"], shape["cards"]
    );
    // Posters wait (`data-src`) until focus brings them within a screen of the view.
    let cards: u64 = shape["cards"]
        .as_array()
        .map(|c| c.iter().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    let before = waiting_posters(&b).await;
    js(&b, MEASURE).await;

    // A walk: into each rail, eight cards along it and back, then down to the next.
    let (right, left, down, up, tab) = ('\u{e014}', '\u{e012}', '\u{e015}', '\u{e013}', '\u{e004}');
    let rails = shape["rails"].as_u64().unwrap_or(0);
    for _ in 0..rails {
        press(&b, down).await;
        for _ in 0..8 {
            press(&b, right).await;
        }
        for _ in 0..4 {
            press(&b, left).await;
        }
    }
    for _ in 0..rails {
        press(&b, up).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (spatial, engine) = latencies(&b).await;
    println!(
        "posters not loaded yet: {before} of {cards} cards on arrival, {} after the walk",
        waiting_posters(&b).await
    );

    // The baseline: the browser moving focus itself, the same number of times.
    js(&b, "document.querySelector('[data-focus-key=\"hero:play\"]').focus(); window.__lat = []; return true;").await;
    for _ in 0..spatial.len() {
        press(&b, tab).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (native, _) = latencies(&b).await;
    line("the focus engine's own work per press", engine);
    let (_, p95) = line("key to focus moved (arrows, spatial)", spatial);
    let (_, base95) = line("baseline: Tab, the browser's own move", native);
    println!(
        "spatial p95 / native p95: {:.2}x   goal p95 < 50 ms: {:.2}x",
        p95 / base95,
        p95 / 50.0
    );

    // Enter on the uploaded video's card: its page, then Enter on Play to the first frame.
    let mut to_page = Vec::new();
    let mut to_frame = Vec::new();
    for _ in 0..5 {
        b.goto(&format!("{base}/tv")).await.unwrap();
        wait_for(
            &b,
            "return document.activeElement?.getAttribute('data-focus-key') === 'hero:play';",
        )
        .await;
        let card = format!("card:new:{id}");
        js(&b, &format!("document.querySelector('[data-focus-key=\"{card}\"]').focus(); \
            window.__enter = null; document.addEventListener('keydown', (e) => {{ if (window.__enter === null) window.__enter = e.timeStamp; }}, {{ once: true }}); return true;")).await;
        press(&b, '\u{e007}').await;
        let ready = wait_for(&b, "return document.activeElement?.getAttribute('data-focus-key') === 'play' ? performance.now() : null;").await;
        let entered = js(&b, "return window.__enter;").await.as_f64().unwrap();
        to_page.push(ready.as_f64().unwrap() - entered);
        js(&b, "window.__play = null; document.addEventListener('keydown', (e) => { window.__play = e.timeStamp; }, { once: true }); performance.clearMarks('kino:first-frame'); return true;").await;
        press(&b, '\u{e007}').await;
        let frame = wait_for(&b, "const m = performance.getEntriesByName('kino:first-frame')[0]; return m ? m.startTime : null;").await;
        let played = js(&b, "return window.__play;").await.as_f64().unwrap();
        to_frame.push(frame.as_f64().unwrap() - played);
    }
    let (page50, _) = line("Enter on a card to its page ready", to_page);
    let (frame50, _) = line("Enter on Play to the first frame", to_frame);
    println!(
        "card to first frame (p50 sum) {:.0} ms   goal <= 1000 ms: {:.2}x",
        page50 + frame50,
        (page50 + frame50) / 1000.0
    );
    b.close().await.unwrap();
}
