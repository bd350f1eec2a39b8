//! Live updates over graphql-ws, fed by SurrealDB live queries.

use super::socket::Slot;
use super::types::GqlProcessing;
use super::{gql_error, signed_in, state};
use crate::catalog::videos;
use crate::db::{self, Db};
use crate::error::ApiError;
use async_graphql::{Context, ID, Subscription as SubscriptionObject};
use futures::{Stream, StreamExt, stream};
use shared::VideoState;

/// Where a video is, read fresh.
async fn snapshot(db: &Db, id: &str) -> Result<GqlProcessing, ApiError> {
    let mut r = db
        .query(
            "SELECT state, failure_reason FROM type::record('video', $id);
             SELECT VALUE progress FROM job WHERE video_id = $id AND state = $leased LIMIT 1;",
        )
        .bind(("id", id.to_owned()))
        .bind(("leased", shared::JobState::Leased.as_str()))
        .await?;
    let row: Option<serde_json::Value> = db::first(&mut r, 0)?;
    let progress: Vec<Option<f64>> = r.take(1)?;
    let row = row.unwrap_or_default();
    let state: VideoState =
        serde_json::from_value(row["state"].clone()).unwrap_or(VideoState::Deleted);
    Ok(GqlProcessing {
        video_id: ID(id.to_owned()),
        state,
        progress: progress.into_iter().flatten().next(),
        failure_reason: row["failure_reason"].as_str().map(str::to_owned),
    })
}

/// Whether nothing more will happen to the video without someone acting.
fn settled(p: &GqlProcessing) -> bool {
    match p.state {
        VideoState::Failed | VideoState::Deleted => true,
        VideoState::Published => p.progress.is_none(),
        _ => false,
    }
}

/// Live updates.
pub struct Subscription;

/// Live updates.
#[SubscriptionObject]
impl Subscription {
    /// A video's processing, for its owner or an admin: the current state at once, then
    /// every change of state or transcode progress, until it is published with no transcode
    /// running, fails or is deleted.
    async fn video_processing(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = GqlProcessing> + use<>> {
        let user = signed_in(ctx)?;
        let db = state(ctx).db.clone();
        let v = videos::get_managed(&db, &id, user)
            .await
            .map_err(gql_error)?;
        // Held for as long as the stream runs.
        let slot = Slot::take(ctx, state(ctx), user).map_err(gql_error)?;
        let video_id = v.id.clone();
        // Follow first, then read, so no change falls between the two.
        let jobs = db
            .select::<Vec<serde_json::Value>>("job")
            .live()
            .await
            .map_err(|e| gql_error(e.into()))?;
        let vids = db
            .select::<Vec<serde_json::Value>>("video")
            .live()
            .await
            .map_err(|e| gql_error(e.into()))?;
        let (jid, vid) = (video_id.clone(), format!("video:{video_id}"));
        let jobs = jobs.filter_map(move |n| {
            let hit = n.is_ok_and(|n| n.data["video_id"] == jid.as_str());
            async move { hit.then_some(()) }
        });
        let vids = vids.filter_map(move |n| {
            let hit = n.is_ok_and(|n| n.data["id"] == vid.as_str());
            async move { hit.then_some(()) }
        });
        let ticks = stream::once(async {}).chain(stream::select(jobs, vids));
        let updates = ticks
            .then(move |()| {
                let (db, id) = (db.clone(), video_id.clone());
                async move { snapshot(&db, &id).await.ok() }
            })
            .filter_map(|s| async move { s })
            .scan((None::<GqlProcessing>, false), |(last, done), s| {
                let out = if *done {
                    None
                } else if last.as_ref() == Some(&s) {
                    Some(None)
                } else {
                    *done = settled(&s);
                    *last = Some(s.clone());
                    Some(Some(s))
                };
                async move { out }
            })
            .filter_map(|s| async move { s })
            .map(move |s| {
                let _held = &slot;
                s
            });
        Ok(updates)
    }
}
