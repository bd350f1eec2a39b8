//! The queue's order: creators with fewer recent uploads go first, then the oldest job.

use crate::helpers::{sample, scrape, spawn_app, spawn_app_with};
use shared::client::types;

#[tokio::test]
async fn a_creator_with_one_upload_is_not_stuck_behind_another_creators_batch() {
    let app = spawn_app(0).await;
    let (busy, _) = app.user("busy").await;
    let (occasional, _) = app.user("occasional").await;
    let file = app.dir.path().join("take.mp4");
    std::fs::write(&file, vec![1u8; 2048]).unwrap();
    let mut batch = Vec::new();
    for i in 0..3 {
        batch.push(app.upload(&busy, &file, &format!("batch {i}")).await);
    }
    let single = app.upload(&occasional, &file, "the only one").await;

    let worker = app.worker("w").await;
    let w = app.as_user(&worker.token);
    let mut order = Vec::new();
    for _ in 0..4 {
        let lease = w
            .lease_job(&types::LeaseRequest { wait_s: Some(0) })
            .await
            .unwrap()
            .into_inner()
            .job
            .expect("a job is queued");
        order.push(lease.video_id);
    }
    assert_eq!(
        order,
        [batch[0].clone(), single, batch[1].clone(), batch[2].clone()]
    );
    // Each lease notes how long its job waited for a worker.
    let metrics = scrape(&app).await;
    assert_eq!(
        sample(&metrics, "kino_job_queue_wait_seconds_count"),
        Some(4.0),
        "four waits in\n{metrics}"
    );
}

/// `workers` registered workers lease concurrently until the queue is empty, completing or
/// failing what they get; returns every (job, attempt) leased.
async fn race(app: &crate::helpers::TestApp, workers: usize) -> Vec<(String, u32)> {
    let mut tasks = Vec::new();
    for i in 0..workers {
        let reg = app.worker(&format!("racer-{i}")).await;
        let w = app.as_user(&reg.token);
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let lease = w
                    .lease_job(&types::LeaseRequest { wait_s: Some(0) })
                    .await
                    .unwrap()
                    .into_inner();
                let Some(job) = lease.job else { break };
                // Half the attempts fail retryably, so attempts race too; the rest finish.
                if job.attempt == 1 && got.len() % 2 == 0 {
                    w.fail_job(
                        &job.job_id,
                        &types::FailJobRequest {
                            attempt: job.attempt,
                            job_token: job.job_token.clone(),
                            reason: "transient".into(),
                            retryable: true,
                            release: false,
                        },
                    )
                    .await
                    .unwrap();
                } else {
                    w.complete_job(
                        &job.job_id,
                        &types::CompleteJobRequest {
                            attempt: job.attempt,
                            job_token: job.job_token.clone(),
                            duration_s: 1.0,
                        },
                    )
                    .await
                    .unwrap();
                }
                got.push((job.job_id, job.attempt));
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn two_and_eight_racing_workers_never_run_one_attempt_twice() {
    for workers in [2, 8] {
        let app = spawn_app_with(
            tempfile::tempdir().unwrap(),
            Some("mem://".into()),
            0,
            // Failed attempts come back at once, so retries race within the test.
            |s| s.job_retry_base_s = 0,
        )
        .await;
        let (token, _) = app.user("creator").await;
        let file = app.dir.path().join("take.mp4");
        std::fs::write(&file, vec![1u8; 1024]).unwrap();
        let mut videos = Vec::new();
        for i in 0..16 {
            videos.push(app.upload(&token, &file, &format!("race {i}")).await);
        }
        let leased = race(&app, workers).await;
        let mut unique = leased.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            leased.len(),
            "{workers} workers: an attempt ran twice"
        );
        // Every job ended done, each after one or two attempts.
        let mut r = app.db.query("SELECT VALUE state FROM job").await.unwrap();
        let states: Vec<String> = r.take(0).unwrap();
        assert_eq!(states.len(), 16);
        assert!(
            states.iter().all(|s| s == "done"),
            "{workers} workers: {states:?}"
        );
        let jobs: std::collections::HashSet<&String> = leased.iter().map(|(j, _)| j).collect();
        assert_eq!(jobs.len(), 16);
    }
}

#[tokio::test]
async fn a_completion_cut_between_its_writes_leaves_nothing_half_done() {
    let app = spawn_app(0).await;
    let (creator, _) = app.user("creator").await;
    let file = app.dir.path().join("take.mp4");
    std::fs::write(&file, vec![1u8; 2048]).unwrap();
    let video = app.upload(&creator, &file, "cut").await;
    let worker = app.worker("w").await;
    let w = app.as_user(&worker.token);
    let job = w
        .lease_job(&types::LeaseRequest { wait_s: Some(0) })
        .await
        .unwrap()
        .into_inner()
        .job
        .expect("a job is queued");
    let states = || async {
        let mut r = app
            .db
            .query(
                "SELECT VALUE state FROM type::record('job', $job);
                 SELECT VALUE state FROM type::record('video', $video);",
            )
            .bind(("job", job.job_id.clone()))
            .bind(("video", video.clone()))
            .await
            .unwrap();
        let j: Vec<String> = r.take(0).unwrap();
        let v: Vec<String> = r.take(1).unwrap();
        (j[0].clone(), v[0].clone())
    };
    let complete = |duration_s: f64| {
        let body = types::CompleteJobRequest {
            attempt: job.attempt,
            job_token: job.job_token.clone(),
            duration_s,
        };
        let (w, id) = (&w, job.job_id.clone());
        async move { w.complete_job(&id, &body).await }
    };
    // The video's write fails after the job's has been made: a field assertion that this one
    // completion breaks stands in for a crash or a lost connection between the two.
    let inject = "DEFINE FIELD OVERWRITE duration_s ON video ASSERT $value != 42.5";
    app.db.query(inject).await.unwrap().check().unwrap();
    let cut = complete(42.5).await;
    assert_eq!(crate::helpers::code(cut).0, 500);
    assert_eq!(
        states().await,
        ("leased".into(), "processing".into()),
        "neither write stayed"
    );
    // The worker, still holding its lease, completes again once the fault is gone.
    let heal = "REMOVE FIELD duration_s ON video";
    app.db.query(heal).await.unwrap().check().unwrap();
    complete(42.0).await.unwrap();
    assert_eq!(states().await, ("done".into(), "published".into()));
}

#[tokio::test]
async fn admins_revoke_worker_tokens_and_unused_ones_lapse() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| s.worker_token_idle_days = 1,
    )
    .await;
    let (admin, _) = app.admin("admin").await;
    let (creator, _) = app.user("creator").await;
    let (a, b) = (app.worker("a").await, app.worker("b").await);
    let lease = |token: String| {
        let c = app.as_user(&token);
        async move {
            c.lease_job(&types::LeaseRequest { wait_s: Some(0) })
                .await
                .map(|_| ())
        }
    };
    lease(a.token.clone()).await.unwrap();

    assert_eq!(
        crate::helpers::code(app.as_user(&creator).list_workers().await),
        (403, "forbidden".into())
    );
    let listed = app
        .as_user(&admin)
        .list_workers()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.items.len(), 2);
    assert!(listed.items.iter().all(|w| w.revoked_at.is_none()));

    app.as_user(&admin)
        .revoke_worker(&a.worker_id)
        .await
        .unwrap();
    assert_eq!(crate::helpers::code(lease(a.token.clone()).await).0, 401);
    lease(b.token.clone()).await.unwrap();
    assert_eq!(
        crate::helpers::code(app.as_user(&admin).revoke_worker("nobody").await),
        (404, "worker_not_found".into())
    );

    // A token unused for longer than its idle time lapses.
    app.db
        .query("UPDATE type::record('worker', $id) SET seen_at = $then")
        .bind(("id", b.worker_id.clone()))
        .bind(("then", "2020-01-01T00:00:00.000Z"))
        .await
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(crate::helpers::code(lease(b.token.clone()).await).0, 401);
    // Registering again is how a worker comes back.
    lease(app.worker("b again").await.token).await.unwrap();
}

/// The reconciler: videos left `queued` or `processing` with no job that will move them on are
/// repaired, each the way its history calls for; a video with a live job is left alone.
#[tokio::test]
async fn the_reconciler_repairs_videos_no_job_is_moving_on() {
    let app = spawn_app(0).await;
    let (creator, _) = app.user("creator").await;
    let file = app.dir.path().join("take.mp4");
    std::fs::write(&file, vec![1u8; 2048]).unwrap();
    let mut ids = Vec::new();
    for title in ["live", "dead", "done", "lost job", "never sent"] {
        ids.push(app.upload(&creator, &file, title).await);
    }
    let [live, dead, done, lost, never] = ids.try_into().unwrap();
    let sql =
        "UPDATE type::record('job', $dead) SET state = 'dead', last_error = 'ffmpeg: not a video';
         UPDATE type::record('job', $done) SET state = 'done';
         UPDATE type::record('video', $done) SET state = 'processing', published_version = 1;
         DELETE job WHERE video_id = $lost;
         UPDATE type::record('video', $lost) SET state = 'processing';
         DELETE job WHERE video_id = $never;
         UPDATE upload SET state = 'aborted' WHERE video_id = $never;";
    app.db
        .query(sql)
        .bind(("dead", dead.clone()))
        .bind(("done", done.clone()))
        .bind(("lost", lost.clone()))
        .bind(("never", never.clone()))
        .await
        .unwrap()
        .check()
        .unwrap();
    let repaired = api::ingest::reconcile::reconcile(&app.db).await.unwrap();
    assert_eq!(repaired, 4);
    let state = |id: String| {
        let c = app.as_user(&creator);
        async move { c.get_video(&id).await.unwrap().into_inner() }
    };
    assert_eq!(state(live.clone()).await.state, types::VideoState::Queued);
    let d = state(dead).await;
    assert_eq!(d.state, types::VideoState::Failed);
    assert_eq!(d.failure_reason.as_deref(), Some("ffmpeg: not a video"));
    assert_eq!(state(done).await.state, types::VideoState::Published);
    // Its source is complete: a new job is queued for it, which a worker then leases.
    assert_eq!(
        state(lost.clone()).await.state,
        types::VideoState::Processing
    );
    let n = |id: String| {
        let db = app.db.clone();
        async move {
            let mut r = db
                .query("SELECT count() AS n FROM job WHERE video_id = $v AND state = 'queued' GROUP ALL")
                .bind(("v", id))
                .await
                .unwrap();
            let n: Vec<serde_json::Value> = r.take(0).unwrap();
            n.first().map_or(0, |v| v["n"].as_u64().unwrap())
        }
    };
    assert_eq!(n(lost).await, 1);
    let never = state(never).await;
    assert_eq!(never.state, types::VideoState::Failed);
    assert!(never.failure_reason.unwrap().contains("never finished"));
    // A second pass finds nothing to do.
    assert_eq!(api::ingest::reconcile::reconcile(&app.db).await.unwrap(), 0);
    assert_eq!(n(live).await, 1);
}

/// Recoveries, the reconciler and a completion racing to queue one video's transcode queue
/// it once.
#[tokio::test(flavor = "multi_thread")]
async fn racing_enqueues_queue_one_job() {
    let app = spawn_app(0).await;
    let (creator, _) = app.user("creator").await;
    let file = app.dir.path().join("take.mp4");
    std::fs::write(&file, vec![1u8; 2048]).unwrap();
    let video = app.upload(&creator, &file, "once").await;
    app.db
        .query("DELETE job WHERE video_id = $v")
        .bind(("v", video.clone()))
        .await
        .unwrap()
        .check()
        .unwrap();
    let racers = (0..10).map(|_| {
        let (db, v) = (app.db.clone(), video.clone());
        tokio::spawn(async move { api::queue::jobs::enqueue(&db, &v).await })
    });
    for r in futures::future::join_all(racers).await {
        r.unwrap().unwrap();
    }
    let mut r = app
        .db
        .query("SELECT count() AS n FROM job WHERE video_id = $v GROUP ALL")
        .bind(("v", video))
        .await
        .unwrap();
    let n: Vec<serde_json::Value> = r.take(0).unwrap();
    assert_eq!(n[0]["n"], 1);
}

/// A replica that begins to shut down answers a waiting worker at once, without a job, so the
/// worker asks another replica rather than seeing its connection cut when the drain ends.
#[tokio::test]
async fn a_stopping_replica_answers_a_waiting_worker_with_no_job() {
    let app = spawn_app(0).await;
    let worker = app.worker("w").await;
    let w = app.as_user(&worker.token);
    let waiting =
        tokio::spawn(async move { w.lease_job(&types::LeaseRequest { wait_s: Some(60) }).await });
    // Long enough for the request to be in the handler, far shorter than its wait.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(!waiting.is_finished(), "the lease did not wait");
    app.stop().await;
    let lease = waiting
        .await
        .unwrap()
        .expect("the stopping replica answers the lease")
        .into_inner();
    assert!(lease.job.is_none(), "{lease:?}");
}
