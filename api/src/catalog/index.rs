//! The search index: the listed videos' title, description and tags in an in-memory tantivy
//! index, one per replica, built from the database when the change feed starts and kept up by
//! it, and by this replica's own writes at once.
//!
//! Every change to index arrives as a numbered request ([`SearchIndex::touch`],
//! [`SearchIndex::rebuild`]); one loop ([`SearchIndex::run`]) applies them in batches, reading
//! the videos named from the database, and then counts them done. A search first waits until
//! every request made before it is done, so a replica's own write is searchable from its very
//! next request. While the change feed is down the index keeps answering as it stood, and the
//! catalogue rule is applied again to every hit by the caller; the feed coming back rebuilds it.
//!
//! Words are cut and stemmed by [`crate::catalog::analyzer`], the same code that marks them in
//! the results, so a highlight is exactly what matched.

use crate::catalog::analyzer::{self, QueryWord};
use crate::catalog::videos::{self, Video};
use crate::db::Db;
use crate::error::ApiError;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tantivy::collector::{Collector, DocSetCollector, SegmentCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::indexer::IndexWriterOptions;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal, SegmentReader,
    TantivyDocument, Term,
};
use tokio::sync::{mpsc, watch};

/// The searched fields with their weights: a match in the title counts most, then tags, then
/// the description.
pub const FIELDS: [(&str, f32); 3] = [("title", 3.0), ("description", 1.0), ("tags", 2.0)];

/// Memory the index writer buffers documents in before it writes a segment (tantivy's least).
const WRITER_MEMORY: usize = 15_000_000;

/// How long a search waits for earlier changes to be indexed before it answers from the index
/// as it stands (a database that stopped answering must not stop search).
const PATIENCE: Duration = Duration::from_secs(5);

/// The analyzer's name in tantivy's registry.
const ANALYZER: &str = "kino";

/// [`analyzer::tokens`] as a tantivy tokenizer: the index holds the stems the analyzer makes.
#[derive(Clone, Default)]
pub struct Analyzer;

/// The tokens of one text.
pub struct Stems {
    tokens: Vec<Token>,
    /// One past the current token; 0 before the first.
    at: usize,
}

impl Tokenizer for Analyzer {
    type TokenStream<'a> = Stems;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Stems {
        let tokens = analyzer::tokens(text)
            .into_iter()
            .enumerate()
            .map(|(position, t)| Token {
                // Character offsets: tantivy keeps no offsets for these fields.
                offset_from: t.start,
                offset_to: t.end,
                position,
                text: t.stem,
                position_length: 1,
            })
            .collect();
        Stems { tokens, at: 0 }
    }
}

impl TokenStream for Stems {
    fn advance(&mut self) -> bool {
        if self.at < self.tokens.len() {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

/// Registers [`Analyzer`] with an index under the name its text fields use.
pub fn register_analyzer(index: &Index) {
    index.tokenizers().register(ANALYZER, Analyzer);
}

/// Text options for a field cut by [`Analyzer`] (frequencies, no positions: nothing searches
/// phrases), stored so an edit can tell which saved searches the old text matched.
pub fn text_options() -> TextOptions {
    TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
        .set_stored()
}

/// Video ids as small numbers, which the index stores as a fast field. Ids are never
/// forgotten: a catalogue of a million videos costs about 50 MB here.
#[derive(Debug, Default)]
pub struct Ids {
    inner: RwLock<IdTable>,
}

#[derive(Debug, Default)]
struct IdTable {
    numbers: HashMap<Arc<str>, u32>,
    ids: Vec<Arc<str>>,
}

impl Ids {
    /// The number of an id, given one if it has none.
    pub fn intern(&self, id: &str) -> u32 {
        if let Some(n) = self.read().numbers.get(id) {
            return *n;
        }
        let mut t = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = t.numbers.get(id) {
            return *n;
        }
        let n = t.ids.len() as u32;
        let id: Arc<str> = Arc::from(id);
        t.ids.push(id.clone());
        t.numbers.insert(id, n);
        n
    }

    /// The ids of numbers.
    pub fn ids(&self, numbers: impl Iterator<Item = u32>) -> Vec<String> {
        let t = self.read();
        numbers.map(|n| t.ids[n as usize].to_string()).collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, IdTable> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// A request to the index loop.
#[derive(Debug)]
enum Request {
    /// Read these videos again and index them as they now are.
    Videos(Vec<String>),
    /// Index every listed video afresh.
    Rebuild,
}

/// What one applied batch changed, for the saved searches built on the index.
#[derive(Debug, Default)]
pub struct Applied {
    /// Everything may have changed (the index was rebuilt).
    pub everything: bool,
    /// Per video that changed: its id, and the stems of its text before and after (empty
    /// where it was not indexed).
    pub videos: Vec<(String, HashSet<String>, HashSet<String>)>,
}

#[derive(Clone, Copy)]
struct Fields {
    number: Field,
    text: [Field; 3],
}

pub struct SearchIndex {
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    ids: Ids,
    /// Per indexed video number, a digest of its indexed text.
    indexed: Mutex<HashMap<u32, u64>>,
    /// Requests are numbered and sent under this lock, so their numbers arrive in order.
    requests: Mutex<(u64, mpsc::UnboundedSender<(u64, Request)>)>,
    inbox: Mutex<Option<mpsc::UnboundedReceiver<(u64, Request)>>>,
    /// The number of the last request applied.
    done: watch::Sender<u64>,
    /// Whether the index has been built once.
    built: AtomicBool,
    /// Documents written and searches made, for metrics.
    writes: AtomicU64,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("asked", &self.asked())
            .field("done", &*self.done.borrow())
            .finish()
    }
}

impl Default for SearchIndex {
    fn default() -> Self {
        let mut schema = Schema::builder();
        let number = schema.add_u64_field("number", FAST | INDEXED);
        let text = FIELDS.map(|(name, _)| schema.add_text_field(name, text_options()));
        let index = Index::create_in_ram(schema.build());
        register_analyzer(&index);
        // One thread each to index and merge: edits are few and small, and a rebuild of 100k
        // videos takes about a second.
        let writer = index
            .writer_with_options(
                IndexWriterOptions::builder()
                    .memory_budget_per_thread(WRITER_MEMORY)
                    .num_worker_threads(1)
                    .num_merge_threads(1)
                    .build(),
            )
            .expect("an in-memory index writer");
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .expect("an in-memory index reader");
        let (tx, rx) = mpsc::unbounded_channel();
        SearchIndex {
            fields: Fields { number, text },
            reader,
            writer: Mutex::new(writer),
            ids: Ids::default(),
            indexed: Mutex::new(HashMap::new()),
            requests: Mutex::new((0, tx)),
            inbox: Mutex::new(Some(rx)),
            done: watch::Sender::new(0),
            built: AtomicBool::new(false),
            writes: AtomicU64::new(0),
        }
    }
}

impl SearchIndex {
    /// Asks for videos to be indexed again as they now are in the database.
    pub fn touch(&self, ids: Vec<String>) {
        self.request(Request::Videos(ids));
    }

    /// Asks for the index to be built afresh from the database.
    pub fn rebuild(&self) {
        self.request(Request::Rebuild);
    }

    fn request(&self, r: Request) {
        let mut q = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        q.0 += 1;
        // The loop is gone only when the server stops.
        let _ = q.1.send((q.0, r));
    }

    fn asked(&self) -> u64 {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    /// Waits until every change asked for so far is indexed (at most [`PATIENCE`]).
    pub async fn caught_up(&self) {
        let asked = self.asked();
        let mut done = self.done.subscribe();
        // Until the first build (asked for when the change feed starts) there is nothing to
        // answer from; it is marked built before its request is counted done.
        let current = |d: &u64| *d >= asked && self.is_built();
        if tokio::time::timeout(PATIENCE, done.wait_for(current))
            .await
            .is_err()
        {
            tracing::warn!(asked, "search answered from an index still catching up");
        }
    }

    /// Whether the index has been built once.
    pub fn is_built(&self) -> bool {
        self.built.load(Ordering::Acquire)
    }

    /// Whether the index holds a video as given: a listed one with this text, any other not
    /// at all.
    pub fn holds(&self, v: &Video) -> bool {
        let n = self.ids.intern(&v.id);
        let indexed = self.indexed.lock().unwrap_or_else(|e| e.into_inner());
        let text = v.listed().then(|| Text::from(v.clone()).digest());
        indexed.get(&n).copied() == text
    }

    /// Whether every change asked for so far is in the index.
    pub fn is_current(&self) -> bool {
        *self.done.borrow() >= self.asked()
    }

    /// Documents written since start, and videos indexed now.
    pub fn counts(&self) -> (u64, usize) {
        (
            self.writes.load(Ordering::Relaxed),
            self.indexed.lock().unwrap_or_else(|e| e.into_inner()).len(),
        )
    }

    /// The numbers videos are named by in [`SearchIndex::matches`].
    pub fn ids(&self) -> &Ids {
        &self.ids
    }

    /// Every indexed video that holds all `words` in one field at least, with its relevance:
    /// per such field its weight, plus the summed BM25 scores of the words there times that
    /// weight. Unordered. Searches take [`SearchIndex::best`]; this is for measuring.
    pub async fn matches(
        self: &Arc<Self>,
        words: &[QueryWord],
    ) -> Result<Vec<(u32, f32)>, ApiError> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let query = self.query(words);
        let searcher = self.reader.searcher();
        tokio::task::spawn_blocking(move || searcher.search(&query, &Scored))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .map_err(|e| ApiError::Internal(e.into()))
    }

    /// The `n` best matches, best first, scored as in [`SearchIndex::matches`], and whether
    /// they are all there are. Ties are in no particular order, and the last score may be
    /// shared by matches left out.
    pub async fn best(
        self: &Arc<Self>,
        words: &[QueryWord],
        n: usize,
    ) -> Result<(Vec<(u32, f32)>, bool), ApiError> {
        if words.is_empty() {
            return Ok((Vec::new(), true));
        }
        let query = self.query(words);
        let searcher = self.reader.searcher();
        blocking(move || {
            let top = searcher.search(&query, &TopDocs::with_limit(n).order_by_score())?;
            let complete = top.len() < n;
            let mut columns: HashMap<u32, Column<u64>> = HashMap::new();
            let mut best = Vec::with_capacity(top.len());
            for (score, address) in top {
                let column = match columns.entry(address.segment_ord) {
                    std::collections::hash_map::Entry::Occupied(c) => c.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => v.insert(
                        searcher
                            .segment_reader(address.segment_ord)
                            .fast_fields()
                            .u64("number")?,
                    ),
                };
                if let Some(n) = column.first(address.doc_id) {
                    best.push((n as u32, score));
                }
            }
            Ok((best, complete))
        })
        .await
    }

    fn query(&self, words: &[QueryWord]) -> BooleanQuery {
        let mut fields: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, (_, weight)) in self.fields.text.iter().zip(FIELDS) {
            let every = BooleanQuery::new(
                words
                    .iter()
                    .map(|w| {
                        let term = Term::from_field_text(*field, &w.stem);
                        let q: Box<dyn Query> =
                            Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                        (Occur::Must, q)
                    })
                    .collect(),
            );
            // A union of clauses adds their scores: weight × BM25, plus the weight itself so
            // that a match in a heavier field outranks any number of lighter ones.
            fields.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(every.clone()), weight)),
            ));
            fields.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(every), weight)),
            ));
        }
        BooleanQuery::new(fields)
    }

    /// Applies requests until the server stops, telling `applied` what each batch changed
    /// before counting it done. Only the first call does anything.
    pub async fn run<F, Fut>(self: Arc<Self>, db: Db, applied: F)
    where
        F: Fn(Applied) -> Fut,
        Fut: Future<Output = ()>,
    {
        let Some(mut inbox) = self.inbox.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let mut batch = Vec::new();
        while inbox.recv_many(&mut batch, 1_000).await > 0 {
            let upto = batch.last().map_or(0, |(n, _)| *n);
            let rebuild = batch.iter().any(|(_, r)| matches!(r, Request::Rebuild));
            let mut ids: Vec<String> = batch
                .drain(..)
                .flat_map(|(_, r)| match r {
                    Request::Videos(ids) => ids,
                    Request::Rebuild => Vec::new(),
                })
                .collect();
            ids.sort();
            ids.dedup();
            let outcome = if rebuild {
                self.build(&db).await
            } else {
                self.update(&db, ids).await
            };
            match outcome {
                Ok(changed) => {
                    applied(changed).await;
                    self.done.send_replace(upto);
                }
                Err(e) => {
                    // Whatever this batch meant to change, a rebuild finds again.
                    tracing::error!(error = %e, "search index update failed; rebuilding");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    self.rebuild();
                }
            }
        }
    }

    /// Indexes every listed video afresh.
    async fn build(self: &Arc<Self>, db: &Db) -> Result<Applied, ApiError> {
        let mut r = db
            .query(format!(
                "SELECT record::id(id) AS id, title, description, tags FROM video WHERE {}",
                videos::CATALOGUE
            ))
            .await?;
        let listed: Vec<Text> = crate::db::rows(&mut r, 0)?;
        let me = Arc::clone(self);
        blocking(move || {
            let mut writer = me.writer.lock().unwrap_or_else(|e| e.into_inner());
            writer.delete_all_documents()?;
            let mut indexed = HashMap::with_capacity(listed.len());
            for t in &listed {
                let n = me.ids.intern(&t.id);
                writer.add_document(me.doc(n, t))?;
                indexed.insert(n, t.digest());
            }
            writer.commit()?;
            me.reader.reload()?;
            *me.indexed.lock().unwrap_or_else(|e| e.into_inner()) = indexed;
            me.writes.fetch_add(listed.len() as u64, Ordering::Relaxed);
            me.built.store(true, Ordering::Release);
            tracing::info!(videos = listed.len(), "search index built");
            Ok(Applied {
                everything: true,
                videos: Vec::new(),
            })
        })
        .await
    }

    /// Indexes these videos as they now are: listed ones with their text, others not at all.
    async fn update(self: &Arc<Self>, db: &Db, ids: Vec<String>) -> Result<Applied, ApiError> {
        let now: HashMap<String, Text> = videos::get_many(db, &ids)
            .await?
            .into_iter()
            .filter(Video::listed)
            .map(|v| (v.id.clone(), Text::from(v)))
            .collect();
        let me = Arc::clone(self);
        blocking(move || me.apply(ids, now)).await
    }

    /// Writes the videos named as `now` has them (those missing from it are not listed).
    fn apply(&self, ids: Vec<String>, mut now: HashMap<String, Text>) -> tantivy::Result<Applied> {
        let searcher = self.reader.searcher();
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut indexed = self.indexed.lock().unwrap_or_else(|e| e.into_inner());
        let mut applied = Applied::default();
        for id in ids {
            let n = self.ids.intern(&id);
            let new = now.remove(&id);
            let before = indexed.get(&n).copied();
            if before == new.as_ref().map(Text::digest) {
                continue;
            }
            let mut old = HashSet::new();
            if before.is_some() {
                old = self.stored_stems(&searcher, n)?;
                writer.delete_term(self.number(n));
            }
            let stems = match new {
                Some(t) => {
                    writer.add_document(self.doc(n, &t))?;
                    indexed.insert(n, t.digest());
                    t.stems()
                }
                None => {
                    indexed.remove(&n);
                    HashSet::new()
                }
            };
            applied.videos.push((id, old, stems));
        }
        if !applied.videos.is_empty() {
            writer.commit()?;
            self.reader.reload()?;
            self.writes
                .fetch_add(applied.videos.len() as u64, Ordering::Relaxed);
        }
        Ok(applied)
    }

    fn number(&self, n: u32) -> Term {
        Term::from_field_u64(self.fields.number, n as u64)
    }

    fn doc(&self, n: u32, t: &Text) -> TantivyDocument {
        let [title, description, tags] = self.fields.text;
        let mut doc = TantivyDocument::default();
        doc.add_u64(self.fields.number, n as u64);
        doc.add_text(title, &t.title);
        if let Some(d) = &t.description {
            doc.add_text(description, d);
        }
        for tag in &t.tags {
            doc.add_text(tags, tag);
        }
        doc
    }

    /// The stems of a video's text as the index holds it.
    fn stored_stems(
        &self,
        searcher: &tantivy::Searcher,
        n: u32,
    ) -> tantivy::Result<HashSet<String>> {
        let q = TermQuery::new(self.number(n), IndexRecordOption::Basic);
        let mut text = String::new();
        for address in searcher.search(&q, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            for field in self.fields.text {
                for value in doc.get_all(field) {
                    text.push_str(value.as_str().unwrap_or_default());
                    text.push(' ');
                }
            }
        }
        Ok(analyzer::stems(&text))
    }
}

/// Runs index work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> tantivy::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(e.into()))
}

/// A video's searched text.
#[derive(Debug, serde::Deserialize)]
struct Text {
    id: String,
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

impl From<Video> for Text {
    fn from(v: Video) -> Self {
        Text {
            id: v.id,
            title: v.title,
            description: v.description,
            tags: v.tags,
        }
    }
}

impl Text {
    fn digest(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&self.title, &self.description, &self.tags).hash(&mut h);
        h.finish()
    }

    fn stems(&self) -> HashSet<String> {
        let mut text = format!(
            "{} {}",
            self.title,
            self.description.as_deref().unwrap_or_default()
        );
        for tag in &self.tags {
            text.push(' ');
            text.push_str(tag);
        }
        analyzer::stems(&text)
    }
}

/// Every match with its score and video number.
struct Scored;

struct ScoredSegment {
    numbers: Column<u64>,
    found: Vec<(u32, f32)>,
}

impl Collector for Scored {
    type Fruit = Vec<(u32, f32)>;
    type Child = ScoredSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<ScoredSegment> {
        Ok(ScoredSegment {
            numbers: segment.fast_fields().u64("number")?,
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, parts: Vec<Vec<(u32, f32)>>) -> tantivy::Result<Self::Fruit> {
        Ok(parts.concat())
    }
}

impl SegmentCollector for ScoredSegment {
    type Fruit = Vec<(u32, f32)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(n) = self.numbers.first(doc) {
            self.found.push((n as u32, score));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(id: &str, title: &str, description: &str, tags: &[&str]) -> (String, Text) {
        let t = Text {
            id: id.to_owned(),
            title: title.to_owned(),
            description: Some(description.to_owned()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        };
        (id.to_owned(), t)
    }

    async fn scores(index: &Arc<SearchIndex>, q: &str) -> HashMap<String, f32> {
        let found = index.matches(&analyzer::query_words(q)).await.unwrap();
        let ids = index.ids().ids(found.iter().map(|m| m.0));
        ids.into_iter().zip(found.iter().map(|m| m.1)).collect()
    }

    #[tokio::test]
    async fn a_field_counts_when_it_holds_every_word_and_fields_add_up() {
        let index = Arc::new(SearchIndex::default());
        let now: HashMap<String, Text> = [
            text("title", "Rivers of the city", "", &[]),
            text("apart", "River", "city", &[]),
            text("lower", "Elsewhere", "a city river", &["river city"]),
            text("none", "Mountain bread", "baking", &["bread"]),
        ]
        .into();
        let applied = index.apply(now.keys().cloned().collect(), now).unwrap();
        assert_eq!(applied.videos.len(), 4);
        let found = scores(&index, "river city").await;
        let mut ids: Vec<&str> = found.keys().map(String::as_str).collect();
        ids.sort();
        assert_eq!(
            ids,
            ["lower", "title"],
            "words split over fields match nothing"
        );
        // Each matched field adds its weight and its weighted BM25 score.
        assert!(found["title"] > 3.0, "{found:?}");
        assert!(found["lower"] > 1.0 + 2.0, "{found:?}");
        let title_alone = scores(&index, "rivers").await;
        assert!(title_alone["title"] > 3.0 && title_alone["apart"] > 3.0);
        assert!(!title_alone.contains_key("none"));
    }

    #[tokio::test]
    async fn an_edit_reports_the_text_before_and_after_and_unlisting_removes() {
        let index = Arc::new(SearchIndex::default());
        let first: HashMap<String, Text> = [text("v", "Lantern festival", "", &[])].into();
        index.apply(vec!["v".into()], first).unwrap();
        let edit: HashMap<String, Text> = [text("v", "Paper boats", "", &[])].into();
        let applied = index.apply(vec!["v".into()], edit).unwrap();
        let (id, before, after) = &applied.videos[0];
        assert_eq!(id, "v");
        assert!(before.contains("lantern") && !before.contains("boat"));
        assert!(after.contains("boat") && !after.contains("lantern"));
        assert!(scores(&index, "lantern").await.is_empty());
        assert_eq!(scores(&index, "boats").await.len(), 1);
        // The same text again changes nothing; a video no longer listed leaves.
        let same: HashMap<String, Text> = [text("v", "Paper boats", "", &[])].into();
        assert!(
            index
                .apply(vec!["v".into()], same)
                .unwrap()
                .videos
                .is_empty()
        );
        let gone = index.apply(vec!["v".into()], HashMap::new()).unwrap();
        assert!(gone.videos[0].2.is_empty());
        assert!(scores(&index, "boats").await.is_empty());
        assert_eq!(index.counts(), (3, 0));
    }
}
