//! The worker's figures, shared by every worker task of the process: jobs by outcome, jobs
//! running, how long workers waited for work, and how fast jobs ran against the clip's own
//! length. `kino-transcoder --metrics-listen` serves them at `/metrics`; `kino` adds them to
//! its own when it runs workers in-process.

use shared::metrics::{Exposition, Histogram};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

/// Seconds a worker waited between finishing (or starting) and its next job.
const WAIT_BUCKETS: &[f64] = &[0.01, 0.1, 0.5, 1.0, 5.0, 20.0, 60.0, 300.0, 1800.0];
/// Seconds of video per second of work.
const SPEED_BUCKETS: &[f64] = &[0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 8.0];

/// What a job ended as, from this worker's side.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Done,
    Failed,
    /// Handed back at shutdown.
    Released,
    /// Its lease was lost mid-job.
    Abandoned,
}

#[derive(Debug)]
pub struct WorkerMetrics {
    outcomes: [AtomicU64; 4],
    running: AtomicI64,
    lease_wait: Mutex<Histogram>,
    speed: Mutex<Histogram>,
}

/// The process's workers' figures.
pub static WORKERS: LazyLock<WorkerMetrics> = LazyLock::new(|| WorkerMetrics {
    outcomes: Default::default(),
    running: AtomicI64::new(0),
    lease_wait: Mutex::new(Histogram::new(WAIT_BUCKETS)),
    speed: Mutex::new(Histogram::new(SPEED_BUCKETS)),
});

fn lock(m: &Mutex<Histogram>) -> std::sync::MutexGuard<'_, Histogram> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl WorkerMetrics {
    /// A job arrived after its worker waited `secs` for one.
    pub fn leased(&self, waited_s: f64) {
        lock(&self.lease_wait).observe(waited_s);
        self.running.fetch_add(1, Ordering::Relaxed);
    }

    /// A job ended; `speed` is the clip's seconds per second of work for a finished one.
    pub fn ended(&self, outcome: Outcome, speed: Option<f64>) {
        self.running.fetch_sub(1, Ordering::Relaxed);
        self.outcomes[outcome as usize].fetch_add(1, Ordering::Relaxed);
        if let Some(s) = speed {
            lock(&self.speed).observe(s);
        }
    }

    pub fn write(&self, out: &mut Exposition) {
        out.family(
            "kino_transcoder_jobs_total",
            "counter",
            "Jobs this process's workers ended, by outcome.",
        );
        for (name, outcome) in [
            ("done", Outcome::Done),
            ("failed", Outcome::Failed),
            ("released", Outcome::Released),
            ("abandoned", Outcome::Abandoned),
        ] {
            out.sample(
                "kino_transcoder_jobs_total",
                &[("outcome", name)],
                self.outcomes[outcome as usize].load(Ordering::Relaxed) as f64,
            );
        }
        out.family(
            "kino_transcoder_jobs_running",
            "gauge",
            "Jobs this process's workers are running.",
        );
        out.sample(
            "kino_transcoder_jobs_running",
            &[],
            self.running.load(Ordering::Relaxed) as f64,
        );
        out.family(
            "kino_transcoder_lease_wait_seconds",
            "histogram",
            "How long a worker waited for its next job.",
        );
        lock(&self.lease_wait).write(out, "kino_transcoder_lease_wait_seconds", &[]);
        out.family(
            "kino_transcoder_realtime_factor",
            "histogram",
            "Seconds of video per second of work, per finished job (above 1: faster than real time).",
        );
        lock(&self.speed).write(out, "kino_transcoder_realtime_factor", &[]);
    }
}
