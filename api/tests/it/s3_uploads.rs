//! The upload contract on the S3 store (a real Garage node): parts go straight to the bucket
//! through presigned URLs; the api only opens, inspects, completes, aborts and sweeps.

use crate::helpers::{code, put_parts, sample, scrape, spawn_app_on};
use sha2::{Digest, Sha256};
use shared::client::types;
use shared::store::ObjectStore;
use testkit::garage::Garage;

const MIB: usize = 1024 * 1024;

fn request(size: u64) -> types::CreateUploadRequest {
    types::CreateUploadRequest {
        filename: "long-take.mov".into(),
        size,
        content_type: "video/quicktime".into(),
        title: "Long take".into(),
        description: None,
    }
}

fn data(len: usize) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

async fn put(url: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .put(url)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn parts_go_straight_to_the_bucket_and_complete_to_the_same_bytes() {
    let garage = Garage::start().await;
    let app = spawn_app_on(&garage, 0, |_| {}).await;
    let (token, _) = app.user("creator").await;
    let (other, _) = app.user("other").await;
    let c = app.as_user(&token);
    let bytes = data(17 * MIB);
    let up = c
        .create_upload(&request(bytes.len() as u64))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(up.part_size, 8 * MIB as u64);
    assert_eq!(up.parts.len(), 3);
    assert!(
        up.parts.iter().all(|p| p.url.starts_with(&garage.endpoint)),
        "part URLs are presigned bucket URLs: {}",
        up.parts[0].url
    );

    // A browser on another origin may PUT a part and read its ETag (the api set the bucket's
    // CORS rules at start-up).
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, &up.parts[0].url)
        .header("origin", "http://studio.example")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert!(
        preflight
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let first = reqwest::Client::new()
        .put(&up.parts[0].url)
        .header("origin", "http://studio.example")
        .body(bytes[..8 * MIB].to_vec())
        .send()
        .await
        .unwrap();
    assert!(first.status().is_success());
    let exposed = first.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("etag"), "exposed: {exposed}");

    // Part 3, then an oversized part 2: its URL signs the part's size, so the bucket itself
    // refuses it (Garage answers 403, or stops reading and drops the connection).
    let third = put_parts(&up.parts[2..], up.part_size, &bytes).await;
    let status = c.get_upload(&up.upload_id).await.unwrap().into_inner();
    let numbers: Vec<u32> = status.received.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 3]);
    assert_eq!(status.received[1].size, MIB as u64);
    assert_eq!(status.received[1].etag, third[0].etag);
    let big = reqwest::Client::new()
        .put(&up.parts[1].url)
        .body(vec![0u8; 8 * MIB + 1])
        .send()
        .await;
    if let Ok(r) = &big {
        assert_eq!(r.status().as_u16(), 403, "an oversized part was taken");
    }
    let status = c.get_upload(&up.upload_id).await.unwrap().into_inner();
    let numbers: Vec<u32> = status.received.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 3], "nothing of the oversized part was stored");
    let listed: Vec<types::CompletedPart> = status
        .received
        .iter()
        .map(|p| types::CompletedPart {
            number: p.number,
            etag: p.etag.clone(),
        })
        .collect();
    let body = types::CompleteUploadRequest {
        parts: listed.clone(),
    };
    assert_eq!(
        code(c.complete_upload(&up.upload_id, &body).await),
        (400, "upload_parts_invalid".into())
    );

    // The right part 2 replaces it; a forged ETag, a stranger and a short list are refused.
    let all = put_parts(&up.parts, up.part_size, &bytes).await;
    let mut forged = all.clone();
    forged[1].etag = "\"00000000000000000000000000000000\"".into();
    assert_eq!(
        code(
            c.complete_upload(
                &up.upload_id,
                &types::CompleteUploadRequest { parts: forged }
            )
            .await
        ),
        (400, "upload_etag_mismatch".into())
    );
    let body = types::CompleteUploadRequest { parts: all.clone() };
    assert_eq!(
        code(
            app.as_user(&other)
                .complete_upload(&up.upload_id, &body)
                .await
        ),
        (404, "upload_not_found".into())
    );
    assert_eq!(
        code(
            c.complete_upload(
                &up.upload_id,
                &types::CompleteUploadRequest {
                    parts: all[..2].to_vec()
                }
            )
            .await
        ),
        (400, "upload_parts_invalid".into())
    );

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
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("source");
    app.store()
        .await
        .get_to_file(&shared::layout::source_key(&up.video_id), &copy)
        .await
        .unwrap();
    assert_eq!(
        Sha256::digest(std::fs::read(&copy).unwrap()),
        Sha256::digest(&bytes)
    );

    // The api's requests to the bucket are in its metrics: the multipart calls (POST), the
    // part listing (GET), each timed.
    let metrics = reqwest::get(format!("{}/metrics", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |series: &str| {
        metrics.lines().find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .parse::<f64>()
                .ok()
        })
    };
    for series in [
        r#"kino_store_requests_total{method="POST",outcome="ok"}"#,
        r#"kino_store_requests_total{method="GET",outcome="ok"}"#,
        r#"kino_store_request_duration_seconds_count{method="POST"}"#,
    ] {
        let v = value(series).unwrap_or_else(|| panic!("no {series} in\n{metrics}"));
        assert!(v >= 1.0, "{series} is {v}");
    }
    assert!(value("kino_store_retries_total").is_some());
}

#[tokio::test]
async fn open_uploads_are_limited_per_user_and_abandoned_ones_are_swept() {
    let garage = Garage::start().await;
    let app = spawn_app_on(&garage, 0, |s| {
        s.max_open_uploads_per_user = 2;
        s.upload_ttl_s = 2;
        s.upload_sweep_interval_s = 1;
    })
    .await;
    let (token, _) = app.user("creator").await;
    let (other, _) = app.user("other").await;
    let c = app.as_user(&token);
    let first = c.create_upload(&request(100)).await.unwrap().into_inner();
    let second = c.create_upload(&request(100)).await.unwrap().into_inner();
    assert_eq!(
        code(c.create_upload(&request(100)).await),
        (429, "too_many_open_uploads".into())
    );
    // The limit is per creator.
    app.as_user(&other)
        .create_upload(&request(100))
        .await
        .unwrap();
    // Aborting one frees a slot.
    c.abort_upload(&second.upload_id).await.unwrap();
    let third = c.create_upload(&request(100)).await.unwrap().into_inner();
    put_parts(&first.parts, first.part_size, &data(100)).await;

    // Both lapse; the sweeper drops their parts and fails their videos with a reason.
    let mut swept = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let st = c.get_upload(&first.upload_id).await.unwrap().into_inner();
        let v = c.get_video(&first.video_id).await.unwrap().into_inner();
        if st.state == types::UploadState::Expired && v.state == types::VideoState::Failed {
            assert!(st.received.is_empty());
            assert!(st.parts.is_empty(), "an expired upload hands out no URLs");
            assert!(v.failure_reason.unwrap().contains("expired"));
            swept = true;
            break;
        }
    }
    assert!(swept, "the sweeper ended the abandoned upload");
    // The bucket no longer holds the multipart upload.
    let late = put(&first.parts[0].url, data(100)).await;
    assert_eq!(late.status(), 404);
    let body = types::CompleteUploadRequest { parts: vec![] };
    assert_eq!(
        code(c.complete_upload(&third.upload_id, &body).await),
        (409, "upload_expired".into())
    );
    // Expired uploads no longer count against the limit.
    c.create_upload(&request(100)).await.unwrap();
    c.create_upload(&request(100)).await.unwrap();
}

/// Puts an upload back in the state a crash in the middle of `complete_upload` leaves it in.
async fn interrupt_completion(app: &crate::helpers::TestApp, upload_id: &str) {
    app.db
        .query(
            "UPDATE type::record('upload', $id) SET state = 'completing', \
             updated_at = '2000-01-01T00:00:00.000000Z'",
        )
        .bind(("id", upload_id.to_owned()))
        .await
        .unwrap()
        .check()
        .unwrap();
}

async fn wait_upload_state(c: &shared::client::Client, id: &str, want: types::UploadState) {
    for _ in 0..100 {
        if c.get_upload(id).await.unwrap().into_inner().state == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("upload {id} never became {want:?}");
}

#[tokio::test]
async fn a_completion_cut_short_by_a_crash_is_settled_either_way() {
    let garage = Garage::start().await;
    let app = spawn_app_on(&garage, 0, |s| {
        s.upload_sweep_interval_s = 1;
        s.upload_completing_timeout_s = 1;
    })
    .await;
    let (token, _) = app.user("creator").await;
    let c = app.as_user(&token);
    let bytes = data(MIB);

    // Crashed before the store joined the parts: the upload opens again and completes.
    let up = c
        .create_upload(&request(bytes.len() as u64))
        .await
        .unwrap()
        .into_inner();
    let parts = put_parts(&up.parts, up.part_size, &bytes).await;
    interrupt_completion(&app, &up.upload_id).await;
    wait_upload_state(&c, &up.upload_id, types::UploadState::Open).await;
    let v = c
        .complete_upload(&up.upload_id, &types::CompleteUploadRequest { parts })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.state, types::VideoState::Queued);

    // Crashed after the store joined them: the completion is finished, the job queued once.
    let up = c
        .create_upload(&request(bytes.len() as u64))
        .await
        .unwrap()
        .into_inner();
    let parts = put_parts(&up.parts, up.part_size, &bytes).await;
    let store = app.store().await;
    let list: Vec<(u32, String)> = parts.iter().map(|p| (p.number, p.etag.clone())).collect();
    let status_before = c.get_upload(&up.upload_id).await.unwrap().into_inner();
    assert_eq!(status_before.received.len(), 1);
    // The store's half of a completion, as `complete_upload` would have done it.
    let multipart = {
        let mut r = app
            .db
            .query("SELECT VALUE store_upload_id FROM type::record('upload', $id)")
            .bind(("id", up.upload_id.clone()))
            .await
            .unwrap();
        let ids: Vec<String> = r.take(0).unwrap();
        shared::store::Multipart {
            key: shared::layout::source_key(&up.video_id),
            id: ids[0].clone(),
        }
    };
    store.complete_multipart(&multipart, &list).await.unwrap();
    interrupt_completion(&app, &up.upload_id).await;
    wait_upload_state(&c, &up.upload_id, types::UploadState::Completed).await;
    let v = c.get_video(&up.video_id).await.unwrap().into_inner();
    assert_eq!(v.state, types::VideoState::Queued);
    let mut r = app
        .db
        .query("SELECT count() AS n FROM job WHERE video_id = $v GROUP ALL")
        .bind(("v", up.video_id.clone()))
        .await
        .unwrap();
    let n: Vec<serde_json::Value> = r.take(0).unwrap();
    assert_eq!(n[0]["n"], 1, "exactly one transcode is queued");
}

#[tokio::test]
async fn a_node_out_of_reach_is_skipped_and_a_store_out_of_reach_answers_503() {
    let mut garage = Garage::start().await;
    // The first endpoint listed refuses connections: a cluster node that is down.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let nodes = garage.store_url().replace(
        &format!("endpoint={}", garage.endpoint),
        &format!("endpoint={down},{}", garage.endpoint),
    );
    let app = spawn_app_on(&garage, 0, |s| s.store = Some(nodes)).await;
    let (token, _) = app.user("creator").await;
    let c = app.as_user(&token);
    let up = c
        .create_upload(&request(3 * MIB as u64))
        .await
        .expect("the node that answers takes the upload")
        .into_inner();
    assert!(
        up.parts.iter().all(|p| p.url.starts_with(&garage.endpoint)),
        "part URLs point at the node that answers: {}",
        up.parts[0].url
    );
    let metrics = scrape(&app).await;
    assert!(
        sample(&metrics, "kino_store_endpoint_moves_total").unwrap_or(0.0) >= 1.0,
        "the move is counted"
    );

    // With every node down, the api says so with a code clients and the edge retry on.
    garage.kill();
    assert_eq!(
        code(c.create_upload(&request(3 * MIB as u64)).await),
        (503, "unavailable".to_owned())
    );
}
