//! `kino`: the all-in-one server. See `kino --help`.

use anyhow::Context;
use api::config::{Cli, Settings};
use clap::Parser;
use tokio_util::sync::CancellationToken;

/// The allocator the server runs with: a home page is tens of thousands of small, short-lived
/// allocations (GraphQL values, database rows), which glibc's malloc served at about a
/// quarter of the page's CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(dir) = &cli.export_schemas {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("kino.openapi.json"), api::openapi_json())?;
        std::fs::write(dir.join("schema.graphql"), api::graphql_sdl())?;
        return Ok(());
    }
    // The embedded engine reports its start-up at info level, and at exit that its background
    // tasks were cancelled (as they are when the process ends): neither tells an operator
    // anything.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        "info,surrealdb=warn,surrealdb_core=warn,surrealdb_core::kvs::tasks=off,surrealkv=warn"
            .into()
    });
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cli.log_json {
        // One object per line, with the request span (and its id) on each.
        logs.json().init();
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let settings = Settings::load(&cli).context("reading configuration")?;
    // The embedded database engines recurse deeply; give every runtime thread room.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(10 * 1024 * 1024)
        .build()?
        .block_on(async move {
            if let Some(file) = &cli.export_db {
                let started = std::time::Instant::now();
                let moved = api::backup::export(&settings, file).await?;
                println!(
                    "exported {} records ({} bytes) to {} in {:.1} s",
                    moved.records,
                    moved.bytes,
                    file.display(),
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            std::fs::create_dir_all(&settings.data_dir)
                .with_context(|| format!("creating data dir {}", settings.data_dir.display()))?;
            if let Some(file) = &cli.import_db {
                let started = std::time::Instant::now();
                let moved = api::backup::import(&settings, file).await?;
                println!(
                    "imported {} ({} bytes): the database holds {} records, in {:.1} s",
                    file.display(),
                    moved.bytes,
                    moved.records,
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            if let Some(n) = cli.seed_videos {
                let db = api::db::open(&settings).await?;
                let started = std::time::Instant::now();
                let s = api::seed::seed(&db, n).await?;
                println!(
                    "seeded {} videos, {} creators, {} viewers, {} views in {:.1} s (password: {})",
                    s.videos,
                    s.creators,
                    s.viewers,
                    s.views,
                    started.elapsed().as_secs_f64(),
                    api::seed::PASSWORD
                );
                return Ok(());
            }
            let app = api::Application::build(settings).await?;
            let shutdown = CancellationToken::new();
            let stop = shutdown.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                stop.cancel();
            });
            #[cfg(unix)]
            {
                let stop = shutdown.clone();
                tokio::spawn(async move {
                    if let Ok(mut term) =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    {
                        term.recv().await;
                        stop.cancel();
                    }
                });
            }
            app.run(shutdown).await
        })
}
