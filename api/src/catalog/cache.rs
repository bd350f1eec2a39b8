//! Hot reads served from memory: videos by id, the public home rails with the genre list, the
//! most viewed videos of each genre (what "Because you watched" falls back on), what viewers
//! of a video also watched (ids only, recounted every ten minutes), the search index and the
//! ranked search results made from it (an edit drops only the searches it can change), and
//! creators' display names (fixed at signup, so they need no invalidation).
//! Entries stay coherent across api replicas because every replica follows the `video`
//! table through a SurrealDB live query and drops what a change touches the moment it is
//! told; a change that only moves a view count leaves the rails alone (they also expire after
//! [`RAILS_TTL`], which is how often Popular re-sorts). While the live query is down (the
//! database restarting, a network cut) nothing is served from memory, so the cache can make
//! reads faster but never staler; the search index alone keeps answering as it stood (every
//! hit is checked against the catalogue rule again) and is rebuilt when the feed returns.

use crate::catalog::analyzer;
use crate::catalog::index::{Applied, SearchIndex};
use crate::catalog::rails::{self, PublicRails};
use crate::catalog::videos::{self, Genre, Video};
use crate::changes::{Action, Follower, record_key};
use crate::db::Db;
use crate::error::ApiError;
use crate::identity::accounts::{self, Creator};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How long public rails are served before they are rebuilt even without a change.
pub const RAILS_TTL: Duration = Duration::from_secs(30);
/// How long a video is served from memory at most; this bounds how far a view count shown in
/// a cached read may lag (edits are applied at once).
const VIDEO_TTL: Duration = Duration::from_secs(60);

/// How long a co-watch list is served before it is counted again: it moves slowly, and it
/// holds ids only, so an edit never makes it show something it should not.
const CO_WATCH_TTL: Duration = Duration::from_secs(600);

/// How long an unused creator stays in memory.
const CREATOR_TTI: Duration = Duration::from_secs(600);

/// A search as cached: normalised query, limit, offset.
pub type SearchKey = (String, u32, u32);
/// A ranked page of search results.
pub type Ranked = Arc<Ranking>;

/// Video ids and scores, best first, and the stems of the query (kept to tell quickly which
/// edits can change the page).
#[derive(Debug)]
pub struct Ranking {
    pub hits: Vec<(String, f64)>,
    stems: Vec<String>,
}

/// The genre list and the rails built from it.
#[derive(Debug)]
pub struct Catalogue {
    pub genres: Vec<Genre>,
    pub rails: PublicRails,
}

#[derive(Debug)]
pub struct Cache {
    videos: moka::future::Cache<String, Arc<Video>>,
    catalogue: moka::future::Cache<(), Arc<Catalogue>>,
    popular_in: moka::future::Cache<String, Arc<Vec<Video>>>,
    co_watched: moka::future::Cache<String, Arc<Vec<String>>>,
    searches: moka::future::Cache<SearchKey, Ranked>,
    index: Arc<SearchIndex>,
    creators: moka::future::Cache<String, Creator>,
    /// A digest of each video's last known content without its view count, to tell edits
    /// from views.
    digests: moka::sync::Cache<String, u64>,
    /// Whether the live query is running, so cached entries can be trusted.
    live: AtomicBool,
    /// Changes applied, for tests and metrics.
    changes: AtomicU64,
    /// Searches ranked (not answered from memory), for tests and metrics.
    ranked: AtomicU64,
    /// Searches asked for, and videos asked for and not found in memory, for metrics.
    searches_asked: AtomicU64,
    videos_asked: AtomicU64,
    videos_missed: AtomicU64,
    /// Bumped by every edit (a change beyond a view count) and by the search index taking
    /// one in: a read that saw it move while it was at the database (or the index) does not
    /// cache what it read, since that may predate the edit.
    edits: AtomicU64,
}

/// How one cache has been used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub cache: &'static str,
    pub asked: u64,
    pub missed: u64,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            videos: moka::future::Cache::builder()
                .max_capacity(50_000)
                .time_to_live(VIDEO_TTL)
                .build(),
            catalogue: moka::future::Cache::builder()
                .max_capacity(1)
                .time_to_live(RAILS_TTL)
                .build(),
            popular_in: moka::future::Cache::builder()
                .max_capacity(1_000)
                .time_to_live(RAILS_TTL)
                .build(),
            co_watched: moka::future::Cache::builder()
                .max_capacity(20_000)
                .time_to_live(CO_WATCH_TTL)
                .build(),
            searches: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(RAILS_TTL)
                .build(),
            index: Arc::new(SearchIndex::default()),
            creators: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(CREATOR_TTI)
                .build(),
            digests: moka::sync::Cache::builder().max_capacity(500_000).build(),
            live: AtomicBool::new(false),
            changes: AtomicU64::new(0),
            ranked: AtomicU64::new(0),
            searches_asked: AtomicU64::new(0),
            videos_asked: AtomicU64::new(0),
            videos_missed: AtomicU64::new(0),
            edits: AtomicU64::new(0),
        }
    }
}

fn digest(record: &serde_json::Value) -> u64 {
    let mut content = record.clone();
    if let Some(map) = content.as_object_mut() {
        map.remove("views");
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    content.to_string().hash(&mut h);
    h.finish()
}

impl Cache {
    /// A video `user` may see, through memory ([`videos::get_visible`]'s rule): others get
    /// `video_not_found`, so ids do not leak.
    pub async fn visible_video(
        &self,
        db: &Db,
        id: &str,
        user: Option<&crate::identity::accounts::User>,
    ) -> Result<Video, ApiError> {
        match self.video(db, id).await? {
            Some(v) if v.visible_to(user) => Ok(v),
            _ => Err(ApiError::new(
                crate::error::Code::VideoNotFound,
                format!("no video {id}"),
            )),
        }
    }

    /// A video by id, whatever its state (callers apply visibility).
    pub async fn video(&self, db: &Db, id: &str) -> Result<Option<Video>, ApiError> {
        if !self.live.load(Ordering::Acquire) {
            return videos::get(db, id).await;
        }
        if let Some(v) = self.videos.get(id).await {
            return Ok(Some((*v).clone()));
        }
        let before = self.edits.load(Ordering::Acquire);
        let found = videos::get(db, id).await?;
        if let Some(v) = &found
            && self.live.load(Ordering::Acquire)
        {
            self.videos.insert(id.to_owned(), Arc::new(v.clone())).await;
            // An edit that landed while we were at the database may predate what we read:
            // checked after inserting, so either this or the change feed removes the entry.
            if self.edits.load(Ordering::Acquire) != before {
                self.videos.invalidate(id).await;
            }
        }
        Ok(found)
    }

    /// Videos by id, in the order asked for, whatever their state (callers apply visibility);
    /// unknown ids are left out. What memory lacks comes from one query. Pages of videos are
    /// read this way: fetching a record costs SurrealDB about 30 µs, a memory hit about 1 µs.
    pub async fn videos(&self, db: &Db, ids: &[String]) -> Result<Vec<Video>, ApiError> {
        if !self.live.load(Ordering::Acquire) {
            return videos::get_many(db, ids).await;
        }
        let mut found: HashMap<String, Video> = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.videos.get(id).await {
                Some(v) => {
                    found.insert(id.clone(), (*v).clone());
                }
                None => missing.push(id.clone()),
            }
        }
        self.videos_asked
            .fetch_add(ids.len() as u64, Ordering::Relaxed);
        self.videos_missed
            .fetch_add(missing.len() as u64, Ordering::Relaxed);
        if !missing.is_empty() {
            let before = self.edits.load(Ordering::Acquire);
            let read = videos::get_many(db, &missing).await?;
            if self.live.load(Ordering::Acquire) {
                for v in &read {
                    self.videos.insert(v.id.clone(), Arc::new(v.clone())).await;
                }
                // As in `video`: an edit that landed meanwhile may predate what was read.
                if self.edits.load(Ordering::Acquire) != before {
                    for v in &read {
                        self.videos.invalidate(&v.id).await;
                    }
                }
            }
            found.extend(read.into_iter().map(|v| (v.id.clone(), v)));
        }
        Ok(ids.iter().filter_map(|i| found.remove(i)).collect())
    }

    /// What `build` makes, through `cache` under `key`: from memory while the live query
    /// runs (built once however many ask at the same time), and served but not kept when an
    /// edit landed while it was being built, since it may predate the edit.
    async fn through<K, V, F>(
        &self,
        cache: &moka::future::Cache<K, V>,
        key: K,
        build: F,
    ) -> Result<V, ApiError>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
        F: Future<Output = Result<V, ApiError>>,
    {
        if !self.live.load(Ordering::Acquire) {
            return build.await;
        }
        let before = self.edits.load(Ordering::Acquire);
        let found = cache
            .try_get_with(key.clone(), build)
            .await
            .map_err(|e: Arc<ApiError>| ApiError::Internal(anyhow::anyhow!("{e}")))?;
        if self.edits.load(Ordering::Acquire) != before {
            cache.invalidate(&key).await;
        }
        Ok(found)
    }

    /// The genre list and public rails.
    pub async fn catalogue(&self, db: &Db) -> Result<Arc<Catalogue>, ApiError> {
        self.through(&self.catalogue, (), async {
            let genres = videos::genres(db).await?;
            let rails = rails::public_rails(db, &genres).await?;
            Ok(Arc::new(Catalogue { genres, rails }))
        })
        .await
    }

    /// The most viewed listed videos of a genre, best first (up to [`rails::GENRE_FILL`]).
    pub async fn popular_in(&self, db: &Db, genre: &str) -> Result<Arc<Vec<Video>>, ApiError> {
        self.through(&self.popular_in, genre.to_owned(), async {
            Ok(Arc::new(rails::popular_in(db, genre).await?))
        })
        .await
    }

    /// What viewers of a video also watched, most shared first (ids; see
    /// [`rails::co_watched`]). Ids only, so it needs no invalidation and is kept even while
    /// the live query is down.
    pub async fn co_watched(&self, db: &Db, video: &str) -> Result<Arc<Vec<String>>, ApiError> {
        self.co_watched
            .try_get_with(video.to_owned(), async {
                Ok::<_, ApiError>(Arc::new(rails::co_watched(db, video).await?))
            })
            .await
            .map_err(|e: Arc<ApiError>| ApiError::Internal(anyhow::anyhow!("{e}")))
    }

    /// A ranked page of search results (ids and scores), from memory when the same query was
    /// ranked within [`RAILS_TTL`] and no edit since could change it (see
    /// `forget_searches_for`; a view count moving does not re-rank it sooner).
    ///
    /// Every edit seen before is in the index first, and the searches it changed are dropped
    /// by then: a replica's own write shows in its next search.
    pub async fn search<F>(&self, key: SearchKey, rank: F) -> Result<Ranked, ApiError>
    where
        F: Future<Output = Result<Vec<(String, f64)>, ApiError>>,
    {
        self.searches_asked.fetch_add(1, Ordering::Relaxed);
        self.index.caught_up().await;
        let stems = analyzer::stems(&key.0).into_iter().collect();
        self.through(&self.searches, key, async {
            self.ranked.fetch_add(1, Ordering::Relaxed);
            Ok(Arc::new(Ranking {
                hits: rank.await?,
                stems,
            }))
        })
        .await
    }

    /// How many searches were ranked (not answered from memory).
    pub fn searches_ranked(&self) -> u64 {
        self.ranked.load(Ordering::Relaxed)
    }

    /// Notes an edit.
    fn note_edit(&self) {
        self.edits.fetch_add(1, Ordering::AcqRel);
    }

    /// The search index.
    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// Keeps the search index up with the edits until the server stops, dropping the saved
    /// searches each batch it takes in can change.
    pub async fn follow_index(self: Arc<Self>, db: Db) {
        let index = self.index.clone();
        index
            .run(db, |applied| {
                let me = self.clone();
                async move { me.index_applied(applied).await }
            })
            .await;
    }

    async fn index_applied(&self, applied: Applied) {
        if applied.everything {
            self.searches.invalidate_all();
        }
        for (id, before, after) in &applied.videos {
            self.forget_searches_for(id, before, after).await;
        }
        self.note_edit();
    }

    /// Creators by id: what memory has, plus the rest in one query.
    pub async fn creators(
        &self,
        db: &Db,
        ids: &[String],
    ) -> Result<HashMap<String, Creator>, ApiError> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.creators.get(id).await {
                Some(c) => {
                    found.insert(id.clone(), c);
                }
                None => missing.push(id.clone()),
            }
        }
        for c in accounts::creators(db, &missing).await? {
            self.creators.insert(c.id.clone(), c.clone()).await;
            found.insert(c.id.clone(), c);
        }
        Ok(found)
    }

    /// The number of edits seen, which moves whenever anything cached from the catalogue
    /// may be stale; `None` while the change feed is down.
    pub fn edit_stamp(&self) -> Option<u64> {
        self.live
            .load(Ordering::Acquire)
            .then(|| self.edits.load(Ordering::Acquire))
    }

    /// Per cache kept in memory while the change feed runs: how often it was asked and how
    /// often what was asked had to be read from the database (with the feed down, every
    /// ask is read from the database).
    pub fn stats(&self) -> [CacheStats; 2] {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        [
            CacheStats {
                cache: "videos",
                asked: load(&self.videos_asked),
                missed: load(&self.videos_missed),
            },
            CacheStats {
                cache: "searches",
                asked: load(&self.searches_asked),
                missed: load(&self.ranked),
            },
        ]
    }

    /// Whether the live query that keeps the cache coherent is running.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// How many changes the live query has delivered.
    pub fn changes_seen(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    /// A write this replica made to a video: its entry and the lists built from it go now,
    /// not when the change feed brings the write, so this replica's next read sees it (a
    /// video made private at once gets links scoped to its owner). A read already at the
    /// database does not keep what it fetched.
    pub async fn forget_video(&self, id: &str) {
        self.note_edit();
        self.index.touch(vec![id.to_owned()]);
        self.videos.invalidate(id).await;
        self.catalogue.invalidate_all();
        self.popular_in.invalidate_all();
    }

    /// Applies one change to a video record.
    async fn apply(&self, record: &serde_json::Value) {
        let Some(id) = record_key(record) else {
            self.forget_all();
            self.index.rebuild();
            return;
        };
        let d = digest(record);
        let edited = self.digests.get(&id) != Some(d);
        self.digests.insert(id.clone(), d);
        if edited {
            self.note_edit();
            self.catalogue.invalidate_all();
            self.popular_in.invalidate_all();
            self.index.touch(vec![id.clone()]);
        }
        self.videos.invalidate(&id).await;
        self.changes.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops the ranked searches an edit to a video can change: those it is in, and those
    /// whose every word is in its new text (it may enter or move) or was in its old text (it
    /// may leave, shifting later pages). Others stay; BM25's collection statistics drift with
    /// every edit, but only by a hair until they expire.
    ///
    /// The entries are walked here rather than through moka's invalidation closures, which
    /// it keeps and applies later: a burst of edits (a catalogue import) left tens of thousands
    /// of them queued, and the next read waited for them.
    async fn forget_searches_for(
        &self,
        id: &str,
        before: &HashSet<String>,
        after: &HashSet<String>,
    ) {
        let stale: Vec<Arc<SearchKey>> = self
            .searches
            .iter()
            .filter(|(_, ranked)| {
                ranked.hits.iter().any(|(v, _)| v == id)
                    || ranked.stems.iter().all(|w| after.contains(w))
                    || ranked.stems.iter().all(|w| before.contains(w))
            })
            .map(|(key, _)| key)
            .collect();
        for key in stale {
            self.searches.invalidate(key.as_ref()).await;
        }
    }

    fn forget_all(&self) {
        self.note_edit();
        self.videos.invalidate_all();
        self.catalogue.invalidate_all();
        self.popular_in.invalidate_all();
        self.searches.invalidate_all();
    }
}

impl Follower for Cache {
    const NAME: &'static str = "video cache";
    const TABLES: &'static [&'static str] = &["video"];

    async fn live(&self, up: bool) {
        // Anything cached before the feed started, or while it was down, may have missed a
        // change. The index keeps answering meanwhile and is built afresh once the feed runs.
        self.forget_all();
        self.live.store(up, Ordering::Release);
        if up {
            self.index.rebuild();
        }
    }

    async fn changed(&self, _table: &'static str, _action: Action, record: serde_json::Value) {
        self.apply(&record).await;
    }
}
