//! Following tables through SurrealDB live queries, the way every replica learns of writes
//! made through the others. One loop serves every in-memory structure that must stay
//! coherent: it starts the live queries, hands each change over, and when a feed drops it
//! tells the follower (which then stops trusting what it holds) and starts again a second
//! later.

use crate::db::Db;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
pub use surrealdb::types::Action;

/// Something kept in step with tables through their change feeds.
pub trait Follower: Send + Sync + 'static {
    /// What it is, for logs.
    const NAME: &'static str;
    /// The tables it follows.
    const TABLES: &'static [&'static str];

    /// The feeds of every table started (`true`) or one of them ended (`false`). Either way,
    /// changes may have been missed since the last call.
    fn live(&self, up: bool) -> impl Future<Output = ()> + Send;

    /// One change to a record of `table`: the record after a create or update, before a
    /// delete.
    fn changed(
        &self,
        table: &'static str,
        action: Action,
        record: serde_json::Value,
    ) -> impl Future<Output = ()> + Send;
}

/// Follows `F::TABLES` for as long as the process runs, restarting the feeds when one drops.
pub async fn follow<F: Follower>(follower: Arc<F>, db: Db) {
    loop {
        let mut feeds = Vec::with_capacity(F::TABLES.len());
        let mut started = true;
        for &table in F::TABLES {
            match db.select::<Vec<serde_json::Value>>(table).live().await {
                // Each feed says when it ends: `select_all` would carry on with the others,
                // and the follower would trust memory that misses that table's changes.
                Ok(stream) => feeds.push(
                    stream
                        .map(move |n| (table, Some(n)))
                        .chain(futures::stream::once(async move { (table, None) }))
                        .boxed(),
                ),
                Err(e) => {
                    tracing::warn!(error = %e, follower = F::NAME, table, "starting a change feed");
                    started = false;
                    break;
                }
            }
        }
        if started {
            let mut changes = futures::stream::select_all(feeds);
            follower.live(true).await;
            tracing::debug!(follower = F::NAME, "following changes");
            while let Some((table, n)) = changes.next().await {
                match n {
                    Some(Ok(n)) if n.action == Action::Killed => {
                        tracing::warn!(follower = F::NAME, table, "change feed was killed");
                        break;
                    }
                    Some(Ok(n)) => follower.changed(table, n.action, n.data).await,
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, follower = F::NAME, table, "change feed failed");
                        break;
                    }
                    None => {
                        tracing::warn!(follower = F::NAME, table, "change feed ended");
                        break;
                    }
                }
            }
            follower.live(false).await;
            tracing::warn!(
                follower = F::NAME,
                "not trusting memory until the change feeds are back"
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The key of a changed record (`video:abc` or `video:⟨a-b⟩` → `abc`, `a-b`).
pub fn record_key(record: &serde_json::Value) -> Option<String> {
    let id = record["id"].as_str()?;
    let key = id.split_once(':').map_or(id, |(_, key)| key);
    Some(key.trim_start_matches('⟨').trim_end_matches('⟩').to_owned())
}

#[cfg(test)]
mod tests {
    use super::record_key;
    use serde_json::json;

    #[test]
    fn record_keys_lose_their_table_and_brackets() {
        assert_eq!(record_key(&json!({"id": "video:abc"})).unwrap(), "abc");
        assert_eq!(record_key(&json!({"id": "video:⟨a-b⟩"})).unwrap(), "a-b");
        assert_eq!(record_key(&json!({"title": "x"})), None);
    }
}
