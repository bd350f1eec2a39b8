//! `cargo xtask bench sync`: what syncing the embedded database to disk at every commit
//! costs, against the same writes with flushing left to the OS, measured side by side.
//!
//! Each store is a fresh SurrealKV directory opened through `api::db::connect` with the
//! schema applied, as `kino` opens its own. Two workloads on each: one writer committing
//! small transactions one after another (what a lone sign-up or progress report waits for),
//! and 16 writers at once (commits that the engine can group into one sync). `KINO_BENCH_WRITES`
//! (default 500) sets the writes per workload.

use std::time::{Duration, Instant};

const WRITERS: usize = 16;

async fn open(mode: &str) -> (api::db::Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "surrealkv://{}?sync={mode}",
        dir.path().join("db").display()
    );
    let db = api::db::connect(&url, "bench", "bench", None)
        .await
        .expect("opening the store");
    (db, dir)
}

async fn write(db: &api::db::Db, n: usize) {
    db.query(
        "BEGIN TRANSACTION;
         CREATE type::record('progress', $id) SET position_s = $n, updated_at = time::now();
         COMMIT TRANSACTION;",
    )
    .bind(("id", ulid::Ulid::new().to_string()))
    .bind(("n", n as u64))
    .await
    .expect("writing")
    .check()
    .expect("written");
}

/// Sequential and concurrent write rates on a store synced as `mode` says.
async fn measure(mode: &str, writes: usize) -> (f64, f64) {
    let (db, _dir) = open(mode).await;
    for n in 0..20 {
        write(&db, n).await;
    }
    let started = Instant::now();
    for n in 0..writes {
        write(&db, n).await;
    }
    let sequential = writes as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let db = db.clone();
            tokio::spawn(async move {
                for n in 0..writes / WRITERS {
                    write(&db, w * writes + n).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("writer");
    }
    let concurrent = (writes / WRITERS * WRITERS) as f64 / started.elapsed().as_secs_f64();
    (sequential, concurrent)
}

fn main() {
    let writes: usize = std::env::var("KINO_BENCH_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    // Embedded engines want a large stack, as `kino` gives them.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(16 * 1024 * 1024)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (every_seq, every_conc) = measure("every", writes).await;
        let (never_seq, never_conc) = measure("never", writes).await;
        let ms = |rate: f64| Duration::from_secs_f64(1.0 / rate).as_secs_f64() * 1000.0;
        println!("SurrealKV, {writes} small transactions per workload");
        println!(
            "  one writer:  sync=every {every_seq:8.0}/s ({:.2} ms each)  sync=never {never_seq:8.0}/s ({:.2} ms each)  ratio {:.2}x",
            ms(every_seq),
            ms(never_seq),
            every_seq / never_seq
        );
        println!(
            "  {WRITERS} writers: sync=every {every_conc:8.0}/s  sync=never {never_conc:8.0}/s  ratio {:.2}x",
            every_conc / never_conc
        );
    });
}
