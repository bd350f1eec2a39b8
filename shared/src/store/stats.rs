//! How the process's requests to the object store went (S3 requests, or operations on the
//! store's directory, by the HTTP method they stand for): attempts by method and outcome, their
//! latency, and how many were retries. Both `kino` and `kino-transcoder` talk to the store,
//! and each writes these into its `/metrics`.

use crate::metrics::{Exposition, Histogram};
use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};

/// Upper bounds, in seconds, of the latency buckets: from a HEAD on loopback to a large part.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

#[derive(Debug, Default)]
struct Inner {
    /// Attempts by (method, outcome).
    attempts: BTreeMap<(String, &'static str), u64>,
    /// Latency of each attempt, by method.
    latency: BTreeMap<String, Histogram>,
    retries: u64,
    /// Times requests moved to another endpoint of the cluster.
    moves: u64,
}

/// The process's store requests.
#[derive(Debug, Default)]
pub struct StoreStats(Mutex<Inner>);

pub static STORE: LazyLock<StoreStats> = LazyLock::new(StoreStats::default);

/// How one attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum Attempt {
    Ok,
    /// An answer that is not success (a missing key is one).
    Refused,
    /// No answer: the connection failed or timed out.
    Failed,
}

impl StoreStats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn attempt(&self, method: &str, outcome: Attempt, secs: f64, retry: bool) {
        let mut s = self.lock();
        let outcome = match outcome {
            Attempt::Ok => "ok",
            Attempt::Refused => "refused",
            Attempt::Failed => "failed",
        };
        *s.attempts.entry((method.to_owned(), outcome)).or_default() += 1;
        s.latency
            .entry(method.to_owned())
            .or_insert_with(|| Histogram::new(BUCKETS))
            .observe(secs);
        if retry {
            s.retries += 1;
        }
    }

    pub fn moved(&self) {
        self.lock().moves += 1;
    }

    pub fn write(&self, out: &mut Exposition) {
        let s = self.lock();
        out.family(
            "kino_store_requests_total",
            "counter",
            "Requests to the object store (each attempt; on a directory, each operation), by method and outcome.",
        );
        for ((method, outcome), n) in &s.attempts {
            out.sample(
                "kino_store_requests_total",
                &[("method", method), ("outcome", outcome)],
                *n as f64,
            );
        }
        out.family(
            "kino_store_request_duration_seconds",
            "histogram",
            "Time to the S3 store's answer (headers), by method.",
        );
        for (method, h) in &s.latency {
            h.write(
                out,
                "kino_store_request_duration_seconds",
                &[("method", method)],
            );
        }
        out.family(
            "kino_store_retries_total",
            "counter",
            "Store requests sent again after a failed attempt.",
        );
        out.sample("kino_store_retries_total", &[], s.retries as f64);
        out.family(
            "kino_store_endpoint_moves_total",
            "counter",
            "Times an endpoint refused a connection and requests moved to the next one.",
        );
        out.sample("kino_store_endpoint_moves_total", &[], s.moves as f64);
    }
}
