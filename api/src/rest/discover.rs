//! Finding something to watch over REST: search, genres and the home page's rails.

use crate::catalog::rails::Rail;
use crate::catalog::search;
use crate::catalog::videos::Video;
use crate::error::ApiResult;
use crate::library::Progress;
use crate::library::home;
use crate::rest::ApiTags;
use crate::rest::auth::MaybeUser;
use crate::rest::library::LibraryItem;
use crate::rest::videos::VideoDto;
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

/// One search result.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SearchHit {
    pub video: VideoDto,
    /// Relevance (BM25; title matches weigh most).
    pub score: f64,
    /// The title, HTML-escaped, with the matched words in `<mark>`.
    pub title_marked: String,
    /// Part of the description around its first match, marked the same way.
    pub snippet_marked: Option<String>,
    /// Tags that matched.
    pub matched_tags: Vec<String>,
}

/// A page of search results.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Pass as `offset` for the next page; absent on the last page.
    pub next_offset: Option<u32>,
}

/// A genre of the catalogue.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct GenreDto {
    /// Lower-case name, as used by the `genre` filter.
    pub name: String,
    /// Heading to show.
    pub title: String,
    /// Published public videos in it.
    pub videos: u64,
}

/// A row of videos on the home page.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RailDto {
    /// `new`, `popular`, `genre:<name>` or `because:<video id>`.
    pub key: String,
    pub title: String,
    pub videos: Vec<VideoDto>,
}

/// The home page. Rails that cannot be built right now are left out rather than failing the
/// page.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HomeDto {
    /// What the signed-in viewer stopped in the middle of (empty when anonymous).
    pub continue_watching: Vec<LibraryItem>,
    /// Because you watched X, New, Popular, then one rail per genre.
    pub rails: Vec<RailDto>,
}

pub fn rail_dto(state: &AppState, rail: Rail) -> RailDto {
    RailDto {
        key: rail.key,
        title: rail.title,
        videos: rail
            .videos
            .into_iter()
            .map(|v| VideoDto::new(state, v))
            .collect(),
    }
}

pub fn hit_dto(state: &AppState, h: search::Hit) -> SearchHit {
    SearchHit {
        video: VideoDto::new(state, h.video),
        score: h.score,
        title_marked: h.title_marked,
        snippet_marked: h.snippet_marked,
        matched_tags: h.matched_tags,
    }
}

pub struct DiscoverApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Videos")]
impl DiscoverApi {
    /// Full-text search over titles, descriptions and tags of published public videos; every
    /// word must match (with English stemming), best matches first.
    #[oai(path = "/search", method = "get", operation_id = "search_videos")]
    async fn search(
        &self,
        state: Data<&AppState>,
        req: &poem::Request,
        /// The words to look for (1 to 200 characters).
        q: Query<String>,
        /// Results to skip, up to 1000 (default 0).
        offset: Query<Option<u32>>,
        /// Page size, 1 to 100 (default 24).
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<SearchResults>> {
        state.limits.search(state.client_key(req).as_deref())?;
        let limit = limit.0.unwrap_or(24).clamp(1, 100);
        let offset = offset.0.unwrap_or(0);
        let hits = search::search(&state.db, &state.cache, &q.0, limit + 1, offset).await?;
        let next_offset = (hits.len() > limit as usize && offset + limit <= search::MAX_OFFSET)
            .then_some(offset + limit);
        Ok(Json(SearchResults {
            hits: hits
                .into_iter()
                .take(limit as usize)
                .map(|h| hit_dto(&state, h))
                .collect(),
            next_offset,
        }))
    }

    /// The catalogue's genres, largest first.
    #[oai(path = "/genres", method = "get", operation_id = "list_genres")]
    async fn genres(&self, state: Data<&AppState>) -> ApiResult<Json<Vec<GenreDto>>> {
        let catalogue = state.cache.catalogue(&state.db).await?;
        Ok(Json(
            catalogue
                .genres
                .iter()
                .map(|g| GenreDto {
                    title: shared::genre_title(&g.name),
                    name: g.name.clone(),
                    videos: g.videos,
                })
                .collect(),
        ))
    }

    /// The home page: for a signed-in viewer Continue watching and Because you watched, then
    /// New, Popular and one rail per genre.
    #[oai(path = "/home", method = "get", operation_id = "get_home")]
    async fn home(&self, state: Data<&AppState>, auth: MaybeUser) -> ApiResult<Json<HomeDto>> {
        let catalogue = state.cache.catalogue(&state.db).await?;
        let mut rails = Vec::new();
        let mut continue_watching = Vec::new();
        if let Some(user) = auth.user() {
            let (cw, byw) = tokio::join!(
                home::continue_watching(&state.db, &state.cache, user),
                home::because_you_watched(&state.db, &state.cache, user)
            );
            match cw {
                Ok(rows) => continue_watching = library_items(&state, rows),
                Err(e) => tracing::warn!(error = %e, "continue watching rail"),
            }
            match byw {
                Ok(Some(rail)) => rails.push(rail_dto(&state, rail)),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "because you watched rail"),
            }
        }
        let public = &catalogue.rails;
        for rail in [&public.new, &public.popular]
            .into_iter()
            .chain(public.genres.iter())
        {
            if !rail.videos.is_empty() {
                rails.push(rail_dto(&state, rail.clone()));
            }
        }
        Ok(Json(HomeDto {
            continue_watching,
            rails,
        }))
    }
}

fn library_items(state: &AppState, rows: Vec<(Video, Progress)>) -> Vec<LibraryItem> {
    crate::rest::library::items(state, rows)
}
