//! The transcode job queue, kept in the `job` table.
//!
//! Life of a job: `queued -> leased -> done`, or back to `queued` (a retryable failure or an
//! expired lease, after a backoff) until `max_attempts`, then `dead` with the video `failed`.
//! Leasing is a conditional update (`WHERE state = 'queued'`) inside a transaction, retried on
//! a write conflict, so two workers never hold the same attempt. Completion and failure are
//! compare-and-set on (job, attempt, job token): a worker whose lease expired and was handed
//! to someone else cannot overwrite the newer attempt.

use crate::catalog::videos;
use crate::changes::{Action, Follower};
use crate::db::{self, Db, is_conflict, retry_conflicts};
use crate::error::{ApiError, Code};
use crate::identity::accounts::{random_token, token_hash};
use serde::Deserialize;
use shared::{JobState, VideoState};
use std::time::Duration;

/// A job as a worker holds it.
#[derive(Debug, Clone)]
pub struct Lease {
    pub job_id: String,
    pub video_id: String,
    pub attempt: u32,
    pub job_token: String,
    pub lease_until: String,
    pub version: u32,
    /// Where to put the first playable version (lowest rung only), when the video has none
    /// yet: it is published as soon as the worker reports it, before the whole ladder.
    pub first_playable_version: Option<u32>,
    /// Seconds the job had waited for a worker since it became available.
    pub waited_s: f64,
}

#[derive(Debug, Deserialize)]
struct JobRow {
    id: String,
    video_id: String,
    attempt: u32,
    /// When it became available to lease (fixed-width UTC timestamp).
    #[serde(default)]
    available_at: Option<String>,
}

/// Queues the transcode of a video's source, once: the job's id is the video's, so racing
/// callers (two completion recoveries, the reconciler beside a completion) queue one job.
/// Returns the job's id.
pub async fn enqueue(db: &Db, video_id: &str) -> Result<String, ApiError> {
    let id = video_id.to_owned();
    // Fair share: a job's priority is how many jobs its creator queued in the last day, so one
    // creator's batch of uploads does not hold back everybody else's first.
    let since = db::ts(chrono::Utc::now() - chrono::Duration::hours(24));
    // Racing creations of the one record conflict; the retry then finds it made.
    retry_conflicts(|| async {
        let mut r = db
            .query(
                "LET $owner = (SELECT VALUE owner_id FROM type::record('video', $video))[0];
                 LET $recent = (SELECT count() AS n FROM job WHERE owner_id = $owner
                                AND created_at > $since GROUP ALL)[0].n OR 0;
                 CREATE type::record('job', $id) SET video_id = $video, owner_id = $owner,
                    priority = $recent, state = $queued, attempt = 0,
                    created_at = $now, available_at = $now;",
            )
            .bind(("queued", JobState::Queued.as_str()))
            .bind(("id", id.clone()))
            .bind(("video", video_id.to_owned()))
            .bind(("since", since.clone()))
            .bind(("now", db::now()))
            .await?;
        match db::failure(&mut r) {
            Some(e) if e.to_string().contains("already exists") => Ok(id.clone()),
            Some(e) => Err(e.into()),
            None => Ok(id.clone()),
        }
    })
    .await
}

/// Whether a video has ever had a job queued.
pub async fn exists_for_video(db: &Db, video_id: &str) -> Result<bool, ApiError> {
    let mut r = db
        .query("SELECT count() AS n FROM job WHERE video_id = $video GROUP ALL")
        .bind(("video", video_id.to_owned()))
        .await?;
    let row: Option<serde_json::Value> = db::first(&mut r, 0)?;
    Ok(row.and_then(|v| v["n"].as_u64()).unwrap_or(0) > 0)
}

/// Claims a runnable job for a worker, if there is one: the lowest priority number first
/// (creators with fewer recent uploads), then the oldest.
pub async fn try_lease(
    db: &Db,
    worker_id: &str,
    lease: Duration,
) -> Result<Option<Lease>, ApiError> {
    for _ in 0..8 {
        let token = random_token();
        let now = db::now();
        let until =
            db::ts(chrono::Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default());
        let resp = db
            .query(
                "BEGIN TRANSACTION;
                 LET $j = (SELECT id FROM job WHERE state = $queued AND available_at <= $now
                           ORDER BY priority, created_at LIMIT 1)[0].id;
                 LET $claimed = IF $j != NONE {
                     (UPDATE $j SET state = $leased, attempt += 1, token_hash = $th,
                         worker_id = $w, lease_until = $until, leased_at = $now, progress = 0
                      WHERE state = $queued
                      RETURN record::id(id) AS id, video_id, attempt, available_at)
                 } ELSE { [] };
                 RETURN $claimed;
                 COMMIT TRANSACTION;",
            )
            .bind(("now", now))
            .bind(("queued", JobState::Queued.as_str()))
            .bind(("leased", JobState::Leased.as_str()))
            .bind(("th", token_hash(&token)))
            .bind(("w", worker_id.to_owned()))
            .bind(("until", until.clone()))
            .await;
        let mut resp = match resp {
            Ok(r) => r,
            Err(e) if is_conflict(&e) => continue,
            Err(e) => return Err(e.into()),
        };
        // A conflicting transaction fails every statement in it; any of them may carry the
        // conflict itself, the others only say the transaction failed.
        let errors = resp.take_errors();
        if errors.values().any(is_conflict) {
            continue;
        }
        if let Some(e) = errors.into_values().next() {
            return Err(e.into());
        }
        let n = resp.num_statements();
        let claimed: Vec<JobRow> =
            db::rows(&mut resp, n - 1).or_else(|_| db::rows(&mut resp, n - 2))?;
        let Some(job) = claimed.into_iter().next() else {
            return Ok(None);
        };
        let (version, first_playable_version) =
            retry_conflicts(|| reserve_versions(db, &job.id, &job.video_id)).await?;
        let waited_s = job.available_at.as_deref().map_or(0.0, |at| {
            (chrono::Utc::now() - db::parse_ts(at))
                .num_milliseconds()
                .max(0) as f64
                / 1000.0
        });
        return Ok(Some(Lease {
            job_id: job.id,
            video_id: job.video_id,
            attempt: job.attempt,
            job_token: token,
            lease_until: until,
            version,
            first_playable_version,
            waited_s,
        }));
    }
    Ok(None)
}

/// Reserves the claimed job's output version (and a first-playable version when its video is
/// not playable yet) and marks the video processing.
async fn reserve_versions(
    db: &Db,
    job_id: &str,
    video_id: &str,
) -> Result<(u32, Option<u32>), ApiError> {
    let version = videos::next_version(db, video_id).await?;
    let playable = videos::get(db, video_id)
        .await?
        .is_some_and(|v| v.published_version.is_some());
    let first_playable_version = if playable {
        None
    } else {
        Some(videos::next_version(db, video_id).await?)
    };
    db.query("UPDATE type::record('job', $id) SET version = $v, first_playable_version = $pv")
        .bind(("id", job_id.to_owned()))
        .bind(("v", version))
        .bind(("pv", first_playable_version))
        .await?
        .check()?;
    videos::set_state(db, video_id, VideoState::Processing, None).await?;
    Ok((version, first_playable_version))
}

/// Compare-and-set guard of heartbeats and first playable versions: the job must still be
/// leased for this attempt by the holder of this token. `set` may use `$now`. (Completion and
/// failure, which move the video too, go through [`settle`].)
async fn cas(
    db: &Db,
    job_id: &str,
    attempt: u32,
    token: &str,
    set: &str,
) -> Result<Option<String>, ApiError> {
    if !shared::layout::is_safe_id(job_id) {
        return Err(ApiError::new(Code::JobNotFound, format!("no job {job_id}")));
    }
    // Concurrent leases read the queue in transactions; a write that collides with one is
    // rejected as a conflict and is simply tried again.
    retry_conflicts(|| async {
        let mut r = db
            .query(format!(
                "UPDATE type::record('job', $id) SET {set}
                 WHERE state = $leased AND attempt = $attempt AND token_hash = $th
                 RETURN VALUE video_id"
            ))
            .bind(("leased", JobState::Leased.as_str()))
            .bind(("id", job_id.to_owned()))
            .bind(("attempt", attempt))
            .bind(("th", token_hash(token)))
            .bind(("now", db::now()))
            .await?;
        let v: Vec<serde_json::Value> = r.take(0)?;
        Ok(v.into_iter()
            .next()
            .and_then(|v| v.as_str().map(str::to_owned)))
    })
    .await
}

fn lease_lost(job_id: &str) -> ApiError {
    ApiError::new(
        Code::JobLeaseLost,
        format!("job {job_id} is no longer leased to this attempt"),
    )
}

/// Extends a lease and records progress (0-100).
pub async fn heartbeat(
    db: &Db,
    job_id: &str,
    attempt: u32,
    token: &str,
    progress: f64,
    lease: Duration,
) -> Result<String, ApiError> {
    let until = db::ts(chrono::Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default());
    let set = format!(
        "lease_until = '{until}', progress = {}",
        progress.clamp(0.0, 100.0)
    );
    cas(db, job_id, attempt, token, &set)
        .await?
        .ok_or_else(|| lease_lost(job_id))?;
    Ok(until)
}

/// A version number a job records (`version` or `first_playable_version`).
async fn version_field(db: &Db, job_id: &str, field: &str) -> Result<Option<u32>, ApiError> {
    let mut r = db
        .query(format!(
            "SELECT VALUE {field} FROM type::record('job', $id)"
        ))
        .bind(("id", job_id.to_owned()))
        .await?;
    Ok(r.take::<Vec<serde_json::Value>>(0)?
        .first()
        .and_then(|v| v.as_u64())
        .map(|v| v as u32))
}

/// What settling a job does to its video, in the same transaction.
struct Then {
    /// Statements over `$video` and `$version` (the job's) and the values below.
    sql: String,
    duration: Option<f64>,
    state: Option<VideoState>,
    reason: Option<String>,
    /// The attempt's error, for the job's own `set` (`$error`).
    error: Option<String>,
}

/// Moves a job on from its lease (compare-and-set on state, attempt and job token, like
/// [`cas`]) and applies `then` to its video in one transaction, so that neither a crash nor a
/// failed write between the two can leave a finished job beside a video still processing.
/// The video id, or `None` when the lease was lost.
async fn settle(
    db: &Db,
    job_id: &str,
    attempt: u32,
    token: &str,
    to: JobState,
    set: &str,
    then: Then,
) -> Result<Option<String>, ApiError> {
    if !shared::layout::is_safe_id(job_id) {
        return Err(ApiError::new(Code::JobNotFound, format!("no job {job_id}")));
    }
    let sql = format!(
        "BEGIN TRANSACTION;
         LET $job = (UPDATE type::record('job', $id) SET state = $to, {set}
             WHERE state = $leased AND attempt = $attempt AND token_hash = $th
             RETURN video_id, version)[0];
         LET $video = $job.video_id;
         LET $version = $job.version;
         IF $job != NONE {{ {} }};
         RETURN {{ video: $video }};
         COMMIT TRANSACTION;",
        then.sql
    );
    retry_conflicts(|| async {
        let mut resp = db
            .query(sql.as_str())
            .bind(("id", job_id.to_owned()))
            .bind(("to", to.as_str()))
            .bind(("leased", JobState::Leased.as_str()))
            .bind(("attempt", attempt))
            .bind(("th", token_hash(token)))
            .bind(("now", db::now()))
            .bind(("duration", then.duration))
            .bind(("state", then.state.map(VideoState::as_str)))
            .bind(("reason", then.reason.clone()))
            .bind(("error", then.error.clone()))
            .await?;
        if let Some(e) = db::failure(&mut resp) {
            return Err(e.into());
        }
        let n = resp.num_statements();
        #[derive(serde::Deserialize)]
        struct Settled {
            video: Option<String>,
        }
        // An object, so the transaction's closing statement (a null row) cannot pass for it.
        let settled: Option<Settled> =
            db::first(&mut resp, n - 1).or_else(|_| db::first(&mut resp, n - 2))?;
        Ok(settled.and_then(|s| s.video))
    })
    .await
}

/// Marks an attempt done and publishes its version, in one transaction.
pub async fn complete(
    db: &Db,
    job_id: &str,
    attempt: u32,
    token: &str,
    duration_s: f64,
) -> Result<(), ApiError> {
    let then = Then {
        // A job leased without a version would publish nothing: refuse rather than point the
        // video at no rendition.
        sql: format!(
            "IF $version = NONE {{ THROW 'the job has no version' }}; {}",
            videos::PUBLISH
        ),
        duration: Some(duration_s),
        state: None,
        reason: None,
        error: None,
    };
    settle(
        db,
        job_id,
        attempt,
        token,
        JobState::Done,
        "finished_at = $now, progress = 100",
        then,
    )
    .await?
    .ok_or_else(|| lease_lost(job_id))?;
    Ok(())
}

/// How failed attempts are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts before a job is dead-lettered.
    pub max_attempts: u32,
    /// The wait before attempt n+1 is 2^n times this, in seconds.
    pub base_s: u64,
}

/// Publishes the first playable version of a job's video (its lowest rung), unless the video
/// became playable meanwhile. The job stays leased: the whole ladder follows.
pub async fn publish_first_playable(
    db: &Db,
    job_id: &str,
    attempt: u32,
    token: &str,
    duration_s: f64,
) -> Result<(), ApiError> {
    let first = version_field(db, job_id, "first_playable_version").await?;
    let video_id = cas(db, job_id, attempt, token, "first_playable_at = $now")
        .await?
        .ok_or_else(|| lease_lost(job_id))?;
    let Some(version) = first else {
        return Err(ApiError::new(
            Code::NoFirstPlayableExpected,
            "this job was not asked for a first playable version",
        ));
    };
    retry_conflicts(|| videos::publish_first(db, &video_id, version, duration_s)).await
}

/// Drops first playable versions the whole ladder replaced more than `grace_s` ago (long
/// enough for every signed URL handed out for them to have expired). Returns how many.
pub async fn drop_replaced_first_playables(
    db: &Db,
    store: &shared::store::Store,
    grace_s: u64,
) -> Result<usize, ApiError> {
    use shared::store::ObjectStore;
    let before = db::ts(chrono::Utc::now() - chrono::Duration::seconds(grace_s as i64));
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, video_id, first_playable_version FROM job
             WHERE state = $done AND first_playable_at != NONE AND first_playable_dropped = NONE
               AND finished_at < $before LIMIT 100",
        )
        .bind(("done", JobState::Done.as_str()))
        .bind(("before", before))
        .await?;
    let rows: Vec<serde_json::Value> = r.take(0)?;
    let mut dropped = 0;
    for row in rows {
        let (Some(id), Some(video), Some(version)) = (
            row["id"].as_str(),
            row["video_id"].as_str(),
            row["first_playable_version"].as_u64(),
        ) else {
            continue;
        };
        let published = videos::get(db, video)
            .await?
            .and_then(|v| v.published_version);
        // Never the version viewers are sent to (a ladder that failed leaves the first playable version up).
        if published != Some(version as u32) {
            let prefix = format!("{}/", shared::layout::version_prefix(video, version as u32));
            store.delete_prefix(&prefix).await?;
        }
        db.query("UPDATE type::record('job', $id) SET first_playable_dropped = $now")
            .bind(("id", id.to_owned()))
            .bind(("now", db::now()))
            .await?
            .check()?;
        dropped += 1;
    }
    Ok(dropped)
}

/// Records a failed attempt: retried later when `retryable` and attempts remain, otherwise the
/// job is dead-lettered and the video fails with `reason`.
pub async fn fail(
    db: &Db,
    job_id: &str,
    attempt: u32,
    token: &str,
    reason: &str,
    retryable: bool,
    policy: RetryPolicy,
) -> Result<(), ApiError> {
    let retry = retryable && attempt < policy.max_attempts;
    let reason: String = reason.chars().take(2000).collect();
    let (to, set) = if retry {
        let backoff = 2i64.pow(attempt.min(8)) * policy.base_s as i64;
        let at = db::ts(chrono::Utc::now() + chrono::Duration::seconds(backoff));
        (
            JobState::Queued,
            format!("available_at = '{at}', last_error = $error"),
        )
    } else {
        (
            JobState::Dead,
            "finished_at = $now, last_error = $error".to_owned(),
        )
    };
    let (state, why) = if retry {
        (VideoState::Queued, None)
    } else {
        (VideoState::Failed, Some(reason.clone()))
    };
    let then = Then {
        sql: videos::SET_STATE.to_owned(),
        duration: None,
        state: Some(state),
        reason: why,
        error: Some(reason),
    };
    settle(db, job_id, attempt, token, to, &set, then)
        .await?
        .ok_or_else(|| lease_lost(job_id))?;
    Ok(())
}

/// Re-queues jobs whose lease expired (their worker died or lost contact), or dead-letters
/// them when they have used all their attempts. Returns how many it touched.
pub async fn requeue_expired(db: &Db, max_attempts: u32) -> Result<usize, ApiError> {
    let mut r = db
        .query(
            "UPDATE job SET state = IF attempt >= $max { $dead } ELSE { $queued },
                available_at = $now, last_error = 'lease expired'
             WHERE state = $leased AND lease_until < $now
             RETURN record::id(id) AS id, video_id, state",
        )
        .bind(("dead", JobState::Dead.as_str()))
        .bind(("queued", JobState::Queued.as_str()))
        .bind(("leased", JobState::Leased.as_str()))
        .bind(("now", db::now()))
        .bind(("max", max_attempts))
        .await?;
    let rows: Vec<serde_json::Value> = r.take(0)?;
    for row in &rows {
        let (Some(video), Some(state)) = (
            row["video_id"].as_str(),
            row["state"]
                .as_str()
                .and_then(|s| s.parse::<JobState>().ok()),
        ) else {
            continue;
        };
        if state == JobState::Dead {
            let reason = "transcoding did not finish: its worker stopped responding".to_owned();
            videos::set_state(db, video, VideoState::Failed, Some(reason)).await?;
        } else {
            videos::set_state(db, video, VideoState::Queued, None).await?;
        }
    }
    Ok(rows.len())
}

/// Cancels the queued or running jobs of a video (it was deleted). A worker still holding the
/// lease finds out when its next heartbeat or completion is refused.
pub async fn cancel_for_video(db: &Db, video_id: &str) -> Result<(), ApiError> {
    db.query(
        "UPDATE job SET state = $cancelled, finished_at = $now
         WHERE video_id = $v AND state IN [$queued, $leased]",
    )
    .bind(("cancelled", JobState::Cancelled.as_str()))
    .bind(("queued", JobState::Queued.as_str()))
    .bind(("leased", JobState::Leased.as_str()))
    .bind(("v", video_id.to_owned()))
    .bind(("now", db::now()))
    .await?
    .check()?;
    Ok(())
}

/// Wakes this replica's long-polling workers whenever any replica queues a job (a new upload,
/// a retry, a re-queued lease), by following the `job` table through a live query. Runs for
/// as long as the process (see [`crate::changes::follow`]); when the feed drops, waiters are
/// woken once, so nothing waits on a change it missed.
pub struct QueueWatch(pub std::sync::Arc<tokio::sync::Notify>);

impl Follower for QueueWatch {
    const NAME: &'static str = "job queue";
    const TABLES: &'static [&'static str] = &["job"];

    async fn live(&self, _up: bool) {
        // A job queued while the feed was down must not wait for the next one.
        self.0.notify_waiters();
    }

    async fn changed(&self, _table: &'static str, _action: Action, record: serde_json::Value) {
        if record["state"] == JobState::Queued.as_str() {
            self.0.notify_waiters();
        }
    }
}

/// A job as the admin console lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct JobView {
    pub id: String,
    pub video_id: String,
    /// The video's title, when the video still exists.
    pub title: Option<String>,
    pub state: JobState,
    pub attempt: u32,
    /// Percent of the running attempt (from its heartbeats).
    pub progress: Option<f64>,
    /// The worker holding (or that last held) it.
    pub worker_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// The most jobs one listing returns.
pub const LIST_LIMIT: u32 = 200;

/// Jobs in `state` (every state when `None`), newest first (admins only).
pub async fn list(
    db: &Db,
    by: &crate::identity::accounts::User,
    state: Option<JobState>,
) -> Result<Vec<JobView>, ApiError> {
    crate::queue::workers::admin_only(by)?;
    let filter = if state.is_some() {
        "WHERE state = $state"
    } else {
        ""
    };
    let mut r = db
        .query(format!(
            "SELECT record::id(id) AS id, video_id, state, attempt, progress, worker_id,
                last_error, created_at, finished_at,
                type::record('video', video_id).title AS title
             FROM job {filter} ORDER BY created_at DESC LIMIT {LIST_LIMIT}"
        ))
        .bind(("state", state.map(|s| s.as_str())))
        .await?;
    Ok(db::rows(&mut r, 0)?)
}

/// Queues a dead-lettered job again with a fresh set of attempts, and its video with it, in
/// one transaction (admins only). Only a dead job can be retried: one that is queued or
/// running is already on its way, a cancelled one belongs to a deleted video.
pub async fn retry_dead(
    db: &Db,
    by: &crate::identity::accounts::User,
    job_id: &str,
) -> Result<(), ApiError> {
    crate::queue::workers::admin_only(by)?;
    let missing = || ApiError::new(Code::JobNotFound, format!("no job {job_id}"));
    if !shared::layout::is_safe_id(job_id) {
        return Err(missing());
    }
    let sql = format!(
        "BEGIN TRANSACTION;
         LET $before = (SELECT VALUE state FROM ONLY type::record('job', $id));
         LET $job = (UPDATE type::record('job', $id) SET state = $queued, attempt = 0,
             available_at = $now, finished_at = NONE, progress = 0, token_hash = NONE,
             lease_until = NONE
             WHERE state = $dead RETURN video_id)[0];
         LET $video = $job.video_id;
         IF $job != NONE {{ {} }};
         RETURN {{ before: $before, retried: $job != NONE }};
         COMMIT TRANSACTION;",
        videos::SET_STATE
    );
    #[derive(Deserialize)]
    struct Retried {
        before: Option<JobState>,
        retried: bool,
    }
    let out: Option<Retried> = retry_conflicts(|| async {
        let mut resp = db
            .query(sql.as_str())
            .bind(("id", job_id.to_owned()))
            .bind(("queued", JobState::Queued.as_str()))
            .bind(("dead", JobState::Dead.as_str()))
            .bind(("state", VideoState::Queued.as_str()))
            .bind(("reason", None::<String>))
            .bind(("now", db::now()))
            .await?;
        if let Some(e) = db::failure(&mut resp) {
            return Err(e.into());
        }
        let n = resp.num_statements();
        // An object, so the transaction's closing statement (a null row) cannot pass for it.
        Ok(db::first(&mut resp, n - 1).or_else(|_| db::first(&mut resp, n - 2))?)
    })
    .await?;
    match out {
        Some(Retried { retried: true, .. }) => Ok(()),
        Some(Retried {
            before: Some(s), ..
        }) => Err(ApiError::new(
            Code::JobNotDead,
            format!("job {job_id} is {s}: only a dead-lettered job can be retried"),
        )),
        _ => Err(missing()),
    }
}
