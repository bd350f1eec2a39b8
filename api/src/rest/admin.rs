//! The admin console's operations that no other group holds: the transcode queue as admins
//! see it (and retrying a dead-lettered job) and the hidden videos. Admins only.

use crate::catalog::moderation;
use crate::error::ApiResult;
use crate::queue::jobs;
use crate::rest::ApiTags;
use crate::rest::auth::UserAuth;
use crate::rest::videos::VideoDto;
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use shared::JobState;

/// A transcode job.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct JobInfo {
    /// The job's id (the same as its video's).
    pub job_id: String,
    pub video_id: String,
    /// The video's title, while the video exists.
    pub title: Option<String>,
    pub state: JobState,
    /// Attempts made so far.
    pub attempt: u32,
    /// Percent of the running attempt.
    pub progress: Option<f64>,
    /// The worker holding it, or that held it last.
    pub worker_id: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl From<jobs::JobView> for JobInfo {
    fn from(j: jobs::JobView) -> Self {
        JobInfo {
            job_id: j.id,
            video_id: j.video_id,
            title: j.title,
            state: j.state,
            attempt: j.attempt,
            progress: j.progress,
            worker_id: j.worker_id,
            last_error: j.last_error,
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct JobList {
    /// Newest first, at most 200.
    pub items: Vec<JobInfo>,
}

#[derive(Debug, Object)]
pub struct HiddenVideos {
    /// Most recently hidden first, at most 200; each with its `moderation` (reason, who, when).
    pub items: Vec<VideoDto>,
}

#[derive(ApiResponse)]
pub enum Retried {
    /// Queued again with a fresh set of attempts; its video is queued too.
    #[oai(status = 204)]
    NoContent,
}

pub struct AdminApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Admin")]
impl AdminApi {
    /// Transcode jobs, newest first, in one state or all. Admins only.
    #[oai(path = "/jobs", method = "get", operation_id = "list_jobs")]
    async fn jobs(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        /// Only jobs in this state.
        #[oai(name = "state")]
        job_state: Query<Option<JobState>>,
    ) -> ApiResult<Json<JobList>> {
        let items = jobs::list(&state.db, &auth.0, job_state.0)
            .await?
            .into_iter()
            .map(JobInfo::from)
            .collect();
        Ok(Json(JobList { items }))
    }

    /// Queue a dead-lettered job again, with a fresh set of attempts. Admins only; any other
    /// job is refused with `job_not_dead`.
    #[oai(
        path = "/jobs/:job_id/retry",
        method = "post",
        operation_id = "retry_job"
    )]
    async fn retry(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        job_id: Path<String>,
    ) -> ApiResult<Retried> {
        jobs::retry_dead(&state.db, &auth.0, &job_id).await?;
        state.job_wake.notify_waiters();
        Ok(Retried::NoContent)
    }

    /// Hidden videos with the reasons they were hidden. Admins only.
    #[oai(
        path = "/moderation/hidden",
        method = "get",
        operation_id = "list_hidden_videos"
    )]
    async fn hidden(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
    ) -> ApiResult<Json<HiddenVideos>> {
        let items = moderation::hidden(&state.db, &auth.0)
            .await?
            .into_iter()
            .map(|v| VideoDto::new(&state, v))
            .collect();
        Ok(Json(HiddenVideos { items }))
    }
}
