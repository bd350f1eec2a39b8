//! GraphQL operations typed against the committed `openapi/schema.graphql` (cynic checks every
//! field at compile time). Run them with `cynic::http::ReqwestExt::run_graphql`.

#[cynic::schema("kino")]
mod schema {}

/// Where a video is in its life.
#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VideoState {
    Uploading,
    Queued,
    Processing,
    Published,
    Failed,
    Deleted,
}

/// Signed playback URLs.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct Playback {
    pub master_url: String,
    pub poster_url: String,
}

/// The fields of a video most clients show.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct Video {
    pub id: cynic::Id,
    pub title: String,
    pub description: Option<String>,
    pub state: VideoState,
    pub duration_s: Option<f64>,
    pub playback: Option<Playback>,
}

/// Where a page of a connection ends.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// A video and the cursor to continue after it.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct VideoEdge {
    pub cursor: String,
    pub node: Video,
}

/// One page of the catalogue.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct VideoConnection {
    pub edges: Vec<VideoEdge>,
    pub page_info: PageInfo,
}

#[derive(cynic::QueryVariables, Debug, Default)]
pub struct VideosArgs {
    pub q: Option<String>,
    pub after: Option<String>,
}

/// `videos(q, after)`: published public videos, newest first.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "VideosArgs")]
pub struct VideosQuery {
    #[arguments(q: $q, after: $after)]
    pub videos: VideoConnection,
}

#[derive(cynic::QueryVariables, Debug)]
pub struct VideoArgs {
    pub id: cynic::Id,
}

/// `video(id)`: one video, if the caller may see it.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "VideoArgs")]
pub struct VideoQuery {
    #[arguments(id: $id)]
    pub video: Option<Video>,
}

/// A video as a card shows it: poster, title, length and how far the viewer got.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "Video")]
pub struct VideoCard {
    pub id: cynic::Id,
    pub title: String,
    pub duration_s: Option<f64>,
    pub playback: Option<CardPlayback>,
    pub progress: Option<CardProgress>,
}

/// The poster of a card.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "Playback")]
pub struct CardPlayback {
    pub poster_url: String,
}

/// Where the viewer stopped.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "Progress")]
pub struct CardProgress {
    pub position_s: f64,
    pub completed: bool,
}

/// A row of the home page.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct Rail {
    pub key: String,
    pub title: String,
    pub videos: Vec<VideoCard>,
}

/// A video the viewer is in the middle of.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct LibraryItem {
    pub video: VideoCard,
    pub position_s: f64,
}

/// The home page's rails; each is null when it could not be built right now.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct Home {
    pub continue_watching: Option<Vec<LibraryItem>>,
    pub because_you_watched: Option<Rail>,
    pub new: Option<Rail>,
    pub popular: Option<Rail>,
    pub genres: Option<Vec<Rail>>,
}

/// `home`: every rail of the home page in one request.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query")]
pub struct HomeQuery {
    pub home: Home,
}

/// One search result with its highlights (HTML-escaped, matches in `<mark>`).
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub video: VideoCard,
    pub title_marked: String,
    pub snippet_marked: Option<String>,
}

/// A search result and the cursor to continue after it.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct SearchHitEdge {
    pub cursor: String,
    pub node: SearchHit,
}

/// One page of search results.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
pub struct SearchHitConnection {
    pub edges: Vec<SearchHitEdge>,
    pub page_info: PageInfo,
}

#[derive(cynic::QueryVariables, Debug, Default)]
pub struct SearchArgs {
    pub query: String,
    pub after: Option<String>,
}

/// `search(query, after)`: a page of 24 results, best first.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "SearchArgs")]
pub struct SearchQuery {
    #[arguments(query: $query, after: $after, first: 24)]
    pub search: SearchHitConnection,
}

/// The order of a listing.
#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VideoSort {
    #[default]
    New,
    Popular,
}

/// A page of the catalogue as cards.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "VideoEdge")]
pub struct CardEdge {
    pub cursor: String,
    pub node: VideoCard,
}

/// A page of the catalogue as cards.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "VideoConnection")]
pub struct CardConnection {
    pub edges: Vec<CardEdge>,
    pub page_info: PageInfo,
}

#[derive(cynic::QueryVariables, Debug, Default)]
pub struct GenreArgs {
    pub genre: String,
    pub sort: VideoSort,
    pub after: Option<String>,
}

/// `videos(genre, sort, after)`: a genre's videos, 24 at a time.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "GenreArgs")]
pub struct GenreQuery {
    #[arguments(genre: $genre, sort: $sort, after: $after, first: 24)]
    pub videos: CardConnection,
}

/// What the player needs: the stream, its poster and seek-bar thumbnails, and when the signed
/// links expire.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "Playback")]
pub struct WatchPlayback {
    pub master_url: String,
    pub poster_url: String,
    pub storyboard_url: Option<String>,
    pub expires_at: String,
}

/// Where the viewer stopped, and where to offer resuming.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "Progress")]
pub struct WatchProgress {
    pub position_s: f64,
    pub resume_at_s: Option<f64>,
    pub completed: bool,
}

/// The part of the watch page it cannot do without: the title and what to play.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "Video")]
pub struct WatchVideo {
    pub id: cynic::Id,
    pub title: String,
    pub state: VideoState,
    pub duration_s: Option<f64>,
    pub playback: Option<WatchPlayback>,
    pub progress: Option<WatchProgress>,
}

/// `video(id)` as the player needs it: the watch page's must-have query.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "VideoArgs")]
pub struct WatchQuery {
    #[arguments(id: $id)]
    pub video: Option<WatchVideo>,
}

/// Who made a video.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "Creator")]
pub struct CreatorName {
    pub id: cynic::Id,
    pub display_name: String,
}

/// What the watch page shows around the player; it plays without them.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "Video")]
pub struct VideoDetails {
    pub description: Option<String>,
    pub creator: Option<CreatorName>,
    pub views: i32,
    pub published_at: Option<String>,
    pub genres: Vec<String>,
    pub tags: Vec<String>,
    pub in_watchlist: bool,
    #[arguments(first: 12)]
    pub related: Vec<VideoCard>,
}

/// `video(id)` with its details and "More like this": the watch page's nice-to-have query.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "VideoArgs")]
pub struct WatchDetailsQuery {
    #[arguments(id: $id)]
    pub video: Option<VideoDetails>,
}

/// `watchlist`: the viewer's list, most recently added first.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query")]
pub struct MyListQuery {
    pub watchlist: Vec<VideoCard>,
}

/// A video the viewer watched and where they stopped.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "LibraryItem")]
pub struct HistoryItem {
    pub video: VideoCard,
    pub position_s: f64,
    pub completed: bool,
}

/// `history`: everything the viewer watched, most recent first.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query")]
pub struct HistoryQuery {
    #[arguments(limit: 100)]
    pub history: Vec<HistoryItem>,
}

/// The signed-in account.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "User")]
pub struct Me {
    pub id: cynic::Id,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// What an account may do.
#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Viewer,
    Creator,
    Admin,
}

/// `me`: the signed-in account, null when the token is no longer valid.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query")]
pub struct MeQuery {
    pub me: Option<Me>,
}
