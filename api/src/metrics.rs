//! What an operator watches: request counts and latencies by route and status, and GraphQL
//! operations, kept here; `/metrics` (`http::metrics`) writes them with the figures read when
//! it is scraped (caches, the change feed, the job queue, open uploads) in the Prometheus
//! text exposition format, version 0.0.4.
//!
//! One [`Metrics`] per application, in its state, so several apps in one process (the tests)
//! count apart. Labels are few and bounded: a REST route is its operationId, the other
//! endpoints a fixed name each.

pub use shared::metrics::{Exposition, Histogram};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds, in seconds, of how long a job waited for a worker: from a job taken at once
/// to a queue an hour deep.
const QUEUE_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];

/// Upper bounds, in seconds, of the request-latency buckets.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by (route, method, status).
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// Latency by route.
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// GraphQL operations by (type, outcome).
    graphql: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// Bytes of upload parts stored through this replica.
    part_bytes: AtomicU64,
    /// How long leased jobs had waited for a worker.
    queue_wait: Mutex<Option<Histogram>>,
}

impl Metrics {
    /// Counts a request answered with `status` after `secs`.
    pub fn request(&self, route: &str, method: &str, status: u16, secs: f64) {
        *lock(&self.requests)
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        lock(&self.latency)
            .entry(route.to_owned())
            .or_insert_with(|| Histogram::new(BUCKETS))
            .observe(secs);
    }

    /// Counts a GraphQL operation of `kind` (query, mutation, subscription; `invalid` when it
    /// did not parse) and whether it answered without errors.
    pub fn graphql(&self, kind: &str, ok: bool) {
        *lock(&self.graphql)
            .entry((kind.to_owned(), if ok { "ok" } else { "error" }))
            .or_default() += 1;
    }

    /// Notes a job leased after waiting `secs` since it became available (queued, or back
    /// from a failed attempt's backoff).
    pub fn leased(&self, secs: f64) {
        lock(&self.queue_wait)
            .get_or_insert_with(|| Histogram::new(QUEUE_BUCKETS))
            .observe(secs);
    }

    /// Counts an upload part of `bytes` stored through this replica.
    pub fn part_received(&self, bytes: u64) {
        self.part_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Writes the counters kept here.
    pub fn write(&self, out: &mut Exposition) {
        out.family(
            "kino_http_requests_total",
            "counter",
            "Requests answered, by route (a REST operationId or an endpoint's name), method and status.",
        );
        for ((route, method, status), n) in lock(&self.requests).iter() {
            out.sample(
                "kino_http_requests_total",
                &[
                    ("route", route),
                    ("method", method),
                    ("status", &status.to_string()),
                ],
                *n as f64,
            );
        }
        out.family(
            "kino_http_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to its answer, by route.",
        );
        for (route, h) in lock(&self.latency).iter() {
            h.write(
                out,
                "kino_http_request_duration_seconds",
                &[("route", route)],
            );
        }
        out.family(
            "kino_graphql_operations_total",
            "counter",
            "GraphQL operations, by type and outcome (error: the answer carried errors).",
        );
        for ((kind, outcome), n) in lock(&self.graphql).iter() {
            out.sample(
                "kino_graphql_operations_total",
                &[("type", kind), ("outcome", outcome)],
                *n as f64,
            );
        }
        out.family(
            "kino_job_queue_wait_seconds",
            "histogram",
            "How long each job leased through this replica had waited for a worker since it became available.",
        );
        lock(&self.queue_wait)
            .get_or_insert_with(|| Histogram::new(QUEUE_BUCKETS))
            .write(out, "kino_job_queue_wait_seconds", &[]);
        out.family(
            "kino_upload_bytes_received_total",
            "counter",
            "Bytes of upload parts stored through this replica (parts sent straight to an S3 bucket are not).",
        );
        out.sample(
            "kino_upload_bytes_received_total",
            &[],
            self.part_bytes.load(Ordering::Relaxed) as f64,
        );
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_and_timed_in_cumulative_buckets() {
        let m = Metrics::default();
        m.request("list_videos", "GET", 200, 0.003);
        m.request("list_videos", "GET", 200, 0.2);
        m.request("get_video", "GET", 404, 0.001);
        m.graphql("query", true);
        let mut out = Exposition::default();
        m.write(&mut out);
        let text = out.into_string();
        for line in [
            "# TYPE kino_http_requests_total counter",
            "kino_http_requests_total{route=\"list_videos\",method=\"GET\",status=\"200\"} 2",
            "kino_http_requests_total{route=\"get_video\",method=\"GET\",status=\"404\"} 1",
            "kino_http_request_duration_seconds_bucket{route=\"list_videos\",le=\"0.0025\"} 0",
            "kino_http_request_duration_seconds_bucket{route=\"list_videos\",le=\"0.005\"} 1",
            "kino_http_request_duration_seconds_bucket{route=\"list_videos\",le=\"0.25\"} 2",
            "kino_http_request_duration_seconds_bucket{route=\"list_videos\",le=\"+Inf\"} 2",
            "kino_http_request_duration_seconds_count{route=\"list_videos\"} 2",
            "kino_graphql_operations_total{type=\"query\",outcome=\"ok\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
    }
}
