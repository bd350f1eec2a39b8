//! Multipart uploads: a creator opens one, PUTs the parts to the URLs it is given (in any
//! order, in parallel, again after a crash), then completes it, which joins the parts into the
//! video's source object and queues the transcode.

use crate::catalog::videos::{self, Video};
use crate::db::{self, Db};
use crate::error::{ApiError, Code};
use crate::identity::accounts::User;
use serde::Deserialize;
use shared::store::{Multipart, ObjectStore, Store, StoreError, StoredPart};
use shared::{UploadState, VideoState};

/// Smallest part size (also S3's practical minimum for fast multipart uploads).
pub const MIN_PART_SIZE: u64 = 8 * 1024 * 1024;
/// S3's limit on parts per upload.
pub const MAX_PARTS: u64 = 10_000;

/// An upload as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct Upload {
    pub id: String,
    pub video_id: String,
    pub owner_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub part_size: u64,
    pub part_count: u32,
    pub state: UploadState,
    pub expires_at: String,
    /// The object store's id for the multipart upload (absent on uploads from before it was
    /// recorded, whose store id is the upload's own).
    #[serde(default)]
    pub store_upload_id: Option<String>,
}

const FIELDS: &str = "record::id(id) AS id, video_id, owner_id, filename, content_type, size, part_size, \
                      part_count, state, expires_at, store_upload_id";

/// The part size for an upload of `size` bytes: at least 8 MiB, a whole number of MiB, and
/// large enough that no upload needs more than 10,000 parts.
pub fn part_size_for(size: u64) -> u64 {
    const MIB: u64 = 1024 * 1024;
    let needed = size.div_ceil(MAX_PARTS);
    needed.div_ceil(MIB).max(MIN_PART_SIZE / MIB) * MIB
}

/// What a creator asks for when opening an upload.
pub struct NewUpload {
    pub filename: String,
    pub size: u64,
    pub content_type: String,
    pub title: String,
    pub description: Option<String>,
}

/// Limits on what one creator may upload.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_size: u64,
    pub ttl_s: u64,
    pub max_open_per_user: u32,
    /// Uploads one account may open in 24 hours (0: no limit).
    pub per_day: u32,
    /// Bytes of sources one account may keep (0: no limit).
    pub storage_quota: u64,
}

/// What an account has under way and keeps, as its quotas count it.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Usage {
    /// Uploads open and not yet expired.
    pub open: u64,
    /// Uploads opened in the last 24 hours.
    pub today: u64,
    /// Bytes of uploads open, completing or completed whose video is not deleted.
    pub bytes: u64,
}

impl Usage {
    /// Refuses an upload of `size` bytes that would take the account past a limit.
    fn admit(&self, size: u64, limits: &Limits) -> Result<(), ApiError> {
        let max_open = u64::from(limits.max_open_per_user);
        if self.open >= max_open {
            return Err(ApiError::new(
                Code::TooManyOpenUploads,
                format!(
                    "you have {} uploads in progress (the limit is {max_open}); \
                     complete or abort one first",
                    self.open
                ),
            ));
        }
        let per_day = u64::from(limits.per_day);
        if per_day > 0 && self.today >= per_day {
            return Err(ApiError::new(
                Code::TooManyUploadsToday,
                format!(
                    "you opened {} uploads in the last 24 hours (the limit is {per_day}); try again later",
                    self.today
                ),
            ));
        }
        let quota = limits.storage_quota;
        if quota > 0 && self.bytes.saturating_add(size) > quota {
            return Err(ApiError::new(
                Code::StorageQuotaExceeded,
                format!(
                    "this upload needs {size} bytes and your videos keep {} of your {quota}; \
                     delete videos or ask an admin for more room",
                    self.bytes
                ),
            ));
        }
        Ok(())
    }
}

/// The states of an upload whose bytes count against its owner's storage quota.
const KEPT: [UploadState; 3] = [
    UploadState::Open,
    UploadState::Completing,
    UploadState::Completed,
];

/// The SurrealQL that measures an account's [`Usage`] into `$usage`.
const USAGE: &str = "LET $usage = {
        open: (SELECT count() AS n FROM upload WHERE owner_id = $owner AND state = $open
               AND expires_at > $now GROUP ALL)[0].n ?? 0,
        today: (SELECT count() AS n FROM upload WHERE owner_id = $owner AND created_at > $day_ago
               GROUP ALL)[0].n ?? 0,
        bytes: math::sum((SELECT VALUE size FROM upload WHERE owner_id = $owner AND state IN $kept
               AND released_at = NONE)) ?? 0,
    };";

/// An account's usage now.
pub async fn usage(db: &Db, owner: &str) -> Result<Usage, ApiError> {
    let mut r = db
        .query(format!("{USAGE} RETURN $usage;"))
        .bind(("owner", owner.to_owned()))
        .bind(("open", UploadState::Open.as_str()))
        .bind(("kept", KEPT.map(UploadState::as_str)))
        .bind(("now", db::now()))
        .bind((
            "day_ago",
            db::ts(chrono::Utc::now() - chrono::Duration::hours(24)),
        ))
        .await?;
    let usage: Option<Usage> = db::first(&mut r, 1)?;
    Ok(usage.unwrap_or_default())
}

/// Opens an upload, its multipart upload in the store and the video it will become.
pub async fn create(
    db: &Db,
    store: &Store,
    owner: &User,
    req: NewUpload,
    limits: Limits,
) -> Result<(Upload, Video), ApiError> {
    let Limits {
        max_size, ttl_s, ..
    } = limits;
    if owner.role == shared::Role::Viewer {
        return Err(ApiError::forbidden(
            "viewers cannot upload; ask an admin to make you a creator",
        ));
    }
    let filename = req.filename.trim();
    if filename.is_empty() || filename.chars().count() > 255 || filename.contains(['/', '\\', '\0'])
    {
        return Err(ApiError::new(
            Code::InvalidFilename,
            "file names are 1 to 255 characters without slashes",
        ));
    }
    if req.size == 0 {
        return Err(ApiError::new(Code::EmptyUpload, "the file is empty"));
    }
    if req.size > max_size {
        return Err(ApiError::new(
            Code::UploadTooLarge,
            format!("the file is {} bytes; the limit is {max_size}", req.size),
        ));
    }
    let content_type = req.content_type.trim().to_lowercase();
    if content_type.len() > 100 {
        return Err(ApiError::new(
            Code::InvalidContentType,
            "content type too long",
        ));
    }
    let title = videos::check_title(&req.title)?;
    let description = videos::check_description(req.description)?;
    // Refused here before any work; checked again, atomically, as the upload is recorded.
    usage(db, &owner.id).await?.admit(req.size, &limits)?;
    let video = videos::create(db, owner, title, description).await?;
    let multipart = match store
        .create_multipart(&shared::layout::source_key(&video.id))
        .await
    {
        Ok(m) => m,
        Err(e) => {
            videos::set_state(db, &video.id, VideoState::Deleted, None).await?;
            return Err(e.into());
        }
    };
    let id = ulid::Ulid::new().to_string();
    let expires = chrono::Utc::now() + chrono::Duration::seconds(ttl_s as i64);
    let row = NewRow {
        id: &id,
        video_id: &video.id,
        owner_id: &owner.id,
        filename,
        content_type: &content_type,
        size: req.size,
        expires,
        store_upload_id: &multipart.id,
    };
    let record = record_upload(db, &row, &limits).await;
    if let Err(e) = record {
        // Racing creations went past a limit (or the database failed): undo this one.
        if let Err(abort) = store.abort_multipart(&multipart).await {
            tracing::warn!(video = %video.id, error = %abort, "dropping a refused upload's parts");
        }
        videos::set_state(db, &video.id, VideoState::Deleted, None).await?;
        return Err(e);
    }
    let upload = get(db, &id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("upload vanished")))?;
    Ok((upload, video))
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Upload>, ApiError> {
    if !shared::layout::is_safe_id(id) {
        return Ok(None);
    }
    let mut r = db
        .query(format!("SELECT {FIELDS} FROM type::record('upload', $id)"))
        .bind(("id", id.to_owned()))
        .await?;
    Ok(db::first(&mut r, 0)?)
}

/// An upload the user owns (admins may see every upload).
pub async fn get_owned(db: &Db, id: &str, user: &User) -> Result<Upload, ApiError> {
    match get(db, id).await? {
        Some(u) if u.owner_id == user.id || user.role == shared::Role::Admin => Ok(u),
        _ => Err(ApiError::new(
            Code::UploadNotFound,
            format!("no upload {id}"),
        )),
    }
}

/// An upload row about to be recorded.
struct NewRow<'a> {
    id: &'a str,
    video_id: &'a str,
    owner_id: &'a str,
    filename: &'a str,
    content_type: &'a str,
    size: u64,
    expires: chrono::DateTime<chrono::Utc>,
    store_upload_id: &'a str,
}

/// Records an upload if its owner's usage still admits it, in one transaction that first
/// writes the owner's `usage` row: creations by one account then conflict with each other and
/// run one after another, so racing requests cannot all pass the same count.
async fn record_upload(db: &Db, row: &NewRow<'_>, limits: &Limits) -> Result<(), ApiError> {
    let size = row.size;
    let part_size = part_size_for(size);
    let part_count = size.div_ceil(part_size) as u32;
    db::retry_conflicts(|| async {
        let mut resp = db
            .query(format!(
                "BEGIN TRANSACTION;
                 UPSERT type::record('usage', $owner) SET touched_at = $now;
                 {USAGE}
                 LET $admit = $usage.open < $max_open
                     AND ($per_day = 0 OR $usage.today < $per_day)
                     AND ($quota = 0 OR $usage.bytes + $size <= $quota);
                 IF $admit {{
                     CREATE type::record('upload', $id) SET video_id = $video, owner_id = $owner,
                         filename = $filename, content_type = $ct, size = $size, part_size = $ps,
                         part_count = $pc, state = $open, created_at = $now, expires_at = $exp,
                         store_upload_id = $sid
                 }};
                 RETURN $usage;
                 COMMIT TRANSACTION;"
            ))
            .bind(("id", row.id.to_owned()))
            .bind(("video", row.video_id.to_owned()))
            .bind(("owner", row.owner_id.to_owned()))
            .bind(("filename", row.filename.to_owned()))
            .bind(("ct", row.content_type.to_owned()))
            .bind(("size", size))
            .bind(("ps", part_size))
            .bind(("pc", part_count))
            .bind(("now", db::now()))
            .bind((
                "day_ago",
                db::ts(chrono::Utc::now() - chrono::Duration::hours(24)),
            ))
            .bind(("exp", db::ts(row.expires)))
            .bind(("sid", row.store_upload_id.to_owned()))
            .bind(("open", UploadState::Open.as_str()))
            .bind(("kept", KEPT.map(UploadState::as_str)))
            .bind(("max_open", u64::from(limits.max_open_per_user)))
            .bind(("per_day", u64::from(limits.per_day)))
            .bind(("quota", limits.storage_quota))
            .await?;
        if let Some(e) = db::failure(&mut resp) {
            return Err(e.into());
        }
        let n = resp.num_statements();
        let usage: Option<Usage> =
            db::first(&mut resp, n - 1).or_else(|_| db::first(&mut resp, n - 2))?;
        usage.unwrap_or_default().admit(size, limits)
    })
    .await
}

/// Ends uploads whose time ran out: drops their parts from the store, marks them `expired`
/// and their videos `failed`. Returns how many it ended.
pub async fn sweep_expired(db: &Db, store: &Store) -> Result<usize, ApiError> {
    let mut r = db
        .query(format!(
            "SELECT {FIELDS} FROM upload WHERE state = $open AND expires_at < $now LIMIT 100"
        ))
        .bind(("now", db::now()))
        .bind(("open", UploadState::Open.as_str()))
        .await?;
    let stale: Vec<Upload> = db::rows(&mut r, 0)?;
    let mut ended = 0;
    for up in stale {
        // Only the sweeper that wins the transition cleans up.
        if !transition(db, &up.id, UploadState::Open, UploadState::Expired).await? {
            continue;
        }
        if let Err(e) = store.abort_multipart(&up.multipart()).await {
            tracing::warn!(upload = %up.id, error = %e, "dropping an expired upload's parts");
        }
        videos::set_state(
            db,
            &up.video_id,
            VideoState::Failed,
            Some("the upload expired before it was completed".into()),
        )
        .await?;
        ended += 1;
    }
    Ok(ended)
}

/// The last steps of a completion once the store has joined the parts: queue the transcode
/// (once, whatever crashed before) and mark the upload completed.
pub async fn finish(db: &Db, up: &Upload) -> Result<(), ApiError> {
    if !crate::queue::jobs::exists_for_video(db, &up.video_id).await? {
        videos::set_state(db, &up.video_id, VideoState::Queued, None).await?;
        crate::queue::jobs::enqueue(db, &up.video_id).await?;
    }
    transition(db, &up.id, UploadState::Completing, UploadState::Completed).await?;
    Ok(())
}

/// Settles completions a crash interrupted (uploads left `completing` for longer than
/// `stuck_after_s`): if the store holds the whole source, the completion is finished; if not,
/// the upload is open again so the client can complete it anew. Returns how many it settled.
pub async fn recover_completions(
    db: &Db,
    store: &Store,
    stuck_after_s: u64,
) -> Result<usize, ApiError> {
    let before = db::ts(chrono::Utc::now() - chrono::Duration::seconds(stuck_after_s as i64));
    let mut r = db
        .query(format!(
            "SELECT {FIELDS} FROM upload WHERE state = $completing AND updated_at < $before LIMIT 100"
        ))
        .bind(("before", before))
        .bind(("completing", UploadState::Completing.as_str()))
        .await?;
    let stuck: Vec<Upload> = db::rows(&mut r, 0)?;
    let mut settled = 0;
    for up in stuck {
        match store.head(&shared::layout::source_key(&up.video_id)).await {
            Ok(meta) if meta.size == up.size => finish(db, &up).await?,
            Ok(_) | Err(shared::store::StoreError::NotFound(_)) => {
                transition(db, &up.id, UploadState::Completing, UploadState::Open).await?;
            }
            Err(e) => return Err(e.into()),
        }
        tracing::warn!(upload = %up.id, "settled an interrupted completion");
        settled += 1;
    }
    Ok(settled)
}

impl Upload {
    /// The multipart upload in the object store.
    pub fn multipart(&self) -> Multipart {
        Multipart {
            key: shared::layout::source_key(&self.video_id),
            id: self
                .store_upload_id
                .clone()
                .unwrap_or_else(|| self.id.clone()),
        }
    }

    pub fn is_expired(&self) -> bool {
        self.expires_at < db::now()
    }

    /// Checks the upload still takes parts.
    pub fn check_open(&self) -> Result<(), ApiError> {
        match self.current_state() {
            UploadState::Open => Ok(()),
            UploadState::Completing => Err(ApiError::new(
                Code::UploadCompleting,
                "this upload is being completed",
            )),
            UploadState::Completed => Err(ApiError::new(
                Code::UploadAlreadyCompleted,
                "this upload is already complete",
            )),
            UploadState::Expired => Err(ApiError::new(
                Code::UploadExpired,
                "this upload has expired; start a new one",
            )),
            UploadState::Aborted => Err(ApiError::new(
                Code::UploadAborted,
                "this upload was aborted",
            )),
        }
    }

    /// The state as clients see it: an open upload past its deadline is expired even before
    /// the sweeper has marked it so.
    pub fn current_state(&self) -> UploadState {
        match self.state {
            UploadState::Open if self.is_expired() => UploadState::Expired,
            s => s,
        }
    }

    /// The expected size of part `number` (1-based).
    pub fn expected_part_size(&self, number: u32) -> Option<u64> {
        if number == 0 || number > self.part_count {
            return None;
        }
        if number < self.part_count {
            Some(self.part_size)
        } else {
            Some(self.size - self.part_size * u64::from(self.part_count - 1))
        }
    }
}

/// Moves an upload from one state to another if it is still in the first; false if it was not.
pub async fn transition(
    db: &Db,
    id: &str,
    from: UploadState,
    to: UploadState,
) -> Result<bool, ApiError> {
    let mut r = db
        .query("UPDATE type::record('upload', $id) SET state = $to, updated_at = $now WHERE state = $from RETURN VALUE state")
        .bind(("id", id.to_owned()))
        .bind(("from", from.as_str()))
        .bind(("to", to.as_str()))
        .bind(("now", db::now()))
        .await?;
    let v: Vec<serde_json::Value> = r.take(0)?;
    Ok(!v.is_empty())
}

/// Every upload of a video.
pub async fn for_video(db: &Db, video_id: &str) -> Result<Vec<Upload>, ApiError> {
    let mut r = db
        .query(format!("SELECT {FIELDS} FROM upload WHERE video_id = $v"))
        .bind(("v", video_id.to_owned()))
        .await?;
    Ok(db::rows(&mut r, 0)?)
}

/// A deleted video's uploads: they stop counting against the owner's storage quota, and the
/// open ones are aborted so no client adds parts to a video that is gone. Returns the
/// uploads this call aborted.
pub async fn release_for_video(db: &Db, video_id: &str) -> Result<Vec<Upload>, ApiError> {
    let mut r = db
        .query(format!(
            "UPDATE upload SET released_at = $now WHERE video_id = $v AND released_at = NONE;
             SELECT {FIELDS} FROM upload WHERE video_id = $v AND state = $open;"
        ))
        .bind(("v", video_id.to_owned()))
        .bind(("now", db::now()))
        .bind(("open", UploadState::Open.as_str()))
        .await?;
    let open: Vec<Upload> = db::rows(&mut r, 1)?;
    let mut aborted = Vec::new();
    for up in open {
        if transition(db, &up.id, UploadState::Open, UploadState::Aborted).await? {
            aborted.push(up);
        }
    }
    Ok(aborted)
}

/// The parts the store holds; none once the store has dropped the upload.
pub async fn received(store: &Store, upload: &Upload) -> Result<Vec<StoredPart>, ApiError> {
    match store.list_parts(&upload.multipart()).await {
        Ok(parts) => Ok(parts),
        Err(StoreError::NoSuchUpload(_)) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Aborts an open upload: its parts are dropped and its video deleted.
pub async fn abort(db: &Db, store: &Store, upload: &Upload) -> Result<(), ApiError> {
    if !transition(db, &upload.id, UploadState::Open, UploadState::Aborted).await? {
        upload.check_open()?;
        return Err(ApiError::new(
            Code::UploadNotOpen,
            "this upload can no longer be aborted",
        ));
    }
    if let Err(e) = store.abort_multipart(&upload.multipart()).await {
        tracing::warn!(upload = %upload.id, error = %e, "dropping an aborted upload's parts");
    }
    videos::set_state(db, &upload.video_id, VideoState::Deleted, None).await?;
    Ok(())
}

/// Checks `listed` (what the client says it sent: every part once, in order, with the ETag
/// each PUT answered) against `stored` (what the store holds), part by part.
fn check_parts(
    upload: &Upload,
    listed: &[(u32, String)],
    stored: &[StoredPart],
) -> Result<(), ApiError> {
    let in_order = listed.len() == upload.part_count as usize
        && listed
            .iter()
            .enumerate()
            .all(|(i, (n, _))| *n as usize == i + 1);
    if !in_order {
        return Err(ApiError::new(
            Code::UploadPartsInvalid,
            format!("list parts 1 to {} once each, in order", upload.part_count),
        ));
    }
    for (number, etag) in listed {
        let Some(s) = stored.iter().find(|s| s.number == *number) else {
            return Err(ApiError::new(
                Code::UploadPartMissing,
                format!("part {number} was never uploaded"),
            ));
        };
        if s.etag.trim_matches('"') != etag.trim_matches('"') {
            return Err(ApiError::new(
                Code::UploadEtagMismatch,
                format!("part {number} does not match its ETag"),
            ));
        }
        let expected = upload.expected_part_size(*number).unwrap_or(0);
        if s.size != expected {
            return Err(ApiError::new(
                Code::UploadSizeMismatch,
                format!("part {number} has {} bytes, expected {expected}", s.size),
            ));
        }
    }
    Ok(())
}

/// Completes an upload: checks the parts the client lists against what the store holds,
/// has the store join them into the video's source and queues the transcode. Only one
/// request wins the `open -> completing` transition; a failure to join puts the upload back
/// to `open` so the client can fix its list or resend a part and complete again, and a crash
/// mid-way is settled by [`recover_completions`]. Returns the video, now queued.
pub async fn complete(
    db: &Db,
    store: &Store,
    upload: &Upload,
    listed: &[(u32, String)],
) -> Result<Video, ApiError> {
    upload.check_open()?;
    check_parts(upload, listed, &received(store, upload).await?)?;
    if !transition(db, &upload.id, UploadState::Open, UploadState::Completing).await? {
        return Err(ApiError::new(
            Code::UploadAlreadyCompleted,
            "this upload is already being completed",
        ));
    }
    let reopen = || transition(db, &upload.id, UploadState::Completing, UploadState::Open);
    match store.complete_multipart(&upload.multipart(), listed).await {
        Ok(meta) if meta.size == upload.size => {}
        Ok(meta) => {
            reopen().await?;
            return Err(ApiError::new(
                Code::UploadSizeMismatch,
                format!("received {} bytes, expected {}", meta.size, upload.size),
            ));
        }
        Err(e) => {
            reopen().await?;
            return Err(e.into());
        }
    }
    finish(db, upload).await?;
    videos::get(db, &upload.video_id)
        .await?
        .ok_or_else(|| ApiError::new(Code::VideoNotFound, "the video was deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_respect_both_limits() {
        const MIB: u64 = 1024 * 1024;
        assert_eq!(part_size_for(1), 8 * MIB);
        assert_eq!(part_size_for(80 * 1024 * MIB), 9 * MIB);
        let fifty_gib = 50 * 1024 * MIB;
        assert!(fifty_gib.div_ceil(part_size_for(fifty_gib)) <= MAX_PARTS);
    }
}
