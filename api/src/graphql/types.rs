//! The object types of the schema.

use super::gql_error_ref;
use super::loaders::{Creators, Prefetched, ViewerState, Viewers};
use crate::catalog::rails::Rail;
use crate::catalog::search::Hit;
use crate::catalog::videos::Video;
use crate::delivery::playback::{MediaBase, media_base};
use crate::library::Progress;
use crate::state::AppState;
use async_graphql::{Context, ID, Object, SimpleObject};
use shared::{VideoState, Visibility};

/// Signed playback URLs of a published video.
pub struct GqlPlayback {
    media: MediaBase,
    poster: u32,
}

/// Signed playback URLs of a published video.
#[Object(name = "Playback")]
impl GqlPlayback {
    /// HLS master playlist.
    async fn master_url(&self) -> String {
        self.media.url(shared::layout::MASTER_PLAYLIST)
    }
    /// The poster image the owner chose.
    async fn poster_url(&self) -> String {
        self.media.url(&shared::layout::poster_path(self.poster))
    }
    /// Every poster candidate, in index order (what `VideoInput.poster` picks from).
    async fn poster_options(&self) -> Vec<String> {
        (0..shared::layout::POSTER_CANDIDATES)
            .map(|i| self.media.url(&shared::layout::poster_path(i)))
            .collect()
    }
    /// WebVTT index of seek-bar thumbnails.
    async fn storyboard_url(&self) -> Option<String> {
        Some(self.media.url(shared::layout::STORYBOARD))
    }
    /// When the URLs stop working (RFC 3339).
    async fn expires_at(&self) -> String {
        self.media.expires.to_rfc3339()
    }
}

/// Why an admin hid a video.
#[derive(SimpleObject)]
#[graphql(name = "Moderation")]
pub struct GqlModeration {
    /// The admin's reason, for the owner to act on.
    pub reason: String,
    /// When it was hidden (RFC 3339).
    pub hidden_at: String,
}

/// The account a video belongs to, as others see it.
#[derive(SimpleObject)]
#[graphql(name = "Creator")]
pub struct GqlCreator {
    /// User id (use as the `creator` filter of `videos`).
    pub id: ID,
    /// Name shown to viewers.
    pub display_name: String,
}

/// Where a viewer is in a video.
#[derive(SimpleObject)]
#[graphql(name = "Progress")]
pub struct GqlProgress {
    /// Seconds from the start where the viewer stopped.
    pub position_s: f64,
    /// Where to offer resuming (set between 5% and 90% of the video).
    pub resume_at_s: Option<f64>,
    /// Watched past 90%.
    pub completed: bool,
    /// When it was last reported (RFC 3339).
    pub updated_at: String,
}

impl GqlProgress {
    pub fn new(p: &Progress, video: &Video) -> Self {
        GqlProgress {
            position_s: p.position_s,
            resume_at_s: p.resume_at(video.duration_s),
            completed: p.completed,
            updated_at: p.updated_at.clone(),
        }
    }
}

/// A video in the catalogue.
pub struct GqlVideo(pub Video);

/// A video in the catalogue.
#[Object(name = "Video")]
impl GqlVideo {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Id of the account that uploaded it.
    async fn owner_id(&self) -> &str {
        &self.0.owner_id
    }
    /// The account that uploaded it (batched across a page).
    async fn creator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GqlCreator>> {
        let prefetched = ctx
            .data_opt::<Prefetched>()
            .and_then(Prefetched::get)
            .and_then(|p| p.creators.get(&self.0.owner_id));
        let c = match prefetched {
            Some(c) => Some(c.clone()),
            None => ctx
                .data_unchecked::<Creators>()
                .load_one(self.0.owner_id.clone())
                .await
                .map_err(|e| gql_error_ref(&e))?,
        };
        Ok(c.map(|c| GqlCreator {
            id: ID(c.id),
            display_name: c.display_name,
        }))
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Description, if any.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Genres, lower case.
    async fn genres(&self) -> &[String] {
        &self.0.genres
    }
    /// Tags, lower case.
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    /// Who may see it.
    async fn visibility(&self) -> Visibility {
        self.0.visibility
    }
    /// Where it is in processing.
    async fn state(&self) -> VideoState {
        self.0.state
    }
    /// Why processing failed, for the owner.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
    /// Length in seconds, once known.
    async fn duration_s(&self) -> Option<f64> {
        self.0.duration_s
    }
    /// Views counted (one per viewer per day).
    async fn views(&self) -> u64 {
        self.0.views
    }
    /// Index of the chosen poster candidate.
    async fn poster(&self) -> u32 {
        self.0.poster
    }
    /// Why an admin hid it; present while hidden (only its owner and admins can see it).
    async fn moderation(&self) -> Option<GqlModeration> {
        self.0.moderation.as_ref().map(|m| GqlModeration {
            reason: m.reason.clone(),
            hidden_at: m.at.clone(),
        })
    }
    /// When it was uploaded (RFC 3339).
    async fn created_at(&self) -> &str {
        &self.0.created_at
    }
    /// When it was first published (RFC 3339).
    async fn published_at(&self) -> Option<&str> {
        self.0.published_at.as_deref()
    }
    /// Where to play it; present once published.
    async fn playback(&self, ctx: &Context<'_>) -> Option<GqlPlayback> {
        Some(GqlPlayback {
            media: {
                let state = ctx.data_unchecked::<AppState>();
                media_base(
                    &state.signer,
                    state.settings.public_url.as_deref(),
                    state.settings.media_links(),
                    &self.0,
                )?
            },
            poster: self.0.poster,
        })
    }
    /// The signed-in viewer's progress in it (null when anonymous or never started;
    /// batched across a page).
    async fn progress(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GqlProgress>> {
        Ok(self
            .viewer_state(ctx)
            .await?
            .and_then(|s| s.progress)
            .map(|p| GqlProgress::new(&p, &self.0)))
    }
    /// More like this: what its viewers also watched, then popular videos of its genres
    /// (listed videos only, never itself).
    #[graphql(complexity = "1 + first.clamp(1, 24) as usize * child_complexity")]
    async fn related(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 24.", default = 12)] first: u32,
    ) -> async_graphql::Result<Vec<GqlVideo>> {
        let state = ctx.data_unchecked::<AppState>();
        let mut skip = std::collections::HashSet::new();
        let n = first.clamp(1, 24) as usize;
        let videos = crate::catalog::related::like(&state.db, &state.cache, &self.0, &mut skip, n)
            .await
            .map_err(|e| gql_error_ref(&e))?;
        Ok(videos.into_iter().map(GqlVideo).collect())
    }
    /// Whether it is on the signed-in viewer's watchlist (false when anonymous; batched).
    async fn in_watchlist(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(self
            .viewer_state(ctx)
            .await?
            .is_some_and(|s| s.in_watchlist))
    }
}

impl GqlVideo {
    /// The signed-in viewer's progress and watchlist flag (None when anonymous): from what
    /// the page prefetched, else through the loader.
    async fn viewer_state(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ViewerState>> {
        let Some(loader) = ctx.data_opt::<Viewers>() else {
            return Ok(None);
        };
        let prefetched = ctx
            .data_opt::<Prefetched>()
            .and_then(Prefetched::get)
            .and_then(|p| p.viewer.as_ref()?.get(&self.0.id));
        match prefetched {
            Some(s) => Ok(Some(s.clone())),
            None => loader
                .load_one(self.0.id.clone())
                .await
                .map_err(|e| gql_error_ref(&e)),
        }
    }
}

/// A video with the viewer's place in it.
#[derive(SimpleObject)]
#[graphql(name = "LibraryItem")]
pub struct GqlLibraryItem {
    /// The video.
    pub video: GqlVideo,
    /// Seconds from the start where the viewer stopped.
    pub position_s: f64,
    /// Where to offer resuming (set between 5% and 90% of the video).
    pub resume_at_s: Option<f64>,
    /// Watched past 90%.
    pub completed: bool,
}

impl GqlLibraryItem {
    pub fn new(v: Video, p: Progress) -> Self {
        GqlLibraryItem {
            resume_at_s: p.resume_at(v.duration_s),
            position_s: p.position_s,
            completed: p.completed,
            video: GqlVideo(v),
        }
    }
}

/// A row of videos on the home page.
#[derive(SimpleObject)]
#[graphql(name = "Rail")]
pub struct GqlRail {
    /// `new`, `popular`, `genre:<name>` or `because:<video id>`.
    pub key: String,
    /// Heading to show.
    pub title: String,
    /// The videos, in order.
    pub videos: Vec<GqlVideo>,
}

impl From<Rail> for GqlRail {
    fn from(r: Rail) -> Self {
        GqlRail {
            key: r.key,
            title: r.title,
            videos: r.videos.into_iter().map(GqlVideo).collect(),
        }
    }
}

/// A genre of the catalogue.
#[derive(SimpleObject)]
#[graphql(name = "Genre")]
pub struct GqlGenre {
    /// Lower-case name, as the `genre` filter takes it.
    pub name: String,
    /// Heading to show.
    pub title: String,
    /// Published public videos in it.
    pub videos: u64,
}

/// One search result.
#[derive(SimpleObject)]
#[graphql(name = "SearchHit")]
pub struct GqlSearchHit {
    /// The video.
    pub video: GqlVideo,
    /// Relevance (BM25; title matches weigh most).
    pub score: f64,
    /// The title, HTML-escaped, with matched words in `<mark>`.
    pub title_marked: String,
    /// Part of the description around its first match, marked the same way.
    pub snippet_marked: Option<String>,
    /// Tags that matched.
    pub matched_tags: Vec<String>,
}

impl From<Hit> for GqlSearchHit {
    fn from(h: Hit) -> Self {
        GqlSearchHit {
            video: GqlVideo(h.video),
            score: h.score,
            title_marked: h.title_marked,
            snippet_marked: h.snippet_marked,
            matched_tags: h.matched_tags,
        }
    }
}

/// An account.
#[derive(SimpleObject)]
#[graphql(name = "User")]
pub struct GqlUser {
    /// Stable id.
    pub id: ID,
    /// Sign-in email (normalised to lower case).
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// `VIEWER`, `CREATOR` or `ADMIN`.
    pub role: shared::Role,
}

impl From<crate::identity::accounts::User> for GqlUser {
    fn from(u: crate::identity::accounts::User) -> Self {
        GqlUser {
            id: ID(u.id),
            email: u.email,
            display_name: u.display_name,
            role: u.role,
        }
    }
}

/// A TV's sign-in by code: what it keeps and what it shows.
#[derive(SimpleObject)]
#[graphql(name = "DeviceSignIn")]
pub struct GqlDeviceSignIn {
    /// Secret: the TV polls `pollDeviceSignIn` with it.
    pub device_code: String,
    /// Shown on the TV, e.g. `BCDF-GHJK`.
    pub user_code: String,
    /// Where a signed-in viewer enters the code.
    pub verification_uri: String,
    /// The same with the code filled in (for a QR code).
    pub verification_uri_complete: String,
    /// Seconds the codes last.
    pub expires_in: u64,
    /// Seconds to wait between polls.
    pub interval: u64,
}

/// A new session: the bearer token and its account.
#[derive(SimpleObject)]
#[graphql(name = "Session")]
pub struct GqlSession {
    /// Bearer token for `Authorization: Bearer ...` and `connection_init`.
    pub token: String,
    pub user: GqlUser,
}

/// Processing news of one video.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
#[graphql(name = "ProcessingUpdate")]
pub struct GqlProcessing {
    /// The video.
    pub video_id: ID,
    /// Where it is now.
    pub state: VideoState,
    /// How far the running transcode is, 0 to 100 (null when none is running).
    pub progress: Option<f64>,
    /// Why it failed, when it did.
    pub failure_reason: Option<String>,
}

/// A transcode job, as admins see the queue.
#[derive(SimpleObject)]
#[graphql(name = "Job")]
pub struct GqlJob {
    /// The job's id (the same as its video's).
    pub id: ID,
    pub video_id: ID,
    /// The video's title, while the video exists.
    pub title: Option<String>,
    pub state: shared::JobState,
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

impl From<crate::queue::jobs::JobView> for GqlJob {
    fn from(j: crate::queue::jobs::JobView) -> Self {
        GqlJob {
            id: ID(j.id),
            video_id: ID(j.video_id),
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
