//! DataLoaders: the per-video lookups a page asks for (who made it, the viewer's progress,
//! whether it is on the viewer's watchlist) gathered into one query per kind, however many
//! videos the page shows. Built per request, for the user the request is made as. A page
//! resolver that knows all its videos up front looks them all up at once instead
//! ([`Prefetched`]).

use crate::db::{self, Db};
use crate::error::ApiError;
use crate::identity::accounts::{Creator, User};
use crate::library::Progress;
use crate::state::AppState;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The creator loader as stored in a request's data.
pub type Creators = DataLoader<CreatorLoader, HashMapCache>;
/// The viewer loader as stored in a request's data (signed-in requests only).
pub type Viewers = DataLoader<ViewerLoader, HashMapCache>;

/// Creators by user id, from the cache of hot reads.
pub struct CreatorLoader(pub AppState);

impl Loader<String> for CreatorLoader {
    type Value = Creator;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Creator>, Self::Error> {
        self.0
            .cache
            .creators(&self.0.db, keys)
            .await
            .map_err(Arc::new)
    }
}

/// The signed-in viewer's progress and watchlist, by video id.
pub struct ViewerLoader {
    pub db: Db,
    pub user: User,
}

/// What a viewer has to do with one video.
#[derive(Debug, Clone, Default)]
pub struct ViewerState {
    pub progress: Option<Progress>,
    pub in_watchlist: bool,
}

impl Loader<String> for ViewerLoader {
    type Value = ViewerState;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, ViewerState>, Self::Error> {
        viewer_states(&self.db, &self.user, keys)
            .await
            .map_err(Arc::new)
    }
}

/// The viewer's progress and watchlist for each of `ids`, in one query.
pub async fn viewer_states(
    db: &Db,
    user: &User,
    ids: &[String],
) -> Result<HashMap<String, ViewerState>, ApiError> {
    let mut r = db
        .query(
            "SELECT video_id, position_s, completed, updated_at FROM progress
                WHERE user_id = $user AND video_id IN $ids;
             SELECT VALUE video_id FROM watchlist WHERE user_id = $user AND video_id IN $ids;",
        )
        .bind(("user", user.id.clone()))
        .bind(("ids", ids.to_vec()))
        .await?;
    let progress: Vec<Progress> = db::rows(&mut r, 0)?;
    let listed: Vec<String> = r.take(1)?;
    let mut out: HashMap<String, ViewerState> = ids
        .iter()
        .map(|k| (k.clone(), ViewerState::default()))
        .collect();
    for p in progress {
        if let Some(s) = out.get_mut(&p.video_id) {
            s.progress = Some(p);
        }
    }
    for id in listed {
        if let Some(s) = out.get_mut(&id) {
            s.in_watchlist = true;
        }
    }
    Ok(out)
}

/// What a page's resolver looked up in bulk for every video it shows (set once per request):
/// the video fields read it from memory, and only fall back on the loaders for videos it
/// does not cover. Going through a loader costs a task and a lock per field, as much as the
/// lookups themselves on a page of a few hundred cards.
#[derive(Default)]
pub struct Prefetched(OnceLock<PageData>);

/// See [`Prefetched`].
pub struct PageData {
    /// By user id.
    pub creators: HashMap<String, Creator>,
    /// By video id; `None` when the request is anonymous.
    pub viewer: Option<HashMap<String, ViewerState>>,
}

impl Prefetched {
    /// Keeps what a page looked up; a second page in the same request keeps using loaders.
    pub fn set(&self, data: PageData) {
        let _ = self.0.set(data);
    }

    pub fn get(&self) -> Option<&PageData> {
        self.0.get()
    }
}
