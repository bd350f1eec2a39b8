//! Answers to page queries kept per viewer: a query that asks only for `home` and `genres`
//! is answered from memory when the same viewer asked the same thing since anything it shows
//! last changed. A TV or app reopening its home screen gets the bytes it got before, without
//! a database query or GraphQL execution.
//!
//! What a home page shows, and what drops the viewer's saved answers:
//! - the catalogue (titles, posters, visibility, rails): any edit, on any replica, through
//!   the video cache's change feed ([`crate::catalog::cache::Cache::edit_stamp`]);
//! - the viewer's progress, watchlist, views and role: any write the viewer makes through
//!   this replica (a REST call other than GET, a GraphQL mutation) once it is answered, and
//!   any change to their `progress`, `watchlist`, `view` or `user` rows, followed through live
//!   queries, for writes made through other replicas (or by an admin);
//! - view counts and the order of Popular: an answer is kept [`PAGE_TTL`] at most.
//!
//! While a change feed is down nothing is answered from memory.

use crate::catalog::cache::Cache;
use crate::changes::{Action, Follower, record_key};
use async_graphql::parser::types::{OperationType, Selection};
use bytes::Bytes;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How long an answer is kept at most: how far view counts and Popular may lag behind.
pub const PAGE_TTL: Duration = Duration::from_secs(10);
/// Memory the saved answers may take.
const PAGES_BYTES: u64 = 256 << 20;
/// The root fields whose answers depend only on the catalogue and the viewer's own library.
const PAGE_FIELDS: &[&str] = &["home", "genres", "__typename"];

/// What a GraphQL request does, as far as saved answers are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A query for page fields only: its answer may be saved.
    Page,
    /// A mutation: the viewer's saved answers are dropped once it is answered.
    Write,
    /// Anything else, answered afresh every time.
    Other,
}

/// Tells page queries from the rest.
fn kind(query: &str) -> Kind {
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return Kind::Other;
    };
    let mut kind = Kind::Page;
    for (_, op) in doc.operations.iter() {
        match op.node.ty {
            OperationType::Mutation => return Kind::Write,
            OperationType::Subscription => kind = Kind::Other,
            OperationType::Query => {
                let only_pages = op.node.selection_set.node.items.iter().all(|s| {
                    matches!(&s.node, Selection::Field(f)
                        if PAGE_FIELDS.contains(&f.node.name.node.as_str()))
                });
                if !only_pages {
                    kind = Kind::Other;
                }
            }
        }
    }
    kind
}

/// A saved answer and when it was made.
#[derive(Debug)]
struct Page {
    body: Bytes,
    stamp: Stamp,
}

/// The state of the world a page was made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The catalogue's edit count.
    edits: u64,
    /// The change sequence when the page was started.
    seq: u64,
}

/// A viewer (`None`: anonymous) and what they asked.
pub type PageKey = (Option<String>, u64);

#[derive(Debug)]
pub struct Pages {
    pages: moka::future::Cache<PageKey, Arc<Page>>,
    /// Per viewer, the change sequence of the last change to their library.
    changed: moka::sync::Cache<String, u64>,
    /// The change sequence, bumped by every change to a library.
    seq: AtomicU64,
    /// The change sequence of the last time every library may have changed.
    all_changed: AtomicU64,
    /// Whether the library change feeds run.
    live: AtomicBool,
    /// What each query text asked before does, by its hash.
    kinds: moka::sync::Cache<u64, Kind>,
    /// Answers served from memory, for tests and metrics.
    served: AtomicU64,
}

impl Default for Pages {
    fn default() -> Self {
        Pages {
            pages: moka::future::Cache::builder()
                .max_capacity(PAGES_BYTES)
                .weigher(|_, p: &Arc<Page>| p.body.len().try_into().unwrap_or(u32::MAX))
                .time_to_live(PAGE_TTL)
                .build(),
            changed: moka::sync::Cache::builder()
                .max_capacity(1_000_000)
                // A change older than any page cannot make one stale.
                .time_to_live(PAGE_TTL * 2)
                .build(),
            seq: AtomicU64::new(0),
            all_changed: AtomicU64::new(0),
            live: AtomicBool::new(false),
            kinds: moka::sync::Cache::new(10_000),
            served: AtomicU64::new(0),
        }
    }
}

impl Pages {
    /// What a query does (see [`Kind`]); each text is parsed once.
    pub fn kind(&self, query: &str) -> Kind {
        let mut h = DefaultHasher::new();
        query.hash(&mut h);
        self.kinds.get_with(h.finish(), || kind(query))
    }

    /// The key of a request for `viewer`.
    pub fn key(viewer: Option<&str>, request: &async_graphql::Request) -> PageKey {
        let mut h = DefaultHasher::new();
        request.query.hash(&mut h);
        request.operation_name.hash(&mut h);
        serde_json::to_string(&request.variables)
            .unwrap_or_default()
            .hash(&mut h);
        (viewer.map(str::to_owned), h.finish())
    }

    /// The saved answer to `key`, if nothing it shows changed since it was made.
    pub async fn get(&self, cache: &Cache, key: &PageKey) -> Option<Bytes> {
        let page = self.pages.get(key).await?;
        if self
            .stamp(cache)
            .is_some_and(|now| self.fresh(&page.stamp, now, key))
        {
            self.served.fetch_add(1, Ordering::Relaxed);
            Some(page.body.clone())
        } else {
            None
        }
    }

    /// How many answers were served from memory.
    pub fn served_from_memory(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// The state of the world now, taken before a page is made; `None` while a change feed
    /// is down.
    pub fn stamp(&self, cache: &Cache) -> Option<Stamp> {
        let edits = cache.edit_stamp()?;
        self.live.load(Ordering::Acquire).then(|| Stamp {
            edits,
            seq: self.seq.load(Ordering::Acquire),
        })
    }

    fn fresh(&self, made: &Stamp, now: Stamp, key: &PageKey) -> bool {
        let viewer_changed = key
            .0
            .as_ref()
            .and_then(|v| self.changed.get(v))
            .unwrap_or(0);
        made.edits == now.edits
            && made.seq >= viewer_changed
            && made.seq >= self.all_changed.load(Ordering::Acquire)
    }

    /// Saves the answer to `key` made since `stamp`, unless something it shows changed while
    /// it was being made.
    pub async fn put(&self, cache: &Cache, key: PageKey, stamp: Stamp, body: Bytes) {
        let page = Arc::new(Page { body, stamp });
        self.pages.insert(key.clone(), page).await;
        // Checked after saving, so either this or the change drops it.
        if !self
            .stamp(cache)
            .is_some_and(|now| self.fresh(&stamp, now, &key))
        {
            self.pages.invalidate(&key).await;
        }
    }

    /// Something `viewer`'s pages show changed.
    pub fn viewer_changed(&self, viewer: &str) {
        let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
        self.changed.insert(viewer.to_owned(), seq);
    }

    fn all_changed(&self) {
        let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
        self.all_changed.store(seq, Ordering::Release);
        self.pages.invalidate_all();
    }
}

impl Follower for Pages {
    const NAME: &'static str = "saved pages";
    const TABLES: &'static [&'static str] = &["progress", "watchlist", "view", "user"];

    async fn live(&self, up: bool) {
        self.all_changed();
        self.live.store(up, Ordering::Release);
    }

    async fn changed(&self, table: &'static str, _action: Action, record: serde_json::Value) {
        // A user's role decides what they may see; progress and watchlist rows name their
        // user; views name their viewer `u:{id}`.
        let key = (table == "user").then(|| record_key(&record)).flatten();
        let user = key.as_deref().or_else(|| {
            record["user_id"]
                .as_str()
                .or_else(|| record["viewer"].as_str()?.strip_prefix("u:"))
        });
        match user {
            Some(user) => self.viewer_changed(user),
            None if record["viewer"].is_string() => {} // an anonymous view
            None => self.all_changed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, kind};

    #[test]
    fn only_queries_for_page_fields_are_pages() {
        assert_eq!(kind("{ home { new { key } } }"), Kind::Page);
        assert_eq!(
            kind("query Home { genres { key } home { popular { key } } }"),
            Kind::Page
        );
        assert_eq!(kind("{ home { new { key } } me { id } }"), Kind::Other);
        assert_eq!(
            kind("{ ...f } fragment f on Query { home { new { key } } }"),
            Kind::Other
        );
        assert_eq!(
            kind("mutation { addToWatchlist(videoId: \"v\") }"),
            Kind::Write
        );
        assert_eq!(
            kind("subscription { videoProcessing(id: \"v\") { state } }"),
            Kind::Other
        );
        assert_eq!(kind("{ home "), Kind::Other);
    }
}
