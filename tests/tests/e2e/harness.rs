//! What every browser journey needs: the real binaries started on free ports, a headless
//! Chromium session, generated clips uploaded through the REST client, and waiting for
//! elements.

pub use fantoccini::{Client as Browser, ClientBuilder};
pub use shared::client::{self, types};
pub use std::path::{Path, PathBuf};
pub use std::process::{Command, Stdio};
pub use std::time::{Duration, Instant};
pub use testkit::kino;
pub use testkit::process::{Guard, free_port};

pub fn web_dir() -> PathBuf {
    let dir = std::env::var_os("KINO_WEB_DIR")
        .map(PathBuf::from)
        .expect("KINO_WEB_DIR must name the built web app: run the tests with `cargo xtask test`");
    assert!(
        dir.join("index.html").is_file(),
        "{} holds no index.html",
        dir.display()
    );
    dir
}

/// Starts `kino` on a free port and returns it with its base URL.
pub fn start_kino(data: &Path) -> (Guard, String) {
    start_kino_with(data, 1, &[])
}

/// Starts `kino` with `workers` in-process workers and extra `KINO_*` settings in `env`.
pub fn start_kino_with(data: &Path, workers: u32, env: &[(&str, &str)]) -> (Guard, String) {
    let k = kino::start(
        data,
        &kino::Options {
            workers,
            db: Some("mem://".into()),
            web_dir: Some(web_dir()),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            listen: None,
        },
    );
    (k.process, k.url)
}

/// Starts a standalone `kino-transcoder` for the api at `base`, sharing the data dir's store.
pub fn start_worker(base: &str, token: &str, data: &Path, scratch: &str) -> Guard {
    let bin = kino::bin().with_file_name("kino-transcoder");
    let store = format!("file://{}", data.join("objects").display());
    let child = Command::new(&bin)
        .args([
            "--api",
            base,
            "--registration-token",
            token,
            "--store",
            &store,
            "--scratch-dir",
        ])
        .arg(data.join(scratch))
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap_or_else(|e| panic!("{} starts: {e}", bin.display()));
    Guard(child)
}

/// The screen a browser session emulates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Screen {
    /// A 1280x800 window with a mouse.
    Desktop,
    /// A 390x844 phone with touch, as Chromium's device emulation gives it.
    Phone,
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

pub async fn clip(dir: &Path) -> PathBuf {
    let out = dir.join("clip.mp4");
    transcoder::ffmpeg::generate_test_clip(&out, 1280, 720, 30, 8, true)
        .await
        .expect("ffmpeg makes a clip");
    out
}

pub async fn upload(api: &client::Client, file: &Path) -> String {
    upload_titled(api, file, "Test pattern in the browser").await
}

/// Uploads `file` in parts through presigned URLs and completes it; returns the video id.
pub async fn upload_titled(api: &client::Client, file: &Path, title: &str) -> String {
    let data = std::fs::read(file).unwrap();
    let up = api
        .create_upload(&types::CreateUploadRequest {
            filename: "clip.mp4".into(),
            size: data.len() as u64,
            content_type: "video/mp4".into(),
            title: title.into(),
            description: Some("Generated by ffmpeg".into()),
        })
        .await
        .unwrap()
        .into_inner();
    let http = reqwest::Client::new();
    let mut parts = Vec::new();
    for p in &up.parts {
        let start = ((p.number - 1) as u64 * up.part_size) as usize;
        let end = (start + up.part_size as usize).min(data.len());
        let r = http
            .put(&p.url)
            .body(data[start..end].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        parts.push(types::CompletedPart {
            number: p.number,
            etag: r.headers()["etag"].to_str().unwrap().into(),
        });
    }
    api.complete_upload(&up.upload_id, &types::CompleteUploadRequest { parts })
        .await
        .unwrap();
    up.video_id
}

/// Signs up a creator through the REST client and returns a client signed in as them.
pub async fn creator(base: &str, email: &str) -> client::Client {
    let auth = client::connect(base, None)
        .signup(&types::SignupRequest {
            email: email.into(),
            password: "correct horse battery".into(),
            display_name: "Creator".into(),
        })
        .await
        .unwrap()
        .into_inner();
    client::connect(base, Some(&auth.token))
}

/// Polls a video until it is published (panics if it fails or takes over 3 minutes).
pub async fn wait_published(api: &client::Client, video_id: &str) -> types::Video {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let v = api.get_video(video_id).await.unwrap().into_inner();
        match v.state {
            types::VideoState::Published => return v,
            types::VideoState::Failed => panic!("transcode failed: {:?}", v.failure_reason),
            _ => assert!(
                Instant::now() < deadline,
                "still {:?} after 3 minutes",
                v.state
            ),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
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
