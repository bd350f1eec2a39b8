use crate::helpers::{clip, code, put_parts, spawn_app, spawn_app_with};
use shared::client::types;
use shared::store::ObjectStore;
use std::time::Duration;

fn request(size: u64) -> types::CreateUploadRequest {
    types::CreateUploadRequest {
        filename: "holiday.mp4".into(),
        size,
        content_type: "video/mp4".into(),
        title: "Holiday".into(),
        description: Some("Sun and sea".into()),
    }
}

#[tokio::test]
async fn a_clip_is_uploaded_transcoded_and_published() {
    let app = spawn_app(1).await;
    let (token, user_id) = app.user("creator").await;
    let src = clip(960, 540, 4).await;
    let video_id = app.upload(&token, &src, "Test pattern").await;
    let v = app.wait_terminal(&token, &video_id).await;
    assert_eq!(
        v.state,
        types::VideoState::Published,
        "failure: {:?}",
        v.failure_reason
    );
    assert_eq!(v.owner_id, user_id);
    assert!((v.duration_s.unwrap() - 4.0).abs() < 0.5);
    let playback = v.playback.expect("published videos carry playback URLs");
    assert!(playback.master_url.contains("/media/"));

    // Anyone may now see it, in the listing too.
    let anon = app.anon().get_video(&video_id).await.unwrap().into_inner();
    assert_eq!(anon.title, "Test pattern");
    let page = app
        .anon()
        .list_videos(None, None, None, None, None, None, None)
        .await
        .unwrap()
        .into_inner();
    assert!(page.items.iter().any(|i| i.id == video_id));
}

#[tokio::test]
async fn a_file_that_is_not_a_video_fails_with_a_reason_and_the_server_keeps_serving() {
    let app = spawn_app(1).await;
    let (token, _) = app.user("creator").await;
    // Over 8 MiB, so it also travels as two parts.
    let path = app.dir.path().join("notes.mp4");
    let junk: Vec<u8> = (0..9 * 1024 * 1024u32)
        .map(|i| b"plain text, not a video\n"[(i % 24) as usize])
        .collect();
    std::fs::write(&path, &junk).unwrap();
    let video_id = app.upload(&token, &path, "Not a video").await;
    let v = app.wait_terminal(&token, &video_id).await;
    assert_eq!(v.state, types::VideoState::Failed);
    let reason = v.failure_reason.expect("a failed video says why");
    assert!(reason.contains("not a video"), "reason: {reason}");
    assert!(v.playback.is_none());
    // Failed videos stay private to their owner.
    assert_eq!(
        code(app.anon().get_video(&video_id).await),
        (404, "video_not_found".into())
    );
    let health = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn bad_upload_requests_get_clear_codes_and_change_nothing() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("creator").await;
    let (other, _) = app.user("other").await;
    let c = app.as_user(&token);

    assert_eq!(
        code(app.anon().create_upload(&request(10)).await),
        (401, "unauthenticated".into())
    );
    assert_eq!(
        code(c.create_upload(&request(0)).await),
        (400, "empty_upload".into())
    );
    assert_eq!(
        code(c.create_upload(&request(60 * 1024 * 1024 * 1024)).await),
        (413, "upload_too_large".into())
    );
    let mut untitled = request(10);
    untitled.title = " ".into();
    assert_eq!(
        code(c.create_upload(&untitled).await),
        (400, "invalid_title".into())
    );

    let data = vec![7u8; 9 * 1024 * 1024];
    let up = c
        .create_upload(&request(data.len() as u64))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(up.part_size, 8 * 1024 * 1024);
    assert_eq!(up.parts.len(), 2);

    // Only the first part so far: the server reports exactly that, for resuming.
    let first = put_parts(&up.parts[..1], up.part_size, &data).await;
    let status = c.get_upload(&up.upload_id).await.unwrap().into_inner();
    assert_eq!(status.received.len(), 1);
    assert_eq!(status.received[0].etag, first[0].etag);
    assert_eq!(status.state, types::UploadState::Open);

    // Someone else can neither see nor complete it.
    let stranger = app.as_user(&other);
    assert_eq!(
        code(stranger.get_upload(&up.upload_id).await),
        (404, "upload_not_found".into())
    );
    let all = put_parts(&up.parts, up.part_size, &data).await;
    let body = types::CompleteUploadRequest { parts: all.clone() };
    assert_eq!(
        code(stranger.complete_upload(&up.upload_id, &body).await),
        (404, "upload_not_found".into())
    );

    // Wrong part lists and ETags are refused.
    let missing = types::CompleteUploadRequest {
        parts: all[..1].to_vec(),
    };
    assert_eq!(
        code(c.complete_upload(&up.upload_id, &missing).await),
        (400, "upload_parts_invalid".into())
    );
    let mut forged = all.clone();
    forged[1].etag = "\"0000\"".into();
    let forged = types::CompleteUploadRequest { parts: forged };
    assert_eq!(
        code(c.complete_upload(&up.upload_id, &forged).await),
        (400, "upload_etag_mismatch".into())
    );

    // A tampered part URL is refused.
    let tampered = up.parts[0].url.replace("sig=", "sig=x");
    let r = reqwest::Client::new()
        .put(tampered)
        .body(vec![1u8; 4])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // An oversized part is cut off.
    let r = reqwest::Client::new()
        .put(&up.parts[1].url)
        .body(vec![1u8; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // A short part is refused and does not replace the good copy already stored.
    let r = reqwest::Client::new()
        .put(&up.parts[0].url)
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let status = c.get_upload(&up.upload_id).await.unwrap().into_inner();
    assert_eq!(status.received[0].etag, all[0].etag);

    // Nothing above broke the upload: the real parts still complete it, once.
    let parts = put_parts(&up.parts[1..], up.part_size, &data).await;
    let body = types::CompleteUploadRequest {
        parts: vec![all[0].clone(), parts[0].clone()],
    };
    let v = c
        .complete_upload(&up.upload_id, &body)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.state, types::VideoState::Queued);
    assert_eq!(
        code(c.complete_upload(&up.upload_id, &body).await),
        (409, "upload_already_completed".into())
    );
    let source = app
        .dir
        .path()
        .join("objects/sources")
        .join(&up.video_id)
        .join("source");
    assert_eq!(std::fs::read(source).unwrap(), data);
}

#[tokio::test]
async fn an_aborted_upload_drops_its_parts_and_its_video() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("creator").await;
    let c = app.as_user(&token);
    let data = vec![1u8; 1000];
    let up = c.create_upload(&request(1000)).await.unwrap().into_inner();
    put_parts(&up.parts, up.part_size, &data).await;
    c.abort_upload(&up.upload_id).await.unwrap();
    // No parts are left behind in the store.
    let leftovers = std::fs::read_dir(app.dir.path().join("objects/uploads"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0);
    assert_eq!(
        code(c.get_video(&up.video_id).await),
        (404, "video_not_found".into())
    );
    let body = types::CompleteUploadRequest { parts: vec![] };
    assert_eq!(
        code(c.complete_upload(&up.upload_id, &body).await),
        (409, "upload_aborted".into())
    );
}

#[tokio::test]
async fn racing_workers_never_lease_one_job_twice() {
    let app = spawn_app(3).await;
    let (token, _) = app.user("creator").await;
    let src = clip(640, 360, 2).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(app.upload(&token, &src, &format!("Race {i}")).await);
    }
    for id in &ids {
        let v = app.wait_terminal(&token, id).await;
        assert_eq!(
            v.state,
            types::VideoState::Published,
            "{:?}",
            v.failure_reason
        );
        // Each lease reserves the next version: a second lease of the same job would show here.
        let master = v.playback.unwrap().master_url;
        assert!(
            master.contains("/v1/"),
            "{id} was leased more than once: {master}"
        );
    }
}

#[tokio::test]
async fn deleting_a_queued_video_cancels_its_job() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("creator").await;
    let id = app
        .upload(&token, &clip(640, 360, 2).await, "Short-lived")
        .await;
    let c = app.as_user(&token);
    c.delete_video(&id).await.unwrap();
    assert_eq!(
        code(c.get_video(&id).await),
        (404, "video_not_found".into())
    );
    // A worker arriving now finds nothing to do.
    let reg = app.worker("late").await;
    let lease = app
        .as_user(&reg.token)
        .lease_job(&types::LeaseRequest { wait_s: Some(0) })
        .await
        .unwrap()
        .into_inner();
    assert!(
        lease.job.is_none(),
        "the deleted video's job was handed out: {lease:?}"
    );
    // Workers need the installation's token to register.
    let forged = types::RegisterWorkerRequest {
        name: "rogue".into(),
        registration_token: "guess".into(),
    };
    assert_eq!(
        code(app.anon().register_worker(&forged).await),
        (403, "forbidden".into())
    );
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn deleting_leaves_no_object_behind_open_uploads_and_running_jobs() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| {
            // A second pass comes once a worker's lease could have lapsed: short here.
            s.job_lease_s = 1;
            s.upload_sweep_interval_s = 1;
        },
    )
    .await;
    let (token, _) = app.user("creator").await;
    let c = app.as_user(&token);
    let objects = app.dir.path().join("objects");

    // An upload with a part sent, then the video deleted before it completes.
    let data = vec![3u8; 9 * 1024 * 1024];
    let open = c
        .create_upload(&types::CreateUploadRequest {
            filename: "half.mp4".into(),
            size: data.len() as u64,
            content_type: "video/mp4".into(),
            title: "Half sent".into(),
            description: None,
        })
        .await
        .unwrap()
        .into_inner();
    put_parts(&open.parts[..1], open.part_size, &data).await;
    assert!(files_under(&objects).iter().any(|f| f.ends_with(".part")));

    // A video whose job a worker is running, still writing renditions as it is deleted.
    let running = app
        .upload(&token, &clip(640, 360, 2).await, "Being transcoded")
        .await;
    let reg = app.worker("busy").await;
    let lease = app
        .as_user(&reg.token)
        .lease_job(&types::LeaseRequest { wait_s: Some(0) })
        .await
        .unwrap()
        .into_inner()
        .job
        .expect("the job is queued");
    assert_eq!(lease.video_id, running);
    let store = &app.state.store;
    let segment = |n: u32| {
        let version = lease.version;
        format!(
            "{}/360p/seg_{n:05}.m4s",
            shared::layout::version_prefix(&running, version)
        )
    };
    store
        .put_bytes(&segment(0), vec![1u8; 100].into())
        .await
        .unwrap();

    c.delete_video(&open.video_id).await.unwrap();
    c.delete_video(&running).await.unwrap();
    // The worker does not know yet: one more segment lands after the deletion.
    store
        .put_bytes(&segment(1), vec![1u8; 100].into())
        .await
        .unwrap();
    let heartbeat = app
        .as_user(&reg.token)
        .heartbeat_job(
            &lease.job_id,
            &types::HeartbeatRequest {
                attempt: lease.attempt,
                job_token: lease.job_token.clone(),
                progress: 50.0,
            },
        )
        .await;
    assert_eq!(code(heartbeat), (409, "job_lease_lost".into()));

    // The first pass goes at once; the second once the lease has lapsed (2 s here).
    let mut left = Vec::new();
    for _ in 0..150 {
        left = files_under(&objects)
            .into_iter()
            .filter(|f| f.contains(&open.video_id) || f.contains(&running) || f.ends_with(".part"))
            .collect();
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(left.is_empty(), "left behind: {left:?}");
    // The upload was aborted with its video.
    let up = c.get_upload(&open.upload_id).await.unwrap().into_inner();
    assert_eq!(up.state, types::UploadState::Aborted);
}
