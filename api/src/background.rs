//! Every loop the server runs beside its requests, started and stopped in one place: the job
//! watchdog, the upload sweeper (expired uploads, replaced first playable versions, stuck
//! completions, the reconciler, deleted videos' files), the change-feed followers (video cache, sessions, saved pages, job wake-up)
//! and the loop that keeps the search index up with the edits.

use crate::changes;
use crate::ingest::{reconcile, removal, uploads};
use crate::queue::jobs;
use crate::state::AppState;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The running loops.
pub struct Background {
    /// Loops that stop at the shutdown signal and are waited for (they may be mid-write).
    ticking: Vec<JoinHandle<()>>,
    /// Followers and the search index, which only read and keep memory: aborted.
    following: Vec<JoinHandle<()>>,
}

impl Background {
    /// Aborts the followers and waits for the ticking loops, which `shutdown` has stopped.
    pub async fn stop(self) {
        for f in &self.following {
            f.abort();
        }
        for t in self.ticking {
            let _ = t.await;
        }
    }
}

/// Starts every loop; the ticking ones end when `shutdown` is cancelled.
pub fn start(state: &AppState, shutdown: &CancellationToken) -> Background {
    let ticking = vec![
        every(Duration::from_secs(5), shutdown, {
            let state = state.clone();
            move || requeue_expired(state.clone())
        }),
        every(
            Duration::from_secs(state.settings.upload_sweep_interval_s.max(1)),
            shutdown,
            {
                let state = state.clone();
                move || sweep(state.clone())
            },
        ),
    ];
    let following = vec![
        tokio::spawn(changes::follow(state.cache.clone(), state.db.clone())),
        tokio::spawn(changes::follow(state.sessions.clone(), state.db.clone())),
        tokio::spawn(changes::follow(state.pages.clone(), state.db.clone())),
        tokio::spawn(changes::follow(
            Arc::new(jobs::QueueWatch(state.job_wake.clone())),
            state.db.clone(),
        )),
        tokio::spawn(state.cache.clone().follow_index(state.db.clone())),
    ];
    Background { ticking, following }
}

/// Runs `pass` every `period` (the first at once) until `stop` is cancelled.
fn every<F, Fut>(period: Duration, stop: &CancellationToken, pass: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let stop = stop.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            pass().await;
        }
    })
}

/// The job watchdog: leases that expired go back to the queue (or are dead-lettered).
async fn requeue_expired(state: AppState) {
    match jobs::requeue_expired(&state.db, state.settings.job_max_attempts).await {
        Ok(0) => {}
        Ok(n) => {
            tracing::warn!(jobs = n, "re-queued jobs whose lease expired");
            state.job_wake.notify_waiters();
        }
        Err(e) => tracing::error!(error = %e, "job watchdog"),
    }
}

/// The upload sweeper: abandoned uploads, first playable versions no signed URL can still
/// name, completions a crash left half done, videos no job is moving on, and the files of
/// deleted videos.
async fn sweep(state: AppState) {
    match uploads::sweep_expired(&state.db, &state.store).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(uploads = n, "ended expired uploads"),
        Err(e) => tracing::error!(error = %e, "upload sweeper"),
    }
    let grace = state.settings.media_links().longest_s();
    if let Err(e) = jobs::drop_replaced_first_playables(&state.db, &state.store, grace).await {
        tracing::error!(error = %e, "dropping replaced first playable versions");
    }
    let stuck_after = state.settings.upload_completing_timeout_s;
    match uploads::recover_completions(&state.db, &state.store, stuck_after).await {
        Ok(0) => {}
        Ok(_) => state.job_wake.notify_waiters(),
        Err(e) => tracing::error!(error = %e, "completion recovery"),
    }
    match reconcile::reconcile(&state.db).await {
        Ok(0) => {}
        Ok(_) => state.job_wake.notify_waiters(),
        Err(e) => tracing::error!(error = %e, "reconciler"),
    }
    let lease = state.settings.job_lease_s;
    if let Err(e) = removal::sweep(&state.db, &state.store, lease).await {
        tracing::error!(error = %e, "removing deleted videos' files");
    }
}
