//! The database: a SurrealDB handle reached through `engine::any` (embedded SurrealKV, `mem://`
//! or a remote `ws://` server), with versioned migrations applied at start-up.
//!
//! Rows cross the boundary as JSON: queries project the record key as a plain string `id`
//! (`record::id(id) AS id`) and timestamps are fixed-width RFC 3339 strings in UTC, which sort
//! lexicographically in time order. Each module deserialises rows into its own types.

use anyhow::Context;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use surrealdb::Surreal;
use surrealdb::engine::any::Any;

/// The database handle every module shares. It is the SurrealDB client (through `Deref`) and
/// counts the queries sent through it, one per round trip however many statements it holds,
/// so benchmarks can report what a page costs the database.
#[derive(Clone, Debug)]
pub struct Db {
    inner: Surreal<Any>,
    queries: Arc<AtomicU64>,
    /// For an embedded database, the lock that keeps every other process off its files, held
    /// while any clone of the handle lives.
    _lock: Option<Arc<std::fs::File>>,
}

impl Db {
    fn new(inner: Surreal<Any>, lock: Option<std::fs::File>) -> Self {
        Db {
            inner,
            queries: Arc::default(),
            _lock: lock.map(Arc::new),
        }
    }

    /// Starts a query (see [`Surreal::query`]), counting it.
    #[must_use = "queries do nothing unless you `.await` them"]
    pub fn query<'a>(&'a self, sql: impl Into<Cow<'a, str>>) -> surrealdb::method::Query<'a, Any> {
        self.queries.fetch_add(1, Ordering::Relaxed);
        self.inner.query(sql)
    }

    /// Queries sent through this handle and its clones so far.
    pub fn queries_sent(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }
}

impl std::ops::Deref for Db {
    type Target = Surreal<Any>;

    fn deref(&self) -> &Surreal<Any> {
        &self.inner
    }
}

/// Schema changes in order. A migration never changes once released; add a new one instead.
const MIGRATIONS: &[(u32, &str)] = &[
    (
        1,
        r#"
    DEFINE TABLE IF NOT EXISTS user SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS user_email ON user FIELDS email UNIQUE;
    DEFINE TABLE IF NOT EXISTS session SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS session_token ON session FIELDS token_hash UNIQUE;
    DEFINE TABLE IF NOT EXISTS video SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS video_listing ON video FIELDS state, visibility;
    DEFINE INDEX IF NOT EXISTS video_owner ON video FIELDS owner_id;
    DEFINE TABLE IF NOT EXISTS upload SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS upload_video ON upload FIELDS video_id;
    DEFINE TABLE IF NOT EXISTS job SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS job_state ON job FIELDS state;
    DEFINE INDEX IF NOT EXISTS job_video ON job FIELDS video_id;
    DEFINE TABLE IF NOT EXISTS worker SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS config SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS worker_token ON worker FIELDS token_hash UNIQUE;
    "#,
    ),
    (
        2,
        r#"
    DEFINE INDEX IF NOT EXISTS upload_open ON upload FIELDS state, expires_at;
    DEFINE INDEX IF NOT EXISTS upload_owner ON upload FIELDS owner_id, state;
    "#,
    ),
    (
        3,
        r#"
    UPDATE job SET priority = 0 WHERE priority = NONE;
    DEFINE INDEX IF NOT EXISTS job_owner ON job FIELDS owner_id, created_at;
    DEFINE TABLE IF NOT EXISTS subtitle SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS subtitle_video ON subtitle FIELDS video_id;
    DEFINE TABLE IF NOT EXISTS progress SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS progress_user ON progress FIELDS user_id, updated_at;
    DEFINE TABLE IF NOT EXISTS watchlist SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS watchlist_user ON watchlist FIELDS user_id, added_at;
    "#,
    ),
    (
        4,
        r#"
    UPDATE video SET views = 0 WHERE views = NONE;
    DEFINE INDEX IF NOT EXISTS video_popular ON video FIELDS views;
    DEFINE ANALYZER IF NOT EXISTS video_text TOKENIZERS blank, class
        FILTERS lowercase, ascii, snowball(english);
    DEFINE INDEX IF NOT EXISTS video_title_text ON video FIELDS title
        FULLTEXT ANALYZER video_text BM25 HIGHLIGHTS;
    DEFINE INDEX IF NOT EXISTS video_description_text ON video FIELDS description
        FULLTEXT ANALYZER video_text BM25 HIGHLIGHTS;
    DEFINE INDEX IF NOT EXISTS video_tags_text ON video FIELDS tags
        FULLTEXT ANALYZER video_text BM25 HIGHLIGHTS;
    DEFINE TABLE IF NOT EXISTS view SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS view_viewer ON view FIELDS viewer, at;
    DEFINE INDEX IF NOT EXISTS view_video ON view FIELDS video_id;
    "#,
    ),
    (
        5,
        r#"
    DEFINE TABLE IF NOT EXISTS tombstone SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS tombstone_due ON tombstone FIELDS next_at;
    DEFINE TABLE IF NOT EXISTS invite SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS usage SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS upload_owner_created ON upload FIELDS owner_id, created_at;
    DEFINE TABLE IF NOT EXISTS device_login SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS device_login_user_code ON device_login FIELDS user_code;
    "#,
    ),
    (
        6,
        // Search moved to each replica's own index: the database's full-text indexes only
        // cost every video write their upkeep.
        r#"
    REMOVE INDEX IF EXISTS video_title_text ON video;
    REMOVE INDEX IF EXISTS video_description_text ON video;
    REMOVE INDEX IF EXISTS video_tags_text ON video;
    REMOVE ANALYZER IF EXISTS video_text;
    "#,
    ),
    (
        7,
        // One name for one thing: what jobs called their "preview" is the first playable
        // version everywhere else.
        r#"
    UPDATE job SET
        first_playable_version = preview_version,
        first_playable_at = preview_at,
        first_playable_dropped = preview_dropped,
        preview_version = NONE,
        preview_at = NONE,
        preview_dropped = NONE
    WHERE preview_version != NONE OR preview_at != NONE OR preview_dropped != NONE;
    "#,
    ),
];

/// How long a remote database is waited for at startup: it may still be starting, as when a
/// whole deployment comes up at once.
const CONNECT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Connects, waiting up to [`CONNECT_PATIENCE`] for a remote server that refuses the
/// connection, selects the namespace and database (defining them first, since a remote server
/// refuses to use ones that do not exist) and applies pending migrations.
pub async fn connect(
    url: &str,
    ns: &str,
    db_name: &str,
    root: Option<(String, String)>,
) -> anyhow::Result<Db> {
    let db = connect_as_is(url, ns, db_name, root).await?;
    migrate(&db).await?;
    Ok(db)
}

/// [`connect`] without migrating: what an export reads and an import fills is the database
/// as it is.
pub async fn connect_as_is(
    url: &str,
    ns: &str,
    db_name: &str,
    root: Option<(String, String)>,
) -> anyhow::Result<Db> {
    let url = url.strip_prefix("memory").map(|_| "mem://").unwrap_or(url);
    let remote = ["ws://", "wss://", "http://", "https://"]
        .iter()
        .any(|scheme| url.starts_with(scheme));
    let lock = match url.strip_prefix("surrealkv://") {
        Some(rest) => Some(lock_files(rest.split('?').next().unwrap_or(rest)).await?),
        None => None,
    };
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(100);
    let engine = loop {
        match surrealdb::engine::any::connect(url).await {
            Ok(engine) => break engine,
            Err(e) if remote && started.elapsed() < CONNECT_PATIENCE => {
                tracing::warn!(error = %e, url, "the database is not reachable yet; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(2));
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("connecting to database {url}")));
            }
        }
    };
    let db = Db::new(engine, lock);
    if let Some((username, password)) = root {
        db.signin(surrealdb::opt::auth::Root { username, password })
            .await
            .context("signing in to the database")?;
    }
    db.query(format!(
        "DEFINE NAMESPACE IF NOT EXISTS {ns}; USE NS {ns}; DEFINE DATABASE IF NOT EXISTS {db_name};"
    ))
    .await
    .context("defining namespace")?
    .check()
    .context("defining namespace")?;
    db.use_ns(ns)
        .use_db(db_name)
        .await
        .context("selecting database")?;
    Ok(db)
}

/// Takes the lock beside an embedded database's files (`PATH.lock`): two processes writing
/// one database's files would corrupt it, and an export must not read them mid-write.
async fn lock_files(path: &str) -> anyhow::Result<std::fs::File> {
    let lock = format!("{}.lock", path.trim_end_matches('/'));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .with_context(|| format!("opening {lock}"))?;
    // A process that is stopping (or a server restarted in-process) lets go within moments.
    let patience = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < patience => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "the database {path} is in use by another process: is kino running on this \
                 data dir? stop kino first"
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(anyhow::Error::new(e).context(format!("locking {lock}")));
            }
        }
    }
}

/// Connects to the database the settings name.
pub async fn open(settings: &crate::Settings) -> anyhow::Result<Db> {
    connect(
        &settings.db_url(),
        &settings.db_namespace,
        &settings.db_database,
        settings.db_root(),
    )
    .await
}

/// Brings the database's schema up to date: every migration it has not recorded, in order.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    db.query("DEFINE TABLE IF NOT EXISTS migration SCHEMALESS")
        .await?
        .check()?;
    let applied: Vec<serde_json::Value> = db
        .query("SELECT version FROM migration")
        .await?
        .take(0)
        .context("reading applied migrations")?;
    let applied: Vec<u64> = applied
        .iter()
        .filter_map(|v| v["version"].as_u64())
        .collect();
    for (version, sql) in MIGRATIONS {
        if applied.contains(&u64::from(*version)) {
            continue;
        }
        tracing::info!(version, "applying migration");
        db.query(format!(
            "BEGIN TRANSACTION; {sql}; CREATE migration SET version = {version}, applied_at = time::now(); COMMIT TRANSACTION;"
        ))
        .await?
        .check()
        .with_context(|| format!("migration {version}"))?;
    }
    Ok(())
}

/// Runs `op` again (up to 20 times, with a short growing pause) while the database reports a
/// write conflict between concurrent transactions; any other outcome is returned as is. The
/// pause is jittered: racers that collided once would otherwise retry in step and collide
/// again, as a burst of one account's upload creations (serialised on purpose) did.
pub async fn retry_conflicts<T, F, Fut>(mut op: F) -> Result<T, crate::error::ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::error::ApiError>>,
{
    let mut tries = 0u64;
    loop {
        tries += 1;
        match op().await {
            Err(crate::error::ApiError::Internal(e))
                if tries < 20
                    && e.downcast_ref::<surrealdb::Error>()
                        .is_some_and(is_conflict) =>
            {
                let jitter = rand::random_range(0..=5 * tries);
                tokio::time::sleep(std::time::Duration::from_millis(5 * tries + jitter)).await;
            }
            other => return other,
        }
    }
}

/// The error a multi-statement answer failed with, if any: the write conflict when one
/// statement carries it (the others of a failed transaction only say it failed), so that
/// [`retry_conflicts`] sees it.
pub fn failure(resp: &mut surrealdb::IndexedResults) -> Option<surrealdb::Error> {
    first_failure(errors(resp))
}

/// The errors of a multi-statement answer, in statement order.
pub fn errors(resp: &mut surrealdb::IndexedResults) -> Vec<surrealdb::Error> {
    let mut errors: Vec<(usize, surrealdb::Error)> = resp.take_errors().into_iter().collect();
    errors.sort_by_key(|(i, _)| *i);
    errors.into_iter().map(|(_, e)| e).collect()
}

/// [`failure`] of errors already taken: the conflict, else the first statement's error.
pub fn first_failure(mut errors: Vec<surrealdb::Error>) -> Option<surrealdb::Error> {
    match errors.iter().position(is_conflict) {
        Some(i) => Some(errors.swap_remove(i)),
        None => errors.into_iter().next(),
    }
}

/// Whether a database error says a transaction lost a race and may be retried: the kind the
/// database gives a write conflict, on every engine (embedded and remote alike).
pub fn is_conflict(e: &surrealdb::Error) -> bool {
    matches!(
        e.query_details(),
        Some(surrealdb::types::QueryError::TransactionConflict)
    )
}

/// Now, as the fixed-width UTC timestamp the database stores.
pub fn now() -> String {
    ts(chrono::Utc::now())
}

/// A timestamp as the database stores it.
pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parses a stored timestamp.
pub fn parse_ts(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

/// Takes statement `idx` of a response as rows of `T`.
pub fn rows<T: DeserializeOwned>(
    resp: &mut surrealdb::IndexedResults,
    idx: usize,
) -> anyhow::Result<Vec<T>> {
    let raw: Vec<serde_json::Value> = resp.take(idx).context("reading rows")?;
    raw.into_iter()
        .map(|v| serde_json::from_value(v).context("decoding row"))
        .collect()
}

/// Takes the first row of statement `idx`, if any.
pub fn first<T: DeserializeOwned>(
    resp: &mut surrealdb::IndexedResults,
    idx: usize,
) -> anyhow::Result<Option<T>> {
    Ok(rows(resp, idx)?.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Row {
        id: String,
        title: String,
        at: String,
    }

    #[tokio::test]
    async fn migrations_apply_once_and_rows_decode() {
        let db = connect("mem://", "t", "t", None).await.unwrap();
        migrate(&db).await.unwrap();
        let mut r = db
            .query("CREATE video:abc SET title = 'x', at = $at; SELECT record::id(id) AS id, title, at FROM video;")
            .bind(("at", now()))
            .await
            .unwrap();
        let rows: Vec<Row> = rows(&mut r, 1).unwrap();
        assert_eq!(rows[0].id, "abc");
        assert_eq!(rows[0].title, "x");
        assert!(rows[0].at.ends_with('Z'));
        let mut r = db
            .query("SELECT count() AS n FROM migration GROUP ALL")
            .await
            .unwrap();
        let n: Vec<serde_json::Value> = r.take(0).unwrap();
        assert_eq!(n[0]["n"], MIGRATIONS.len());
    }

    #[tokio::test]
    async fn jobs_recorded_before_the_rename_keep_their_first_playable_version() {
        let db = connect("mem://", "t", "t", None).await.unwrap();
        migrate(&db).await.unwrap();
        // A job as an older release recorded it, and that release's migrations only.
        db.query(
            "CREATE job:a SET preview_version = 2, preview_at = 'then', state = 'done';
             DELETE migration WHERE version = 7;",
        )
        .await
        .unwrap()
        .check()
        .unwrap();
        migrate(&db).await.unwrap();
        let mut r = db.query("SELECT * FROM job:a").await.unwrap();
        let job: Vec<serde_json::Value> = r.take(0).unwrap();
        assert_eq!(job[0]["first_playable_version"], 2);
        assert_eq!(job[0]["first_playable_at"], "then");
        assert!(job[0].get("preview_version").is_none(), "{}", job[0]);
    }
}
