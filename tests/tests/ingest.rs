//! Ingest survives crashes: `kino` killed with SIGKILL in the middle of a multipart upload on
//! the S3 store comes back, tells the client which parts the bucket holds, and the completed
//! object is byte for byte the file.

use sha2::{Digest, Sha256};
use shared::client::{self, types};
use shared::store::ObjectStore;
use std::path::Path;
use testkit::garage::Garage;
use testkit::kino;

const MIB: usize = 1024 * 1024;

fn options(garage: &Garage) -> kino::Options {
    let env = garage.kino_env();
    kino::Options {
        workers: 0,
        // The embedded database under the data dir: it must outlive the process.
        db: None,
        web_dir: None,
        env,
        listen: None,
    }
}

async fn put(url: &str, body: &[u8]) -> String {
    let r = reqwest::Client::new()
        .put(url)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "part PUT: {}", r.status());
    r.headers()["etag"].to_str().unwrap().to_owned()
}

fn part(data: &[u8], part_size: u64, n: u32) -> &[u8] {
    let start = (u64::from(n) - 1) * part_size;
    let end = (start + part_size).min(data.len() as u64);
    &data[start as usize..end as usize]
}

async fn stored_sha(garage: &Garage, video_id: &str, dir: &Path) -> Vec<u8> {
    let copy = dir.join("stored");
    garage
        .store()
        .await
        .get_to_file(&shared::layout::source_key(video_id), &copy)
        .await
        .unwrap();
    Sha256::digest(std::fs::read(&copy).unwrap()).to_vec()
}

#[tokio::test]
async fn kino_killed_mid_upload_comes_back_and_the_upload_completes_intact() {
    let garage = Garage::start().await;
    let data_dir = tempfile::tempdir().unwrap();
    let opts = options(&garage);
    let mut first = kino::start(data_dir.path(), &opts);

    let signed = client::connect(&first.url, None)
        .signup(&types::SignupRequest {
            email: "creator@example.com".into(),
            password: "correct horse battery".into(),
            display_name: "Creator".into(),
            invite_code: None,
        })
        .await
        .unwrap()
        .into_inner();
    let bytes: Vec<u8> = (0..(20 * MIB + 4321) as u32)
        .map(|i| (i.wrapping_mul(2_246_822_519) >> 23) as u8)
        .collect();
    let api = client::connect(&first.url, Some(&signed.token));
    let up = api
        .create_upload(&types::CreateUploadRequest {
            filename: "long.mp4".into(),
            size: bytes.len() as u64,
            content_type: "video/mp4".into(),
            title: "Survives a crash".into(),
            description: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(up.parts.len(), 3);
    put(&up.parts[0].url, part(&bytes, up.part_size, 1)).await;

    // Crash: no shutdown, no flush.
    first.process.kill();

    let second = kino::start(data_dir.path(), &opts);
    let api = client::connect(&second.url, Some(&signed.token));
    let status = api.get_upload(&up.upload_id).await.unwrap().into_inner();
    assert_eq!(status.state, types::UploadState::Open);
    let held: Vec<u32> = status.received.iter().map(|p| p.number).collect();
    assert_eq!(
        held,
        [1],
        "the bucket still holds the part sent before the crash"
    );
    let mut parts = vec![types::CompletedPart {
        number: 1,
        etag: status.received[0].etag.clone(),
    }];
    for p in status.parts.iter().filter(|p| p.number > 1) {
        let etag = put(&p.url, part(&bytes, status.part_size, p.number)).await;
        parts.push(types::CompletedPart {
            number: p.number,
            etag,
        });
    }
    let v = api
        .complete_upload(&up.upload_id, &types::CompleteUploadRequest { parts })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.state, types::VideoState::Queued);
    assert_eq!(
        stored_sha(&garage, &up.video_id, data_dir.path()).await,
        Sha256::digest(&bytes).to_vec()
    );
}

/// The shared upload engine against the real `kino`: paused, it opens the upload and sends no
/// part until resumed, then completes; cancelled, it stops and the upload is aborted on the
/// server (its parts and quota given back).
#[tokio::test(flavor = "multi_thread")]
async fn a_paused_upload_waits_and_a_cancelled_one_is_aborted() {
    use shared::upload::{self, Control, Event, FileSpec, Options};
    use std::cell::RefCell;
    use std::time::Duration;

    let data = tempfile::tempdir().unwrap();
    let server = kino::start(
        data.path(),
        &kino::Options {
            workers: 0,
            db: Some("mem://".into()),
            web_dir: None,
            env: Vec::new(),
            listen: None,
        },
    );
    let api = testkit::catalog::creator(&server.url, "pauses@example.com").await;
    let file = data.path().join("big.bin");
    let bytes: Vec<u8> = (0..24 * MIB).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let io = cli::upload::FileIo::new(&file, None).unwrap();
    let spec = FileSpec {
        filename: "big.bin".into(),
        size: bytes.len() as u64,
        content_type: "video/mp4".into(),
        title: "Paused and resumed".into(),
        description: None,
    };

    // Paused from the start: opened, nothing sent; resumed: all of it, completed.
    let control = Control::default();
    control.pause();
    let opened = RefCell::new(None::<String>);
    let on_event = |e: Event| {
        if let Event::Opened { upload_id, .. } = e {
            *opened.borrow_mut() = Some(upload_id);
        }
    };
    let sending = upload::upload(
        &api,
        &io,
        &spec,
        None,
        Options::default(),
        &control,
        &on_event,
    );
    let watching = async {
        while opened.borrow().is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let id = opened.borrow().clone().unwrap();
        let status = api.get_upload(&id).await.unwrap().into_inner();
        assert!(status.parts.len() > 1, "the file spans several parts");
        assert!(
            status.received.is_empty(),
            "a paused upload sent {:?}",
            status.received
        );
        control.resume();
    };
    let (done, ()) = futures::join!(sending, watching);
    let done = done.expect("the resumed upload completes");
    let status = api.get_upload(&done.upload_id).await.unwrap().into_inner();
    assert_eq!(status.state, types::UploadState::Completed);
    assert_eq!(done.resumed_parts, 0);

    // Cancelled while paused: the engine says so and the server has aborted the upload.
    let control = Control::default();
    control.pause();
    *opened.borrow_mut() = None;
    let sending = upload::upload(
        &api,
        &io,
        &spec,
        None,
        Options::default(),
        &control,
        &on_event,
    );
    let cancelling = async {
        while opened.borrow().is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        control.cancel();
    };
    let (refused, ()) = futures::join!(sending, cancelling);
    assert_eq!(refused.unwrap_err(), upload::UploadError::Cancelled);
    let id = opened.borrow().clone().unwrap();
    let status = api.get_upload(&id).await.unwrap().into_inner();
    assert_eq!(status.state, types::UploadState::Aborted);
}
