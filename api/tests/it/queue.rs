//! The queue's order: creators with fewer recent uploads go first, then the oldest job.

use crate::helpers::{REGISTRATION, spawn_app};
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
