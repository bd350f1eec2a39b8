//! Backups of the database: `kino --export-db FILE` writes it as SurrealQL, `kino --import-db
//! FILE` loads such a file into an empty database and brings its schema up to date.
//!
//! One procedure serves both topologies. The embedded database goes through SurrealDB's own
//! export and import; a database server through its HTTP `/export` and `/import`, because its
//! WebSocket protocol (the one replicas use) carries neither. The installation's secrets live
//! in the database, so a restored install signs media and admits workers as before.
//!
//! Neither command ever writes over data: an export refuses an existing file and writes beside
//! it until it is complete; an import refuses a database that holds any table.

use crate::Settings;
use crate::db::{self, Db};
use anyhow::{Context, bail};
use futures::StreamExt;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// What a finished export or import moved.
#[derive(Debug, Clone, Copy)]
pub struct Moved {
    pub bytes: u64,
    /// Records in the database afterwards, over every table.
    pub records: u64,
}

/// Writes the database the settings name to `file`.
pub async fn export(settings: &Settings, file: &Path) -> anyhow::Result<Moved> {
    check_credentials(settings)?;
    if file.exists() {
        bail!(
            "{} already exists: a backup is never written over; choose another name",
            file.display()
        );
    }
    let db = open_existing(settings).await?;
    let tables = tables(&db).await?;
    if !tables.iter().any(|t| t == "migration") {
        bail!(
            "the database {}/{} holds no Kino data (tables: {}); check --db, --data-dir and \
             the namespace",
            settings.db_namespace,
            settings.db_database,
            listed(&tables)
        );
    }
    let records = count_records(&db, &tables).await?;
    let partial = beside(file, "partial");
    // A file left by an export cut short is only ever a partial one.
    let _ = std::fs::remove_file(&partial);
    let written = match server_http_url(&settings.db_url()) {
        Some(base) => export_from_server(settings, &base, &partial).await,
        None => db.export(&partial).await.context("exporting the database"),
    };
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let bytes = settle(&partial, file)?;
    Ok(Moved { bytes, records })
}

/// Loads `file`, written by [`export`], into the empty database the settings name, then
/// applies the migrations newer than the backup.
pub async fn import(settings: &Settings, file: &Path) -> anyhow::Result<Moved> {
    let bytes = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    check_is_export(file)?;
    check_credentials(settings)?;
    let db = db::connect_as_is(
        &settings.db_url(),
        &settings.db_namespace,
        &settings.db_database,
        settings.db_root(),
    )
    .await?;
    let before = tables(&db).await?;
    if !before.is_empty() {
        bail!(
            "the database {}/{} already holds tables ({}): a backup is loaded into an empty \
             database only, so nothing was changed",
            settings.db_namespace,
            settings.db_database,
            listed(&before)
        );
    }
    let loaded = match server_http_url(&settings.db_url()) {
        Some(base) => import_into_server(settings, &base, file).await,
        None => db.import(file).await.context("importing the file"),
    };
    loaded.with_context(|| {
        format!(
            "the import stopped part way: the database {}/{} holds part of {}; remove that \
             database before trying again",
            settings.db_namespace,
            settings.db_database,
            file.display()
        )
    })?;
    db::migrate(&db).await?;
    let tables = tables(&db).await?;
    let records = count_records(&db, &tables).await?;
    Ok(Moved { bytes, records })
}

/// Opens the database to export without creating one: a mistyped `--data-dir` would
/// otherwise export a new, empty database.
async fn open_existing(settings: &Settings) -> anyhow::Result<Db> {
    if settings.db.is_none() {
        let dir = settings.data_dir.join("db");
        if !dir.is_dir() {
            bail!(
                "there is no database at {}: check --data-dir",
                dir.display()
            );
        }
    }
    db::connect_as_is(
        &settings.db_url(),
        &settings.db_namespace,
        &settings.db_database,
        settings.db_root(),
    )
    .await
}

/// The database's table names.
async fn tables(db: &Db) -> anyhow::Result<Vec<String>> {
    let info: Option<serde_json::Value> = db
        .query("INFO FOR DB")
        .await?
        .take(0)
        .context("listing the database's tables")?;
    let mut names: Vec<String> = info
        .as_ref()
        .and_then(|i| i["tables"].as_object())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    Ok(names)
}

async fn count_records(db: &Db, tables: &[String]) -> anyhow::Result<u64> {
    let mut total = 0;
    for table in tables {
        // Counted by the database: a table of views may hold millions of rows.
        let n: Option<u64> = db
            .query("(SELECT count() FROM type::table($t) GROUP ALL)[0].count")
            .bind(("t", table.clone()))
            .await?
            .take(0)
            .with_context(|| format!("counting {table}"))?;
        total += n.unwrap_or(0);
    }
    Ok(total)
}

fn listed(tables: &[String]) -> String {
    if tables.is_empty() {
        "none".to_owned()
    } else {
        tables.join(", ")
    }
}

/// The HTTP root of a database server named by a `ws://` or `http://` URL; `None` for the
/// embedded engines.
fn server_http_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = match scheme {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        _ => return None,
    };
    let host = rest.split('/').next().unwrap_or(rest);
    Some(format!("{scheme}://{host}"))
}

/// A database server lets only its root user export or import.
fn check_credentials(settings: &Settings) -> anyhow::Result<()> {
    if server_http_url(&settings.db_url()).is_some() && settings.db_root().is_none() {
        bail!("a database server needs KINO_DB_USER and KINO_DB_PASS to export or import");
    }
    Ok(())
}

fn server_request(
    settings: &Settings,
    req: reqwest::RequestBuilder,
) -> anyhow::Result<reqwest::RequestBuilder> {
    let (user, pass) = settings.db_root().context("no database credentials")?;
    Ok(req
        .basic_auth(user, Some(pass))
        .header("surreal-ns", &settings.db_namespace)
        .header("surreal-db", &settings.db_database))
}

async fn export_from_server(settings: &Settings, base: &str, to: &Path) -> anyhow::Result<()> {
    let res = server_request(
        settings,
        reqwest::Client::new().get(format!("{base}/export")),
    )?
    .header("accept", "application/octet-stream")
    .send()
    .await
    .with_context(|| format!("asking {base} for an export"))?;
    if !res.status().is_success() {
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        bail!("{base} refused the export: {status} {}", body.trim());
    }
    let mut out = tokio::fs::File::create(to)
        .await
        .with_context(|| format!("creating {}", to.display()))?;
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.context("reading the export from the server")?;
        out.write_all(&chunk)
            .await
            .with_context(|| format!("writing {}", to.display()))?;
    }
    out.flush().await?;
    Ok(())
}

async fn import_into_server(settings: &Settings, base: &str, from: &Path) -> anyhow::Result<()> {
    let file = tokio::fs::File::open(from)
        .await
        .with_context(|| format!("opening {}", from.display()))?;
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
    let res = server_request(
        settings,
        reqwest::Client::new().post(format!("{base}/import")),
    )?
    .header("accept", "application/json")
    .body(body)
    .send()
    .await
    .with_context(|| format!("sending the file to {base}"))?;
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("{base} refused the import: {status} {}", text.trim());
    }
    // The answer lists each statement's outcome; one failure fails the whole.
    if let Ok(serde_json::Value::Array(results)) = serde_json::from_str(&text)
        && let Some(failed) = results.iter().find(|r| r["status"] == "ERR")
    {
        bail!("a statement of the file failed: {}", failed["result"]);
    }
    Ok(())
}

/// Fails unless `file` starts as SurrealDB's exports do.
fn check_is_export(file: &Path) -> anyhow::Result<()> {
    use std::io::Read;
    let mut head = vec![0; 64 * 1024];
    let mut f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let n = f.read(&mut head)?;
    let head = String::from_utf8_lossy(&head[..n]);
    if !head.contains("OPTION IMPORT") {
        bail!(
            "{} is not a database export (kino --export-db writes one)",
            file.display()
        );
    }
    Ok(())
}

fn beside(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{suffix}"));
    file.with_file_name(name)
}

/// Makes a finished export durable under its final name: data on disk, then the rename, then
/// the directory entry. Returns its size.
fn settle(partial: &Path, file: &Path) -> anyhow::Result<u64> {
    let f = std::fs::File::open(partial)?;
    f.sync_all()
        .with_context(|| format!("syncing {}", partial.display()))?;
    let bytes = f.metadata()?.len();
    std::fs::rename(partial, file)
        .with_context(|| format!("moving {} to {}", partial.display(), file.display()))?;
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_map_to_their_http_root() {
        assert_eq!(
            server_http_url("ws://db:8000").as_deref(),
            Some("http://db:8000")
        );
        assert_eq!(
            server_http_url("wss://db.example/rpc").as_deref(),
            Some("https://db.example")
        );
        assert_eq!(server_http_url("surrealkv:///var/kino/db?sync=every"), None);
        assert_eq!(server_http_url("mem://"), None);
    }
}
