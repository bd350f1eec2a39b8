//! `kino-transcoder`: a standalone worker process. It needs the api's URL, the installation's
//! worker registration token and the same object store URL as the api.

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "kino-transcoder", version, about = "Kino transcoder worker")]
struct Cli {
    /// Base URL of the api.
    #[arg(long, env = "KINO_API", default_value = "http://127.0.0.1:8080")]
    api: String,
    /// The installation's worker registration token.
    #[arg(long, env = "KINO_WORKER_REGISTRATION_TOKEN")]
    registration_token: String,
    /// Object store URL (the api's `--store`). S3 credentials come from `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`.
    #[arg(long, env = "KINO_STORE")]
    store: String,
    /// Scratch directory for sources and outputs in progress.
    #[arg(long, env = "KINO_SCRATCH_DIR", default_value = "scratch")]
    scratch_dir: PathBuf,
    /// Jobs to run at once.
    #[arg(long, env = "KINO_CONCURRENCY", default_value_t = 1)]
    concurrency: u32,
    /// x264 preset.
    #[arg(long, env = "KINO_PRESET", default_value = "veryfast")]
    preset: String,
    /// Sources at least this long (seconds) are first published as their lowest rung alone,
    /// the first playable version (default 30; `--preview-min-s` and `KINO_PREVIEW_MIN_S`,
    /// its former names, still work).
    #[arg(long, alias = "preview-min-s", env = "KINO_FIRST_PLAYABLE_MIN_S")]
    first_playable_min_s: Option<f64>,
    /// Serve `/metrics` (Prometheus text format) on this address, e.g. 127.0.0.1:9464.
    #[arg(long, env = "KINO_METRICS_LISTEN")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// Log lines as JSON objects, one per line, rather than as text.
    #[arg(long, env = "KINO_LOG_JSON")]
    log_json: bool,
}

/// `/metrics`: the workers' figures and their object-store requests.
#[poem::handler]
fn metrics() -> poem::Response {
    let mut out = shared::metrics::Exposition::default();
    transcoder::metrics::WORKERS.write(&mut out);
    shared::store::stats::STORE.write(&mut out);
    poem::Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out.into_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Logs go to stderr, as `kino`'s do, leaving stdout free.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cli.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    if let Some(addr) = cli.metrics_listen {
        let listener = poem::listener::TcpListener::bind(addr);
        let app = poem::Route::new().at("/metrics", poem::get(metrics));
        tokio::spawn(async move {
            if let Err(e) = poem::Server::new(listener).run(app).await {
                tracing::error!(error = %e, %addr, "the metrics endpoint stopped");
            }
        });
    }
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    // SIGINT or SIGTERM: hand running jobs back to the queue and exit.
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        tracing::info!("stopping: handing running jobs back");
        stop.cancel();
    });
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "transcoder".into());
    let first_playable_min_s = match cli.first_playable_min_s {
        Some(s) => s,
        None => match std::env::var("KINO_PREVIEW_MIN_S") {
            Ok(v) => v
                .parse()
                .with_context(|| format!("KINO_PREVIEW_MIN_S is not a number: {v}"))?,
            Err(_) => 30.0,
        },
    };
    let mut tasks = Vec::new();
    for i in 0..cli.concurrency.max(1) {
        let cfg = transcoder::WorkerConfig {
            api_url: cli.api.clone(),
            registration_token: cli.registration_token.clone(),
            store_url: cli.store.clone(),
            store_credentials: None,
            scratch_dir: cli.scratch_dir.join(format!("w{i}")),
            name: format!("{host}-{i}"),
            preset: cli.preset.clone(),
            first_playable_min_s,
        };
        tasks.push(tokio::spawn(transcoder::run_worker(cfg, cancel.clone())));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}
