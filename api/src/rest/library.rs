//! The viewer's library over REST: progress, continue watching, history, watchlist.

use crate::catalog::videos::{self, Video};
use crate::error::{ApiError, ApiResult, Code};
use crate::library::{self, Progress};
use crate::rest::ApiTags;
use crate::rest::auth::{Empty, UserAuth};
use crate::rest::videos::VideoDto;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

/// Where the viewer is in a video.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgressDto {
    pub video_id: String,
    /// Seconds from the start.
    pub position_s: f64,
    /// Watched past 90%.
    pub completed: bool,
    /// Offer to resume here (set between 5% and 90% of the video).
    pub resume_at_s: Option<f64>,
    pub updated_at: DateTime<Utc>,
}

impl ProgressDto {
    fn new(p: Progress, video: &Video) -> Self {
        ProgressDto {
            resume_at_s: p.resume_at(video.duration_s),
            video_id: p.video_id,
            position_s: p.position_s,
            completed: p.completed,
            updated_at: crate::db::parse_ts(&p.updated_at),
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReportProgressRequest {
    /// Seconds from the start of the video.
    pub position_s: f64,
}

/// A video with the viewer's progress in it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LibraryItem {
    pub video: VideoDto,
    pub progress: ProgressDto,
}

pub fn items(state: &AppState, rows: Vec<(Video, Progress)>) -> Vec<LibraryItem> {
    rows.into_iter()
        .map(|(v, p)| LibraryItem {
            progress: ProgressDto::new(p, &v),
            video: VideoDto::new(state, v),
        })
        .collect()
}

pub struct LibraryApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Library")]
impl LibraryApi {
    /// Report how far the viewer got (players call this every few seconds and on pause).
    #[oai(
        path = "/me/progress/:video_id",
        method = "put",
        operation_id = "report_progress"
    )]
    async fn report(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        video_id: Path<String>,
        body: Json<ReportProgressRequest>,
    ) -> ApiResult<Json<ProgressDto>> {
        let v = videos::get_visible(&state.db, &video_id, Some(&auth.0)).await?;
        let p = library::report(&state.db, &auth.0, &v, body.position_s).await?;
        Ok(Json(ProgressDto::new(p, &v)))
    }

    /// The viewer's progress in a video (from any device); `progress_not_found` if they never
    /// started it.
    #[oai(
        path = "/me/progress/:video_id",
        method = "get",
        operation_id = "get_progress"
    )]
    async fn progress(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        video_id: Path<String>,
    ) -> ApiResult<Json<ProgressDto>> {
        let v = videos::get_visible(&state.db, &video_id, Some(&auth.0)).await?;
        let p = library::get(&state.db, &auth.0, &v.id)
            .await?
            .ok_or_else(|| ApiError::new(Code::ProgressNotFound, "this video was never started"))?;
        Ok(Json(ProgressDto::new(p, &v)))
    }

    /// Videos the viewer stopped in the middle of, most recent first.
    #[oai(
        path = "/me/continue",
        method = "get",
        operation_id = "continue_watching"
    )]
    async fn continue_watching(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        /// At most this many (default 20).
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<Vec<LibraryItem>>> {
        let rows = library::continue_watching(
            &state.db,
            &state.cache,
            &auth.0,
            limit.0.unwrap_or(20).min(100),
        )
        .await?;
        Ok(Json(items(&state, rows)))
    }

    /// Everything the viewer watched, most recent first.
    #[oai(path = "/me/history", method = "get", operation_id = "list_history")]
    async fn history(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        /// At most this many (default 50).
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<Vec<LibraryItem>>> {
        let rows =
            library::history(&state.db, &state.cache, &auth.0, limit.0.unwrap_or(50)).await?;
        Ok(Json(items(&state, rows)))
    }

    /// The viewer's watchlist, most recently added first.
    #[oai(
        path = "/me/watchlist",
        method = "get",
        operation_id = "list_watchlist"
    )]
    async fn watchlist(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
    ) -> ApiResult<Json<Vec<VideoDto>>> {
        let list = library::watchlist(&state.db, &state.cache, &auth.0).await?;
        Ok(Json(
            list.into_iter().map(|v| VideoDto::new(&state, v)).collect(),
        ))
    }

    /// Put a video on the watchlist.
    #[oai(
        path = "/me/watchlist/:video_id",
        method = "put",
        operation_id = "add_to_watchlist"
    )]
    async fn add(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        video_id: Path<String>,
    ) -> ApiResult<Empty> {
        let v = videos::get_visible(&state.db, &video_id, Some(&auth.0)).await?;
        library::add_to_watchlist(&state.db, &auth.0, &v).await?;
        Ok(Empty::NoContent)
    }

    /// Take a video off the watchlist.
    #[oai(
        path = "/me/watchlist/:video_id",
        method = "delete",
        operation_id = "remove_from_watchlist"
    )]
    async fn remove(
        &self,
        state: Data<&AppState>,
        auth: UserAuth,
        video_id: Path<String>,
    ) -> ApiResult<Empty> {
        library::remove_from_watchlist(&state.db, &auth.0, &video_id).await?;
        Ok(Empty::NoContent)
    }
}
