//! One contract, every backend: the filesystem store and the S3 store on a real Garage node
//! answer the same calls with the same outcomes and the same errors.

use bytes::Bytes;
use futures::StreamExt;
use shared::store::{ByteStream, Multipart, ObjectStore, Store, StoreError};
use std::time::Duration;
use testkit::garage::Garage;

const MIB: usize = 1024 * 1024;

/// Runs a contract against a fresh fs store and a fresh Garage bucket.
macro_rules! both_backends {
    ($name:ident, $contract:ident) => {
        mod $name {
            #[tokio::test]
            async fn fs() {
                let dir = tempfile::tempdir().unwrap();
                let store = super::Store::open(dir.path().to_str().unwrap())
                    .await
                    .unwrap();
                super::$contract(&store).await;
            }

            #[tokio::test]
            async fn s3_on_garage() {
                let garage = super::Garage::start().await;
                let store = garage.store().await;
                super::$contract(&store).await;
            }
        }
    };
}

both_backends!(objects, objects_round_trip);
both_backends!(prefixes, delete_prefix_removes_only_the_prefix);
both_backends!(multipart, multipart_upload_resumes_and_joins);
both_backends!(abort, aborted_uploads_leave_nothing);
both_backends!(keys, keys_are_checked);

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed)
        .collect()
}

fn body(data: &[u8]) -> ByteStream {
    let chunks: Vec<std::io::Result<Bytes>> = data
        .chunks(64 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures::stream::iter(chunks))
}

async fn read_all(store: &Store, key: &str, offset: u64, len: u64) -> Vec<u8> {
    let mut s = store.read_range(key, offset, len).await.unwrap();
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

async fn objects_round_trip(store: &Store) {
    let data = pattern(3 * MIB + 17, 1);
    let meta = store
        .put_bytes("videos/a/v1/seg.m4s", Bytes::from(data.clone()))
        .await
        .unwrap();
    assert_eq!(meta.size, data.len() as u64);
    assert!(meta.etag.starts_with('"') && meta.etag.ends_with('"'));
    let head = store.head("videos/a/v1/seg.m4s").await.unwrap();
    assert_eq!((head.size, &head.etag), (meta.size, &meta.etag));
    assert_eq!(
        read_all(store, "videos/a/v1/seg.m4s", 0, data.len() as u64).await,
        data
    );
    assert_eq!(
        read_all(store, "videos/a/v1/seg.m4s", MIB as u64, 1000).await,
        &data[MIB..MIB + 1000]
    );
    assert!(
        read_all(store, "videos/a/v1/seg.m4s", 5, 0)
            .await
            .is_empty()
    );

    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy");
    let n = store
        .get_to_file("videos/a/v1/seg.m4s", &copy)
        .await
        .unwrap();
    assert_eq!(n, data.len() as u64);
    assert_eq!(std::fs::read(&copy).unwrap(), data);

    let other = pattern(MIB, 2);
    let src = dir.path().join("src");
    std::fs::write(&src, &other).unwrap();
    let replaced = store.put_file("videos/a/v1/seg.m4s", &src).await.unwrap();
    assert_eq!(replaced.size, MIB as u64);
    assert_ne!(replaced.etag, meta.etag, "a new object has a new validator");
    assert_eq!(
        read_all(store, "videos/a/v1/seg.m4s", 0, MIB as u64).await,
        other
    );

    assert!(matches!(
        store.head("videos/a/v1/none.m4s").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.read_range("videos/a/v1/none.m4s", 0, 10).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.get_to_file("videos/a/v1/none.m4s", &copy).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn delete_prefix_removes_only_the_prefix(store: &Store) {
    for key in [
        "videos/a/v1/master.m3u8",
        "videos/a/v1/360p/init.mp4",
        "videos/a/v2/master.m3u8",
        "videos/ab/v1/master.m3u8",
    ] {
        store
            .put_bytes(key, Bytes::from_static(b"x"))
            .await
            .unwrap();
    }
    store.delete_prefix("videos/a/v1/").await.unwrap();
    assert!(matches!(
        store.head("videos/a/v1/master.m3u8").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.head("videos/a/v1/360p/init.mp4").await,
        Err(StoreError::NotFound(_))
    ));
    store.head("videos/a/v2/master.m3u8").await.unwrap();
    store.head("videos/ab/v1/master.m3u8").await.unwrap();
    // Deleting what is not there is not an error.
    store.delete_prefix("videos/zz/").await.unwrap();
    store.delete("videos/a/v2/master.m3u8").await.unwrap();
    assert!(matches!(
        store.head("videos/a/v2/master.m3u8").await,
        Err(StoreError::NotFound(_))
    ));
    store.delete("videos/a/v2/master.m3u8").await.unwrap();
    store.head("videos/ab/v1/master.m3u8").await.unwrap();
}

async fn multipart_upload_resumes_and_joins(store: &Store) {
    let part = 5 * MIB;
    let data = pattern(2 * part + 1234, 3);
    let slices = [&data[..part], &data[part..2 * part], &data[2 * part..]];
    let up = store.create_multipart("sources/v1/source").await.unwrap();
    assert!(store.list_parts(&up).await.unwrap().is_empty());

    // Out of order, and part 2 sent twice: the second copy wins.
    let p3 = store
        .put_part(&up, 3, slices[2].len() as u64, body(slices[2]))
        .await
        .unwrap();
    let wrong = pattern(part, 9);
    store
        .put_part(&up, 2, part as u64, body(&wrong))
        .await
        .unwrap();
    let p2 = store
        .put_part(&up, 2, part as u64, body(slices[1]))
        .await
        .unwrap();
    let short = store
        .put_part(&up, 1, part as u64, body(&data[..100]))
        .await;
    assert!(
        matches!(short, Err(StoreError::PartSize { number: 1, .. })),
        "{short:?}"
    );

    // A client that lost its state learns what the store holds.
    let listed = store.list_parts(&up).await.unwrap();
    assert_eq!(listed, vec![p2.clone(), p3.clone()]);
    assert_eq!(listed[0].size, part as u64);

    // A presigned URL, where the backend has them, takes a plain PUT.
    let p1 = match store.part_url(&up, 1, part as u64, Duration::from_secs(600)) {
        Some(url) => {
            // The size is signed: the bucket refuses a bigger body and stores nothing of it.
            let mut bigger = slices[0].to_vec();
            bigger.extend_from_slice(&[0u8; 1024]);
            // Refused with 403, or cut off while the body is still being sent.
            let r = reqwest::Client::new().put(&url).body(bigger).send().await;
            if let Ok(r) = r {
                assert_eq!(r.status().as_u16(), 403, "an oversized part was taken");
            }
            assert_eq!(
                store.list_parts(&up).await.unwrap(),
                vec![p2.clone(), p3.clone()]
            );
            let r = reqwest::Client::new()
                .put(&url)
                .body(slices[0].to_vec())
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            let etag = r.headers()["etag"].to_str().unwrap().to_owned();
            let listed = store.list_parts(&up).await.unwrap();
            assert!(shared::store::same_etag(&listed[0].etag, &etag));
            listed[0].clone()
        }
        None => store
            .put_part(&up, 1, part as u64, body(slices[0]))
            .await
            .unwrap(),
    };

    let missing = store
        .complete_multipart(
            &up,
            &[
                (1, p1.etag.clone()),
                (2, p2.etag.clone()),
                (3, p3.etag.clone()),
                (4, p3.etag.clone()),
            ],
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::MissingPart(4))),
        "{missing:?}"
    );
    let parts = store.list_parts(&up).await.unwrap();
    let forged = store
        .complete_multipart(
            &up,
            &[
                (1, parts[0].etag.clone()),
                (2, "\"0123456789abcdef0123456789abcdef\"".into()),
                (3, parts[2].etag.clone()),
            ],
        )
        .await;
    assert!(
        matches!(forged, Err(StoreError::EtagMismatch { number: 2, .. })),
        "{forged:?}"
    );
    let list: Vec<(u32, String)> = parts.iter().map(|p| (p.number, p.etag.clone())).collect();
    let meta = store.complete_multipart(&up, &list).await.unwrap();
    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(
        read_all(store, "sources/v1/source", 0, meta.size).await,
        data
    );
    assert!(matches!(
        store.list_parts(&up).await,
        Err(StoreError::NoSuchUpload(_))
    ));
    store.abort_multipart(&up).await.unwrap();
}

async fn aborted_uploads_leave_nothing(store: &Store) {
    let up = store.create_multipart("sources/v2/source").await.unwrap();
    store
        .put_part(&up, 1, 10, body(b"0123456789"))
        .await
        .unwrap();
    store.abort_multipart(&up).await.unwrap();
    assert!(matches!(
        store.list_parts(&up).await,
        Err(StoreError::NoSuchUpload(_))
    ));
    assert!(matches!(
        store.head("sources/v2/source").await,
        Err(StoreError::NotFound(_))
    ));
    let late = store.put_part(&up, 2, 3, body(b"abc")).await;
    assert!(matches!(late, Err(StoreError::NoSuchUpload(_))), "{late:?}");
    let gone = Multipart {
        key: "sources/v3/source".into(),
        id: "nosuchupload".into(),
    };
    store.abort_multipart(&gone).await.unwrap();
}

async fn keys_are_checked(store: &Store) {
    for key in [
        "",
        "/etc/passwd",
        "../x",
        "videos//x",
        "videos/./x",
        "videos/../x",
    ] {
        assert!(
            matches!(store.head(key).await, Err(StoreError::InvalidKey(_))),
            "{key:?}"
        );
        assert!(
            matches!(
                store.put_bytes(key, Bytes::from_static(b"x")).await,
                Err(StoreError::InvalidKey(_))
            ),
            "{key:?}"
        );
    }
    assert!(matches!(
        store.create_multipart("../escape").await,
        Err(StoreError::InvalidKey(_))
    ));
}
