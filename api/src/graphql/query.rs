//! Reads.

use super::loaders::{PageData, Prefetched, Viewers, viewer_states};
use super::types::*;
use super::{gql_error, gql_error_ref, signed_in, state};
use crate::catalog::cache::Catalogue;
use crate::catalog::rails::{GENRE_RAILS, RAIL_LEN, Rail};
use crate::catalog::videos::{self, ListQuery, Sort, Video};
use crate::error::{ApiError, Code};
use crate::library::Progress;
use crate::library::home;
use crate::{catalog::search, library};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ID, Object};
use std::sync::Arc;

/// Most items one `continueWatching` answers with.
const CONTINUE_MAX: u32 = 100;
/// Most items one `history` answers with.
const HISTORY_MAX: u32 = 200;

/// The order of a listing.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(name = "VideoSort")]
pub enum GqlSort {
    /// Newest first.
    #[default]
    New,
    /// Most viewed first.
    Popular,
}

/// A rail's outcome, kept until its field resolves: a rail that failed is null with its error.
type Built<T> = Option<Result<T, Arc<ApiError>>>;

/// The home page, rail by rail. Each rail resolves on its own: one that cannot be built is
/// null with an error, and the rest of the page still comes back.
pub struct GqlHome {
    continue_watching: Built<Vec<(Video, Progress)>>,
    because_you_watched: Built<Option<Rail>>,
    catalogue: Built<Arc<Catalogue>>,
}

impl GqlHome {
    /// Builds the rails the query asks for side by side, then looks up the viewer's progress
    /// and watchlist for every video on the page at once (one query, however many rails).
    async fn load(ctx: &Context<'_>) -> GqlHome {
        let s = state(ctx);
        let user = ctx.data_opt::<crate::identity::accounts::User>();
        let wants = |field: &str| ctx.look_ahead().field(field).exists();
        let catalogue = wants("new") || wants("popular") || wants("genres");
        let (continue_watching, because_you_watched, catalogue) = tokio::join!(
            async {
                match user {
                    Some(u) if wants("continueWatching") => Some(
                        home::continue_watching(&s.db, &s.cache, u)
                            .await
                            .map_err(Arc::new),
                    ),
                    _ => None,
                }
            },
            async {
                match user {
                    Some(u) if wants("becauseYouWatched") => Some(
                        home::because_you_watched(&s.db, &s.cache, u)
                            .await
                            .map_err(Arc::new),
                    ),
                    _ => None,
                }
            },
            async {
                if catalogue {
                    Some(s.cache.catalogue(&s.db).await.map_err(Arc::new))
                } else {
                    None
                }
            },
        );
        let page = GqlHome {
            continue_watching,
            because_you_watched,
            catalogue,
        };
        // Creators come from memory; the viewer's state is one query. A lookup that fails
        // is left to the loaders, so its error surfaces on the fields that ask.
        let (ids, owners) = page.video_and_owner_ids();
        let (creators, viewer) = tokio::join!(s.cache.creators(&s.db, &owners), async {
            match user {
                Some(u) if ctx.data_opt::<Viewers>().is_some() => {
                    Some(viewer_states(&s.db, u, &ids).await)
                }
                _ => None,
            }
        });
        if let (Ok(creators), Ok(viewer)) = (creators, viewer.transpose()) {
            ctx.data_unchecked::<Prefetched>()
                .set(PageData { creators, viewer });
        }
        page
    }

    /// Every video on the page and every creator of one, each once.
    fn video_and_owner_ids(&self) -> (Vec<String>, Vec<String>) {
        let mut videos: Vec<&Video> = Vec::new();
        if let Some(Ok(rows)) = &self.continue_watching {
            videos.extend(rows.iter().map(|(v, _)| v));
        }
        if let Some(Ok(Some(rail))) = &self.because_you_watched {
            videos.extend(&rail.videos);
        }
        if let Some(Ok(c)) = &self.catalogue {
            for rail in [&c.rails.new, &c.rails.popular]
                .into_iter()
                .chain(&c.rails.genres)
            {
                videos.extend(&rail.videos);
            }
        }
        let distinct = |mut ids: Vec<String>| {
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        (
            distinct(videos.iter().map(|v| v.id.clone()).collect()),
            distinct(videos.iter().map(|v| v.owner_id.clone()).collect()),
        )
    }

    fn catalogue(&self) -> async_graphql::Result<Option<&Catalogue>> {
        match &self.catalogue {
            Some(Ok(c)) => Ok(Some(c)),
            Some(Err(e)) => Err(gql_error_ref(e)),
            None => Ok(None),
        }
    }
}

/// The home page, rail by rail. Each rail resolves on its own: one that cannot be built is
/// null with an error, and the rest of the page still comes back.
#[Object(name = "Home")]
impl GqlHome {
    /// What the signed-in viewer stopped in the middle of (empty when anonymous).
    #[graphql(complexity = "RAIL_LEN * child_complexity")]
    async fn continue_watching(&self) -> async_graphql::Result<Option<Vec<GqlLibraryItem>>> {
        match &self.continue_watching {
            None => Ok(Some(Vec::new())),
            Some(Err(e)) => Err(gql_error_ref(e)),
            Some(Ok(rows)) => Ok(Some(
                rows.iter()
                    .map(|(v, p)| GqlLibraryItem::new(v.clone(), p.clone()))
                    .collect(),
            )),
        }
    }

    /// Because you watched X: what other viewers of X watched, then more of its genres
    /// (null when anonymous or nothing was watched yet).
    #[graphql(complexity = "RAIL_LEN * child_complexity")]
    async fn because_you_watched(&self) -> async_graphql::Result<Option<GqlRail>> {
        match &self.because_you_watched {
            None => Ok(None),
            Some(Err(e)) => Err(gql_error_ref(e)),
            Some(Ok(rail)) => Ok(rail.clone().map(GqlRail::from)),
        }
    }

    /// Newest videos.
    #[graphql(name = "new", complexity = "RAIL_LEN * child_complexity")]
    async fn newest(&self) -> async_graphql::Result<Option<GqlRail>> {
        Ok(self.catalogue()?.map(|c| c.rails.new.clone().into()))
    }

    /// Most viewed videos.
    #[graphql(complexity = "RAIL_LEN * child_complexity")]
    async fn popular(&self) -> async_graphql::Result<Option<GqlRail>> {
        Ok(self.catalogue()?.map(|c| c.rails.popular.clone().into()))
    }

    /// One rail per genre, largest genres first.
    #[graphql(complexity = "GENRE_RAILS * RAIL_LEN * child_complexity")]
    async fn genres(&self) -> async_graphql::Result<Option<Vec<GqlRail>>> {
        Ok(self
            .catalogue()?
            .map(|c| c.rails.genres.iter().cloned().map(GqlRail::from).collect()))
    }
}

fn label(s: Option<String>) -> Option<String> {
    s.map(|g| g.trim().to_lowercase()).filter(|g| !g.is_empty())
}

/// Read access to the catalogue and the viewer's library.
pub struct Query;

/// Read access to the catalogue and the viewer's library.
#[Object]
impl Query {
    /// Published public videos, newest (or most viewed) first, as a Relay-style connection:
    /// pass an edge's `cursor` (or `pageInfo.endCursor`) as `after` for what follows it.
    // async-graphql takes each field argument as a function argument of its own.
    #[allow(clippy::too_many_arguments)]
    // A page costs what its items cost, times how many there may be.
    #[graphql(complexity = "1 + first.clamp(1, 100) as usize * child_complexity")]
    async fn videos(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Words the title must contain.")] q: Option<String>,
        #[graphql(desc = "Only videos in this genre.")] genre: Option<String>,
        #[graphql(desc = "Only videos with this tag.")] tag: Option<String>,
        #[graphql(desc = "Only this creator's videos (a user id).")] creator: Option<ID>,
        #[graphql(desc = "Order of the listing.", default)] sort: GqlSort,
        #[graphql(desc = "The cursor of the edge to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size, 1 to 100.", default = 24)] first: u32,
    ) -> async_graphql::Result<Connection<String, GqlVideo>> {
        let sort = match sort {
            GqlSort::New => Sort::New,
            GqlSort::Popular => Sort::Popular,
        };
        let query = ListQuery {
            owner: None,
            q: q.filter(|s| !s.trim().is_empty()),
            genre: label(genre),
            tag: label(tag),
            creator: creator
                .map(|c| c.0)
                .filter(|c| shared::layout::is_safe_id(c)),
            sort,
            cursor: after.clone(),
            limit: first,
        };
        let (items, next_cursor) = videos::list(&state(ctx).db, &query)
            .await
            .map_err(gql_error)?;
        let mut page = Connection::new(after.is_some(), next_cursor.is_some());
        page.edges.extend(
            items
                .into_iter()
                .map(|v| Edge::new(videos::cursor_after(sort, &v), GqlVideo(v))),
        );
        Ok(page)
    }

    /// Full-text search over titles, descriptions and tags: every word must match (with
    /// English stemming), best matches first, with highlights; a Relay-style connection whose
    /// cursors are positions in the ranking (up to 1000).
    #[graphql(complexity = "1 + first.clamp(1, 100) as usize * child_complexity")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The words to look for (1 to 200 characters).")] query: String,
        #[graphql(desc = "The cursor of the hit to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size, 1 to 100.", default = 24)] first: u32,
    ) -> async_graphql::Result<Connection<String, GqlSearchHit>> {
        super::charge_search(ctx)?;
        let limit = first.clamp(1, 100);
        let offset = match &after {
            None => 0,
            Some(c) => c
                .parse::<u32>()
                .ok()
                .filter(|o| *o <= search::MAX_OFFSET)
                .ok_or_else(|| {
                    gql_error(ApiError::new(
                        Code::InvalidCursor,
                        "the cursor is not one this search gave out",
                    ))
                })?,
        };
        let mut hits = search::search(&state(ctx).db, &state(ctx).cache, &query, limit + 1, offset)
            .await
            .map_err(gql_error)?;
        let more = hits.len() > limit as usize && offset + limit <= search::MAX_OFFSET;
        hits.truncate(limit as usize);
        let mut page = Connection::new(offset > 0, more);
        page.edges.extend(
            hits.into_iter().enumerate().map(|(i, h)| {
                Edge::new((offset + i as u32 + 1).to_string(), GqlSearchHit::from(h))
            }),
        );
        Ok(page)
    }

    /// The catalogue's genres, largest first.
    async fn genres(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GqlGenre>> {
        let s = state(ctx);
        let c = s.cache.catalogue(&s.db).await.map_err(gql_error)?;
        Ok(c.genres
            .iter()
            .map(|g| GqlGenre {
                name: g.name.clone(),
                title: shared::genre_title(&g.name),
                videos: g.videos,
            })
            .collect())
    }

    /// The home page's rails.
    async fn home(&self, ctx: &Context<'_>) -> GqlHome {
        GqlHome::load(ctx).await
    }

    /// The signed-in account; null when the request carries no valid token.
    async fn me(&self, ctx: &Context<'_>) -> Option<GqlUser> {
        ctx.data_opt::<crate::identity::accounts::User>()
            .cloned()
            .map(GqlUser::from)
    }

    /// What the signed-in viewer stopped in the middle of, most recent first.
    #[graphql(complexity = "1 + limit.clamp(1, CONTINUE_MAX) as usize * child_complexity")]
    async fn continue_watching(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many.", default = 20)] limit: u32,
    ) -> async_graphql::Result<Vec<GqlLibraryItem>> {
        let user = signed_in(ctx)?;
        let rows = library::continue_watching(
            &state(ctx).db,
            &state(ctx).cache,
            user,
            limit.clamp(1, CONTINUE_MAX),
        )
        .await
        .map_err(gql_error)?;
        Ok(rows
            .into_iter()
            .map(|(v, p)| GqlLibraryItem::new(v, p))
            .collect())
    }

    /// Everything the signed-in viewer watched, most recent first.
    #[graphql(complexity = "1 + limit.clamp(1, HISTORY_MAX) as usize * child_complexity")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many.", default = 50)] limit: u32,
    ) -> async_graphql::Result<Vec<GqlLibraryItem>> {
        let user = signed_in(ctx)?;
        let rows = library::history(
            &state(ctx).db,
            &state(ctx).cache,
            user,
            limit.clamp(1, HISTORY_MAX),
        )
        .await
        .map_err(gql_error)?;
        Ok(rows
            .into_iter()
            .map(|(v, p)| GqlLibraryItem::new(v, p))
            .collect())
    }

    /// The signed-in viewer's watchlist, most recently added first.
    #[graphql(complexity = "1 + 100 * child_complexity")]
    async fn watchlist(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GqlVideo>> {
        let user = signed_in(ctx)?;
        let list = library::watchlist(&state(ctx).db, &state(ctx).cache, user)
            .await
            .map_err(gql_error)?;
        Ok(list.into_iter().map(GqlVideo).collect())
    }

    /// Transcode jobs, newest first (at most 200), in one state or all. Admins only.
    #[graphql(complexity = "1 + 200 * child_complexity")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        state: Option<shared::JobState>,
    ) -> async_graphql::Result<Vec<GqlJob>> {
        let user = signed_in(ctx)?;
        let jobs = crate::queue::jobs::list(&super::state(ctx).db, user, state)
            .await
            .map_err(gql_error)?;
        Ok(jobs.into_iter().map(GqlJob::from).collect())
    }

    /// Hidden videos, most recently hidden first (at most 200), each with its moderation
    /// record. Admins only.
    #[graphql(complexity = "1 + 200 * child_complexity")]
    async fn hidden_videos(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GqlVideo>> {
        let user = signed_in(ctx)?;
        let list = crate::catalog::moderation::hidden(&state(ctx).db, user)
            .await
            .map_err(gql_error)?;
        Ok(list.into_iter().map(GqlVideo).collect())
    }

    /// One video, if the caller may see it.
    async fn video(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<GqlVideo>> {
        let user = ctx.data_opt::<crate::identity::accounts::User>();
        match state(ctx)
            .cache
            .visible_video(&state(ctx).db, &id, user)
            .await
        {
            Ok(v) => Ok(Some(GqlVideo(v))),
            Err(ApiError::Known(Code::VideoNotFound, _)) => Ok(None),
            Err(e) => Err(gql_error(e)),
        }
    }
}
