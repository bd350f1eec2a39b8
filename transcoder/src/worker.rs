//! The worker loop: register, lease a job (long-poll), run it with heartbeats, report.
//!
//! `execute` handles exactly one leased job and is separate from the loop, so tests can drive
//! the queue one job at a time. Scratch space is per attempt and removed on every exit path.

use crate::encode::Extras;
use crate::metrics::{Outcome, WORKERS};
use crate::pipeline::{self, TranscodeError};
use crate::probe::SourceInfo;
use anyhow::Context;
use shared::client::{Client, types};
use shared::store::{ObjectStore, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How a worker finds the api and the store.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Base URL of the api, e.g. `http://127.0.0.1:8080`.
    pub api_url: String,
    pub registration_token: String,
    pub store_url: String,
    /// S3 credentials `(key id, secret)`; `None` reads `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    pub store_credentials: Option<(String, String)>,
    pub scratch_dir: PathBuf,
    /// A name for the api's records and logs.
    pub name: String,
    /// x264 preset.
    pub preset: String,
    /// Sources at least this long get a first playable version (lowest rung only) published
    /// before the whole ladder, when the api asks for one.
    pub first_playable_min_s: f64,
}

/// A registered worker.
pub struct Worker {
    client: Client,
    /// This worker's api token, for the clients made per job.
    token: String,
    store: Store,
    cfg: WorkerConfig,
}

/// An HTTP client for the api: with the worker's token, and with the request id every call
/// about one job carries, so the api's log lines for a job's calls share it.
fn http(token: Option<&str>, request_id: Option<&str>) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(t) = token {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {t}").parse()?,
        );
    }
    if let Some(id) = request_id {
        headers.insert("x-request-id", id.parse()?);
    }
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        // Long enough for the lease long-poll.
        .timeout(Duration::from_secs(90))
        .default_headers(headers)
        .build()?)
}

impl Worker {
    /// Registers with the api, retrying while it comes up.
    pub async fn register(cfg: WorkerConfig, cancel: &CancellationToken) -> anyhow::Result<Worker> {
        let anon = Client::new_with_client(&cfg.api_url, http(None, None)?);
        let body = types::RegisterWorkerRequest {
            name: cfg.name.clone(),
            registration_token: cfg.registration_token.clone(),
        };
        let mut delay = Duration::from_millis(200);
        let reg = loop {
            match anon.register_worker(&body).await {
                Ok(r) => break r.into_inner(),
                Err(e) if e.status().is_some_and(|s| s.is_client_error()) => {
                    anyhow::bail!("the api refused this worker's registration: {e}")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "registering with the api; retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => anyhow::bail!("stopped before registering"),
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
            }
        };
        let client = Client::new_with_client(&cfg.api_url, http(Some(&reg.token), None)?);
        let store = Store::open_with(&cfg.store_url, cfg.store_credentials.clone())
            .await
            .context("opening the object store")?;
        tokio::fs::create_dir_all(&cfg.scratch_dir)
            .await
            .context("creating the scratch dir")?;
        tracing::info!(worker = %reg.worker_id, name = %cfg.name, "worker registered");
        Ok(Worker {
            client,
            token: reg.token,
            store,
            cfg,
        })
    }

    /// Leases and runs jobs until cancelled, or until the api no longer takes this worker's
    /// token (it lapsed unused, or an admin revoked it); then it returns `false`.
    pub async fn run(&self, cancel: CancellationToken) -> bool {
        let mut backoff = Duration::from_millis(500);
        let mut idle_since = std::time::Instant::now();
        while !cancel.is_cancelled() {
            let lease = tokio::select! {
                _ = cancel.cancelled() => break,
                r = self.client.lease_job(&types::LeaseRequest { wait_s: Some(20) }) => r,
            };
            match lease {
                Ok(r) => {
                    backoff = Duration::from_millis(500);
                    if let Some(job) = r.into_inner().job {
                        WORKERS.leased(idle_since.elapsed().as_secs_f64());
                        self.execute(job, &cancel).await;
                        idle_since = std::time::Instant::now();
                    }
                }
                Err(e) if e.status().is_some_and(|s| s.as_u16() == 401) => {
                    tracing::warn!("the api no longer takes this worker's token");
                    return false;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "leasing a job");
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(15));
                }
            }
        }
        true
    }

    /// The api client for one job's calls: their request id is `job-{id}-{attempt}`.
    fn job_client(&self, job: &types::JobLease) -> Client {
        let id = format!("job-{}-{}", job.job_id, job.attempt);
        match http(Some(&self.token), Some(&id)) {
            Ok(http) => Client::new_with_client(&self.cfg.api_url, http),
            // An id the header cannot hold: the calls go without one.
            Err(_) => self.client.clone(),
        }
    }

    /// Runs one leased job to completion or failure and reports the outcome.
    pub async fn execute(&self, job: types::JobLease, cancel: &CancellationToken) {
        let client = self.job_client(&job);
        let scratch = self
            .cfg
            .scratch_dir
            .join(format!("{}-{}", job.job_id, job.attempt));
        let progress = Arc::new(AtomicU64::new(0f64.to_bits()));
        let lost = CancellationToken::new();
        let beat = tokio::spawn(heartbeat(
            client.clone(),
            job.clone(),
            progress.clone(),
            lost.clone(),
        ));
        let started = std::time::Instant::now();
        let result = tokio::select! {
            r = self.attempt(&client, &job, &scratch, &progress) => Some(r),
            _ = lost.cancelled() => None,
            _ = cancel.cancelled() => None,
        };
        beat.abort();
        let _ = tokio::fs::remove_dir_all(&scratch).await;
        let report = match result {
            None if lost.is_cancelled() => {
                tracing::warn!(job = %job.job_id, "lease lost; abandoned the attempt");
                WORKERS.ended(Outcome::Abandoned, None);
                return;
            }
            None => {
                // Shutting down: hand the job back so another worker takes it at once.
                WORKERS.ended(Outcome::Released, None);
                self.fail(
                    &client,
                    &job,
                    "the worker shut down during the job",
                    true,
                    true,
                )
                .await
            }
            Some(Ok(duration_s)) => {
                let worked = started.elapsed().as_secs_f64();
                WORKERS.ended(Outcome::Done, (worked > 0.0).then(|| duration_s / worked));
                tracing::info!(job = %job.job_id, video = %job.video_id, secs = started.elapsed().as_secs_f64(), "job done");
                let body = types::CompleteJobRequest {
                    attempt: job.attempt,
                    job_token: job.job_token.clone(),
                    duration_s,
                };
                persist(|| client.complete_job(&job.job_id, &body)).await
            }
            Some(Err(e)) => {
                WORKERS.ended(Outcome::Failed, None);
                tracing::warn!(job = %job.job_id, error = %e, "job failed");
                self.fail(&client, &job, &e.to_string(), e.retryable(), false)
                    .await
            }
        };
        if let Err(e) = report {
            tracing::error!(job = %job.job_id, error = %e, "reporting the job's outcome");
        }
    }

    async fn fail(
        &self,
        client: &Client,
        job: &types::JobLease,
        reason: &str,
        retryable: bool,
        release: bool,
    ) -> Result<(), shared::client::Error<types::ErrorBody>> {
        let body = types::FailJobRequest {
            attempt: job.attempt,
            job_token: job.job_token.clone(),
            reason: reason.to_owned(),
            retryable,
            release,
        };
        persist(|| client.fail_job(&job.job_id, &body)).await
    }

    async fn attempt(
        &self,
        client: &Client,
        job: &types::JobLease,
        scratch: &Path,
        progress: &AtomicU64,
    ) -> Result<f64, TranscodeError> {
        let _ = tokio::fs::remove_dir_all(scratch).await;
        tokio::fs::create_dir_all(scratch.join("out")).await?;
        let source = scratch.join("source");
        self.store
            .get_to_file(&job.source_key, &source)
            .await
            .map_err(|e| TranscodeError::Io(std::io::Error::other(e)))?;
        let info = pipeline::inspect(&source).await?;
        let out = scratch.join("out");
        let on_progress = |p: f64| progress.store(p.to_bits(), Ordering::Relaxed);
        // An api older than the name `first_playable_prefix` sends `preview_prefix` alone.
        #[allow(deprecated)]
        let asked = job
            .first_playable_prefix
            .as_ref()
            .or(job.preview_prefix.as_ref());
        let outcome = match asked {
            Some(prefix) if info.duration_s >= self.cfg.first_playable_min_s => {
                let first = scratch.join("first-playable");
                self.first_playable(client, job, &source, &first, prefix, &info)
                    .await?;
                // The first playable rendition is the ladder's lowest rung, already encoded.
                pipeline::finish(&source, &out, info, &first, &self.cfg.preset, on_progress).await?
            }
            _ => {
                let rungs = shared::ladder::for_source(info.width, info.height);
                pipeline::encode(
                    &source,
                    &out,
                    info,
                    rungs,
                    &self.cfg.preset,
                    Extras::ALL,
                    on_progress,
                )
                .await?
            }
        };
        upload_dir(&self.store, &out, &job.output_prefix).await?;
        Ok(outcome.info.duration_s)
    }

    /// Encodes, uploads and publishes the lowest rung alone, so viewers can start watching
    /// while the ladder encodes; the ladder then takes that rendition from `dir`. A failure
    /// to publish it is logged, not fatal: the ladder follows either way.
    async fn first_playable(
        &self,
        client: &Client,
        job: &types::JobLease,
        source: &Path,
        dir: &Path,
        prefix: &str,
        info: &SourceInfo,
    ) -> Result<(), TranscodeError> {
        tokio::fs::create_dir_all(dir).await?;
        let started = std::time::Instant::now();
        pipeline::first_playable(source, dir, info.clone(), &self.cfg.preset).await?;
        upload_dir(&self.store, dir, prefix).await?;
        let body = types::CompleteJobRequest {
            attempt: job.attempt,
            job_token: job.job_token.clone(),
            duration_s: info.duration_s,
        };
        match persist(|| client.publish_first_playable(&job.job_id, &body)).await {
            Ok(_) => tracing::info!(
                job = %job.job_id,
                secs = started.elapsed().as_secs_f64(),
                "first playable version published"
            ),
            Err(e) => {
                tracing::warn!(job = %job.job_id, error = %e, "publishing the first playable version")
            }
        }
        Ok(())
    }
}

/// Copies every file under `dir` to `prefix/<relative path>`; the master playlist last, so a
/// reader that finds it finds everything it references.
async fn upload_dir(store: &Store, dir: &Path, prefix: &str) -> Result<(), TranscodeError> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut rd = tokio::fs::read_dir(&d).await?;
        while let Some(e) = rd.next_entry().await? {
            if e.file_type().await?.is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    files.sort_by_key(|p| p.ends_with(shared::layout::MASTER_PLAYLIST));
    for f in files {
        let rel = f
            .strip_prefix(dir)
            .expect("walked from dir")
            .to_string_lossy()
            .replace('\\', "/");
        store
            .put_file(&format!("{prefix}/{rel}"), &f)
            .await
            .map_err(|e| TranscodeError::Io(std::io::Error::other(e)))?;
    }
    Ok(())
}

async fn heartbeat(
    client: Client,
    job: types::JobLease,
    progress: Arc<AtomicU64>,
    lost: CancellationToken,
) {
    // Three heartbeats per lease period, so one lost request never costs the lease.
    let lease = (job.lease_expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    let every = (lease / 3).clamp(Duration::from_millis(500), Duration::from_secs(30));
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let body = types::HeartbeatRequest {
            attempt: job.attempt,
            job_token: job.job_token.clone(),
            progress: f64::from_bits(progress.load(Ordering::Relaxed)),
        };
        match client.heartbeat_job(&job.job_id, &body).await {
            Ok(_) => {}
            Err(e) if e.status() == Some(reqwest::StatusCode::CONFLICT) => {
                lost.cancel();
                return;
            }
            Err(e) => tracing::warn!(job = %job.job_id, error = %e, "heartbeat"),
        }
    }
}

/// Sends a report about a job, retrying while the api is unreachable or failing (it may be
/// restarting) for up to two minutes; an answer that refuses the report (a lost lease) ends it.
async fn persist<T, F, Fut>(mut send: F) -> Result<(), shared::client::Error<types::ErrorBody>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, shared::client::Error<types::ErrorBody>>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut delay = Duration::from_millis(250);
    loop {
        match send().await {
            Ok(_) => return Ok(()),
            Err(e) => {
                let transient = e
                    .status()
                    .is_none_or(|s| s.is_server_error() || s.as_u16() == 429);
                if !transient || std::time::Instant::now() + delay > deadline {
                    return Err(e);
                }
                tracing::warn!(error = %e, "reporting to the api; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Registers and runs one worker until `cancel` fires, registering again whenever its token
/// stops being taken.
pub async fn run_worker(cfg: WorkerConfig, cancel: CancellationToken) -> anyhow::Result<()> {
    loop {
        let worker = Worker::register(cfg.clone(), &cancel).await?;
        if worker.run(cancel.clone()).await {
            return Ok(());
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::http;

    #[tokio::test]
    async fn a_jobs_calls_carry_its_request_id_and_the_workers_token() {
        #[poem::handler]
        fn echo(req: &poem::Request) -> String {
            let h = |name: &str| {
                req.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_owned()
            };
            format!("{} {}", h("x-request-id"), h("authorization"))
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        tokio::spawn(
            poem::Server::new(poem::listener::TcpListener::bind(addr))
                .run(poem::Route::new().at("/", poem::get(echo))),
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let url = format!("http://{addr}/");
        let seen = |client: reqwest::Client| {
            let url = url.clone();
            async move { client.get(url).send().await.unwrap().text().await.unwrap() }
        };
        assert_eq!(
            seen(http(Some("tok"), Some("job-01J-2")).unwrap()).await,
            "job-01J-2 Bearer tok"
        );
        assert_eq!(seen(http(None, None).unwrap()).await, "- -");
    }
}
