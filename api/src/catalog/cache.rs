//! Hot reads served from memory: videos by id, the public home rails with the genre list, the
//! most viewed videos of each genre (what "Because you watched" falls back on), what viewers
//! of a video also watched (ids only, recounted every ten minutes), ranked search results
//! and each searched word's matches and scores (an edit drops only the searches and words it
//! can change), and creators' display names (fixed at signup, so they need no invalidation).
//! Entries stay coherent across api replicas because every replica follows the `video`
//! table through a SurrealDB live query and drops what a change touches the moment it is
//! told; a change that only moves a view count leaves the rails alone (they also expire after
//! [`RAILS_TTL`], which is how often Popular re-sorts). While the live query is down (the
//! database restarting, a network cut) nothing is served from memory, so the cache can make
//! reads faster but never staler.

use crate::catalog::analyzer::{self, QueryWord};
use crate::catalog::rails::{self, PublicRails};
use crate::catalog::videos::{self, Genre, Video};
use crate::catalog::words::{self as search_words, Ids, WordScores};
use crate::changes::{Action, Follower, record_key};
use crate::db::Db;
use crate::error::ApiError;
use crate::identity::accounts::{self, Creator};
use std::collections::{HashMap, HashSet, VecDeque};
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

/// How long a word's matches are served at most. An edit drops the words it can change at
/// once; this bounds how far BM25's collection statistics (the number of videos, their mean
/// length) drift from what the scores were computed with, which every edit moves by a hair.
const WORDS_TTL: Duration = Duration::from_secs(3600);

/// Matches held in memory over all words (8 bytes each).
const WORDS_CAPACITY: u64 = 8_000_000;

/// The share of [`WORDS_CAPACITY`] frequent words may fill ahead of being asked; the rest is
/// for the words queries bring.
pub const WORDS_WARM_BUDGET: usize = (WORDS_CAPACITY / 2) as usize;

/// Edits remembered for words looked up while they landed.
const EDIT_LOG: usize = 1024;

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
    /// Each searched word's matches, by stem.
    words: moka::future::Cache<String, Arc<WordScores>>,
    ids: Ids,
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
    /// Words looked up in the indexes, for tests and metrics.
    words_fetched: AtomicU64,
    /// Words asked for, searches asked for, and videos asked for and not found in memory,
    /// for metrics.
    words_asked: AtomicU64,
    searches_asked: AtomicU64,
    videos_asked: AtomicU64,
    videos_missed: AtomicU64,
    /// The changes seen when a pass of [`crate::catalog::search::warm`] began that ended with every
    /// frequent word in memory.
    words_warm: AtomicU64,
    /// Bumped by every edit (a change beyond a view count): a read that saw it move while it
    /// was at the database does not cache what it read, since that may predate the edit.
    edits: AtomicU64,
    /// The latest edits and the words each could change, oldest first.
    edit_log: std::sync::Mutex<VecDeque<Edit>>,
}

/// How one cache has been used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub cache: &'static str,
    pub asked: u64,
    pub missed: u64,
}

/// An edit: its number in `edits`, the stems of the video's new text (`None`: anything may
/// have changed) and the video's number.
#[derive(Debug)]
struct Edit {
    seq: u64,
    stems: Option<HashSet<String>>,
    video: Option<u32>,
}

impl Edit {
    fn touches(&self, stem: &str, found: &WordScores) -> bool {
        match &self.stems {
            None => true,
            Some(stems) => stems.contains(stem) || self.video.is_some_and(|n| found.holds(n)),
        }
    }
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
            words: moka::future::Cache::builder()
                .weigher(|_, w: &Arc<WordScores>| w.hits().min(u32::MAX as usize - 1) as u32 + 1)
                .max_capacity(WORDS_CAPACITY)
                .time_to_live(WORDS_TTL)
                .build(),
            ids: Ids::default(),
            creators: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(CREATOR_TTI)
                .build(),
            digests: moka::sync::Cache::builder().max_capacity(500_000).build(),
            live: AtomicBool::new(false),
            changes: AtomicU64::new(0),
            ranked: AtomicU64::new(0),
            words_fetched: AtomicU64::new(0),
            words_asked: AtomicU64::new(0),
            searches_asked: AtomicU64::new(0),
            videos_asked: AtomicU64::new(0),
            videos_missed: AtomicU64::new(0),
            words_warm: AtomicU64::new(0),
            edits: AtomicU64::new(0),
            edit_log: std::sync::Mutex::new(VecDeque::with_capacity(EDIT_LOG)),
        }
    }
}

/// The stems of a video record's searched text.
fn text_stems(record: &serde_json::Value) -> HashSet<String> {
    let mut text = String::new();
    for field in ["title", "description"] {
        text.push_str(record[field].as_str().unwrap_or_default());
        text.push(' ');
    }
    for tag in record["tags"].as_array().into_iter().flatten() {
        text.push_str(tag.as_str().unwrap_or_default());
        text.push(' ');
    }
    analyzer::stems(&text)
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
    pub async fn search<F>(&self, key: SearchKey, rank: F) -> Result<Ranked, ApiError>
    where
        F: Future<Output = Result<Vec<(String, f64)>, ApiError>>,
    {
        self.searches_asked.fetch_add(1, Ordering::Relaxed);
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

    /// A word's matches and scores in each searched field: from memory when it was looked up
    /// within [`WORDS_TTL`] and no edit since could change them, else from the indexes.
    ///
    /// A lookup that an edit overlapped is kept unless that edit could change the word: a
    /// frequent word takes long enough to look up that a steady trickle of unrelated edits
    /// would otherwise keep it out of memory for good.
    pub async fn word(&self, db: &Db, word: &QueryWord) -> Result<Arc<WordScores>, ApiError> {
        self.words_asked.fetch_add(1, Ordering::Relaxed);
        let fetch = async {
            self.words_fetched.fetch_add(1, Ordering::Relaxed);
            Ok::<_, ApiError>(Arc::new(
                search_words::fetch(db, &self.ids, &word.text).await?,
            ))
        };
        if !self.live.load(Ordering::Acquire) {
            return fetch.await;
        }
        let before = self.edits.load(Ordering::Acquire);
        let found = self
            .words
            .try_get_with(word.stem.clone(), fetch)
            .await
            .map_err(|e: Arc<ApiError>| ApiError::Internal(anyhow::anyhow!("{e}")))?;
        if self.edits.load(Ordering::Acquire) != before
            && self.edited_since(before, &word.stem, &found)
        {
            self.words.invalidate(&word.stem).await;
        }
        Ok(found)
    }

    /// Whether an edit after number `before` could change a word's matches (or may have:
    /// the log no longer reaches back that far).
    fn edited_since(&self, before: u64, stem: &str, found: &WordScores) -> bool {
        let log = self.edit_log.lock().unwrap_or_else(|e| e.into_inner());
        if log.front().is_none_or(|e| e.seq > before + 1) {
            return true;
        }
        log.iter()
            .filter(|e| e.seq > before)
            .any(|e| e.touches(stem, found))
    }

    /// Notes an edit (logged before it is counted, so a reader that sees the count move
    /// finds it in the log).
    fn note_edit(&self, stems: Option<HashSet<String>>, video: Option<u32>) {
        let mut log = self.edit_log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() == EDIT_LOG {
            log.pop_front();
        }
        log.push_back(Edit {
            seq: self.edits.load(Ordering::Acquire) + 1,
            stems,
            video,
        });
        self.edits.fetch_add(1, Ordering::AcqRel);
    }

    /// Whether a word's matches are in memory (by stem).
    pub fn has_word(&self, stem: &str) -> bool {
        self.live.load(Ordering::Acquire) && self.words.contains_key(stem)
    }

    /// How many words were looked up in the indexes.
    pub fn words_fetched(&self) -> u64 {
        self.words_fetched.load(Ordering::Relaxed)
    }

    /// Notes that every frequent word was in memory after `changes` changes.
    pub fn note_words_warm(&self, changes: u64) {
        self.words_warm.fetch_max(changes, Ordering::AcqRel);
    }

    /// The changes seen when frequent words were last all in memory (see
    /// [`crate::catalog::search::warm`]).
    pub fn words_warm_as_of(&self) -> u64 {
        self.words_warm.load(Ordering::Acquire)
    }

    /// The numbers word matches name videos by.
    pub fn ids(&self) -> &Ids {
        &self.ids
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
    pub fn stats(&self) -> [CacheStats; 3] {
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
            CacheStats {
                cache: "search_words",
                asked: load(&self.words_asked),
                missed: load(&self.words_fetched),
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
        self.note_edit(Some(HashSet::new()), None);
        self.videos.invalidate(id).await;
        self.catalogue.invalidate_all();
        self.popular_in.invalidate_all();
    }

    /// Applies one change to a video record.
    async fn apply(&self, record: &serde_json::Value) {
        let Some(id) = record_key(record) else {
            self.forget_all();
            return;
        };
        let d = digest(record);
        let edited = self.digests.get(&id) != Some(d);
        self.digests.insert(id.clone(), d);
        if edited {
            let stems = text_stems(record);
            // Numbered even if no word named it yet: a lookup in flight may name it.
            let number = self.ids.intern(std::slice::from_ref(&id))[0];
            self.note_edit(Some(stems.clone()), Some(number));
            self.catalogue.invalidate_all();
            self.popular_in.invalidate_all();
            self.forget_searches_for(&id, number, stems).await;
        }
        self.videos.invalidate(&id).await;
        self.changes.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops the ranked searches an edit to a video can change: those it is in, and those
    /// whose every word is in its new text (it may enter or move) or held it before (it may
    /// leave, shifting later pages); and the words it held or now holds. Others stay; BM25's
    /// collection statistics drift with every edit, but only by a hair until they expire.
    ///
    /// The entries are walked here rather than through moka's invalidation closures, which
    /// it keeps and applies later: a burst of edits (a catalogue import) left tens of thousands
    /// of them queued, and the next read waited for them.
    async fn forget_searches_for(&self, id: &str, number: u32, words: HashSet<String>) {
        // The words the video held before the edit, as far as memory knows.
        let mut held: HashSet<Arc<String>> = HashSet::new();
        let mut stale_words: Vec<Arc<String>> = Vec::new();
        for (stem, found) in self.words.iter() {
            if found.holds(number) {
                held.insert(stem.clone());
                stale_words.push(stem);
            } else if words.contains(stem.as_str()) {
                stale_words.push(stem);
            }
        }
        // A search the video may have matched before: each of its words held the video, or
        // is no longer in memory to tell.
        let matched_before = |stems: &[String]| {
            stems
                .iter()
                .all(|w| held.contains(w) || !self.words.contains_key(w))
        };
        let stale_searches: Vec<Arc<SearchKey>> = self
            .searches
            .iter()
            .filter(|(_, ranked)| {
                ranked.hits.iter().any(|(v, _)| v == id)
                    || ranked.stems.iter().all(|w| words.contains(w))
                    || matched_before(&ranked.stems)
            })
            .map(|(key, _)| key)
            .collect();
        for stem in stale_words {
            self.words.invalidate(stem.as_str()).await;
        }
        for key in stale_searches {
            self.searches.invalidate(key.as_ref()).await;
        }
    }

    fn forget_all(&self) {
        self.note_edit(None, None);
        self.videos.invalidate_all();
        self.catalogue.invalidate_all();
        self.popular_in.invalidate_all();
        self.searches.invalidate_all();
        self.words.invalidate_all();
    }
}

impl Follower for Cache {
    const NAME: &'static str = "video cache";
    const TABLES: &'static [&'static str] = &["video"];

    async fn live(&self, up: bool) {
        // Anything cached before the feed started, or while it was down, may have missed a
        // change.
        self.forget_all();
        self.live.store(up, Ordering::Release);
    }

    async fn changed(&self, _table: &'static str, _action: Action, record: serde_json::Value) {
        self.apply(&record).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_looked_up_while_edits_landed_is_dropped_only_if_one_could_change_it() {
        let cache = Cache::default();
        let n = cache.ids.intern(&["v1".to_owned()])[0];
        let held = WordScores {
            fields: [vec![(n, 1.0)], vec![], vec![]],
        };
        let other = WordScores::default();
        let stems = |s: &str| Some(analyzer::stems(s));

        cache.note_edit(stems("baking bread"), None);
        assert!(!cache.edited_since(0, "river", &other));
        assert!(cache.edited_since(0, "bread", &other));
        assert!(
            !cache.edited_since(1, "bread", &other),
            "an edit before the lookup"
        );
        // An edit to a video the word was in, even if its new text lacks the word.
        cache.note_edit(stems("jazz"), Some(n));
        assert!(cache.edited_since(1, "river", &held));
        assert!(!cache.edited_since(1, "river", &other));
        // The feed restarting may have hidden anything.
        cache.note_edit(None, None);
        assert!(cache.edited_since(2, "river", &other));
        // Edits the log no longer reaches back to count as touching it.
        for _ in 0..EDIT_LOG {
            cache.note_edit(stems("jazz"), None);
        }
        assert!(cache.edited_since(0, "river", &other));
        assert!(!cache.edited_since(cache.edits.load(Ordering::Acquire) - 5, "river", &other));
    }
}
