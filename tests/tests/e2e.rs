//! The whole product: the real `kino` binary with its in-process transcoder, driven through
//! the generated REST client, watched in headless Chromium.
//!
//! Run through `cargo xtask test`, which builds the web app and the binary and passes their
//! locations in `KINO_WEB_DIR` and `KINO_BIN`.

use fantoccini::{Client as Browser, ClientBuilder};
use shared::client::{self, types};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kino_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KINO_BIN") {
        return PathBuf::from(p);
    }
    // target/debug/deps/e2e-* -> target/debug/kino
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("kino")
}

fn web_dir() -> PathBuf {
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

/// Starts `kino` on a free port and returns it with its base URL, read from the line it
/// prints once it listens.
fn start_kino(data: &Path) -> (Guard, String) {
    start_kino_with(data, 1, &[])
}

/// Starts `kino` with `workers` in-process workers and extra `KINO_*` settings in `env`.
fn start_kino_with(data: &Path, workers: u32, env: &[(&str, &str)]) -> (Guard, String) {
    let bin = kino_bin();
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p api --bin kino`",
        bin.display()
    );
    let mut cmd = Command::new(&bin);
    cmd.envs(env.iter().copied());
    let mut child = cmd
        .args(["--listen", "127.0.0.1:0", "--db", "mem://", "--data-dir"])
        .arg(data)
        .arg("--workers")
        .arg(workers.to_string())
        .arg("--web-dir")
        .arg(web_dir())
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("kino starts");
    let stdout = child.stdout.take().unwrap();
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "kino printed {line:?}"
    );
    (guard, url)
}

/// Starts a standalone `kino-transcoder` for the api at `base`, sharing the data dir's store.
fn start_worker(base: &str, token: &str, data: &Path, scratch: &str) -> Guard {
    let bin = kino_bin().with_file_name("kino-transcoder");
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_browser() -> (Guard, Browser) {
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
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required",
                "--window-size=1280,800", format!("--user-data-dir={}", profile.display()),
            ]
        }
    }))
    .unwrap();
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

async fn clip(dir: &Path) -> PathBuf {
    let out = dir.join("clip.mp4");
    transcoder::ffmpeg::generate_test_clip(&out, 1280, 720, 30, 8, true)
        .await
        .expect("ffmpeg makes a clip");
    out
}

async fn upload(api: &client::Client, file: &Path) -> String {
    let data = std::fs::read(file).unwrap();
    let up = api
        .create_upload(&types::CreateUploadRequest {
            filename: "clip.mp4".into(),
            size: data.len() as u64,
            content_type: "video/mp4".into(),
            title: "Test pattern in the browser".into(),
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
async fn creator(base: &str, email: &str) -> client::Client {
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
async fn wait_published(api: &client::Client, video_id: &str) -> types::Video {
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

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_clip_is_published_and_plays_in_the_browser() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    let api = creator(&base, "creator@example.com").await;
    let video_id = upload(&api, &clip(data.path()).await).await;
    let started = Instant::now();
    let video = wait_published(&api, &video_id).await;
    eprintln!(
        "8 s clip published {:.1} s after upload",
        started.elapsed().as_secs_f64()
    );
    assert!(video.playback.is_some());

    let (_driver, browser) = start_browser().await;
    // The catalogue lists it.
    browser.goto(&base).await.unwrap();
    let card = browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(".card .title"))
        .await
        .expect("the catalogue shows the video");
    assert_eq!(card.text().await.unwrap(), "Test pattern in the browser");

    // The watch page plays it: the playhead moves.
    browser
        .goto(&format!("{base}/watch/{video_id}"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = serde_json::Value::Null;
    loop {
        last = browser
            .execute(
                "const v = document.getElementById('kino-player'); \
                 return v ? { t: v.currentTime, h: v.videoHeight, err: v.error && v.error.code, hls: !!window.Hls } : null;",
                vec![],
            )
            .await
            .unwrap_or(last);
        if last["t"].as_f64().unwrap_or(0.0) > 1.5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "playback did not advance: {last}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        last["h"].as_u64().unwrap_or(0) >= 360,
        "decoded video: {last}"
    );
    let title = browser
        .find(fantoccini::Locator::Css(".watch h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Test pattern in the browser");
    browser.close().await.unwrap();
}

/// Waits for an element and returns it.
async fn element(browser: &Browser, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

async fn type_into(browser: &Browser, css: &str, text: &str) {
    element(browser, css).await.send_keys(text).await.unwrap();
}

async fn click(browser: &Browser, css: &str) {
    element(browser, css).await.click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_creator_signs_up_and_uploads_in_the_studio() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    let file = clip(data.path()).await;
    let (_driver, browser) = start_browser().await;

    browser.goto(&format!("{base}/signin")).await.unwrap();
    click(&browser, "button.link").await;
    type_into(&browser, "#email", "studio@example.com").await;
    type_into(&browser, "#password", "correct horse battery").await;
    type_into(&browser, "#name", "Studio Creator").await;
    click(&browser, "form button[type=submit]").await;

    // Signing up lands in the studio.
    type_into(&browser, "#file", file.to_str().unwrap()).await;
    type_into(&browser, "#title", "Uploaded from the studio").await;
    click(&browser, "form button[type=submit]").await;

    let watch = match browser
        .wait()
        .at_most(Duration::from_secs(180))
        .for_element(fantoccini::Locator::LinkText("Watch it"))
        .await
    {
        Ok(w) => w,
        Err(e) => {
            let page = browser
                .find(fantoccini::Locator::Css("main"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap_or_default();
            panic!(
                "the studio never reported the video as published ({e}); the page says:\n{page}"
            );
        }
    };
    watch.click().await.unwrap();
    let title = element(&browser, ".watch h1").await.text().await.unwrap();
    assert_eq!(title, "Uploaded from the studio");

    // The session survives a reload, and the catalogue lists the upload.
    browser.goto(&base).await.unwrap();
    assert_eq!(
        element(&browser, ".card .title")
            .await
            .text()
            .await
            .unwrap(),
        "Uploaded from the studio"
    );
    let nav = element(&browser, ".topbar nav").await.text().await.unwrap();
    assert!(nav.contains("Sign out"), "nav: {nav}");

    // The uploaded bytes arrived intact.
    let videos = client::connect(&base, None)
        .list_videos(None, None, None, None)
        .await
        .unwrap()
        .into_inner();
    let id = &videos.items[0].id;
    let source = data.path().join("objects/sources").join(id).join("source");
    assert_eq!(
        std::fs::read(source).unwrap(),
        std::fs::read(&file).unwrap()
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_standalone_transcoder_process_does_the_work_when_the_api_runs_none() {
    let data = tempfile::tempdir().unwrap();
    let token = "standalone-registration-secret";
    let (_kino, base) =
        start_kino_with(data.path(), 0, &[("KINO_WORKER_REGISTRATION_TOKEN", token)]);
    let _worker = start_worker(&base, token, data.path(), "worker-scratch");
    let api = creator(&base, "remote@example.com").await;
    let video_id = upload(&api, &clip(data.path()).await).await;
    wait_published(&api, &video_id).await;
    // The worker cleaned its scratch space after the job.
    let leftovers: Vec<_> = std::fs::read_dir(data.path().join("worker-scratch/w0"))
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "scratch left behind: {leftovers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_job_loses_its_lease_and_another_worker_finishes_the_video() {
    let data = tempfile::tempdir().unwrap();
    let token = "chaos-registration-secret";
    // A short lease so the watchdog notices the dead worker quickly.
    let (_kino, base) = start_kino_with(
        data.path(),
        0,
        &[
            ("KINO_WORKER_REGISTRATION_TOKEN", token),
            ("KINO_JOB_LEASE_S", "3"),
        ],
    );

    let mut first = start_worker(&base, token, data.path(), "first");
    let api = creator(&base, "chaos@example.com").await;
    let video_id = upload(&api, &clip(data.path()).await).await;

    // Kill the first worker as soon as it is transcoding.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = api.get_video(&video_id).await.unwrap().into_inner();
        if v.state == types::VideoState::Processing {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never started processing: {:?}",
            v.state
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.0.kill().unwrap();
    let _ = first.0.wait();
    assert_ne!(
        api.get_video(&video_id).await.unwrap().into_inner().state,
        types::VideoState::Published,
        "the first worker finished before it was killed; the test proves nothing"
    );

    let _second = start_worker(&base, token, data.path(), "second");
    let v = wait_published(&api, &video_id).await;
    // The second attempt published its own version.
    let master = v.playback.unwrap().master_url;
    assert!(master.contains("/v2/"), "published {master}");
}
