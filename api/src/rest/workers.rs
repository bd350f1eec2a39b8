//! The job protocol transcoder workers speak: register, lease (long-poll), heartbeat,
//! complete, fail. Workers authenticate with worker tokens, never user tokens.

use crate::error::{ApiError, ApiResult, Code};
use crate::queue::{jobs, workers};
use crate::rest::ApiTags;
use crate::rest::auth::UserAuth;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::auth::Bearer;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme};
use std::time::Duration;

/// A registered transcoder worker (`Authorization: Bearer <worker token>`).
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_worker")]
pub struct WorkerAuth(pub String);

async fn check_worker(req: &Request, bearer: Bearer) -> poem::Result<String> {
    let state = req
        .data::<AppState>()
        .expect("state is attached to every route");
    let idle_days = state.settings.worker_token_idle_days;
    match workers::by_token(&state.db, &bearer.token, idle_days).await {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(poem::Error::from_string(
            "unknown, revoked or lapsed worker token: register again",
            poem::http::StatusCode::UNAUTHORIZED,
        )),
        Err(e) => {
            tracing::error!(error = %e, "checking a worker token");
            Err(poem::Error::from_string(e.to_string(), e.status()))
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RegisterWorkerRequest {
    /// A name for logs, e.g. the host name.
    pub name: String,
    /// The installation's worker registration token.
    pub registration_token: String,
}

/// A registered worker, as admins see it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WorkerInfo {
    pub worker_id: String,
    pub name: String,
    pub created_at: String,
    /// When its token was last used (to within 10 minutes).
    pub seen_at: Option<String>,
    /// Set once an admin revoked its token.
    pub revoked_at: Option<String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WorkerList {
    pub items: Vec<WorkerInfo>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WorkerRegistered {
    pub worker_id: String,
    /// Bearer token for the job endpoints.
    pub token: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LeaseRequest {
    /// Seconds to wait for a job before answering 204 (0 to 60, default 25).
    pub wait_s: Option<u32>,
}

/// A job leased to a worker.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct JobLease {
    pub job_id: String,
    pub video_id: String,
    /// Attempt number, from 1; echo it back with the job token.
    pub attempt: u32,
    /// Proves this attempt's lease in heartbeat, complete and fail.
    pub job_token: String,
    /// Heartbeat before this or lose the job.
    pub lease_expires_at: DateTime<Utc>,
    /// Object-store key of the source.
    pub source_key: String,
    /// Rendition version; write outputs under `output_prefix`.
    pub version: u32,
    /// Object-store prefix for this attempt's outputs.
    pub output_prefix: String,
    /// When set, first encode the lowest rung alone under this prefix and report it with
    /// `publish_first_playable`, so the video plays before the whole ladder is done.
    pub first_playable_prefix: Option<String>,
    /// Deprecated: the same as `first_playable_prefix`, for workers older than it.
    #[oai(deprecated)]
    pub preview_prefix: Option<String>,
}

/// The answer to a lease request.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LeaseResponse {
    /// The leased job; absent when none arrived while waiting (ask again).
    pub job: Option<JobLease>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HeartbeatRequest {
    pub attempt: u32,
    pub job_token: String,
    /// Percent done, 0 to 100.
    pub progress: f64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HeartbeatResponse {
    pub lease_expires_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CompleteJobRequest {
    pub attempt: u32,
    pub job_token: String,
    /// Duration of the source in seconds.
    pub duration_s: f64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FailJobRequest {
    pub attempt: u32,
    pub job_token: String,
    /// Why, in words the video's owner can act on.
    pub reason: String,
    /// False when trying again cannot help (the input is not a video).
    pub retryable: bool,
    /// The worker hands the job back unfinished (it is shutting down): it is queued again at
    /// once, without a backoff.
    #[oai(default)]
    pub release: bool,
}

#[derive(ApiResponse)]
pub enum Done {
    /// Recorded.
    #[oai(status = 204)]
    NoContent,
}

/// Both names of the first-playable report run this.
async fn publish_first_playable(
    state: &AppState,
    job_id: &str,
    body: &CompleteJobRequest,
) -> Result<(), ApiError> {
    jobs::publish_first_playable(
        &state.db,
        job_id,
        body.attempt,
        &body.job_token,
        body.duration_s,
    )
    .await
}

pub struct WorkersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Workers")]
impl WorkersApi {
    /// Register a worker with the installation's registration token.
    #[oai(path = "/workers", method = "post", operation_id = "register_worker")]
    async fn register(
        &self,
        state: Data<&AppState>,
        body: Json<RegisterWorkerRequest>,
    ) -> ApiResult<Json<WorkerRegistered>> {
        let ok = crate::signing::constant_time_eq(
            body.registration_token.as_bytes(),
            state.registration_token.as_bytes(),
        );
        if !ok {
            return Err(ApiError::forbidden("wrong registration token").into());
        }
        let name: String = body.name.trim().chars().take(100).collect();
        let (worker_id, token) = workers::register(&state.db, &name).await?;
        Ok(Json(WorkerRegistered { worker_id, token }))
    }

    /// Every registered worker, most recently seen first. Admins only.
    #[oai(path = "/workers", method = "get", operation_id = "list_workers")]
    async fn list(&self, state: Data<&AppState>, auth: UserAuth) -> ApiResult<Json<WorkerList>> {
        let items = workers::list(&state.db, &auth.0)
            .await?
            .into_iter()
            .map(|w| WorkerInfo {
                worker_id: w.id,
                name: w.name,
                created_at: w.created_at,
                seen_at: w.seen_at,
                revoked_at: w.revoked_at,
            })
            .collect();
        Ok(Json(WorkerList { items }))
    }

    /// Revoke a worker's token at once: its next request gets 401 (it may register again
    /// while it holds the registration token). Admins only.
    #[oai(
        path = "/workers/:worker_id",
        method = "delete",
        operation_id = "revoke_worker"
    )]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        worker_id: Path<String>,
    ) -> ApiResult<Done> {
        workers::revoke(&state.db, &auth.0, &worker_id).await?;
        Ok(Done::NoContent)
    }

    /// Wait for a queued job and lease it.
    ///
    /// Answers without a job when `wait_s` passes with none queued, or at once when this
    /// replica begins to shut down; either way the worker asks again.
    #[oai(path = "/jobs/lease", method = "post", operation_id = "lease_job")]
    async fn lease(
        &self,
        state: Data<&AppState>,
        auth: WorkerAuth,
        body: Json<LeaseRequest>,
    ) -> ApiResult<Json<LeaseResponse>> {
        let wait = Duration::from_secs(u64::from(body.wait_s.unwrap_or(25).min(60)));
        let deadline = tokio::time::Instant::now() + wait;
        let lease_for = Duration::from_secs(state.settings.job_lease_s);
        loop {
            // Register interest before looking, so a job queued in between still wakes us.
            let woken = state.job_wake.notified();
            if let Some(l) = jobs::try_lease(&state.db, &auth.0, lease_for).await? {
                state.metrics.leased(l.waited_s);
                let first_playable = l
                    .first_playable_version
                    .map(|v| shared::layout::version_prefix(&l.video_id, v));
                return Ok(Json(LeaseResponse {
                    job: Some(JobLease {
                        source_key: shared::layout::source_key(&l.video_id),
                        output_prefix: shared::layout::version_prefix(&l.video_id, l.version),
                        first_playable_prefix: first_playable.clone(),
                        preview_prefix: first_playable,
                        job_id: l.job_id,
                        video_id: l.video_id,
                        attempt: l.attempt,
                        job_token: l.job_token,
                        lease_expires_at: crate::db::parse_ts(&l.lease_until),
                        version: l.version,
                    }),
                }));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(Json(LeaseResponse { job: None }));
            }
            // Every replica rings this bell when any replica queues a job (the job change
            // feed); retries coming off their backoff do not, so look again every few seconds.
            let nap = (deadline - now).min(Duration::from_secs(3));
            tokio::select! {
                _ = tokio::time::timeout(nap, woken) => {}
                () = state.stopping.cancelled() => return Ok(Json(LeaseResponse { job: None })),
            }
        }
    }

    /// Report progress and extend the lease.
    #[oai(
        path = "/jobs/:job_id/heartbeat",
        method = "post",
        operation_id = "heartbeat_job"
    )]
    async fn heartbeat(
        &self,
        state: Data<&AppState>,
        _auth: WorkerAuth,
        job_id: Path<String>,
        body: Json<HeartbeatRequest>,
    ) -> ApiResult<Json<HeartbeatResponse>> {
        let lease = Duration::from_secs(state.settings.job_lease_s);
        let until = jobs::heartbeat(
            &state.db,
            &job_id,
            body.attempt,
            &body.job_token,
            body.progress,
            lease,
        )
        .await?;
        Ok(Json(HeartbeatResponse {
            lease_expires_at: crate::db::parse_ts(&until),
        }))
    }

    /// Finish an attempt: its outputs are complete under `output_prefix`; publish them.
    #[oai(
        path = "/jobs/:job_id/complete",
        method = "post",
        operation_id = "complete_job"
    )]
    async fn complete(
        &self,
        state: Data<&AppState>,
        _auth: WorkerAuth,
        job_id: Path<String>,
        body: Json<CompleteJobRequest>,
    ) -> ApiResult<Done> {
        jobs::complete(
            &state.db,
            &job_id,
            body.attempt,
            &body.job_token,
            body.duration_s,
        )
        .await?;
        Ok(Done::NoContent)
    }

    /// The first playable version (lowest rung) is complete under `first_playable_prefix`:
    /// publish it now; the job stays leased for the whole ladder.
    #[oai(
        path = "/jobs/:job_id/first-playable",
        method = "post",
        operation_id = "publish_first_playable"
    )]
    async fn first_playable(
        &self,
        state: Data<&AppState>,
        _auth: WorkerAuth,
        job_id: Path<String>,
        body: Json<CompleteJobRequest>,
    ) -> ApiResult<Done> {
        publish_first_playable(&state, &job_id, &body).await?;
        Ok(Done::NoContent)
    }

    /// Deprecated: `publish_first_playable` under its former name, for workers older than it
    /// (answering `no_preview_expected` where it answers `no_first_playable_expected`).
    #[oai(
        path = "/jobs/:job_id/preview",
        method = "post",
        operation_id = "publish_preview",
        deprecated
    )]
    async fn preview(
        &self,
        state: Data<&AppState>,
        _auth: WorkerAuth,
        job_id: Path<String>,
        body: Json<CompleteJobRequest>,
    ) -> ApiResult<Done> {
        publish_first_playable(&state, &job_id, &body)
            .await
            .map_err(|e| match e.code() {
                Code::NoFirstPlayableExpected => {
                    ApiError::new(Code::NoPreviewExpected, e.to_string())
                }
                _ => e,
            })?;
        Ok(Done::NoContent)
    }

    /// Give up an attempt, with the reason.
    #[oai(
        path = "/jobs/:job_id/fail",
        method = "post",
        operation_id = "fail_job"
    )]
    async fn fail(
        &self,
        state: Data<&AppState>,
        _auth: WorkerAuth,
        job_id: Path<String>,
        body: Json<FailJobRequest>,
    ) -> ApiResult<Done> {
        let max = state.settings.job_max_attempts;
        jobs::fail(
            &state.db,
            &job_id,
            body.attempt,
            &body.job_token,
            &body.reason,
            body.retryable,
            jobs::RetryPolicy {
                max_attempts: max,
                base_s: if body.release {
                    0
                } else {
                    state.settings.job_retry_base_s
                },
            },
        )
        .await?;
        state.job_wake.notify_waiters();
        Ok(Done::NoContent)
    }
}
