//! `cargo xtask bench search`: Kino's search against a bare tantivy index of the same listed
//! videos, in one process.
//!
//! Kino's search is a tantivy index per replica too, plus what the product adds: per-field
//! weights, every match scored so ties go to the most viewed, the catalogue rule checked
//! again, highlights and saved pages. The baseline is the engine alone: the same analyzer, a
//! query parser with every word required and the title boosted, the top 20 by score. Both
//! answer the same 400 queries (the words of `bench api`, alone and in pairs) and fetch their
//! videos through the api's cache. Printed: p50/p99/max of all queries and of the first time
//! each is asked with their ratios, the most frequent word scored cold, how long the replica's
//! index takes to build from the database, and how far the two top-20 lists agree.
//! `KINO_BENCH_SEARCH_VIDEOS` sets the size (default 100,000).

use std::collections::HashSet;
use std::time::{Duration, Instant};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{STORED, STRING, Schema, Value};
use tantivy::{Index, TantivyDocument};

#[path = "common/queries.rs"]
mod queries;
use queries::{WORDS, queries};

/// p50, p99 and max in milliseconds.
fn percentiles(mut lat: Vec<Duration>) -> [f64; 3] {
    lat.sort();
    let at = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    [ms(at(0.5)), ms(at(0.99)), ms(*lat.last().unwrap())]
}

fn compare(what: &str, kino: Vec<Duration>, bare: Vec<Duration>) {
    let [k50, k99, kmax] = percentiles(kino);
    let [b50, b99, bmax] = percentiles(bare);
    println!("  {what}:");
    println!("    Kino:         p50 {k50:.2} ms, p99 {k99:.2} ms, max {kmax:.2} ms");
    println!("    bare tantivy: p50 {b50:.2} ms, p99 {b99:.2} ms, max {bmax:.2} ms");
    println!(
        "    Kino / bare:  p50 {:.2}, p99 {:.2}",
        k50 / b50.max(1e-9),
        k99 / b99.max(1e-9)
    );
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let size = std::env::var("KINO_BENCH_SEARCH_VIDEOS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000usize);
    let dir = tempfile::tempdir().unwrap();
    let settings = api::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        ..api::Settings::default()
    };
    let app = api::Application::build(settings).await.unwrap();
    let db = app.state().db.clone();
    let cache = app.state().cache.clone();
    // Running first, so its search index follows the catalogue as it arrives, as on a
    // replica that is up while creators publish.
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(app.run(stop.clone()));
    let t = Instant::now();
    api::seed::seed(&db, size).await.unwrap();
    println!(
        "seeded {size} videos in {:.1} s (embedded SurrealKV)",
        t.elapsed().as_secs_f64()
    );
    let index = cache.index().clone();
    let t = Instant::now();
    loop {
        let seen = cache.changes_seen();
        tokio::time::sleep(Duration::from_millis(200)).await;
        if cache.changes_seen() == seen && index.is_current() {
            break;
        }
    }
    println!(
        "Kino: index of {} listed videos current {:.1} s after seeding ended",
        index.counts().1,
        t.elapsed().as_secs_f64()
    );
    // What a replica starting on this catalogue does before it is ready.
    let t = Instant::now();
    index.rebuild();
    index.caught_up().await;
    println!(
        "Kino: index built afresh from the database in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let most = index
        .matches(&api::catalog::analyzer::query_words(WORDS[0]))
        .await
        .unwrap();
    let kino_cold_word = t.elapsed();
    let kino_cold_hits = most.len();

    // The baseline: the listed videos in a bare index.
    let mut r = db
        .query(format!(
            "SELECT {} FROM video WHERE {}",
            api::catalog::videos::FIELDS,
            api::catalog::videos::CATALOGUE
        ))
        .await
        .unwrap();
    let listed: Vec<api::catalog::videos::Video> = api::db::rows(&mut r, 0).unwrap();
    let rss_before = rss_mib();
    let t = Instant::now();
    let mut schema = Schema::builder();
    let text = api::catalog::index::text_options();
    let id_field = schema.add_text_field("id", STRING | STORED);
    let title = schema.add_text_field("title", text.clone());
    let description = schema.add_text_field("description", text.clone());
    let tags = schema.add_text_field("tags", text);
    let bare = Index::create_in_ram(schema.build());
    api::catalog::index::register_analyzer(&bare);
    let mut writer = bare.writer::<TantivyDocument>(100_000_000).unwrap();
    for v in &listed {
        let mut doc = TantivyDocument::default();
        doc.add_text(id_field, &v.id);
        doc.add_text(title, &v.title);
        if let Some(d) = &v.description {
            doc.add_text(description, d);
        }
        for tag in &v.tags {
            doc.add_text(tags, tag);
        }
        writer.add_document(doc).unwrap();
    }
    writer.commit().unwrap();
    let reader = bare.reader().unwrap();
    reader.reload().unwrap();
    let searcher = reader.searcher();
    let built = t.elapsed();
    let index_bytes = searcher.space_usage().unwrap().total().get_bytes();
    let rss_after = rss_mib();
    let mut parser = QueryParser::for_index(&bare, vec![title, description, tags]);
    parser.set_conjunction_by_default();
    parser.set_field_boost(title, 3.0);

    let t = Instant::now();
    let q = parser.parse_query(WORDS[0]).unwrap();
    let count = searcher.search(&q, &tantivy::collector::Count).unwrap();
    let tantivy_cold_word = t.elapsed();

    println!(
        "bare index of {} listed videos: built in {:.1} s from rows in memory, {:.1} MiB, process RSS +{:.0} MiB",
        listed.len(),
        built.as_secs_f64(),
        index_bytes as f64 / 1024.0 / 1024.0,
        rss_after - rss_before
    );
    println!(
        "the most frequent word (\"{}\") first asked: Kino scores every match in {:.1} ms ({} matches), bare tantivy counts them in {:.1} ms ({})",
        WORDS[0],
        kino_cold_word.as_secs_f64() * 1000.0,
        kino_cold_hits,
        tantivy_cold_word.as_secs_f64() * 1000.0,
        count
    );

    // The same queries through each, alternating engines query by query.
    let mut kino_all = Vec::new();
    let mut kino_first = Vec::new();
    let mut tantivy_all = Vec::new();
    let mut tantivy_first = Vec::new();
    let mut asked = HashSet::new();
    let mut agree = Vec::new();
    for q in queries() {
        let first = asked.insert(q.clone());
        let t = Instant::now();
        let hits = api::catalog::search::search(&db, &cache, &q, 20, 0)
            .await
            .unwrap();
        let took = t.elapsed();
        kino_all.push(took);
        if first {
            kino_first.push(took);
        }
        let t = Instant::now();
        let query = parser.parse_query(&q).unwrap();
        let top = searcher
            .search(&query, &TopDocs::with_limit(20).order_by_score())
            .unwrap();
        let found: Vec<String> = top
            .iter()
            .filter_map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(*address).ok()?;
                doc.get_first(id_field)?.as_str().map(str::to_owned)
            })
            .collect();
        let videos = cache.videos(&db, &found).await.unwrap();
        let took = t.elapsed();
        tantivy_all.push(took);
        if first {
            tantivy_first.push(took);
            let kino: HashSet<&str> = hits.iter().map(|h| h.video.id.as_str()).collect();
            let both = videos
                .iter()
                .filter(|v| kino.contains(v.id.as_str()))
                .count();
            let either = kino.len().max(videos.len()).max(1);
            agree.push(both as f64 / either as f64);
        }
    }
    let distinct = kino_first.len();
    println!(
        "{} queries ({distinct} distinct), top 20 with their videos:",
        kino_all.len()
    );
    compare("every query", kino_all, tantivy_all);
    compare(
        "the first time each query is asked",
        kino_first,
        tantivy_first,
    );
    println!(
        "  top-20 overlap between the two, mean over the distinct queries: {:.0} %",
        agree.iter().sum::<f64>() / agree.len() as f64 * 100.0
    );
    stop.cancel();
}
