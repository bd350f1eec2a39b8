//! Reading and editing videos over REST.

use crate::catalog::moderation;
use crate::catalog::videos::{self, ListQuery, Patch, Video};
use crate::delivery::playback::media_base;
use crate::delivery::subtitles;
use crate::error::ApiResult;
use crate::rest::ApiTags;
use crate::rest::auth::{Empty, MaybeUser, UserAuth};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use shared::{VideoState, Visibility};

/// Where and until when a published video can be played.
#[derive(Debug, Object, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct Playback {
    /// Signed URL of the HLS master playlist.
    pub master_url: String,
    /// Signed URL of the poster image the owner chose.
    pub poster_url: String,
    /// Signed URLs of every poster candidate, in index order (what `poster` picks from).
    pub poster_options: Vec<String>,
    /// Signed URL of the storyboard WebVTT index, when there is one.
    pub storyboard_url: Option<String>,
    /// When the signed URLs stop working.
    pub expires_at: DateTime<Utc>,
}

/// A video as clients see it.
#[derive(Debug, Object, Clone)]
#[oai(skip_serializing_if_is_none, rename = "Video")]
pub struct VideoDto {
    pub id: String,
    pub owner_id: String,
    pub title: String,
    pub description: Option<String>,
    pub genres: Vec<String>,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub state: VideoState,
    /// Why processing failed; shown to the owner.
    pub failure_reason: Option<String>,
    pub duration_s: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    /// Views counted (one per viewer per day).
    pub views: u64,
    /// Index of the chosen poster candidate.
    pub poster: u32,
    /// Present while an admin keeps the video hidden; only its owner and admins see it.
    pub moderation: Option<ModerationDto>,
    /// Present once the video is published.
    pub playback: Option<Playback>,
}

/// Why an admin hid a video.
#[derive(Debug, Object, Clone)]
#[oai(skip_serializing_if_is_none, rename = "Moderation")]
pub struct ModerationDto {
    /// The admin's reason, for the owner to act on.
    pub reason: String,
    pub hidden_at: DateTime<Utc>,
}

/// An admin hides a video.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HideVideoRequest {
    /// Why, in words the owner can act on (1 to 500 characters).
    pub reason: String,
}

/// Signed playback URLs for a published version of a video.
pub fn playback(state: &AppState, video: &Video) -> Option<Playback> {
    let m = media_base(
        &state.signer,
        state.settings.public_url.as_deref(),
        state.settings.media_links(),
        video,
    )?;
    Some(Playback {
        master_url: m.url(shared::layout::MASTER_PLAYLIST),
        poster_url: m.url(&shared::layout::poster_path(video.poster)),
        poster_options: (0..shared::layout::POSTER_CANDIDATES)
            .map(|i| m.url(&shared::layout::poster_path(i)))
            .collect(),
        storyboard_url: Some(m.url(shared::layout::STORYBOARD)),
        expires_at: m.expires,
    })
}

impl VideoDto {
    pub fn new(state: &AppState, v: Video) -> Self {
        let playback = playback(state, &v);
        VideoDto {
            id: v.id,
            owner_id: v.owner_id,
            title: v.title,
            description: v.description,
            genres: v.genres,
            tags: v.tags,
            visibility: v.visibility,
            state: v.state,
            failure_reason: v.failure_reason,
            duration_s: v.duration_s,
            created_at: crate::db::parse_ts(&v.created_at),
            published_at: v.published_at.as_deref().map(crate::db::parse_ts),
            views: v.views,
            poster: v.poster,
            moderation: v.moderation.map(|m| ModerationDto {
                reason: m.reason,
                hidden_at: crate::db::parse_ts(&m.at),
            }),
            playback,
        }
    }
}

/// A subtitle track.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SubtitleDto {
    /// Language tag, e.g. `en`, `pt-BR`.
    pub language: String,
    /// What players show in their subtitle menu, e.g. `English`.
    pub label: String,
}

impl From<subtitles::Subtitle> for SubtitleDto {
    fn from(s: subtitles::Subtitle) -> Self {
        SubtitleDto {
            language: s.language,
            label: s.label,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AddSubtitleRequest {
    pub language: String,
    pub label: String,
    /// The WebVTT file's text (at most 512 KiB).
    pub vtt: String,
}

#[derive(poem_openapi::ApiResponse)]
pub enum SubtitleAdded {
    /// Stored; players see it in the master playlist at once.
    #[oai(status = 201)]
    Created(Json<SubtitleDto>),
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
pub enum ListSort {
    /// Newest first.
    New,
    /// Most viewed first.
    Popular,
}

impl From<ListSort> for videos::Sort {
    fn from(s: ListSort) -> Self {
        match s {
            ListSort::New => videos::Sort::New,
            ListSort::Popular => videos::Sort::Popular,
        }
    }
}

/// What counting a view did.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ViewCounted {
    /// False when this viewer was already counted today.
    pub counted: bool,
}

/// One page of videos.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct VideoPage {
    pub items: Vec<VideoDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Metadata changes; absent fields stay as they are.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UpdateVideoRequest {
    pub title: Option<String>,
    /// An empty string clears the description.
    pub description: Option<String>,
    pub genres: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    /// Which poster candidate to show: an index into `playback.poster_options`.
    pub poster: Option<u32>,
}

pub struct VideosApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Videos")]
impl VideosApi {
    /// Published public videos, newest (or most viewed) first.
    #[oai(path = "/videos", method = "get", operation_id = "list_videos")]
    // poem-openapi takes each query parameter as an argument of its own.
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&AppState>,
        /// Words the title must contain.
        q: Query<Option<String>>,
        /// Only videos in this genre.
        genre: Query<Option<String>>,
        /// Only videos with this tag.
        tag: Query<Option<String>>,
        /// Only this creator's videos (a user id).
        creator: Query<Option<String>>,
        /// `new` (default) or `popular`.
        sort: Query<Option<ListSort>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 100 (default 24).
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<VideoPage>> {
        let query = ListQuery {
            sort: sort.0.map(Into::into).unwrap_or_default(),
            owner: None,
            q: q.0.filter(|s| !s.trim().is_empty()),
            genre: genre
                .0
                .map(|g| g.trim().to_lowercase())
                .filter(|g| !g.is_empty()),
            tag: tag
                .0
                .map(|t| t.trim().to_lowercase())
                .filter(|t| !t.is_empty()),
            creator: creator.0.filter(|c| shared::layout::is_safe_id(c)),
            cursor: cursor.0,
            limit: limit.0.unwrap_or(24),
        };
        let (items, next_cursor) = videos::list(&state.db, &query).await?;
        let items = items
            .into_iter()
            .map(|v| VideoDto::new(&state, v))
            .collect();
        Ok(Json(VideoPage { items, next_cursor }))
    }

    /// The caller's own videos in every state (uploading, processing, failed, ...), newest
    /// first.
    #[oai(path = "/me/videos", method = "get", operation_id = "list_my_videos")]
    async fn list_mine(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 100 (default 24).
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<VideoPage>> {
        let query = ListQuery {
            owner: Some(auth.0.id.clone()),
            cursor: cursor.0,
            limit: limit.0.unwrap_or(24),
            ..ListQuery::default()
        };
        let (items, next_cursor) = videos::list(&state.db, &query).await?;
        let items = items
            .into_iter()
            .map(|v| VideoDto::new(&state, v))
            .collect();
        Ok(Json(VideoPage { items, next_cursor }))
    }

    /// Add a WebVTT subtitle track (or replace the track in that language). Owner or admin.
    #[oai(
        path = "/videos/:video_id/subtitles",
        method = "post",
        operation_id = "add_subtitle"
    )]
    async fn add_subtitle(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        video_id: Path<String>,
        body: Json<AddSubtitleRequest>,
    ) -> ApiResult<SubtitleAdded> {
        let v = videos::get_managed(&state.db, &video_id, &auth.0).await?;
        let b = body.0;
        let s =
            subtitles::put(&state.db, &state.store, &v.id, &b.language, &b.label, b.vtt).await?;
        Ok(SubtitleAdded::Created(Json(s.into())))
    }

    /// The subtitle tracks of a video anyone may watch.
    #[oai(
        path = "/videos/:video_id/subtitles",
        method = "get",
        operation_id = "list_subtitles"
    )]
    async fn list_subtitles(
        &self,
        state: Data<&AppState>,
        auth: MaybeUser,
        video_id: Path<String>,
    ) -> ApiResult<Json<Vec<SubtitleDto>>> {
        let v = videos::get_visible(&state.db, &video_id, auth.user()).await?;
        let list = subtitles::list(&state.db, &v.id).await?;
        Ok(Json(list.into_iter().map(SubtitleDto::from).collect()))
    }

    /// Remove a subtitle track. Owner or admin.
    #[oai(
        path = "/videos/:video_id/subtitles/:language",
        method = "delete",
        operation_id = "delete_subtitle"
    )]
    async fn delete_subtitle(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        video_id: Path<String>,
        language: Path<String>,
    ) -> ApiResult<Empty> {
        let v = videos::get_managed(&state.db, &video_id, &auth.0).await?;
        subtitles::remove(&state.db, &state.store, &v.id, &language).await?;
        Ok(Empty::NoContent)
    }

    /// One video. Owners and admins see it in every state; others once it is published and
    /// not private.
    #[oai(path = "/videos/:video_id", method = "get", operation_id = "get_video")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: MaybeUser,
        video_id: Path<String>,
    ) -> ApiResult<Json<VideoDto>> {
        let v = state
            .cache
            .visible_video(&state.db, &video_id, auth.user())
            .await?;
        Ok(Json(VideoDto::new(&state, v)))
    }

    /// Count a view: players call this when playback starts. A viewer (an account, or an
    /// anonymous device) counts once per video per day.
    #[oai(
        path = "/videos/:video_id/views",
        method = "post",
        operation_id = "record_view"
    )]
    async fn record_view(
        &self,
        state: Data<&AppState>,
        auth: MaybeUser,
        req: &poem::Request,
        video_id: Path<String>,
    ) -> ApiResult<Json<ViewCounted>> {
        let v = state
            .cache
            .visible_video(&state.db, &video_id, auth.user())
            .await?;
        if v.state != VideoState::Published {
            return Err(crate::error::ApiError::new(
                crate::error::Code::VideoNotPlayable,
                "only a published video can be viewed",
            )
            .into());
        }
        let address = state.client_key(req);
        state.limits.view(address.as_deref())?;
        let viewer =
            crate::catalog::views::viewer_key(&state.signer, auth.user(), address.as_deref());
        let counted = crate::catalog::views::record(&state.db, &v, &viewer).await?;
        Ok(Json(ViewCounted { counted }))
    }

    /// Edit a video's metadata (owner or admin).
    #[oai(
        path = "/videos/:video_id",
        method = "patch",
        operation_id = "update_video"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        video_id: Path<String>,
        body: Json<UpdateVideoRequest>,
    ) -> ApiResult<Json<VideoDto>> {
        let v = videos::get_managed(&state.db, &video_id, &auth.0).await?;
        let body = body.0;
        let patch = Patch {
            title: body.title,
            description: body.description.map(Some),
            genres: body.genres,
            tags: body.tags,
            visibility: body.visibility,
            poster: body.poster,
        };
        let v = videos::update(&state.db, &v, patch).await?;
        Ok(Json(VideoDto::new(&state, v)))
    }

    /// Delete a video (owner or admin): it disappears at once; its files are removed.
    #[oai(
        path = "/videos/:video_id",
        method = "delete",
        operation_id = "delete_video"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        video_id: Path<String>,
    ) -> ApiResult<Empty> {
        let v = videos::get_managed(&state.db, &video_id, &auth.0).await?;
        let lease = state.settings.job_lease_s;
        crate::ingest::removal::delete_video(&state.db, &state.store, &v, lease).await?;
        Ok(Empty::NoContent)
    }

    /// Hide a video (admins): it leaves the catalogue and its links stop working for everyone
    /// but its owner and admins, who see the reason. Hiding a hidden video changes the reason.
    #[oai(
        path = "/videos/:video_id/moderation",
        method = "put",
        operation_id = "hide_video"
    )]
    async fn hide(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        video_id: Path<String>,
        body: Json<HideVideoRequest>,
    ) -> ApiResult<Json<VideoDto>> {
        let v = moderation::hide(&state.db, &auth.0, &video_id, &body.reason).await?;
        Ok(Json(VideoDto::new(&state, v)))
    }

    /// Restore a hidden video (admins): it is back where its visibility puts it.
    #[oai(
        path = "/videos/:video_id/moderation",
        method = "delete",
        operation_id = "restore_video"
    )]
    async fn restore(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        video_id: Path<String>,
    ) -> ApiResult<Json<VideoDto>> {
        let v = moderation::restore(&state.db, &auth.0, &video_id).await?;
        Ok(Json(VideoDto::new(&state, v)))
    }
}
