//! The queue's order: creators with fewer recent uploads go first, then the oldest job.

use crate::helpers::{REGISTRATION, spawn_app, spawn_app_with};
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

    let worker = app
        .anon()
        .register_worker(&types::RegisterWorkerRequest {
            name: "w".into(),
            registration_token: REGISTRATION.into(),
        })
        .await
        .unwrap()
        .into_inner();
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
}

/// `workers` registered workers lease concurrently until the queue is empty, completing or
/// failing what they get; returns every (job, attempt) leased.
async fn race(app: &crate::helpers::TestApp, workers: usize) -> Vec<(String, u32)> {
    let mut tasks = Vec::new();
    for i in 0..workers {
        let reg = app
            .anon()
            .register_worker(&types::RegisterWorkerRequest {
                name: format!("racer-{i}"),
                registration_token: REGISTRATION.into(),
            })
            .await
            .unwrap()
            .into_inner();
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
