//! The GraphQL API at `/graphql` (GraphiQL on GET), for third parties. It reads through the
//! same modules as REST, so visibility rules and error codes are the same; errors carry the
//! stable code in `extensions.code`.

use crate::accounts::{self, User};
use crate::error::ApiError;
use crate::rest::videos::playback;
use crate::state::AppState;
use crate::videos::{self, ListQuery, Video};
use async_graphql::http::GraphiQLSource;
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, ErrorExtensions, ID, Object, Schema, SimpleObject,
};
use poem::web::{Data, Html};
use poem::{IntoResponse, Request, handler};
use shared::{VideoState, Visibility};

pub type KinoSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Builds the schema with its limits.
pub fn schema(state: Option<AppState>) -> KinoSchema {
    let mut b = Schema::build(Query, EmptyMutation, EmptySubscription)
        .limit_depth(12)
        .limit_complexity(2_000);
    if let Some(state) = state {
        b = b.data(state);
    }
    b.finish()
}

/// The schema as SDL, as committed in `openapi/schema.graphql`.
pub fn sdl() -> String {
    schema(None).sdl()
}

fn gql_error(e: ApiError) -> async_graphql::Error {
    let code = e.code();
    async_graphql::Error::new(e.body().message).extend_with(|_, ext| ext.set("code", code))
}

/// Signed playback URLs of a published video.
#[derive(SimpleObject)]
#[graphql(name = "Playback")]
pub struct GqlPlayback {
    /// HLS master playlist.
    pub master_url: String,
    /// Poster image.
    pub poster_url: String,
    /// When the URLs stop working (RFC 3339).
    pub expires_at: String,
}

/// A video in the catalogue.
pub struct GqlVideo(Video);

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
        let state = ctx.data_unchecked::<AppState>();
        playback(state, &self.0).map(|p| GqlPlayback {
            master_url: p.master_url,
            poster_url: p.poster_url,
            expires_at: p.expires_at.to_rfc3339(),
        })
    }
}

/// One page of videos.
#[derive(SimpleObject)]
#[graphql(name = "VideoPage")]
pub struct GqlVideoPage {
    /// The videos on this page.
    pub items: Vec<GqlVideo>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
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

impl From<User> for GqlUser {
    fn from(u: User) -> Self {
        GqlUser {
            id: ID(u.id),
            email: u.email,
            display_name: u.display_name,
            role: u.role,
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

fn signed_in<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a User> {
    ctx.data_opt::<User>()
        .ok_or_else(|| gql_error(ApiError::Unauthenticated))
}

/// Read access to the catalogue.
pub struct Query;

/// Read access to the catalogue.
#[Object]
impl Query {
    /// Published public videos, newest first.
    // async-graphql takes each field argument as a function argument of its own.
    #[allow(clippy::too_many_arguments)]
    // A page costs what its items cost, times how many there may be.
    #[graphql(complexity = "1 + limit as usize * child_complexity")]
    async fn videos(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Words the title must contain.")] q: Option<String>,
        #[graphql(desc = "Only videos in this genre.")] genre: Option<String>,
        #[graphql(desc = "Only videos with this tag.")] tag: Option<String>,
        #[graphql(desc = "Only this creator's videos (a user id).")] creator: Option<ID>,
        #[graphql(desc = "`nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1 to 100.", default = 24)] limit: u32,
    ) -> async_graphql::Result<GqlVideoPage> {
        let state = ctx.data_unchecked::<AppState>();
        let query = ListQuery {
            owner: None,
            q: q.filter(|s| !s.trim().is_empty()),
            genre: genre
                .map(|g| g.trim().to_lowercase())
                .filter(|g| !g.is_empty()),
            tag: tag
                .map(|t| t.trim().to_lowercase())
                .filter(|t| !t.is_empty()),
            creator: creator
                .map(|c| c.0)
                .filter(|c| shared::layout::is_safe_id(c)),
            cursor: cursor.filter(|c| shared::layout::is_safe_id(c)),
            limit,
        };
        let (items, next_cursor) = videos::list(&state.db, &query).await.map_err(gql_error)?;
        Ok(GqlVideoPage {
            items: items.into_iter().map(GqlVideo).collect(),
            next_cursor,
        })
    }

    /// The signed-in account; null when the request carries no valid token.
    async fn me(&self, ctx: &Context<'_>) -> Option<GqlUser> {
        ctx.data_opt::<User>().cloned().map(GqlUser::from)
    }

    /// What the signed-in viewer stopped in the middle of, most recent first.
    async fn continue_watching(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many.", default = 20)] limit: u32,
    ) -> async_graphql::Result<Vec<GqlLibraryItem>> {
        let state = ctx.data_unchecked::<AppState>();
        let user = signed_in(ctx)?;
        let rows = crate::library::continue_watching(&state.db, user, limit.min(100))
            .await
            .map_err(gql_error)?;
        Ok(rows
            .into_iter()
            .map(|(v, p)| GqlLibraryItem {
                resume_at_s: p.resume_at(v.duration_s),
                position_s: p.position_s,
                completed: p.completed,
                video: GqlVideo(v),
            })
            .collect())
    }

    /// The signed-in viewer's watchlist, most recently added first.
    async fn watchlist(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GqlVideo>> {
        let state = ctx.data_unchecked::<AppState>();
        let user = signed_in(ctx)?;
        let list = crate::library::watchlist(&state.db, user)
            .await
            .map_err(gql_error)?;
        Ok(list.into_iter().map(GqlVideo).collect())
    }

    /// One video, if the caller may see it.
    async fn video(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<GqlVideo>> {
        let state = ctx.data_unchecked::<AppState>();
        let user = ctx.data_opt::<User>();
        match videos::get_visible(&state.db, &id, user).await {
            Ok(v) => Ok(Some(GqlVideo(v))),
            Err(ApiError::NotFound(..)) => Ok(None),
            Err(e) => Err(gql_error(e)),
        }
    }
}

#[handler]
pub async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// Executes a GraphQL request as the user its bearer token names (or anonymously).
#[handler]
pub async fn execute(
    schema: Data<&KinoSchema>,
    state: Data<&AppState>,
    req: &Request,
    gql: async_graphql_poem::GraphQLRequest,
) -> async_graphql_poem::GraphQLResponse {
    let mut request = gql.0;
    if let Some(token) = crate::rest::auth::bearer_token(req) {
        match accounts::authenticate(&state.db, token).await {
            Ok(Some(user)) => request = request.data(user),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "authenticating a GraphQL request"),
        }
    }
    schema.execute(request).await.into()
}
