//! The admin console's queue and moderation reads: jobs by state, a dead-lettered job queued
//! again with its video, everything else refused with `job_not_dead`, and hidden videos with
//! their reasons; over REST and GraphQL.

use crate::helpers::{TestApp, spawn_app};
use serde_json::json;
use shared::client::types;

/// An admin's token, and a creator's video waiting in the queue (no in-process worker).
async fn admin_and_upload(app: &TestApp, title: &str) -> (String, String) {
    let (admin, _) = app.admin("admin").await;
    let (creator, _) = app.user("creator").await;
    let file = app.dir.path().join("take.mp4");
    std::fs::write(&file, vec![1u8; 2048]).unwrap();
    (admin, app.upload(&creator, &file, title).await)
}

#[tokio::test]
async fn an_admin_retries_a_dead_lettered_job_and_sees_the_queue() {
    let app = spawn_app(0).await;
    let (admin, video) = admin_and_upload(&app, "Broken take").await;
    let a = app.as_user(&admin);

    // A worker fails it for good: the job is dead and the video failed.
    let worker = app.worker("w").await;
    let w = app.as_user(&worker.token);
    let job = w
        .lease_job(&types::LeaseRequest { wait_s: Some(0) })
        .await
        .unwrap()
        .into_inner()
        .job
        .expect("a job is queued");
    w.fail_job(
        &job.job_id,
        &types::FailJobRequest {
            attempt: job.attempt,
            job_token: job.job_token.clone(),
            reason: "ffmpeg could not read the file".into(),
            retryable: false,
            release: false,
        },
    )
    .await
    .unwrap();
    let dead = a
        .list_jobs(Some(types::JobState::Dead))
        .await
        .unwrap()
        .into_inner()
        .items;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].job_id, job.job_id);
    assert_eq!(dead[0].title.as_deref(), Some("Broken take"));
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("ffmpeg could not read the file")
    );
    assert_eq!(
        dead[0].worker_id.as_deref(),
        Some(worker.worker_id.as_str())
    );
    let v = a.get_video(&video).await.unwrap().into_inner();
    assert_eq!(v.state, types::VideoState::Failed);

    // Retried: queued again with fresh attempts, and so is its video.
    a.retry_job(&job.job_id).await.unwrap();
    let queued = a
        .list_jobs(Some(types::JobState::Queued))
        .await
        .unwrap()
        .into_inner()
        .items;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].attempt, 0);
    let v = a.get_video(&video).await.unwrap().into_inner();
    assert_eq!(v.state, types::VideoState::Queued);
    assert!(v.failure_reason.is_none());
    // A worker gets it again.
    let again = w
        .lease_job(&types::LeaseRequest { wait_s: Some(0) })
        .await
        .unwrap()
        .into_inner()
        .job
        .expect("the retried job is leased");
    assert_eq!(again.job_id, job.job_id);
    assert_eq!(again.attempt, 1);

    // Only a dead job can be retried; an unknown one is not found.
    let running = a.retry_job(&job.job_id).await.unwrap_err();
    assert_eq!(shared::client::error_code(&running).1, "job_not_dead");
    let unknown = a.retry_job("01JNOSUCHJOB0000000000000").await.unwrap_err();
    assert_eq!(shared::client::error_code(&unknown).1, "job_not_found");

    // The same through GraphQL.
    let r = app
        .graphql(
            Some(&admin),
            "{ jobs(state: LEASED) { id state attempt title workerId } }",
        )
        .await;
    assert_eq!(r["data"]["jobs"][0]["id"], json!(job.job_id), "{r}");
    assert_eq!(r["data"]["jobs"][0]["state"], "LEASED");
    let r = app
        .graphql(
            Some(&admin),
            &format!(r#"mutation {{ retryJob(id: "{}") }}"#, job.job_id),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "job_not_dead", "{r}");
}

#[tokio::test]
async fn hidden_videos_are_listed_with_their_reasons_for_admins() {
    let app = spawn_app(0).await;
    let (admin, video) = admin_and_upload(&app, "Spam").await;
    let a = app.as_user(&admin);
    assert!(
        a.list_hidden_videos()
            .await
            .unwrap()
            .into_inner()
            .items
            .is_empty()
    );
    a.hide_video(
        &video,
        &types::HideVideoRequest {
            reason: "advertising".into(),
        },
    )
    .await
    .unwrap();
    let hidden = a.list_hidden_videos().await.unwrap().into_inner().items;
    assert_eq!(hidden.len(), 1);
    assert_eq!(hidden[0].id, video);
    assert_eq!(hidden[0].moderation.as_ref().unwrap().reason, "advertising");
    let r = app
        .graphql(
            Some(&admin),
            "{ hiddenVideos { id moderation { reason } } }",
        )
        .await;
    assert_eq!(
        r["data"]["hiddenVideos"][0]["moderation"]["reason"], "advertising",
        "{r}"
    );
    a.restore_video(&video).await.unwrap();
    assert!(
        a.list_hidden_videos()
            .await
            .unwrap()
            .into_inner()
            .items
            .is_empty()
    );
}
