//! Seek previews and subtitles on a published video: the storyboard index and its sheets, and
//! WebVTT tracks that appear in (and leave) the master playlist as an HLS subtitle group.

use crate::helpers::{clip, code, spawn_app};
use shared::client::types;

const VTT: &str = "WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n\n00:02.000 --> 00:04.000\nWorld\n";

fn subtitle(language: &str, label: &str, vtt: &str) -> types::AddSubtitleRequest {
    types::AddSubtitleRequest {
        language: language.into(),
        label: label.into(),
        vtt: vtt.into(),
    }
}

#[tokio::test]
async fn storyboards_and_subtitle_tracks_reach_the_player() {
    let app = spawn_app(1).await;
    let (token, _) = app.user("creator").await;
    let (other, _) = app.user("other").await;
    let video_id = app
        .upload(&token, &clip(960, 540, 4).await, "Captioned")
        .await;
    let v = app.wait_terminal(&token, &video_id).await;
    let playback = v.playback.expect("published");
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move { http.get(url).send().await.unwrap() }
    };

    // Storyboard: a WebVTT index of tiles in sprite sheets next to it.
    let sb_url = format!(
        "{}{}",
        app.base,
        playback.storyboard_url.expect("a storyboard")
    );
    let sb = get(sb_url.clone()).await;
    assert_eq!(sb.status(), 200);
    assert!(
        sb.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/vtt")
    );
    let index = sb.text().await.unwrap();
    let tile = index
        .lines()
        .find(|l| l.contains("#xywh="))
        .expect("a tile cue");
    let sheet = tile.split('#').next().unwrap();
    let base = sb_url.rsplit_once('/').unwrap().0;
    let img = get(format!("{base}/{sheet}")).await;
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/jpeg");

    // Subtitles: only the owner adds them, and only WebVTT with a proper language tag.
    let c = app.as_user(&token);
    assert_eq!(
        code(
            app.as_user(&other)
                .add_subtitle(&video_id, &subtitle("en", "English", VTT))
                .await
        ),
        (403, "forbidden".into())
    );
    assert_eq!(
        code(
            c.add_subtitle(
                &video_id,
                &subtitle("en", "English", "1\n00:00:00,000 --> x\n")
            )
            .await
        ),
        (400, "invalid_subtitle".into())
    );
    assert_eq!(
        code(
            c.add_subtitle(&video_id, &subtitle("../../x", "English", VTT))
                .await
        ),
        (400, "invalid_language".into())
    );
    c.add_subtitle(&video_id, &subtitle("en", "English", VTT))
        .await
        .unwrap();
    c.add_subtitle(&video_id, &subtitle("fr", "Français", VTT))
        .await
        .unwrap();
    let listed = app
        .anon()
        .list_subtitles(&video_id)
        .await
        .unwrap()
        .into_inner();
    let langs: Vec<&str> = listed.iter().map(|s| s.language.as_str()).collect();
    assert_eq!(langs, ["en", "fr"]);

    let master_url = format!("{}{}", app.base, playback.master_url);
    let master = get(master_url.clone()).await.text().await.unwrap();
    assert!(
        master.contains(
            "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\""
        ),
        "{master}"
    );
    assert!(master.contains("NAME=\"Français\",LANGUAGE=\"fr\""));
    assert!(
        master
            .lines()
            .filter(|l| l.starts_with("#EXT-X-STREAM-INF"))
            .all(|l| l.ends_with(",SUBTITLES=\"subs\"")),
        "{master}"
    );
    let base = master_url.rsplit_once('/').unwrap().0.to_owned();
    let track = get(format!("{base}/subs/en.m3u8"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        track.contains("#EXTINF:") && track.contains("\nen.vtt\n"),
        "{track}"
    );
    let vtt = get(format!("{base}/subs/en.vtt")).await;
    assert_eq!(vtt.status(), 200);
    assert_eq!(vtt.text().await.unwrap(), VTT);
    assert_eq!(get(format!("{base}/subs/de.vtt")).await.status(), 404);

    // Removing both leaves the master as the transcoder wrote it.
    c.delete_subtitle(&video_id, "en").await.unwrap();
    c.delete_subtitle(&video_id, "fr").await.unwrap();
    assert_eq!(
        code(c.delete_subtitle(&video_id, "fr").await),
        (404, "subtitle_not_found".into())
    );
    let master = get(master_url.clone()).await.text().await.unwrap();
    assert!(!master.contains("SUBTITLES"), "{master}");
    assert_eq!(get(format!("{base}/subs/en.vtt")).await.status(), 404);
}

#[tokio::test]
async fn the_lowest_rung_is_published_first_and_the_ladder_replaces_it() {
    let app = crate::helpers::spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        1,
        |s| {
            s.first_playable_min_s = 0.0;
            s.media_url_ttl_s = 4;
            s.media_url_window_s = 1;
            s.upload_sweep_interval_s = 1;
        },
    )
    .await;
    let (token, _) = app.user("creator").await;
    let video_id = app.upload(&token, &clip(960, 540, 4).await, "Quick").await;
    // Published (playable) early; the job goes on to the whole ladder.
    let v = app.wait_terminal(&token, &video_id).await;
    assert_eq!(v.state, types::VideoState::Published);
    let mut done = false;
    for _ in 0..600 {
        let mut r = app
            .db
            .query("SELECT VALUE state FROM job WHERE video_id = $v")
            .bind(("v", video_id.clone()))
            .await
            .unwrap();
        let states: Vec<String> = r.take(0).unwrap();
        if states == ["done"] {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(done, "the ladder finished");
    let v = app
        .as_user(&token)
        .get_video(&video_id)
        .await
        .unwrap()
        .into_inner();

    let mut r = app
        .db
        .query(
            "SELECT version, first_playable_version, first_playable_at, finished_at FROM job WHERE video_id = $v",
        )
        .bind(("v", video_id.clone()))
        .await
        .unwrap();
    let jobs: Vec<serde_json::Value> = r.take(0).unwrap();
    let job = &jobs[0];
    let (full, preview) = (
        job["version"].as_u64().unwrap() as u32,
        job["first_playable_version"].as_u64().unwrap() as u32,
    );
    let (preview_at, finished_at) = (
        job["first_playable_at"].as_str().unwrap(),
        job["finished_at"].as_str().unwrap(),
    );
    assert!(
        preview_at < finished_at,
        "published first: {preview_at} < {finished_at}"
    );

    use shared::store::ObjectStore;
    let store = app.store().await;
    let read = |version: u32| {
        let store = store.clone();
        let video_id = video_id.clone();
        async move {
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("m");
            let key = format!(
                "{}/master.m3u8",
                shared::layout::version_prefix(&video_id, version)
            );
            store
                .get_to_file(&key, &f)
                .await
                .map(|_| std::fs::read_to_string(&f).unwrap())
        }
    };
    let first = read(preview).await.expect("the first playable version");
    assert_eq!(first.matches("#EXT-X-STREAM-INF").count(), 1, "{first}");
    assert!(first.contains("RESOLUTION=640x360"));
    let ladder = read(full).await.unwrap();
    assert_eq!(ladder.matches("#EXT-X-STREAM-INF").count(), 2, "{ladder}");
    let master = reqwest::get(format!("{}{}", app.base, v.playback.unwrap().master_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(master, ladder, "viewers now get the whole ladder");

    // Once no signed URL for it can be live, the replaced version is dropped.
    let mut gone = false;
    for _ in 0..100 {
        if read(preview).await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "the first playable version was dropped");
    assert!(read(full).await.is_ok());
}

/// Workers older than the name `first_playable` read `preview_prefix` and call
/// `publish_preview`: both still work, with the codes they knew.
#[tokio::test]
#[allow(deprecated)]
async fn workers_using_the_former_preview_names_still_publish_first() {
    let app = crate::helpers::spawn_app(0).await;
    let (token, _) = app.user("creator").await;
    let file = app.dir.path().join("take.mp4");
    std::fs::write(&file, vec![1u8; 2048]).unwrap();
    let video = app.upload(&token, &file, "Old worker").await;
    let worker = app.worker("old").await;
    let w = app.as_user(&worker.token);
    let job = w
        .lease_job(&shared::client::types::LeaseRequest { wait_s: Some(0) })
        .await
        .unwrap()
        .into_inner()
        .job
        .expect("a job is queued");
    assert!(job.first_playable_prefix.is_some());
    assert_eq!(job.preview_prefix, job.first_playable_prefix);
    let body = shared::client::types::CompleteJobRequest {
        attempt: job.attempt,
        job_token: job.job_token.clone(),
        duration_s: 4.0,
    };
    w.publish_preview(&job.job_id, &body).await.unwrap();
    let v = app
        .as_user(&token)
        .get_video(&video)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.state, shared::client::types::VideoState::Published);
    // A job that does not exist is refused the same way under either name.
    let stray = "01J00000000000000000000000";
    assert_eq!(
        crate::helpers::code(w.publish_first_playable(stray, &body).await).0,
        crate::helpers::code(w.publish_preview(stray, &body).await).0,
    );
}
