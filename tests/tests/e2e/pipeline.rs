//! From upload to playback: the transcoding pipeline under crashes and restarts, and the
//! Studio's uploads, seen through the browser.

use crate::harness::*;
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
    // It is on the home page's New rail, a section headed by its name.
    let heading = element(&browser, "section.rail h2")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "New");

    // Searching from the top bar lists it with the word marked, as text.
    let search = element(&browser, "input[type=search][aria-label=Search]").await;
    search.send_keys("pattern\u{E007}").await.unwrap();
    let mark = element(&browser, ".results .title mark").await;
    assert_eq!(mark.text().await.unwrap(), "pattern");
    let title = element(&browser, ".results .title")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Test pattern in the browser");
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .as_str()
            .ends_with("/search?q=pattern"),
        "the search has its own address"
    );

    // Its genre has a page of its own, reached from the rail's heading.
    api.update_video(
        &video_id,
        &types::UpdateVideoRequest {
            genres: vec!["testing".into()],
            title: None,
            description: None,
            tags: Vec::new(),
            visibility: None,
            poster: None,
        },
    )
    .await
    .unwrap();
    browser.goto(&base).await.unwrap();
    click(&browser, "section.rail h2 a[href='/genre/testing']").await;
    let heading = element(&browser, "h1").await.text().await.unwrap();
    assert_eq!(heading, "Testing");
    let card = element(&browser, ".grid .card .title").await;
    assert_eq!(card.text().await.unwrap(), "Test pattern in the browser");
    element(&browser, ".chips button[aria-pressed=true]").await;

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

#[tokio::test(flavor = "multi_thread")]
async fn a_creator_signs_up_and_uploads_in_the_studio() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    let file = clip(data.path()).await;
    let (_driver, browser) = start_browser().await;

    // The studio asks a signed-out visitor to sign in, and brings them back.
    browser.goto(&format!("{base}/studio")).await.unwrap();
    click(&browser, "main a.button[href^='/signin']").await;
    click(&browser, "button.link").await;
    type_into(&browser, "#email", "studio@example.com").await;
    type_into(&browser, "#password", "correct horse battery").await;
    type_into(&browser, "#name", "Studio Creator").await;
    click(&browser, "form button[type=submit]").await;

    // Signing up lands back in the studio.
    type_into(&browser, "#file", file.to_str().unwrap()).await;
    set_title(&browser, "Uploaded from the studio").await;
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
    // Signed in: the account link carries the creator's name.
    let account = element(&browser, ".topbar nav a[href='/account']").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while account.text().await.unwrap() != "Studio Creator" {
        assert!(
            Instant::now() < deadline,
            "the top bar never showed the account"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The uploaded bytes arrived intact.
    let videos = client::connect(&base, None)
        .list_videos(None, None, None, None, None, None, None)
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
    let port = testkit::process::free_port();
    let metrics_at = format!("127.0.0.1:{port}");
    let log = data.path().join("worker.log");
    let _worker = start_worker_with(
        &base,
        token,
        data.path(),
        "worker-scratch",
        &["--metrics-listen", &metrics_at, "--log-json"],
        Some(&log),
    );
    let api = creator(&base, "remote@example.com").await;
    let video_id = upload(&api, &clip(data.path()).await).await;
    wait_published(&api, &video_id).await;
    // The worker cleaned its scratch space after the job.
    let leftovers: Vec<_> = std::fs::read_dir(data.path().join("worker-scratch/w0"))
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "scratch left behind: {leftovers:?}");

    // Its figures: one job done, how long it waited for it, how fast it ran.
    let text = reqwest::get(format!("http://{metrics_at}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"kino_transcoder_jobs_total{outcome="done"} 1"#,
        r#"kino_transcoder_jobs_total{outcome="failed"} 0"#,
        "kino_transcoder_jobs_running 0",
        "kino_transcoder_lease_wait_seconds_count 1",
        "kino_transcoder_realtime_factor_count 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    // Its log is one JSON object per line.
    let log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "worker registered"),
        "{log}"
    );
}

/// Waits for the ffmpeg processes working in `path` to be gone: a killed process takes the
/// kernel a moment to tear down on a loaded machine, so up to 5 s.
async fn encoders_end(path: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !encoders_in(path).is_empty() {
        assert!(
            Instant::now() < deadline,
            "ffmpeg outlived its worker: {:?}",
            encoders_in(path)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Processes whose command line mentions `path` (ffmpeg and ffprobe runs in a scratch dir).
fn encoders_in(path: &str) -> Vec<u32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let cmd = String::from_utf8_lossy(&c);
                cmd.contains(path) && (cmd.contains("ffmpeg") || cmd.contains("ffprobe"))
            })
        })
        .collect()
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
    // ... and its ffmpeg is encoding.
    let scratch = data.path().join("first").display().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    while encoders_in(&scratch).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first worker never ran ffmpeg"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.0.kill().unwrap();
    let _ = first.0.wait();
    // Its encoder dies with it instead of burning CPU for nobody.
    encoders_end(&scratch).await;
    assert_ne!(
        api.get_video(&video_id).await.unwrap().into_inner().state,
        types::VideoState::Published,
        "the first worker finished before it was killed; the test proves nothing"
    );

    let _second = start_worker(&base, token, data.path(), "second");
    let v = wait_published(&api, &video_id).await;
    // The second attempt published its own version, not the first attempt's (v1).
    let master = v.playback.unwrap().master_url;
    let version: u32 = master
        .split('/')
        .find_map(|seg| seg.strip_prefix('v').and_then(|n| n.parse().ok()))
        .expect("a version in the media URL");
    assert!(version > 1, "published {master}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_stopped_with_sigterm_hands_its_job_back_at_once() {
    let data = tempfile::tempdir().unwrap();
    let token = "graceful-registration-secret";
    // The default two-minute lease: only a released job can be picked up within the test.
    let (_kino, base) =
        start_kino_with(data.path(), 0, &[("KINO_WORKER_REGISTRATION_TOKEN", token)]);
    let mut leaving = start_worker(&base, token, data.path(), "leaving");
    let api = creator(&base, "graceful@example.com").await;
    let video_id = upload(&api, &clip(data.path()).await).await;
    let scratch = data.path().join("leaving").display().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    while encoders_in(&scratch).is_empty() {
        assert!(Instant::now() < deadline, "the worker never ran ffmpeg");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _staying = start_worker(&base, token, data.path(), "staying");
    let stopped = Instant::now();
    let st = Command::new("kill")
        .args(["-TERM", &leaving.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let exit = leaving.0.wait().unwrap();
    assert!(exit.success(), "the worker exits cleanly: {exit}");
    assert!(
        stopped.elapsed() < Duration::from_secs(10),
        "it stops promptly"
    );
    // Its ffmpeg was killed as the worker let go of it.
    encoders_end(&scratch).await;

    let v = wait_published(&api, &video_id).await;
    assert!(
        stopped.elapsed() < Duration::from_secs(100),
        "the job waited for its lease to expire instead of being handed back"
    );
    assert!(v.playback.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_killed_mid_job_comes_back_and_the_job_finishes_without_a_retry() {
    let data = tempfile::tempdir().unwrap();
    let token = "restart-registration-secret";
    let opts = kino::Options {
        workers: 0,
        // On disk: the queue must outlive the process.
        db: None,
        web_dir: None,
        env: vec![("KINO_WORKER_REGISTRATION_TOKEN".into(), token.into())],
        listen: Some(format!("127.0.0.1:{}", free_port())),
    };
    let mut first = kino::start(data.path(), &opts);
    let _worker = start_worker(&first.url, token, data.path(), "steady");
    let api = creator(&first.url, "restart@example.com").await;
    let video_id = upload(&api, &clip(data.path()).await).await;

    let scratch = data.path().join("steady").display().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    while encoders_in(&scratch).is_empty() {
        assert!(Instant::now() < deadline, "the worker never ran ffmpeg");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.process.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second = kino::start(data.path(), &opts);
    assert_eq!(second.url, first.url);

    // The worker kept encoding, reported to the new process, and its attempt was accepted.
    let v = wait_published(&api, &video_id).await;
    let master = v.playback.unwrap().master_url;
    assert!(
        master.contains("/v1/"),
        "not the first attempt's output: {master}"
    );
}

#[tokio::test]
async fn an_interrupted_studio_upload_resumes_in_the_browser_straight_to_the_bucket() {
    use shared::store::ObjectStore;
    let garage = testkit::garage::Garage::start().await;
    let data = tempfile::tempdir().unwrap();
    let env = garage.kino_env();
    let server = kino::start(
        data.path(),
        &kino::Options {
            workers: 0,
            db: Some("mem://".into()),
            web_dir: Some(web_dir()),
            env,
            listen: None,
        },
    );
    let base = server.url.clone();

    // An earlier session opened the upload of this 17 MiB file and sent its first part.
    let file = data.path().join("rushes.mov");
    let bytes: Vec<u8> = (0..(17 * 1024 * 1024) as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&file, &bytes).unwrap();
    let auth = sign_up_by_api(&base, "resume@example.com", None).await;
    let api = client::connect(&base, Some(&auth.token));
    let up = api
        .create_upload(&types::CreateUploadRequest {
            filename: "rushes.mov".into(),
            size: bytes.len() as u64,
            content_type: "video/quicktime".into(),
            title: "Rushes".into(),
            description: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(up.parts[0].url.starts_with(&garage.endpoint));
    let first = reqwest::Client::new()
        .put(&up.parts[0].url)
        .body(bytes[..up.part_size as usize].to_vec())
        .send()
        .await
        .unwrap();
    assert!(first.status().is_success());
    let modified_ms = std::fs::metadata(&file)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let key = format!("kino.upload.{}.{modified_ms}.rushes.mov", bytes.len());

    let (_driver, browser) = start_browser().await;
    browser.goto(&base).await.unwrap();
    browser
        .execute(
            "localStorage.setItem('kino.token', arguments[0]); \
             localStorage.setItem(arguments[1], arguments[2]);",
            vec![
                auth.token.clone().into(),
                key.clone().into(),
                up.upload_id.clone().into(),
            ],
        )
        .await
        .unwrap();
    browser.goto(&format!("{base}/studio")).await.unwrap();
    type_into(&browser, "#file", file.to_str().unwrap()).await;
    set_title(&browser, "Rushes").await;
    click(&browser, "form button[type=submit]").await;

    // The browser sends the two missing parts to the bucket (cross-origin) and completes
    // the same upload; no second upload or video appears.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let st = api.get_upload(&up.upload_id).await.unwrap().into_inner();
        if st.state == types::UploadState::Completed {
            break;
        }
        if Instant::now() > deadline {
            let page = element(&browser, "main").await.text().await.unwrap();
            panic!("the studio never completed the upload; the page says:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mine = api
        .list_my_videos(None, None)
        .await
        .unwrap()
        .into_inner()
        .items;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, up.video_id);
    let copy = data.path().join("stored");
    garage
        .store()
        .await
        .get_to_file(&shared::layout::source_key(&up.video_id), &copy)
        .await
        .unwrap();
    assert!(
        std::fs::read(&copy).unwrap() == bytes,
        "the bytes arrived intact"
    );
    let left = browser
        .execute(
            "return localStorage.getItem(arguments[0]);",
            vec![key.into()],
        )
        .await
        .unwrap();
    assert!(left.is_null(), "a completed upload is forgotten");
    browser.close().await.unwrap();
}

/// Replaces the title the Studio gave the picked file (its name) with `title`.
async fn set_title(browser: &Browser, title: &str) {
    let input = element(browser, ".upload input[name=title]").await;
    input.clear().await.unwrap();
    input.send_keys(title).await.unwrap();
}

/// Two files picked together upload together, each titled after its file until renamed, and
/// both arrive in My videos, published; the filters sort them by state.
#[tokio::test(flavor = "multi_thread")]
async fn a_creator_uploads_two_files_at_once_and_finds_them_in_my_videos() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    let auth = sign_up_by_api(&base, "two@example.com", None).await;
    let clip = clip(data.path()).await;
    let first = data.path().join("morning_walk.mp4");
    let second = data.path().join("evening-walk.mp4");
    std::fs::copy(&clip, &first).unwrap();
    std::fs::copy(&clip, &second).unwrap();

    let (_driver, browser) = start_browser().await;
    sign_in_browser(&browser, &base, &auth.token).await;
    browser.goto(&format!("{base}/studio")).await.unwrap();
    until(
        &browser,
        15,
        "an empty My videos",
        "return document.querySelector('.my-videos-section .status')?.textContent;",
        |v| v.as_str().is_some_and(|t| t.starts_with("No videos yet")),
    )
    .await;
    type_into(
        &browser,
        "#file",
        &format!("{}\n{}", first.display(), second.display()),
    )
    .await;
    let titles = until(
        &browser,
        15,
        "two rows titled after their files",
        "return [...document.querySelectorAll('.upload input[name=title]')].map(i => i.value);",
        |v| v.as_array().is_some_and(|a| a.len() == 2),
    )
    .await;
    assert_eq!(titles, serde_json::json!(["morning walk", "evening walk"]));
    accessible(&browser, "/studio").await;
    // The claim below is about a page whose socket is up.
    element(&browser, ".studio[data-live=up]").await;
    click(&browser, "form button[type=submit]").await;
    until(
        &browser,
        180,
        "both published",
        "return [...document.querySelectorAll('.upload a')].filter(a => a.textContent === 'Watch it').length;",
        |v| v == 2,
    )
    .await;
    let rows = until(
        &browser,
        15,
        "both in My videos, published",
        "return [...document.querySelectorAll('.my-videos tbody tr')].map(r => r.dataset.state + ' ' + r.children[1].querySelector('a').textContent);",
        |v| {
            v.as_array().is_some_and(|a| {
                a.len() == 2
                    && a.iter()
                        .all(|r| r.as_str().is_some_and(|r| r.starts_with("published")))
            })
        },
    )
    .await;
    let mut rows: Vec<String> = serde_json::from_value(rows).unwrap();
    rows.sort();
    assert_eq!(rows, ["published evening walk", "published morning walk"]);
    screenshot(&browser, "studio-two-uploads").await;
    // Processing was followed over the socket: the page never asked the api where a video was.
    let asked = js(
        &browser,
        "return performance.getEntriesByType('resource').filter(e => /\\/api\\/v1\\/videos\\/[^/]+$/.test(new URL(e.name).pathname)).length;",
    )
    .await;
    assert_eq!(asked, 0, "get_video requests while the socket was up");
    // Nothing failed: the Failed filter says so; Published shows both again.
    let chip = |label: &'static str| {
        format!(
            "[...document.querySelectorAll('.my-videos-section .chip')].find(c => c.textContent === '{label}').click(); return null;"
        )
    };
    js(&browser, &chip("Failed")).await;
    until(
        &browser,
        10,
        "the empty Failed filter",
        "return document.querySelector('.my-videos-section .status')?.textContent;",
        |v| v == "None of your videos is failed.",
    )
    .await;
    js(&browser, &chip("Published")).await;
    until(
        &browser,
        10,
        "the Published filter",
        "return document.querySelectorAll('.my-videos tbody tr').length;",
        |v| v == 2,
    )
    .await;
    browser.close().await.unwrap();
}

/// A creator edits a video in the Studio: renames it and makes it private (a signed-out
/// viewer loses it), picks another poster, is told why a file that is not WebVTT was refused,
/// adds English subtitles (listed in the master playlist), then deletes the video; another
/// creator cannot open it for editing.
#[tokio::test(flavor = "multi_thread")]
async fn a_creator_edits_a_video_adds_subtitles_and_deletes_it() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino(data.path());
    let auth = sign_up_by_api(&base, "editor@example.com", None).await;
    let api = client::connect(&base, Some(&auth.token));
    let id = upload_titled(&api, &clip(data.path()).await, "First cut").await;
    let published = wait_published(&api, &id).await;
    let options = published.playback.unwrap().poster_options;
    assert!(options.len() > 1, "the transcoder offers several posters");

    let (_driver, browser) = start_browser().await;
    sign_in_browser(&browser, &base, &auth.token).await;
    browser
        .goto(&format!("{base}/studio/video/{id}"))
        .await
        .unwrap();
    let title = element(&browser, "#edit-title").await;
    title.clear().await.unwrap();
    title.send_keys("Renamed in the studio").await.unwrap();
    element(&browser, "#edit-visibility")
        .await
        .select_by_value("private")
        .await
        .unwrap();
    click(
        &browser,
        "form[aria-labelledby=details-heading] button[type=submit]",
    )
    .await;
    until(&browser, 15, "saved", "return document.querySelector('form[aria-labelledby=details-heading] .notice')?.textContent;", |v| v == "Saved.").await;
    let v = api.get_video(&id).await.unwrap().into_inner();
    assert_eq!(v.title, "Renamed in the studio");
    assert_eq!(v.visibility, types::Visibility::Private);
    // Tags set, then cleared: an empty field clears them.
    type_into(&browser, "#edit-tags", "sunset, coast").await;
    click(
        &browser,
        "form[aria-labelledby=details-heading] button[type=submit]",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while api.get_video(&id).await.unwrap().into_inner().tags != ["sunset", "coast"] {
        assert!(Instant::now() < deadline, "the tags were not saved");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Select all and delete, as a person does (so the page hears the input).
    type_into(&browser, "#edit-tags", "\u{E009}a\u{E000}\u{E017}").await;
    click(
        &browser,
        "form[aria-labelledby=details-heading] button[type=submit]",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !api
        .get_video(&id)
        .await
        .unwrap()
        .into_inner()
        .tags
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the tags were not cleared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let stranger = client::connect(&base, None).get_video(&id).await;
    assert_eq!(
        stranger.unwrap_err().status().map(|s| s.as_u16()),
        Some(404)
    );
    accessible(&browser, "/studio/video").await;

    // Another poster.
    click(&browser, ".poster-choice:nth-child(2)").await;
    until(
        &browser,
        15,
        "the poster changed",
        "return document.querySelector('.posters .notice')?.textContent;",
        |v| v == "Poster changed.",
    )
    .await;
    let v = api.get_video(&id).await.unwrap().into_inner();
    assert_eq!(v.poster, 1);

    // A file that is not WebVTT is refused with the api's reason; a real one is added.
    let bad = data.path().join("notes.vtt");
    std::fs::write(&bad, "these are not subtitles").unwrap();
    type_into(&browser, "#vtt-file", bad.to_str().unwrap()).await;
    type_into(&browser, "#vtt-language", "en").await;
    type_into(&browser, "#vtt-label", "English").await;
    click(&browser, ".subtitles-section button[type=submit]").await;
    let refused = until(
        &browser,
        15,
        "the refusal",
        "return document.querySelector('.subtitles-section .error')?.textContent;",
        |v| v.is_string(),
    )
    .await;
    assert!(refused.as_str().unwrap().contains("WEBVTT"), "{refused}");
    let good = data.path().join("english.vtt");
    std::fs::write(
        &good,
        "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nHello from the Studio\n",
    )
    .unwrap();
    type_into(&browser, "#vtt-file", good.to_str().unwrap()).await;
    until(
        &browser,
        15,
        "the preview",
        "return document.querySelector('.vtt-preview')?.textContent;",
        |v| {
            v.as_str()
                .is_some_and(|t| t.contains("Hello from the Studio"))
        },
    )
    .await;
    click(&browser, ".subtitles-section button[type=submit]").await;
    element(&browser, ".subtitles li[data-language=en]").await;
    let master = api
        .get_video(&id)
        .await
        .unwrap()
        .into_inner()
        .playback
        .unwrap()
        .master_url;
    let master = if master.starts_with('/') {
        format!("{base}{master}")
    } else {
        master
    };
    let playlist = reqwest::get(&master).await.unwrap().text().await.unwrap();
    assert!(
        playlist.contains("TYPE=SUBTITLES") && playlist.contains("LANGUAGE=\"en\""),
        "{playlist}"
    );
    screenshot(&browser, "studio-edit").await;

    // Someone else cannot open it for editing.
    let other = sign_up_by_api(&base, "other@example.com", None).await;
    sign_in_browser(&browser, &base, &other.token).await;
    browser
        .goto(&format!("{base}/studio/video/{id}"))
        .await
        .unwrap();
    element(&browser, ".status-page .error").await;
    assert!(
        browser
            .find(fantoccini::Locator::Css("#edit-title"))
            .await
            .is_err()
    );

    // The owner deletes it, after saying yes.
    sign_in_browser(&browser, &base, &auth.token).await;
    browser
        .goto(&format!("{base}/studio/video/{id}"))
        .await
        .unwrap();
    click(&browser, ".danger button").await;
    click(&browser, ".danger .danger-button").await;
    until(
        &browser,
        15,
        "back in the Studio",
        "return location.pathname;",
        |v| v == "/studio",
    )
    .await;
    let gone = api.get_video(&id).await;
    assert!(
        gone.as_ref().is_err() || gone.unwrap().into_inner().state == types::VideoState::Deleted,
        "the video is deleted"
    );
    browser.close().await.unwrap();
}

/// A file over the installation's limit is refused before any byte of it is sent, with the
/// api's reason on its row; nothing is created.
#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_file_is_refused_before_it_is_sent() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino_with(data.path(), 0, &[("KINO_MAX_UPLOAD_BYTES", "1000000")]);
    let auth = sign_up_by_api(&base, "big@example.com", None).await;
    let file = clip(data.path()).await;
    assert!(std::fs::metadata(&file).unwrap().len() > 1_000_000);
    let (_driver, browser) = start_browser().await;
    sign_in_browser(&browser, &base, &auth.token).await;
    browser.goto(&format!("{base}/studio")).await.unwrap();
    type_into(&browser, "#file", file.to_str().unwrap()).await;
    click(&browser, "form button[type=submit]").await;
    let said = until(
        &browser,
        15,
        "the refusal",
        "return document.querySelector('.upload .error')?.textContent;",
        |v| v.is_string(),
    )
    .await;
    assert!(
        said.as_str().unwrap().contains("the limit is 1000000"),
        "{said}"
    );
    let sent = js(
        &browser,
        "return performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname.startsWith('/parts/')).length;",
    )
    .await;
    assert_eq!(sent, 0, "no part was sent");
    let mine = client::connect(&base, Some(&auth.token))
        .list_my_videos(None, None)
        .await
        .unwrap()
        .into_inner()
        .items;
    assert!(mine.is_empty(), "nothing was created: {mine:?}");
    browser.close().await.unwrap();
}
