//! DataLoaders: the per-video lookups a page asks for (who made it, the viewer's progress,
//! whether it is on the viewer's watchlist) gathered into one query per kind, however many
//! videos the page shows. Built per request, for the user the request is made as.

use crate::accounts::User;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::library::Progress;
use async_graphql::dataloader::Loader;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// A creator as shown next to their videos.
#[derive(Debug, Clone, Deserialize)]
pub struct Creator {
    pub id: String,
    pub display_name: String,
}

/// Creators by user id.
pub struct CreatorLoader(pub Db);

impl Loader<String> for CreatorLoader {
    type Value = Creator;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Creator>, Self::Error> {
        let ids: Vec<String> = keys
            .iter()
            .filter(|k| shared::layout::is_safe_id(k))
            .cloned()
            .collect();
        let mut r = self
            .0
            .query(
                "SELECT record::id(id) AS id, display_name
                 FROM $ids.map(|$i| type::record('user', $i))",
            )
            .bind(("ids", ids))
            .await
            .map_err(|e| Arc::new(ApiError::from(e)))?;
        let rows: Vec<Creator> =
            db::rows(&mut r, 0).map_err(|e| Arc::new(ApiError::Internal(e)))?;
        Ok(rows.into_iter().map(|c| (c.id.clone(), c)).collect())
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
