//! A headless Chromium session through chromedriver, as a desktop window or an emulated
//! phone, and the waits every browser journey needs.

use crate::process::{Guard, free_port};
use fantoccini::{Client as Browser, ClientBuilder};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The screen a browser session emulates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Screen {
    /// A 1280x800 window with a mouse.
    Desktop,
    /// A 390x844 phone with touch, as Chromium's device emulation gives it.
    Phone,
    /// A 1920x1080 TV, driven by keys alone.
    Tv,
    /// A 1280x720 TV.
    Tv720,
}

pub async fn start_browser() -> (Guard, Browser) {
    start_browser_as(Screen::Desktop).await
}

pub async fn start_browser_as(screen: Screen) -> (Guard, Browser) {
    // Both of rustls's crypto back-ends are compiled into the workspace; choose one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = free_port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian package chromium-driver) starts");
    let guard = Guard(driver);
    let profile = tempfile::tempdir().unwrap().keep();
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--disable-quic".into(),
        "--autoplay-policy=no-user-gesture-required".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut options = serde_json::json!({ "binary": "/usr/bin/chromium" });
    match screen {
        Screen::Desktop => args.push("--window-size=1280,800".into()),
        // The window's own frame would take from the page: emulate the screen exactly.
        Screen::Tv | Screen::Tv720 => {
            let (width, height) = if screen == Screen::Tv {
                (1920, 1080)
            } else {
                (1280, 720)
            };
            args.push(format!("--window-size={width},{height}"));
            options["mobileEmulation"] = serde_json::json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": false, "mobile": false },
            });
        }
        Screen::Phone => {
            args.push("--window-size=390,844".into());
            options["mobileEmulation"] = serde_json::json!({
                "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 3.0, "touch": true, "mobile": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
            });
        }
    }
    options["args"] = serde_json::json!(args);
    let caps: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::json!({ "goog:chromeOptions": options })).unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(b) => return (guard, b),
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("could not open a browser session: {e}"),
        }
    }
}

/// Waits for an element and returns it.
pub async fn element(browser: &Browser, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

pub async fn type_into(browser: &Browser, css: &str, text: &str) {
    element(browser, css).await.send_keys(text).await.unwrap();
}

pub async fn click(browser: &Browser, css: &str) {
    element(browser, css).await.click().await.unwrap();
}
