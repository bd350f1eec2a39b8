//! Videos: the catalogue rows, who may see them, and the state changes of their life.

use crate::db::{self, Db};
use crate::error::{ApiError, Code};
use crate::identity::accounts::User;
use serde::Deserialize;
use shared::{Role, VideoState, Visibility};

/// Why and when a video was hidden.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Moderation {
    pub reason: String,
    /// The admin who hid it.
    pub by: String,
    pub at: String,
}

/// A video as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct Video {
    pub id: String,
    pub owner_id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub genres: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub state: VideoState,
    #[serde(default)]
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub duration_s: Option<f64>,
    pub created_at: String,
    #[serde(default)]
    pub published_at: Option<String>,
    /// The rendition version viewers are served, once published.
    #[serde(default)]
    pub published_version: Option<u32>,
    /// Views counted so far (one per viewer per day).
    #[serde(default)]
    pub views: u64,
    /// Which poster candidate viewers see (0 is the default).
    #[serde(default)]
    pub poster: u32,
    /// Set while an admin keeps the video hidden.
    #[serde(default)]
    pub moderation: Option<Moderation>,
}

/// The columns every video read projects.
pub const FIELDS: &str = "record::id(id) AS id, owner_id, title, description, genres, tags, visibility, state, \
                      failure_reason, duration_s, created_at, published_at, published_version, views, \
                      poster ?? 0 AS poster, moderation";

/// Where the catalogue shows published public videos that no admin has hidden.
pub const CATALOGUE: &str = "state = 'published' AND visibility = 'public' AND moderation = NONE";

impl Video {
    /// Owners and admins manage a video.
    pub fn managed_by(&self, user: Option<&User>) -> bool {
        user.is_some_and(|u| u.id == self.owner_id || u.role == Role::Admin)
    }

    /// Whether an admin has hidden the video.
    pub fn hidden(&self) -> bool {
        self.moderation.is_some()
    }

    /// Whether the video belongs in the public catalogue (listings, rails, search).
    pub fn listed(&self) -> bool {
        self.state == VideoState::Published
            && self.visibility == Visibility::Public
            && !self.hidden()
    }

    /// Whether `user` may see this video at all: managers always; others only when it is
    /// published, not private and not hidden.
    pub fn visible_to(&self, user: Option<&User>) -> bool {
        if self.state == VideoState::Deleted {
            return false;
        }
        self.managed_by(user)
            || (self.state == VideoState::Published
                && self.visibility != Visibility::Private
                && !self.hidden())
    }

    /// Whether only managers may play it: media links to it are issued in owner scope.
    pub fn restricted(&self) -> bool {
        self.visibility == Visibility::Private || self.hidden()
    }
}

/// Validates a title.
pub fn check_title(title: &str) -> Result<String, ApiError> {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(ApiError::new(
            Code::InvalidTitle,
            "titles are 1 to 200 characters",
        ));
    }
    Ok(t.to_owned())
}

/// Validates a description.
pub fn check_description(d: Option<String>) -> Result<Option<String>, ApiError> {
    match d {
        Some(d) if d.chars().count() > 10_000 => Err(ApiError::new(
            Code::InvalidDescription,
            "descriptions are at most 10000 characters",
        )),
        Some(d) if d.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// Creates a video in `uploading` state.
pub async fn create(
    db: &Db,
    owner: &User,
    title: String,
    description: Option<String>,
) -> Result<Video, ApiError> {
    let id = ulid::Ulid::new().to_string();
    db.query(
        "CREATE type::record('video', $id) SET owner_id = $owner, title = $title, description = $desc,
             genres = [], tags = [], visibility = 'public', state = 'uploading', created_at = $now,
             version_seq = 0, views = 0",
    )
    .bind(("id", id.clone()))
    .bind(("owner", owner.id.clone()))
    .bind(("title", title))
    .bind(("desc", description))
    .bind(("now", db::now()))
    .await?
    .check()?;
    get(db, &id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("video vanished")))
}

/// A video by id, whatever its state.
pub async fn get(db: &Db, id: &str) -> Result<Option<Video>, ApiError> {
    if !shared::layout::is_safe_id(id) {
        return Ok(None);
    }
    let mut r = db
        .query(format!("SELECT {FIELDS} FROM type::record('video', $id)"))
        .bind(("id", id.to_owned()))
        .await?;
    Ok(db::first(&mut r, 0)?)
}

/// Videos by id in one query, in the order asked for; unknown ids are left out.
pub async fn get_many(db: &Db, ids: &[String]) -> Result<Vec<Video>, ApiError> {
    let ids: Vec<String> = ids
        .iter()
        .filter(|i| shared::layout::is_safe_id(i))
        .cloned()
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Bound as record ids: cheaper for the database than building them in the query.
    let records: Vec<surrealdb::types::RecordId> = ids
        .iter()
        .map(|i| surrealdb::types::RecordId::new("video", i.as_str()))
        .collect();
    let mut r = db
        .query(format!("SELECT {FIELDS} FROM $ids"))
        .bind(("ids", records))
        .await?;
    let found: Vec<Video> = db::rows(&mut r, 0)?;
    Ok(in_order(&ids, found))
}

/// `found` rearranged into the order of `ids`.
pub fn in_order(ids: &[String], found: Vec<Video>) -> Vec<Video> {
    let mut by_id: std::collections::HashMap<String, Video> =
        found.into_iter().map(|v| (v.id.clone(), v)).collect();
    ids.iter().filter_map(|i| by_id.remove(i)).collect()
}

/// A video by id that `user` may see, or `video_not_found`.
pub async fn get_visible(db: &Db, id: &str, user: Option<&User>) -> Result<Video, ApiError> {
    match get(db, id).await? {
        Some(v) if v.visible_to(user) => Ok(v),
        _ => Err(ApiError::new(Code::VideoNotFound, format!("no video {id}"))),
    }
}

/// A video by id that `user` may manage; others get `video_not_found` (so ids do not leak)
/// unless they can see it, in which case `forbidden`.
pub async fn get_managed(db: &Db, id: &str, user: &User) -> Result<Video, ApiError> {
    match get(db, id).await? {
        Some(v) if v.managed_by(Some(user)) && v.state != VideoState::Deleted => Ok(v),
        Some(v) if v.visible_to(Some(user)) => Err(ApiError::forbidden(
            "only the owner or an admin may change this video",
        )),
        _ => Err(ApiError::new(Code::VideoNotFound, format!("no video {id}"))),
    }
}

/// How a listing is ordered.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest first.
    #[default]
    New,
    /// Most viewed first (newest first among equals).
    Popular,
}

/// Filters for a listing.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    /// A creator's own videos in every state but `deleted`, instead of the public catalogue.
    pub owner: Option<String>,
    pub q: Option<String>,
    pub genre: Option<String>,
    /// Only videos with this tag.
    pub tag: Option<String>,
    /// Only this creator's public videos.
    pub creator: Option<String>,
    pub sort: Sort,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: u32,
}

/// Where a page starts: after this (views, id) in popular order, after this id in new order.
#[derive(Debug, Clone, PartialEq)]
enum Cursor {
    New(String),
    Popular(u64, String),
}

impl Cursor {
    fn parse(sort: Sort, raw: &str) -> Result<Cursor, ApiError> {
        let bad = || {
            ApiError::new(
                Code::InvalidCursor,
                "the cursor is not one this listing gave out",
            )
        };
        match sort {
            Sort::New if shared::layout::is_safe_id(raw) => Ok(Cursor::New(raw.to_owned())),
            Sort::Popular => {
                let (views, id) = raw.split_once('.').ok_or_else(bad)?;
                let views = views.parse().map_err(|_| bad())?;
                if !shared::layout::is_safe_id(id) {
                    return Err(bad());
                }
                Ok(Cursor::Popular(views, id.to_owned()))
            }
            _ => Err(bad()),
        }
    }
}

/// The cursor that pages a listing in `sort` order on from just after `v`.
pub fn cursor_after(sort: Sort, v: &Video) -> String {
    match sort {
        Sort::New => v.id.clone(),
        Sort::Popular => format!("{}.{}", v.views, v.id),
    }
}

/// Published public videos (or one owner's videos), newest or most viewed first, paged by
/// keyset: ids are time-ordered ULIDs, so a cursor stays stable when new videos arrive.
pub async fn list(db: &Db, q: &ListQuery) -> Result<(Vec<Video>, Option<String>), ApiError> {
    let limit = q.limit.clamp(1, 100);
    let cursor = q
        .cursor
        .as_deref()
        .map(|c| Cursor::parse(q.sort, c))
        .transpose()?;
    let mut sql = if q.owner.is_some() {
        format!("SELECT {FIELDS} FROM video WHERE owner_id = $owner AND state != 'deleted'")
    } else {
        format!("SELECT {FIELDS} FROM video WHERE {CATALOGUE}")
    };
    let (mut after_views, mut after_id) = (None, None);
    match cursor {
        Some(Cursor::New(id)) => {
            sql.push_str(" AND record::id(id) < $after_id");
            after_id = Some(id);
        }
        Some(Cursor::Popular(views, id)) => {
            sql.push_str(
                " AND (views < $after_views OR (views = $after_views AND record::id(id) < $after_id))",
            );
            after_views = Some(views);
            after_id = Some(id);
        }
        None => {}
    }
    if q.genre.is_some() {
        sql.push_str(" AND $genre IN genres");
    }
    if q.tag.is_some() {
        sql.push_str(" AND $tag IN tags");
    }
    if q.creator.is_some() {
        sql.push_str(" AND owner_id = $creator");
    }
    if q.q.is_some() {
        sql.push_str(" AND string::contains(string::lowercase(title), $q)");
    }
    sql.push_str(match q.sort {
        Sort::New => " ORDER BY id DESC LIMIT $limit",
        Sort::Popular => " ORDER BY views DESC, id DESC LIMIT $limit",
    });
    let mut r = db
        .query(sql)
        .bind(("owner", q.owner.clone()))
        .bind(("after_id", after_id))
        .bind(("after_views", after_views))
        .bind(("genre", q.genre.clone()))
        .bind(("tag", q.tag.clone()))
        .bind(("creator", q.creator.clone()))
        .bind(("q", q.q.as_ref().map(|s| s.trim().to_lowercase())))
        .bind(("limit", i64::from(limit) + 1))
        .await?;
    let mut items: Vec<Video> = db::rows(&mut r, 0)?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|v| cursor_after(q.sort, v))
    } else {
        None
    };
    Ok((items, next))
}

/// A genre and how many catalogue videos it has.
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
pub struct Genre {
    pub name: String,
    pub videos: u64,
}

/// The catalogue's genres, largest first.
pub async fn genres(db: &Db) -> Result<Vec<Genre>, ApiError> {
    let mut r = db
        .query(format!(
            "SELECT genres AS name, count() AS videos FROM (
                 SELECT genres FROM video
                 WHERE {CATALOGUE} AND array::len(genres ?? []) > 0
                 SPLIT genres
             ) GROUP BY genres"
        ))
        .await?;
    let mut list: Vec<Genre> = db::rows(&mut r, 0)?;
    list.retain(|g| !g.name.is_empty());
    list.sort_by(|a, b| b.videos.cmp(&a.videos).then_with(|| a.name.cmp(&b.name)));
    Ok(list)
}

/// Metadata changes from an owner.
#[derive(Debug, Default)]
pub struct Patch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub genres: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    /// Index of the poster candidate to show.
    pub poster: Option<u32>,
}

fn clean_labels(kind: &'static str, labels: Vec<String>) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for l in labels {
        let l = l.trim().to_lowercase();
        if l.is_empty() || l.chars().count() > 40 {
            return Err(ApiError::new(
                Code::InvalidLabel,
                format!("{kind} are 1 to 40 characters"),
            ));
        }
        if !out.contains(&l) {
            out.push(l);
        }
    }
    if out.len() > 20 {
        return Err(ApiError::new(
            Code::InvalidLabel,
            format!("at most 20 {kind}"),
        ));
    }
    Ok(out)
}

/// A poster choice must name a candidate of a video that has some.
fn check_poster(video: &Video, index: u32) -> Result<(), ApiError> {
    if index >= shared::layout::POSTER_CANDIDATES {
        return Err(ApiError::new(
            Code::InvalidPoster,
            format!(
                "poster is a candidate index from 0 to {}",
                shared::layout::POSTER_CANDIDATES - 1
            ),
        ));
    }
    if video.published_version.is_none() {
        return Err(ApiError::new(
            Code::PosterNotReady,
            "poster candidates exist once the video is processed",
        ));
    }
    Ok(())
}

pub async fn update(db: &Db, video: &Video, patch: Patch) -> Result<Video, ApiError> {
    let title = patch.title.map(|t| check_title(&t)).transpose()?;
    let description = patch.description.map(check_description).transpose()?;
    let genres = patch
        .genres
        .map(|g| clean_labels("genres", g))
        .transpose()?;
    let tags = patch.tags.map(|t| clean_labels("tags", t)).transpose()?;
    if let Some(p) = patch.poster {
        check_poster(video, p)?;
    }
    db.query(
        "UPDATE type::record('video', $id) SET
            title = $title ?? title,
            description = IF $set_desc { $desc } ELSE { description },
            genres = $genres ?? genres,
            tags = $tags ?? tags,
            visibility = $vis ?? visibility,
            poster = $poster ?? poster ?? 0",
    )
    .bind(("id", video.id.clone()))
    .bind(("title", title))
    .bind(("set_desc", description.is_some()))
    .bind(("desc", description.flatten()))
    .bind(("genres", genres))
    .bind(("tags", tags))
    .bind(("vis", patch.visibility.map(|v| v.as_str().to_owned())))
    .bind(("poster", patch.poster))
    .await?
    .check()?;
    get(db, &video.id)
        .await?
        .ok_or_else(|| ApiError::new(Code::VideoNotFound, "video vanished"))
}

/// The statement behind [`set_state`] for every state but `deleted`, over `$video`, `$state`
/// and `$reason`, for transactions that move a video along with something else.
pub const SET_STATE: &str = "UPDATE type::record('video', $video) SET failure_reason = $reason,
    state = IF state IN ['published', 'deleted'] { state } ELSE { $state }";

/// The statement that publishes `$version` of `$video` (of `$duration` seconds), unless it
/// was deleted: the one pointer flip that makes new renditions visible.
pub const PUBLISH: &str = "UPDATE type::record('video', $video) SET state = 'published',
    published_version = $version, duration_s = $duration, failure_reason = NONE,
    published_at = published_at ?? $now
    WHERE state != 'deleted'";

/// Moves a video to a new state, recording a failure reason when there is one. A published
/// video stays published (and watchable) whatever happens to later transcodes, and a deleted
/// one stays deleted; only deletion applies to every video.
pub async fn set_state(
    db: &Db,
    id: &str,
    state: VideoState,
    reason: Option<String>,
) -> Result<(), ApiError> {
    let sql = if state == VideoState::Deleted {
        "UPDATE type::record('video', $video) SET state = $state, failure_reason = $reason"
    } else {
        SET_STATE
    };
    db.query(sql)
        .bind(("video", id.to_owned()))
        .bind(("state", state.as_str().to_owned()))
        .bind(("reason", reason))
        .await?
        .check()?;
    Ok(())
}

/// Publishes a video's first playable version, if it has none yet.
pub async fn publish_first(
    db: &Db,
    id: &str,
    version: u32,
    duration_s: f64,
) -> Result<(), ApiError> {
    flip(db, id, version, duration_s, "AND published_version = NONE").await
}

/// Reserves the next rendition version number of a video.
pub async fn next_version(db: &Db, id: &str) -> Result<u32, ApiError> {
    let mut r = db
        .query("UPDATE type::record('video', $id) SET version_seq += 1 RETURN VALUE version_seq")
        .bind(("id", id.to_owned()))
        .await?;
    let v: Option<serde_json::Value> = r.take(0)?;
    v.and_then(|v| v.as_u64())
        .map(|v| v as u32)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("video {id} has no version counter")))
}

/// Points a video at a version (when `condition` also holds) and marks it published.
async fn flip(
    db: &Db,
    id: &str,
    version: u32,
    duration_s: f64,
    condition: &str,
) -> Result<(), ApiError> {
    db.query(format!("{PUBLISH} {condition}"))
        .bind(("video", id.to_owned()))
        .bind(("version", version))
        .bind(("duration", duration_s))
        .bind(("now", db::now()))
        .await?
        .check()?;
    Ok(())
}
