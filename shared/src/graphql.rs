//! GraphQL operations typed against the committed `openapi/schema.graphql` (cynic checks every
//! field at compile time). Run them with `cynic::http::ReqwestExt::run_graphql`.

#[cynic::schema("kino")]
mod schema {}

/// Where a video is in its life.
#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VideoState {
    Uploading,
    Uploaded,
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
