//! Deleting a video: it leaves the catalogue at once, its queued or running transcodes are
//! cancelled, its open uploads aborted and its uploads no longer count against the owner's
//! quota, and its stored files (source, parts and every version) are removed.
//!
//! The removal is durable: a `tombstone` row is written in the transaction that marks the
//! video deleted, and the sweeper works through tombstones until the store holds nothing of
//! the video, retrying with backoff when the store fails. Each tombstone gets a second pass
//! once every lease a worker could still hold on the video has run out, so whatever a worker
//! wrote after the first pass goes too.

use crate::catalog::videos::Video;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::ingest::uploads::{self, Upload};
use crate::queue::jobs;
use serde::Deserialize;
use shared::UploadState;
use shared::store::{ObjectStore, Store, StoreError};

/// Passes a tombstone gets: one at once, one after the leases ran out.
const PASSES: u32 = 2;

/// Marks a video deleted and leaves a tombstone for its files, in one transaction, then
/// cancels its jobs, aborts its open uploads and starts a sweep so the files go at once (the
/// background sweeper retries what that pass could not do).
pub async fn delete_video(
    db: &Db,
    store: &Store,
    video: &Video,
    lease_s: u64,
) -> Result<(), ApiError> {
    db.query(
        "BEGIN TRANSACTION;
         UPDATE type::record('video', $id) SET state = 'deleted', failure_reason = NONE;
         UPSERT type::record('tombstone', $id) SET video_id = $id, passes_left = $passes,
             attempts = 0, next_at = $now, created_at = $now;
         COMMIT TRANSACTION;",
    )
    .bind(("id", video.id.clone()))
    .bind(("passes", PASSES))
    .bind(("now", db::now()))
    .await?
    .check()?;
    jobs::cancel_for_video(db, &video.id).await?;
    uploads::release_for_video(db, &video.id).await?;
    let (db, store) = (db.clone(), store.clone());
    tokio::spawn(async move {
        if let Err(e) = sweep(&db, &store, lease_s).await {
            tracing::warn!(error = %e, "sweeping after a deletion");
        }
    });
    Ok(())
}

#[derive(Deserialize)]
struct Tombstone {
    video_id: String,
    passes_left: u32,
    attempts: u32,
}

/// Works through the tombstones that are due; `lease_s` is how long a worker's lease lasts.
/// Returns how many passes completed.
pub async fn sweep(db: &Db, store: &Store, lease_s: u64) -> Result<usize, ApiError> {
    let mut r = db
        .query(
            "SELECT video_id, passes_left, attempts FROM tombstone
             WHERE next_at <= $now ORDER BY next_at LIMIT 50",
        )
        .bind(("now", db::now()))
        .await?;
    let due: Vec<Tombstone> = db::rows(&mut r, 0)?;
    let mut done = 0;
    for t in due {
        match remove_files(db, store, &t.video_id).await {
            Ok(()) if t.passes_left <= 1 => {
                db.query("DELETE type::record('tombstone', $id)")
                    .bind(("id", t.video_id.clone()))
                    .await?
                    .check()?;
                done += 1;
            }
            Ok(()) => {
                let again = chrono::Duration::seconds(2 * lease_s as i64 + 1);
                reschedule(db, &t.video_id, t.passes_left - 1, 0, again).await?;
                done += 1;
            }
            Err(e) => {
                let wait = 5i64 << t.attempts.min(10);
                tracing::warn!(video = %t.video_id, error = %e, retry_in_s = wait, "removing a deleted video's files");
                let again = chrono::Duration::seconds(wait.min(3600));
                reschedule(db, &t.video_id, t.passes_left, t.attempts + 1, again).await?;
            }
        }
    }
    Ok(done)
}

async fn reschedule(
    db: &Db,
    id: &str,
    passes_left: u32,
    attempts: u32,
    after: chrono::Duration,
) -> Result<(), ApiError> {
    db.query(
        "UPDATE type::record('tombstone', $id) SET passes_left = $passes, attempts = $attempts,
             next_at = $at",
    )
    .bind(("id", id.to_owned()))
    .bind(("passes", passes_left))
    .bind(("attempts", attempts))
    .bind(("at", db::ts(chrono::Utc::now() + after)))
    .await?
    .check()?;
    Ok(())
}

/// One pass over a deleted video: its jobs cancelled and uploads released again (a crash may
/// have cut [`delete_video`] short), the parts of every upload that did not complete
/// dropped, and every object under its prefixes removed.
async fn remove_files(db: &Db, store: &Store, video_id: &str) -> Result<(), ApiError> {
    jobs::cancel_for_video(db, video_id).await?;
    uploads::release_for_video(db, video_id).await?;
    let unfinished: Vec<Upload> = uploads::for_video(db, video_id)
        .await?
        .into_iter()
        .filter(|u| u.state != UploadState::Completed)
        .collect();
    for up in unfinished {
        match store.abort_multipart(&up.multipart()).await {
            Ok(()) | Err(StoreError::NoSuchUpload(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    for prefix in [
        shared::layout::video_prefix(video_id),
        shared::layout::source_prefix(video_id),
    ] {
        store.delete_prefix(&prefix).await?;
    }
    Ok(())
}
