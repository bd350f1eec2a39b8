//! The desktop app itself (`kino-app`: Tauri, WebKitGTK) under a virtual display, driven
//! through `tauri-driver`: choosing a server, signing in with the session kept in the OS
//! credential store, playing, `kino://` links into the running app, and what the webview
//! refuses to load.

use crate::harness::*;
use testkit::app::Desktop;

const PASSWORD: &str = "correct horse battery";

/// A loopback web server that is not Kino: every request gets a plain page.
async fn not_kino() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let body = "<!doctype html><title>Someone else</title>hello";
                let _ = s
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// Types an address into the server picker and submits it.
async fn pick(app: &Browser, address: &str) {
    let input = element(app, "#server-address").await;
    input.clear().await.unwrap();
    input.send_keys(address).await.unwrap();
    click(app, "#server-form button[type=submit]").await;
}

async fn alert_after_pick(app: &Browser, address: &str) -> String {
    pick(app, address).await;
    let v = until(
        app,
        20,
        &format!("the picker answers {address}"),
        "const a = document.querySelector('#server-form [role=alert]'); return a ? a.textContent : null",
        |v| v.is_string(),
    )
    .await;
    v.as_str().unwrap().to_owned()
}

async fn path(app: &Browser) -> String {
    js(app, "return location.pathname + location.search")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn wait_path(app: &Browser, want: &str) {
    until(
        app,
        20,
        &format!("the app shows {want}"),
        "return location.pathname + location.search",
        |v| v == want,
    )
    .await;
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

fn kept_token(base: &str) -> Option<String> {
    keyring::Entry::new("org.kino.app", base)
        .unwrap()
        .get_password()
        .ok()
}

/// The token the app keeps for `base` once it has kept one (it does so in the background).
async fn wait_token(base: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(t) = kept_token(base) {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "no session in the credential store"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desktop_app_picks_a_server_keeps_its_session_safe_and_plays() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    let api = creator(&base, "maker@example.com").await;
    let id = upload_titled(&api, &clip(data.path()).await, "Desk clip").await;
    sign_up_by_api(&base, "viewer@example.com", None).await;
    let mut desktop = Desktop::start();
    let app = desktop.launch().await;

    // First start: nothing but the picker, which refuses what is not a Kino server over a
    // channel the app accepts.
    element(&app, "#server-address").await;
    screenshot(&app, "desktop-first-start").await;
    accessible(&app, "the app's first start").await;
    let said = alert_after_pick(&app, "http://kino.example").await;
    assert!(said.contains("https://"), "{said}");
    let closed = format!("http://127.0.0.1:{}", free_port());
    let said = alert_after_pick(&app, &closed).await;
    assert!(said.contains("Could not reach"), "{said}");
    let other = not_kino().await;
    let said = alert_after_pick(&app, &other).await;
    assert!(said.contains("not a Kino server"), "{said}");
    assert!(!desktop.config_dir().join("servers.json").exists());

    // The test server is accepted and the app starts against it.
    pick(&app, &base).await;
    wait_published(&api, &id).await;
    started_afresh(&app).await;
    let saved = std::fs::read_to_string(desktop.config_dir().join("servers.json")).unwrap();
    assert!(saved.contains(&base), "{saved}");

    // Signing in keeps the session in the credential store, not in the webview's storage.
    assert_eq!(kept_token(&base), None);
    app.goto("tauri://localhost/signin?next=/").await.unwrap();
    type_into(&app, "#email", "viewer@example.com").await;
    type_into(&app, "#password", PASSWORD).await;
    click(&app, "form.form button[type=submit]").await;
    wait_path(&app, "/").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let token = loop {
        if let Some(t) = kept_token(&base) {
            break t;
        }
        assert!(
            Instant::now() < deadline,
            "no session in the credential store"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let stored = js(
        &app,
        "return Object.keys(localStorage).map(k => k + '=' + localStorage.getItem(k)).join('\\n')",
    )
    .await;
    let stored = stored.as_str().unwrap_or_default();
    assert!(
        !stored.contains(&token),
        "the token is in localStorage: {stored}"
    );
    assert!(!stored.contains("kino.token"), "{stored}");

    // Playing: the video's picture advances in WebKit.
    app.goto(&format!("tauri://localhost/watch/{id}"))
        .await
        .unwrap();
    until(
        &app,
        60,
        "the video plays in the app",
        "const v = document.querySelector('video'); return v ? v.currentTime : 0",
        |v| v.as_f64().unwrap_or(0.0) > 1.0,
    )
    .await;
    screenshot(&app, "desktop-watch").await;

    // A kino:// link opened while the app runs shows the page in this window; the second
    // launch only hands the link over.
    app.goto("tauri://localhost/").await.unwrap();
    wait_path(&app, "/").await;
    let handed = desktop.run_again(&[&format!("kino://watch/{id}")]);
    assert!(handed.success(), "{handed}");
    wait_path(&app, &format!("/watch/{id}")).await;
    let handed = desktop.run_again(&["kino://activate?code=ABCD-EFGH"]);
    assert!(handed.success(), "{handed}");
    wait_path(&app, "/activate?code=ABCD-EFGH").await;

    // The webview never becomes a page of the server (or anything else): the navigation is
    // cancelled, so WebDriver waits for a load that never comes; a short wait does.
    app.update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
        None,
        Some(Duration::from_secs(3)),
        None,
    ))
    .await
    .unwrap();
    for away in [base.clone(), format!("{base}/watch/{id}"), other.clone()] {
        let _ = app.goto(&away).await;
        let at = js(&app, "return location.origin").await;
        assert_eq!(at, "tauri://localhost", "navigating to {away}");
    }
    js(
        &app,
        &format!("location.href = '{other}'; window.open('{base}'); return null"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        js(&app, "return location.origin").await,
        "tauri://localhost"
    );
    assert_eq!(app.windows().await.unwrap().len(), 1, "a window was opened");

    // A restart finds the server and the session again.
    app.close().await.unwrap();
    let app = desktop.launch().await;
    element(&app, ".topbar").await;
    assert_eq!(path(&app).await, "/");
    app.goto("tauri://localhost/account").await.unwrap();
    let profile = element(&app, ".profile").await.text().await.unwrap();
    assert!(profile.contains("viewer@example.com"), "{profile}");
    let server = element(&app, "a[href='/server']").await;
    server.click().await.unwrap();
    element(&app, "#server-address").await;
    screenshot(&app, "desktop-server").await;
    accessible(&app, "the app's server page").await;
    app.close().await.unwrap();
}

/// Waits for the app to start afresh against the server just chosen. The page reloads, and
/// WebKit's driver fails a look-up in flight across the reload, so this asks until it can.
async fn started_afresh(app: &Browser) {
    until(
        app,
        20,
        "the app started against the chosen server",
        "return !!document.querySelector('.topbar')",
        |v| v == true,
    )
    .await;
}

/// Picks `base` on the first-start page and signs in through the app's own form.
async fn connect_and_sign_in(app: &Browser, base: &str, email: &str) {
    pick(app, base).await;
    started_afresh(app).await;
    app.goto("tauri://localhost/signin?next=/").await.unwrap();
    type_into(app, "#email", email).await;
    type_into(app, "#password", PASSWORD).await;
    click(app, "form.form button[type=submit]").await;
    wait_path(app, "/").await;
}

/// The viewer's saved position on a video, as the server has it.
async fn server_position(base: &str, token: &str, id: &str) -> Option<f64> {
    client::connect(base, Some(token))
        .get_progress(id)
        .await
        .ok()
        .map(|p| p.into_inner().position_s)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_plays_offline_and_its_progress_reaches_the_server_later() {
    let data = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let opts = kino::Options {
        workers: 1,
        db: None,
        web_dir: Some(web_dir()),
        env: Vec::new(),
        listen: Some(listen.clone()),
    };
    let kino1 = kino::start(data.path(), &opts);
    let base = kino1.url.clone();
    let api = creator(&base, "maker@example.com").await;
    let long = data.path().join("long.mp4");
    transcoder::ffmpeg::generate_test_clip(&long, 640, 360, 25, 24, true)
        .await
        .expect("ffmpeg makes a clip");
    let id = upload_titled(&api, &long, "Offline clip").await;
    sign_up_by_api(&base, "viewer@example.com", None).await;
    wait_published(&api, &id).await;
    api.add_subtitle(
        &id,
        &types::AddSubtitleRequest {
            language: "en".into(),
            label: "English".into(),
            vtt: "WEBVTT\n\n00:00.000 --> 00:05.000\nOffline words\n".into(),
        },
    )
    .await
    .unwrap();

    let mut desktop = Desktop::start();
    let app = desktop.launch().await;
    connect_and_sign_in(&app, &base, "viewer@example.com").await;
    let token = wait_token(&base).await;

    // Download it at the best quality offered.
    app.goto(&format!("tauri://localhost/watch/{id}"))
        .await
        .unwrap();
    click(&app, "#download").await;
    let best = element(&app, ".download-quality button[data-height]").await;
    let height = best.attr("data-height").await.unwrap().unwrap();
    best.click().await.unwrap();
    until(
        &app,
        60,
        "the download finishes",
        "const s = document.querySelector('.download-status'); return s ? s.dataset.state : null",
        |v| v == "done",
    )
    .await;
    let status = element(&app, ".download-status")
        .await
        .text()
        .await
        .unwrap();
    assert!(status.contains(&format!("{height}p")), "{status}");
    let kept = desktop
        .home()
        .join(format!("data/org.kino.app/downloads/{id}/media"));
    assert!(kept.join("master.m3u8").is_file(), "{}", kept.display());
    assert!(kept.join("poster.jpg").is_file());
    let master = std::fs::read_to_string(kept.join("master.m3u8")).unwrap();
    assert_eq!(master.matches("#EXT-X-STREAM-INF").count(), 1, "{master}");
    // The subtitle track comes along: its playlist and its WebVTT.
    assert!(master.contains("TYPE=SUBTITLES"), "{master}");
    let vtt = walk(&kept)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "vtt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(vtt.contains("Offline words"), "{vtt}");

    app.goto("tauri://localhost/downloads").await.unwrap();
    let row = element(&app, &format!(".download-list li[data-video='{id}']")).await;
    assert_eq!(
        row.attr("data-state").await.unwrap().as_deref(),
        Some("done")
    );
    let disk = element(&app, "#disk-use").await.text().await.unwrap();
    assert!(
        disk.starts_with("1 video,") && disk.contains("MB"),
        "{disk}"
    );
    screenshot(&app, "desktop-downloads").await;
    accessible(&app, "the app's downloads").await;

    // The server goes away; the download plays, seeks and is watched for 10 s.
    drop(kino1);
    click(
        &app,
        &format!(".download-list li[data-video='{id}'] a.button"),
    )
    .await;
    wait_path(&app, &format!("/offline/{id}")).await;
    until(
        &app,
        30,
        "the download plays offline",
        "const v = document.querySelector('video'); return v ? v.currentTime : 0",
        |v| v.as_f64().unwrap_or(0.0) > 0.5,
    )
    .await;
    js(
        &app,
        "document.querySelector('video').currentTime = 6; return null",
    )
    .await;
    until(
        &app,
        40,
        "the download plays on from where it was sought",
        "const v = document.querySelector('video'); return v.currentTime",
        |v| v.as_f64().unwrap_or(0.0) >= 16.0,
    )
    .await;
    screenshot(&app, "desktop-offline").await;
    // Leaving the player (through the app, not a reload) keeps the position.
    click(&app, "nav a[href='/downloads']").await;
    element(&app, ".download-list").await;

    // The server comes back: the position arrives without the viewer doing anything.
    let kino2 = kino::start(data.path(), &opts);
    assert_eq!(kino2.url, base);
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        if server_position(&base, &token, &id)
            .await
            // Where it stopped, give or take the last position report's lag.
            .is_some_and(|p| p >= 15.0)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the offline position never reached the server: {:?}",
            server_position(&base, &token, &id).await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Its owner makes it private: the next sync removes the download and its files.
    api.update_video(
        &id,
        &types::UpdateVideoRequest {
            visibility: Some(types::Visibility::Private),
            genres: Vec::new(),
            title: None,
            description: None,
            tags: Vec::new(),
            poster: None,
        },
    )
    .await
    .unwrap();
    until(
        &app,
        45,
        "the private video's download is removed",
        &format!("return !!document.querySelector(\".download-list li[data-video='{id}']\")"),
        |v| v == false,
    )
    .await;
    assert!(!kept.exists(), "its files are gone");
    app.close().await.unwrap();
}

/// Calls one of the app's commands from its page, as the UI does.
async fn invoke(app: &Browser, command: &str, args: Value) -> Value {
    app.execute_async(
        "const [cmd, args, done] = arguments; \
         window.__TAURI_INTERNALS__.invoke(cmd, args).then(v => done({ ok: v ?? null }), e => done({ err: String(e) }));",
        vec![Value::from(command), args],
    )
    .await
    .unwrap()
}

async fn row_state(app: &Browser, id: &str) -> Value {
    js(
        app,
        &format!("const r = document.querySelector(\".download-list li[data-video='{id}']\"); return r ? r.dataset.state : null"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_pause_resume_survive_a_restart_and_are_deleted() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    let api = creator(&base, "maker@example.com").await;
    let first = upload_titled(&api, &clip(data.path()).await, "First").await;
    let second = upload_titled(&api, &clip(data.path()).await, "Second").await;
    sign_up_by_api(&base, "viewer@example.com", None).await;
    wait_published(&api, &first).await;
    wait_published(&api, &second).await;
    let mut desktop = Desktop::start();
    let app = desktop.launch().await;
    connect_and_sign_in(&app, &base, "viewer@example.com").await;
    wait_token(&base).await;

    // One download paused at once, one cut off by the app closing.
    app.goto("tauri://localhost/downloads").await.unwrap();
    element(&app, "#disk-use").await;
    let started =
        |id: &str, title: &str| serde_json::json!({ "videoId": id, "title": title, "height": 720 });
    // Paused from the page the moment it is added: a WebDriver round trip in between would
    // give a short clip time to finish on loopback.
    let paused = app
        .execute_async(
            "const [add, pause, done] = arguments; \
             const invoke = window.__TAURI_INTERNALS__.invoke; \
             invoke('download_add', add).then(() => invoke('download_pause', pause)) \
               .then(v => done({ ok: v ?? null }), e => done({ err: String(e) }));",
            vec![
                started(&first, "First"),
                serde_json::json!({ "videoId": first }),
            ],
        )
        .await
        .unwrap();
    assert!(paused.get("err").is_none(), "{paused}");
    invoke(&app, "download_add", started(&second, "Second")).await;
    app.close().await.unwrap();

    // After a restart the cut-off one carries on by itself; the paused one waits.
    let app = desktop.launch().await;
    element(&app, ".topbar").await;
    app.goto("tauri://localhost/downloads").await.unwrap();
    until(&app, 60, "the interrupted download finishes after the restart", &format!(
        "const r = document.querySelector(\".download-list li[data-video='{second}']\"); return r ? r.dataset.state : null"
    ), |v| v == "done")
    .await;
    assert_eq!(row_state(&app, &first).await, "paused");
    screenshot(&app, "desktop-downloads-paused").await;

    // Resume, then delete both: they go, with their files.
    click(&app, "button[aria-label='Resume First']").await;
    until(&app, 60, "the resumed download finishes", &format!(
        "const r = document.querySelector(\".download-list li[data-video='{first}']\"); return r ? r.dataset.state : null"
    ), |v| v == "done")
    .await;
    let kept = |id: &str| {
        desktop
            .home()
            .join(format!("data/org.kino.app/downloads/{id}"))
    };
    assert!(kept(&first).join("media/master.m3u8").is_file());
    click(&app, "button[aria-label='Delete First']").await;
    click(&app, "button[aria-label='Delete Second']").await;
    until(
        &app,
        10,
        "the downloads are gone",
        "return document.querySelectorAll('.download-list li').length",
        |v| v == 0,
    )
    .await;
    assert!(!kept(&first).exists() && !kept(&second).exists());
    let disk = element(&app, "#disk-use").await.text().await.unwrap();
    assert!(disk.starts_with("Nothing downloaded yet"), "{disk}");
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_uploads_files_chosen_in_the_systems_chooser_itself() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    let api = creator(&base, "maker@example.com").await;
    let file = data.path().join("harbour_at_dawn.mp4");
    std::fs::rename(clip(data.path()).await, &file).unwrap();
    let vtt = data.path().join("english.vtt");
    std::fs::write(
        &vtt,
        "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nChosen in the app\n",
    )
    .unwrap();
    let mut desktop = Desktop::start();
    let app = desktop.launch().await;
    connect_and_sign_in(&app, &base, "maker@example.com").await;
    app.goto("tauri://localhost/studio").await.unwrap();

    // The Studio offers the system's chooser rather than the page's file input.
    let choose = element(&app, "button#file").await;
    assert_eq!(choose.text().await.unwrap(), "Choose videos…");
    choose.click().await.unwrap();
    desktop.choose_file("Choose videos to upload", &file);
    until(
        &app,
        20,
        "the chosen file's row, titled after it",
        "return document.querySelector('.upload input[name=title]')?.value;",
        |v| v == "harbour at dawn",
    )
    .await;
    click(&app, "form.uploads-form button[type=submit]").await;
    until(
        &app,
        180,
        "the upload published",
        "return [...document.querySelectorAll('.upload a')].some(a => a.textContent === 'Watch it');",
        |v| v == true,
    )
    .await;
    screenshot(&app, "desktop-studio").await;
    // The app sent the parts itself: the page made no request to a part's address.
    let page_parts = js(
        &app,
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/parts/')).length;",
    )
    .await;
    assert_eq!(page_parts, 0, "the page sent parts itself");
    let mine = api.list_my_videos(None, None).await.unwrap().into_inner();
    let id = mine.items[0].id.clone();
    assert_eq!(mine.items[0].title, "harbour at dawn");
    let source = data.path().join("objects/sources").join(&id).join("source");
    assert_eq!(
        std::fs::read(source).unwrap(),
        std::fs::read(&file).unwrap()
    );

    // Subtitles are read by the app too: the chooser, the preview, the track listed.
    app.goto(&format!("tauri://localhost/studio/video/{id}"))
        .await
        .unwrap();
    click(&app, "button#vtt-file").await;
    desktop.choose_file("Choose a WebVTT subtitle file", &vtt);
    until(
        &app,
        20,
        "the preview",
        "return document.querySelector('.vtt-preview')?.textContent;",
        |v| v.as_str().is_some_and(|t| t.contains("Chosen in the app")),
    )
    .await;
    type_into(&app, "#vtt-language", "en").await;
    type_into(&app, "#vtt-label", "English").await;
    click(&app, ".subtitles-section button[type=submit]").await;
    element(&app, ".subtitles li[data-language=en]").await;
    accessible(&app, "the Studio in the app").await;
    app.close().await.unwrap();
}
