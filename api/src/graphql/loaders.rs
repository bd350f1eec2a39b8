//! DataLoaders: the per-video lookups a page asks for (who made it, the viewer's progress,
//! whether it is on the viewer's watchlist) gathered into one query per kind, however many
//! videos the page shows. Built per request, for the user the request is made as.

use crate::accounts::{Creator, User};
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::library::Progress;
use crate::state::AppState;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use std::collections::HashMap;
use std::sync::Arc;

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
        let mut r = self
            .db
            .query(
                "SELECT video_id, position_s, completed, updated_at FROM progress
                    WHERE user_id = $user AND video_id IN $ids;
                 SELECT VALUE video_id FROM watchlist WHERE user_id = $user AND video_id IN $ids;",
            )
            .bind(("user", self.user.id.clone()))
            .bind(("ids", keys.to_vec()))
            .await
            .map_err(|e| Arc::new(ApiError::from(e)))?;
        let progress: Vec<Progress> =
            db::rows(&mut r, 0).map_err(|e| Arc::new(ApiError::Internal(e)))?;
        let listed: Vec<String> = r.take(1).map_err(|e| Arc::new(ApiError::from(e)))?;
        let mut out: HashMap<String, ViewerState> = keys
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
}
