//! The reconciler: a video `queued` or `processing` with no job that will move it on is
//! repaired, whatever left it so (a crash between two writes in an older version, a job
//! removed by hand, an upload completion cut short before its job was queued).

use crate::catalog::videos;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::queue::jobs;
use serde::Deserialize;
use shared::{JobState, UploadState, VideoState};

#[derive(Deserialize)]
struct Stuck {
    id: String,
    published_version: Option<u32>,
}

#[derive(Deserialize)]
struct JobRow {
    state: JobState,
    last_error: Option<String>,
}

/// What the reconciler did to one video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// A live job holds it: nothing to do.
    Fine,
    /// Its job finished and it has a version: it is published.
    Published,
    /// Its job gave up, or it can never have one: it failed with a reason.
    Failed,
    /// Its source is complete but no job was queued: one is now.
    Queued,
    /// Its upload is still being completed: left to the completion recovery.
    Waiting,
}

/// Repairs up to 500 stuck videos; how many it changed.
pub async fn reconcile(db: &Db) -> Result<usize, ApiError> {
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, published_version FROM video
             WHERE state IN [$queued, $processing] LIMIT 500",
        )
        .bind(("queued", VideoState::Queued.as_str()))
        .bind(("processing", VideoState::Processing.as_str()))
        .await?;
    let stuck: Vec<Stuck> = db::rows(&mut r, 0)?;
    let mut changed = 0;
    for video in stuck {
        let repair = repair(db, &video).await?;
        if !matches!(repair, Repair::Fine | Repair::Waiting) {
            tracing::warn!(video = %video.id, ?repair, "repaired a video no job was moving on");
            changed += 1;
        }
    }
    Ok(changed)
}

async fn repair(db: &Db, video: &Stuck) -> Result<Repair, ApiError> {
    let mut r = db
        .query(
            "SELECT state, last_error FROM job WHERE video_id = $v;
             SELECT VALUE state FROM upload WHERE video_id = $v;",
        )
        .bind(("v", video.id.clone()))
        .await?;
    let jobs: Vec<JobRow> = db::rows(&mut r, 0)?;
    let uploads: Vec<UploadState> = db::rows(&mut r, 1)?;
    if jobs
        .iter()
        .any(|j| matches!(j.state, JobState::Queued | JobState::Leased))
    {
        return Ok(Repair::Fine);
    }
    let fail =
        |reason: &str| videos::set_state(db, &video.id, VideoState::Failed, Some(reason.into()));
    if jobs.iter().any(|j| j.state == JobState::Done) && video.published_version.is_some() {
        videos::set_state(db, &video.id, VideoState::Published, None).await?;
        return Ok(Repair::Published);
    }
    if let Some(dead) = jobs.iter().find(|j| j.state == JobState::Dead) {
        let reason = dead
            .last_error
            .clone()
            .unwrap_or_else(|| "transcoding failed".into());
        fail(&reason).await?;
        return Ok(Repair::Failed);
    }
    if !jobs.is_empty() {
        fail("transcoding stopped before it finished; upload the video again").await?;
        return Ok(Repair::Failed);
    }
    if uploads.contains(&UploadState::Completed) {
        // The job id is the video's, so this cannot queue a second one beside a racing
        // completion.
        jobs::enqueue(db, &video.id).await?;
        return Ok(Repair::Queued);
    }
    if uploads.contains(&UploadState::Completing) {
        return Ok(Repair::Waiting);
    }
    fail("the upload never finished; upload the video again").await?;
    Ok(Repair::Failed)
}
