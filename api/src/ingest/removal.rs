//! Deleting a video: it leaves the catalogue at once, its queued or running transcodes are
//! cancelled, and its stored files (source and every version) are removed in the background.

use crate::catalog::videos::{self, Video};
use crate::db::Db;
use crate::error::ApiError;
use crate::queue::jobs;
use shared::VideoState;
use shared::store::{ObjectStore, Store};

pub async fn delete_video(db: &Db, store: &Store, video: &Video) -> Result<(), ApiError> {
    videos::set_state(db, &video.id, VideoState::Deleted, None).await?;
    jobs::cancel_for_video(db, &video.id).await?;
    let store = store.clone();
    let id = video.id.clone();
    tokio::spawn(async move {
        for prefix in [
            shared::layout::video_prefix(&id),
            shared::layout::source_prefix(&id),
        ] {
            if let Err(e) = store.delete_prefix(&prefix).await {
                tracing::warn!(video = %id, error = %e, "removing a deleted video's files");
            }
        }
    });
    Ok(())
}
