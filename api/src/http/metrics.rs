//! `/metrics`: the application's counters (`crate::metrics`) and what is read when scraped —
//! the in-memory caches, the change feed, the job queue by state and the uploads taking
//! parts — with the process's object-store requests and in-process workers, in the
//! Prometheus text format. The database's figures are two small aggregate
//! queries; when the database does not answer they are left out and `kino_database_up` is 0.

use crate::db;
use crate::metrics::Exposition;
use crate::state::AppState;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use shared::{JobState, UploadState};

/// Whether the request may read the figures: any, unless `metrics_token` is set.
fn allowed(req: &poem::Request, token: Option<&str>) -> bool {
    let Some(token) = token else { return true };
    let given = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared in constant time, so the answer's timing does not spell the token out.
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[handler]
pub async fn serve(req: &poem::Request, state: Data<&AppState>) -> Response {
    if !allowed(req, state.settings.metrics_token.as_deref()) {
        return crate::error::ErrorBody::response(
            crate::error::Code::Unauthenticated,
            "/metrics needs the scrape token: Authorization: Bearer <metrics_token>",
        );
    }
    let mut out = Exposition::default();
    state.metrics.write(&mut out);

    out.family(
        "kino_cache_requests_total",
        "counter",
        "Look-ups in each in-memory cache while the change feed runs, by outcome (miss: read from the database).",
    );
    let (asked, loaded) = state.hot_media.stats();
    out.sample(
        "kino_cache_requests_total",
        &[("cache", "media"), ("outcome", "hit")],
        asked.saturating_sub(loaded) as f64,
    );
    out.sample(
        "kino_cache_requests_total",
        &[("cache", "media"), ("outcome", "miss")],
        loaded as f64,
    );
    for s in state.cache.stats() {
        out.sample(
            "kino_cache_requests_total",
            &[("cache", s.cache), ("outcome", "hit")],
            s.asked.saturating_sub(s.missed) as f64,
        );
        out.sample(
            "kino_cache_requests_total",
            &[("cache", s.cache), ("outcome", "miss")],
            s.missed as f64,
        );
    }
    out.family(
        "kino_change_feed_up",
        "gauge",
        "1 while the database's change feed that keeps this replica's caches coherent is followed.",
    );
    out.sample(
        "kino_change_feed_up",
        &[],
        f64::from(u8::from(state.cache.is_live())),
    );
    out.family(
        "kino_change_feed_changes_total",
        "counter",
        "Changes the change feed has delivered to this replica.",
    );
    out.sample(
        "kino_change_feed_changes_total",
        &[],
        state.cache.changes_seen() as f64,
    );
    let index = state.cache.index();
    let (writes, indexed) = index.counts();
    out.family(
        "kino_search_index_videos",
        "gauge",
        "Videos in this replica's search index (the listed ones).",
    );
    out.sample("kino_search_index_videos", &[], indexed as f64);
    out.family(
        "kino_search_index_writes_total",
        "counter",
        "Videos this replica's search index has written, building and following edits.",
    );
    out.sample("kino_search_index_writes_total", &[], writes as f64);
    out.family(
        "kino_search_index_current",
        "gauge",
        "1 while every edit this replica has seen is in its search index.",
    );
    out.sample(
        "kino_search_index_current",
        &[],
        f64::from(u8::from(index.is_built() && index.is_current())),
    );

    let figures = database_figures(&state.db).await;
    out.family(
        "kino_database_up",
        "gauge",
        "1 when the database answered this scrape's queries.",
    );
    out.sample(
        "kino_database_up",
        &[],
        f64::from(u8::from(figures.is_ok())),
    );
    if let Ok((jobs, open)) = figures {
        out.family("kino_jobs", "gauge", "Transcoding jobs, by state.");
        for s in JobState::ALL {
            let n = jobs
                .iter()
                .find(|(state, _)| state == s.as_str())
                .map_or(0, |(_, n)| *n);
            out.sample("kino_jobs", &[("state", s.as_str())], n as f64);
        }
        out.family(
            "kino_uploads_open",
            "gauge",
            "Uploads taking parts (opened, neither completed, aborted nor expired).",
        );
        out.sample("kino_uploads_open", &[], open as f64);
    }
    shared::store::stats::STORE.write(&mut out);
    if state.settings.workers > 0 {
        transcoder::metrics::WORKERS.write(&mut out);
    }
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .header("cache-control", "no-store")
        .body(out.into_string())
        .into_response()
}

/// Jobs by state, and the uploads open.
async fn database_figures(db: &db::Db) -> anyhow::Result<(Vec<(String, u64)>, u64)> {
    let mut r = db
        .query("SELECT state, count() AS n FROM job GROUP BY state")
        .query("SELECT count() AS n FROM upload WHERE state = $open GROUP ALL")
        .bind(("open", UploadState::Open.as_str()))
        .await?;
    let jobs: Vec<serde_json::Value> = db::rows(&mut r, 0)?;
    let open: Option<serde_json::Value> = db::first(&mut r, 1)?;
    let jobs = jobs
        .iter()
        .filter_map(|row| Some((row["state"].as_str()?.to_owned(), row["n"].as_u64()?)))
        .collect();
    Ok((jobs, open.and_then(|v| v["n"].as_u64()).unwrap_or(0)))
}
